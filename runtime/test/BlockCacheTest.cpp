// The CUDA backend's cache of device memory blocks (cuda/BlockCache.h): size classes,
// reuse within a class, the limit and what it drops. No GPU needed.
#include "cuda/BlockCache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace tessel::cuda {
namespace {

TEST(BlockCache, SizeClasses) {
  EXPECT_EQ(BlockCache::sizeClass(0), 512u);
  EXPECT_EQ(BlockCache::sizeClass(1), 512u);
  EXPECT_EQ(BlockCache::sizeClass(512), 512u);
  EXPECT_EQ(BlockCache::sizeClass(513), 1024u);
  EXPECT_EQ(BlockCache::sizeClass(1 << 20), uint64_t(1) << 20);
  // Above 1 MiB: eighths of the power of two below.
  EXPECT_EQ(BlockCache::sizeClass((1 << 20) + 1), (uint64_t(1) << 20) + (1 << 17));
  EXPECT_EQ(BlockCache::sizeClass(uint64_t(3) << 30), uint64_t(3) << 30);
  EXPECT_EQ(BlockCache::sizeClass((uint64_t(3) << 30) + 1), (uint64_t(3) << 30) + (uint64_t(1) << 28));
  for (uint64_t bytes : {uint64_t(700), uint64_t(5) << 20, (uint64_t(9) << 30) + 12345}) {
    uint64_t c = BlockCache::sizeClass(bytes);
    EXPECT_GE(c, bytes);
    EXPECT_LE(c - bytes, bytes / 8 + 512) << bytes;
    EXPECT_EQ(BlockCache::sizeClass(c), c) << bytes; // a class is its own class
  }
}

TEST(BlockCache, ReusesBlocksOfTheSameClassMostRecentFirst) {
  BlockCache cache(1 << 20);
  EXPECT_FALSE(cache.take(1000).has_value());
  EXPECT_TRUE(cache.give(0x1000, 1000).empty());
  EXPECT_TRUE(cache.give(0x2000, 1024).empty()); // same class as 1000
  EXPECT_TRUE(cache.give(0x3000, 4096).empty());
  EXPECT_EQ(cache.heldBytes(), 1024u + 1024u + 4096u);
  EXPECT_FALSE(cache.take(2000).has_value()); // class 2048: none
  EXPECT_EQ(cache.take(600), 0x2000u);
  EXPECT_EQ(cache.take(1024), 0x1000u);
  EXPECT_FALSE(cache.take(1000).has_value());
  EXPECT_EQ(cache.take(4000), 0x3000u);
  EXPECT_EQ(cache.heldBytes(), 0u);
}

TEST(BlockCache, DropsTheOldestBlocksOverTheLimit) {
  BlockCache cache(8192);
  EXPECT_TRUE(cache.give(0xA, 4096).empty());
  EXPECT_TRUE(cache.give(0xB, 2048).empty());
  EXPECT_TRUE(cache.give(0xC, 2048).empty());
  EXPECT_EQ(cache.heldBytes(), 8192u);
  // 1024 more: the oldest (0xA, 4096) goes.
  EXPECT_EQ(cache.give(0xD, 1024), std::vector<uint64_t>{0xA});
  EXPECT_EQ(cache.heldBytes(), 2048u + 2048u + 1024u);
  // A block larger than the whole limit is not kept.
  EXPECT_EQ(cache.give(0xE, 10000), std::vector<uint64_t>{0xE});
  std::vector<uint64_t> all = cache.drain();
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<uint64_t>{0xB, 0xC, 0xD}));
  EXPECT_EQ(cache.heldBytes(), 0u);
  EXPECT_FALSE(cache.take(2048).has_value());
}

} // namespace
} // namespace tessel::cuda
