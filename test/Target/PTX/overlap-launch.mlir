// A launch that overlaps the one before it (tbvm.launch {overlap}): the first kernel lets
// the next begin early (tbvm.launch_dependents), the second waits for the first to end
// before it touches y (tbvm.grid_dependency_wait). On sm_90 griddepcontrol, which the
// CUDA backend pairs with a programmatic dependent launch (cuLaunchKernelEx); on sm_80
// nothing (launches there never overlap). The CPU executor and the simulator run the
// launches one after another: y is the fill plus the added x.
// RUN: tessel-opt %s | tessel-opt | FileCheck %s --check-prefix=IR
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: tessel-translate --bytecode-to-tbvm %t.tslm | FileCheck %s --check-prefix=IR
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %python -c "import numpy as n; n.save('%t.d/x.npy', n.arange(256, dtype=n.float32))"
// RUN: tessel-run %t.tslm --device=cpu --input=x=%t.d/x.npy --output-dir=%t.d/cpu
// RUN: tessel-run %t.tslm --device=ptx-sim:sm_90 --input=x=%t.d/x.npy --output-dir=%t.d/sim
// RUN: %python -c "import numpy as n, sys; e = n.arange(256) + 3.0; sys.exit(0 if all((n.load('%t.d/' + d + '/y.npy') == e).all() for d in ('cpu', 'sim')) else 1)"
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_90 %s -o %t.90.ptx
// RUN: FileCheck %s --check-prefix=SM90 < %t.90.ptx
// RUN: %ptxas -arch=sm_90 %t.90.ptx -o %t.90.cubin
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s --check-prefix=SM80
// IR: tbvm.launch_dependents
// IR: tbvm.grid_dependency_wait
// IR: tbvm.launch @fill
// IR-NOT: overlap
// IR: tbvm.launch @add {{.*}} {overlap}
// SM90-LABEL: .entry tessel_fill(
// SM90: griddepcontrol.launch_dependents;
// SM90: st.global
// SM90-LABEL: .entry tessel_add(
// SM90: ld.global
// SM90: griddepcontrol.wait;
// SM90: red.global.add.f32
// SM80-NOT: griddepcontrol
!y = !tbvm.gtensor<?xf32>
!t = !tbvm.rtensor<256xf32, #tbvm.layout<"spatial(128).local(2)">>
module {
  tbvm.kernel @fill(%y: !y) attributes {warps = 4 : i64} {
    %c0 = arith.constant 0 : index
    tbvm.launch_dependents
    %three = arith.constant 3.0 : f32
    %v = tbvm.alloc_regs %three : f32 -> !t
    tbvm.store_global %v, %y[%c0] : !t, !y
    tbvm.return
  }
  tbvm.kernel @add(%x: !y, %y: !y) attributes {warps = 4 : i64} {
    %c0 = arith.constant 0 : index
    // x was written before the fill began: it may be read at once.
    %v = tbvm.load_global %x[%c0] : !y -> !t
    tbvm.grid_dependency_wait
    tbvm.atomic_add %v, %y[%c0] : !t, !y
    tbvm.return
  }
  tbvm.host @main(%x: !y {tbvm.name = "x"}) -> (!y {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %n = tbvm.dim %x, 0 : !y
    %y = tbvm.alloc_global(%n) {uninitialized} : !y
    tbvm.launch @fill grid(%c1, %c1, %c1) (%y) : (!y) -> ()
    tbvm.launch @add grid(%c1, %c1, %c1) (%x, %y) {overlap} : (!y, !y) -> ()
    tbvm.return %y : !y
  }
}
