#include "cuda/KernelParams.h"

#include "vm/Codec.h"

#include "absl/strings/str_cat.h"

#include <cctype>
#include <cstring>

namespace tessel::cuda {

const char *paramKindName(ParamKind kind) {
  switch (kind) {
  case ParamKind::kU64:
    return ".u64";
  case ParamKind::kS64:
    return ".s64";
  case ParamKind::kS32:
    return ".s32";
  case ParamKind::kF32:
    return ".f32";
  case ParamKind::kB16:
    return ".b16";
  }
  return "?";
}

unsigned paramKindBytes(ParamKind kind) {
  switch (kind) {
  case ParamKind::kU64:
  case ParamKind::kS64:
    return 8;
  case ParamKind::kS32:
  case ParamKind::kF32:
    return 4;
  case ParamKind::kB16:
    return 2;
  }
  return 0;
}

namespace {

// The ABI kind of a scalar argument type, or an error naming argument `index`.
absl::StatusOr<ParamKind> scalarKind(const vm::ValueType &type, size_t index) {
  if (type.kind == vm::ValueKind::kIndex)
    return ParamKind::kS64;
  if (type.kind != vm::ValueKind::kScalar)
    return absl::InvalidArgumentError(absl::StrCat(
        "kernel argument ", index, " is a register or shared tile, which no kernel "
        "parameter can carry"));
  const vm::DType &dtype = type.dtype;
  if (dtype.isInteger()) {
    if (dtype.bits() <= 32)
      return ParamKind::kS32;
    if (dtype.bits() <= 64)
      return ParamKind::kS64;
  } else if (dtype.floatName() == vm::FloatName::kF32) {
    return ParamKind::kF32;
  } else if (dtype.floatName() == vm::FloatName::kF16 ||
             dtype.floatName() == vm::FloatName::kBF16) {
    return ParamKind::kB16;
  }
  return absl::UnimplementedError(absl::StrCat("kernel argument ", index, " is a scalar of type ",
                                               dtype.name(),
                                               ", which the kernel parameter ABI does not "
                                               "support (use f16, bf16, f32 or an integer)"));
}

std::vector<vm::ValueType> kernelArgumentTypes(const vm::Program &program,
                                               uint32_t kernel) {
  std::vector<vm::ValueType> types;
  const vm::Function &function = program.functions()[kernel];
  for (uint32_t value : function.arguments())
    types.push_back(program.valueType(function, value));
  return types;
}

absl::Status checkKernelIndex(const vm::Program &program, uint32_t kernel) {
  if (kernel >= program.functions().size() ||
      program.functions()[kernel].kind != vm::FunctionKind::kKernel)
    return absl::InvalidArgumentError(absl::StrCat("function ", kernel, " is not a kernel"));
  return absl::OkStatus();
}

} // namespace

absl::StatusOr<std::vector<ParamKind>> paramKindsFor(const std::vector<vm::ValueType> &types) {
  std::vector<ParamKind> kinds;
  for (size_t i = 0; i < types.size(); ++i) {
    if (types[i].kind == vm::ValueKind::kGTensor) {
      kinds.push_back(ParamKind::kU64);
      kinds.insert(kinds.end(), types[i].shape.size(), ParamKind::kS64);
      continue;
    }
    absl::StatusOr<ParamKind> kind = scalarKind(types[i], i);
    if (!kind.ok())
      return kind.status();
    kinds.push_back(*kind);
  }
  return kinds;
}

absl::StatusOr<std::vector<ParamKind>> paramKindsFor(const vm::Program &program,
                                                     uint32_t kernel) {
  if (absl::Status s = checkKernelIndex(program, kernel); !s.ok())
    return s;
  return paramKindsFor(kernelArgumentTypes(program, kernel));
}

void KernelParams::addF32(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  add(ParamKind::kF32, bits);
}

void KernelParams::add(ParamKind kind, uint64_t bits) {
  kinds_.push_back(kind);
  slots_.push_back(bits);
  pointers_.clear();
}

void **KernelParams::pointers() {
  // Built on demand: slots_ may have moved (reallocation, a move of *this) since.
  pointers_.clear();
  for (uint64_t &slot : slots_)
    pointers_.push_back(&slot);
  return pointers_.data();
}

absl::StatusOr<KernelParams>
marshalKernelArguments(const std::vector<vm::ValueType> &types,
                       const std::vector<vm::KernelArgument> &args) {
  if (args.size() != types.size())
    return absl::InvalidArgumentError(absl::StrCat("the kernel takes ", types.size(),
                                                   " arguments, got ", args.size()));
  KernelParams params;
  for (size_t i = 0; i < args.size(); ++i) {
    const vm::ValueType &type = types[i];
    const vm::KernelArgument &arg = args[i];
    bool wantsTensor = type.kind == vm::ValueKind::kGTensor;
    if (wantsTensor != arg.isTensor)
      return absl::InvalidArgumentError(absl::StrCat("kernel argument ", i, " must be ",
                                                     wantsTensor ? "a global tensor"
                                                                 : "a scalar"));
    if (wantsTensor) {
      if (arg.tensor.shape.size() != type.shape.size())
        return absl::InvalidArgumentError(absl::StrCat(
            "kernel argument ", i, " has rank ", arg.tensor.shape.size(),
            " but the kernel declares rank ", type.shape.size()));
      params.addU64(arg.tensor.address);
      for (int64_t dim : arg.tensor.shape)
        params.addS64(dim);
      continue;
    }
    absl::StatusOr<ParamKind> kind = scalarKind(type, i);
    if (!kind.ok())
      return kind.status();
    switch (*kind) {
    case ParamKind::kS64:
      params.addS64(arg.scalar.i);
      break;
    case ParamKind::kS32:
      // The scalar is sign-extended from its width already; its low 32 bits are the
      // sign-extended 32-bit value.
      params.addS32(int32_t(uint32_t(uint64_t(arg.scalar.i))));
      break;
    case ParamKind::kF32:
      params.addF32(arg.scalar.f);
      break;
    case ParamKind::kB16:
      // The value is already rounded to the type, so encoding is exact; kIeee keeps
      // inf and NaN as they are.
      params.addB16(uint16_t(vm::encode(type.dtype, double(arg.scalar.f), vm::Overflow::kIeee)));
      break;
    case ParamKind::kU64:
      break; // tensors only
    }
  }
  return params;
}

absl::StatusOr<KernelParams> marshalKernelArguments(const vm::Program &program,
                                                    uint32_t kernel,
                                                    const std::vector<vm::KernelArgument> &args) {
  if (absl::Status s = checkKernelIndex(program, kernel); !s.ok())
    return s;
  return marshalKernelArguments(kernelArgumentTypes(program, kernel), args);
}

//===----------------------------------------------------------------------===//
// Reading the .param list of a PTX entry
//===----------------------------------------------------------------------===//

namespace {

// `ptx` without // and /* */ comments (replaced by a space).
std::string stripComments(std::string_view ptx) {
  std::string out;
  out.reserve(ptx.size());
  for (size_t i = 0; i < ptx.size();) {
    if (ptx.compare(i, 2, "//") == 0) {
      size_t end = ptx.find('\n', i);
      i = end == std::string_view::npos ? ptx.size() : end;
      out.push_back(' ');
    } else if (ptx.compare(i, 2, "/*") == 0) {
      size_t end = ptx.find("*/", i + 2);
      i = end == std::string_view::npos ? ptx.size() : end + 2;
      out.push_back(' ');
    } else {
      out.push_back(ptx[i++]);
    }
  }
  return out;
}

bool isIdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '%' ||
         c == '.';
}

// Splits a parameter declaration into tokens at whitespace.
std::vector<std::string> tokens(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    if (i > start)
      out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

unsigned ptxTypeBytes(std::string_view type) {
  if (type == ".u64" || type == ".s64" || type == ".b64" || type == ".f64")
    return 8;
  if (type == ".u32" || type == ".s32" || type == ".b32" || type == ".f32")
    return 4;
  if (type == ".u16" || type == ".s16" || type == ".b16" || type == ".f16" || type == ".bf16")
    return 2;
  if (type == ".u8" || type == ".s8" || type == ".b8")
    return 1;
  return 0;
}

} // namespace

absl::StatusOr<std::vector<PtxParam>> parsePtxEntryParams(std::string_view ptxText,
                                                          std::string_view entry) {
  std::string ptx = stripComments(ptxText);
  // Find ".entry <entry>" as whole words, followed by "(".
  size_t open = std::string::npos;
  for (size_t at = ptx.find(".entry"); at != std::string::npos; at = ptx.find(".entry", at + 1)) {
    size_t i = at + 6;
    if (i >= ptx.size() || !std::isspace(static_cast<unsigned char>(ptx[i])))
      continue;
    while (i < ptx.size() && std::isspace(static_cast<unsigned char>(ptx[i])))
      ++i;
    if (ptx.compare(i, entry.size(), entry) != 0)
      continue;
    i += entry.size();
    if (i < ptx.size() && isIdentifierChar(ptx[i]))
      continue; // a longer name that starts with `entry`
    while (i < ptx.size() && std::isspace(static_cast<unsigned char>(ptx[i])))
      ++i;
    if (i < ptx.size() && ptx[i] == '(') {
      open = i;
      break;
    }
    if (i < ptx.size() && ptx[i] == '{') {
      return std::vector<PtxParam>{}; // an entry without a parameter list
    }
  }
  if (open == std::string::npos)
    return absl::InternalError(absl::StrCat("the PTX has no .entry ", std::string(entry)));
  size_t close = ptx.find(')', open);
  if (close == std::string::npos)
    return absl::InternalError(absl::StrCat("the parameter list of .entry ", std::string(entry),
                                            " is not closed"));
  std::string_view list(ptx.data() + open + 1, close - open - 1);
  std::vector<PtxParam> params;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string_view decl = list.substr(start, comma == std::string_view::npos
                                                   ? std::string_view::npos
                                                   : comma - start);
    std::vector<std::string> t = tokens(decl);
    if (t.empty()) {
      if (comma == std::string_view::npos && params.empty())
        break; // "()"
      return absl::InternalError(absl::StrCat("empty parameter in .entry ", std::string(entry)));
    }
    auto bad = [&](const std::string &why) {
      return absl::InternalError(absl::StrCat("parameter ", params.size(), " of .entry ", std::string(entry),
                                              " (", std::string(decl), "): ", why));
    };
    if (t[0] != ".param" || t.size() < 3)
      return bad("expected `.param .<type> <name>`");
    PtxParam p;
    p.type = t[1];
    p.bytes = ptxTypeBytes(p.type);
    if (p.bytes == 0)
      return bad("unsupported parameter type");
    // Optional pointer attributes of a .u64/.b64 parameter: .ptr [.global] [.align N].
    size_t k = 2;
    if (k < t.size() && t[k] == ".ptr") {
      ++k;
      if (k < t.size() && (t[k] == ".global" || t[k] == ".shared" || t[k] == ".const" ||
                           t[k] == ".local"))
        ++k;
      if (k + 1 < t.size() && t[k] == ".align")
        k += 2;
    }
    if (k + 1 != t.size() || t[k].find('[') != std::string::npos)
      return bad("expected a scalar parameter");
    params.push_back(p);
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
  return params;
}

absl::Status checkPtxParams(std::string_view entry, const std::vector<PtxParam> &declared,
                            const std::vector<ParamKind> &expected) {
  if (declared.size() != expected.size())
    return absl::InternalError(absl::StrCat(".entry ", std::string(entry), " declares ", declared.size(),
                                            " parameters but the kernel ABI passes ",
                                            expected.size()));
  for (size_t i = 0; i < declared.size(); ++i) {
    const PtxParam &d = declared[i];
    ParamKind e = expected[i];
    bool declaredFloat = d.type.size() > 1 && (d.type[1] == 'f' || d.type.rfind(".bf", 0) == 0);
    bool declaredInteger = d.type.size() > 1 && (d.type[1] == 's' || d.type[1] == 'u');
    bool sizeOk = d.bytes == paramKindBytes(e);
    // .b16 carries f16/bf16 bits, so a 16-bit float declaration is fine for kB16.
    bool classOk = e == ParamKind::kB16 ||
                   (e == ParamKind::kF32 ? !declaredInteger : !declaredFloat);
    if (!sizeOk || !classOk)
      return absl::InternalError(absl::StrCat(".entry ", std::string(entry), " declares parameter ", i,
                                              " as .param ", d.type,
                                              " but the kernel ABI passes ",
                                              paramKindName(e)));
  }
  return absl::OkStatus();
}

} // namespace tessel::cuda
