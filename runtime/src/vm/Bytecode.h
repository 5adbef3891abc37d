// The version of the .tslm bytecode (runtime/schema/module.fbs) that this runtime reads
// and the compiler writes. A loader accepts exactly this version: bump it whenever the
// meaning of anything in the format changes (new fields appended at the end of a table
// keep old readers working and need no bump).
#ifndef TESSEL_VM_BYTECODE_H
#define TESSEL_VM_BYTECODE_H

#include <cstdint>

namespace tessel::vm {

constexpr uint32_t kFormatVersion = 1;

/// The FlatBuffers file identifier of a .tslm module (bytes 4..7 of the file).
constexpr char kFileIdentifier[] = "TSLM";

} // namespace tessel::vm

#endif // TESSEL_VM_BYTECODE_H
