// Global and shared memory: views, slices, tile loads and stores, async copies, atomics
// and table lookups. Global accesses outside the tensor read zero and are not written;
// shared accesses outside the tile, and views past their buffer, are errors.
#include "cpu/BlockExecutor.h"

#include "vm/BitPack.h"
#include "vm/Numerics.h"

#include "absl/strings/str_cat.h"

#include <algorithm>
#include <cstring>
#include <mutex>

namespace tessel::cpu {

using namespace tessel::vm;

namespace {

// Tile starts beyond this are out of every tensor (dims are at most 2^44); the bound
// keeps the coordinate arithmetic from overflowing.
constexpr int64_t kFarIndex = int64_t(1) << 50;

// The code of `bits` bits at bit offset `bit` of `base`.
inline uint32_t readBitsAt(const uint8_t *base, uint64_t bit, unsigned bits) {
  const uint8_t *p = base + bit / 8;
  switch (bits) {
  case 8: return *p;
  case 16: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
  }
  case 32: {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  default: {
    unsigned shift = unsigned(bit % 8);
    unsigned bytes = (shift + bits + 7) / 8; // at most 5: never past the element
    uint64_t word = 0;
    for (unsigned i = 0; i < bytes; ++i)
      word |= uint64_t(p[i]) << (8 * i);
    return uint32_t((word >> shift) & ((uint64_t(1) << bits) - 1));
  }
  }
}

// Writes `code` into `bits` bits at bit offset `bit`. `concurrent`: other blocks may
// write neighbouring elements of the same bytes, so bytes are updated atomically.
inline void writeBitsAt(uint8_t *base, uint64_t bit, unsigned bits, uint32_t code,
                        bool concurrent) {
  uint8_t *p = base + bit / 8;
  switch (bits) {
  case 8: *p = uint8_t(code); return;
  case 16: {
    uint16_t v = uint16_t(code);
    std::memcpy(p, &v, 2);
    return;
  }
  case 32: std::memcpy(p, &code, 4); return;
  default: {
    unsigned shift = unsigned(bit % 8);
    unsigned bytes = (shift + bits + 7) / 8;
    uint64_t mask = ((uint64_t(1) << bits) - 1) << shift;
    uint64_t value = (uint64_t(code) << shift) & mask;
    for (unsigned i = 0; i < bytes; ++i) {
      uint8_t m = uint8_t(mask >> (8 * i)), v = uint8_t(value >> (8 * i));
      if (concurrent) {
        __atomic_fetch_and(p + i, uint8_t(~m), __ATOMIC_RELAXED);
        __atomic_fetch_or(p + i, v, __ATOMIC_RELAXED);
      } else {
        p[i] = uint8_t((p[i] & ~m) | v);
      }
    }
    return;
  }
  }
}

// Walks a tile of shape `tile` placed at `start` in a row-major tensor of shape `dims`:
// fn(e, i) for each tile element e (row-major), i its element index in the tensor or -1
// when it lies outside.
template <class F>
void walkTile(int rank, const int64_t *tile, const int64_t *start, const int64_t *dims, F fn) {
  if (rank == 0) {
    fn(int64_t(0), int64_t(0));
    return;
  }
  bool far = false;
  for (int d = 0; d < rank; ++d)
    far |= start[d] < -kFarIndex || start[d] > kFarIndex;
  int64_t stride[kMaxRank];
  stride[rank - 1] = 1;
  for (int d = rank - 1; d > 0; --d)
    stride[d - 1] = stride[d] * dims[d];
  int64_t rowLength = tile[rank - 1], rows = 1;
  for (int d = 0; d + 1 < rank; ++d)
    rows *= tile[d];
  int64_t counter[kMaxRank] = {};
  int64_t c0 = start[rank - 1];
  for (int64_t row = 0; row < rows; ++row) {
    bool valid = !far;
    int64_t rowBase = 0;
    for (int d = 0; valid && d + 1 < rank; ++d) {
      int64_t c = start[d] + counter[d];
      valid = c >= 0 && c < dims[d];
      rowBase += c * stride[d];
    }
    int64_t e0 = row * rowLength;
    int64_t lo = rowLength, hi = rowLength;
    if (valid) {
      lo = std::min(rowLength, std::max<int64_t>(0, -c0));
      hi = std::max(lo, std::min(rowLength, dims[rank - 1] - c0));
    }
    for (int64_t j = 0; j < lo; ++j)
      fn(e0 + j, int64_t(-1));
    for (int64_t j = lo; j < hi; ++j)
      fn(e0 + j, rowBase + c0 + j);
    for (int64_t j = hi; j < rowLength; ++j)
      fn(e0 + j, int64_t(-1));
    for (int d = rank - 2; d >= 0; --d) {
      if (++counter[d] < tile[d])
        break;
      counter[d] = 0;
    }
  }
}

std::mutex &atomicStripe(const void *address) {
  static std::mutex stripes[64];
  return stripes[(uintptr_t(address) >> 2) % 64];
}

// *element += code, atomically, rounded as the element type adds.
void atomicAddElement(uint8_t *base, uint64_t index, DType dtype, uint32_t code) {
  ArithFloat ft = arithFloatOf(dtype);
  unsigned bytes = dtype.bits() / 8;
  uint8_t *p = base + index * bytes;
  auto add = [&](uint32_t old) {
    if (ft == ArithFloat::kNone)
      return old + code; // i32 wraps
    return floatToCode(codeToFloat(old, ft) + codeToFloat(code, ft), ft);
  };
  if (bytes == 4 && uintptr_t(p) % 4 == 0) {
    uint32_t *word = reinterpret_cast<uint32_t *>(p);
    uint32_t old = __atomic_load_n(word, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(word, &old, add(old), true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED)) {
    }
    return;
  }
  if (bytes == 2 && uintptr_t(p) % 2 == 0) {
    uint16_t *half = reinterpret_cast<uint16_t *>(p);
    uint16_t old = __atomic_load_n(half, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(half, &old, uint16_t(add(old)), true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED)) {
    }
    return;
  }
  // Misaligned (a view at an odd byte offset): a striped lock.
  std::lock_guard<std::mutex> lock(atomicStripe(p));
  uint32_t old = 0;
  std::memcpy(&old, p, bytes);
  uint32_t sum = add(old);
  std::memcpy(p, &sum, bytes);
}

} // namespace

absl::Status BlockExecutor::globalView(const Instruction &ins) {
  const Value &src = operand(ins, 0);
  const ValueType &rt = typeOf(ins.results[0]);
  int64_t offset = operand(ins, 1).scalar.i;
  Value &out = values_[ins.results[0]];
  size_t next = 2;
  int64_t n = 1;
  for (size_t d = 0; d < rt.shape.size(); ++d) {
    int64_t size = rt.shape[d] >= 0 ? rt.shape[d] : operand(ins, next++).scalar.i;
    if (size < 0 || (size > 0 && n > (int64_t(1) << 44) / size))
      return fail(ins, absl::StrCat("dimension ", d, " of the view has size ", size));
    n *= size;
    out.dims[d] = size;
  }
  uint64_t bytes = packedBytes(size_t(n), rt.dtype.bits());
  if (offset < 0 || uint64_t(offset) > src.extent || bytes > src.extent - uint64_t(offset))
    return fail(ins, absl::StrCat("a view of ", bytes, " bytes at byte offset ", offset,
                                  " does not fit in the ", src.extent, " bytes of its source"));
  out.base = src.base + offset;
  out.extent = src.extent - uint64_t(offset);
  out.readOnly = src.readOnly;
  return absl::OkStatus();
}

absl::Status BlockExecutor::sharedSlice(const Instruction &ins) {
  const Value &src = operand(ins, 0);
  const ValueType &st = typeOf(ins.operands[0]);
  int64_t offset = 0;
  size_t n = ins.operands.size() - 1;
  for (size_t d = 0; d < st.shape.size(); ++d) {
    int64_t index = d < n ? operand(ins, 1 + d).scalar.i : 0;
    if (index < 0 || index >= st.shape[d])
      return fail(ins, absl::StrCat("index ", index, " of dimension ", d,
                                    " is outside the shared tile (size ", st.shape[d], ")"));
    offset = offset * st.shape[d] + index;
  }
  Value &out = values_[ins.results[0]];
  out.sharedByte = src.sharedByte;
  out.sharedStart = src.sharedStart + offset;
  return absl::OkStatus();
}

absl::Status BlockExecutor::loadGlobal(const Instruction &ins) {
  const Value &g = operand(ins, 0);
  const ValueType &rt = typeOf(ins.results[0]);
  int64_t start[kMaxRank];
  for (int d = 0; d < rt.rank(); ++d)
    start[d] = operand(ins, 1 + size_t(d)).scalar.i;
  unsigned bits = rt.dtype.bits();
  dense_.resize(size_t(rt.numElements));
  uint32_t *dense = dense_.data();
  const uint8_t *base = g.base;
  walkTile(rt.rank(), rt.shape.data(), start, g.dims, [&](int64_t e, int64_t i) {
    dense[e] = i < 0 ? 0 : readBitsAt(base, uint64_t(i) * bits, bits);
  });
  scatterDense(ins, dense_);
  return absl::OkStatus();
}

absl::Status BlockExecutor::storeGlobal(const Instruction &ins) {
  Value &g = operand(ins, 1);
  const ValueType &vt = typeOf(ins.operands[0]);
  if (g.readOnly)
    return fail(ins, "writes a constant of the module");
  int64_t start[kMaxRank];
  for (int d = 0; d < vt.rank(); ++d)
    start[d] = operand(ins, 2 + size_t(d)).scalar.i;
  gatherDense(ins.operands[0], dense_);
  const uint32_t *dense = dense_.data();
  uint8_t *base = g.base;
  unsigned bits = vt.dtype.bits();
  if (ins.opcode == Opcode::AtomicAdd) {
    DType dtype = vt.dtype;
    walkTile(vt.rank(), vt.shape.data(), start, g.dims, [&](int64_t e, int64_t i) {
      if (i >= 0)
        atomicAddElement(base, uint64_t(i), dtype, dense[e]);
    });
    return absl::OkStatus();
  }
  bool concurrent = bits % 8 != 0;
  walkTile(vt.rank(), vt.shape.data(), start, g.dims, [&](int64_t e, int64_t i) {
    if (i >= 0)
      writeBitsAt(base, uint64_t(i) * bits, bits, dense[e], concurrent);
  });
  return absl::OkStatus();
}

absl::Status BlockExecutor::copyAsync(const Instruction &ins) {
  const Value &g = operand(ins, 0);
  size_t last = ins.operands.size() - 1;
  const Value &s = operand(ins, last);
  const ValueType &st = typeOf(ins.operands[last]);
  int64_t start[kMaxRank];
  for (int d = 0; d < st.rank(); ++d)
    start[d] = operand(ins, 1 + size_t(d)).scalar.i;
  unsigned bits = st.dtype.bits();
  const uint8_t *src = g.base;
  uint8_t *arena = shared_.data();
  uint64_t rootBit = uint64_t(s.sharedByte) * 8;
  Swizzle swizzle = st.swizzle;
  int64_t first = s.sharedStart;
  walkTile(st.rank(), st.shape.data(), start, g.dims, [&](int64_t e, int64_t i) {
    uint32_t code = i < 0 ? 0 : readBitsAt(src, uint64_t(i) * bits, bits);
    uint64_t bit = rootBit + uint64_t(swizzle.apply(first + e)) * bits;
    writeBitsAt(arena, bit, bits, code, false);
  });
  return absl::OkStatus();
}

absl::Status BlockExecutor::loadShared(const Instruction &ins) {
  const Value &s = operand(ins, 0);
  const ValueType &st = typeOf(ins.operands[0]), &rt = typeOf(ins.results[0]);
  int64_t start[kMaxRank];
  for (int d = 0; d < st.rank(); ++d) {
    start[d] = operand(ins, 1 + size_t(d)).scalar.i;
    if (start[d] < 0 || start[d] > st.shape[size_t(d)] - rt.shape[size_t(d)])
      return fail(ins, absl::StrCat("the tile at index ", start[d], " of dimension ", d,
                                    " reaches outside the shared tile ", st.shape[size_t(d)]));
  }
  unsigned bits = st.dtype.bits();
  dense_.resize(size_t(rt.numElements));
  uint32_t *dense = dense_.data();
  const uint8_t *arena = shared_.data();
  uint64_t rootBit = uint64_t(s.sharedByte) * 8;
  Swizzle swizzle = st.swizzle;
  int64_t first = s.sharedStart;
  walkTile(rt.rank(), rt.shape.data(), start, st.shape.data(), [&](int64_t e, int64_t i) {
    dense[e] = readBitsAt(arena, rootBit + uint64_t(swizzle.apply(first + i)) * bits, bits);
  });
  scatterDense(ins, dense_);
  return absl::OkStatus();
}

absl::Status BlockExecutor::storeShared(const Instruction &ins) {
  const Value &s = operand(ins, 1);
  const ValueType &st = typeOf(ins.operands[1]), &vt = typeOf(ins.operands[0]);
  int64_t start[kMaxRank];
  for (int d = 0; d < st.rank(); ++d) {
    start[d] = operand(ins, 2 + size_t(d)).scalar.i;
    if (start[d] < 0 || start[d] > st.shape[size_t(d)] - vt.shape[size_t(d)])
      return fail(ins, absl::StrCat("the tile at index ", start[d], " of dimension ", d,
                                    " reaches outside the shared tile ", st.shape[size_t(d)]));
  }
  gatherDense(ins.operands[0], dense_);
  const uint32_t *dense = dense_.data();
  unsigned bits = st.dtype.bits();
  uint8_t *arena = shared_.data();
  uint64_t rootBit = uint64_t(s.sharedByte) * 8;
  Swizzle swizzle = st.swizzle;
  int64_t first = s.sharedStart;
  walkTile(vt.rank(), vt.shape.data(), start, st.shape.data(), [&](int64_t e, int64_t i) {
    writeBitsAt(arena, rootBit + uint64_t(swizzle.apply(first + i)) * bits, bits, dense[e], false);
  });
  return absl::OkStatus();
}

absl::Status BlockExecutor::lookup(const Instruction &ins) {
  const ValueType &tt = typeOf(ins.operands[0]), &it = typeOf(ins.operands[1]);
  const std::vector<uint32_t> &indices = operand(ins, 1).cells;
  std::vector<uint32_t> &out = resultCells(ins);
  unsigned indexBits = it.dtype.bits();
  bool isSigned = it.dtype.isSignedInteger();
  int64_t n = tt.shape[0];
  if (tt.kind == ValueKind::kRTensor) {
    const std::vector<uint32_t> &table = operand(ins, 0).cells;
    const std::vector<int32_t> &slot = plan_.instructions[ins.index].tableSlot;
    int64_t tableSlots = plan_.table(tt).localSize;
    int64_t localSize = plan_.table(it).localSize;
    for (size_t c = 0; c < out.size(); ++c) {
      int64_t j = intCodeValue(indices[c], indexBits, isSigned);
      int64_t thread = int64_t(c) / localSize;
      out[c] = j >= 0 && j < n ? table[size_t(thread * tableSlots + slot[size_t(j)])] : 0;
    }
    return absl::OkStatus();
  }
  const Value &s = operand(ins, 0);
  unsigned bits = tt.dtype.bits();
  uint64_t rootBit = uint64_t(s.sharedByte) * 8;
  for (size_t c = 0; c < out.size(); ++c) {
    int64_t j = intCodeValue(indices[c], indexBits, isSigned);
    out[c] = j >= 0 && j < n
                 ? readBitsAt(shared_.data(),
                              rootBit + uint64_t(tt.swizzle.apply(s.sharedStart + j)) * bits, bits)
                 : 0;
  }
  return absl::OkStatus();
}

} // namespace tessel::cpu
