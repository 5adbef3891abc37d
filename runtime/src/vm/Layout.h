// Register layouts of the thread-block VM (the layout algebra of Tilus) and the XOR
// swizzle of shared-memory tensors.
//
// A layout maps each element of a logical tile of shape S (rank r), held in registers by
// the threads of a thread block, to (thread, local slot). Each dimension is split into
// modes (mixed radix, most significant first); the spatial modes pick the thread, the local
// modes pick the slot, and a spatial entry may instead replicate (every element is then
// held by that many threads).
//
// Canonical form: a Layout is always normalized, so that == is semantic equality (same
// shape, and every element has the same holders and the same slot):
//   - no mode of size 1 and no replication of 1;
//   - no two modes that could merge: a mode immediately followed, in the same list, by
//     the next less significant mode of the same dimension is one mode;
//   - no two adjacent replication entries (they are one replication).
// Modes are numbered dimension by dimension (dim 0 first), most significant first.
//
// Text form: a dot-separated composition of the primitives local(n..), spatial(n..),
// column_local(n..), column_spatial(n..), replicate(r), and the general form
//   layout<shape=[4,4], modes=[2,2,2,2], spatial=[1,2], local=[3,0]>
// (the fields of fromModes) for layouts that no composition of primitives gives; it may
// also appear as a term of a composition. toString prints the fewest primitives (ties:
// spatial-list entries, i.e. spatial primitives and replication, as early as possible, then
// longer primitives first; a single-mode primitive is printed row-major; a layout of rank
// >= 1 with no modes starts with local(1,..,1) to carry its rank). parse(toString(L)) == L.
#ifndef TESSEL_VM_LAYOUT_H
#define TESSEL_VM_LAYOUT_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessel::vm {

class Layout {
public:
  /// The trivial layout of rank 0 (one element on one thread); same as local({}).
  Layout();

  /// Primitives. Dims are >= 1 (smaller values read as 1) with a product of at most 2^40
  /// (parse checks that). One thread holds the whole tile; slot = row-major index.
  static Layout local(std::vector<int64_t> shape);
  /// Each element on its own thread; thread = row-major index.
  static Layout spatial(std::vector<int64_t> shape);
  /// As local/spatial, but column-major (dim 0 least significant).
  static Layout columnLocal(std::vector<int64_t> shape);
  static Layout columnSpatial(std::vector<int64_t> shape);
  /// One element held by `count` threads. Rank 0: in a composition it takes the rank of
  /// the other operand (a shape of ones).
  static Layout replicate(int64_t count);

  /// Validating constructor. `modeShape` lists the modes of dim 0 first, most significant
  /// first within a dim; modes are assigned to dims in order until each dim's product is
  /// reached (size-1 modes are accepted and dropped). Every mode must appear exactly once
  /// in `spatialModes` or `localModes`; a negative spatial entry -r replicates r times.
  /// The result is normalized. nullopt (and *error, when given) on inconsistency.
  static std::optional<Layout> fromModes(std::vector<int64_t> shape, std::vector<int64_t> modeShape,
                                         std::vector<int64_t> spatialModes,
                                         std::vector<int64_t> localModes, std::string *error);

  /// this ∘ inner: shapes multiply dimension-wise; thread = tA(a)·T_B + tB(b), slot =
  /// lA(a)·L_B + lB(b) with a = x div S_B, b = x mod S_B. A rank-0 operand adapts to the
  /// other's rank. nullopt (+ *error) if the ranks differ or the result is too large.
  std::optional<Layout> compose(const Layout &inner, std::string *error = nullptr) const;

  /// Parses the text form (see the file comment). Errors name the column (1-based) and what
  /// was expected.
  static std::optional<Layout> parse(std::string_view text, std::string *error);
  /// Canonical text (see the file comment).
  std::string toString() const;

  const std::vector<int64_t> &shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t numElements() const { return numElements_; }
  /// Number of threads, replication included.
  int64_t numThreads() const { return numThreads_; }
  int64_t localSize() const { return localSize_; }
  /// How many threads hold each element (the product of the replication entries).
  int64_t replication() const { return replication_; }
  bool isReplicated() const { return replication_ > 1; }
  const std::vector<int64_t> &modeShape() const { return modeShape_; }
  /// The dimension each mode belongs to.
  const std::vector<int> &modeDims() const { return modeDim_; }
  const std::vector<int64_t> &spatialModes() const { return spatial_; }
  const std::vector<int64_t> &localModes() const { return local_; }

  /// Slot of the element at a logical index (the same in every replica). `index` has
  /// rank() entries, each in range. Allocation-free.
  int64_t slotOf(const int64_t *index) const;
  /// Thread of replica 0 of that element (the smallest holder). Allocation-free.
  int64_t threadOf(const int64_t *index) const;
  /// All holders of that element, ascending (replication() of them).
  std::vector<int64_t> threadsOf(const int64_t *index) const;
  /// The element thread `thread` holds in slot `slot` (thread < numThreads, slot <
  /// localSize; every such pair names exactly one element).
  std::vector<int64_t> indexOf(int64_t thread, int64_t slot) const;
  /// Allocation-free form: writes rank() entries to `index`.
  void indexOf(int64_t thread, int64_t slot, int64_t *index) const;
  /// Thread (replica 0) and slot of every element, in row-major element order.
  void mapAll(std::vector<int64_t> &threadOfElement, std::vector<int64_t> &slotOfElement) const;

  /// O such that *this == O.compose(inner), or nullopt. The result is unique when it exists
  /// and has this layout's rank (a rank-0 inner, like replicate(r), divides any rank).
  std::optional<Layout> divide(const Layout &inner) const;
  /// The layout of reduce(x, dim) keeping the dim with size 1: the local modes of that dim
  /// disappear, its spatial modes become replication. `dim` must be in [0, rank)
  /// (otherwise *this is returned).
  Layout reduce(int dim) const;
  /// Result dim i is input dim perm[i]. `perm` must be a permutation of [0, rank)
  /// (otherwise *this is returned).
  Layout permute(const std::vector<int> &perm) const;
  /// Row-major reshape to `newShape` (same number of elements) when the modes allow it:
  /// merging dims always works; splitting works when the split points fall on mode
  /// boundaries or split a mode evenly (the boundaries form a divisibility chain).
  std::optional<Layout> reshape(const std::vector<int64_t> &newShape) const;

  friend bool operator==(const Layout &a, const Layout &b) {
    return a.shape_ == b.shape_ && a.modeShape_ == b.modeShape_ && a.spatial_ == b.spatial_ &&
           a.local_ == b.local_;
  }
  friend bool operator!=(const Layout &a, const Layout &b) { return !(a == b); }

private:
  // Per-mode precomputation: digit = (index[dim] / divisor) % size, and the digit's weight
  // in the thread id or the slot (the other weight is 0).
  struct ModeInfo {
    int dim;
    int64_t size;
    int64_t divisor;
    int64_t threadStride;
    int64_t slotStride;
  };
  // A replication entry's weight in the thread id.
  struct ReplicaInfo {
    int64_t size;
    int64_t threadStride;
  };

  // Builds from an already normalized form and precomputes the strides.
  Layout(std::vector<int64_t> shape, std::vector<int64_t> modeShape, std::vector<int> modeDim,
         std::vector<int64_t> spatial, std::vector<int64_t> local);
  friend struct LayoutBuilder;

  std::vector<int64_t> shape_;
  std::vector<int64_t> modeShape_;
  std::vector<int> modeDim_;
  std::vector<int64_t> spatial_;
  std::vector<int64_t> local_;

  std::vector<ModeInfo> modes_;                   // indexed like modeShape_
  std::vector<ModeInfo> spatialInfo_, localInfo_; // the same, split by list (for speed)
  std::vector<ReplicaInfo> replicas_;
  int64_t numElements_ = 1;
  int64_t numThreads_ = 1;
  int64_t localSize_ = 1;
  int64_t replication_ = 1;
};

/// CUTLASS-style XOR swizzle on element offsets:
///   offset ^ (((offset >> (base + shift)) & ((1 << bits) - 1)) << base).
/// A bijection on every aligned block of 2^(bits + base + shift) offsets when shift >= bits
/// (which parse enforces). Text form: "swizzle<bits, base, shift>".
struct Swizzle {
  int bits = 0, base = 0, shift = 0;

  int64_t apply(int64_t offset) const {
    return offset ^ (((offset >> (base + shift)) & ((int64_t(1) << bits) - 1)) << base);
  }
  bool isIdentity() const { return bits == 0; }
  /// Elements after which the pattern repeats (1 for the identity): apply(x + j * period)
  /// == apply(x) + j * period.
  int64_t period() const { return bits == 0 ? 1 : int64_t(1) << (bits + base + shift); }
  std::string toString() const;
  static std::optional<Swizzle> parse(std::string_view text, std::string *error);

  friend bool operator==(const Swizzle &a, const Swizzle &b) {
    return a.bits == b.bits && a.base == b.base && a.shift == b.shift;
  }
  friend bool operator!=(const Swizzle &a, const Swizzle &b) { return !(a == b); }
};

} // namespace tessel::vm

#endif // TESSEL_VM_LAYOUT_H
