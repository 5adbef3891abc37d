// The tensor-core fragment layouts, element by element against the PTX ISA, the ldmatrix
// layouts, instruction selection by divide, and the shared-memory swizzle.
#include "vm/Fragments.h"
#include "vm/Layout.h"

#include <gtest/gtest.h>

#include <array>
#include <set>

namespace tessel::vm {

// GoogleTest prints layouts in their text form.
inline void PrintTo(const Layout &l, std::ostream *os) { *os << l.toString(); }

namespace {

Layout parseOrDie(const char *text) {
  std::string error;
  std::optional<Layout> l = Layout::parse(text, &error);
  EXPECT_TRUE(l) << text << ": " << error;
  return l.value_or(Layout());
}

using Position = std::array<int64_t, 2>;
using Fragment = Position (*)(int64_t lane, int64_t reg);

// mma.m16n8k16 with .f16/.bf16 inputs and .f32 accumulators (PTX ISA, "Matrix Fragments for
// mma.m16n8k16 with floating point type"): groupID = lane >> 2, threadID_in_group = lane % 4.
// A (16x16, a0..a7): row = groupID (+8 for a2,a3,a6,a7), col = tig*2 + (i & 1) (+8 for a4..a7).
Position fragmentA(int64_t lane, int64_t i) {
  int64_t group = lane >> 2, tig = lane % 4;
  int64_t row = group + ((i == 2 || i == 3 || i == 6 || i == 7) ? 8 : 0);
  int64_t col = tig * 2 + (i & 1) + (i >= 4 ? 8 : 0);
  return {row, col};
}
// B (16x8 as k x n, b0..b3): row = tig*2 + (i & 1) (+8 for b2,b3), col = groupID.
Position fragmentB(int64_t lane, int64_t i) {
  int64_t group = lane >> 2, tig = lane % 4;
  return {tig * 2 + (i & 1) + (i >= 2 ? 8 : 0), group};
}
// C/D (16x8, c0..c3): row = groupID (+8 for c2,c3), col = tig*2 + (i & 1).
Position fragmentC(int64_t lane, int64_t i) {
  int64_t group = lane >> 2, tig = lane % 4;
  return {group + (i >= 2 ? 8 : 0), tig * 2 + (i & 1)};
}

// mma.m16n8k32 with .s8/.u8 inputs (PTX ISA, "Matrix Fragments for mma.m16n8k32"):
// A (16x32, a0..a15): row = groupID (+8 for a4..a7 and a12..a15),
// col = tig*4 + (i & 3) (+16 for a8..a15).
Position fragmentA8(int64_t lane, int64_t i) {
  int64_t group = lane >> 2, tig = lane % 4;
  int64_t row = group + (((i >= 4 && i < 8) || i >= 12) ? 8 : 0);
  int64_t col = tig * 4 + (i & 3) + (i >= 8 ? 16 : 0);
  return {row, col};
}
// B (32x8 as k x n, b0..b7): row = tig*4 + (i & 3) (+16 for b4..b7), col = groupID.
Position fragmentB8(int64_t lane, int64_t i) {
  int64_t group = lane >> 2, tig = lane % 4;
  return {tig * 4 + (i & 3) + (i >= 4 ? 16 : 0), group};
}
// mma.sp::ordered_metadata m16n8k32 with .f16/.bf16 inputs (PTX ISA, "Matrix Fragments for
// sparse mma.m16n8k32 with floating point type"): B (32x8 as k x n, b0..b7):
// row = tig*2 + (i & 1) + 8 * (i >> 1), col = groupID.
Position fragmentSpB(int64_t lane, int64_t i) {
  int64_t group = lane >> 2, tig = lane % 4;
  return {tig * 2 + (i & 1) + 8 * (i >> 1), group};
}

// The layout holds the fragment exactly: 32 threads, `regs` slots in register order, each
// (lane, register) at the PTX position, and the inverse mapping agrees.
void expectFragment(const Layout &l, Fragment f, int64_t rows, int64_t cols, int64_t regs) {
  ASSERT_EQ(l.shape(), (std::vector<int64_t>{rows, cols}));
  ASSERT_EQ(l.numThreads(), 32);
  ASSERT_EQ(l.localSize(), regs);
  ASSERT_FALSE(l.isReplicated());
  std::set<Position> seen;
  for (int64_t lane = 0; lane < 32; ++lane) {
    for (int64_t i = 0; i < regs; ++i) {
      Position p = f(lane, i);
      EXPECT_EQ(l.indexOf(lane, i), (std::vector<int64_t>{p[0], p[1]}))
          << l.toString() << " lane " << lane << " reg " << i;
      EXPECT_EQ(l.threadOf(p.data()), lane) << l.toString() << " at " << p[0] << "," << p[1];
      EXPECT_EQ(l.slotOf(p.data()), i) << l.toString() << " at " << p[0] << "," << p[1];
      seen.insert(p);
    }
  }
  EXPECT_EQ(int64_t(seen.size()), rows * cols); // the PTX table covers the tile once
}

// The expressions of REFERENCE.md are the PTX fragments, and print back the same.
TEST(LayoutMma, M16N8K16FragmentA) {
  Layout a = parseOrDie("column_local(2,2).spatial(8,4).local(1,2)");
  expectFragment(a, fragmentA, 16, 16, 8);
  EXPECT_EQ(a.toString(), "column_local(2,2).spatial(8,4).local(1,2)");
}

TEST(LayoutMma, M16N8K16FragmentB) {
  Layout b = parseOrDie("local(2,1).column_spatial(4,8).local(2,1)");
  expectFragment(b, fragmentB, 16, 8, 4);
  EXPECT_EQ(b.toString(), "local(2,1).column_spatial(4,8).local(2,1)");
}

TEST(LayoutMma, M16N8K16FragmentC) {
  Layout c = parseOrDie("local(2,1).spatial(8,4).local(1,2)");
  expectFragment(c, fragmentC, 16, 8, 4);
  EXPECT_EQ(c.toString(), "local(2,1).spatial(8,4).local(1,2)");
}

TEST(LayoutMma, M16N8K32Int8Fragments) {
  expectFragment(mmaA8Layout(), fragmentA8, 16, 32, 16);
  expectFragment(mmaB8Layout(), fragmentB8, 32, 8, 8);
}

// Sparse m16n8k32 (f16/bf16): the kept values of A are a dense m16n8k16 A fragment, B is
// the sparse table above, and the metadata register of lane 4g + 2r + h (sparsity selector
// 0 reads lanes with r = 0, selector 1 those with r = 1) holds, LSB first, the four nibbles
// 4h..4h+3 of row g and then of row g + 8 (PTX ISA, "Sparse matrix storage": metadata for
// m16n8k32 .f16).
TEST(LayoutMma, M16N8K32SparseFragments) {
  expectFragment(mmaSpBLayout(), fragmentSpB, 32, 8, 8);
  const Layout &meta = mmaSpMetaLayout();
  ASSERT_EQ(meta.shape(), (std::vector<int64_t>{16, 8}));
  ASSERT_EQ(meta.numThreads(), 32);
  ASSERT_EQ(meta.localSize(), 8); // eight 4-bit nibbles: one 32-bit register
  ASSERT_EQ(meta.replication(), 2);
  for (int64_t lane = 0; lane < 32; ++lane) {
    int64_t group = lane >> 2, half = lane & 1;
    for (int64_t s = 0; s < 8; ++s) {
      Position p = {group + (s >= 4 ? 8 : 0), 4 * half + (s & 3)};
      EXPECT_EQ(meta.indexOf(lane, s), (std::vector<int64_t>{p[0], p[1]})) << lane << " " << s;
      EXPECT_EQ(meta.slotOf(p.data()), s);
      EXPECT_EQ(meta.threadsOf(p.data()),
                (std::vector<int64_t>{4 * group + half, 4 * group + 2 + half}));
    }
  }
  // Two m16n8k16 B fragments along K make the sparse B (b0..b3 then b4..b7).
  EXPECT_EQ(*parseOrDie("local(2,1)").compose(mmaBLayout()), mmaSpBLayout());
}

// The fragments are sensitive to every part of the expression: near misses fail.
TEST(LayoutMma, NearMissesAreDifferentLayouts) {
  Layout a = parseOrDie("column_local(2,2).spatial(8,4).local(1,2)");
  for (const char *wrong :
       {"local(2,2).spatial(8,4).local(1,2)", "column_local(2,2).column_spatial(8,4).local(1,2)",
        "column_local(2,2).spatial(8,4).local(2,1).local(1,1)",
        "column_local(2,2).local(1,2).spatial(8,4)"}) {
    std::optional<Layout> l = Layout::parse(wrong, nullptr);
    ASSERT_TRUE(l) << wrong;
    EXPECT_NE(*l, a) << wrong;
  }
  Layout c = parseOrDie("local(2,1).spatial(8,4).local(1,2)");
  EXPECT_NE(c, parseOrDie("local(2,1).column_spatial(8,4).local(1,2)"));
  EXPECT_NE(c, parseOrDie("spatial(8,4).local(2,2)"));
}

// ldmatrix.sync.aligned.m8n8.x4.b16: lanes 8j..8j+7 give the row addresses of matrix j,
// and lane t receives in register j the two halves (row t/4, cols 2*(t%4) + {0, 1}) of
// matrix j. For an A operand (16x16, row-major in shared memory) lane l addresses row
// l % 16, column block l / 16, so matrix j covers rows 8*(j%2).., columns 8*(j/2)...
TEST(LayoutMma, LdmatrixX4IsFragmentA) {
  Position (*ldmatrix)(int64_t, int64_t) = [](int64_t lane, int64_t slot) -> Position {
    int64_t j = slot / 2, e = slot % 2; // register j, half e (slot order = register order)
    int64_t originRow = 8 * (j % 2), originCol = 8 * (j / 2);
    return {originRow + lane / 4, originCol + 2 * (lane % 4) + e};
  };
  // The address pattern: lane l's row address is row l%16, column block l/16, and it
  // is the row that matrix l/8 places at row l%8.
  for (int64_t l = 0; l < 32; ++l) {
    int64_t j = l / 8;
    EXPECT_EQ(8 * (j % 2) + l % 8, l % 16);
    EXPECT_EQ(8 * (j / 2), 8 * (l / 16));
  }
  Layout a = parseOrDie("column_local(2,2).spatial(8,4).local(1,2)");
  expectFragment(a, ldmatrix, 16, 16, 8);
  // As a composition: the four matrices in register order (matrix j = 2*colBlock +
  // rowBlock, column-major over the 2x2 blocks) of one 8x8 b16 matrix per warp.
  Layout oneMatrix = parseOrDie("spatial(8,4).local(1,2)");
  EXPECT_EQ(Layout::columnLocal({2, 2}).compose(oneMatrix), a);
  EXPECT_EQ(a.divide(oneMatrix), Layout::columnLocal({2, 2}));
}

// ldmatrix .x2 .trans of a 16x8 (k x n) tile stored with n contiguous: lane t receives in
// register j the halves (rows 8j + 2*(t%4) + {0, 1}, column t/4) -- the B fragment.
TEST(LayoutMma, LdmatrixX2TransIsFragmentB) {
  Position (*ldmatrixTrans)(int64_t, int64_t) = [](int64_t lane, int64_t slot) -> Position {
    int64_t j = slot / 2, e = slot % 2;
    return {8 * j + 2 * (lane % 4) + e, lane / 4};
  };
  Layout b = parseOrDie("local(2,1).column_spatial(4,8).local(2,1)");
  expectFragment(b, ldmatrixTrans, 16, 8, 4);
  // As a composition: two matrices along k (register order) of one transposed 8x8 matrix.
  Layout oneMatrixTrans = parseOrDie("column_spatial(4,8).local(2,1)");
  EXPECT_EQ(Layout::local({2, 1}).compose(oneMatrixTrans), b);
  EXPECT_EQ(b.divide(oneMatrixTrans), Layout::local({2, 1}));
  EXPECT_EQ(oneMatrixTrans, parseOrDie("spatial(8,4).local(1,2)").permute({1, 0}));
}

// Instruction selection: a warp-level tile that divides by a fragment gets mma
// instructions; the quotient says how the fragments are spread.
TEST(LayoutMma, DivideSelectsFragments) {
  Layout c = parseOrDie("local(2,1).spatial(8,4).local(1,2)");
  Layout a = parseOrDie("column_local(2,2).spatial(8,4).local(1,2)");
  Layout b = parseOrDie("local(2,1).column_spatial(4,8).local(2,1)");
  // 4 warps (2x2), each with 2x4 accumulator fragments: a 64x64 tile.
  Layout outer = parseOrDie("spatial(2,2).local(2,4)");
  Layout tile = *outer.compose(c);
  EXPECT_EQ(tile.shape(), (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(tile.numThreads(), 128);
  EXPECT_EQ(tile.divide(c), outer);
  EXPECT_EQ(tile.toString(), "spatial(2,2).local(2,4).local(2,1).spatial(8,4).local(1,2)");
  // Two accumulator fragments side by side along n are an A fragment (the register reuse
  // of FlashAttention-2's P in P*V): the tile divides by A too, with half the fragments.
  EXPECT_EQ(tile.divide(a), parseOrDie("spatial(2,2).local(2,2)"));
  EXPECT_EQ(parseOrDie("local(1,2)").compose(c)->shape(), a.shape());
  EXPECT_EQ(parseOrDie("local(1,2)").compose(c), a);
  EXPECT_FALSE(parseOrDie("spatial(2,2).local(2,3)").compose(c)->divide(a)); // 3 is odd
  EXPECT_FALSE(tile.divide(b));
  EXPECT_FALSE(tile.divide(c.permute({1, 0})));
  // The same shape distributed element-per-thread does not divide.
  EXPECT_FALSE(parseOrDie("spatial(8,16).local(8,4)").divide(c));
  // A replicated operand tile (the A operand shared by two warps along n).
  Layout shared = *parseOrDie("spatial(2,1).replicate(2).local(1,2)").compose(a);
  EXPECT_EQ(shared.divide(a), parseOrDie("spatial(2,1).replicate(2).local(1,2)"));
  EXPECT_EQ(shared.numThreads(), 128);
  EXPECT_EQ(shared.replication(), 2);
  // Reducing the accumulators over n keeps the rows with their threads, replicated over
  // the four lanes of a group.
  EXPECT_EQ(c.reduce(1), parseOrDie("local(2,1).spatial(8,1).replicate(4)"));
}

// The f32 accumulator of a thread holds pairs of adjacent columns: a reshape that splits
// columns into pairs keeps them local.
TEST(LayoutMma, ReshapeAndPermuteFragments) {
  Layout c = parseOrDie("local(2,1).spatial(8,4).local(1,2)");
  EXPECT_EQ(c.reshape({16, 4, 2}), parseOrDie("local(2,1,1).spatial(8,4,1).local(1,1,2)"));
  EXPECT_EQ(c.reshape({2, 8, 8}), parseOrDie("local(2,1,1).spatial(1,8,4).local(1,1,2)"));
  // The transposed B fragment is the C fragment's shape with columns as rows.
  Layout b = parseOrDie("local(2,1).column_spatial(4,8).local(2,1)");
  EXPECT_EQ(b.permute({1, 0}), parseOrDie("local(1,2).spatial(8,4).local(1,2)"));
}

TEST(Swizzle, Apply) {
  Swizzle s{3, 3, 3};
  EXPECT_EQ(s.apply(0), 0);
  EXPECT_EQ(s.apply(7), 7);       // row 0 is unchanged
  EXPECT_EQ(s.apply(64), 64 ^ 8); // row 1: vector 0 -> vector 1
  EXPECT_EQ(s.apply(64 * 5 + 8 * 2 + 3), 64 * 5 + 8 * (2 ^ 5) + 3);
  EXPECT_EQ(s.apply(512 + 64), 512 + 64 + 8); // only bits 6..8 select
  EXPECT_TRUE(Swizzle{}.isIdentity());
  EXPECT_EQ(Swizzle{}.apply(12345), 12345);
}

// A bijection on every aligned block of 2^(bits + base + shift) offsets.
TEST(Swizzle, BijectionOnAlignedBlocks) {
  for (int bits = 0; bits <= 3; ++bits) {
    for (int base = 0; base <= 4; ++base) {
      for (int shift = bits; shift <= 4; ++shift) {
        Swizzle s{bits, base, shift};
        int64_t block = int64_t(1) << (bits + base + shift);
        for (int64_t start : {int64_t(0), block, 5 * block}) {
          std::vector<bool> hit(size_t(block), false);
          for (int64_t o = start; o < start + block; ++o) {
            int64_t t = s.apply(o);
            ASSERT_GE(t, start) << s.toString();
            ASSERT_LT(t, start + block) << s.toString();
            ASSERT_FALSE(hit[size_t(t - start)]) << s.toString() << " at " << o;
            hit[size_t(t - start)] = true;
          }
        }
      }
    }
  }
}

// f16, 64-element (128-byte) rows, swizzle<3, 3, 3>: ldmatrix reads one 16-byte vector
// from each of 8 consecutive rows; those 8 vectors must sit in 8 different 16-byte bank
// groups (no bank conflict), for every vector column and every 8-row block. Without the
// swizzle they all sit in one.
TEST(Swizzle, LdmatrixRowsAreConflictFree) {
  Swizzle s{3, 3, 3};
  for (int64_t rowBlock = 0; rowBlock < 4; ++rowBlock) {
    for (int64_t vec = 0; vec < 8; ++vec) {
      std::set<int64_t> groups, unswizzled;
      for (int64_t r = 0; r < 8; ++r) {
        int64_t offset = (rowBlock * 8 + r) * 64 + vec * 8; // in halves
        int64_t swizzled = s.apply(offset);
        EXPECT_EQ(swizzled % 8, 0); // a 16-byte vector stays whole and aligned
        groups.insert(swizzled * 2 / 16 % 8);
        unswizzled.insert(offset * 2 / 16 % 8);
      }
      EXPECT_EQ(groups.size(), 8u) << "rows " << rowBlock * 8 << ".., vector " << vec;
      EXPECT_EQ(unswizzled.size(), 1u);
    }
  }
}

TEST(Swizzle, Text) {
  Swizzle s{3, 3, 3};
  EXPECT_EQ(s.toString(), "swizzle<3, 3, 3>");
  std::string error;
  EXPECT_EQ(Swizzle::parse("swizzle<3, 3, 3>", &error), s) << error;
  EXPECT_EQ(Swizzle::parse(" swizzle < 2,4,3 > ", &error), (Swizzle{2, 4, 3})) << error;
  EXPECT_EQ(Swizzle::parse("swizzle<0, 0, 0>", &error), Swizzle{}) << error;
  struct Case {
    const char *text, *needle;
  } cases[] = {
      {"swizzle<3, 3>", "column 13: expected ','"},
      {"swizzle<3, 3, 2>", "column 1: a swizzle needs shift >= bits"},
      {"swizzle<a, 3, 3>", "column 9: expected the bits count"},
      {"swizzle<3, 3, 3", "expected '>'"},
      {"swizzle<3, 3, 3> x", "column 18: expected end of input"},
      {"swizzle<3, 31, 3>", "base must be at most 30"},
      {"swizzle<14, 14, 14>", "column 1: a swizzle's bits + base + shift must be at most 40"},
      {"swizle<3, 3, 3>", "column 1: expected 'swizzle'"},
      {"", "column 1: expected 'swizzle'"},
  };
  for (const Case &c : cases) {
    EXPECT_FALSE(Swizzle::parse(c.text, &error)) << c.text;
    EXPECT_NE(error.find(c.needle), std::string::npos) << c.text << " -> " << error;
  }
}

} // namespace
} // namespace tessel::vm
