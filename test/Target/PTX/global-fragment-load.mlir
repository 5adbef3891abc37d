// An mma A fragment tile (16 x 128 f16: rows g and g + 8, pairs of columns) loaded from a
// tensor of dynamic shape in a loop: the vector path runs when the tile lies inside along
// the last dimension (checked once per access), so each of its 32 loads keeps only its
// row's check (two rows: two predicates, no per-load column check; the same in every
// iteration, so computed before the loop), and addresses come
// from one pointer per row plus immediates. A tile that overruns the columns (K = 300)
// takes the element-wise path. Values agree with the CPU and numpy, zeros outside.
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %python -c "import numpy as n; r = n.random.default_rng(3); n.save('%t.d/a.npy', r.normal(size=(3, 384)).astype(n.float16)); n.save('%t.d/b.npy', r.normal(size=(5, 300)).astype(n.float16))"
// RUN: tessel-run %t.tslm --function=main --device=ptx-sim --compare-with=cpu --tolerance=0,0 --input=x=%t.d/a.npy --output-dir=%t.d/oa | FileCheck %s --check-prefix=A
// RUN: tessel-run %t.tslm --function=main --device=ptx-sim --compare-with=cpu --tolerance=0,0 --input=x=%t.d/b.npy --output-dir=%t.d/ob | FileCheck %s --check-prefix=B
// RUN: %python -c "import numpy as n; d = '%t.d/'; [(lambda x, y: (y.shape == (16, x.shape[1] + (-x.shape[1]) %% 128) and (y[:x.shape[0], :x.shape[1]] == x).all() and (y[x.shape[0]:] == 0).all() and (y[:, x.shape[1]:] == 0).all()) or exit('mismatch ' + s))(n.load(d + s + '.npy'), n.load(d + 'o' + s + '/y.npy')) for s in 'ab']; print('values ok')" | FileCheck %s --check-prefix=VALUES
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s --check-prefix=PTX
// A: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 6144 beyond tolerance
// B: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 6144 beyond tolerance
// VALUES: values ok
// A negative origin (a tile that starts 64 columns before the tensor) is not inside: the
// element-wise path reads zeros there (the once-per-tile check compares unsigned).
// RUN: tessel-run %t.tslm --function=shifted --device=ptx-sim --compare-with=cpu --tolerance=0,0 --input=x=%t.d/a.npy --output-dir=%t.d/os | FileCheck %s --check-prefix=S
// RUN: %python -c "import numpy as n; d = '%t.d/'; x = n.load(d + 'a.npy'); y = n.load(d + 'os/y.npy'); e = n.zeros((16, 384), n.float16); e[:3, 64:] = x[:, :320]; assert (y == e).all(), 'mismatch'; print('shifted ok')" | FileCheck %s --check-prefix=SHIFTED
// S: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 6144 beyond tolerance
// SHIFTED: shifted ok
// PTX-LABEL: .entry tessel_copy(
// The rows' checks do not change in the loop: computed before it.
// PTX: setp.lo.u64 [[R0:%p[0-9]+]]
// PTX: setp.lo.u64 [[R8:%p[0-9]+]]
// PTX: $for_head
// PTX: setp.ls.u64
// PTX-NEXT: setp.ls.u64
// PTX-NEXT: and.pred
// PTX-NEXT: and.pred
// PTX-COUNT-32: mov.b32 {{%r[0-9]+}}, 0x0;
// PTX-NEXT: @!{{%p[0-9]+}} bra.uni $unaligned
// PTX: @[[R0]] ld.global.b32 {{%r[0-9]+}}, {{\[}}[[P0:%rd[0-9]+]]{{\]}};
// PTX-NEXT: mad.lo.s64 [[P8:%rd[0-9]+]], {{%rd[0-9]+}}, 16, [[P0]];
// PTX-NEXT: @[[R8]] ld.global.b32 {{%r[0-9]+}}, {{\[}}[[P8]]{{\]}};
// PTX-NEXT: @[[R0]] ld.global.b32 {{%r[0-9]+}}, {{\[}}[[P0]]+16{{\]}};
// PTX-NEXT: @[[R8]] ld.global.b32 {{%r[0-9]+}}, {{\[}}[[P8]]+16{{\]}};
// PTX-COUNT-28: ld.global.b32
// PTX-NEXT: bra.uni $access_done

!x = !tbvm.gtensor<?x?xf16>
!y = !tbvm.gtensor<16x?xf16>
#la = #tbvm.layout<"local(1,8).column_local(2,2).spatial(8,4).local(1,2)">
!a = !tbvm.rtensor<16x128xf16, #la>
module {
  tbvm.kernel @copy(%x: !x, %y: !y) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %c128 = arith.constant 128 : index
    %k = tbvm.dim %x, 1 : !x
    scf.for %k0 = %c0 to %k step %c128 {
      %v = tbvm.load_global %x[%c0, %k0] : !x -> !a
      tbvm.store_global %v, %y[%c0, %k0] : !a, !y
    }
    tbvm.return
  }
  tbvm.kernel @copy_shifted(%x: !x, %y: !y) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %c64 = arith.constant 64 : index
    %c128 = arith.constant 128 : index
    %k = tbvm.dim %x, 1 : !x
    scf.for %k0 = %c0 to %k step %c128 {
      %from = arith.subi %k0, %c64 : index
      %v = tbvm.load_global %x[%c0, %from] : !x -> !a
      tbvm.store_global %v, %y[%c0, %k0] : !a, !y
    }
    tbvm.return
  }
  tbvm.host @shifted(%x: !x {tbvm.name = "x"}) -> (!y {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %c128 = arith.constant 128 : index
    %k = tbvm.dim %x, 1 : !x
    %k128 = arith.ceildivui %k, %c128 : index
    %kp = arith.muli %k128, %c128 : index
    %y = tbvm.alloc_global(%kp) : !y
    tbvm.launch @copy_shifted grid(%c1, %c1, %c1) (%x, %y) : (!x, !y) -> ()
    tbvm.return %y : !y
  }
  tbvm.host @main(%x: !x {tbvm.name = "x"}) -> (!y {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %c128 = arith.constant 128 : index
    %k = tbvm.dim %x, 1 : !x
    %k128 = arith.ceildivui %k, %c128 : index
    %kp = arith.muli %k128, %c128 : index
    %y = tbvm.alloc_global(%kp) : !y
    tbvm.launch @copy grid(%c1, %c1, %c1) (%x, %y) : (!x, !y) -> ()
    tbvm.return %y : !y
  }
}
