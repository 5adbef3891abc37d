// The PTX of casts to f16 from every width: bit tricks (lop3/prmt with the 0x6400 magic,
// or a placed-bits multiply for small floats), not a per-element conversion loop. Also
// each kernel goes through ptxas in ptxas.test.
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s

// CHECK-LABEL: .entry tessel_cast_ui1(
// CHECK: prmt.b32
// CHECK: lop3.b32 {{.*}}, 0xEA;
// CHECK: fma.rn.f16x2
// CHECK-NOT: cvt.rn.f16.f32
// CHECK-NOT: cvt.rn.f16.s32
// CHECK-NOT: cvt.rn.f16.u32
// CHECK: ret;
tbvm.kernel @cast_ui1(%x: !tbvm.gtensor<512xui1>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512xui1> -> !tbvm.rtensor<512xui1, #tbvm.layout<"spatial(32).local(16)">>
  %f = tbvm.cast %q : !tbvm.rtensor<512xui1, #tbvm.layout<"spatial(32).local(16)">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// CHECK-LABEL: .entry tessel_cast_ui2(
// CHECK: prmt.b32
// CHECK: lop3.b32 {{.*}}, 0xEA;
// CHECK: fma.rn.f16x2
// CHECK-NOT: cvt.rn.f16.f32
// CHECK-NOT: cvt.rn.f16.s32
// CHECK-NOT: cvt.rn.f16.u32
// CHECK: ret;
tbvm.kernel @cast_ui2(%x: !tbvm.gtensor<512xui2>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512xui2> -> !tbvm.rtensor<512xui2, #tbvm.layout<"spatial(32).local(16)">>
  %f = tbvm.cast %q : !tbvm.rtensor<512xui2, #tbvm.layout<"spatial(32).local(16)">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// CHECK-LABEL: .entry tessel_cast_ui3(
// CHECK: bfi.b32
// CHECK: lop3.b32 {{.*}}, 0xEA;
// CHECK: sub.rn.f16x2
// CHECK-NOT: cvt.rn.f16.f32
// CHECK-NOT: cvt.rn.f16.s32
// CHECK-NOT: cvt.rn.f16.u32
// CHECK: ret;
tbvm.kernel @cast_ui3(%x: !tbvm.gtensor<512xui3>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512xui3> -> !tbvm.rtensor<512xui3, #tbvm.layout<"spatial(32).local(16)">>
  %f = tbvm.cast %q : !tbvm.rtensor<512xui3, #tbvm.layout<"spatial(32).local(16)">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// CHECK-LABEL: .entry tessel_cast_si3(
// CHECK: shf.r.wrap.b32
// CHECK: prmt.b32 {{.*}}, 0x5410;
// CHECK-NEXT: lop3.b32 {{.*}}, 0x6A;
// CHECK: sub.rn.f16x2
// CHECK-NOT: cvt.rn.f16.f32
// CHECK-NOT: cvt.rn.f16.s32
// CHECK-NOT: cvt.rn.f16.u32
// CHECK: ret;
tbvm.kernel @cast_si3(%x: !tbvm.gtensor<512xsi3>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512xsi3> -> !tbvm.rtensor<512xsi3, #tbvm.layout<"spatial(32).local(16)">>
  %f = tbvm.cast %q : !tbvm.rtensor<512xsi3, #tbvm.layout<"spatial(32).local(16)">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// CHECK-LABEL: .entry tessel_cast_ui4(
// CHECK: shr.b32 {{.*}}, 0x4;
// CHECK: prmt.b32 {{.*}}, 0x4400;
// CHECK: lop3.b32 {{.*}}, 0xF000F, {{.*}}, 0xEA;
// CHECK-NOT: fma.rn.f16x2
// CHECK: sub.rn.f16x2
// CHECK-NOT: cvt.rn.f16.f32
// CHECK-NOT: cvt.rn.f16.s32
// CHECK-NOT: cvt.rn.f16.u32
// CHECK: ret;
tbvm.kernel @cast_ui4(%x: !tbvm.gtensor<512xui4>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512xui4> -> !tbvm.rtensor<512xui4, #tbvm.layout<"spatial(32).local(16)">>
  %f = tbvm.cast %q : !tbvm.rtensor<512xui4, #tbvm.layout<"spatial(32).local(16)">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// CHECK-LABEL: .entry tessel_cast_si4(
// CHECK: shr.b32 {{.*}}, 0x4;
// CHECK: prmt.b32 {{.*}}, 0x4400;
// CHECK: lop3.b32 {{.*}}, 0xF000F, {{.*}}, 0x6A;
// CHECK-NOT: fma.rn.f16x2
// CHECK: sub.rn.f16x2
// CHECK-NOT: cvt.rn.f16.f32
// CHECK-NOT: cvt.rn.f16.s32
// CHECK-NOT: cvt.rn.f16.u32
// CHECK: ret;
tbvm.kernel @cast_si4(%x: !tbvm.gtensor<512xsi4>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512xsi4> -> !tbvm.rtensor<512xsi4, #tbvm.layout<"spatial(32).local(16)">>
  %f = tbvm.cast %q : !tbvm.rtensor<512xsi4, #tbvm.layout<"spatial(32).local(16)">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// CHECK-LABEL: .entry tessel_cast_ui5(
// CHECK: bfi.b32
// CHECK: lop3.b32 {{.*}}, 0xEA;
// CHECK: sub.rn.f16x2
// CHECK-NOT: cvt.rn.f16.f32
// CHECK-NOT: cvt.rn.f16.s32
// CHECK-NOT: cvt.rn.f16.u32
// CHECK: ret;
tbvm.kernel @cast_ui5(%x: !tbvm.gtensor<512xui5>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512xui5> -> !tbvm.rtensor<512xui5, #tbvm.layout<"spatial(32).local(16)">>
  %f = tbvm.cast %q : !tbvm.rtensor<512xui5, #tbvm.layout<"spatial(32).local(16)">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// CHECK-LABEL: .entry tessel_cast_si5(
// CHECK: shf.r.wrap.b32
// CHECK: prmt.b32 {{.*}}, 0x5410;
// CHECK-NEXT: lop3.b32 {{.*}}, 0x6A;
// CHECK: sub.rn.f16x2
// CHECK-NOT: cvt.rn.f16.f32
// CHECK-NOT: cvt.rn.f16.s32
// CHECK-NOT: cvt.rn.f16.u32
// CHECK: ret;
tbvm.kernel @cast_si5(%x: !tbvm.gtensor<512xsi5>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512xsi5> -> !tbvm.rtensor<512xsi5, #tbvm.layout<"spatial(32).local(16)">>
  %f = tbvm.cast %q : !tbvm.rtensor<512xsi5, #tbvm.layout<"spatial(32).local(16)">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// CHECK-LABEL: .entry tessel_cast_ui6(
// CHECK: bfi.b32
// CHECK: lop3.b32 {{.*}}, 0xEA;
// CHECK: sub.rn.f16x2
// CHECK-NOT: cvt.rn.f16.f32
// CHECK-NOT: cvt.rn.f16.s32
// CHECK-NOT: cvt.rn.f16.u32
// CHECK: ret;
tbvm.kernel @cast_ui6(%x: !tbvm.gtensor<512xui6>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512xui6> -> !tbvm.rtensor<512xui6, #tbvm.layout<"spatial(32).local(16)">>
  %f = tbvm.cast %q : !tbvm.rtensor<512xui6, #tbvm.layout<"spatial(32).local(16)">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// CHECK-LABEL: .entry tessel_cast_si7(
// CHECK: shf.r.wrap.b32
// CHECK: prmt.b32 {{.*}}, 0x5410;
// CHECK-NEXT: lop3.b32 {{.*}}, 0x6A;
// CHECK: sub.rn.f16x2
// CHECK-NOT: cvt.rn.f16.f32
// CHECK-NOT: cvt.rn.f16.s32
// CHECK-NOT: cvt.rn.f16.u32
// CHECK: ret;
tbvm.kernel @cast_si7(%x: !tbvm.gtensor<512xsi7>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512xsi7> -> !tbvm.rtensor<512xsi7, #tbvm.layout<"spatial(32).local(16)">>
  %f = tbvm.cast %q : !tbvm.rtensor<512xsi7, #tbvm.layout<"spatial(32).local(16)">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// CHECK-LABEL: .entry tessel_cast_ui8(
// CHECK: prmt.b32 {{.*}}, 0x4140;
// CHECK: sub.rn.f16x2
// CHECK-NOT: cvt.rn.f16.f32
// CHECK-NOT: cvt.rn.f16.s32
// CHECK-NOT: cvt.rn.f16.u32
// CHECK: ret;
tbvm.kernel @cast_ui8(%x: !tbvm.gtensor<512xui8>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512xui8> -> !tbvm.rtensor<512xui8, #tbvm.layout<"spatial(32).local(16)">>
  %f = tbvm.cast %q : !tbvm.rtensor<512xui8, #tbvm.layout<"spatial(32).local(16)">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// CHECK-LABEL: .entry tessel_cast_si8(
// CHECK: prmt.b32 {{.*}}, 0x4140;
// CHECK: xor.b32 {{.*}}, 0x800080;
// CHECK: sub.rn.f16x2
// CHECK-NOT: cvt.rn.f16.f32
// CHECK-NOT: cvt.rn.f16.s32
// CHECK-NOT: cvt.rn.f16.u32
// CHECK: ret;
tbvm.kernel @cast_si8(%x: !tbvm.gtensor<512xsi8>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512xsi8> -> !tbvm.rtensor<512xsi8, #tbvm.layout<"spatial(32).local(16)">>
  %f = tbvm.cast %q : !tbvm.rtensor<512xsi8, #tbvm.layout<"spatial(32).local(16)">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// CHECK-LABEL: .entry tessel_cast_e2m1(
// CHECK: mul.rn.f16x2
// CHECK-NOT: cvt.rn.f16.f32
// CHECK-NOT: cvt.rn.f16.s32
// CHECK-NOT: cvt.rn.f16.u32
// CHECK: ret;
tbvm.kernel @cast_e2m1(%x: !tbvm.gtensor<512x!lowp.float<e2m1>>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512x!lowp.float<e2m1>> -> !tbvm.rtensor<512x!lowp.float<e2m1>, #tbvm.layout<"spatial(32).local(16)">>
  %f = tbvm.cast %q : !tbvm.rtensor<512x!lowp.float<e2m1>, #tbvm.layout<"spatial(32).local(16)">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// CHECK-LABEL: .entry tessel_cast_e3m2(
// CHECK: mul.rn.f16x2
// CHECK-NOT: cvt.rn.f16.f32
// CHECK-NOT: cvt.rn.f16.s32
// CHECK-NOT: cvt.rn.f16.u32
// CHECK: ret;
tbvm.kernel @cast_e3m2(%x: !tbvm.gtensor<512x!lowp.float<e3m2>>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512x!lowp.float<e3m2>> -> !tbvm.rtensor<512x!lowp.float<e3m2>, #tbvm.layout<"spatial(32).local(16)">>
  %f = tbvm.cast %q : !tbvm.rtensor<512x!lowp.float<e3m2>, #tbvm.layout<"spatial(32).local(16)">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// CHECK-LABEL: .entry tessel_cast_e2m3(
// CHECK: mul.rn.f16x2
// CHECK-NOT: cvt.rn.f16.f32
// CHECK-NOT: cvt.rn.f16.s32
// CHECK-NOT: cvt.rn.f16.u32
// CHECK: ret;
tbvm.kernel @cast_e2m3(%x: !tbvm.gtensor<512x!lowp.float<e2m3>>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512x!lowp.float<e2m3>> -> !tbvm.rtensor<512x!lowp.float<e2m3>, #tbvm.layout<"spatial(32).local(16)">>
  %f = tbvm.cast %q : !tbvm.rtensor<512x!lowp.float<e2m3>, #tbvm.layout<"spatial(32).local(16)">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// CHECK-LABEL: .entry tessel_cast_f8E5M2(
// CHECK: prmt.b32 {{.*}}, 0x
// CHECK-NOT: cvt.rn.f16.f32
// CHECK-NOT: cvt.rn.f16.s32
// CHECK-NOT: cvt.rn.f16.u32
// CHECK: ret;
tbvm.kernel @cast_f8E5M2(%x: !tbvm.gtensor<512xf8E5M2>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512xf8E5M2> -> !tbvm.rtensor<512xf8E5M2, #tbvm.layout<"spatial(32).local(16)">>
  %f = tbvm.cast %q : !tbvm.rtensor<512xf8E5M2, #tbvm.layout<"spatial(32).local(16)">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// CHECK-LABEL: .entry tessel_cast_f8E4M3FN(
// CHECK: ret;
tbvm.kernel @cast_f8E4M3FN(%x: !tbvm.gtensor<512xf8E4M3FN>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512xf8E4M3FN> -> !tbvm.rtensor<512xf8E4M3FN, #tbvm.layout<"spatial(32).local(16)">>
  %f = tbvm.cast %q : !tbvm.rtensor<512xf8E4M3FN, #tbvm.layout<"spatial(32).local(16)">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}
