// copy_async of sub-byte elements (ui4) from a tile whose row origin lies before the
// tensor (block 0 starts 3 rows early): the tile origin's byte offset is negative and must
// stay so (an arithmetic shift of origin * bits; a logical one put every chunk's address
// ~2^61 bytes away). The GPU path agrees with the CPU, zeros outside.
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: tessel-run %t.tslm --device=ptx-sim --compare-with=cpu --random-inputs --dim=40 | FileCheck %s
// CHECK: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 10240 beyond tolerance
!x = !tbvm.gtensor<?x256xui4>
!s = !tbvm.stensor<16x128xui4>
!t = !tbvm.rtensor<16x128xui4, #tbvm.layout<"spatial(8,4).local(2,32)">>
module {
  tbvm.kernel @copy(%x: !x, %y: !x) attributes {warps = 1 : i64, shared_bytes = 1024 : i64} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c3 = arith.constant 3 : index
    %c16 = arith.constant 16 : index
    %c128 = arith.constant 128 : index
    %b = tbvm.block_idx x
    %b16 = arith.muli %b, %c16 : index
    %m0 = arith.subi %b16, %c3 : index
    %k = tbvm.dim %x, 1 : !x
    %n = arith.ceildivui %k, %c128 : index
    %smem = tbvm.alloc_shared {offset = 0 : i64} : !s
    scf.for %kc = %c0 to %n step %c1 {
      %k0 = arith.muli %kc, %c128 : index
      tbvm.copy_async %x[%m0, %k0], %smem : !x, !s
      tbvm.copy_async_commit
      tbvm.copy_async_wait
      tbvm.sync
      %v = tbvm.load_shared %smem[%c0, %c0] : !s -> !t
      tbvm.store_global %v, %y[%m0, %k0] : !t, !x
      tbvm.sync
    }
    tbvm.return
  }
  tbvm.host @main(%x: !x {tbvm.name = "x"}) -> (!x {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %m = tbvm.dim %x, 0 : !x
    %y = tbvm.alloc_global(%m) : !x
    tbvm.launch @copy grid(%c4, %c1, %c1) (%x, %y) : (!x, !x) -> ()
    tbvm.return %y : !x
  }
}
