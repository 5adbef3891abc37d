// tessel-translate --tbvm-to-ptx reports the runtime's errors as text (they were printed
// character by character, ", " between them, when streamed into the diagnostic as a
// string_view).
// RUN: not tessel-translate --tbvm-to-ptx --arch=sm_61 %s 2>&1 | FileCheck %s --check-prefix=ARCH
// ARCH: error: unsupported GPU architecture 'sm_61' (sm_80, sm_86, sm_89, sm_90, sm_90a)
// RUN: not tessel-translate --tbvm-to-ptx --arch=sm_80 %s 2>&1 | FileCheck %s --check-prefix=LOADER
// LOADER: error: the runtime's loader rejects the module: function 'k', instruction {{[0-9]+}} (tbvm.alloc_shared): places 2048 bytes at offset 0 but the kernel has 0 bytes of shared memory
tbvm.kernel @k() attributes {warps = 1 : i64} {
  %s = tbvm.alloc_shared {offset = 0 : i64} : !tbvm.stensor<16x64xf16>
  tbvm.return
}
