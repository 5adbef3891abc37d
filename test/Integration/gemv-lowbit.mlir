// Low-bit GEMV y[n] = sum_k x[k] * (s[n, k/64] * q[n, k] (+ m[n, k/64])) with packed
// weights of three types: ui3 with offsets (asymmetric), si5 and !lowp.float<e2m3>
// (symmetric), groups of 64 along K, f16 scales. Each thread loads 2*bits contiguous
// bytes (16 codes), views them as codes, casts them to f16 and applies its group scale:
// the path the GPU kernels take.
//
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: rm -rf %t.ui3 && mkdir -p %t.ui3
// RUN: %python %S/Inputs/reference.py gemv %t.ui3 --type=ui3 --n=80 --k=192
// RUN: tessel-run %t.tslm --function=gemv_ui3 --device=cpu --input=x=%t.ui3/x.npy --input=w=%t.ui3/w.npy --input=s=%t.ui3/s.npy --input=m=%t.ui3/m.npy --output-dir=%t.ui3/out | FileCheck %s --check-prefix=CHECK-UI3
// RUN: %python %S/Inputs/reference.py check %t.ui3
// RUN: rm -rf %t.ui3/out
// RUN: tessel-run %t.tslm --function=gemv_ui3 --device=ptx-sim --input=x=%t.ui3/x.npy --input=w=%t.ui3/w.npy --input=s=%t.ui3/s.npy --input=m=%t.ui3/m.npy --output-dir=%t.ui3/out | FileCheck %s --check-prefix=CHECK-UI3
// RUN: %python %S/Inputs/reference.py check %t.ui3
// CHECK-UI3: y: f32 [80, 1]
// RUN: rm -rf %t.si5 && mkdir -p %t.si5
// RUN: %python %S/Inputs/reference.py gemv %t.si5 --type=si5 --n=80 --k=192
// RUN: tessel-run %t.tslm --function=gemv_si5 --device=cpu --input=x=%t.si5/x.npy --input=w=%t.si5/w.npy --input=s=%t.si5/s.npy --output-dir=%t.si5/out | FileCheck %s --check-prefix=CHECK-SI5
// RUN: %python %S/Inputs/reference.py check %t.si5
// RUN: rm -rf %t.si5/out
// RUN: tessel-run %t.tslm --function=gemv_si5 --device=ptx-sim --input=x=%t.si5/x.npy --input=w=%t.si5/w.npy --input=s=%t.si5/s.npy --output-dir=%t.si5/out | FileCheck %s --check-prefix=CHECK-SI5
// RUN: %python %S/Inputs/reference.py check %t.si5
// CHECK-SI5: y: f32 [80, 1]
// RUN: rm -rf %t.e2m3 && mkdir -p %t.e2m3
// RUN: %python %S/Inputs/reference.py gemv %t.e2m3 --type=e2m3 --n=80 --k=192
// RUN: tessel-run %t.tslm --function=gemv_e2m3 --device=cpu --input=x=%t.e2m3/x.npy --input=w=%t.e2m3/w.npy --input=s=%t.e2m3/s.npy --output-dir=%t.e2m3/out | FileCheck %s --check-prefix=CHECK-E2M3
// RUN: %python %S/Inputs/reference.py check %t.e2m3
// RUN: rm -rf %t.e2m3/out
// RUN: tessel-run %t.tslm --function=gemv_e2m3 --device=ptx-sim --input=x=%t.e2m3/x.npy --input=w=%t.e2m3/w.npy --input=s=%t.e2m3/s.npy --output-dir=%t.e2m3/out | FileCheck %s --check-prefix=CHECK-E2M3
// RUN: %python %S/Inputs/reference.py check %t.e2m3
// CHECK-E2M3: y: f32 [80, 1]

!X = !tbvm.gtensor<1x?xf16>
!W = !tbvm.gtensor<?x?xi8>
!S = !tbvm.gtensor<?x?xf16>
!Y = !tbvm.gtensor<?x1xf32>
!F = !tbvm.rtensor<32x64xf16, #tbvm.layout<"spatial(32,4).local(1,16)">>
!F32 = !tbvm.rtensor<32x64xf32, #tbvm.layout<"spatial(32,4).local(1,16)">>
!Sc = !tbvm.rtensor<32x1xf16, #tbvm.layout<"spatial(32,1).replicate(4)">>
!Acc = !tbvm.rtensor<32x1xf32, #tbvm.layout<"spatial(32,1).replicate(4)">>
!Xr = !tbvm.rtensor<1x64xf16, #tbvm.layout<"replicate(32).spatial(1,4).local(1,16)">>

module {
  tbvm.kernel @gemv_ui3_kernel(%x: !X, %w: !W, %s: !S, %m: !S, %y: !Y) attributes {warps = 4 : i64} {
    %c0 = arith.constant 0 : index
    %c8 = arith.constant 8 : index
    %c32 = arith.constant 32 : index
    %c64 = arith.constant 64 : index
    %cbits = arith.constant 3 : index
    %b = tbvm.block_idx x
    %n0 = arith.muli %b, %c32 : index
    %kdim = tbvm.dim %x, 1 : !X
    %zero = tbvm.alloc_regs -> !Acc
    %acc = scf.for %k = %c0 to %kdim step %c64 iter_args(%acc_i = %zero) -> (!Acc) {
      %k8 = arith.divui %k, %c8 : index
      %kb = arith.muli %k8, %cbits : index
      %bytes = tbvm.load_global %w[%n0, %kb] {cache = 1 : i32} : !W -> !tbvm.rtensor<32x24xi8, #tbvm.layout<"spatial(32,4).local(1,6)">>
      %q = tbvm.view %bytes : !tbvm.rtensor<32x24xi8, #tbvm.layout<"spatial(32,4).local(1,6)">> -> !tbvm.rtensor<32x64xui3, #tbvm.layout<"spatial(32,4).local(1,16)">>
      %f = tbvm.cast %q : !tbvm.rtensor<32x64xui3, #tbvm.layout<"spatial(32,4).local(1,16)">> -> !F
      %g = arith.divui %k, %c64 : index
      %sc = tbvm.load_global %s[%n0, %g] : !S -> !Sc
      %scb = tbvm.broadcast %sc : !Sc -> !F
      %mo = tbvm.load_global %m[%n0, %g] : !S -> !Sc
      %mob = tbvm.broadcast %mo : !Sc -> !F
      %wv = tbvm.fma %f, %scb, %mob : !F, !F, !F -> !F
      %xv = tbvm.load_global %x[%c0, %k] : !X -> !Xr
      %xb = tbvm.broadcast %xv : !Xr -> !F
      %w32 = tbvm.cast %wv : !F -> !F32
      %x32 = tbvm.cast %xb : !F -> !F32
      %p = tbvm.binary mul %w32, %x32 : !F32, !F32 -> !F32
      %ps = tbvm.reduce sum %p, 1 : !F32 -> !Acc
      %next = tbvm.binary add %acc_i, %ps : !Acc, !Acc -> !Acc
      scf.yield %next : !Acc
    }
    tbvm.store_global %acc, %y[%n0, %c0] : !Acc, !Y
    tbvm.return
  }

  tbvm.host @gemv_ui3(%x: !X {tbvm.name = "x"}, %w: !W {tbvm.name = "w"}, %s: !S {tbvm.name = "s"}, %m: !S {tbvm.name = "m"}) -> (!Y {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %c32 = arith.constant 32 : index
    %n = tbvm.dim %w, 0 : !W
    %y = tbvm.alloc_global(%n) : !Y
    %blocks = arith.ceildivui %n, %c32 : index
    tbvm.launch @gemv_ui3_kernel grid(%blocks, %c1, %c1) (%x, %w, %s, %m, %y) : (!X, !W, !S, !S, !Y) -> ()
    tbvm.return %y : !Y
  }

  tbvm.kernel @gemv_si5_kernel(%x: !X, %w: !W, %s: !S, %y: !Y) attributes {warps = 4 : i64} {
    %c0 = arith.constant 0 : index
    %c8 = arith.constant 8 : index
    %c32 = arith.constant 32 : index
    %c64 = arith.constant 64 : index
    %cbits = arith.constant 5 : index
    %b = tbvm.block_idx x
    %n0 = arith.muli %b, %c32 : index
    %kdim = tbvm.dim %x, 1 : !X
    %zero = tbvm.alloc_regs -> !Acc
    %acc = scf.for %k = %c0 to %kdim step %c64 iter_args(%acc_i = %zero) -> (!Acc) {
      %k8 = arith.divui %k, %c8 : index
      %kb = arith.muli %k8, %cbits : index
      %bytes = tbvm.load_global %w[%n0, %kb] {cache = 1 : i32} : !W -> !tbvm.rtensor<32x40xi8, #tbvm.layout<"spatial(32,4).local(1,10)">>
      %q = tbvm.view %bytes : !tbvm.rtensor<32x40xi8, #tbvm.layout<"spatial(32,4).local(1,10)">> -> !tbvm.rtensor<32x64xsi5, #tbvm.layout<"spatial(32,4).local(1,16)">>
      %f = tbvm.cast %q : !tbvm.rtensor<32x64xsi5, #tbvm.layout<"spatial(32,4).local(1,16)">> -> !F
      %g = arith.divui %k, %c64 : index
      %sc = tbvm.load_global %s[%n0, %g] : !S -> !Sc
      %scb = tbvm.broadcast %sc : !Sc -> !F
      %wv = tbvm.binary mul %f, %scb : !F, !F -> !F
      %xv = tbvm.load_global %x[%c0, %k] : !X -> !Xr
      %xb = tbvm.broadcast %xv : !Xr -> !F
      %w32 = tbvm.cast %wv : !F -> !F32
      %x32 = tbvm.cast %xb : !F -> !F32
      %p = tbvm.binary mul %w32, %x32 : !F32, !F32 -> !F32
      %ps = tbvm.reduce sum %p, 1 : !F32 -> !Acc
      %next = tbvm.binary add %acc_i, %ps : !Acc, !Acc -> !Acc
      scf.yield %next : !Acc
    }
    tbvm.store_global %acc, %y[%n0, %c0] : !Acc, !Y
    tbvm.return
  }

  tbvm.host @gemv_si5(%x: !X {tbvm.name = "x"}, %w: !W {tbvm.name = "w"}, %s: !S {tbvm.name = "s"}) -> (!Y {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %c32 = arith.constant 32 : index
    %n = tbvm.dim %w, 0 : !W
    %y = tbvm.alloc_global(%n) : !Y
    %blocks = arith.ceildivui %n, %c32 : index
    tbvm.launch @gemv_si5_kernel grid(%blocks, %c1, %c1) (%x, %w, %s, %y) : (!X, !W, !S, !Y) -> ()
    tbvm.return %y : !Y
  }

  tbvm.kernel @gemv_e2m3_kernel(%x: !X, %w: !W, %s: !S, %y: !Y) attributes {warps = 4 : i64} {
    %c0 = arith.constant 0 : index
    %c8 = arith.constant 8 : index
    %c32 = arith.constant 32 : index
    %c64 = arith.constant 64 : index
    %cbits = arith.constant 6 : index
    %b = tbvm.block_idx x
    %n0 = arith.muli %b, %c32 : index
    %kdim = tbvm.dim %x, 1 : !X
    %zero = tbvm.alloc_regs -> !Acc
    %acc = scf.for %k = %c0 to %kdim step %c64 iter_args(%acc_i = %zero) -> (!Acc) {
      %k8 = arith.divui %k, %c8 : index
      %kb = arith.muli %k8, %cbits : index
      %bytes = tbvm.load_global %w[%n0, %kb] {cache = 1 : i32} : !W -> !tbvm.rtensor<32x48xi8, #tbvm.layout<"spatial(32,4).local(1,12)">>
      %q = tbvm.view %bytes : !tbvm.rtensor<32x48xi8, #tbvm.layout<"spatial(32,4).local(1,12)">> -> !tbvm.rtensor<32x64x!lowp.float<e2m3>, #tbvm.layout<"spatial(32,4).local(1,16)">>
      %f = tbvm.cast %q : !tbvm.rtensor<32x64x!lowp.float<e2m3>, #tbvm.layout<"spatial(32,4).local(1,16)">> -> !F
      %g = arith.divui %k, %c64 : index
      %sc = tbvm.load_global %s[%n0, %g] : !S -> !Sc
      %scb = tbvm.broadcast %sc : !Sc -> !F
      %wv = tbvm.binary mul %f, %scb : !F, !F -> !F
      %xv = tbvm.load_global %x[%c0, %k] : !X -> !Xr
      %xb = tbvm.broadcast %xv : !Xr -> !F
      %w32 = tbvm.cast %wv : !F -> !F32
      %x32 = tbvm.cast %xb : !F -> !F32
      %p = tbvm.binary mul %w32, %x32 : !F32, !F32 -> !F32
      %ps = tbvm.reduce sum %p, 1 : !F32 -> !Acc
      %next = tbvm.binary add %acc_i, %ps : !Acc, !Acc -> !Acc
      scf.yield %next : !Acc
    }
    tbvm.store_global %acc, %y[%n0, %c0] : !Acc, !Y
    tbvm.return
  }

  tbvm.host @gemv_e2m3(%x: !X {tbvm.name = "x"}, %w: !W {tbvm.name = "w"}, %s: !S {tbvm.name = "s"}) -> (!Y {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %c32 = arith.constant 32 : index
    %n = tbvm.dim %w, 0 : !W
    %y = tbvm.alloc_global(%n) : !Y
    %blocks = arith.ceildivui %n, %c32 : index
    tbvm.launch @gemv_e2m3_kernel grid(%blocks, %c1, %c1) (%x, %w, %s, %y) : (!X, !W, !S, !Y) -> ()
    tbvm.return %y : !Y
  }

}
