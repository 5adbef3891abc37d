#include "vm/Layout.h"

#include <algorithm>
#include <cctype>
#include <functional>

namespace tessel::vm {

namespace {

// Extents (shape dims, thread and slot counts) are capped so that products of a few of them
// never overflow int64_t.
constexpr int64_t kMaxExtent = int64_t(1) << 40;

bool mulChecked(int64_t a, int64_t b, int64_t &out) {
  if (a < 1 || b < 1 || a > kMaxExtent / b)
    return false;
  out = a * b;
  return true;
}

void setError(std::string *error, std::string message) {
  if (error)
    *error = std::move(message);
}

// Sets *error and returns "no layout".
std::nullopt_t failWith(std::string *error, std::string message) {
  setError(error, std::move(message));
  return std::nullopt;
}

std::string joinList(const std::vector<int64_t> &values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i)
    s += (i ? "," : "") + std::to_string(values[i]);
  return s + "]";
}

// The boundaries of a mixed-radix sequence (most significant first): 1 and the products
// of its least significant modes, ascending.
std::vector<int64_t> suffixProducts(const std::vector<int64_t> &sizes) {
  std::vector<int64_t> bounds{1};
  for (size_t k = sizes.size(); k-- > 0;)
    bounds.push_back(bounds.back() * sizes[k]);
  return bounds;
}

// Splits the modes `sizes` (most significant first) so that every value of `extra` is a
// boundary. Fails unless all boundaries form a divisibility chain (a mode can only be split
// evenly). On success returns the new sizes and, for each old mode, the first new mode and
// how many new modes it became.
struct Refinement {
  std::vector<int64_t> sizes;
  std::vector<std::pair<size_t, size_t>> runs;
};
std::optional<Refinement> refine(const std::vector<int64_t> &sizes,
                                 const std::vector<int64_t> &extra) {
  std::vector<int64_t> oldBounds = suffixProducts(sizes);
  std::vector<int64_t> bounds = oldBounds;
  bounds.insert(bounds.end(), extra.begin(), extra.end());
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  for (size_t k = 1; k < bounds.size(); ++k)
    if (bounds[k] % bounds[k - 1] != 0)
      return std::nullopt;
  if (bounds.back() != oldBounds.back())
    return std::nullopt;
  Refinement r;
  // New mode k (most significant first) spans (bounds[n-1-k], bounds[n-k]].
  size_t n = bounds.size() - 1;
  for (size_t k = 0; k < n; ++k)
    r.sizes.push_back(bounds[n - k] / bounds[n - k - 1]);
  // Old mode k spans (oldBounds[m-1-k], oldBounds[m-k]].
  size_t m = oldBounds.size() - 1;
  for (size_t k = 0; k < m; ++k) {
    int64_t hi = oldBounds[m - k], lo = oldBounds[m - k - 1];
    size_t first = n - size_t(std::find(bounds.begin(), bounds.end(), hi) - bounds.begin());
    size_t last = n - size_t(std::find(bounds.begin(), bounds.end(), lo) - bounds.begin());
    r.runs.push_back({first, last - first});
  }
  return r;
}

} // namespace

// The unnormalized form that the algebra builds before normalizing.
struct LayoutBuilder {
  std::vector<int64_t> shape;
  std::vector<int64_t> modeShape;
  std::vector<int> modeDim;
  std::vector<int64_t> spatial;
  std::vector<int64_t> local;

  static LayoutBuilder of(const Layout &l) {
    return {l.shape_, l.modeShape_, l.modeDim_, l.spatial_, l.local_};
  }

  // Removes mode q from the mode list and from both lists, renumbering the rest.
  void eraseMode(int64_t q) {
    modeShape.erase(modeShape.begin() + q);
    modeDim.erase(modeDim.begin() + q);
    for (std::vector<int64_t> *list : {&spatial, &local}) {
      list->erase(std::remove(list->begin(), list->end(), q), list->end());
      for (int64_t &e : *list)
        if (e > q)
          --e;
    }
  }

  // Appends l's lists with its mode m renumbered to index[m].
  void appendLists(const Layout &l, const std::vector<int64_t> &index) {
    for (int64_t e : l.spatial_)
      spatial.push_back(e < 0 ? e : index[size_t(e)]);
    for (int64_t e : l.local_)
      local.push_back(index[size_t(e)]);
  }

  // Replaces every list entry of mode k by the new modes `runs[k]` (in order).
  void expandLists(const std::vector<std::pair<size_t, size_t>> &runs) {
    for (std::vector<int64_t> *list : {&spatial, &local}) {
      std::vector<int64_t> out;
      for (int64_t e : *list) {
        if (e < 0) {
          out.push_back(e);
          continue;
        }
        for (size_t k = 0; k < runs[size_t(e)].second; ++k)
          out.push_back(int64_t(runs[size_t(e)].first + k));
      }
      *list = std::move(out);
    }
  }

  // Drops trivial entries and merges what can merge (see the canonical form in Layout.h).
  Layout normalize() {
    for (int64_t q = int64_t(modeShape.size()); q-- > 0;)
      if (modeShape[size_t(q)] == 1)
        eraseMode(q);
    spatial.erase(std::remove(spatial.begin(), spatial.end(), -1), spatial.end());
    for (size_t k = 0; k + 1 < spatial.size();) {
      if (spatial[k] < 0 && spatial[k + 1] < 0) {
        spatial[k] = -(spatial[k] * spatial[k + 1]);
        spatial.erase(spatial.begin() + long(k) + 1);
      } else {
        ++k;
      }
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (std::vector<int64_t> *list : {&spatial, &local}) {
        for (size_t k = 0; k + 1 < list->size() && !changed; ++k) {
          int64_t p = (*list)[k], q = (*list)[k + 1];
          if (p < 0 || q != p + 1 || modeDim[size_t(p)] != modeDim[size_t(q)])
            continue;
          modeShape[size_t(p)] *= modeShape[size_t(q)];
          eraseMode(q);
          changed = true;
        }
      }
    }
    return Layout(std::move(shape), std::move(modeShape), std::move(modeDim), std::move(spatial),
                  std::move(local));
  }

  // A primitive: one mode per dim (dims of size 1 have none), all in one list.
  static LayoutBuilder primitive(std::vector<int64_t> shape, bool isSpatial, bool columnMajor) {
    LayoutBuilder b;
    for (int64_t &n : shape)
      n = std::max<int64_t>(n, 1);
    b.shape = shape;
    std::vector<int64_t> order;
    for (size_t d = 0; d < shape.size(); ++d) {
      b.modeShape.push_back(shape[d]);
      b.modeDim.push_back(int(d));
      order.push_back(int64_t(d));
    }
    if (columnMajor)
      std::reverse(order.begin(), order.end());
    (isSpatial ? b.spatial : b.local) = order;
    return b;
  }
};

Layout::Layout() : Layout({}, {}, {}, {}, {}) {}

Layout::Layout(std::vector<int64_t> shape, std::vector<int64_t> modeShape, std::vector<int> modeDim,
               std::vector<int64_t> spatial, std::vector<int64_t> local)
    : shape_(std::move(shape)), modeShape_(std::move(modeShape)), modeDim_(std::move(modeDim)),
      spatial_(std::move(spatial)), local_(std::move(local)) {
  for (int64_t n : shape_)
    numElements_ *= n;
  modes_.resize(modeShape_.size());
  int64_t divisor = 1;
  for (size_t m = modeShape_.size(); m-- > 0;) {
    if (m + 1 == modeShape_.size() || modeDim_[m + 1] != modeDim_[m])
      divisor = 1;
    modes_[m] = {modeDim_[m], modeShape_[m], divisor, 0, 0};
    divisor *= modeShape_[m];
  }
  // Strides from the least significant entry up; replication entries are recorded most
  // significant first.
  for (size_t k = spatial_.size(); k-- > 0;) {
    int64_t e = spatial_[k];
    if (e < 0) {
      replicas_.insert(replicas_.begin(), ReplicaInfo{-e, numThreads_});
      replication_ *= -e;
      numThreads_ *= -e;
    } else {
      modes_[size_t(e)].threadStride = numThreads_;
      numThreads_ *= modeShape_[size_t(e)];
    }
  }
  for (size_t k = local_.size(); k-- > 0;) {
    modes_[size_t(local_[k])].slotStride = localSize_;
    localSize_ *= modeShape_[size_t(local_[k])];
  }
  for (const ModeInfo &m : modes_)
    (m.threadStride ? spatialInfo_ : localInfo_).push_back(m);
}

Layout Layout::local(std::vector<int64_t> shape) {
  return LayoutBuilder::primitive(std::move(shape), false, false).normalize();
}
Layout Layout::spatial(std::vector<int64_t> shape) {
  return LayoutBuilder::primitive(std::move(shape), true, false).normalize();
}
Layout Layout::columnLocal(std::vector<int64_t> shape) {
  return LayoutBuilder::primitive(std::move(shape), false, true).normalize();
}
Layout Layout::columnSpatial(std::vector<int64_t> shape) {
  return LayoutBuilder::primitive(std::move(shape), true, true).normalize();
}
Layout Layout::replicate(int64_t count) {
  LayoutBuilder b;
  b.spatial.push_back(-std::max<int64_t>(count, 1));
  return b.normalize();
}

std::optional<Layout> Layout::fromModes(std::vector<int64_t> shape, std::vector<int64_t> modeShape,
                                        std::vector<int64_t> spatialModes,
                                        std::vector<int64_t> localModes, std::string *error) {
  int64_t total = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] < 1 || !mulChecked(total, shape[d], total))
      return failWith(error, "dim " + std::to_string(d) + " of shape " + joinList(shape) +
                                 " is not positive or the shape is too large");
  }
  // Assign modes to dims in order.
  std::vector<int> modeDim;
  std::vector<int64_t> filled(shape.size(), 1);
  size_t d = 0;
  for (size_t m = 0; m < modeShape.size(); ++m) {
    int64_t s = modeShape[m];
    if (s < 1)
      return failWith(error, "mode " + std::to_string(m) + " has size " + std::to_string(s) +
                                 "; mode sizes must be positive");
    while (d < shape.size() && filled[d] == shape[d] && s > 1)
      ++d;
    if (d == shape.size()) {
      if (s > 1)
        return failWith(error, "the modes " + joinList(modeShape) +
                                   " have more elements than shape " + joinList(shape));
      modeDim.push_back(int(shape.size()) - 1); // a size-1 mode, dropped below
      continue;
    }
    if (shape[d] % (filled[d] * s) != 0)
      return failWith(error, "mode " + std::to_string(m) + " (size " + std::to_string(s) +
                                 ") does not divide what is left of dim " + std::to_string(d) +
                                 " (size " + std::to_string(shape[d]) + ")");
    filled[d] *= s;
    modeDim.push_back(int(d));
  }
  for (size_t k = 0; k < shape.size(); ++k) {
    if (filled[k] != shape[k])
      return failWith(error, "the modes " + joinList(modeShape) + " do not cover dim " +
                                 std::to_string(k) + " of shape " + joinList(shape));
  }
  if (shape.empty() && !modeShape.empty()) {
    // Only size-1 modes reach here; a rank-0 layout has none.
    modeShape.clear();
    modeDim.clear();
    for (std::vector<int64_t> *list : {&spatialModes, &localModes})
      list->erase(std::remove_if(list->begin(), list->end(), [](int64_t e) { return e >= 0; }),
                  list->end());
  }
  std::vector<int> seen(modeShape.size(), 0);
  int64_t threads = 1, slots = 1;
  for (int64_t e : spatialModes) {
    if (e >= int64_t(modeShape.size()) || e < -kMaxExtent)
      return failWith(error, "spatial entry " + std::to_string(e) + " is not a mode index");
    if (e >= 0)
      ++seen[size_t(e)];
    int64_t size = e < 0 ? -e : modeShape[size_t(e)];
    if (!mulChecked(threads, size, threads))
      return failWith(error, "too many threads");
  }
  for (int64_t e : localModes) {
    if (e < 0 || e >= int64_t(modeShape.size()))
      return failWith(error, "local entry " + std::to_string(e) + " is not a mode index");
    ++seen[size_t(e)];
    if (!mulChecked(slots, modeShape[size_t(e)], slots))
      return failWith(error, "too many local slots");
  }
  for (size_t m = 0; m < seen.size(); ++m) {
    if (seen[m] != 1)
      return failWith(error, "mode " + std::to_string(m) + " appears " + std::to_string(seen[m]) +
                                 " times in the spatial and local lists; it must appear once");
  }
  LayoutBuilder b{std::move(shape), std::move(modeShape), std::move(modeDim),
                  std::move(spatialModes), std::move(localModes)};
  return b.normalize();
}

std::optional<Layout> Layout::compose(const Layout &inner, std::string *error) const {
  const Layout &outer = *this;
  size_t rank = std::max(outer.shape_.size(), inner.shape_.size());
  if (!outer.shape_.empty() && !inner.shape_.empty() && outer.rank() != inner.rank())
    return failWith(error, "cannot compose a rank-" + std::to_string(outer.rank()) +
                               " layout with a rank-" + std::to_string(inner.rank()) + " layout");
  int64_t threads, slots, elements;
  if (!mulChecked(outer.numThreads_, inner.numThreads_, threads) ||
      !mulChecked(outer.localSize_, inner.localSize_, slots) ||
      !mulChecked(outer.numElements_, inner.numElements_, elements))
    return failWith(error, "the composition has too many elements, threads or local slots");
  LayoutBuilder b;
  b.shape.assign(rank, 1);
  // Per dim: the outer operand's modes (more significant), then the inner's.
  // (Operands are picked by position: `inner` may be `*this`.)
  const Layout *operands[2] = {&outer, &inner};
  std::vector<int64_t> index[2] = {std::vector<int64_t>(outer.modeShape_.size()),
                                   std::vector<int64_t>(inner.modeShape_.size())};
  for (size_t d = 0; d < rank; ++d) {
    int64_t so = outer.shape_.empty() ? 1 : outer.shape_[d];
    int64_t si = inner.shape_.empty() ? 1 : inner.shape_[d];
    if (!mulChecked(so, si, b.shape[d]))
      return failWith(error, "the composition's dim " + std::to_string(d) + " is too large");
    for (int k = 0; k < 2; ++k) {
      const Layout *l = operands[k];
      for (size_t m = 0; m < l->modeShape_.size(); ++m) {
        if (size_t(l->modeDim_[m]) != d)
          continue;
        index[k][m] = int64_t(b.modeShape.size());
        b.modeShape.push_back(l->modeShape_[m]);
        b.modeDim.push_back(int(d));
      }
    }
  }
  for (int k = 0; k < 2; ++k)
    b.appendLists(*operands[k], index[k]);
  return b.normalize();
}

int64_t Layout::slotOf(const int64_t *index) const {
  int64_t slot = 0;
  for (const ModeInfo &m : localInfo_)
    slot += (index[m.dim] / m.divisor) % m.size * m.slotStride;
  return slot;
}

int64_t Layout::threadOf(const int64_t *index) const {
  int64_t thread = 0;
  for (const ModeInfo &m : spatialInfo_)
    thread += (index[m.dim] / m.divisor) % m.size * m.threadStride;
  return thread;
}

std::vector<int64_t> Layout::threadsOf(const int64_t *index) const {
  std::vector<int64_t> threads{threadOf(index)};
  for (const ReplicaInfo &r : replicas_) {
    size_t n = threads.size();
    for (int64_t k = 1; k < r.size; ++k)
      for (size_t i = 0; i < n; ++i)
        threads.push_back(threads[i] + k * r.threadStride);
  }
  std::sort(threads.begin(), threads.end());
  return threads;
}

void Layout::indexOf(int64_t thread, int64_t slot, int64_t *index) const {
  for (size_t d = 0; d < shape_.size(); ++d)
    index[d] = 0;
  for (const ModeInfo &m : modes_) {
    int64_t digit =
        m.threadStride ? thread / m.threadStride % m.size : slot / m.slotStride % m.size;
    index[m.dim] += digit * m.divisor;
  }
}

std::vector<int64_t> Layout::indexOf(int64_t thread, int64_t slot) const {
  std::vector<int64_t> index(shape_.size());
  indexOf(thread, slot, index.data());
  return index;
}

void Layout::mapAll(std::vector<int64_t> &threadOfElement,
                    std::vector<int64_t> &slotOfElement) const {
  threadOfElement.assign(size_t(numElements_), 0);
  slotOfElement.assign(size_t(numElements_), 0);
  // Row-major walk: a mode of dim d with divisor v contributes its digit of x_d, and x_d
  // advances every `elementStride[d]` elements.
  std::vector<int64_t> elementStride(shape_.size(), 1);
  for (size_t d = shape_.size(); d-- > 1;)
    elementStride[d - 1] = elementStride[d] * shape_[d];
  for (const ModeInfo &m : modes_) {
    int64_t period = elementStride[size_t(m.dim)] * m.divisor;
    for (int64_t e = 0; e < numElements_; ++e) {
      int64_t digit = e / period % m.size;
      threadOfElement[size_t(e)] += digit * m.threadStride;
      slotOfElement[size_t(e)] += digit * m.slotStride;
    }
  }
}

std::optional<Layout> Layout::divide(const Layout &inner) const {
  if (shape_.empty() && !inner.shape_.empty())
    return std::nullopt;
  if (!inner.shape_.empty() && inner.rank() != rank())
    return std::nullopt;
  size_t rank = shape_.size();
  auto innerDim = [&](size_t d) { return inner.shape_.empty() ? 1 : inner.shape_[d]; };
  // Split this layout's modes so that each dim's low part (size S_inner[d]) is made of
  // exactly the inner layout's modes of that dim.
  LayoutBuilder b;
  b.shape = shape_;
  std::vector<std::pair<size_t, size_t>> runs(modeShape_.size());
  std::vector<int64_t> innerToThis(inner.modeShape_.size());
  std::vector<bool> isLow;
  for (size_t d = 0; d < rank; ++d) {
    if (shape_[d] % innerDim(d) != 0)
      return std::nullopt;
    std::vector<int64_t> sizes, innerSizes, dimModes, innerModes;
    for (size_t m = 0; m < modeShape_.size(); ++m)
      if (size_t(modeDim_[m]) == d) {
        sizes.push_back(modeShape_[m]);
        dimModes.push_back(int64_t(m));
      }
    for (size_t m = 0; m < inner.modeShape_.size(); ++m)
      if (size_t(inner.modeDim_[m]) == d) {
        innerSizes.push_back(inner.modeShape_[m]);
        innerModes.push_back(int64_t(m));
      }
    std::optional<Refinement> r = refine(sizes, suffixProducts(innerSizes));
    if (!r)
      return std::nullopt;
    size_t base = b.modeShape.size();
    for (size_t k = 0; k < dimModes.size(); ++k)
      runs[size_t(dimModes[k])] = {base + r->runs[k].first, r->runs[k].second};
    // The low modes must be the inner layout's, one for one.
    if (r->sizes.size() < innerSizes.size())
      return std::nullopt;
    size_t numHigh = r->sizes.size() - innerSizes.size();
    if (!std::equal(innerSizes.begin(), innerSizes.end(), r->sizes.begin() + long(numHigh)))
      return std::nullopt;
    for (size_t k = 0; k < r->sizes.size(); ++k) {
      b.modeShape.push_back(r->sizes[k]);
      b.modeDim.push_back(int(d));
      isLow.push_back(k >= numHigh);
    }
    for (size_t k = 0; k < innerModes.size(); ++k)
      innerToThis[size_t(innerModes[k])] = int64_t(base + numHigh + k);
  }
  b.spatial = spatial_;
  b.local = local_;
  b.expandLists(runs);
  // Each list must end with the inner layout's list; a replication may be split between the
  // two (replicate(a).replicate(b) is replicate(a*b)).
  auto stripTail = [&](std::vector<int64_t> &list, const std::vector<int64_t> &tail) {
    for (size_t k = tail.size(); k-- > 0;) {
      if (list.empty())
        return false;
      int64_t e = tail[k], &last = list.back();
      if (e >= 0) {
        if (last != innerToThis[size_t(e)])
          return false;
        list.pop_back();
      } else if (last < 0 && last % e == 0) {
        if (last == e)
          list.pop_back();
        else
          last = -(last / e);
      } else {
        return false;
      }
    }
    return true;
  };
  if (!stripTail(b.spatial, inner.spatial_) || !stripTail(b.local, inner.local_))
    return std::nullopt;
  // What remains is the outer layout: its modes are the high ones.
  for (const std::vector<int64_t> *list : {&b.spatial, &b.local})
    for (int64_t e : *list)
      if (e >= 0 && isLow[size_t(e)])
        return std::nullopt;
  for (size_t m = isLow.size(); m-- > 0;)
    if (isLow[m])
      b.eraseMode(int64_t(m));
  for (size_t d = 0; d < rank; ++d)
    b.shape[d] /= innerDim(d);
  Layout result = b.normalize();
  // The construction is exact when a quotient exists; verify rather than prove it.
  std::optional<Layout> check = result.compose(inner);
  if (!check || *check != *this)
    return std::nullopt;
  return result;
}

Layout Layout::reduce(int dim) const {
  if (dim < 0 || dim >= rank())
    return *this;
  LayoutBuilder b = LayoutBuilder::of(*this);
  for (int64_t &e : b.spatial)
    if (e >= 0 && b.modeDim[size_t(e)] == dim)
      e = -b.modeShape[size_t(e)];
  for (int64_t m = int64_t(b.modeShape.size()); m-- > 0;)
    if (b.modeDim[size_t(m)] == dim)
      b.eraseMode(m);
  b.shape[size_t(dim)] = 1;
  return b.normalize();
}

Layout Layout::permute(const std::vector<int> &perm) const {
  std::vector<bool> used(shape_.size(), false);
  if (perm.size() != shape_.size())
    return *this;
  for (int p : perm) {
    if (p < 0 || p >= rank() || used[size_t(p)])
      return *this;
    used[size_t(p)] = true;
  }
  LayoutBuilder b;
  std::vector<int64_t> newIndex(modeShape_.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    b.shape.push_back(shape_[size_t(perm[i])]);
    for (size_t m = 0; m < modeShape_.size(); ++m) {
      if (modeDim_[m] != perm[i])
        continue;
      newIndex[m] = int64_t(b.modeShape.size());
      b.modeShape.push_back(modeShape_[m]);
      b.modeDim.push_back(int(i));
    }
  }
  b.appendLists(*this, newIndex);
  return b.normalize();
}

std::optional<Layout> Layout::reshape(const std::vector<int64_t> &newShape) const {
  int64_t total = 1;
  for (int64_t n : newShape)
    if (!mulChecked(total, n, total))
      return std::nullopt;
  if (total != numElements_)
    return std::nullopt;
  // The modes in order are the digits of the row-major flat index; the new dims cut that
  // digit string at the suffix products of the new shape.
  std::vector<int64_t> cuts = suffixProducts(newShape);
  std::optional<Refinement> r = refine(modeShape_, cuts);
  if (!r)
    return std::nullopt;
  LayoutBuilder b;
  b.shape = newShape;
  b.modeShape = r->sizes;
  b.spatial = spatial_;
  b.local = local_;
  b.expandLists(r->runs);
  // New mode k spans suffix products (p/size, p]; it belongs to the new dim whose range
  // (cuts[n-1-d], cuts[n-d]] contains it.
  int64_t below = numElements_;
  for (int64_t size : b.modeShape) {
    int64_t hi = below;
    below /= size;
    int d = 0;
    while (!(cuts[newShape.size() - size_t(d) - 1] <= below &&
             hi <= cuts[newShape.size() - size_t(d)]))
      ++d;
    b.modeDim.push_back(d);
  }
  return b.normalize();
}

//===----------------------------------------------------------------------===//
// Text form
//===----------------------------------------------------------------------===//

std::string Layout::toString() const {
  // Factor into primitives: a primitive is a run of consecutive entries of one list with
  // at most one mode per dim, dims strictly increasing (row-major) or decreasing (column),
  // or one replication entry. Primitives must be ordered so that each dim's modes come most
  // significant first. A state is how many spatial and local entries are emitted; find the
  // fewest primitives from (0, 0) to the end.
  const std::vector<int64_t> *lists[2] = {&spatial_, &local_};
  size_t ns = spatial_.size(), nl = local_.size();
  std::vector<int64_t> pos[2];
  for (int which = 0; which < 2; ++which) {
    pos[which].assign(modeShape_.size(), -1);
    for (size_t k = 0; k < lists[which]->size(); ++k)
      if ((*lists[which])[k] >= 0)
        pos[which][size_t((*lists[which])[k])] = int64_t(k);
  }
  auto emitted = [&](int64_t m, size_t i, size_t j) {
    return (pos[0][size_t(m)] >= 0 && pos[0][size_t(m)] < int64_t(i)) ||
           (pos[1][size_t(m)] >= 0 && pos[1][size_t(m)] < int64_t(j));
  };
  auto ready = [&](int64_t m, size_t i, size_t j) {
    return m == 0 || modeDim_[size_t(m - 1)] != modeDim_[size_t(m)] || emitted(m - 1, i, j);
  };
  // Longest primitive of each direction starting at the front of list `which`.
  auto longest = [&](int which, size_t i, size_t j, size_t &inc, size_t &dec) {
    const std::vector<int64_t> &list = *lists[which];
    size_t start = which == 0 ? i : j;
    inc = dec = 0;
    if (start == list.size())
      return;
    if (list[start] < 0) {
      inc = 1;
      return;
    }
    for (size_t *len : {&inc, &dec}) {
      size_t k = start;
      while (
          k < list.size() && list[k] >= 0 && ready(list[k], i, j) &&
          (k == start || (len == &inc ? modeDim_[size_t(list[k])] > modeDim_[size_t(list[k - 1])]
                                      : modeDim_[size_t(list[k])] < modeDim_[size_t(list[k - 1])])))
        ++k;
      *len = k - start;
    }
  };
  constexpr int kUnreachable = 1 << 20;
  std::vector<int> best((ns + 1) * (nl + 1), -1);
  std::function<int(size_t, size_t)> solve = [&](size_t i, size_t j) -> int {
    int &b = best[i * (nl + 1) + j];
    if (b >= 0)
      return b;
    if (i == ns && j == nl)
      return b = 0;
    b = kUnreachable;
    for (int which = 0; which < 2; ++which) {
      size_t inc, dec;
      longest(which, i, j, inc, dec);
      for (size_t len = 1; len <= std::max(inc, dec); ++len)
        b = std::min(b, 1 + (which == 0 ? solve(i + len, j) : solve(i, j + len)));
    }
    return b;
  };
  auto generalForm = [&] {
    return "layout<shape=" + joinList(shape_) + ", modes=" + joinList(modeShape_) +
           ", spatial=" + joinList(spatial_) + ", local=" + joinList(local_) + ">";
  };
  if (solve(0, 0) >= kUnreachable)
    return generalForm();
  std::vector<std::string> terms;
  bool ranked = false;
  for (size_t i = 0, j = 0; i < ns || j < nl;) {
    size_t inc[2], dec[2];
    longest(0, i, j, inc[0], dec[0]);
    longest(1, i, j, inc[1], dec[1]);
    // Ties: spatial-list entries (replication included) as early as possible, then longer
    // primitives first.
    bool found = false;
    for (int which = 0; which < 2 && !found; ++which) {
      for (size_t len = std::max(inc[which], dec[which]); len > 0 && !found; --len) {
        size_t ni = which == 0 ? i + len : i, nj = which == 0 ? j : j + len;
        if (1 + solve(ni, nj) != solve(i, j))
          continue;
        found = true;
        const std::vector<int64_t> &list = *lists[which];
        size_t start = which == 0 ? i : j;
        if (list[start] < 0) {
          terms.push_back("replicate(" + std::to_string(-list[start]) + ")");
        } else {
          std::vector<int64_t> sizes(shape_.size(), 1);
          for (size_t k = start; k < start + len; ++k)
            sizes[size_t(modeDim_[size_t(list[k])])] = modeShape_[size_t(list[k])];
          std::string name = which == 0 ? "spatial" : "local";
          if (len > inc[which])
            name = "column_" + name;
          std::string args = joinList(sizes);
          terms.push_back(name + "(" + args.substr(1, args.size() - 2) + ")");
          ranked = true;
        }
        i = ni;
        j = nj;
      }
    }
    if (!found) // unreachable: solve() said the end is reachable
      return generalForm();
  }
  if (!ranked && (!shape_.empty() || terms.empty())) {
    // Only replication (or nothing): a local(1,..,1) fixes the rank.
    std::string args = joinList(shape_);
    terms.insert(terms.begin(), "local(" + args.substr(1, args.size() - 2) + ")");
  }
  std::string s;
  for (size_t k = 0; k < terms.size(); ++k)
    s += (k ? "." : "") + terms[k];
  return s;
}

namespace {

// Recursive-descent parser of the layout and swizzle text forms. Errors are reported once,
// as "column N: expected X, found Y" (or "column N: <message>").
class Parser {
public:
  Parser(std::string_view text, std::string *error) : text_(text), error_(error) {}

  std::optional<Layout> layout() {
    std::optional<Layout> result = term();
    while (result && tryConsume('.')) {
      size_t start = column();
      std::optional<Layout> next = term();
      std::string why;
      result = next ? result->compose(*next, &why) : std::nullopt;
      if (next && !result)
        failAt(start, why);
    }
    if (result && !atEnd() && !fail("'.' or end of input"))
      return std::nullopt;
    return result;
  }

  std::optional<Swizzle> swizzle() {
    int64_t v[3];
    const char *names[3] = {"bits", "base", "shift"};
    if (!keyword("swizzle") || !expect('<'))
      return std::nullopt;
    for (int k = 0; k < 3; ++k) {
      if ((k && !expect(',')) ||
          !integer(v[k], false, (std::string("the ") + names[k] + " count").c_str()))
        return std::nullopt;
      if (v[k] > 30 && !failAt(column() - 1, std::string(names[k]) + " must be at most 30"))
        return std::nullopt;
    }
    if (!expect('>') || (!atEnd() && !fail("end of input")))
      return std::nullopt;
    if (v[2] < v[0] && !failAt(1, "a swizzle needs shift >= bits to be a bijection"))
      return std::nullopt;
    // (period() is 2^(bits + base + shift) elements.)
    if (v[0] + v[1] + v[2] > 40 && !failAt(1, "a swizzle's bits + base + shift must be at most 40"))
      return std::nullopt;
    return Swizzle{int(v[0]), int(v[1]), int(v[2])};
  }

private:
  size_t column() const { return pos_ + 1; }
  bool fail(const std::string &expected) {
    std::string found = atEnd() ? "end of input" : "'" + std::string(1, text_[pos_]) + "'";
    return failAt(column(), "expected " + expected + ", found " + found);
  }
  bool failAt(size_t column, const std::string &message) {
    if (!failed_)
      setError(error_, "column " + std::to_string(column) + ": " + message);
    failed_ = true;
    return false;
  }
  bool atEnd() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
    return pos_ == text_.size();
  }
  bool tryConsume(char c) {
    if (atEnd() || text_[pos_] != c)
      return false;
    ++pos_;
    return true;
  }
  bool expect(char c) { return tryConsume(c) || fail("'" + std::string(1, c) + "'"); }
  std::string_view identifier() {
    atEnd();
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
      ++pos_;
    return text_.substr(start, pos_ - start);
  }
  bool keyword(std::string_view word) {
    atEnd();
    size_t at = pos_;
    if (identifier() == word)
      return true;
    pos_ = at;
    return fail("'" + std::string(word) + "'");
  }
  bool integer(int64_t &value, bool allowNegative, const char *what) {
    atEnd();
    size_t start = pos_;
    bool negative = allowNegative && pos_ < text_.size() && text_[pos_] == '-';
    pos_ += negative;
    value = 0;
    size_t first = pos_;
    for (; pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; ++pos_)
      if ((value = value * 10 + (text_[pos_] - '0')) > kMaxExtent)
        return failAt(start + 1, "number too large");
    if (pos_ == first) {
      pos_ = start;
      return fail(what);
    }
    value = negative ? -value : value;
    return true;
  }
  // '[' int, ... ']'
  bool list(std::vector<int64_t> &values, bool allowNegative) {
    if (!expect('['))
      return false;
    if (tryConsume(']'))
      return true;
    do {
      values.push_back(0);
      if (!integer(values.back(), allowNegative, "an integer"))
        return false;
    } while (tryConsume(','));
    return expect(']');
  }

  // layout<shape=[..], modes=[..], spatial=[..], local=[..]> (after "layout")
  std::optional<Layout> general() {
    std::vector<int64_t> shape, modes, spatial, local;
    size_t start = column();
    if (!expect('<') || !keyword("shape") || !expect('=') || !list(shape, false) || !expect(',') ||
        !keyword("modes") || !expect('=') || !list(modes, false) || !expect(',') ||
        !keyword("spatial") || !expect('=') || !list(spatial, true) || !expect(',') ||
        !keyword("local") || !expect('=') || !list(local, false) || !expect('>'))
      return std::nullopt;
    std::string why;
    std::optional<Layout> l = Layout::fromModes(shape, modes, spatial, local, &why);
    if (!l)
      failAt(start, "inconsistent layout: " + why);
    return l;
  }

  std::optional<Layout> term() {
    atEnd();
    size_t start = column();
    std::string_view name = identifier();
    if (name == "layout")
      return general();
    const char *names[] = {"local", "spatial", "column_local", "column_spatial", "replicate"};
    int kind = int(std::find(std::begin(names), std::end(names), name) - std::begin(names));
    if (kind == 5) {
      pos_ = start - 1;
      fail("a layout primitive (local, spatial, column_local, column_spatial, replicate) "
           "or 'layout<...>'");
      return std::nullopt;
    }
    std::vector<int64_t> args;
    int64_t total = 1;
    if (!expect('('))
      return std::nullopt;
    if (!tryConsume(')')) {
      do {
        args.push_back(0);
        if (!integer(args.back(), false, "a positive integer") ||
            (args.back() < 1 && !failAt(column() - 1, "expected a positive integer, found 0")))
          return std::nullopt;
      } while (tryConsume(','));
      if (!expect(')'))
        return std::nullopt;
    }
    if (kind == 4) {
      if (args.size() != 1 &&
          !failAt(start, "replicate takes exactly one argument (the replica count)"))
        return std::nullopt;
      return Layout::replicate(args[0]);
    }
    for (int64_t n : args)
      if (!mulChecked(total, n, total) && !failAt(start, "the shape is too large"))
        return std::nullopt;
    return LayoutBuilder::primitive(args, kind == 1 || kind == 3, kind >= 2).normalize();
  }

  std::string_view text_;
  std::string *error_;
  size_t pos_ = 0;
  bool failed_ = false;
};

} // namespace

std::optional<Layout> Layout::parse(std::string_view text, std::string *error) {
  return Parser(text, error).layout();
}

std::string Swizzle::toString() const {
  return "swizzle<" + std::to_string(bits) + ", " + std::to_string(base) + ", " +
         std::to_string(shift) + ">";
}

std::optional<Swizzle> Swizzle::parse(std::string_view text, std::string *error) {
  return Parser(text, error).swizzle();
}

} // namespace tessel::vm
