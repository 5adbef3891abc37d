#include "vm/Opcodes.h"

namespace tessel::vm {
namespace {
constexpr std::string_view kNames[] = {
#define TESSEL_OPCODE_NAME(name, text) text,
    TESSEL_OPCODES(TESSEL_OPCODE_NAME)
#undef TESSEL_OPCODE_NAME
};
static_assert(sizeof(kNames) / sizeof(kNames[0]) == size_t(Opcode::kCount));
} // namespace

std::string_view opcodeName(Opcode opcode) {
  size_t i = size_t(opcode);
  return i < size_t(Opcode::kCount) ? kNames[i] : std::string_view();
}

std::optional<Opcode> opcodeFromName(std::string_view name) {
  for (size_t i = 0; i < size_t(Opcode::kCount); ++i)
    if (kNames[i] == name)
      return Opcode(i);
  return std::nullopt;
}

} // namespace tessel::vm
