// The laws of the layout algebra, checked exhaustively on small rank-2 layouts against an
// oracle that applies the definitions (primitives, composition) to explicit tables.
#include "vm/Layout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>

namespace tessel::vm {

// GoogleTest prints layouts in their text form.
inline void PrintTo(const Layout &l, std::ostream *os) { *os << l.toString(); }

namespace {

// A layout as an explicit table: for each element (row-major), its sorted holders and slot.
struct Table {
  std::vector<int64_t> shape; // empty: rank 0 (adapts in a composition, like replicate)
  int64_t threads = 1, slots = 1;
  std::vector<std::vector<int64_t>> holders;
  std::vector<int64_t> slot;

  friend bool operator==(const Table &a, const Table &b) {
    return a.shape == b.shape && a.threads == b.threads && a.slots == b.slots &&
           a.holders == b.holders && a.slot == b.slot;
  }
};

int64_t product(const std::vector<int64_t> &v) {
  int64_t p = 1;
  for (int64_t n : v)
    p *= n;
  return p;
}

std::vector<int64_t> unflatten(int64_t e, const std::vector<int64_t> &shape) {
  std::vector<int64_t> x(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    x[d] = e % shape[d];
    e /= shape[d];
  }
  return x;
}

int64_t flatten(const std::vector<int64_t> &x, const std::vector<int64_t> &shape) {
  int64_t e = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    e = e * shape[d] + x[d];
  return e;
}

enum class Kind { kLocal, kSpatial, kColumnLocal, kColumnSpatial };

// The primitives straight from their definitions.
Table primitiveTable(Kind kind, const std::vector<int64_t> &shape) {
  Table t;
  t.shape = shape;
  int64_t n = product(shape);
  bool isSpatial = kind == Kind::kSpatial || kind == Kind::kColumnSpatial;
  bool column = kind == Kind::kColumnLocal || kind == Kind::kColumnSpatial;
  (isSpatial ? t.threads : t.slots) = n;
  for (int64_t e = 0; e < n; ++e) {
    std::vector<int64_t> x = unflatten(e, shape);
    int64_t order = e;
    if (column) {
      order = 0;
      for (size_t d = shape.size(); d-- > 0;)
        order = order * shape[d] + x[d];
    }
    t.holders.push_back({isSpatial ? order : 0});
    t.slot.push_back(isSpatial ? 0 : order);
  }
  return t;
}

Table replicateTable(int64_t r) {
  Table t;
  t.threads = r;
  t.holders.push_back({});
  for (int64_t k = 0; k < r; ++k)
    t.holders[0].push_back(k);
  t.slot.push_back(0);
  return t;
}

// A∘B by the definition: a = x div S_B, b = x mod S_B, thread = tA(a)·T_B + tB(b),
// slot = lA(a)·L_B + lB(b).
Table composeTables(const Table &a, const Table &b) {
  size_t rank = std::max(a.shape.size(), b.shape.size());
  std::vector<int64_t> sa = a.shape.empty() ? std::vector<int64_t>(rank, 1) : a.shape;
  std::vector<int64_t> sb = b.shape.empty() ? std::vector<int64_t>(rank, 1) : b.shape;
  Table t;
  for (size_t d = 0; d < rank; ++d)
    t.shape.push_back(sa[d] * sb[d]);
  t.threads = a.threads * b.threads;
  t.slots = a.slots * b.slots;
  for (int64_t e = 0; e < product(t.shape); ++e) {
    std::vector<int64_t> x = unflatten(e, t.shape), xa(rank), xb(rank);
    for (size_t d = 0; d < rank; ++d) {
      xa[d] = x[d] / sb[d];
      xb[d] = x[d] % sb[d];
    }
    int64_t ea = flatten(xa, sa), eb = flatten(xb, sb);
    std::vector<int64_t> h;
    for (int64_t ta : a.holders[size_t(ea)])
      for (int64_t tb : b.holders[size_t(eb)])
        h.push_back(ta * b.threads + tb);
    std::sort(h.begin(), h.end());
    t.holders.push_back(h);
    t.slot.push_back(a.slot[size_t(ea)] * b.slots + b.slot[size_t(eb)]);
  }
  return t;
}

// The table a Layout implements, read through its public mapping functions.
Table tableOf(const Layout &l) {
  Table t;
  t.shape = l.shape();
  t.threads = l.numThreads();
  t.slots = l.localSize();
  for (int64_t e = 0; e < l.numElements(); ++e) {
    std::vector<int64_t> x = unflatten(e, l.shape());
    t.holders.push_back(l.threadsOf(x.data()));
    t.slot.push_back(l.slotOf(x.data()));
  }
  return t;
}

uint64_t hashTable(const Table &t) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](int64_t v) { h = (h ^ uint64_t(v)) * 1099511628211ull; };
  mix(int64_t(t.shape.size()));
  for (int64_t v : t.shape)
    mix(v);
  mix(t.threads);
  mix(t.slots);
  for (size_t e = 0; e < t.holders.size(); ++e) {
    mix(-1);
    for (int64_t v : t.holders[e])
      mix(v);
    mix(t.slot[e]);
  }
  return h;
}

// The mapping functions agree with each other: indexOf inverts (threadsOf, slotOf), every
// (thread, slot) names one element, every element has replication() holders, threadOf is
// the smallest holder, and mapAll matches.
::testing::AssertionResult checkConsistent(const Layout &l) {
  std::string name = l.toString();
  if (l.numThreads() * l.localSize() != l.numElements() * l.replication())
    return ::testing::AssertionFailure() << name << ": threads x slots != elements x replicas";
  std::vector<int64_t> count(size_t(l.numElements()), 0);
  std::vector<int64_t> x(size_t(l.rank()));
  for (int64_t t = 0; t < l.numThreads(); ++t) {
    for (int64_t s = 0; s < l.localSize(); ++s) {
      l.indexOf(t, s, x.data());
      for (int d = 0; d < l.rank(); ++d)
        if (x[size_t(d)] < 0 || x[size_t(d)] >= l.shape()[size_t(d)])
          return ::testing::AssertionFailure() << name << ": indexOf out of range";
      if (x != l.indexOf(t, s))
        return ::testing::AssertionFailure() << name << ": the two indexOf disagree";
      std::vector<int64_t> h = l.threadsOf(x.data());
      if (l.slotOf(x.data()) != s || !std::binary_search(h.begin(), h.end(), t))
        return ::testing::AssertionFailure()
               << name << ": indexOf(" << t << ", " << s << ") is not held there";
      ++count[size_t(flatten(x, l.shape()))];
    }
  }
  std::vector<int64_t> threadTable, slotTable;
  l.mapAll(threadTable, slotTable);
  for (int64_t e = 0; e < l.numElements(); ++e) {
    std::vector<int64_t> y = unflatten(e, l.shape());
    std::vector<int64_t> h = l.threadsOf(y.data());
    if (count[size_t(e)] != l.replication() || int64_t(h.size()) != l.replication())
      return ::testing::AssertionFailure()
             << name << ": element " << e << " has " << count[size_t(e)] << " holders";
    if (l.threadOf(y.data()) != h[0] || threadTable[size_t(e)] != h[0] ||
        slotTable[size_t(e)] != l.slotOf(y.data()))
      return ::testing::AssertionFailure() << name << ": threadOf/mapAll disagree at " << e;
  }
  if (l.isReplicated() != (l.replication() > 1))
    return ::testing::AssertionFailure() << name << ": isReplicated";
  return ::testing::AssertionSuccess();
}

// reduce, permute and reshape against the mapping definition, element by element.
::testing::AssertionResult checkDerived(const Layout &l) {
  std::string name = l.toString();
  Table t = tableOf(l);
  for (int dim = 0; dim < l.rank(); ++dim) {
    Layout r = l.reduce(dim);
    std::vector<int64_t> shape = l.shape();
    shape[size_t(dim)] = 1;
    // Expected slot: the rank of the slot of x (with x_dim = 0) among all such slots.
    std::vector<int64_t> baseSlots;
    for (int64_t e = 0; e < l.numElements(); ++e)
      if (unflatten(e, l.shape())[size_t(dim)] == 0)
        baseSlots.push_back(t.slot[size_t(e)]);
    std::sort(baseSlots.begin(), baseSlots.end());
    baseSlots.erase(std::unique(baseSlots.begin(), baseSlots.end()), baseSlots.end());
    if (r.shape() != shape || r.numThreads() != l.numThreads() ||
        r.localSize() != int64_t(baseSlots.size()))
      return ::testing::AssertionFailure() << name << ".reduce(" << dim << ") = " << r.toString();
    for (int64_t e = 0; e < r.numElements(); ++e) {
      std::vector<int64_t> x = unflatten(e, shape), holders;
      int64_t baseSlot = -1;
      for (int64_t k = 0; k < l.shape()[size_t(dim)]; ++k) {
        x[size_t(dim)] = k;
        const std::vector<int64_t> &h = t.holders[size_t(flatten(x, l.shape()))];
        holders.insert(holders.end(), h.begin(), h.end());
        if (k == 0)
          baseSlot = t.slot[size_t(flatten(x, l.shape()))];
      }
      x[size_t(dim)] = 0;
      std::sort(holders.begin(), holders.end());
      holders.erase(std::unique(holders.begin(), holders.end()), holders.end());
      int64_t slot =
          std::lower_bound(baseSlots.begin(), baseSlots.end(), baseSlot) - baseSlots.begin();
      if (r.threadsOf(x.data()) != holders || r.slotOf(x.data()) != slot)
        return ::testing::AssertionFailure()
               << name << ".reduce(" << dim << ") = " << r.toString() << " at element " << e;
    }
  }
  // Every permutation of the dims (rank <= 3 here).
  std::vector<int> perm(size_t(l.rank()));
  for (int d = 0; d < l.rank(); ++d)
    perm[size_t(d)] = d;
  do {
    Layout p = l.permute(perm);
    std::vector<int64_t> shape;
    for (int d : perm)
      shape.push_back(l.shape()[size_t(d)]);
    if (p.shape() != shape)
      return ::testing::AssertionFailure() << name << ": permuted shape";
    for (int64_t e = 0; e < l.numElements(); ++e) {
      std::vector<int64_t> x = unflatten(e, l.shape()), y;
      for (int d : perm)
        y.push_back(x[size_t(d)]);
      if (p.threadsOf(y.data()) != t.holders[size_t(e)] || p.slotOf(y.data()) != t.slot[size_t(e)])
        return ::testing::AssertionFailure() << name << ": permute at element " << e;
    }
  } while (std::next_permutation(perm.begin(), perm.end()));
  // Reshape: flattening always works and unflattening gives the layout back; every other
  // 1-, 2- and 3-dim shape either fails or maps each flat index as before.
  int64_t n = l.numElements();
  std::optional<Layout> flat = l.reshape({n});
  if (!flat || flat->reshape(l.shape()) != l)
    return ::testing::AssertionFailure() << name << ": flatten round trip";
  std::vector<std::vector<int64_t>> shapes{{n}};
  for (int64_t a = 1; a <= n; ++a)
    for (int64_t b = 1; a * b <= n; ++b)
      if (n % (a * b) == 0) {
        if (a * b == n)
          shapes.push_back({a, b});
        shapes.push_back({a, b, n / (a * b)});
      }
  for (const std::vector<int64_t> &shape : shapes) {
    std::optional<Layout> s = l.reshape(shape);
    if (!s)
      continue;
    if (s->shape() != shape || s->numThreads() != l.numThreads() || s->localSize() != l.localSize())
      return ::testing::AssertionFailure() << name << ": reshape sizes";
    for (int64_t e = 0; e < n; ++e) {
      std::vector<int64_t> y = unflatten(e, shape);
      if (s->threadsOf(y.data()) != t.holders[size_t(e)] ||
          s->slotOf(y.data()) != t.slot[size_t(e)])
        return ::testing::AssertionFailure()
               << name << ": reshape to " << shape.size() << " dims at element " << e;
    }
  }
  if (l.reshape({n + 1}) || l.reshape({n, 2}))
    return ::testing::AssertionFailure() << name << ": reshape to a wrong element count";
  return ::testing::AssertionSuccess();
}

struct Primitive {
  std::string text;
  Layout layout;
  Table table;
};

std::vector<Primitive> primitives(const std::vector<int64_t> &dims,
                                  const std::vector<int64_t> &replicas) {
  std::vector<Primitive> out;
  const std::pair<Kind, const char *> kinds[] = {{Kind::kLocal, "local"},
                                                 {Kind::kSpatial, "spatial"},
                                                 {Kind::kColumnLocal, "column_local"},
                                                 {Kind::kColumnSpatial, "column_spatial"}};
  for (auto [kind, name] : kinds) {
    for (int64_t m : dims) {
      for (int64_t n : dims) {
        std::vector<int64_t> shape{m, n};
        Layout l = kind == Kind::kLocal         ? Layout::local(shape)
                   : kind == Kind::kSpatial     ? Layout::spatial(shape)
                   : kind == Kind::kColumnLocal ? Layout::columnLocal(shape)
                                                : Layout::columnSpatial(shape);
        out.push_back({std::string(name) + "(" + std::to_string(m) + "," + std::to_string(n) + ")",
                       l, primitiveTable(kind, shape)});
      }
    }
  }
  for (int64_t r : replicas)
    out.push_back(
        {"replicate(" + std::to_string(r) + ")", Layout::replicate(r), replicateTable(r)});
  return out;
}

// Checks that == is semantic equality over everything added: equal tables <=> equal layouts.
class EqualityWitness {
public:
  ::testing::AssertionResult add(const Layout &l, const Table &t) {
    uint64_t h = hashTable(t);
    auto [it, inserted] = byTable_.emplace(h, l);
    if (!inserted && it->second != l)
      return ::testing::AssertionFailure()
             << "same mapping, unequal layouts: " << it->second.toString() << " vs "
             << l.toString();
    auto [jt, fresh] = byLayout_.emplace(l.toString(), h);
    if (!fresh && jt->second != h)
      return ::testing::AssertionFailure() << "equal layouts, different mappings: " << l.toString();
    return ::testing::AssertionSuccess();
  }
  size_t distinct() const { return byTable_.size(); }

private:
  std::map<uint64_t, Layout> byTable_;
  std::map<std::string, uint64_t> byLayout_;
};

// A rank-0 layout (replicate) as the layout of the given rank that it adapts to. divide
// returns the dividend's rank, so (replicate(2) o B) / B is replicate(2) at B's rank.
Layout withRank(const Layout &l, int rank) {
  if (l.rank() == rank)
    return l;
  return *Layout::local(std::vector<int64_t>(size_t(rank), 1)).compose(l);
}

size_t countTerms(const std::string &text) {
  return text.rfind("layout<", 0) == 0 ? 1000
                                       : size_t(std::count(text.begin(), text.end(), '.')) + 1;
}

TEST(Layout, PrimitivesMatchTheirDefinitions) {
  for (const Primitive &p : primitives({1, 2, 3, 4}, {2, 3, 4})) {
    EXPECT_EQ(tableOf(p.layout), p.table) << p.text;
    EXPECT_TRUE(checkConsistent(p.layout));
    std::string error;
    std::optional<Layout> parsed = Layout::parse(p.text, &error);
    ASSERT_TRUE(parsed) << p.text << ": " << error;
    EXPECT_EQ(*parsed, p.layout) << p.text;
    EXPECT_EQ(Layout::parse(p.layout.toString(), &error), p.layout) << p.text;
  }
  EXPECT_EQ(Layout::replicate(4).rank(), 0);
  EXPECT_EQ(Layout::replicate(4).numThreads(), 4);
  EXPECT_EQ(Layout::replicate(4).replication(), 4);
  EXPECT_EQ(Layout::local({}).toString(), "local()");
  EXPECT_EQ(Layout(), Layout::spatial({}));
}

// Every composition of two primitives: the oracle, consistency, associativity with a third
// operand, divide, the text round trip, fewest terms, semantic equality, and the derived
// operations.
TEST(Layout, CompositionsOfTwo) {
  std::vector<Primitive> prims = primitives({1, 2, 3, 4}, {2, 3});
  EqualityWitness witness;
  for (const Primitive &a : prims) {
    for (const Primitive &b : prims) {
      std::string text = a.text + "." + b.text;
      std::optional<Layout> ab = a.layout.compose(b.layout);
      ASSERT_TRUE(ab) << text;
      Table t = composeTables(a.table, b.table);
      ASSERT_EQ(tableOf(*ab), t) << text << " = " << ab->toString();
      ASSERT_TRUE(checkConsistent(*ab));
      ASSERT_TRUE(witness.add(*ab, t));
      std::string error;
      EXPECT_EQ(Layout::parse(text, &error), ab) << text << ": " << error;
      std::string canonical = ab->toString();
      EXPECT_EQ(Layout::parse(canonical, &error), ab) << text << " printed " << canonical;
      EXPECT_LE(countTerms(canonical), 2u) << text << " printed " << canonical;
      std::optional<Layout> q = ab->divide(b.layout);
      ASSERT_TRUE(q) << text << " / " << b.text;
      EXPECT_EQ(*q, withRank(a.layout, ab->rank()))
          << text << " / " << b.text << " = " << q->toString();
      if (ab->rank() > 0) {
        ASSERT_TRUE(checkDerived(*ab)) << text;
      }
    }
  }
  // Many compositions coincide (spatial(2,1).spatial(2,1) == spatial(4,1)); equality must
  // have identified them.
  EXPECT_LT(witness.distinct(), prims.size() * prims.size());
}

void checkTriples(const std::vector<Primitive> &prims) {
  EqualityWitness witness;
  size_t checked = 0;
  for (const Primitive &a : prims) {
    for (const Primitive &b : prims) {
      Layout ab = *a.layout.compose(b.layout);
      Table tab = composeTables(a.table, b.table);
      for (const Primitive &c : prims) {
        std::string text = a.text + "." + b.text + "." + c.text;
        Layout bc = *b.layout.compose(c.layout);
        std::optional<Layout> left = ab.compose(c.layout), right = a.layout.compose(bc);
        ASSERT_TRUE(left && right) << text;
        ASSERT_EQ(*left, *right) << "associativity: " << text;
        Table t = composeTables(tab, c.table);
        ASSERT_EQ(tableOf(*left), t) << text << " = " << left->toString();
        ASSERT_TRUE(witness.add(*left, t));
        std::string error, canonical = left->toString();
        ASSERT_EQ(Layout::parse(text, &error), left) << text << ": " << error;
        ASSERT_EQ(Layout::parse(canonical, &error), left) << text << " printed " << canonical;
        ASSERT_LE(countTerms(canonical), 3u) << text << " printed " << canonical;
        std::optional<Layout> q1 = left->divide(c.layout), q2 = left->divide(bc);
        ASSERT_TRUE(q1 && q2) << text;
        ASSERT_EQ(*q1, withRank(ab, left->rank())) << text << " / " << c.text;
        ASSERT_EQ(*q2, withRank(a.layout, left->rank())) << text << " / " << bc.toString();
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, prims.size() * prims.size() * prims.size());
}

TEST(Layout, CompositionsOfThreeDims123) { checkTriples(primitives({1, 2, 3}, {2, 3})); }
TEST(Layout, CompositionsOfThreeDims124) { checkTriples(primitives({1, 2, 4}, {2, 4})); }

// A sample of the triples (every 7th) also gets the consistency and derived checks.
TEST(Layout, DerivedOperationsOnTriples) {
  std::vector<Primitive> prims = primitives({1, 2, 3}, {2});
  size_t k = 0;
  for (const Primitive &a : prims)
    for (const Primitive &b : prims)
      for (const Primitive &c : prims) {
        if (k++ % 7 != 0)
          continue;
        Layout l = *a.layout.compose(b.layout)->compose(c.layout);
        ASSERT_TRUE(checkConsistent(l)) << a.text << "." << b.text << "." << c.text;
        if (l.rank() > 0) {
          ASSERT_TRUE(checkDerived(l)) << a.text << "." << b.text << "." << c.text;
        }
      }
}

// Divide must refuse layouts that no O composes to, and its answer always composes back.
TEST(Layout, DivideRefusesOrComposesBack) {
  std::vector<Primitive> prims = primitives({1, 2, 4}, {2});
  size_t found = 0, refused = 0;
  for (const Primitive &a : prims)
    for (const Primitive &b : prims) {
      Layout l = *a.layout.compose(b.layout);
      for (const Primitive &d : prims) {
        std::optional<Layout> q = l.divide(d.layout);
        if (q) {
          ++found;
          ASSERT_EQ(q->compose(d.layout), l) << l.toString() << " / " << d.text;
        } else {
          ++refused;
        }
      }
    }
  EXPECT_GT(found, 0u);
  EXPECT_GT(refused, 0u);
  // Concrete cases.
  Layout l = *Layout::parse("spatial(4,8).local(2,2)", nullptr);
  EXPECT_EQ(l.divide(Layout::local({2, 2})), Layout::spatial({4, 8}));
  EXPECT_EQ(l.divide(Layout::local({1, 2})), Layout::parse("spatial(4,8).local(2,1)", nullptr));
  EXPECT_FALSE(l.divide(Layout::spatial({2, 2})));     // the inner part is local
  EXPECT_FALSE(l.divide(Layout::columnLocal({2, 2}))); // wrong slot order
  EXPECT_FALSE(l.divide(Layout::local({3, 1})));       // 3 does not divide 8
  EXPECT_FALSE(l.divide(Layout::local({2, 2, 1})));    // rank
  Layout r = *Layout::parse("spatial(4,8).replicate(6).local(2,2)", nullptr);
  EXPECT_EQ(r.divide(*Layout::parse("replicate(3).local(2,2)", nullptr)),
            Layout::parse("spatial(4,8).replicate(2)", nullptr));
  EXPECT_FALSE(r.divide(*Layout::parse("replicate(4).local(2,2)", nullptr)));
  EXPECT_EQ(Layout::spatial({8}).divide(Layout::spatial({2})), Layout::spatial({4}));
  EXPECT_EQ(Layout::spatial({8}).divide(Layout::replicate(1)), Layout::spatial({8}));
}

// Random layouts in general form (most of them no composition of primitives) against an
// oracle that reads the modes directly.
TEST(Layout, RandomGeneralLayouts) {
  std::mt19937 rng(20240601);
  auto pick = [&](int n) { return int(std::uniform_int_distribution<int>(0, n - 1)(rng)); };
  EqualityWitness witness;
  int general = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    int rank = 1 + pick(3);
    std::vector<int64_t> shape, modes;
    std::vector<int> modeDim;
    for (int d = 0; d < rank; ++d) {
      int64_t size = 1;
      for (int k = pick(3); k > 0; --k) {
        int64_t m = 1 + pick(4);
        modes.push_back(m);
        modeDim.push_back(d);
        size *= m;
      }
      shape.push_back(size);
    }
    std::vector<int64_t> order(modes.size());
    for (size_t m = 0; m < modes.size(); ++m)
      order[m] = int64_t(m);
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<int64_t> spatial, local;
    for (int64_t m : order)
      (pick(2) ? spatial : local).push_back(m);
    for (int k = pick(3); k > 0; --k)
      spatial.insert(spatial.begin() + pick(int(spatial.size()) + 1), -(1 + pick(3)));
    std::string error;
    std::optional<Layout> l = Layout::fromModes(shape, modes, spatial, local, &error);
    ASSERT_TRUE(l) << error;
    // Oracle: digits of each mode, mixed radix over the lists.
    Table t;
    t.shape = shape;
    for (int64_t e : spatial)
      t.threads *= e < 0 ? -e : modes[size_t(e)];
    for (int64_t e : local)
      t.slots *= modes[size_t(e)];
    for (int64_t e = 0; e < product(shape); ++e) {
      std::vector<int64_t> x = unflatten(e, shape), digit(modes.size());
      for (size_t m = modes.size(); m-- > 0;) {
        digit[m] = x[size_t(modeDim[m])] % modes[m];
        x[size_t(modeDim[m])] /= modes[m];
      }
      std::vector<int64_t> holders{0};
      for (int64_t s : spatial) {
        std::vector<int64_t> next;
        for (int64_t h : holders)
          for (int64_t r = 0; r < (s < 0 ? -s : 1); ++r)
            next.push_back(h * (s < 0 ? -s : modes[size_t(s)]) + (s < 0 ? r : digit[size_t(s)]));
        holders = next;
      }
      std::sort(holders.begin(), holders.end());
      int64_t slot = 0;
      for (int64_t s : local)
        slot = slot * modes[size_t(s)] + digit[size_t(s)];
      t.holders.push_back(holders);
      t.slot.push_back(slot);
    }
    ASSERT_EQ(tableOf(*l), t) << l->toString();
    ASSERT_TRUE(witness.add(*l, t));
    ASSERT_TRUE(checkConsistent(*l));
    std::string canonical = l->toString();
    general += canonical.rfind("layout<", 0) == 0;
    ASSERT_EQ(Layout::parse(canonical, &error), l) << canonical << ": " << error;
    if (iter % 5 == 0) {
      ASSERT_TRUE(checkDerived(*l));
    }
    // A general layout divides by any of its own trailing primitives.
    std::optional<Layout> q = l->divide(Layout::local(std::vector<int64_t>(size_t(rank), 1)));
    ASSERT_EQ(q, l);
  }
  EXPECT_GT(general, 100); // the general form was exercised
}

TEST(Layout, CanonicalForm) {
  auto str = [](const char *text) {
    std::string error;
    std::optional<Layout> l = Layout::parse(text, &error);
    EXPECT_TRUE(l) << text << ": " << error;
    return l ? l->toString() : error;
  };
  EXPECT_EQ(str("spatial(2,1).spatial(2,1)"), "spatial(4,1)");
  EXPECT_EQ(str("local(2,2).local(2,2)"), "local(2,2).local(2,2)");
  EXPECT_EQ(str("local(1,2).local(2,1)"), "column_local(2,2)");
  EXPECT_EQ(str("local(1,4)"), "local(1,4)");
  EXPECT_EQ(str("column_spatial(1,4)"), "spatial(1,4)");
  EXPECT_EQ(str("local(1,1).local(1,1)"), "local(1,1)");
  EXPECT_EQ(str("replicate(2).replicate(3)"), "replicate(6)");
  EXPECT_EQ(str("replicate(2).local(1,1).replicate(2)"), "local(1,1).replicate(4)");
  EXPECT_EQ(str("spatial(4,8).replicate(2).local(2,2)"), "spatial(4,8).replicate(2).local(2,2)");
  EXPECT_EQ(str("replicate(1).spatial(4, 8)"), "spatial(4,8)");
  // Commuting primitives: spatial-list entries as early as possible, longer first.
  EXPECT_EQ(str("local(1,2).spatial(2,1)"), "spatial(2,1).local(1,2)");
  EXPECT_EQ(str("spatial(1,2).local(2,1).spatial(1,2)"), "spatial(1,4).local(2,1)");
  EXPECT_EQ(str("local(2,2).replicate(2)"), "replicate(2).local(2,2)");
  // A layout that no composition gives prints (and parses) in general form.
  std::string error;
  std::optional<Layout> g = Layout::fromModes({4, 4}, {2, 2, 2, 2}, {1, 2}, {3, 0}, &error);
  ASSERT_TRUE(g) << error;
  EXPECT_EQ(g->toString(), "layout<shape=[4,4], modes=[2,2,2,2], spatial=[1,2], local=[3,0]>");
  EXPECT_EQ(Layout::parse(g->toString(), &error), g);
  // ... and may be a term of a composition.
  std::optional<Layout> gc = Layout::parse(g->toString() + ".local(2,1)", &error);
  ASSERT_TRUE(gc) << error;
  EXPECT_EQ(gc, g->compose(Layout::local({2, 1})));
  // fromModes normalizes: size-1 modes vanish, mergeable modes merge.
  EXPECT_EQ(Layout::fromModes({8}, {2, 1, 4}, {0, 2}, {1}, &error), Layout::spatial({8}));
  EXPECT_EQ(Layout::fromModes({1, 8}, {1, 8}, {-1}, {0, 1}, &error), Layout::local({1, 8}));
}

TEST(Layout, Accessors) {
  Layout l = *Layout::parse("local(2,1).spatial(8,4).replicate(2).local(1,2)", nullptr);
  EXPECT_EQ(l.shape(), (std::vector<int64_t>{16, 8}));
  EXPECT_EQ(l.rank(), 2);
  EXPECT_EQ(l.numElements(), 128);
  EXPECT_EQ(l.numThreads(), 64);
  EXPECT_EQ(l.localSize(), 4);
  EXPECT_TRUE(l.isReplicated());
  EXPECT_EQ(l.modeShape(), (std::vector<int64_t>{2, 8, 4, 2}));
  EXPECT_EQ(l.modeDims(), (std::vector<int>{0, 0, 1, 1}));
  EXPECT_EQ(l.spatialModes(), (std::vector<int64_t>{1, 2, -2}));
  EXPECT_EQ(l.localModes(), (std::vector<int64_t>{0, 3}));
  int64_t x[2] = {9, 5}; // row 9 = 1*8 + 1, col 5 = 2*2 + 1
  EXPECT_EQ(l.slotOf(x), 1 * 2 + 1);
  EXPECT_EQ(l.threadOf(x), (1 * 4 + 2) * 2);
  EXPECT_EQ(l.threadsOf(x), (std::vector<int64_t>{12, 13}));
  EXPECT_EQ(l.indexOf(13, 3), (std::vector<int64_t>{9, 5}));
}

TEST(Layout, FromModesErrors) {
  struct Case {
    std::vector<int64_t> shape, modes, spatial, local;
    const char *needle;
  } cases[] = {
      {{4}, {2, 2}, {0}, {}, "mode 1 appears 0 times"},
      {{4}, {2, 2}, {0, 1}, {1}, "mode 1 appears 2 times"},
      {{4}, {2}, {0}, {}, "do not cover dim 0"},
      {{4}, {2, 2, 2}, {0, 1, 2}, {}, "more elements than shape"},
      {{6}, {4}, {0}, {}, "does not divide"},
      {{0}, {}, {}, {}, "not positive"},
      {{4}, {4}, {}, {-1}, "local entry -1"},
      {{4}, {4}, {3}, {}, "spatial entry 3"},
      {{4}, {0, 4}, {1}, {}, "mode sizes must be positive"},
  };
  for (const Case &c : cases) {
    std::string error;
    EXPECT_FALSE(Layout::fromModes(c.shape, c.modes, c.spatial, c.local, &error)) << c.needle;
    EXPECT_NE(error.find(c.needle), std::string::npos) << error;
    EXPECT_FALSE(Layout::fromModes(c.shape, c.modes, c.spatial, c.local, nullptr));
  }
}

TEST(Layout, ParseErrors) {
  struct Case {
    const char *text, *needle;
  } cases[] = {
      {"", "column 1: expected a layout primitive"},
      {"local", "column 6: expected '('"},
      {"local(", "column 7: expected a positive integer, found end of input"},
      {"local(2,", "column 9: expected a positive integer"},
      {"local(2 2)", "column 9: expected ')'"},
      {"local(0)", "column 7: expected a positive integer, found 0"},
      {"local(-2)", "column 7: expected a positive integer, found '-'"},
      {"spatial(2).", "column 12: expected a layout primitive"},
      {"foo(2)", "column 1: expected a layout primitive"},
      {"local(2,2).spatial(2)", "column 12: cannot compose a rank-2 layout with a rank-1"},
      {"replicate()", "column 1: replicate takes exactly one argument"},
      {"replicate(2,2)", "column 1: replicate takes exactly one argument"},
      {"local(2) x", "column 10: expected '.' or end of input"},
      {"local(99999999999999999999)", "column 7: number too large"},
      {"local(1048576,1048576,1048576)", "column 1: the shape is too large"},
      {"layout<shape=[4], modes=[2], spatial=[0], local=[]>", "column 7: inconsistent layout"},
      {"layout<shape=[4] modes=[4], spatial=[0], local=[]>", "column 18: expected ','"},
      {"layout<shape=[4], mode=[4], spatial=[0], local=[]>", "column 19: expected 'modes'"},
      {"layout(4)", "column 7: expected '<'"},
  };
  for (const Case &c : cases) {
    std::string error;
    EXPECT_FALSE(Layout::parse(c.text, &error)) << c.text;
    EXPECT_NE(error.find(c.needle), std::string::npos) << c.text << " -> " << error;
    EXPECT_FALSE(Layout::parse(c.text, nullptr)) << c.text;
  }
  // Spaces are allowed around every token.
  EXPECT_EQ(Layout::parse(" local ( 2 , 1 ) . spatial(8,4) ", nullptr),
            Layout::parse("local(2,1).spatial(8,4)", nullptr));
}

TEST(Layout, CompositionRankMismatch) {
  std::string error;
  EXPECT_FALSE(Layout::local({2, 2}).compose(Layout::local({2}), &error));
  EXPECT_NE(error.find("rank-2"), std::string::npos) << error;
  EXPECT_EQ(Layout::local({2, 2}).compose(Layout::replicate(2)),
            Layout::parse("local(2,2).replicate(2)", nullptr));
  EXPECT_EQ(Layout::replicate(2).compose(Layout::replicate(2))->rank(), 0);
  Layout big = Layout::local({int64_t(1) << 20, int64_t(1) << 20});
  EXPECT_FALSE(big.compose(Layout::spatial({1 << 10, 1 << 10}), &error));
  EXPECT_NE(error.find("too many elements"), std::string::npos) << error;
}

// Out-of-range arguments leave the layout alone instead of failing.
TEST(Layout, DerivedOperationsRejectBadArguments) {
  Layout l = *Layout::parse("spatial(4,8).local(2,2)", nullptr);
  EXPECT_EQ(l.reduce(2), l);
  EXPECT_EQ(l.reduce(-1), l);
  EXPECT_EQ(l.permute({0}), l);
  EXPECT_EQ(l.permute({1, 1}), l);
  EXPECT_EQ(l.permute({1, 0}), Layout::parse("column_spatial(8,4).column_local(2,2)", nullptr));
  EXPECT_EQ(l.reduce(1), Layout::parse("spatial(4,1).replicate(8).local(2,1)", nullptr));
  EXPECT_EQ(l.reshape({4, 2, 16}), Layout::parse("spatial(4,1,8).local(1,2,2)", nullptr));
  EXPECT_EQ(l.reshape({128}), Layout::fromModes({128}, {4, 2, 8, 2}, {0, 2}, {1, 3}, nullptr));
  // 6 = 3 (spatial) x 2 (local) cannot be cut as 2 x 3.
  Layout m = *Layout::parse("spatial(3,1).local(2,1)", nullptr);
  EXPECT_FALSE(m.reshape({2, 3}));
  EXPECT_EQ(m.reshape({3, 2}), Layout::parse("spatial(3,1).local(1,2)", nullptr));
  EXPECT_FALSE(l.reshape({0, 128}));
}

} // namespace
} // namespace tessel::vm
