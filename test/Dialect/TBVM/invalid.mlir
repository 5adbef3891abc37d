// RUN: tessel-opt %s --split-input-file --verify-diagnostics

// expected-error @+1 {{invalid layout "spatial(4,)": }}
func.func private @bad_layout(!tbvm.rtensor<4xf32, #tbvm.layout<"spatial(4,)">>)

// -----

// expected-error @+1 {{register tensor shape [8] differs from its layout's shape [4]}}
func.func private @shape_mismatch(!tbvm.rtensor<8xf32, #tbvm.layout<"spatial(4)">>)

// -----

// expected-error @+1 {{element type 'i64' is not a tbvm element type}}
func.func private @wide_element(!tbvm.gtensor<?xi64>)

// -----

// expected-error @+1 {{a swizzled shared tensor needs a multiple of 256 elements}}
func.func private @swizzle_period(!tbvm.stensor<8x16xf16, #tbvm.swizzle<2, 3, 3>>)

// -----

// expected-error @+1 {{swizzle<1, 9223372036854775807, 2> needs non-negative fields spanning at most 24 bits}}
func.func private @swizzle_overflow(!tbvm.stensor<64x64xf16, #tbvm.swizzle<1, 9223372036854775807, 2>>)

// -----

// expected-error @+1 {{swizzle<3, 3, 2> is not a bijection: shift must be >= bits}}
func.func private @swizzle_bijection(!tbvm.stensor<64x64xf16, #tbvm.swizzle<3, 3, 2>>)

// -----

!r = !tbvm.rtensor<32xf32, #tbvm.layout<"spatial(32)">>
// expected-error @+1 {{has 128 threads (4 warps) but a register tile '!tbvm.rtensor<32xf32, #tbvm.layout<"spatial(32)">>' spans 32}}
tbvm.kernel @threads() attributes {warps = 4 : i64} {
  %0 = tbvm.alloc_regs -> !r
  tbvm.return
}

// -----

tbvm.kernel @host_op_in_kernel() attributes {warps = 1 : i64} {
  %c = arith.constant 4 : index
  // expected-error @+1 {{can only appear in a tbvm.host function}}
  %0 = tbvm.alloc_global(%c) : !tbvm.gtensor<?xf32>
  tbvm.return
}

// -----

tbvm.host @kernel_op_in_host() {
  // expected-error @+1 {{can only appear in a tbvm.kernel}}
  tbvm.sync
  tbvm.return
}

// -----

// expected-error @+1 {{needs 1..32 warps (at most 1024 threads), got 33}}
tbvm.kernel @too_many_warps() attributes {warps = 33 : i64} {
  tbvm.return
}

// -----

!b = !tbvm.rtensor<32x4xi8, #tbvm.layout<"spatial(32,1).local(1,4)">>
!q = !tbvm.rtensor<32x8xui3, #tbvm.layout<"spatial(32,1).local(1,8)">>
tbvm.kernel @view_bits(%x: !tbvm.gtensor<?x?xi8>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %v = tbvm.load_global %x[%c0, %c0] : !tbvm.gtensor<?x?xi8> -> !b
  // expected-error @+1 {{each thread holds 32 bits of '!tbvm.rtensor<32x4xi8, #tbvm.layout<"spatial(32,1).local(1,4)">>' but 24 bits of}}
  %q = tbvm.view %v : !b -> !q
  tbvm.return
}

// -----

// A row layout for a and a column layout for b: thread t holds d[t/4, t%4 ...] but not the row.
!a = !tbvm.rtensor<8x8xf16, #tbvm.layout<"spatial(8,4).local(1,2)">>
!bb = !tbvm.rtensor<8x8xf16, #tbvm.layout<"spatial(8,4).local(1,2)">>
!c = !tbvm.rtensor<8x8xf32, #tbvm.layout<"spatial(8,4).local(1,2)">>
tbvm.kernel @dot_layouts() attributes {warps = 1 : i64} {
  %a = tbvm.alloc_regs -> !a
  %b = tbvm.alloc_regs -> !bb
  %c = tbvm.alloc_regs -> !c
  // expected-error @+1 {{the layouts are not mma.m16n8k16 fragments and not a CUDA-core product: thread 0 holds d[0, 0] but not the whole row a[0, :]}}
  %d = tbvm.dot %a, %b, %c : !a, !bb, !c -> !c
  tbvm.return
}

// -----

!a = !tbvm.rtensor<4x8xf16, #tbvm.layout<"spatial(4,8)">>
!c = !tbvm.rtensor<4x4xf32, #tbvm.layout<"spatial(4,4).replicate(2)">>
tbvm.kernel @dot_types() attributes {warps = 1 : i64} {
  %a = tbvm.alloc_regs -> !a
  %c = tbvm.alloc_regs -> !c
  // expected-error @+1 {{shapes a [4, 8], b [4, 8], c [4, 4] do not form [M, K] x [K, N] + [M, N]}}
  %d = tbvm.dot %a, %a, %c : !a, !a, !c -> !c
  tbvm.return
}

// -----

!x = !tbvm.rtensor<4x32xf32, #tbvm.layout<"spatial(4,8).local(1,4)">>
!r = !tbvm.rtensor<4x1xf32, #tbvm.layout<"spatial(4,1).local(1,1).replicate(8)">>
!wrong = !tbvm.rtensor<4x1xf32, #tbvm.layout<"replicate(8).spatial(4,1)">>
tbvm.kernel @reduce_layout() attributes {warps = 1 : i64} {
  %x = tbvm.alloc_regs -> !x
  %ok = tbvm.reduce sum %x, 1 : !x -> !r
  // expected-error @+1 {{result layout must be the source's reduced along dimension 1: #tbvm.layout<"spatial(4,1).replicate(8)">}}
  %bad = tbvm.reduce max %x, 1 : !x -> !wrong
  tbvm.return
}

// -----

!s = !tbvm.rtensor<1x32xf32, #tbvm.layout<"spatial(1,32)">>
!x = !tbvm.rtensor<4x32xf32, #tbvm.layout<"spatial(4,8).local(1,4)">>
tbvm.kernel @broadcast_holders() attributes {warps = 1 : i64} {
  %s = tbvm.alloc_regs -> !s
  // expected-error @+1 {{thread 0 holds result[0, 1] but not source[0, 1]}}
  %x = tbvm.broadcast %s : !s -> !x
  tbvm.return
}

// -----

!x = !tbvm.rtensor<32xi32, #tbvm.layout<"spatial(32)">>
tbvm.kernel @binary_kinds() attributes {warps = 1 : i64} {
  %x = tbvm.alloc_regs -> !x
  %f = arith.constant 1.0 : f32
  // expected-error @+1 {{scalar rhs of type 'f32' does not convert to elements of 'i32'}}
  %y = tbvm.binary add %x, %f : !x, f32 -> !x
  tbvm.return
}

// -----

!f = !tbvm.rtensor<32xf32, #tbvm.layout<"spatial(32)">>
tbvm.kernel @bitwise_float() attributes {warps = 1 : i64} {
  %x = tbvm.alloc_regs -> !f
  // expected-error @+1 {{'xor' needs integer elements, not 'f32'}}
  %y = tbvm.binary xor %x, %x : !f, !f -> !f
  tbvm.return
}

// -----

!s = !tbvm.stensor<16x16xf32>
!r = !tbvm.rtensor<16x16xf32, #tbvm.layout<"spatial(8,4).local(2,4)">>
tbvm.kernel @ldmatrix_type() attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %s = tbvm.alloc_shared : !s
  // expected-error @+1 {{loads 2-D tiles of 16-bit elements}}
  %r = tbvm.load_matrix %s[%c0, %c0] : !s -> !r
  tbvm.return
}

// -----

!g = !tbvm.gtensor<?x?xf32>
!r = !tbvm.rtensor<32xf32, #tbvm.layout<"spatial(32)">>
tbvm.kernel @load_rank(%g: !g) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{moves a tile of rank 1 to or from a tensor of rank 2}}
  %r = tbvm.load_global %g[%c0, %c0] : !g -> !r
  tbvm.return
}

// -----

tbvm.kernel @k(%x: !tbvm.gtensor<?xf32>) attributes {warps = 1 : i64} {
  tbvm.return
}
tbvm.host @launch_args(%x: !tbvm.gtensor<?xf16>) {
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{argument 0 of type '!tbvm.gtensor<?xf16>' does not match the kernel's '!tbvm.gtensor<?xf32>'}}
  tbvm.launch @k grid(%c1, %c1, %c1) (%x) : (!tbvm.gtensor<?xf16>) -> ()
  tbvm.return
}

// -----

// expected-error @+1 {{expects the 6 bytes of '!tbvm.gtensor<4x4xui3>' as tensor<6xi8>, got 'tensor<4xi8>'}}
tbvm.global @w : !tbvm.gtensor<4x4xui3> = dense<[1, 2, 3, 4]> : tensor<4xi8>

// -----

// The kept values, B and C are mma.sp fragments, but the metadata is not (each lane pair
// must hold its rows' nibbles), and no thread holds whole rows for CUDA cores.
!v = !tbvm.rtensor<16x16xf16, #tbvm.layout<"column_local(2,2).spatial(8,4).local(1,2)">>
!m = !tbvm.rtensor<16x8xui4, #tbvm.layout<"local(2,1).spatial(8,4).local(1,2)">>
!bb = !tbvm.rtensor<32x8xf16, #tbvm.layout<"local(4,1).column_spatial(4,8).local(2,1)">>
!c = !tbvm.rtensor<16x8xf32, #tbvm.layout<"local(2,1).spatial(8,4).local(1,2)">>
tbvm.kernel @dot_sparse_layouts() attributes {warps = 1 : i64} {
  %v = tbvm.alloc_regs -> !v
  %m = tbvm.alloc_regs -> !m
  %b = tbvm.alloc_regs -> !bb
  %c = tbvm.alloc_regs -> !c
  // expected-error @+1 {{the layouts are not mma.sp.m16n8k32 fragments and not a CUDA-core product: thread 0 holds d[0, 0] but not the whole row a[0, :]}}
  %d = tbvm.dot_sparse %v, %m, %b, %c : !v, !m, !bb, !c -> !c
  tbvm.return
}

// -----

// expected-error @+1 {{min_blocks_per_sm must be 0..32, got 33}}
tbvm.kernel @too_many_blocks() attributes {warps = 1 : i64, min_blocks_per_sm = 33 : i64} {
  tbvm.return
}

// -----

// expected-error @+1 {{schedule warps_m must divide warps (4) and leave each warp a multiple of 16 of bm (64; 1 when bm = 8), got 3}}
module attributes {tbvm.s = #tbvm.schedule<bm = 64, warps = 4, n_per_warp = 2, k_step = 128, split_k = 0, stages = 2, warps_m = 3>} {}

// -----

// expected-error @+1 {{schedule warps_m must divide warps (8) and leave each warp a multiple of 16 of bm (32; 1 when bm = 8), got 4}}
module attributes {tbvm.s = #tbvm.schedule<bm = 32, warps = 8, n_per_warp = 2, k_step = 128, split_k = 0, stages = 2, warps_m = 4>} {}

// -----

// 8 rows (the weights as the mma's A operand) are one warp's.
// expected-error @+1 {{schedule warps_m must divide warps (4) and leave each warp a multiple of 16 of bm (8; 1 when bm = 8), got 2}}
module attributes {tbvm.s = #tbvm.schedule<bm = 8, warps = 4, n_per_warp = 2, k_step = 128, split_k = 0, stages = 1, warps_m = 2>} {}

// -----

// expected-error @+1 {{schedule bm must be 8 or a multiple of 16 in 16..256, got 4}}
module attributes {tbvm.s = #tbvm.schedule<bm = 4, warps = 4, n_per_warp = 2, k_step = 128, split_k = 0, stages = 1>} {}

// -----

// A slice may not take elements from other threads.
tbvm.kernel @slice_moves(%x: !tbvm.gtensor<?xf32>) attributes {warps = 1 : i64} {
  %t = tbvm.alloc_regs -> !tbvm.rtensor<64xf32, #tbvm.layout<"spatial(32).local(2)">>
  // expected-error @+1 {{thread 2 holds result[2] but not source[3]}}
  %s = tbvm.slice %t [1] : !tbvm.rtensor<64xf32, #tbvm.layout<"spatial(32).local(2)">> -> !tbvm.rtensor<32xf32, #tbvm.layout<"spatial(32)">>
  tbvm.return
}

// -----

tbvm.kernel @slice_outside(%x: !tbvm.gtensor<?xf32>) attributes {warps = 1 : i64} {
  %t = tbvm.alloc_regs -> !tbvm.rtensor<64xf32, #tbvm.layout<"local(2).spatial(32)">>
  // expected-error @+1 {{the [32] tile at [48] does not lie inside [64]}}
  %s = tbvm.slice %t [48] : !tbvm.rtensor<64xf32, #tbvm.layout<"local(2).spatial(32)">> -> !tbvm.rtensor<32xf32, #tbvm.layout<"spatial(32)">>
  tbvm.return
}

// -----

// expected-error @+1 {{schedule target_blocks must be in 0..65536, got -1}}
module attributes {tbvm.s = #tbvm.schedule<bm = 16, warps = 4, n_per_warp = 2, k_step = 128, split_k = 0, stages = 1, target_blocks = -1>} {}

// -----

// expected-error @+1 {{schedule stream_k must be 0 or 1, got 2}}
module attributes {tbvm.s = #tbvm.schedule<bm = 8, warps = 4, n_per_warp = 4, k_step = 128, split_k = 0, stages = 1, stream_k = 2>} {}

// -----

// expected-error @+1 {{schedule stream_k = 1 sizes its grid at run time: split_k must be 0, got 4}}
module attributes {tbvm.s = #tbvm.schedule<bm = 8, warps = 4, n_per_warp = 4, k_step = 128, split_k = 4, stages = 1, stream_k = 1>} {}

// -----

// tbvm.check is a host instruction.
tbvm.kernel @check_in_kernel() attributes {warps = 1 : i64} {
  %t = arith.constant true
  // expected-error @+1 {{'tbvm.check' op expects parent op 'tbvm.host'}}
  tbvm.check %t, "never"
  tbvm.return
}

// -----

// A cast may order each thread's slots differently, but not move elements between threads.
!s = !tbvm.rtensor<128xsi4, #tbvm.layout<"spatial(32).local(4)">>
!r = !tbvm.rtensor<128xf16, #tbvm.layout<"local(4).spatial(32)">>
tbvm.kernel @cast_holders() attributes {warps = 1 : i64} {
  %s = tbvm.alloc_regs -> !s
  // expected-error @+1 {{thread 1 holds result[1] but not source[1]}}
  %r = tbvm.cast %s : !s -> !r
  tbvm.return
}

// -----

!s = !tbvm.rtensor<32xsi4, #tbvm.layout<"spatial(32)">>
!r = !tbvm.rtensor<1x32xf16, #tbvm.layout<"spatial(1,32)">>
tbvm.kernel @cast_shape() attributes {warps = 1 : i64} {
  %s = tbvm.alloc_regs -> !s
  // expected-error @+1 {{needs the same shape}}
  %r = tbvm.cast %s : !s -> !r
  tbvm.return
}

// -----

tbvm.kernel @k() attributes {warps = 1 : i64} {
  tbvm.return
}
tbvm.host @resident_not_a_kernel() {
  // expected-error @+1 {{'tbvm.resident_blocks' op 'nothing' is not a tbvm.kernel}}
  %r = tbvm.resident_blocks @nothing
  tbvm.return
}

// -----

// tbvm.resident_blocks is a host instruction.
tbvm.kernel @resident_in_kernel() attributes {warps = 1 : i64} {
  // expected-error @+1 {{'tbvm.resident_blocks' op can only appear in a tbvm.host function}}
  %r = tbvm.resident_blocks @resident_in_kernel
  tbvm.return
}

// -----

// expected-error @+1 {{schedule stages must be in 0..8, got 9}}
module attributes {tbvm.s = #tbvm.schedule<bm = 16, warps = 4, n_per_warp = 2, k_step = 128, split_k = 0, stages = 9>} {}

// -----

// A shared slice starts at a byte address: 3 x 3 bits is not whole bytes.
tbvm.kernel @shared_slice_bits() attributes {warps = 1 : i64} {
  %c1 = arith.constant 1 : index
  %s = tbvm.alloc_shared : !tbvm.stensor<4x3xui3>
  // expected-error @+1 {{selects tiles of 9 bits, not whole bytes}}
  %t = tbvm.shared_slice %s [%c1] : !tbvm.stensor<4x3xui3> -> !tbvm.stensor<3xui3>
  tbvm.return
}

// -----

// expected-error @+1 {{schedule prefetch must be in 0..16 steps, got 17}}
module attributes {tbvm.s = #tbvm.schedule<bm = 8, warps = 4, n_per_warp = 4, k_step = 128, split_k = 0, stages = 1, prefetch = 17>} {}

// -----

// expected-error @+1 {{schedule prefetch is for the register pipeline (stages 0 or 1), not 3 shared-memory stages}}
module attributes {tbvm.s = #tbvm.schedule<bm = 8, warps = 4, n_per_warp = 4, k_step = 128, split_k = 0, stages = 3, prefetch = 2>} {}

// -----

tbvm.kernel @prefetch_indices(%w: !tbvm.gtensor<?x64xi8>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{needs 2 indices, got 1}}
  tbvm.prefetch %w[%c0] [1, 64] : !tbvm.gtensor<?x64xi8>
  tbvm.return
}

// -----

tbvm.kernel @prefetch_box_rank(%w: !tbvm.gtensor<?x64xi8>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{box of rank 1 in a tensor of rank 2}}
  tbvm.prefetch %w[%c0, %c0] [64] : !tbvm.gtensor<?x64xi8>
  tbvm.return
}

// -----

tbvm.kernel @prefetch_box_extent(%w: !tbvm.gtensor<?x64xi8>) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{box [1, 0] must have positive extents}}
  tbvm.prefetch %w[%c0, %c0] [1, 0] : !tbvm.gtensor<?x64xi8>
  tbvm.return
}

// -----

tbvm.kernel @prefetch_rank0(%w: !tbvm.gtensor<f32>) attributes {warps = 1 : i64} {
  // expected-error @+1 {{needs a tensor of rank 1 or more}}
  tbvm.prefetch %w[] [] : !tbvm.gtensor<f32>
  tbvm.return
}
