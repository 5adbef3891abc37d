// tbvm.prefetch: boxes of a global tensor into L2, the block's threads sharing the work.
// A box is runs of contiguous bytes (the last dimension, extended over earlier ones while
// the box spans the later ones whole). On sm_90 runs that start 16-byte aligned with a
// length a multiple of 16 bytes take one cp.async.bulk.prefetch.L2 each, from thread 0
// of the block; elsewhere each 32-byte sector of a run is one prefetch.global.L2 (one more per
// run that may start mid-sector). Boxes that leave the tensor along a dimension of the
// runs' starts are skipped; runs of the last dimension alone are clipped to it. The PTX
// simulator checks that every prefetched byte lies inside the tensor; results are those
// of the CPU executor (a prefetch changes nothing). In a loop, all but the box's origin
// is computed before it.
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %python -c "import numpy as n; n.save('%t.d/w.npy', n.arange(37 * 20 * 64, dtype=n.int64).reshape(37, 20, 64).astype(n.int8)); n.save('%t.d/x.npy', n.random.default_rng(4).normal(size=(37, 200)).astype(n.float16)); n.save('%t.d/u.npy', n.zeros(1000, n.int8))"
// RUN: tessel-run %t.tslm --device=ptx-sim:sm_80 --compare-with=cpu --tolerance=0,0 --input=w=%t.d/w.npy --input=x=%t.d/x.npy --input=v=%t.d/x.npy --input=u=%t.d/u.npy --output-dir=%t.d/o80 | FileCheck %s
// RUN: tessel-run %t.tslm --device=ptx-sim:sm_90 --compare-with=cpu --tolerance=0,0 --input=w=%t.d/w.npy --input=x=%t.d/x.npy --input=v=%t.d/x.npy --input=u=%t.d/u.npy --output-dir=%t.d/o90 | FileCheck %s
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_90 %s | FileCheck %s --check-prefix=SM90
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s --check-prefix=SM80
// CHECK: compare y: ptx-sim (sm_{{80|90}}) vs cpu: max abs 0, max rel 0, 0 of 7400 beyond tolerance
// SM90: .version 8.0
// SM90-LABEL: .entry tessel_pf(
// 16 x 64 bytes spanning w's last dimension: one run of 1 KiB, one bulk prefetch.
// SM90: $for_head
// SM90-COUNT-1: cp.async.bulk.prefetch.L2.global
// SM90-NOT: prefetch
// SM90: $for_end
// A row of 100 halves (200 bytes; its start 5 i halves in: 2-byte aligned): the sector
// form, 7 + 1 items in one round.
// SM90-LABEL: .entry tessel_pf_x(
// SM90: $for_head
// SM90-COUNT-2: @{{%p[0-9]+}} prefetch.global.L2 [{{%rd[0-9]+}}];
// SM90-NOT: prefetch
// SM90: $for_end
// SM80: .version 7.8
// SM80-LABEL: .entry tessel_pf(
// One run of 1 KiB, 16-byte aligned: 32 + 1 sectors, one round of 128 threads.
// SM80: $for_head
// SM80: @{{%p[0-9]+}} prefetch.global.L2 [{{%rd[0-9]+}}];
// SM80-NOT: prefetch
// SM80: $for_end
// SM80-LABEL: .entry tessel_pf_x(
// SM80: $for_head
// SM80-COUNT-2: @{{%p[0-9]+}} prefetch.global.L2 [{{%rd[0-9]+}}];
// SM80-NOT: prefetch
// SM80: $for_end

!w = !tbvm.gtensor<?x?x64xi8>
!x = !tbvm.gtensor<?x?xf16>
!v = !tbvm.gtensor<?x200xf16>
!u = !tbvm.gtensor<?xi8>
!t = !tbvm.rtensor<1x256xf16, #tbvm.layout<"local(1,2).spatial(1,128)">>
module {
  // Each kernel gets only the tensor it prefetches, so the simulator's check of every
  // prefetched byte is against that tensor alone.
  tbvm.kernel @pf(%w: !w) attributes {warps = 4 : i64} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c16 = arith.constant 16 : index
    %b = tbvm.block_idx x
    // Blocks 0, 1: boxes of rows 0..15 and 16..31 of w's second dimension (20 long: the
    // second box leaves it and is skipped); rows i + 2 of the first (past the end for
    // the last ones: skipped).
    %nt = arith.muli %b, %c16 : index
    %k = tbvm.dim %w, 0 : !w
    scf.for %i = %c0 to %k step %c1 {
      %i2 = arith.addi %i, %c2 : index
      tbvm.prefetch %w[%i2, %nt, %c0] [1, 16, 64] : !w
    }
    tbvm.return
  }
  tbvm.kernel @pf_x(%x: !x) attributes {warps = 4 : i64} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c5 = arith.constant 5 : index
    %c25 = arith.constant 25 : index
    %k = tbvm.dim %x, 0 : !x
    scf.for %i = %c0 to %k step %c1 {
      // Row i of x from column 5 i (clipped at 200 columns from i = 21 on: the last
      // row's 100 columns from 180 would leave the tensor) and from 5 i + 25 (past the
      // 200 columns for the last two rows).
      %col = arith.muli %i, %c5 : index
      %col2 = arith.addi %col, %c25 : index
      tbvm.prefetch %x[%i, %col] [1, 100] : !x
      tbvm.prefetch %x[%i, %col2] [1, 100] : !x
    }
    tbvm.return
  }
  tbvm.kernel @pf_bulk(%v: !v) attributes {warps = 4 : i64} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    %k = tbvm.dim %v, 0 : !v
    scf.for %i = %c0 to %k step %c1 {
      // Rows of 400 bytes, columns from 8 i (16-byte aligned): 96 halves from there are
      // one bulk prefetch on sm_90, clipped to the row from i = 14 (rounded down to 16
      // bytes: 200 - 8 i halves), none from i = 24 (less than 16 bytes left or past it).
      %col = arith.muli %i, %c8 : index
      tbvm.prefetch %v[%i, %col] [1, 96] : !v
    }
    tbvm.return
  }
  tbvm.kernel @pf_1d(%u: !u) attributes {warps = 4 : i64} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c16 = arith.constant 16 : index
    %c3 = arith.constant 3 : index
    %n = tbvm.dim %u, 0 : !u
    %runs = arith.ceildivui %n, %c16 : index
    %end = arith.addi %runs, %c3 : index
    scf.for %i = %c0 to %end step %c1 {
      // 96 bytes from 16 i of 1000: bulk on sm_90, clipped from i = 57 to 1000 - 16 i
      // bytes rounded down to 16, none from i = 62.
      %at = arith.muli %i, %c16 : index
      tbvm.prefetch %u[%at] [96] : !u
    }
    tbvm.return
  }
  tbvm.kernel @copy(%x: !x, %y: !x) attributes {warps = 4 : i64} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %k = tbvm.dim %x, 0 : !x
    scf.for %i = %c0 to %k step %c1 {
      %v = tbvm.load_global %x[%i, %c0] : !x -> !t
      tbvm.store_global %v, %y[%i, %c0] : !t, !x
    }
    tbvm.return
  }
  tbvm.host @main(%w: !w {tbvm.name = "w"}, %x: !x {tbvm.name = "x"}, %v: !v {tbvm.name = "v"}, %u: !u {tbvm.name = "u"}) -> (!x {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %m = tbvm.dim %x, 0 : !x
    %k = tbvm.dim %x, 1 : !x
    %y = tbvm.alloc_global(%m, %k) : !x
    tbvm.launch @pf grid(%c2, %c1, %c1) (%w) : (!w) -> ()
    tbvm.launch @pf_x grid(%c1, %c1, %c1) (%x) : (!x) -> ()
    tbvm.launch @pf_bulk grid(%c1, %c1, %c1) (%v) : (!v) -> ()
    tbvm.launch @pf_1d grid(%c1, %c1, %c1) (%u) : (!u) -> ()
    tbvm.launch @copy grid(%c1, %c1, %c1) (%x, %y) : (!x, !x) -> ()
    tbvm.return %y : !x
  }
}
