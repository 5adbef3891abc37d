// The element types live in the public runtime API (tessel/runtime/DType.h); the VM and
// the compiler include them under this name.
#include "tessel/runtime/DType.h"
