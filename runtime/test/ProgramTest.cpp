// The loader: what it builds from a valid module, and that every kind of broken module
// (truncated, corrupted, another version, bad indices, bad types, bad structure) is an
// error status, never a crash.
#include "TestModules.h"

#include "vm/Bytecode.h"

#include <cstdlib>
#include <functional>
#include <random>

namespace tessel::test {
namespace {

using vm::ValueKind;

void expectLoadError(const std::vector<uint8_t> &bytes, const std::string &substring,
                     absl::StatusCode code = absl::StatusCode::kInvalidArgument) {
  auto program = vm::loadProgram(bytes.data(), bytes.size());
  ASSERT_FALSE(program.ok()) << "expected an error containing '" << substring << "'";
  EXPECT_EQ(program.status().code(), code) << program.status();
  EXPECT_NE(program.status().message().find(substring), std::string::npos)
      << "message: " << program.status().message() << "\nexpected: " << substring;
}

TEST(Loader, LoadsVectorAdd) {
  std::vector<uint8_t> bytes = buildVectorAdd();
  auto program = vm::loadProgram(bytes.data(), bytes.size());
  ASSERT_TRUE(program.ok()) << program.status();
  const vm::Program &p = **program;
  EXPECT_EQ(p.version(), vm::kFormatVersion);
  EXPECT_EQ(p.producer(), "tessel-test");
  ASSERT_EQ(p.functions().size(), 2u);
  std::optional<uint32_t> vadd = p.findFunction("vadd"), main = p.findFunction("main");
  ASSERT_TRUE(vadd && main);
  EXPECT_FALSE(p.findFunction("nope"));
  const vm::Function &k = p.functions()[*vadd];
  EXPECT_EQ(k.kind, vm::FunctionKind::kKernel);
  EXPECT_EQ(k.numThreads(), 128);
  EXPECT_EQ(k.arguments().size(), 3u);
  ASSERT_EQ(k.body.body.size(), 8u);
  const vm::Instruction &load = k.body.body[3];
  EXPECT_EQ(load.opcode, Opcode::LoadGlobal);
  EXPECT_EQ(load.index, 3u);
  const vm::ValueType &rt = p.valueType(k, load.results[0]);
  EXPECT_EQ(rt.kind, ValueKind::kRTensor);
  EXPECT_EQ(rt.dtype, DType::f32());
  EXPECT_EQ(p.layoutOf(rt).toString(), "spatial(128).local(4)");
  EXPECT_EQ(k.body.body[5].kind, 0); // binary add
  const vm::Function &h = p.functions()[*main];
  EXPECT_EQ(h.kind, vm::FunctionKind::kHost);
  EXPECT_EQ(h.argumentNames, (std::vector<std::string>{"x", "y"}));
  for (const vm::Instruction &ins : h.body.body) {
    if (ins.opcode == Opcode::Launch) {
      EXPECT_EQ(ins.symbol, *vadd); // resolved by name
    }
  }
}

TEST(Loader, RejectsWrongIdentifierAndShortFiles) {
  std::vector<uint8_t> bytes = buildVectorAdd();
  std::vector<uint8_t> wrong = bytes;
  wrong[4] = 'X';
  expectLoadError(wrong, "file identifier is 'XSLM', expected 'TSLM'");
  for (size_t n = 0; n < 8; ++n)
    expectLoadError(std::vector<uint8_t>(bytes.begin(), bytes.begin() + long(n)), "too short");
  EXPECT_FALSE(vm::loadProgram(nullptr, 100).ok());
}

TEST(Loader, RejectsOtherVersionsNamingBoth) {
  ModuleBuilder mb;
  mb.index();
  expectLoadError(mb.finish(vm::kFormatVersion + 1), "version 2 but this runtime reads version 1",
                  absl::StatusCode::kFailedPrecondition);
  ModuleBuilder old;
  expectLoadError(old.finish(0), "version 0", absl::StatusCode::kFailedPrecondition);
}

TEST(Loader, EveryTruncationFails) {
  for (const std::vector<uint8_t> &bytes : {buildVectorAdd(), buildGemm(32, true)}) {
    ASSERT_TRUE(vm::loadProgram(bytes.data(), bytes.size()).ok());
    for (size_t n = 0; n < bytes.size(); ++n) {
      // A fresh copy of exactly n bytes, so that reading past it is caught by ASan.
      std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + long(n));
      auto program = vm::loadProgram(cut.data(), cut.size());
      EXPECT_FALSE(program.ok()) << "truncated to " << n << " of " << bytes.size();
    }
  }
}

// Random byte flips: loading never crashes; modules that still load also run without
// crashing (their results do not matter).
TEST(Loader, RandomCorruptionNeverCrashes) {
  struct Case {
    std::vector<uint8_t> bytes;
    std::vector<vm::HostTensorRef> inputs;
  };
  std::vector<float> x(1000, 1.0f), y(1000, 2.0f);
  std::vector<uint16_t> a(64 * 64, 0x3C00), b(64 * 64, 0x3C00);
  std::vector<Case> cases = {
      {buildVectorAdd(), {tensorRef(DType::f32(), {1000}, x), tensorRef(DType::f32(), {1000}, y)}},
      {buildGemm(32, true),
       {tensorRef(DType::f16(), {64, 64}, a), tensorRef(DType::f16(), {64, 64}, b)}}};
  std::mt19937 rng(1234);
  for (const Case &c : cases) {
    int loaded = 0, ran = 0;
    for (int trial = 0; trial < 2000; ++trial) {
      std::vector<uint8_t> corrupt = c.bytes;
      int flips = 1 + int(rng() % 4);
      for (int f = 0; f < flips; ++f)
        corrupt[rng() % corrupt.size()] ^= uint8_t(1u << (rng() % 8));
      auto program = vm::loadProgram(corrupt.data(), corrupt.size());
      if (!program.ok())
        continue;
      ++loaded;
      cpu::CpuBackend backend(cpu::CpuBackendOptions{1});
      for (uint32_t f = 0; f < (*program)->functions().size(); ++f)
        if ((*program)->functions()[f].kind == vm::FunctionKind::kHost)
          ran += vm::runHostFunction(**program, f, backend, c.inputs).ok();
    }
    std::printf("%d of 2000 corrupted modules loaded, %d ran\n", loaded, ran);
  }
}

// Structured mutations: one random change to the instructions of a valid module (an
// operand, a value's type, an attribute, an opcode, a dropped or moved instruction).
// Loading never crashes, and whatever loads also runs without crashing.
TEST(Loader, StructuredMutationsNeverCrash) {
  const char *env = std::getenv("TESSEL_FUZZ_TRIALS");
  int trials = env ? std::atoi(env) : 1500;
  std::vector<float> x(700, 1.0f), y(700, 2.0f);
  std::vector<uint16_t> a(64 * 96, 0x3C00), b(96 * 64, 0x3C00);
  std::mt19937 rng(99);
  for (int which = 0; which < 3; ++which) {
    int loaded = 0, ran = 0;
    for (int trial = 0; trial < trials; ++trial) {
      ModuleBuilder mb;
      std::vector<vm::HostTensorRef> inputs;
      if (which == 0) {
        defineVectorAdd(mb);
        inputs = {tensorRef(DType::f32(), {700}, x), tensorRef(DType::f32(), {700}, y)};
      } else {
        defineGemm(mb, 32, which == 2);
        inputs = {tensorRef(DType::f16(), {64, 96}, a), tensorRef(DType::f16(), {96, 64}, b)};
      }
      TFunction &f = mb.functions()[rng() % mb.functions().size()];
      // All instructions, nested ones included.
      std::vector<std::vector<TInst> *> lists;
      std::function<void(TRegion &)> collect = [&](TRegion &r) {
        lists.push_back(&r.body);
        for (TInst &i : r.body)
          for (TRegion &nested : i.regions)
            collect(nested);
      };
      collect(f.body);
      std::vector<TInst> &list = *lists[rng() % lists.size()];
      if (list.empty())
        continue;
      TInst &ins = list[rng() % list.size()];
      uint32_t values = uint32_t(f.valueTypes.size());
      switch (rng() % 7) {
      case 0:
        if (!ins.operands.empty())
          ins.operands[rng() % ins.operands.size()] = rng() % (values + 2);
        break;
      case 1: f.valueTypes[rng() % values] = uint32_t(rng() % (mb.numTypes() + 1)); break;
      case 2:
        if (!ins.attrs.empty()) {
          TAttr &attr = ins.attrs[rng() % ins.attrs.size()];
          int64_t choices[] = {-1, 0, 1, 2, 3, 7, 64, 1 << 20, INT64_MAX, INT64_MIN};
          if (!attr.ints.empty())
            attr.ints[0] = choices[rng() % 10];
          if (!attr.floats.empty())
            attr.floats[0] = double(choices[rng() % 10]);
          if (!attr.str.empty())
            attr.str = rng() % 2 ? "gemm_tile" : "main";
        }
        break;
      case 3: ins.opcode = uint16_t(rng() % (uint32_t(Opcode::kCount) + 2)); break;
      case 4: list.erase(list.begin() + long(&ins - list.data())); break;
      case 5: std::swap(ins, list[rng() % list.size()]); break;
      default:
        if (!ins.results.empty())
          ins.results[0] = rng() % (values + 2);
        break;
      }
      std::vector<uint8_t> bytes = mb.finish();
      auto program = vm::loadProgram(bytes.data(), bytes.size());
      if (!program.ok())
        continue;
      ++loaded;
      cpu::CpuBackend backend(cpu::CpuBackendOptions{1 + unsigned(trial % 2)});
      for (uint32_t g = 0; g < (*program)->functions().size(); ++g)
        if ((*program)->functions()[g].kind == vm::FunctionKind::kHost)
          ran += vm::runHostFunction(**program, g, backend, inputs).ok();
    }
    std::printf("module %d: %d of %d mutated modules loaded, %d ran\n", which, loaded, trials, ran);
    std::fflush(stdout);
  }
}

// A kernel with one instruction list written by `body`, for the negative tests.
std::vector<uint8_t>
kernelModule(const std::function<void(ModuleBuilder &, FunctionBuilder &)> &body, int32_t warps = 1,
             int64_t shared = 0) {
  ModuleBuilder mb;
  FunctionBuilder k = mb.kernel("k", warps, shared);
  body(mb, k);
  return mb.finish();
}

TEST(Loader, RejectsOutOfRangeIndices) {
  // A value of a type that does not exist.
  expectLoadError(kernelModule([](ModuleBuilder &mb, FunctionBuilder &k) {
                    k.op1(Opcode::BlockIdx, {}, 99, {intAttr("dim", 0)});
                    k.ret();
                  }),
                  "refers to type 99");
  // An operand that is not a value of the function.
  expectLoadError(kernelModule([](ModuleBuilder &mb, FunctionBuilder &k) {
                    uint32_t idx = mb.index();
                    k.op1(Opcode::AddI, {77, 77}, idx);
                    k.ret();
                  }),
                  "uses value 77 but the function has");
  // A register tile whose layout does not exist.
  expectLoadError(kernelModule([](ModuleBuilder &mb, FunctionBuilder &k) {
                    uint32_t r = mb.rawType(fb::TypeKind::RTensor, DType::f32(), {32}, 5);
                    k.op1(Opcode::AllocRegs, {}, r);
                    k.ret();
                  }),
                  "refers to layout 5 of 0");
  // A launch of a kernel that does not exist, and of a host function.
  {
    ModuleBuilder mb;
    uint32_t idx = mb.index();
    FunctionBuilder h = mb.host("main", {});
    uint32_t c1 = h.constantIndex(1);
    h.op(Opcode::Launch, {c1, c1, c1}, {}, {symbolAttr("kernel", "missing")});
    h.ret();
    (void)idx;
    expectLoadError(mb.finish(), "'missing' is not a kernel");
  }
  {
    ModuleBuilder mb;
    uint32_t g = mb.gtensor({4}, DType::f32());
    FunctionBuilder h = mb.host("main", {g});
    uint32_t v = h.op1(Opcode::GetGlobal, {}, g, {symbolAttr("name", "w")});
    h.ret({v});
    expectLoadError(mb.finish(), "'w' is not a constant");
  }
  // alloc_global's `uninitialized` is a flag (0 or 1).
  {
    ModuleBuilder mb;
    uint32_t g = mb.gtensor({4}, DType::f32());
    FunctionBuilder h = mb.host("main", {g});
    uint32_t v = h.op1(Opcode::AllocGlobal, {}, g, {intAttr("uninitialized", 2)});
    h.ret({v});
    expectLoadError(mb.finish(), "attribute 'uninitialized' is 2, expected 0..1");
  }
  // Appended kernel instructions are not host instructions (tbvm.slice once passed the
  // loader in a host function and failed only when run); tbvm.check needs an i1.
  {
    ModuleBuilder mb;
    FunctionBuilder h = mb.host("main", {});
    uint32_t t = mb.rtensor(DType::f32(), "spatial(32)");
    uint32_t a = h.value(t); // never defined: the opcode is rejected before its operands
    h.op1(Opcode::Slice, {a}, t, {intArrayAttr("offsets", {0})});
    h.ret();
    expectLoadError(mb.finish(), "(tbvm.slice): not allowed in a host function");
  }
  {
    ModuleBuilder mb;
    FunctionBuilder h = mb.host("main", {});
    uint32_t c1 = h.constantIndex(1);
    h.op(Opcode::Check, {c1}, {}, {stringAttr("message", "m")});
    h.ret();
    expectLoadError(mb.finish(), "needs an i1 condition");
  }
  // A constant whose data does not match its type.
  {
    ModuleBuilder mb;
    uint32_t g = mb.gtensor({4}, DType::f32());
    mb.constant("w", g, std::vector<uint8_t>(15));
    expectLoadError(mb.finish(), "needs 16 bytes of data, has 15");
  }
  {
    ModuleBuilder mb;
    mb.constant("w", 3, std::vector<uint8_t>(16));
    expectLoadError(mb.finish(), "refers to type 3");
  }
}

TEST(Loader, RejectsBadDefinitions) {
  expectLoadError(kernelModule([](ModuleBuilder &mb, FunctionBuilder &k) {
                    uint32_t idx = mb.index();
                    uint32_t later = k.value(idx);
                    k.op1(Opcode::AddI, {later, later}, idx);
                    k.function().body.body.push_back(
                        {uint16_t(Opcode::BlockIdx), {}, {later}, {intAttr("dim", 0)}, {}});
                    k.ret();
                  }),
                  "before it is defined");
  expectLoadError(kernelModule([](ModuleBuilder &mb, FunctionBuilder &k) {
                    uint32_t idx = mb.index();
                    uint32_t a = k.op1(Opcode::BlockIdx, {}, idx, {intAttr("dim", 0)});
                    k.function().body.body.push_back(
                        {uint16_t(Opcode::BlockIdx), {}, {a}, {intAttr("dim", 1)}, {}});
                    k.ret();
                  }),
                  "defined twice");
  // A value defined inside an scf.if region used after it.
  expectLoadError(kernelModule([](ModuleBuilder &mb, FunctionBuilder &k) {
                    uint32_t i1 = mb.scalar(DType::signlessInt(1)), idx = mb.index();
                    uint32_t c = k.constantInt(i1, 1);
                    k.beginRegion();
                    uint32_t inner = k.constantIndex(3);
                    k.op(Opcode::Yield, {});
                    TRegion then = k.endRegion();
                    k.beginRegion();
                    TRegion otherwise = k.endRegion();
                    k.op(Opcode::If, {c}, {}, {}, {std::move(then), std::move(otherwise)});
                    k.op1(Opcode::AddI, {inner, inner}, idx);
                    k.ret();
                  }),
                  "does not enclose it");
  // A value with a type but no definition.
  expectLoadError(kernelModule([](ModuleBuilder &mb, FunctionBuilder &k) {
                    k.value(mb.index());
                    k.ret();
                  }),
                  "never defined");
  // No terminator; a terminator in the middle.
  expectLoadError(kernelModule([](ModuleBuilder &mb, FunctionBuilder &k) { k.constantIndex(1); }),
                  "does not end with tbvm.return");
  expectLoadError(kernelModule([](ModuleBuilder &mb, FunctionBuilder &k) {
                    k.ret();
                    k.constantIndex(1);
                    k.ret();
                  }),
                  "a terminator must end its block");
  // An unknown opcode.
  expectLoadError(kernelModule([](ModuleBuilder &mb, FunctionBuilder &k) {
                    k.function().body.body.push_back({9999, {}, {}, {}, {}});
                    k.ret();
                  }),
                  "unknown opcode 9999");
}

TEST(Loader, RejectsBadInstructions) {
  auto tile = [](ModuleBuilder &mb, const char *layout, DType d = DType::f32()) {
    return mb.rtensor(d, layout);
  };
  // load_global: the tile's rank differs from the tensor's.
  expectLoadError(kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
                    uint32_t g = mb.gtensor({-1, -1}, DType::f32());
                    uint32_t x = k.arg(g);
                    uint32_t c0 = k.constantIndex(0);
                    k.op1(Opcode::LoadGlobal, {x, c0, c0}, tile(mb, "spatial(32)"));
                    k.ret();
                  }),
                  "moves a tile of rank 1 to or from a tensor of rank 2");
  // load_global with too few indices.
  expectLoadError(kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
                    uint32_t x = k.arg(mb.gtensor({-1}, DType::f32()));
                    k.op1(Opcode::LoadGlobal, {x}, tile(mb, "spatial(32)"));
                    k.ret();
                  }),
                  "needs 1 indices, got 0");
  // A register tile that spans 64 threads in a 1-warp kernel.
  expectLoadError(kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
                    k.op1(Opcode::AllocRegs, {}, tile(mb, "spatial(64)"));
                    k.ret();
                  }),
                  "spans 64");
  // dot shapes that do not chain.
  expectLoadError(kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
                    uint32_t a = k.op1(Opcode::AllocRegs, {},
                                       tile(mb, "spatial(4,8).local(1,2)", DType::f16()));
                    uint32_t b = k.op1(Opcode::AllocRegs, {},
                                       tile(mb, "spatial(4,8).local(1,2)", DType::f16()));
                    uint32_t c = k.op1(Opcode::AllocRegs, {}, tile(mb, "spatial(4,8)"));
                    k.op1(Opcode::Dot, {a, b, c}, tile(mb, "spatial(4,8)"));
                    k.ret();
                  }),
                  "do not form [M, K] x [K, N] + [M, N]");
  // dot of f16 into i32.
  expectLoadError(
      kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
        uint32_t a = k.op1(Opcode::AllocRegs, {}, tile(mb, "spatial(4,8)", DType::f16()));
        uint32_t b = k.op1(Opcode::AllocRegs, {}, tile(mb, "spatial(8,4)", DType::f16()));
        uint32_t c = k.op1(Opcode::AllocRegs, {},
                           tile(mb, "spatial(4,4).replicate(2)", DType::signlessInt(32)));
        k.op1(Opcode::Dot, {a, b, c},
              tile(mb, "spatial(4,4).replicate(2)", DType::signlessInt(32)));
        k.ret();
      }),
      "multiplies f16 into i32");
  // view with different bits per thread.
  expectLoadError(
      kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
        uint32_t a =
            k.op1(Opcode::AllocRegs, {}, tile(mb, "spatial(32).local(3)", DType::unsignedInt(8)));
        k.op1(Opcode::View, {a}, tile(mb, "spatial(32).local(7)", DType::unsignedInt(3)));
        k.ret();
      }),
      "each thread holds 24 bits");
  // alloc_shared past the kernel's shared memory, and without an offset.
  expectLoadError(kernelModule(
                      [&](ModuleBuilder &mb, FunctionBuilder &k) {
                        k.op1(Opcode::AllocShared, {}, mb.stensor({16, 16}, DType::f16()),
                              {intAttr("offset", 64)});
                        k.ret();
                      },
                      1, 512),
                  "places 512 bytes at offset 64 but the kernel has 512 bytes");
  expectLoadError(kernelModule(
                      [&](ModuleBuilder &mb, FunctionBuilder &k) {
                        k.op1(Opcode::AllocShared, {}, mb.stensor({16}, DType::f16()));
                        k.ret();
                      },
                      1, 512),
                  "needs the attribute 'offset'");
  // A shared slice that would start inside a byte (3 x 3-bit elements).
  expectLoadError(kernelModule(
                      [&](ModuleBuilder &mb, FunctionBuilder &k) {
                        uint32_t s = k.op1(Opcode::AllocShared, {}, mb.stensor({4, 3}, DType::unsignedInt(3)),
                                           {intAttr("offset", 0)});
                        k.op1(Opcode::SharedSlice, {s, k.constantIndex(1)},
                              mb.stensor({3}, DType::unsignedInt(3)));
                        k.ret();
                      },
                      1, 512),
                  "selects tiles of 9 bits, not whole bytes");
  // binary: kind out of range; integer-only kind on floats; mismatched layouts.
  expectLoadError(kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
                    uint32_t t = tile(mb, "spatial(32)");
                    uint32_t a = k.op1(Opcode::AllocRegs, {}, t);
                    k.op1(Opcode::Binary, {a, a}, t, {intAttr("kind", 12)});
                    k.ret();
                  }),
                  "attribute 'kind' is 12, expected 0..11");
  expectLoadError(kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
                    uint32_t t = tile(mb, "spatial(32)");
                    uint32_t a = k.op1(Opcode::AllocRegs, {}, t);
                    k.op1(Opcode::Binary, {a, a}, t, {intAttr("kind", 7)});
                    k.ret();
                  }),
                  "does not apply to f32");
  expectLoadError(
      kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
        uint32_t a = k.op1(Opcode::AllocRegs, {}, tile(mb, "spatial(32).local(2)"));
        k.op1(Opcode::Binary, {a, a}, tile(mb, "local(2).spatial(32)"), {intAttr("kind", 0)});
        k.ret();
      }),
      "need the same shape and layout");
  // cast: another layout is checked when a backend prepares the kernel; another shape is
  // a load error.
  expectLoadError(kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
                    uint32_t a = k.op1(Opcode::AllocRegs, {}, tile(mb, "spatial(32).local(2)"));
                    k.op1(Opcode::Cast, {a}, mb.rtensor(DType::f16(), "spatial(32,1).local(1,2)"));
                    k.ret();
                  }),
                  "needs the same shape");
  // reduce with a result layout that is not the reduced source layout.
  expectLoadError(kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
                    uint32_t a = k.op1(Opcode::AllocRegs, {}, tile(mb, "spatial(4,8).local(2,2)"));
                    k.op1(Opcode::Reduce, {a}, tile(mb, "local(8,1).spatial(1,32)"),
                          {intAttr("kind", 0), intAttr("dimension", 1)});
                    k.ret();
                  }),
                  "reduced along dimension 1");
  // slice: offsets missing, of the wrong count, or placing the tile outside the source.
  auto sliceModule = [&](std::vector<TAttr> attrs) {
    return kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
      uint32_t a = k.op1(Opcode::AllocRegs, {}, tile(mb, "spatial(1,32).local(8,1)"));
      k.op1(Opcode::Slice, {a}, tile(mb, "spatial(1,32).local(2,1)"), std::move(attrs));
      k.ret();
    });
  };
  expectLoadError(sliceModule({}), "needs 'offsets', one integer per dimension (2)");
  expectLoadError(sliceModule({intArrayAttr("offsets", {1})}), "one integer per dimension");
  expectLoadError(sliceModule({intArrayAttr("offsets", {7, 0})}),
                  "at offsets [7, 0] does not lie inside");
  expectLoadError(sliceModule({intArrayAttr("offsets", {-1, 0})}), "does not lie inside");
  {
    std::vector<uint8_t> ok = sliceModule({intArrayAttr("offsets", {6, 0})});
    EXPECT_TRUE(vm::loadProgram(ok.data(), ok.size()).ok());
  }
  // prefetch: a global tensor, one index per dimension, a box of positive extents.
  auto prefetchModule = [&](std::vector<TAttr> attrs, size_t indices = 2) {
    return kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
      uint32_t w = k.arg(mb.gtensor({-1, 64}, DType::signlessInt(8)), "w");
      std::vector<uint32_t> operands{w};
      for (size_t i = 0; i < indices; ++i)
        operands.push_back(k.constantIndex(0));
      k.op(Opcode::Prefetch, operands, {}, std::move(attrs));
      k.ret();
    });
  };
  expectLoadError(prefetchModule({}), "needs 'shape', one extent per dimension (2)");
  expectLoadError(prefetchModule({intArrayAttr("shape", {4, 64})}, 1), "needs 2 indices, got 1");
  expectLoadError(prefetchModule({intArrayAttr("shape", {0, 64})}), "must have positive extents");
  expectLoadError(prefetchModule({intArrayAttr("shape", {1 << 20, 64})}), "at most 2^24 elements");
  expectLoadError(kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
                    uint32_t s = k.arg(mb.gtensor({}, DType::f32()), "s");
                    k.op(Opcode::Prefetch, {s}, {}, {intArrayAttr("shape", {})});
                    k.ret();
                  }),
                  "needs a tensor of rank 1 or more");
  {
    std::vector<uint8_t> ok = prefetchModule({intArrayAttr("shape", {4, 64})});
    EXPECT_TRUE(vm::loadProgram(ok.data(), ok.size()).ok());
  }
  // tbvm.check: a host instruction with an i1 condition and a message.
  expectLoadError(kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
                    uint32_t c = k.op1(Opcode::Constant, {}, mb.scalar(DType::signlessInt(1)),
                                       {intAttr("value", 1)});
                    k.op(Opcode::Check, {c}, {}, {stringAttr("message", "m")});
                    k.ret();
                  }),
                  "not allowed in a kernel");
  // tbvm.resident_blocks: a host instruction naming a kernel.
  expectLoadError(kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
                    k.op1(Opcode::ResidentBlocks, {}, mb.index(), {symbolAttr("kernel", "k")});
                    k.ret();
                  }),
                  "not allowed in a kernel");
  {
    ModuleBuilder mb;
    FunctionBuilder h = mb.host("main", {});
    h.op1(Opcode::ResidentBlocks, {}, mb.index(), {symbolAttr("kernel", "nothing")});
    h.ret();
    expectLoadError(mb.finish(), "'nothing' is not a kernel of the module");
  }
  // Host-only instructions in a kernel.
  expectLoadError(kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
                    k.op1(Opcode::AllocGlobal, {}, mb.gtensor({4}, DType::f32()));
                    k.ret();
                  }),
                  "not allowed in a kernel");
  // scf.for whose yield does not match.
  expectLoadError(kernelModule([&](ModuleBuilder &mb, FunctionBuilder &k) {
                    uint32_t idx = mb.index();
                    uint32_t c0 = k.constantIndex(0), c1 = k.constantIndex(1);
                    uint32_t iv = k.value(idx), it = k.value(idx);
                    k.beginRegion({iv, it});
                    k.op(Opcode::Yield, {});
                    TRegion body = k.endRegion();
                    k.op(Opcode::For, {c0, c1, c1, c0}, {idx}, {}, {std::move(body)});
                    k.ret();
                  }),
                  "a region yields 0 values, expected 1");
  // A bad layout and a bad dtype in the tables.
  {
    ModuleBuilder mb;
    mb.gtensor({4}, DType::lowpFloat(9, 1)); // invalid: no such format
    expectLoadError(mb.finish(), "type 0 has an integer of 0 bits");
  }
  {
    ModuleBuilder mb;
    mb.scalar(DType::unsignedInt(8));
    expectLoadError(mb.finish(), "scalars are signless integers, f16, bf16 or f32");
  }
  {
    ModuleBuilder mb;
    mb.stensor({10}, DType::f16(), vm::Swizzle{1, 0, 1});
    expectLoadError(mb.finish(), "not a multiple of its swizzle's period 4");
  }
  {
    // Found by the loader fuzzer: the sum of the swizzle's fields overflowed an int.
    ModuleBuilder mb;
    mb.stensor({16}, DType::f16(), vm::Swizzle{1, 2147483647, 2});
    expectLoadError(mb.finish(), "has an invalid swizzle<1, 2147483647, 2>");
    ModuleBuilder mb2;
    mb2.stensor({16}, DType::f16(), vm::Swizzle{2147483647, 2147483647, 2147483647});
    expectLoadError(mb2.finish(), "has an invalid swizzle");
  }
}

TEST(Loader, KernelSignatureRules) {
  ModuleBuilder mb;
  FunctionBuilder k = mb.kernel("k", 40);
  k.ret();
  expectLoadError(mb.finish(), "needs 1..32 warps, has 40");
  {
    ModuleBuilder mb3;
    FunctionBuilder k3 = mb3.kernel("k", 1);
    mb3.setMinBlocksPerSm(33);
    k3.ret();
    expectLoadError(mb3.finish(), "asks for 33 blocks per SM (0..32 allowed)");
  }
  ModuleBuilder mb2;
  FunctionBuilder k2 = mb2.kernel("k", 1);
  k2.arg(mb2.scalar(DType::signlessInt(8)));
  k2.ret();
  expectLoadError(mb2.finish(), "kernel arguments are global tensors");
  ModuleBuilder mb3;
  FunctionBuilder h = mb3.host("h", {});
  h.arg(mb3.index());
  h.ret();
  expectLoadError(mb3.finish(), "host inputs are global tensors");
  ModuleBuilder mb4;
  mb4.kernel("same", 1).ret();
  mb4.kernel("same", 1).ret();
  expectLoadError(mb4.finish(), "has the name of an earlier function");
}

} // namespace
} // namespace tessel::test
