// The schedule attribute the kernel templates read: it round-trips, and the optional
// fields (min_blocks, warps_m, target_blocks, prefetch, stream_k) are printed only when they differ from their defaults.
// RUN: tessel-opt %s | tessel-opt | FileCheck %s

// CHECK: tbvm.s0 = #tbvm.schedule<bm = 16, warps = 4, n_per_warp = 4, k_step = 128, split_k = 0, stages = 1>
// CHECK-SAME: tbvm.s1 = #tbvm.schedule<bm = 128, warps = 8, n_per_warp = 4, k_step = 128, split_k = 1, stages = 2, warps_m = 2>
// CHECK-SAME: tbvm.s2 = #tbvm.schedule<bm = 64, warps = 4, n_per_warp = 2, k_step = 256, split_k = 0, stages = 3, min_blocks = 2, warps_m = 4, target_blocks = 1024>
// CHECK-SAME: tbvm.s3 = #tbvm.schedule<bm = 16, warps = 4, n_per_warp = 4, k_step = 128, split_k = 0, stages = 1, target_blocks = 0>
// CHECK-SAME: tbvm.s4 = #tbvm.schedule<bm = 8, warps = 4, n_per_warp = 4, k_step = 128, split_k = 0, stages = 1, min_blocks = 4, prefetch = 4>
// CHECK-SAME: tbvm.s5 = #tbvm.schedule<bm = 8, warps = 4, n_per_warp = 4, k_step = 256, split_k = 0, stages = 1, target_blocks = 0, stream_k = 1>
module attributes {
  tbvm.s0 = #tbvm.schedule<bm = 16, warps = 4, n_per_warp = 4, k_step = 128, split_k = 0, stages = 1, warps_m = 1>,
  tbvm.s1 = #tbvm.schedule<bm = 128, warps = 8, n_per_warp = 4, k_step = 128, split_k = 1, stages = 2, warps_m = 2>,
  tbvm.s2 = #tbvm.schedule<bm = 64, warps = 4, n_per_warp = 2, k_step = 256, split_k = 0, stages = 3, min_blocks = 2, warps_m = 4, target_blocks = 1024>,
  tbvm.s3 = #tbvm.schedule<bm = 16, warps = 4, n_per_warp = 4, k_step = 128, split_k = 0, stages = 1, target_blocks = 0>,
  tbvm.s4 = #tbvm.schedule<bm = 8, warps = 4, n_per_warp = 4, k_step = 128, split_k = 0, stages = 1, min_blocks = 4, prefetch = 4, target_blocks = 256>,
  tbvm.s5 = #tbvm.schedule<bm = 8, warps = 4, n_per_warp = 4, k_step = 256, split_k = 0, stages = 1, target_blocks = 0, stream_k = 1>
} {}
