// PTX text of the structured instructions (Ptx.h).
#include "cuda/Ptx.h"

#include <cstdio>
#include <sstream>

namespace tessel::cuda::ptx {

unsigned typeBits(Type type) {
  switch (type) {
  case Type::kNone: return 0;
  case Type::kPred: return 1;
  case Type::kB8: case Type::kU8: case Type::kS8: return 8;
  case Type::kB16: case Type::kU16: case Type::kS16: case Type::kF16: case Type::kBF16:
    return 16;
  case Type::kB32: case Type::kU32: case Type::kS32: case Type::kF32: case Type::kF16x2:
  case Type::kBF16x2:
    return 32;
  case Type::kB64: case Type::kU64: case Type::kS64: return 64;
  }
  return 0;
}

const char *typeName(Type type) {
  switch (type) {
  case Type::kNone: return "";
  case Type::kPred: return "pred";
  case Type::kB8: return "b8";
  case Type::kB16: return "b16";
  case Type::kB32: return "b32";
  case Type::kB64: return "b64";
  case Type::kU8: return "u8";
  case Type::kU16: return "u16";
  case Type::kU32: return "u32";
  case Type::kU64: return "u64";
  case Type::kS8: return "s8";
  case Type::kS16: return "s16";
  case Type::kS32: return "s32";
  case Type::kS64: return "s64";
  case Type::kF16: return "f16";
  case Type::kF16x2: return "f16x2";
  case Type::kBF16: return "bf16";
  case Type::kBF16x2: return "bf16x2";
  case Type::kF32: return "f32";
  }
  return "";
}

namespace {

std::string regName(const Reg &r) {
  switch (r.kind) {
  case RegKind::kPred: return "%p" + std::to_string(r.id);
  case RegKind::kB16: return "%h" + std::to_string(r.id);
  case RegKind::kB32: return "%r" + std::to_string(r.id);
  case RegKind::kB64: return "%rd" + std::to_string(r.id);
  }
  return "%?";
}

const char *specialName(Special s) {
  switch (s) {
  case Special::kTidX: return "%tid.x";
  case Special::kCtaIdX: return "%ctaid.x";
  case Special::kCtaIdY: return "%ctaid.y";
  case Special::kCtaIdZ: return "%ctaid.z";
  case Special::kNCtaIdX: return "%nctaid.x";
  case Special::kNCtaIdY: return "%nctaid.y";
  case Special::kNCtaIdZ: return "%nctaid.z";
  }
  return "%?";
}

// An immediate in the syntax the instruction's type takes: f32 as 0fXXXXXXXX, the rest
// as integers (hex for bit types, which is how bit patterns read best).
std::string immText(int64_t value, Type type) {
  char buf[32];
  if (type == Type::kF32) {
    std::snprintf(buf, sizeof buf, "0f%08X", uint32_t(value));
    return buf;
  }
  if (type == Type::kB16 || type == Type::kB32 || type == Type::kB64 || type == Type::kF16x2 ||
      type == Type::kBF16x2) {
    std::snprintf(buf, sizeof buf, "0x%llX", (unsigned long long)(uint64_t(value) &
                                             (typeBits(type) == 64 ? ~0ull
                                                                   : ((1ull << typeBits(type)) - 1))));
    return buf;
  }
  return std::to_string(value);
}

std::string operandText(const Operand &o, Type type) {
  switch (o.kind) {
  case Operand::Kind::kReg: return regName(o.reg);
  case Operand::Kind::kImm: return immText(o.imm, type);
  case Operand::Kind::kSpecial: return specialName(o.special);
  case Operand::Kind::kParam: return "[" + o.name + "]";
  case Operand::Kind::kLabel: return o.name;
  case Operand::Kind::kSymbol: return o.name;
  case Operand::Kind::kConst: return "[" + o.name + "+" + std::to_string(o.imm) + "]";
  case Operand::Kind::kAddress: {
    std::string base = o.reg.id == kSmemBase ? std::string("smem") : regName(o.reg);
    if (o.imm == 0)
      return "[" + base + "]";
    return "[" + base + (o.imm > 0 ? "+" : "") + std::to_string(o.imm) + "]";
  }
  }
  return "?";
}

std::string group(const std::vector<Operand> &ops, size_t begin, size_t count, Type type) {
  if (count == 1)
    return operandText(ops[begin], type);
  std::string s = "{";
  for (size_t i = 0; i < count; ++i)
    s += (i ? ", " : "") + operandText(ops[begin + i], type);
  return s + "}";
}

const char *cmpName(Cmp c) {
  switch (c) {
  case Cmp::kEq: return "eq";
  case Cmp::kNe: return "ne";
  case Cmp::kLt: return "lt";
  case Cmp::kLe: return "le";
  case Cmp::kGt: return "gt";
  case Cmp::kGe: return "ge";
  case Cmp::kLo: return "lo";
  case Cmp::kLs: return "ls";
  case Cmp::kHi: return "hi";
  case Cmp::kHs: return "hs";
  case Cmp::kEqu: return "equ";
  case Cmp::kNeu: return "neu";
  case Cmp::kLtu: return "ltu";
  case Cmp::kLeu: return "leu";
  case Cmp::kGtu: return "gtu";
  case Cmp::kGeu: return "geu";
  case Cmp::kNan: return "nan";
  case Cmp::kNum: return "num";
  }
  return "?";
}

const char *roundingName(Rounding r) {
  switch (r) {
  case Rounding::kNone: return "";
  case Rounding::kRn: return ".rn";
  case Rounding::kRz: return ".rz";
  case Rounding::kRni: return ".rni";
  case Rounding::kRzi: return ".rzi";
  case Rounding::kApprox: return ".approx";
  case Rounding::kSat: return ".sat";
  }
  return "";
}

std::string simple(const char *name, const Inst &in) {
  std::string s = name;
  s += roundingName(in.rounding);
  if (in.type != Type::kNone)
    s += std::string(".") + typeName(in.type);
  s += " ";
  std::vector<std::string> parts;
  for (const Operand &o : in.dst)
    parts.push_back(operandText(o, in.type));
  for (const Operand &o : in.src)
    parts.push_back(operandText(o, in.type));
  for (size_t i = 0; i < parts.size(); ++i)
    s += (i ? ", " : "") + parts[i];
  return s;
}

std::string cacheModifier(const Inst &in) {
  switch (in.cache) {
  case CacheHint::kNone: return "";
  case CacheHint::kEvictFirst: return ".L1::no_allocate";
  case CacheHint::kEvictLast: return ".L1::evict_last";
  }
  return "";
}

} // namespace

std::string printInst(const Inst &in) {
  std::string guard;
  if (in.guarded)
    guard = std::string("@") + (in.guardNegated ? "!" : "") + regName(in.guard) + " ";
  std::string t = typeName(in.type);
  switch (in.op) {
  case Op::kLabel: return in.text + ":";
  case Op::kComment: return "// " + in.text;
  case Op::kMov: return guard + simple("mov", in);
  case Op::kAdd: return guard + simple("add", in);
  case Op::kSub: return guard + simple("sub", in);
  case Op::kMul: {
    bool isFloat = in.type == Type::kF32 || in.type == Type::kF16x2 || in.type == Type::kF16 ||
                   in.type == Type::kBF16x2 || in.type == Type::kBF16;
    return guard + simple(isFloat ? "mul" : "mul.lo", in);
  }
  case Op::kMulHi: return guard + simple("mul.hi", in);
  case Op::kMulWide: return guard + simple("mul.wide", in);
  case Op::kMad: return guard + simple("mad.lo", in);
  case Op::kFma: return guard + simple("fma", in);
  case Op::kDiv: return guard + simple("div", in);
  case Op::kRem: return guard + simple("rem", in);
  case Op::kMin: return guard + simple("min", in);
  case Op::kMax: return guard + simple("max", in);
  case Op::kNeg: return guard + simple("neg", in);
  case Op::kAbs: return guard + simple("abs", in);
  case Op::kAnd: return guard + simple("and", in);
  case Op::kOr: return guard + simple("or", in);
  case Op::kXor: return guard + simple("xor", in);
  case Op::kNot: return guard + simple("not", in);
  case Op::kShl: return guard + simple("shl", in);
  case Op::kShr: return guard + simple("shr", in);
  case Op::kBfe: return guard + simple("bfe", in);
  case Op::kBfi: return guard + simple("bfi", in);
  case Op::kShf: return guard + simple("shf.r.wrap", in);
  case Op::kPrmt: return guard + simple("prmt", in);
  case Op::kLop3: return guard + simple("lop3", in);
  case Op::kSelp: return guard + simple("selp", in);
  case Op::kSqrt: return guard + simple("sqrt", in);
  case Op::kRsqrt: return guard + simple("rsqrt", in);
  case Op::kRcp: return guard + simple("rcp", in);
  case Op::kEx2: return guard + simple("ex2", in);
  case Op::kLg2: return guard + simple("lg2", in);
  case Op::kTanh: return guard + simple("tanh", in);
  case Op::kCvt: {
    std::string s = "cvt";
    s += roundingName(in.rounding);
    s += std::string(".") + t + "." + typeName(in.type2) + " ";
    s += operandText(in.dst[0], in.type);
    for (const Operand &o : in.src)
      s += ", " + operandText(o, in.type2);
    return guard + s;
  }
  case Op::kSetp: {
    std::string s = std::string("setp.") + cmpName(in.cmp) + "." + t + " ";
    s += operandText(in.dst[0], Type::kPred);
    for (const Operand &o : in.src)
      s += ", " + operandText(o, in.type);
    return guard + s;
  }
  case Op::kLd:
  case Op::kSt: {
    std::string s = in.op == Op::kLd ? "ld" : "st";
    s += in.space == Space::kGlobal   ? ".global"
         : in.space == Space::kShared ? ".shared"
         : in.space == Space::kConst  ? ".const"
                                      : ".param";
    if (in.op == Op::kLd && in.readOnly)
      s += ".nc";
    s += cacheModifier(in);
    if (in.width > 1)
      s += ".v" + std::to_string(in.width);
    s += "." + t + " ";
    if (in.op == Op::kLd)
      s += group(in.dst, 0, in.dst.size(), in.type) + ", " + operandText(in.src[0], in.type);
    else
      s += operandText(in.dst[0], in.type) + ", " + group(in.src, 0, in.src.size(), in.type);
    return guard + s;
  }
  case Op::kCpAsync: {
    // cp.async.{ca,cg}.shared.global [dst], [src], bytes, src-size;
    std::string s = in.width == 16 ? "cp.async.cg.shared.global" : "cp.async.ca.shared.global";
    if (in.cache == CacheHint::kEvictFirst && in.width == 16)
      s += ".L2::128B";
    s += " " + operandText(in.dst[0], Type::kB32) + ", " + operandText(in.src[0], Type::kB64) +
         ", " + std::to_string(in.width) + ", " + operandText(in.src[1], Type::kU32);
    return guard + s;
  }
  case Op::kPrefetch: return guard + "prefetch.global.L2 " + operandText(in.src[0], Type::kB64);
  case Op::kPrefetchBulk:
    return guard + "cp.async.bulk.prefetch.L2.global " + operandText(in.src[0], Type::kB64) + ", " +
           operandText(in.src[1], Type::kU32);
  case Op::kCpAsyncCommit: return guard + "cp.async.commit_group";
  case Op::kCpAsyncWait:
    return guard + "cp.async.wait_group " + std::to_string(in.src.empty() ? 0 : in.src[0].imm);
  case Op::kLdmatrix: {
    std::string s = "ldmatrix.sync.aligned.m8n8.x" + std::to_string(in.width);
    if (in.transpose)
      s += ".trans";
    s += ".shared.b16 " + group(in.dst, 0, in.dst.size(), Type::kB32) + ", " +
         operandText(in.src[0], Type::kB32);
    return guard + s;
  }
  case Op::kMma: {
    // dst: 4 accumulators; src: a (4 regs), b (2 regs), c (4 regs).
    bool int8 = in.type2 == Type::kS8 || in.type2 == Type::kU8;
    std::string s = std::string("mma.sync.aligned.") + (int8 ? "m16n8k32" : "m16n8k16") +
                    ".row.col." + t + "." + typeName(in.type2) + "." + typeName(in.type2) + "." +
                    t + " ";
    s += group(in.dst, 0, in.dst.size(), in.type) + ", " + group(in.src, 0, 4, in.type2) + ", " +
         group(in.src, 4, 2, in.type2) + ", " + group(in.src, 6, 4, in.type);
    return guard + s;
  }
  case Op::kMmaSp: {
    // dst: 4 accumulators; src: a (4 regs), b (4 regs), c (4 regs), metadata, selector.
    std::string s = std::string("mma.sp::ordered_metadata.sync.aligned.m16n8k32.row.col.") + t +
                    "." + typeName(in.type2) + "." + typeName(in.type2) + "." + t + " ";
    s += group(in.dst, 0, in.dst.size(), in.type) + ", " + group(in.src, 0, 4, in.type2) + ", " +
         group(in.src, 4, 4, in.type2) + ", " + group(in.src, 8, 4, in.type) + ", " +
         operandText(in.src[12], Type::kB32) + ", " + operandText(in.src[13], Type::kB32);
    return guard + s;
  }
  case Op::kShfl: {
    const char *mode = in.shfl == ShflMode::kBfly  ? "bfly"
                       : in.shfl == ShflMode::kIdx ? "idx"
                       : in.shfl == ShflMode::kUp  ? "up"
                                                   : "down";
    std::string s = std::string("shfl.sync.") + mode + ".b32 " + operandText(in.dst[0], in.type);
    for (const Operand &o : in.src)
      s += ", " + operandText(o, Type::kB32);
    return guard + s;
  }
  case Op::kBar: return guard + "bar.sync 0";
  case Op::kGridDepLaunch: return guard + "griddepcontrol.launch_dependents";
  case Op::kGridDepWait: return guard + "griddepcontrol.wait";
  case Op::kAtomAdd:
  case Op::kRedAnd:
  case Op::kRedOr: {
    const char *what = in.op == Op::kAtomAdd ? "add" : in.op == Op::kRedAnd ? "and" : "or";
    std::string space = in.space == Space::kShared ? "shared" : "global";
    std::string type = t;
    if (in.op == Op::kAtomAdd &&
        (in.type == Type::kF16x2 || in.type == Type::kF16 || in.type == Type::kBF16))
      type = std::string("noftz.") + t;
    return guard + "red." + space + "." + what + "." + type + " " +
           operandText(in.dst[0], in.type) + ", " + operandText(in.src[0], in.type);
  }
  case Op::kBra: return guard + "bra.uni " + operandText(in.src[0], Type::kNone);
  case Op::kExit: return guard + "exit";
  }
  return "// ?";
}

static void printEntry(std::ostringstream &os, const Kernel &kernel) {
  os << ".visible .entry " << kernel.name << "(";
  for (size_t i = 0; i < kernel.params.size(); ++i)
    os << (i ? ",\n" : "\n") << "  .param ." << typeName(kernel.params[i].type) << " "
       << kernel.params[i].name;
  os << "\n)\n.maxntid " << kernel.threads << ", 1, 1\n";
  if (kernel.maxRegisters > 0)
    os << ".maxnreg " << kernel.maxRegisters << "\n";
  else if (kernel.minBlocksPerSm > 0)
    os << ".minnctapersm " << kernel.minBlocksPerSm << "\n";
  os << "{\n";
  const char *decls[4] = {".pred %p", ".b16 %h", ".b32 %r", ".b64 %rd"};
  for (int k = 0; k < 4; ++k)
    if (kernel.numRegs[k] > 0)
      os << "  .reg " << decls[k] << "<" << kernel.numRegs[k] << ">;\n";
  os << "\n";
  for (const Inst &inst : kernel.body) {
    if (inst.op == Op::kLabel)
      os << printInst(inst) << "\n";
    else
      os << "  " << printInst(inst) << ";\n";
  }
  os << "  ret;\n}\n";
}

std::string printModule(const std::vector<const Kernel *> &kernels, const std::string &sm,
                        const std::string &version) {
  // mma.sp::ordered_metadata needs PTX ISA 8.5 (CUDA 12.5 drivers), the bulk L2 prefetch
  // 8.0 (CUDA 12.0); everything else the target's version.
  std::string v = version;
  for (const Kernel *k : kernels)
    for (const Inst &in : k->body) {
      if (in.op == Op::kMmaSp && std::stod(v) < 8.5)
        v = "8.5";
      if (in.op == Op::kPrefetchBulk && std::stod(v) < 8.0)
        v = "8.0";
    }
  std::ostringstream os;
  os << "//\n// Generated by Tessel's PTX emitter\n//\n\n";
  os << ".version " << v << "\n.target " << sm << "\n.address_size 64\n\n";
  os << ".extern .shared .align 128 .b8 smem[];\n";
  for (const Kernel *k : kernels) {
    os << "\n";
    if (!k->constants.empty()) {
      char buf[16];
      os << ".const .align 4 .b32 " << k->name << "_consts[" << k->constants.size() << "] = {";
      for (size_t i = 0; i < k->constants.size(); ++i) {
        std::snprintf(buf, sizeof buf, "0x%08X", unsigned(k->constants[i]));
        os << (i ? ", " : "") << buf;
      }
      os << "};\n";
    }
    printEntry(os, *k);
  }
  return os.str();
}

} // namespace tessel::cuda::ptx
