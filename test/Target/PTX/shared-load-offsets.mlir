// Register tiles loaded from shared memory: one address per run of slots whose offsets
// differ by a whole number of swizzle periods, the rest immediates (the decode's scale rows
// were four address computations for four 16-bit loads). Without a swizzle every slot
// shares one address; with swizzle<3, 3, 3> (a period of 512 elements: 8 rows of 64) the
// slots 8 rows apart share one and those at another residue get their own. The values
// agree with the CPU and numpy.
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %python -c "import numpy as n; r = n.random.default_rng(5); n.save('%t.d/s.npy', r.normal(size=(2, 128)).astype(n.float16)); n.save('%t.d/x.npy', r.normal(size=(32, 64)).astype(n.float16)); n.save('%t.d/p.npy', r.normal(size=(4, 128)).astype(n.float16))"
// RUN: tessel-run %t.tslm --function=rows --device=ptx-sim --compare-with=cpu --tolerance=0,0 --input=s=%t.d/s.npy --output-dir=%t.d/o1 | FileCheck %s --check-prefix=ROWS
// RUN: tessel-run %t.tslm --function=swizzled --device=ptx-sim --compare-with=cpu --tolerance=0,0 --input=x=%t.d/x.npy --output-dir=%t.d/o2 | FileCheck %s --check-prefix=SWZ
// RUN: %python -c "import numpy as n; d = '%t.d/'; assert (n.load(d + 'o1/y.npy') == n.load(d + 's.npy')[1:]).all(); assert (n.load(d + 'o2/y.npy') == n.load(d + 'x.npy')).all(); print('values ok')" | FileCheck %s --check-prefix=VALUES
// RUN: tessel-run %t.tslm --function=pairs --device=ptx-sim --compare-with=cpu --tolerance=0,0 --input=s=%t.d/p.npy --output-dir=%t.d/o3 | FileCheck %s --check-prefix=PAIRS
// RUN: %python -c "import numpy as n; d = '%t.d/'; p = n.load(d + 'p.npy'); y = n.load(d + 'o3/y.npy'); assert (y[0] == p[2]).all() and (y[1] == p[1]).all(); print('pairs ok')" | FileCheck %s --check-prefix=VALUES-PAIRS
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s --check-prefix=PTX
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 --no-row-pair-ldmatrix %s | FileCheck %s --check-prefix=NOLDM
// RUN: tessel-run %t.tslm --function=pairs_rows --device=ptx-sim --compare-with=cpu --tolerance=0,0 --input=s=%t.d/p.npy --output-dir=%t.d/o4 | FileCheck %s --check-prefix=ROWPAIRS
// RUN: %python -c "import numpy as n; d = '%t.d/'; p = n.load(d + 'p.npy'); y = n.load(d + 'o4/y.npy'); assert (y == p[1:3]).all(); print('row pairs ok')" | FileCheck %s --check-prefix=VALUES-ROWPAIRS
// ROWS: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 128 beyond tolerance
// SWZ: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 2048 beyond tolerance
// PAIRS: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 256 beyond tolerance
// VALUES: values ok
// VALUES-PAIRS: pairs ok
// ROWPAIRS: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 256 beyond tolerance
// VALUES-ROWPAIRS: row pairs ok
// Without (the spill variant): 16-bit loads.
// NOLDM-LABEL: .entry tessel_pairs_kernel(
// NOLDM-NOT: ldmatrix
// NOLDM: ld.shared.u16
// PTX-LABEL: .entry tessel_rows_kernel(
// PTX: ld.shared.u16 {{%r[0-9]+}}, {{\[}}[[P:%r[0-9]+]]{{\]}};
// PTX: ld.shared.u16 {{%r[0-9]+}}, {{\[}}[[P]]+64{{\]}};
// PTX: ld.shared.u16 {{%r[0-9]+}}, {{\[}}[[P]]+128{{\]}};
// PTX: ld.shared.u16 {{%r[0-9]+}}, {{\[}}[[P]]+192{{\]}};
// Rows of 16-bit pairs: 4 warps, each thread holding columns 32 w + 8 s + g (g = lane / 4,
// the same for the four lanes of a group; the decode's scale rows) take one
// ldmatrix.x2.trans per row instead of four 16-bit loads: lane 8 j + r points at the
// 8 columns from 32 w + 16 j + 8 (r % 2), so each register holds columns g and g + 8.
// The row: a constant (immediate bytes 2 * 128 * 2) and a value (its multiple added).
// PTX-LABEL: .entry tessel_pairs_kernel(
// PTX-NOT: ld.shared.u16
// PTX: ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {{{%r[0-9]+}}, {{%r[0-9]+}}}, {{\[}}{{%r[0-9]+}}+512{{\]}};
// PTX-NOT: ld.shared.u16
// PTX: mad.lo.u32 [[A:%r[0-9]+]], {{%r[0-9]+}}, 256, {{%r[0-9]+}};
// PTX-NEXT: ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {{{%r[0-9]+}}, {{%r[0-9]+}}}, {{\[}}[[A]]{{\]}};
// PTX-NOT: ld.shared.u16
// Four pairs per thread whose halves come from two rows ([2, 128]: slot 2j + row holds
// (row, 32 w + 8 j + g)): one ldmatrix.x4.trans, the odd lanes pointing a row further.
// PTX-LABEL: .entry tessel_pairs_rows_kernel(
// PTX-NOT: ld.shared.u16
// PTX: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// PTX-NOT: ld.shared.u16
// A tile not known to start on 16 bytes keeps the 16-bit loads.
// PTX-LABEL: .entry tessel_pairs_unaligned_kernel(
// PTX-NOT: ldmatrix
// PTX: ld.shared.u16
// PTX-LABEL: .entry tessel_swizzled_kernel(
// PTX: ld.shared.v4.b32 {{.*}}, {{\[}}[[A:%r[0-9]+]]{{\]}};
// PTX: xor.b64
// PTX: ld.shared.v4.b32 {{.*}}, {{\[}}[[B:%r[0-9]+]]{{\]}};
// PTX-NEXT: ld.shared.v4.b32 {{.*}}, {{\[}}[[A]]+1024{{\]}};
// PTX-NEXT: ld.shared.v4.b32 {{.*}}, {{\[}}[[B]]+1024{{\]}};
// PTX-NEXT: ld.shared.v4.b32 {{.*}}, {{\[}}[[A]]+2048{{\]}};
// PTX-NEXT: ld.shared.v4.b32 {{.*}}, {{\[}}[[B]]+2048{{\]}};
// PTX-NEXT: ld.shared.v4.b32 {{.*}}, {{\[}}[[A]]+3072{{\]}};
// PTX-NEXT: ld.shared.v4.b32 {{.*}}, {{\[}}[[B]]+3072{{\]}};

!g = !tbvm.gtensor<?x?xf16>
!ss = !tbvm.stensor<2x128xf16>
!rs = !tbvm.rtensor<1x128xf16, #tbvm.layout<"local(1,4).spatial(1,32)">>
!sp = !tbvm.stensor<4x128xf16>
!rp = !tbvm.rtensor<1x128xf16, #tbvm.layout<"spatial(1,4).local(1,4).spatial(1,8).replicate(4)">>
!rp2 = !tbvm.rtensor<2x128xf16, #tbvm.layout<"spatial(1,4).local(1,4).local(2,1).spatial(1,8).replicate(4)">>
!sx = !tbvm.stensor<32x64xf16, #tbvm.swizzle<3, 3, 3>>
!rx = !tbvm.rtensor<32x64xf16, #tbvm.layout<"local(4,1).spatial(8,4).local(1,16)">>
module {
  tbvm.kernel @rows_kernel(%s: !g, %y: !g) attributes {warps = 1 : i64, shared_bytes = 512 : i64} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %smem = tbvm.alloc_shared {offset = 0 : i64} : !ss
    tbvm.copy_async %s[%c0, %c0], %smem : !g, !ss
    tbvm.copy_async_commit
    tbvm.copy_async_wait
    tbvm.sync
    %v = tbvm.load_shared %smem[%c1, %c0] : !ss -> !rs
    tbvm.store_global %v, %y[%c0, %c0] : !rs, !g
    tbvm.return
  }
  tbvm.kernel @pairs_kernel(%s: !g, %y: !g) attributes {warps = 4 : i64, shared_bytes = 1024 : i64} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %smem = tbvm.alloc_shared {offset = 0 : i64} : !sp
    tbvm.copy_async %s[%c0, %c0], %smem : !g, !sp
    tbvm.copy_async_commit
    tbvm.copy_async_wait
    tbvm.sync
    %a = tbvm.load_shared %smem[%c2, %c0] : !sp -> !rp
    tbvm.store_global %a, %y[%c0, %c0] : !rp, !g
    %n = tbvm.dim %y, 0 : !g
    %r = arith.subi %n, %c1 : index
    %b = tbvm.load_shared %smem[%r, %c0] : !sp -> !rp
    tbvm.store_global %b, %y[%c1, %c0] : !rp, !g
    tbvm.return
  }
  tbvm.kernel @pairs_rows_kernel(%s: !g, %y: !g) attributes {warps = 4 : i64, shared_bytes = 1024 : i64} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %smem = tbvm.alloc_shared {offset = 0 : i64} : !sp
    tbvm.copy_async %s[%c0, %c0], %smem : !g, !sp
    tbvm.copy_async_commit
    tbvm.copy_async_wait
    tbvm.sync
    %a = tbvm.load_shared %smem[%c1, %c0] : !sp -> !rp2
    tbvm.store_global %a, %y[%c0, %c0] : !rp2, !g
    tbvm.return
  }
  tbvm.kernel @pairs_unaligned_kernel(%s: !g, %y: !g) attributes {warps = 4 : i64, shared_bytes = 1032 : i64} {
    %c0 = arith.constant 0 : index
    %smem = tbvm.alloc_shared {offset = 8 : i64} : !sp
    %a = tbvm.load_shared %smem[%c0, %c0] : !sp -> !rp
    tbvm.store_global %a, %y[%c0, %c0] : !rp, !g
    tbvm.return
  }
  tbvm.kernel @swizzled_kernel(%x: !g, %y: !g) attributes {warps = 1 : i64, shared_bytes = 4096 : i64} {
    %c0 = arith.constant 0 : index
    %smem = tbvm.alloc_shared {offset = 0 : i64} : !sx
    tbvm.copy_async %x[%c0, %c0], %smem : !g, !sx
    tbvm.copy_async_commit
    tbvm.copy_async_wait
    tbvm.sync
    %v = tbvm.load_shared %smem[%c0, %c0] : !sx -> !rx
    tbvm.store_global %v, %y[%c0, %c0] : !rx, !g
    tbvm.return
  }
  tbvm.host @rows(%s: !g {tbvm.name = "s"}) -> (!g {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %c128 = arith.constant 128 : index
    %y = tbvm.alloc_global(%c1, %c128) : !g
    tbvm.launch @rows_kernel grid(%c1, %c1, %c1) (%s, %y) : (!g, !g) -> ()
    tbvm.return %y : !g
  }
  tbvm.host @pairs(%s: !g {tbvm.name = "s"}) -> (!g {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c128 = arith.constant 128 : index
    %y = tbvm.alloc_global(%c2, %c128) : !g
    tbvm.launch @pairs_kernel grid(%c1, %c1, %c1) (%s, %y) : (!g, !g) -> ()
    tbvm.return %y : !g
  }
  tbvm.host @pairs_rows(%s: !g {tbvm.name = "s"}) -> (!g {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c128 = arith.constant 128 : index
    %y = tbvm.alloc_global(%c2, %c128) : !g
    tbvm.launch @pairs_rows_kernel grid(%c1, %c1, %c1) (%s, %y) : (!g, !g) -> ()
    tbvm.return %y : !g
  }
  tbvm.host @swizzled(%x: !g {tbvm.name = "x"}) -> (!g {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %c32 = arith.constant 32 : index
    %c64 = arith.constant 64 : index
    %y = tbvm.alloc_global(%c32, %c64) : !g
    tbvm.launch @swizzled_kernel grid(%c1, %c1, %c1) (%x, %y) : (!g, !g) -> ()
    tbvm.return %y : !g
  }
}
