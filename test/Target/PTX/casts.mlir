// The PTX of casts to f16 from every width: bit tricks (lop3/prmt with the 0x6400 magic,
// or a placed-bits multiply for small floats), not a per-element conversion loop. Also
// each kernel goes through ptxas in ptxas.test.
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 --narrow-cast-views %s | FileCheck %s --check-prefix=NARROW

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
// CHECK: prmt.b32
// CHECK-NEXT: lop3.b32 {{.*}}, 0xEA;
// CHECK: fma.rn.f16x2
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

// 3, 5, 6, 7 bits: each half a byte window of the register that holds the code (or of a
// funnel shift where the code straddles two registers), one prmt, one lop3 with the code
// at its own bit in each half, one fma. 16 si3 codes (two registers): 8 prmt, 8 lop3, 8
// fma, one funnel shift.
// The fma's constants (one pair per code position) come from the kernel's constant table,
// which ptxas keeps in registers across loops instead of re-making them as immediates.
// CHECK: .const .align 4 .b32 tessel_cast_si3_consts[{{[0-9]+}}] = {0x30003C00, 0xD820E404,
// CHECK-LABEL: .entry tessel_cast_si3(
// CHECK: prmt.b32 [[T:%r[0-9]+]], [[W0:%r[0-9]+]], [[W0]], 0x0;
// CHECK-NEXT: lop3.b32 [[L:%r[0-9]+]], [[T]], 0x380007, 0x64206404, 0x6A;
// CHECK-NEXT: ld.const.b32 [[SC:%r[0-9]+]], [tessel_cast_si3_consts+0];
// CHECK-NEXT: ld.const.b32 [[SH:%r[0-9]+]], [tessel_cast_si3_consts+4];
// CHECK-NEXT: fma.rn.f16x2 {{%r[0-9]+}}, [[L]], [[SC]], [[SH]];
// CHECK-NOT: sub.rn.f16x2
// CHECK: shf.r.wrap.b32 [[F:%r[0-9]+]], [[W0]], [[W1:%r[0-9]+]], {{0x[0-9A-F]+}};
// CHECK-NEXT: prmt.b32 {{%r[0-9]+}}, [[F]], [[W1]], {{0x[0-9A-F]+}};
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
// CHECK: prmt.b32
// CHECK-NEXT: lop3.b32 {{.*}}, 0xEA;
// CHECK: fma.rn.f16x2
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
// CHECK: prmt.b32
// CHECK-NEXT: lop3.b32 {{.*}}, 0x6A;
// CHECK: fma.rn.f16x2
// CHECK: shf.r.wrap.b32
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
// CHECK: prmt.b32
// CHECK-NEXT: lop3.b32 {{.*}}, 0xEA;
// CHECK: fma.rn.f16x2
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
// CHECK: prmt.b32
// CHECK-NEXT: lop3.b32 {{.*}}, 0x6A;
// CHECK: fma.rn.f16x2
// CHECK: shf.r.wrap.b32
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

// Signed bytes: one xor per word (4 codes) makes them offset binary, then a prmt and a
// sub per pair.
// CHECK-LABEL: .entry tessel_cast_si8(
// CHECK: xor.b32 [[F:%r[0-9]+]], {{%r[0-9]+}}, 0x80808080;
// CHECK-NEXT: prmt.b32 {{%r[0-9]+}}, [[F]], {{.*}}, 0x4140;
// CHECK: sub.rn.f16x2
// CHECK: prmt.b32 {{%r[0-9]+}}, [[F]], {{.*}}, 0x4342;
// CHECK-NOT: xor.b32
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

// Small floats: byte windows that put each code's sign at bit 15 of its half (from the
// register shifted to align it), so a pair is a prmt, then the magnitude moved down, a
// mask, a lop3 keeping the signs and one multiplication.
// CHECK-LABEL: .entry tessel_cast_e3m2(
// CHECK: prmt.b32 [[T:%r[0-9]+]]
// CHECK-NEXT: shr.b32 [[M:%r[0-9]+]], [[T]], 0x2;
// CHECK-NEXT: and.b32 [[N:%r[0-9]+]], [[M]], 0x1F001F00;
// CHECK-NEXT: lop3.b32 [[S:%r[0-9]+]], [[T]], 0x80008000, [[N]], 0xEA;
// CHECK-NEXT: mul.rn.f16x2 {{%r[0-9]+}}, [[S]]
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

// A cast to another layout reads each thread's own codes. When the codes of every result
// pair sit 16 bits apart in one register (the order the low-bit GEMM packs 4-bit weights
// in), one lop3 masks both in place and one sub (or fma) finishes them: 8 codes cost 4
// lop3, 1 shift, 4 f16x2 operations, and no prmt.
// CHECK-LABEL: .entry tessel_cast_si4_paired(
// CHECK: ld.global.v2.b32 {[[W0:%r[0-9]+]], [[W1:%r[0-9]+]]}
// CHECK-NOT: prmt
// CHECK: lop3.b32 {{%r[0-9]+}}, [[W0]], 0xF000F, 0x64086408, 0x6A;
// CHECK-NOT: prmt
// CHECK: sub.rn.f16x2
// CHECK-NOT: prmt
// CHECK: lop3.b32 {{%r[0-9]+}}, [[W0]], 0xF000F0, 0x64806480, 0x6A;
// CHECK-NOT: prmt
// CHECK: fma.rn.f16x2
// CHECK-NOT: prmt
// CHECK: shr.b32 [[H0:%r[0-9]+]], [[W0]], 0x8;
// CHECK-NOT: prmt
// CHECK: lop3.b32 {{%r[0-9]+}}, [[H0]], 0xF000F, 0x64086408, 0x6A;
// CHECK-NOT: prmt
// CHECK: lop3.b32 {{%r[0-9]+}}, [[W1]], 0xF000F, 0x64086408, 0x6A;
// CHECK-NOT: prmt
// CHECK: st.global.v4.b32
// Narrower cast views leave 4-bit codes as they are (one shift by 8 per word).
// NARROW-LABEL: .entry tessel_cast_si4_paired(
// NARROW-NOT: shr.b32 {{%r[0-9]+}}, {{%r[0-9]+}}, 0x4;
// NARROW: shr.b32 {{%r[0-9]+}}, {{%r[0-9]+}}, 0x8;
// NARROW-NOT: shr.b32 {{%r[0-9]+}}, {{%r[0-9]+}}, 0x4;
// NARROW: st.global
tbvm.kernel @cast_si4_paired(%x: !tbvm.gtensor<64xi32>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %w = tbvm.load_global %x[%c0] : !tbvm.gtensor<64xi32> -> !tbvm.rtensor<64xi32, #tbvm.layout<"spatial(32).local(2)">>
  %q = tbvm.view %w : !tbvm.rtensor<64xi32, #tbvm.layout<"spatial(32).local(2)">> -> !tbvm.rtensor<512xsi4, #tbvm.layout<"layout<shape=[512], modes=[32,2,4,2], spatial=[0], local=[1,3,2]>">>
  %f = tbvm.cast %q : !tbvm.rtensor<512xsi4, #tbvm.layout<"layout<shape=[512], modes=[32,2,4,2], spatial=[0], local=[1,3,2]>">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// 1-bit codes paired 16 bits apart (element 2i + e at bit 16 e + i of each thread's word):
// the pairs are masked in the word shifted right by 0, 4, 8 and 12 (few distinct bits, so
// few distinct constants), no prmt.
// CHECK-LABEL: .entry tessel_cast_ui1_paired(
// CHECK: ld.global.b32 [[W:%r[0-9]+]]
// CHECK-NOT: prmt
// CHECK: lop3.b32 {{%r[0-9]+}}, [[W]], 0x10001, 0x64006400, 0xEA;
// CHECK: lop3.b32 {{%r[0-9]+}}, [[W]], 0x80008, 0x64006400, 0xEA;
// CHECK: shr.b32 [[V4:%r[0-9]+]], [[W]], 0x4;
// CHECK: lop3.b32 {{%r[0-9]+}}, [[V4]], 0x10001, 0x64006400, 0xEA;
// CHECK: shr.b32 [[V8:%r[0-9]+]], [[W]], 0x8;
// CHECK: lop3.b32 {{%r[0-9]+}}, [[V8]], 0x10001, 0x64006400, 0xEA;
// CHECK: shr.b32 [[V12:%r[0-9]+]], [[W]], 0xC;
// CHECK: lop3.b32 {{%r[0-9]+}}, [[V12]], 0x80008, 0x64006400, 0xEA;
// CHECK-NOT: prmt
// CHECK: st.global
// With narrower cast views (a spill variant) the word is shifted in steps of 2: each
// pair's codes at bit 0 or 1.
// NARROW-LABEL: .entry tessel_cast_ui1_paired(
// NARROW: ld.global.b32 [[W:%r[0-9]+]]
// NARROW: lop3.b32 {{%r[0-9]+}}, [[W]], 0x10001, 0x64006400, 0xEA;
// NARROW: lop3.b32 {{%r[0-9]+}}, [[W]], 0x20002, 0x64006400, 0xEA;
// NARROW: shr.b32 [[V2:%r[0-9]+]], [[W]], 0x2;
// NARROW: lop3.b32 {{%r[0-9]+}}, [[V2]], 0x10001, 0x64006400, 0xEA;
// NARROW: lop3.b32 {{%r[0-9]+}}, [[V2]], 0x20002, 0x64006400, 0xEA;
// NARROW-NOT: 0x40004
// NARROW: shr.b32 [[V14:%r[0-9]+]], [[W]], 0xE;
// NARROW-NOT: 0x40004
// NARROW: st.global
tbvm.kernel @cast_ui1_paired(%x: !tbvm.gtensor<32xi32>, %y: !tbvm.gtensor<1024xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %w = tbvm.load_global %x[%c0] : !tbvm.gtensor<32xi32> -> !tbvm.rtensor<32xi32, #tbvm.layout<"spatial(32).local(1)">>
  %q = tbvm.view %w : !tbvm.rtensor<32xi32, #tbvm.layout<"spatial(32).local(1)">> -> !tbvm.rtensor<1024xui1, #tbvm.layout<"layout<shape=[1024], modes=[32,16,2], spatial=[0], local=[2,1]>">>
  %f = tbvm.cast %q : !tbvm.rtensor<1024xui1, #tbvm.layout<"layout<shape=[1024], modes=[32,16,2], spatial=[0], local=[2,1]>">> -> !tbvm.rtensor<1024xf16, #tbvm.layout<"spatial(32).local(32)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<1024xf16, #tbvm.layout<"spatial(32).local(32)">>, !tbvm.gtensor<1024xf16>
  tbvm.return
}

// A cast to another slot order whose pairs each sit in one byte (1 and 2 bits) or one
// word (8 bits) of the source, as the low-bit GEMM's weights cast to mma A fragments do:
// each pair comes from where it is, with no gathering into the result's order first.
// si8: one xor per source word, one prmt per pair at the pair's bytes.
// CHECK-LABEL: .entry tessel_cast_si8_shuffled(
// CHECK-NOT: 0x5410;
// CHECK: xor.b32 [[F0:%r[0-9]+]], {{%r[0-9]+}}, 0x80808080;
// CHECK-NEXT: prmt.b32 {{%r[0-9]+}}, [[F0]], [[M:%r[0-9]+]], 0x4140;
// CHECK: xor.b32 [[F1:%r[0-9]+]], {{%r[0-9]+}}, 0x80808080;
// CHECK-NEXT: prmt.b32 {{%r[0-9]+}}, [[F1]], [[M]], 0x4140;
// CHECK: prmt.b32 {{%r[0-9]+}}, [[F0]], [[M]], 0x4342;
// CHECK-NOT: xor.b32
// CHECK: st.global.v4.b32
tbvm.kernel @cast_si8_shuffled(%x: !tbvm.gtensor<512xsi8>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512xsi8> -> !tbvm.rtensor<512xsi8, #tbvm.layout<"layout<shape=[512], modes=[32,2,4,2], spatial=[0], local=[2,1,3]>">>
  %f = tbvm.cast %q : !tbvm.rtensor<512xsi8, #tbvm.layout<"layout<shape=[512], modes=[32,2,4,2], spatial=[0], local=[2,1,3]>">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}

// ui1: each source byte spread over both halves once; a pair's lop3 at its own bits
// (result pair 1 = source codes 2 and 3 of byte 0; pair 2 = codes 0 and 1 of byte 1).
// CHECK-LABEL: .entry tessel_cast_ui1_shuffled(
// CHECK: prmt.b32 [[B0:%r[0-9]+]], [[W:%r[0-9]+]], 0x0, 0x4040;
// CHECK-NEXT: lop3.b32 {{%r[0-9]+}}, [[B0]], 0x20001, 0x64006400, 0xEA;
// CHECK: lop3.b32 {{%r[0-9]+}}, [[B0]], 0x200010, 0x64006400, 0xEA;
// CHECK: prmt.b32 [[B1:%r[0-9]+]], [[W]], 0x0, 0x4141;
// CHECK-NEXT: lop3.b32 {{%r[0-9]+}}, [[B1]], 0x20001, 0x64006400, 0xEA;
// CHECK: lop3.b32 {{%r[0-9]+}}, [[B0]], 0x80004, 0x64006400, 0xEA;
// CHECK-NOT: prmt
// CHECK: st.global.v4.b32
tbvm.kernel @cast_ui1_shuffled(%x: !tbvm.gtensor<512xui1>, %y: !tbvm.gtensor<512xf16>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %q = tbvm.load_global %x[%c0] : !tbvm.gtensor<512xui1> -> !tbvm.rtensor<512xui1, #tbvm.layout<"layout<shape=[512], modes=[32,2,4,2], spatial=[0], local=[2,1,3]>">>
  %f = tbvm.cast %q : !tbvm.rtensor<512xui1, #tbvm.layout<"layout<shape=[512], modes=[32,2,4,2], spatial=[0], local=[2,1,3]>">> -> !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>
  tbvm.store_global %f, %y[%c0] : !tbvm.rtensor<512xf16, #tbvm.layout<"spatial(32).local(16)">>, !tbvm.gtensor<512xf16>
  tbvm.return
}
