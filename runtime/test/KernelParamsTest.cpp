// The kernel parameter ABI (cuda/KernelParams.h, stated in cuda/PtxEmitter.h): the kinds
// each argument type becomes, the bits cuLaunchKernel receives, and the check of a PTX
// entry's .param list against the ABI. No GPU needed.
#include "cuda/KernelParams.h"

#include <gtest/gtest.h>

#include <cstring>

namespace tessel::cuda {
namespace {

using vm::DType;
using vm::ValueKind;
using vm::ValueType;

ValueType scalar(DType dtype) {
  ValueType t;
  t.kind = ValueKind::kScalar;
  t.dtype = dtype;
  return t;
}
ValueType index() {
  ValueType t;
  t.kind = ValueKind::kIndex;
  t.dtype = DType::signlessInt(64);
  return t;
}
ValueType gtensor(std::vector<int64_t> shape, DType dtype) {
  ValueType t;
  t.kind = ValueKind::kGTensor;
  t.dtype = dtype;
  t.shape = std::move(shape);
  return t;
}
vm::KernelArgument tensorArg(uint64_t address, std::vector<int64_t> shape, DType dtype) {
  vm::KernelArgument a;
  a.isTensor = true;
  a.tensor.address = address;
  a.tensor.dtype = dtype;
  a.tensor.shape = std::move(shape);
  return a;
}
vm::KernelArgument intArg(int64_t value) {
  vm::KernelArgument a;
  a.scalar.i = value;
  return a;
}
vm::KernelArgument floatArg(float value) {
  vm::KernelArgument a;
  a.scalar.f = value;
  return a;
}

TEST(KernelParamsTest, KindsFollowTheAbi) {
  using K = ParamKind;
  std::vector<ValueType> types = {gtensor({-1, 4096}, DType::f16()),
                                  index(),
                                  scalar(DType::signlessInt(1)),
                                  scalar(DType::signlessInt(3)),
                                  scalar(DType::signedInt(8)),
                                  scalar(DType::unsignedInt(16)),
                                  scalar(DType::signlessInt(32)),
                                  scalar(DType::signlessInt(48)),
                                  scalar(DType::signlessInt(64)),
                                  scalar(DType::f32()),
                                  scalar(DType::f16()),
                                  scalar(DType::bf16()),
                                  gtensor({}, DType::signlessInt(4))};
  absl::StatusOr<std::vector<ParamKind>> kinds = paramKindsFor(types);
  ASSERT_TRUE(kinds.ok()) << kinds.status();
  std::vector<ParamKind> expected = {K::kU64, K::kS64, K::kS64, // the tensor: address + 2 dims
                                     K::kS64,                   // index
                                     K::kS32, K::kS32, K::kS32, K::kS32, K::kS32,
                                     K::kS64, K::kS64, // i48 (not in the ABI table), i64
                                     K::kF32, K::kB16, K::kB16,
                                     K::kU64}; // a rank-0 tensor: the address only
  EXPECT_EQ(*kinds, expected);
}

TEST(KernelParamsTest, ScalarsWithoutAnAbiAreErrors) {
  absl::StatusOr<std::vector<ParamKind>> f8 =
      paramKindsFor({scalar(DType::namedFloat(vm::FloatName::kF8E4M3FN))});
  ASSERT_FALSE(f8.ok());
  EXPECT_EQ(f8.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(f8.status().message().find("f8E4M3FN"), absl::string_view::npos) << f8.status();
  ValueType tile;
  tile.kind = ValueKind::kRTensor;
  tile.dtype = DType::f16();
  EXPECT_FALSE(paramKindsFor({index(), tile}).ok());
}

TEST(KernelParamsTest, MarshalledBitsAndPointers) {
  std::vector<ValueType> types = {gtensor({-1, 8}, DType::f16()),  index(),
                                  scalar(DType::signlessInt(1)),    scalar(DType::signedInt(8)),
                                  scalar(DType::f32()),             scalar(DType::f16()),
                                  scalar(DType::bf16()),            scalar(DType::f16()),
                                  scalar(DType::signlessInt(64))};
  std::vector<vm::KernelArgument> args = {
      tensorArg(0x7f0012345600, {3, 8}, DType::f16()), // the actual dims, not -1
      intArg(-7),
      intArg(-1), // i1 true
      intArg(-5),
      floatArg(1.5f),
      floatArg(-2.0f),
      floatArg(1.0f),
      floatArg(std::numeric_limits<float>::infinity()),
      intArg(int64_t(1) << 40)};
  absl::StatusOr<KernelParams> params = marshalKernelArguments(types, args);
  ASSERT_TRUE(params.ok()) << params.status();
  struct Expect {
    ParamKind kind;
    uint64_t bits;
  } expected[] = {{ParamKind::kU64, 0x7f0012345600},
                  {ParamKind::kS64, 3},
                  {ParamKind::kS64, 8},
                  {ParamKind::kS64, uint64_t(int64_t(-7))},
                  {ParamKind::kS32, 0xffffffff},
                  {ParamKind::kS32, 0xfffffffb},
                  {ParamKind::kF32, 0x3fc00000},
                  {ParamKind::kB16, 0xc000},
                  {ParamKind::kB16, 0x3f80},
                  {ParamKind::kB16, 0x7c00},
                  {ParamKind::kS64, uint64_t(1) << 40}};
  ASSERT_EQ(params->size(), std::size(expected));
  void **pointers = params->pointers();
  for (size_t i = 0; i < params->size(); ++i) {
    EXPECT_EQ(params->kind(i), expected[i].kind) << "parameter " << i;
    EXPECT_EQ(params->bits(i), expected[i].bits) << "parameter " << i;
    // What the driver reads: paramKindBytes bytes at the pointer, naturally aligned.
    unsigned bytes = paramKindBytes(expected[i].kind);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(pointers[i]) % bytes, 0u) << "parameter " << i;
    uint64_t read = 0;
    std::memcpy(&read, pointers[i], bytes);
    EXPECT_EQ(read, expected[i].bits) << "parameter " << i;
  }
}

TEST(KernelParamsTest, PointersSurviveAMove) {
  absl::StatusOr<KernelParams> params =
      marshalKernelArguments({index(), index()}, {intArg(11), intArg(22)});
  ASSERT_TRUE(params.ok());
  KernelParams moved = std::move(*params);
  void **pointers = moved.pointers();
  EXPECT_EQ(*static_cast<int64_t *>(pointers[0]), 11);
  EXPECT_EQ(*static_cast<int64_t *>(pointers[1]), 22);
}

TEST(KernelParamsTest, MismatchedArgumentsAreErrors) {
  EXPECT_FALSE(marshalKernelArguments({index()}, {}).ok());
  EXPECT_FALSE(
      marshalKernelArguments({index()}, {tensorArg(16, {4}, DType::f32())}).ok());
  EXPECT_FALSE(marshalKernelArguments({gtensor({4}, DType::f32())}, {intArg(1)}).ok());
  absl::StatusOr<KernelParams> rank =
      marshalKernelArguments({gtensor({4, 4}, DType::f32())}, {tensorArg(16, {16}, DType::f32())});
  ASSERT_FALSE(rank.ok());
  EXPECT_NE(rank.status().message().find("rank"), absl::string_view::npos) << rank.status();
}

//===----------------------------------------------------------------------===//
// The PTX side
//===----------------------------------------------------------------------===//

const char kPtx[] = R"(
.version 7.8
.target sm_90a
.address_size 64
// .entry tessel_k(.param .u32 fake)   <- a comment, not the entry
.visible .entry tessel_k_wide(.param .u64 a) { ret; }
.visible .entry tessel_k(
	.param .u64 .ptr .global .align 16 tessel_k_param_0, /* the address */
	.param .s64 tessel_k_param_1,
	.param .b32 tessel_k_param_2,
	.param .f32 tessel_k_param_3,
	.param .b16 tessel_k_param_4
)
{
	ret;
}
.visible .entry tessel_empty()
{
	ret;
}
)";

TEST(KernelParamsTest, ParsesPtxEntryParams) {
  absl::StatusOr<std::vector<PtxParam>> params = parsePtxEntryParams(kPtx, "tessel_k");
  ASSERT_TRUE(params.ok()) << params.status();
  ASSERT_EQ(params->size(), 5u);
  std::vector<std::string> types;
  std::vector<unsigned> bytes;
  for (const PtxParam &p : *params) {
    types.push_back(p.type);
    bytes.push_back(p.bytes);
  }
  EXPECT_EQ(types, (std::vector<std::string>{".u64", ".s64", ".b32", ".f32", ".b16"}));
  EXPECT_EQ(bytes, (std::vector<unsigned>{8, 8, 4, 4, 2}));

  absl::StatusOr<std::vector<PtxParam>> wide = parsePtxEntryParams(kPtx, "tessel_k_wide");
  ASSERT_TRUE(wide.ok()) << wide.status();
  EXPECT_EQ(wide->size(), 1u);
  absl::StatusOr<std::vector<PtxParam>> empty = parsePtxEntryParams(kPtx, "tessel_empty");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(parsePtxEntryParams(kPtx, "tessel").ok()); // a prefix is not the entry
  EXPECT_FALSE(parsePtxEntryParams(kPtx, "missing").ok());
  EXPECT_FALSE(
      parsePtxEntryParams(".entry k(.param .align 8 .b8 k_param_0[16]) { ret; }", "k").ok());
  EXPECT_FALSE(parsePtxEntryParams(".entry k(.param .u128 x) { ret; }", "k").ok());
}

TEST(KernelParamsTest, ChecksPtxParamsAgainstTheAbi) {
  using K = ParamKind;
  std::vector<PtxParam> declared = *parsePtxEntryParams(kPtx, "tessel_k");
  EXPECT_TRUE(checkPtxParams("tessel_k", declared, {K::kU64, K::kS64, K::kS32, K::kF32, K::kB16}).ok());
  // .b32 takes an f32 as well; .u64 takes an s64.
  EXPECT_TRUE(checkPtxParams("tessel_k", declared, {K::kS64, K::kS64, K::kF32, K::kF32, K::kB16}).ok());
  absl::Status count = checkPtxParams("tessel_k", declared, {K::kU64, K::kS64});
  EXPECT_EQ(count.code(), absl::StatusCode::kInternal);
  EXPECT_NE(count.message().find("declares 5 parameters"), absl::string_view::npos) << count;
  absl::Status size = checkPtxParams("tessel_k", declared, {K::kU64, K::kS32, K::kS32, K::kF32, K::kB16});
  EXPECT_NE(size.message().find("parameter 1"), absl::string_view::npos) << size;
  absl::Status floatForInt =
      checkPtxParams("tessel_k", declared, {K::kU64, K::kS64, K::kS32, K::kS32, K::kB16});
  EXPECT_NE(floatForInt.message().find("parameter 3 as .param .f32"), absl::string_view::npos)
      << floatForInt;
  std::vector<PtxParam> halves = {{".f16", 2}, {".bf16", 2}};
  EXPECT_TRUE(checkPtxParams("h", halves, {K::kB16, K::kB16}).ok());
  std::vector<PtxParam> intForFloat = {{".s32", 4}};
  EXPECT_FALSE(checkPtxParams("i", intForFloat, {K::kF32}).ok());
}

} // namespace
} // namespace tessel::cuda
