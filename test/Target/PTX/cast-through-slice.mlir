// A tbvm.slice that only casts read makes no registers: the cast reads the slice's source
// through the slot map. 2-bit codes paired 16 bits apart in each thread's word (the
// low-bit GEMM's weight order; element 2i + e at bit 16 e + 2 i): the slice [0, 8) of a
// row of 16 takes pairs 4..7 at bits 8..15 and 24..31, which the cast masks in the word
// shifted right by 8 (one shr, one lop3 per pair) instead of gathering them into a
// register first (shifts and bfi) and spreading bytes (prmt). A second slice (z) holds its
// codes in another slot order, which the cast's own slot map composes with. A third (u)
// is a same-type cast of the first of a thread's four words, carried by a loop (the cast
// takes the words the slice would have, not its source's four). A fourth, read by two
// casts (v, v3), is made once. On the PTX simulator against the CPU executor (and the
// first three against numpy).
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: %python -c "import numpy as n; r = n.random.default_rng(3); n.save('%t.w.npy', r.integers(-2**31, 2**31, 32, dtype=n.int64).astype(n.int32)); n.save('%t.w4.npy', r.integers(-2**31, 2**31, (32, 4), dtype=n.int64).astype(n.int32))"
// RUN: tessel-run %t.tslm --device=ptx-sim --compare-with=cpu --tolerance=0,0 --input=w=%t.w.npy --input=w4=%t.w4.npy --output-dir=%t.out | FileCheck %s
// RUN: %python -c "import numpy as n; w = n.load('%t.w.npy').view(n.uint32).astype(n.int64); c = n.arange(8, 16); u = (w[:, None] >> (16 * (c % 2) + 2 * (c // 2))) & 3; v = n.where(u >= 2, u - 4, u); assert (n.load('%t.out/y.npy') == v).all() and (n.load('%t.out/z.npy') == v).all(); x = n.load('%t.w4.npy').view(n.uint32).astype(n.int64)[:, 0]; c = n.arange(8); q = (x[:, None] >> (2 * c)) & 3; assert (n.load('%t.out/u.npy') == n.where(q >= 2, q - 4, q)).all(); print('values ok')" | FileCheck %s --check-prefix=VALUES
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s --check-prefix=PTX
// CHECK: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 256 beyond tolerance
// CHECK: compare z: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 256 beyond tolerance
// CHECK: compare u: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 256 beyond tolerance
// CHECK: compare v: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 128 beyond tolerance
// CHECK: compare v3: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 128 beyond tolerance
// VALUES: values ok
// PTX-LABEL: .entry tessel_sliced_cast
// PTX: ld.global.b32 [[W:%r[0-9]+]]
// PTX-NOT: bfi
// PTX-NOT: prmt
// PTX: shr.b32 [[V:%r[0-9]+]], [[W]], 0x8;
// PTX-NOT: bfi
// PTX-NOT: prmt
// PTX: lop3.b32 {{%r[0-9]+}}, [[V]], 0x30003, 0x64026402, 0x6A;
// PTX-NOT: bfi
// PTX-NOT: prmt
// PTX: lop3.b32 {{%r[0-9]+}}, [[V]], 0xC000C0, 0x64806480, 0x6A;
// PTX-NOT: bfi
// PTX-NOT: prmt
// PTX: st.global
// PTX-LABEL: .entry tessel_two_casts
// A slice that two casts read (4-bit codes from bit 12) is made once, its shift by 12
// serving both casts; read through, each cast would gather the codes itself.
// PTX: shr.b32 {{%r[0-9]+}}, {{%r[0-9]+}}, 0xC;
// PTX-NOT: shr.b32 {{%r[0-9]+}}, {{%r[0-9]+}}, 0xC;
// PTX: ret;
// PTX-LABEL: .entry tessel_reordered_cast
// PTX-NOT: bfi
// PTX-NOT: prmt
// PTX: lop3.b32 {{%r[0-9]+}}, {{%r[0-9]+}}, 0x30003, 0x64026402, 0x6A;
// PTX-NOT: bfi
// PTX-NOT: prmt
// PTX: st.global

!w = !tbvm.gtensor<?xi32>
!y = !tbvm.gtensor<?x8xf16>
#lw = #tbvm.layout<"spatial(32).local(1)">
#lq = #tbvm.layout<"layout<shape=[32,16], modes=[32,8,2], spatial=[0], local=[2,1]>">
#ls = #tbvm.layout<"spatial(32,1).local(1,8)">
#lsi = #tbvm.layout<"layout<shape=[32,8], modes=[32,4,2], spatial=[0], local=[2,1]>">
!w4 = !tbvm.gtensor<?x4xi32>
#lw4 = #tbvm.layout<"spatial(32,1).local(1,4)">
#ls4 = #tbvm.layout<"spatial(32,1).local(1,4)">
!y4 = !tbvm.gtensor<?x4xf16>
!y3 = !tbvm.gtensor<?x4xf32>
#lq4 = #tbvm.layout<"spatial(32,1).local(1,64)">
module {
  tbvm.kernel @sliced_cast(%w: !w, %y: !y) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %tw = tbvm.load_global %w[%c0] : !w -> !tbvm.rtensor<32xi32, #lw>
    %q = tbvm.view %tw : !tbvm.rtensor<32xi32, #lw> -> !tbvm.rtensor<32x16xsi2, #lq>
    %s = tbvm.slice %q [0, 8] : !tbvm.rtensor<32x16xsi2, #lq> -> !tbvm.rtensor<32x8xsi2, #ls>
    %f = tbvm.cast %s : !tbvm.rtensor<32x8xsi2, #ls> -> !tbvm.rtensor<32x8xf16, #ls>
    tbvm.store_global %f, %y[%c0, %c0] : !tbvm.rtensor<32x8xf16, #ls>, !y
    tbvm.return
  }
  tbvm.kernel @two_casts(%w: !w, %y: !y4, %z: !y3) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %tw = tbvm.load_global %w[%c0] : !w -> !tbvm.rtensor<32xi32, #lw>
    %q = tbvm.view %tw : !tbvm.rtensor<32xi32, #lw> -> !tbvm.rtensor<32x8xui4, #ls>
    %s = tbvm.slice %q [0, 3] : !tbvm.rtensor<32x8xui4, #ls> -> !tbvm.rtensor<32x4xui4, #ls4>
    %f = tbvm.cast %s : !tbvm.rtensor<32x4xui4, #ls4> -> !tbvm.rtensor<32x4xf16, #ls4>
    %g = tbvm.cast %s : !tbvm.rtensor<32x4xui4, #ls4> -> !tbvm.rtensor<32x4xf32, #ls4>
    tbvm.store_global %f, %y[%c0, %c0] : !tbvm.rtensor<32x4xf16, #ls4>, !y4
    tbvm.store_global %g, %z[%c0, %c0] : !tbvm.rtensor<32x4xf32, #ls4>, !y3
    tbvm.return
  }
  tbvm.kernel @reordered_cast(%w: !w, %y: !y) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %tw = tbvm.load_global %w[%c0] : !w -> !tbvm.rtensor<32xi32, #lw>
    %q = tbvm.view %tw : !tbvm.rtensor<32xi32, #lw> -> !tbvm.rtensor<32x16xsi2, #lq>
    %s = tbvm.slice %q [0, 8] : !tbvm.rtensor<32x16xsi2, #lq> -> !tbvm.rtensor<32x8xsi2, #lsi>
    %f = tbvm.cast %s : !tbvm.rtensor<32x8xsi2, #lsi> -> !tbvm.rtensor<32x8xf16, #ls>
    tbvm.store_global %f, %y[%c0, %c0] : !tbvm.rtensor<32x8xf16, #ls>, !y
    tbvm.return
  }
  tbvm.kernel @carried_same_type(%w: !w4, %y: !y) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %init = tbvm.alloc_regs -> !tbvm.rtensor<32x8xsi2, #ls>
    %last = scf.for %i = %c0 to %c2 step %c1 iter_args(%acc = %init) -> (!tbvm.rtensor<32x8xsi2, #ls>) {
      %tw = tbvm.load_global %w[%c0, %c0] : !w4 -> !tbvm.rtensor<32x4xi32, #lw4>
      %q = tbvm.view %tw : !tbvm.rtensor<32x4xi32, #lw4> -> !tbvm.rtensor<32x64xsi2, #lq4>
      %s = tbvm.slice %q [0, 0] : !tbvm.rtensor<32x64xsi2, #lq4> -> !tbvm.rtensor<32x8xsi2, #ls>
      %c = tbvm.cast %s : !tbvm.rtensor<32x8xsi2, #ls> -> !tbvm.rtensor<32x8xsi2, #ls>
      scf.yield %c : !tbvm.rtensor<32x8xsi2, #ls>
    }
    %f = tbvm.cast %last : !tbvm.rtensor<32x8xsi2, #ls> -> !tbvm.rtensor<32x8xf16, #ls>
    tbvm.store_global %f, %y[%c0, %c0] : !tbvm.rtensor<32x8xf16, #ls>, !y
    tbvm.return
  }
  tbvm.host @main(%w: !w {tbvm.name = "w"}, %w4: !w4 {tbvm.name = "w4"}) -> (!y {tbvm.name = "y"}, !y {tbvm.name = "z"}, !y {tbvm.name = "u"}, !y4 {tbvm.name = "v"}, !y3 {tbvm.name = "v3"}) {
    %c1 = arith.constant 1 : index
    %c32 = arith.constant 32 : index
    %y = tbvm.alloc_global(%c32) : !y
    %z = tbvm.alloc_global(%c32) : !y
    %u = tbvm.alloc_global(%c32) : !y
    %v = tbvm.alloc_global(%c32) : !y4
    %v3 = tbvm.alloc_global(%c32) : !y3
    tbvm.launch @sliced_cast grid(%c1, %c1, %c1) (%w, %y) : (!w, !y) -> ()
    tbvm.launch @reordered_cast grid(%c1, %c1, %c1) (%w, %z) : (!w, !y) -> ()
    tbvm.launch @carried_same_type grid(%c1, %c1, %c1) (%w4, %u) : (!w4, !y) -> ()
    tbvm.launch @two_casts grid(%c1, %c1, %c1) (%w, %v, %v3) : (!w, !y4, !y3) -> ()
    tbvm.return %y, %z, %u, %v, %v3 : !y, !y, !y, !y4, !y3
  }
}
