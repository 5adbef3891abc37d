// tbvm.slice keeps each thread's own elements: on the GPU it picks registers, or funnel-
// shifts packed codes. Sub-byte codes sliced along the slots of each thread (two runs of
// ui3 codes that straddle registers; ui4 codes at whole registers; f16 elements at odd
// slots, i.e. half registers), on the PTX simulator
// against the CPU and against numpy.
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: %python -c "import numpy as n; r = n.random.default_rng(1); n.save('%t.a.npy', r.integers(0, 8, (64, 8)).astype(n.uint8)); n.save('%t.b.npy', r.integers(0, 16, (64, 16)).astype(n.uint8)); n.save('%t.c.npy', r.standard_normal((64, 6)).astype(n.float16))"
// RUN: tessel-run %t.tslm --device=ptx-sim --compare-with=cpu --tolerance=0,0 --input=a=%t.a.npy --input=b=%t.b.npy --input=c=%t.c.npy --output-dir=%t.out | FileCheck %s
// RUN: %python -c "import numpy as n; a = n.load('%t.a.npy'); b = n.load('%t.b.npy'); c = n.load('%t.c.npy'); y = n.load('%t.out/y.npy'); z = n.load('%t.out/z.npy'); u = n.load('%t.out/u.npy'); assert (y == a[:, 2:5]).all(), y; assert (z == b[:, 8:16]).all(), z; assert (u == c[:, 1:4]).all(), u; print('values ok')" | FileCheck %s --check-prefix=VALUES
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s --check-prefix=PTX
// CHECK: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 192 beyond tolerance
// CHECK: compare z: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 512 beyond tolerance
// CHECK: compare u: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 192 beyond tolerance
// VALUES: values ok
// The ui3 slice: slots 2..4 (bits 6..14) and 10..12 (bits 30..38, across two registers).
// PTX-LABEL: .entry tessel_slices
// PTX: shr.b32 [[LO:%r[0-9]+]], [[W0:%r[0-9]+]], 0x6;
// PTX-NEXT: and.b32 [[RUN0:%r[0-9]+]], [[LO]], 0x1FF;
// PTX-NEXT: shf.r.wrap.b32 [[HI:%r[0-9]+]], [[W0]], {{%r[0-9]+}}, 0x1E;
// PTX-NEXT: bfi.b32 {{%r[0-9]+}}, [[HI]], [[RUN0]], 0x9, 0x9;

!a = !tbvm.gtensor<?x8xui3>
!b = !tbvm.gtensor<?x16xui4>
!ya = !tbvm.gtensor<?x3xf32>
!yb = !tbvm.gtensor<?x8xf32>
#la = #tbvm.layout<"spatial(32,1).local(2,8)">
#lsa = #tbvm.layout<"spatial(32,1).local(2,3)">
#lb = #tbvm.layout<"spatial(32,1).local(2,16)">
#lsb = #tbvm.layout<"spatial(32,1).local(2,8)">
!c = !tbvm.gtensor<?x6xf16>
!yc = !tbvm.gtensor<?x3xf16>
#lc = #tbvm.layout<"spatial(32,1).local(2,6)">
module {
  tbvm.kernel @slices(%a: !a, %b: !b, %c: !c, %y: !ya, %z: !yb, %u: !yc) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %ta = tbvm.load_global %a[%c0, %c0] : !a -> !tbvm.rtensor<64x8xui3, #la>
    %sa = tbvm.slice %ta [0, 2] : !tbvm.rtensor<64x8xui3, #la> -> !tbvm.rtensor<64x3xui3, #lsa>
    %fa = tbvm.cast %sa : !tbvm.rtensor<64x3xui3, #lsa> -> !tbvm.rtensor<64x3xf32, #lsa>
    tbvm.store_global %fa, %y[%c0, %c0] : !tbvm.rtensor<64x3xf32, #lsa>, !ya
    %tb = tbvm.load_global %b[%c0, %c0] : !b -> !tbvm.rtensor<64x16xui4, #lb>
    %sb = tbvm.slice %tb [0, 8] : !tbvm.rtensor<64x16xui4, #lb> -> !tbvm.rtensor<64x8xui4, #lsb>
    %fb = tbvm.cast %sb : !tbvm.rtensor<64x8xui4, #lsb> -> !tbvm.rtensor<64x8xf32, #lsb>
    tbvm.store_global %fb, %z[%c0, %c0] : !tbvm.rtensor<64x8xf32, #lsb>, !yb
    %tc = tbvm.load_global %c[%c0, %c0] : !c -> !tbvm.rtensor<64x6xf16, #lc>
    %sc = tbvm.slice %tc [0, 1] : !tbvm.rtensor<64x6xf16, #lc> -> !tbvm.rtensor<64x3xf16, #lsa>
    tbvm.store_global %sc, %u[%c0, %c0] : !tbvm.rtensor<64x3xf16, #lsa>, !yc
    tbvm.return
  }
  tbvm.host @main(%a: !a {tbvm.name = "a"}, %b: !b {tbvm.name = "b"}, %c: !c {tbvm.name = "c"}) -> (!ya {tbvm.name = "y"}, !yb {tbvm.name = "z"}, !yc {tbvm.name = "u"}) {
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    %y = tbvm.alloc_global(%c64) : !ya
    %z = tbvm.alloc_global(%c64) : !yb
    %u = tbvm.alloc_global(%c64) : !yc
    tbvm.launch @slices grid(%c1, %c1, %c1) (%a, %b, %c, %y, %z, %u) : (!a, !b, !c, !ya, !yb, !yc) -> ()
    tbvm.return %y, %z, %u : !ya, !yb, !yc
  }
}
