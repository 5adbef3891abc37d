// 32-bit unsigned division and remainder by constants that are not powers of two are a
// multiplication by a magic number (mul.hi and a shift; for divisors like 7 whose magic
// needs 33 bits, mul.hi, sub, shift, add, shift), not div/rem (which ptxas turns into a
// ~20-instruction sequence). Dividends over the whole 32-bit range; the values agree with
// the CPU executor and with numpy.
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: tessel-run %t.tslm --device=ptx-sim --compare-with=cpu | FileCheck %s --check-prefix=CMP
// RUN: tessel-run %t.tslm --device=ptx-sim --output-dir=%t.out
// RUN: %python -c "import numpy as n; y = n.load('%t.out/y.npy').astype(n.uint32).reshape(-1, 8); m = (n.arange(1000, dtype=n.uint64) * 4294967 + 3).astype(n.uint32); e = n.stack([m // 7, m %% 7, m // 384, m %% 384, m // 641, m %% 641, m // 1000000007, m %% 3], 1); assert (y == e).all(), (y, e); print('values ok')" | FileCheck %s --check-prefix=VALUES
// CHECK-LABEL: .entry tessel_udivs(
// CHECK-NOT: {{(div|rem)}}.u32
// CHECK: mul.hi.u32
// CHECK-NOT: {{(div|rem)}}.u32
// CHECK: ret;
// CMP: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 8000 beyond tolerance
// VALUES: values ok

!y = !tbvm.gtensor<?xi32>
!t = !tbvm.rtensor<1xi32, #tbvm.layout<"local(1).replicate(32)">>
module {
  tbvm.kernel @udivs(%y: !y) attributes {warps = 1 : i64} {
    %b = tbvm.block_idx x
    %bi = arith.index_cast %b : index to i32
    %big = arith.constant 4294967 : i32
    %c3 = arith.constant 3 : i32
    %m0 = arith.muli %bi, %big : i32
    %m = arith.addi %m0, %c3 : i32
    %c7 = arith.constant 7 : i32
    %c384 = arith.constant 384 : i32
    %c641 = arith.constant 641 : i32
    %cp = arith.constant 1000000007 : i32
    %v0 = arith.divui %m, %c7 : i32
    %v1 = arith.remui %m, %c7 : i32
    %v2 = arith.divui %m, %c384 : i32
    %v3 = arith.remui %m, %c384 : i32
    %v4 = arith.divui %m, %c641 : i32
    %v5 = arith.remui %m, %c641 : i32
    %v6 = arith.divui %m, %cp : i32
    %v7 = arith.remui %m, %c3 : i32
    %c8 = arith.constant 8 : index
    %base = arith.muli %b, %c8 : index
    %c1 = arith.constant 1 : index
    %o1 = arith.addi %base, %c1 : index
    %o2 = arith.addi %o1, %c1 : index
    %o3 = arith.addi %o2, %c1 : index
    %o4 = arith.addi %o3, %c1 : index
    %o5 = arith.addi %o4, %c1 : index
    %o6 = arith.addi %o5, %c1 : index
    %o7 = arith.addi %o6, %c1 : index
    %t0 = tbvm.alloc_regs %v0 : i32 -> !t
    %t1 = tbvm.alloc_regs %v1 : i32 -> !t
    %t2 = tbvm.alloc_regs %v2 : i32 -> !t
    %t3 = tbvm.alloc_regs %v3 : i32 -> !t
    %t4 = tbvm.alloc_regs %v4 : i32 -> !t
    %t5 = tbvm.alloc_regs %v5 : i32 -> !t
    %t6 = tbvm.alloc_regs %v6 : i32 -> !t
    %t7 = tbvm.alloc_regs %v7 : i32 -> !t
    tbvm.store_global %t0, %y[%base] : !t, !y
    tbvm.store_global %t1, %y[%o1] : !t, !y
    tbvm.store_global %t2, %y[%o2] : !t, !y
    tbvm.store_global %t3, %y[%o3] : !t, !y
    tbvm.store_global %t4, %y[%o4] : !t, !y
    tbvm.store_global %t5, %y[%o5] : !t, !y
    tbvm.store_global %t6, %y[%o6] : !t, !y
    tbvm.store_global %t7, %y[%o7] : !t, !y
    tbvm.return
  }
  tbvm.host @main() -> (!y {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %c1000 = arith.constant 1000 : index
    %c8000 = arith.constant 8000 : index
    %y = tbvm.alloc_global(%c8000) : !y
    tbvm.launch @udivs grid(%c1000, %c1, %c1) (%y) : (!y) -> ()
    tbvm.return %y : !y
  }
}
