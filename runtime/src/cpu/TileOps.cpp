// Instructions that move elements between threads or combine many of them: dot and
// dot_sparse, reduce, view, broadcast and shuffle, iota and print.
#include "cpu/BlockExecutor.h"

#include "vm/Codec.h"
#include "vm/Numerics.h"
#include "vm/ScalarOps.h"

#include "absl/strings/str_cat.h"

#include <cstdio>
#include <mutex>

namespace tessel::cpu {

using namespace tessel::vm;

// d = a * b + c. The operands are gathered into dense row-major arrays (replica 0 of
// each element), multiplied, and the result scattered to every holder. Floats: each
// product is exact (f16/bf16 inputs) or fused (f32 inputs), and d[m][n] accumulates
// c[m][n] + a[m][0]b[0][n] + a[m][1]b[1][n] + ... in k order, rounding to f32 after
// each addition; an f16 accumulator is rounded to f16 once at the end. 8-bit integers:
// exact products, i32 accumulation that wraps.
absl::Status BlockExecutor::dot(const Instruction &ins) {
  bool sparse = ins.opcode == Opcode::DotSparse;
  uint32_t aId = ins.operands[0], bId = ins.operands[sparse ? 2 : 1],
           cId = ins.operands[sparse ? 3 : 2];
  const ValueType &at = typeOf(aId), &bt = typeOf(bId), &ct = typeOf(cId);
  const int64_t M = ct.shape[0], N = ct.shape[1], K = bt.shape[0];
  const int64_t aCols = at.shape[1];
  gatherDense(aId, dense_);
  // Dense A as element codes [M][K] (sparse: expanded with zeros).
  std::vector<uint32_t> &aCodes = dense2_;
  if (sparse) {
    std::vector<uint32_t> meta;
    gatherDense(ins.operands[1], meta);
    aCodes.assign(size_t(M * K), 0);
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t g = 0; g < K / 4; ++g) {
        uint32_t nibble = meta[size_t(m * (K / 4) + g)] & 0xF;
        uint32_t i0 = nibble & 3, i1 = nibble >> 2;
        if (i0 >= i1)
          return fail(ins, absl::StrCat("metadata of row ", m, ", group ", g, " is ", nibble,
                                        ": the two kept positions must be i0 < i1"));
        aCodes[size_t(m * K + 4 * g + i0)] = dense_[size_t(m * aCols + 2 * g)];
        aCodes[size_t(m * K + 4 * g + i1)] = dense_[size_t(m * aCols + 2 * g + 1)];
      }
    }
  } else {
    aCodes.swap(dense_);
  }
  std::vector<uint32_t> bCodes, cCodes;
  gatherDense(bId, bCodes);
  gatherDense(cId, cCodes);

  DType in = at.dtype, acc = ct.dtype;
  std::vector<uint32_t> result(size_t(M * N));
  if (in.isInteger()) {
    bool isSigned = in.isSignedInteger();
    ia_.resize(size_t(M * K));
    ib_.resize(size_t(K * N));
    for (size_t i = 0; i < ia_.size(); ++i)
      ia_[i] = int32_t(intCodeValue(aCodes[i], 8, isSigned));
    for (size_t i = 0; i < ib_.size(); ++i)
      ib_[i] = int32_t(intCodeValue(bCodes[i], 8, isSigned));
    for (int64_t m = 0; m < M; ++m) {
      uint32_t *d = &result[size_t(m * N)];
      for (int64_t n = 0; n < N; ++n)
        d[n] = cCodes[size_t(m * N + n)];
      for (int64_t k = 0; k < K; ++k) {
        int32_t av = ia_[size_t(m * K + k)];
        const int32_t *brow = &ib_[size_t(k * N)];
        for (int64_t n = 0; n < N; ++n)
          d[n] += uint32_t(av * brow[n]);
      }
    }
  } else {
    ArithFloat ti = arithFloatOf(in), tc = arithFloatOf(acc);
    fa_.resize(size_t(M * K));
    fb_.resize(size_t(K * N));
    fc_.resize(size_t(M * N));
    for (size_t i = 0; i < fa_.size(); ++i)
      fa_[i] = codeToFloat(aCodes[i], ti);
    for (size_t i = 0; i < fb_.size(); ++i)
      fb_[i] = codeToFloat(bCodes[i], ti);
    for (size_t i = 0; i < fc_.size(); ++i)
      fc_[i] = codeToFloat(cCodes[i], tc);
    for (int64_t m = 0; m < M; ++m) {
      float *d = &fc_[size_t(m * N)];
      for (int64_t k = 0; k < K; ++k) {
        float av = fa_[size_t(m * K + k)];
        const float *brow = &fb_[size_t(k * N)];
        if (ti == ArithFloat::kF32) {
          for (int64_t n = 0; n < N; ++n)
            d[n] = fmaRounded(av, brow[n], d[n], ArithFloat::kF32);
        } else {
          // Exact products: one rounding per step, as the fused form.
          for (int64_t n = 0; n < N; ++n)
            d[n] = d[n] + av * brow[n];
        }
      }
    }
    for (size_t i = 0; i < result.size(); ++i)
      result[i] = floatToCode(fc_[i], tc);
  }
  if (!sparse)
    aCodes.swap(dense_);
  scatterDense(ins, result);
  return absl::OkStatus();
}

// Thread t's source slots, concatenated LSB-first (slot i at bits [i*n, (i+1)*n)), read
// back as the result's slots.
absl::Status BlockExecutor::view(const Instruction &ins) {
  const ValueType &st = typeOf(ins.operands[0]), &rt = typeOf(ins.results[0]);
  const LayoutTable &sl = plan_.table(st), &rl = plan_.table(rt);
  const uint32_t *src = operand(ins, 0).cells.data();
  std::vector<uint32_t> &cells = resultCells(ins);
  uint32_t *out = cells.data();
  unsigned ns = st.dtype.bits(), nr = rt.dtype.bits();
  int64_t ls = sl.localSize, lr = rl.localSize;
  if (ns == nr) {
    std::copy(src, src + sl.cells, out);
    return absl::OkStatus();
  }
  uint64_t mask = (uint64_t(1) << nr) - 1;
  for (int64_t t = 0; t < rl.threads; ++t) {
    const uint32_t *s = src + t * ls;
    uint32_t *o = out + t * lr;
    uint64_t acc = 0;
    unsigned have = 0;
    int64_t next = 0;
    for (int64_t i = 0; i < lr; ++i) {
      while (have < nr) {
        acc |= uint64_t(s[next++]) << have;
        have += ns;
      }
      o[i] = uint32_t(acc & mask);
      acc >>= nr;
      have -= nr;
    }
  }
  return absl::OkStatus();
}

absl::Status BlockExecutor::iota(const Instruction &ins) {
  const LayoutTable &t = plan_.table(typeOf(ins.results[0]));
  std::vector<uint32_t> &cells = resultCells(ins);
  for (int64_t c = 0; c < t.cells; ++c)
    cells[size_t(c)] = uint32_t(t.cellCoords[size_t(c * t.rank + ins.attr)]);
  return absl::OkStatus();
}

absl::Status BlockExecutor::gather(const Instruction &ins) {
  const std::vector<int32_t> &from = plan_.instructions[ins.index].gather;
  const uint32_t *src = operand(ins, 0).cells.data();
  std::vector<uint32_t> &cells = resultCells(ins);
  for (size_t c = 0; c < cells.size(); ++c)
    cells[c] = src[from[c]];
  return absl::OkStatus();
}

// Reduction order: along the dimension in ascending index, starting from element 0;
// floats round to the element type after each step.
absl::Status BlockExecutor::reduce(const Instruction &ins) {
  const ValueType &st = typeOf(ins.operands[0]);
  int dim = int(ins.attr);
  int64_t outer = 1, inner = 1, length = st.shape[size_t(dim)];
  for (int d = 0; d < dim; ++d)
    outer *= st.shape[size_t(d)];
  for (int d = dim + 1; d < st.rank(); ++d)
    inner *= st.shape[size_t(d)];
  gatherDense(ins.operands[0], dense_);
  dense2_.resize(size_t(outer * inner));
  DType e = st.dtype;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const uint32_t *x = &dense_[size_t(o * length * inner + i)];
      uint32_t r;
      if (e.isFloat()) {
        ArithFloat t = arithFloatOf(e);
        float acc = codeToFloat(x[0], t);
        for (int64_t j = 1; j < length; ++j) {
          float v = codeToFloat(x[j * inner], t);
          acc = ins.kind == 0 ? roundFloat(acc + v, t) : maxNumber(acc, v, ins.kind == 1);
        }
        r = floatToCode(acc, t);
      } else {
        unsigned w = e.bits();
        bool isSigned = e.isSignedInteger();
        int64_t acc = intCodeValue(x[0], w, isSigned);
        for (int64_t j = 1; j < length; ++j) {
          int64_t v = intCodeValue(x[j * inner], w, isSigned);
          acc = ins.kind == 0   ? wrapToBits(acc + v, w)
                : ins.kind == 1 ? std::max(acc, v)
                                : std::min(acc, v);
        }
        r = intToCode(acc, w);
      }
      dense2_[size_t(o * inner + i)] = r;
    }
  }
  scatterDense(ins, dense2_);
  return absl::OkStatus();
}

absl::Status BlockExecutor::print(const Instruction &ins) {
  const ValueType &t = typeOf(ins.operands[0]);
  std::string text =
      absl::StrCat(ins.label, " (block ", block_[0], ", ", block_[1], ", ", block_[2], "): ");
  if (t.kind != ValueKind::kRTensor) {
    absl::StrAppend(&text, scalarToString(operand(ins, 0).scalar, t));
  } else {
    gatherDense(ins.operands[0], dense_);
    text += "[";
    for (size_t e = 0; e < dense_.size(); ++e) {
      double v = decode(t.dtype, dense_[e]);
      absl::StrAppend(&text, e ? ", " : "",
                      t.dtype.isFloat() ? formatNumber(v) : absl::StrCat(int64_t(v)));
    }
    text += "]";
  }
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  std::fprintf(stderr, "%s\n", text.c_str());
  return absl::OkStatus();
}

} // namespace tessel::cpu
