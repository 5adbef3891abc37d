// Scalar (arith) semantics, observed through tbvm.print in a kernel, and scf control flow
// in a host function.
#include "TestModules.h"

#include <map>
#include <sstream>

namespace tessel::test {
namespace {

struct Case {
  Opcode opcode;
  DType in; // operand type (index when bits == 64 and isIndex)
  bool inIsIndex;
  DType out;
  bool outIsIndex;
  std::vector<double> operands; // converted to the operand type by arith.constant
  int64_t predicate;
  std::string expected;
};

DType i(unsigned bits) { return DType::signlessInt(bits); }

TEST(CpuScalar, ArithSemantics) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<Case> cases = {
      {Opcode::AddI, i(32), false, i(32), false, {2147483647, 1}, -1, "-2147483648"},
      {Opcode::DivSI, i(32), false, i(32), false, {-7, 2}, -1, "-3"},
      {Opcode::RemSI, i(32), false, i(32), false, {-7, 2}, -1, "-1"},
      {Opcode::CeilDivSI, i(32), false, i(32), false, {-7, 2}, -1, "-3"},
      {Opcode::CeilDivSI, i(32), false, i(32), false, {7, 2}, -1, "4"},
      {Opcode::FloorDivSI, i(32), false, i(32), false, {-7, 2}, -1, "-4"},
      {Opcode::DivSI, i(32), false, i(32), false, {-2147483648.0, -1}, -1, "-2147483648"},
      {Opcode::DivUI, i(8), false, i(8), false, {-1, 2}, -1, "127"},
      {Opcode::RemUI, i(8), false, i(8), false, {-1, 10}, -1, "5"},
      {Opcode::CeilDivUI, i(8), false, i(8), false, {7, 2}, -1, "4"},
      {Opcode::ShLI, i(8), false, i(8), false, {1, 7}, -1, "-128"},
      {Opcode::ShLI, i(8), false, i(8), false, {1, 8}, -1, "0"},
      {Opcode::ShRSI, i(8), false, i(8), false, {-128, 9}, -1, "-1"},
      {Opcode::ShRUI, i(8), false, i(8), false, {-128, 7}, -1, "1"},
      {Opcode::MinUI, i(8), false, i(8), false, {-1, 1}, -1, "1"},
      {Opcode::MaxUI, i(8), false, i(8), false, {-1, 1}, -1, "-1"},
      {Opcode::CmpI, i(8), false, i(1), false, {-1, 1}, 6, "false"}, // ult
      {Opcode::CmpI, i(8), false, i(1), false, {-1, 1}, 2, "true"},  // slt
      {Opcode::CmpI, i(64), true, i(1), false, {5, 5}, 3, "true"},   // sle on index
      {Opcode::SIToFP, i(32), false, DType::f32(), false, {16777217}, -1, "16777216"},
      {Opcode::SIToFP, i(32), false, DType::f16(), false, {2049}, -1, "2048"},
      {Opcode::UIToFP, i(8), false, DType::f32(), false, {-1}, -1, "255"},
      {Opcode::FPToSI, DType::f32(), false, i(32), false, {1e10}, -1, "2147483647"},
      {Opcode::FPToSI, DType::f32(), false, i(32), false, {-2.7}, -1, "-2"},
      {Opcode::FPToSI, DType::f32(), false, i(32), false, {nan}, -1, "0"},
      {Opcode::FPToUI, DType::f32(), false, i(8), false, {-5}, -1, "0"},
      {Opcode::FPToUI, DType::f32(), false, i(8), false, {300}, -1, "-1"},    // 255, read signed
      {Opcode::CmpF, DType::f32(), false, i(1), false, {nan, 1}, 13, "true"}, // une
      {Opcode::CmpF, DType::f32(), false, i(1), false, {nan, 1}, 6, "false"}, // one
      {Opcode::CmpF, DType::f32(), false, i(1), false, {nan, 1}, 14, "true"}, // uno
      {Opcode::CmpF, DType::f32(), false, i(1), false, {2, 1}, 2, "true"},    // ogt
      {Opcode::MaximumF, DType::f32(), false, DType::f32(), false, {nan, 1}, -1, "nan"},
      {Opcode::MaximumF, DType::f32(), false, DType::f32(), false, {-0.0, 0.0}, -1, "0"},
      {Opcode::MinimumF, DType::f32(), false, DType::f32(), false, {-0.0, 0.0}, -1, "-0"},
      {Opcode::TruncF, DType::f32(), false, DType::f16(), false, {65520}, -1, "inf"},
      {Opcode::TruncF, DType::f32(), false, DType::f16(), false, {1.0 / 3}, -1, "0.333251953"},
      {Opcode::AddF, DType::f16(), false, DType::f16(), false, {2048, 1}, -1, "2048"},
      {Opcode::AddF, DType::f16(), false, DType::f16(), false, {2048, 3}, -1, "2052"},
      {Opcode::DivF, DType::bf16(), false, DType::bf16(), false, {1, 3}, -1, "0.333984375"},
      {Opcode::IndexCastUI, i(8), false, i(64), true, {-1}, -1, "255"},
      {Opcode::IndexCast, i(8), false, i(64), true, {-1}, -1, "-1"},
      {Opcode::ExtUI, i(1), false, i(32), false, {1}, -1, "1"},
      {Opcode::ExtSI, i(1), false, i(32), false, {1}, -1, "-1"},
      {Opcode::TruncI, i(32), false, i(8), false, {300}, -1, "44"},
      {Opcode::NegF, DType::f32(), false, DType::f32(), false, {0}, -1, "-0"},
  };
  ModuleBuilder mb;
  FunctionBuilder k = mb.kernel("k", 1);
  auto typeOf = [&](DType d, bool isIndex) { return isIndex ? mb.index() : mb.scalar(d); };
  for (size_t c = 0; c < cases.size(); ++c) {
    const Case &t = cases[c];
    uint32_t inType = typeOf(t.in, t.inIsIndex);
    std::vector<uint32_t> operands;
    for (double v : t.operands)
      operands.push_back(t.in.isFloat() ? k.constantFloat(inType, v)
                                        : k.constantInt(inType, int64_t(v)));
    std::vector<TAttr> attrs;
    if (t.predicate >= 0)
      attrs.push_back(intAttr("predicate", t.predicate));
    uint32_t r = k.op1(t.opcode, operands, typeOf(t.out, t.outIsIndex), attrs);
    k.op(Opcode::Print, {r}, {}, {stringAttr("label", "c" + std::to_string(c))});
  }
  // 2^60 + 2^36 + 1 to f32: a double holds 2^60 + 2^36 (a tie that rounds down), the
  // exact value rounds up to 2^60 + 2^37.
  uint32_t i64 = mb.scalar(i(64));
  uint32_t r =
      k.op1(Opcode::SIToFP, {k.constantInt(i64, (int64_t(1) << 60) + (int64_t(1) << 36) + 1)},
            mb.scalar(DType::f32()));
  k.op(Opcode::Print, {r}, {}, {stringAttr("label", "big")});
  k.ret();
  std::vector<uint8_t> module = mb.finish();
  auto program = vm::loadProgram(module.data(), module.size());
  ASSERT_TRUE(program.ok()) << program.status();
  cpu::CpuBackend backend(cpu::CpuBackendOptions{1});
  testing::internal::CaptureStderr();
  absl::Status s = backend.launch(**program, 0, {}, {});
  std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(s.ok()) << s;
  std::map<std::string, std::string> printed;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) {
    size_t space = line.find(' '), colon = line.find("): ");
    if (space != std::string::npos && colon != std::string::npos)
      printed[line.substr(0, space)] = line.substr(colon + 3);
  }
  for (size_t c = 0; c < cases.size(); ++c)
    EXPECT_EQ(printed["c" + std::to_string(c)], cases[c].expected)
        << "case " << c << " (" << vm::opcodeName(cases[c].opcode) << ")";
  EXPECT_EQ(printed["big"], "1.15292164e+18"); // 2^60 + 2^37; 2^60 prints 1.1529215e+18
}

// scf.for and scf.if in a host function: launch a kernel once per iteration, choosing the
// kernel by a condition.
TEST(CpuScalar, HostControlFlow) {
  ModuleBuilder mb;
  uint32_t idx = mb.index(), i1 = mb.scalar(DType::signlessInt(1));
  uint32_t g = mb.gtensor({32}, DType::f32());
  uint32_t r = mb.rtensor(DType::f32(), "spatial(32)");
  for (int add : {1, 10}) {
    FunctionBuilder k = mb.kernel(add == 1 ? "add1" : "add10", 1);
    uint32_t x = k.arg(g);
    uint32_t c0 = k.constantIndex(0);
    uint32_t t = k.op1(Opcode::LoadGlobal, {x, c0}, r);
    uint32_t s = k.op1(Opcode::Binary, {t, k.constantFloat(mb.scalar(DType::f32()), add)}, r,
                       {intAttr("kind", 0)});
    k.op(Opcode::StoreGlobal, {s, x, c0});
    k.ret();
  }
  FunctionBuilder h = mb.host("main", {g});
  uint32_t in = h.arg(g, "x");
  uint32_t c0 = h.constantIndex(0), c1 = h.constantIndex(1), c2 = h.constantIndex(2),
           c5 = h.constantIndex(5);
  uint32_t iv = h.value(idx);
  h.beginRegion({iv});
  uint32_t odd =
      h.op1(Opcode::CmpI, {h.op1(Opcode::RemUI, {iv, c2}, idx), c1}, i1, {intAttr("predicate", 0)});
  h.beginRegion();
  h.op(Opcode::Launch, {c1, c1, c1, in}, {}, {symbolAttr("kernel", "add10")});
  h.op(Opcode::Yield, {});
  TRegion then = h.endRegion();
  h.beginRegion();
  h.op(Opcode::Launch, {c1, c1, c1, in}, {}, {symbolAttr("kernel", "add1")});
  h.op(Opcode::Yield, {});
  TRegion otherwise = h.endRegion();
  h.op(Opcode::If, {odd}, {}, {}, {std::move(then), std::move(otherwise)});
  h.op(Opcode::Yield, {});
  TRegion body = h.endRegion();
  h.op(Opcode::For, {c0, c5, c1}, {}, {}, {std::move(body)});
  h.ret({in});
  std::vector<float> x(32, 0.5f);
  auto out = runModule(mb.finish(), "main", {tensorRef(DType::f32(), {32}, x)});
  ASSERT_TRUE(out.ok()) << out.status();
  // iterations 0..4: +1 +10 +1 +10 +1; the caller's input is not modified.
  EXPECT_EQ(elementsOf<float>((*out)[0]), std::vector<float>(32, 23.5f));
  EXPECT_EQ(x, std::vector<float>(32, 0.5f));
}

// tbvm.resident_blocks: the CPU executor runs one block per worker thread; a host
// function can size its grid (and outputs) with it.
TEST(CpuScalar, ResidentBlocksAreTheWorkerThreads) {
  ModuleBuilder mb;
  uint32_t idx = mb.index();
  uint32_t g = mb.gtensor({-1}, DType::f32());
  uint32_t one = mb.rtensor(DType::f32(), "local(1).replicate(32)");
  {
    FunctionBuilder k = mb.kernel("mark", 1);
    uint32_t y = k.arg(g);
    uint32_t b = k.op1(Opcode::BlockIdx, {}, idx, {intAttr("dim", 0)});
    uint32_t t = k.op1(Opcode::AllocRegs, {k.constantFloat(mb.scalar(DType::f32()), 1.0)}, one);
    k.op(Opcode::StoreGlobal, {t, y, b});
    k.ret();
  }
  FunctionBuilder h = mb.host("main", {g});
  uint32_t r = h.op1(Opcode::ResidentBlocks, {}, idx, {symbolAttr("kernel", "mark")});
  uint32_t y = h.op1(Opcode::AllocGlobal, {r}, g);
  uint32_t c1 = h.constantIndex(1);
  h.op(Opcode::Launch, {r, c1, c1, y}, {}, {symbolAttr("kernel", "mark")});
  h.ret({y});
  std::vector<uint8_t> module = mb.finish();
  for (unsigned threads : {1u, 3u}) {
    auto out = runModule(module, "main", {}, threads);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(elementsOf<float>((*out)[0]), std::vector<float>(threads, 1.0f)) << threads;
  }
}

} // namespace
} // namespace tessel::test
