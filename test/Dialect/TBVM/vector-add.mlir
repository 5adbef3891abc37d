// RUN: tessel-opt %s | tessel-opt | FileCheck %s

// CHECK: #[[L:.*]] = #tbvm.layout<"spatial(128).local(4)">
// CHECK-LABEL: tbvm.kernel @vadd
// CHECK-SAME: attributes {shared_bytes = 0 : i64, warps = 4 : i64}
// CHECK: tbvm.block_idx x
// CHECK: tbvm.load_global %{{.*}}[%{{.*}}] : !tbvm.gtensor<?xf32> -> !tbvm.rtensor<512xf32, #[[L]]>
// CHECK: tbvm.binary add %{{.*}}, %{{.*}} : !tbvm.rtensor<512xf32, #[[L]]>, !tbvm.rtensor<512xf32, #[[L]]> -> !tbvm.rtensor<512xf32, #[[L]]>
// CHECK: tbvm.store_global
// CHECK-LABEL: tbvm.host @main
// CHECK: tbvm.launch @vadd grid(%{{.*}}, %{{.*}}, %{{.*}}) (%arg0, %arg1, %{{.*}})
!v = !tbvm.gtensor<?xf32>
!r = !tbvm.rtensor<512xf32, #tbvm.layout<"spatial(128).local(4)">>
module {
  tbvm.kernel @vadd(%x: !v, %y: !v, %z: !v) attributes {warps = 4 : i64} {
    %b = tbvm.block_idx x
    %c512 = arith.constant 512 : index
    %off = arith.muli %b, %c512 : index
    %a = tbvm.load_global %x[%off] : !v -> !r
    %c = tbvm.load_global %y[%off] : !v -> !r
    %s = tbvm.binary add %a, %c : !r, !r -> !r
    tbvm.store_global %s, %z[%off] : !r, !v
    tbvm.return
  }
  tbvm.host @main(%x: !v, %y: !v) -> !v {
    %n = tbvm.dim %x, 0 : !v
    %z = tbvm.alloc_global(%n) : !v
    %c512 = arith.constant 512 : index
    %c1 = arith.constant 1 : index
    %blocks = arith.ceildivui %n, %c512 : index
    tbvm.launch @vadd grid(%blocks, %c1, %c1) (%x, %y, %z) : (!v, !v, !v) -> ()
    tbvm.return %z : !v
  }
}
