// Casts that only dots read: on the GPU code path the emitter leaves their magic-number
// constants (or small floats' power-of-two scale) in the registers for the dot to take
// out once per product (docs/numerics.md). Here the shapes the low-bit GEMM does not
// make: both mma operands cast (b is then made exact first), codes cast to bf16, a small
// float scale with a nonzero running sum, and a dot on CUDA cores (no mma layout), whose
// operands are made exact. Every value is an integer (or a small float) whose products
// and sums f32 holds exactly, so the simulator must match the CPU executor exactly, as
// it must with exact casts.
//
// RUN: tessel-opt %s -o %t.mlir
// RUN: tessel-translate --tbvm-to-bytecode %t.mlir -o %t.tslm
// RUN: tessel-run %t.tslm --device=ptx-sim --compare-with=cpu --tolerance=0,0 --random-inputs | FileCheck %s
// RUN: tessel-run %t.tslm --device=ptx-sim:sm_90 --compare-with=cpu --tolerance=0,0 --random-inputs --seed=3 | FileCheck %s
// RUN: tessel-run %t.tslm --device=ptx-sim:exact-casts --compare-with=cpu --tolerance=0,0 --random-inputs | FileCheck %s
// The simulator's options: an empty, a repeated or an unknown one is an error.
// RUN: not tessel-run %t.tslm --device=ptx-sim::exact-casts --random-inputs 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: not tessel-run %t.tslm --device=ptx-sim:sm_80:sm_90 --random-inputs 2>&1 | FileCheck %s --check-prefix=TWICE
// RUN: not tessel-run %t.tslm --device=ptx-sim:sm_90:exact-casts:fast --random-inputs 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not tessel-run %t.tslm --device=ptx-sim:narrow-cast-views:narrow-cast-views --random-inputs 2>&1 | FileCheck %s --check-prefix=TWICE-FLAG
// EMPTY: an empty option '' in device 'ptx-sim::exact-casts' (ptx-sim[:sm_XX][:exact-casts][:narrow-cast-views][:no-row-pair-ldmatrix])
// TWICE: a repeated option 'sm_90' in device 'ptx-sim:sm_80:sm_90'
// TWICE-FLAG: a repeated option 'narrow-cast-views'
// UNKNOWN: an unknown option 'fast' in device 'ptx-sim:sm_90:exact-casts:fast'
// CHECK: compare both: {{.*}} 0 of 128 beyond tolerance
// CHECK: compare bf: {{.*}} 0 of 128 beyond tolerance
// CHECK: compare fp: {{.*}} 0 of 128 beyond tolerance
// CHECK: compare cores: {{.*}} 0 of 16 beyond tolerance
// The emitted code has no f16x2/bf16x2 finishing of the casts feeding mma (b of `both` is
// made exact: one fma per pair), the constants' correction mmas, f32 scaling.
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %t.mlir | FileCheck %s --check-prefix=PTX
// PTX-LABEL: .entry tessel_both(
// (The constants' registers are set in the prologue.)
// PTX: mov.b32 [[NEG:%r[0-9]+]], 0xE480E480;
// PTX-COUNT-2: fma.rn.f16x2
// PTX-NOT: fma.rn.f16x2
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {{{.*}}}, {[[NEG]], [[NEG]], [[NEG]], [[NEG]]}
// PTX-NEXT: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-LABEL: .entry tessel_bf(
// PTX-NOT: bf16x2
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-LABEL: .entry tessel_fp(
// PTX-NOT: mul.rn.f16x2
// PTX: fma.rn.f32 {{%r[0-9]+}}, {{%r[0-9]+}}, 0f46800000, {{%r[0-9]+}};

!A8 = !tbvm.rtensor<16x16xsi8, #tbvm.layout<"column_local(2,2).spatial(8,4).local(1,2)">>
!Ah = !tbvm.rtensor<16x16xf16, #tbvm.layout<"column_local(2,2).spatial(8,4).local(1,2)">>
!Ab = !tbvm.rtensor<16x16xbf16, #tbvm.layout<"column_local(2,2).spatial(8,4).local(1,2)">>
!Af = !tbvm.rtensor<16x16xf4E2M1FN, #tbvm.layout<"column_local(2,2).spatial(8,4).local(1,2)">>
!A7 = !tbvm.rtensor<16x16xsi7, #tbvm.layout<"column_local(2,2).spatial(8,4).local(1,2)">>
!B8 = !tbvm.rtensor<16x8xui8, #tbvm.layout<"local(2,1).column_spatial(4,8).local(2,1)">>
!Bh = !tbvm.rtensor<16x8xf16, #tbvm.layout<"local(2,1).column_spatial(4,8).local(2,1)">>
!Bb = !tbvm.rtensor<16x8xbf16, #tbvm.layout<"local(2,1).column_spatial(4,8).local(2,1)">>
!C = !tbvm.rtensor<16x8xf32, #tbvm.layout<"local(2,1).spatial(8,4).local(1,2)">>
!R8 = !tbvm.rtensor<4x4xsi8, #tbvm.layout<"replicate(32).local(4,4)">>
!Rh = !tbvm.rtensor<4x4xf16, #tbvm.layout<"replicate(32).local(4,4)">>
!Rc = !tbvm.rtensor<4x4xf32, #tbvm.layout<"replicate(32).local(4,4)">>
!ga = !tbvm.gtensor<16x16xsi8>
!gb = !tbvm.gtensor<16x8xui8>
!gf = !tbvm.gtensor<16x16xf4E2M1FN>
!g7 = !tbvm.gtensor<16x16xsi7>
!gc = !tbvm.gtensor<16x8xf32>
!gr = !tbvm.gtensor<4x4xsi8>
!grc = !tbvm.gtensor<4x4xf32>

module {
  // Both operands cast: a keeps its constant, b is made exact.
  tbvm.kernel @both(%a: !ga, %b: !gb, %c: !gc) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %qa = tbvm.load_global %a[%c0, %c0] : !ga -> !A8
    %qb = tbvm.load_global %b[%c0, %c0] : !gb -> !B8
    %fa = tbvm.cast %qa : !A8 -> !Ah
    %fb = tbvm.cast %qb : !B8 -> !Bh
    %z = tbvm.alloc_regs -> !C
    %d = tbvm.dot %fa, %fb, %z : !Ah, !Bh, !C -> !C
    tbvm.store_global %d, %c[%c0, %c0] : !C, !gc
    tbvm.return
  }
  // 7-bit codes to bf16 (2^(7 - x) + u); the other operand bf16 too (exact: its casts
  // feed a cast).
  tbvm.kernel @bf(%a: !g7, %b: !gb, %c: !gc) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %qa = tbvm.load_global %a[%c0, %c0] : !g7 -> !A7
    %qb = tbvm.load_global %b[%c0, %c0] : !gb -> !B8
    %fa = tbvm.cast %qa : !A7 -> !Ab
    %hb = tbvm.cast %qb : !B8 -> !Bh
    %gb2 = tbvm.cast %hb : !Bh -> !Bb
    %z = tbvm.alloc_regs -> !C
    %d = tbvm.dot %fa, %gb2, %z : !Ab, !Bb, !C -> !C
    tbvm.store_global %d, %c[%c0, %c0] : !C, !gc
    tbvm.return
  }
  // FP4 codes (value * 2^-14 in the registers) into a running sum that is not zero; b,
  // cast too, is made exact.
  tbvm.kernel @fp(%a: !gf, %b: !gb, %c: !gc) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %qa = tbvm.load_global %a[%c0, %c0] : !gf -> !Af
    %qb = tbvm.load_global %b[%c0, %c0] : !gb -> !B8
    %fa = tbvm.cast %qa : !Af -> !Ah
    %xb = tbvm.cast %qb : !B8 -> !Bh
    %one = arith.constant 1.0 : f32
    %init = tbvm.alloc_regs %one : f32 -> !C
    %d = tbvm.dot %fa, %xb, %init : !Ah, !Bh, !C -> !C
    tbvm.store_global %d, %c[%c0, %c0] : !C, !gc
    tbvm.return
  }
  // No mma layout: CUDA cores, both operands made exact.
  tbvm.kernel @cores(%a: !gr, %c: !grc) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %qa = tbvm.load_global %a[%c0, %c0] : !gr -> !R8
    %fa = tbvm.cast %qa : !R8 -> !Rh
    %xb = tbvm.cast %qa : !R8 -> !Rh
    %z = tbvm.alloc_regs -> !Rc
    %d = tbvm.dot %fa, %xb, %z : !Rh, !Rh, !Rc -> !Rc
    tbvm.store_global %d, %c[%c0, %c0] : !Rc, !grc
    tbvm.return
  }

  tbvm.host @main(%a: !ga {tbvm.name = "a"}, %b: !gb {tbvm.name = "b"}, %a7: !g7 {tbvm.name = "a7"},
                  %f: !gf {tbvm.name = "f"}, %r: !gr {tbvm.name = "r"})
      -> (!gc {tbvm.name = "both"}, !gc {tbvm.name = "bf"}, !gc {tbvm.name = "fp"}, !grc {tbvm.name = "cores"}) {
    %c1 = arith.constant 1 : index
    %y1 = tbvm.alloc_global() : !gc
    %y2 = tbvm.alloc_global() : !gc
    %y3 = tbvm.alloc_global() : !gc
    %y4 = tbvm.alloc_global() : !grc
    tbvm.launch @both grid(%c1, %c1, %c1) (%a, %b, %y1) : (!ga, !gb, !gc) -> ()
    tbvm.launch @bf grid(%c1, %c1, %c1) (%a7, %b, %y2) : (!g7, !gb, !gc) -> ()
    tbvm.launch @fp grid(%c1, %c1, %c1) (%f, %b, %y3) : (!gf, !gb, !gc) -> ()
    tbvm.launch @cores grid(%c1, %c1, %c1) (%r, %y4) : (!gr, !grc) -> ()
    tbvm.return %y1, %y2, %y3, %y4 : !gc, !gc, !gc, !grc
  }
}
