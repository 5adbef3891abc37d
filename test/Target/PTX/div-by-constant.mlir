// Unsigned division and remainder by a constant power of two are emitted as a shift and
// a mask (ptxas keeps div/rem by an immediate as the generic sequence, even by 1); other
// divisors stay divisions. The values agree with the CPU executor.
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: tessel-run %t.tslm --device=ptx-sim --compare-with=cpu | FileCheck %s --check-prefix=CMP
// RUN: tessel-run %t.tslm --device=ptx-sim --output-dir=%t.out
// RUN: %python -c "import numpy as n; y = n.load('%t.out/y.npy'); b = n.arange(100, dtype=n.int64); e = n.stack([b // 8, b %% 8, b, b // 24, (b * 7) %% 32], 1).reshape(-1); assert (y == e).all(), (y, e); print('values ok')" | FileCheck %s --check-prefix=VALUES
// The one division left is the one by 24:
// CHECK-LABEL: .entry tessel_divs(
// CHECK-NOT: {{(div|rem)}}.u{{(32|64)}}
// CHECK: div.u64 {{.*}}, 24;
// CHECK-NOT: {{(div|rem)}}.u{{(32|64)}}
// CHECK: ret;
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s --check-prefix=SHIFTS
// SHIFTS-DAG: shr.u64 {{.*}}, 3;
// SHIFTS-DAG: and.b64 {{.*}}, 0x7;
// SHIFTS-DAG: and.b32 {{.*}}, 0x1F;
// CMP: y: i32 [500]
// CMP: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 500 beyond tolerance
// VALUES: values ok

!y = !tbvm.gtensor<?xi32>
!t = !tbvm.rtensor<1xi32, #tbvm.layout<"local(1).replicate(32)">>
module {
  tbvm.kernel @divs(%y: !y) attributes {warps = 1 : i64} {
    %b = tbvm.block_idx x
    %c1 = arith.constant 1 : index
    %c5 = arith.constant 5 : index
    %c8 = arith.constant 8 : index
    %c24 = arith.constant 24 : index
    %c7i = arith.constant 7 : i32
    %c32i = arith.constant 32 : i32
    %q8 = arith.divui %b, %c8 : index
    %r8 = arith.remui %b, %c8 : index
    %q1 = arith.divui %b, %c1 : index
    %q24 = arith.divui %b, %c24 : index
    %bi = arith.index_cast %b : index to i32
    %m = arith.muli %bi, %c7i : i32
    %r32 = arith.remui %m, %c32i : i32
    %base = arith.muli %b, %c5 : index
    %v0 = arith.index_cast %q8 : index to i32
    %v1 = arith.index_cast %r8 : index to i32
    %v2 = arith.index_cast %q1 : index to i32
    %v3 = arith.index_cast %q24 : index to i32
    %t0 = tbvm.alloc_regs %v0 : i32 -> !t
    %t1 = tbvm.alloc_regs %v1 : i32 -> !t
    %t2 = tbvm.alloc_regs %v2 : i32 -> !t
    %t3 = tbvm.alloc_regs %v3 : i32 -> !t
    %t4 = tbvm.alloc_regs %r32 : i32 -> !t
    %o1 = arith.addi %base, %c1 : index
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    %c4 = arith.constant 4 : index
    %o2 = arith.addi %base, %c2 : index
    %o3 = arith.addi %base, %c3 : index
    %o4 = arith.addi %base, %c4 : index
    tbvm.store_global %t0, %y[%base] : !t, !y
    tbvm.store_global %t1, %y[%o1] : !t, !y
    tbvm.store_global %t2, %y[%o2] : !t, !y
    tbvm.store_global %t3, %y[%o3] : !t, !y
    tbvm.store_global %t4, %y[%o4] : !t, !y
    tbvm.return
  }
  tbvm.host @main() -> (!y {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %c100 = arith.constant 100 : index
    %c500 = arith.constant 500 : index
    %y = tbvm.alloc_global(%c500) : !y
    tbvm.launch @divs grid(%c100, %c1, %c1) (%y) : (!y) -> ()
    tbvm.return %y : !y
  }
}
