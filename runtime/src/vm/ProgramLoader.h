// Internal to the loader (Program.cpp, ProgramVerify.cpp): the per-instruction checks
// that follow the structural ones.
#ifndef TESSEL_VM_PROGRAMLOADER_H
#define TESSEL_VM_PROGRAMLOADER_H

#include "vm/Program.h"

#include "absl/status/status.h"

#include <string_view>
#include <vector>

namespace tessel::fb {
struct Attr;
} // namespace tessel::fb

namespace tessel::vm {

/// The attributes of one instruction, by name.
struct AttrList {
  std::vector<const fb::Attr *> attrs;
  const fb::Attr *find(std::string_view name) const;
};

/// Checks one instruction whose operands, results and regions are already loaded (and
/// whose values are defined in the right places) against its opcode's rules, and decodes
/// its attributes into `instruction`. `program` has its types, layouts, constants and
/// function signatures loaded (bodies may be missing).
absl::Status verifyInstruction(const Program &program, const Function &function,
                               Instruction &instruction, const AttrList &attrs);

/// Whether an opcode may appear in a kernel, in a host function.
bool allowedInKernel(Opcode opcode);
bool allowedInHost(Opcode opcode);

} // namespace tessel::vm

#endif // TESSEL_VM_PROGRAMLOADER_H
