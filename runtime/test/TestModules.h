// Complete test modules shared by the loader and executor tests.
#ifndef TESSEL_RUNTIME_TEST_TESTMODULES_H
#define TESSEL_RUNTIME_TEST_TESTMODULES_H

#include "ExecTestUtil.h"

namespace tessel::test {

using vm::DType;
using vm::Opcode;

/// A vector-add host function's start: its inputs x, y, the output z of x's length and
/// the grid of 512-element blocks.
struct VectorAddHost {
  uint32_t x, y, z, blocks, c1;
};
inline VectorAddHost vectorAddHost(FunctionBuilder &h, uint32_t g, uint32_t idx) {
  VectorAddHost v;
  v.x = h.arg(g, "x"), v.y = h.arg(g, "y");
  uint32_t n = h.op1(Opcode::Dim, {v.x}, idx, {intAttr("index", 0)});
  v.z = h.op1(Opcode::AllocGlobal, {n}, g);
  uint32_t c512 = h.constantIndex(512);
  v.c1 = h.constantIndex(1);
  v.blocks = h.op1(Opcode::CeilDivUI, {n, c512}, idx);
  return v;
}

/// z = x + y over f32 vectors of any length: 4 warps, 512 elements per block.
inline void defineVectorAdd(ModuleBuilder &mb) {
  uint32_t idx = mb.index();
  uint32_t g = mb.gtensor({-1}, DType::f32());
  uint32_t r = mb.rtensor(DType::f32(), "spatial(128).local(4)");
  {
    FunctionBuilder k = mb.kernel("vadd", 4);
    uint32_t x = k.arg(g), y = k.arg(g), z = k.arg(g);
    uint32_t b = k.op1(Opcode::BlockIdx, {}, idx, {intAttr("dim", 0)});
    uint32_t c512 = k.constantIndex(512);
    uint32_t off = k.op1(Opcode::MulI, {b, c512}, idx);
    uint32_t a = k.op1(Opcode::LoadGlobal, {x, off}, r);
    uint32_t c = k.op1(Opcode::LoadGlobal, {y, off}, r);
    uint32_t s = k.op1(Opcode::Binary, {a, c}, r, {intAttr("kind", 0)});
    k.op(Opcode::StoreGlobal, {s, z, off});
    k.ret();
  }
  {
    FunctionBuilder h = mb.host("main", {g});
    VectorAddHost v = vectorAddHost(h, g, idx);
    h.op(Opcode::Launch, {v.blocks, v.c1, v.c1, v.x, v.y, v.z}, {}, {symbolAttr("kernel", "vadd")});
    h.ret({v.z});
  }
}
inline std::vector<uint8_t> buildVectorAdd() {
  ModuleBuilder mb;
  defineVectorAdd(mb);
  return mb.finish();
}

/// vadd and host function "thrice": z = x + y, z += y twice, as three launches: two
/// directly after one another (the first is queued, launchQueued), then a constant, then
/// the third. With `emptySecond` the second launch has an empty grid (z = x + 2 y), which
/// must still wait for the queued first.
inline std::vector<uint8_t> buildVectorAddThrice(bool emptySecond = false) {
  ModuleBuilder mb;
  defineVectorAdd(mb);
  uint32_t idx = mb.index();
  uint32_t g = mb.gtensor({-1}, DType::f32());
  FunctionBuilder h = mb.host("thrice", {g});
  VectorAddHost v = vectorAddHost(h, g, idx);
  uint32_t second = emptySecond ? h.constantIndex(0) : v.blocks;
  h.op(Opcode::Launch, {v.blocks, v.c1, v.c1, v.x, v.y, v.z}, {}, {symbolAttr("kernel", "vadd")});
  h.op(Opcode::Launch, {second, v.c1, v.c1, v.z, v.y, v.z}, {}, {symbolAttr("kernel", "vadd")});
  h.constantIndex(2);
  h.op(Opcode::Launch, {v.blocks, v.c1, v.c1, v.z, v.y, v.z}, {}, {symbolAttr("kernel", "vadd")});
  h.ret({v.z});
  return mb.finish();
}

/// The layouts of a 64x64 f32 tile computed by 4 warps (2x2) of mma.m16n8k16 fragments,
/// with its 64xBK f16 A and BKx64 B operands.
struct GemmLayouts {
  vm::Layout a, b, c;
};
inline GemmLayouts gemmLayouts(int64_t bk) {
  vm::Layout mmaA = layoutOf("column_local(2,2).spatial(8,4).local(1,2)");
  vm::Layout mmaB = layoutOf("local(2,1).column_spatial(4,8).local(2,1)");
  vm::Layout mmaC = layoutOf("local(2,1).spatial(8,4).local(1,2)");
  GemmLayouts l;
  l.c = *vm::Layout::spatial({2, 2}).compose(vm::Layout::local({2, 4})).value().compose(mmaC);
  l.a = *vm::Layout::spatial({2, 1})
             .compose(vm::Layout::replicate(2))
             .value()
             .compose(vm::Layout::local({2, bk / 16}))
             .value()
             .compose(mmaA);
  l.b = *vm::Layout::replicate(2)
             .compose(vm::Layout::spatial({1, 2}))
             .value()
             .compose(vm::Layout::local({bk / 16, 4}))
             .value()
             .compose(mmaB);
  return l;
}

/// C[M, N] (f32) = A[M, K] x B[K, N] (f16), 64x64 tiles per block, K in steps of `bk`.
/// viaShared: A and B go through swizzled shared memory (copy_async, load_matrix).
inline void defineGemm(ModuleBuilder &mb, int64_t bk, bool viaShared) {
  GemmLayouts l = gemmLayouts(bk);
  uint32_t idx = mb.index();
  uint32_t g16 = mb.gtensor({-1, -1}, DType::f16()), g32 = mb.gtensor({-1, -1}, DType::f32());
  uint32_t ra = mb.rtensor(DType::f16(), l.a), rb = mb.rtensor(DType::f16(), l.b),
           rc = mb.rtensor(DType::f32(), l.c);
  vm::Swizzle swizzle{3, 3, 3};
  uint32_t sa = mb.stensor({64, bk}, DType::f16(), swizzle),
           sb = mb.stensor({bk, 64}, DType::f16(), swizzle);
  int64_t aBytes = 64 * bk * 2;
  {
    FunctionBuilder k = mb.kernel("gemm_tile", 4, viaShared ? 2 * aBytes : 0);
    uint32_t A = k.arg(g16), B = k.arg(g16), C = k.arg(g32);
    uint32_t bm = k.op1(Opcode::BlockIdx, {}, idx, {intAttr("dim", 0)});
    uint32_t bn = k.op1(Opcode::BlockIdx, {}, idx, {intAttr("dim", 1)});
    uint32_t c64 = k.constantIndex(64), c0 = k.constantIndex(0), cbk = k.constantIndex(bk);
    uint32_t m0 = k.op1(Opcode::MulI, {bm, c64}, idx);
    uint32_t n0 = k.op1(Opcode::MulI, {bn, c64}, idx);
    uint32_t kDim = k.op1(Opcode::Dim, {A}, idx, {intAttr("index", 1)});
    uint32_t zero = k.op1(Opcode::AllocRegs, {}, rc);
    uint32_t sA = 0, sB = 0;
    if (viaShared) {
      sA = k.op1(Opcode::AllocShared, {}, sa, {intAttr("offset", 0)});
      sB = k.op1(Opcode::AllocShared, {}, sb, {intAttr("offset", aBytes)});
    }
    uint32_t iv = k.value(idx), acc = k.value(rc);
    k.beginRegion({iv, acc});
    uint32_t a, b;
    if (viaShared) {
      k.op(Opcode::CopyAsync, {A, m0, iv, sA});
      k.op(Opcode::CopyAsync, {B, iv, n0, sB});
      k.op(Opcode::CopyAsyncCommit, {});
      k.op(Opcode::CopyAsyncWait, {}, {}, {intAttr("pending", 0)});
      k.op(Opcode::Sync, {});
      a = k.op1(Opcode::LoadMatrix, {sA, c0, c0}, ra);
      b = k.op1(Opcode::LoadMatrix, {sB, c0, c0}, rb, {boolAttr("transpose", true)});
      k.op(Opcode::Sync, {});
    } else {
      a = k.op1(Opcode::LoadGlobal, {A, m0, iv}, ra);
      b = k.op1(Opcode::LoadGlobal, {B, iv, n0}, rb);
    }
    uint32_t d = k.op1(Opcode::Dot, {a, b, acc}, rc);
    k.op(Opcode::Yield, {d});
    TRegion body = k.endRegion();
    uint32_t result = k.op(Opcode::For, {c0, kDim, cbk, zero}, {rc}, {}, {std::move(body)})[0];
    k.op(Opcode::StoreGlobal, {result, C, m0, n0});
    k.ret();
  }
  {
    FunctionBuilder h = mb.host("gemm", {g32});
    uint32_t A = h.arg(g16, "a"), B = h.arg(g16, "b");
    uint32_t m = h.op1(Opcode::Dim, {A}, idx, {intAttr("index", 0)});
    uint32_t n = h.op1(Opcode::Dim, {B}, idx, {intAttr("index", 1)});
    uint32_t C = h.op1(Opcode::AllocGlobal, {m, n}, g32);
    uint32_t c64 = h.constantIndex(64), c1 = h.constantIndex(1);
    uint32_t gx = h.op1(Opcode::CeilDivUI, {m, c64}, idx);
    uint32_t gy = h.op1(Opcode::CeilDivUI, {n, c64}, idx);
    h.op(Opcode::Launch, {gx, gy, c1, A, B, C}, {}, {symbolAttr("kernel", "gemm_tile")});
    h.ret({C});
  }
}
inline std::vector<uint8_t> buildGemm(int64_t bk = 32, bool viaShared = false) {
  ModuleBuilder mb;
  defineGemm(mb, bk, viaShared);
  return mb.finish();
}

} // namespace tessel::test

#endif // TESSEL_RUNTIME_TEST_TESTMODULES_H
