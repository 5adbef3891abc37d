// The on-disk kernel cache (cuda/KernelCache.h) and its hash (cuda/Sha256.h): round trips,
// misses, damaged entries, racing writers, unusable directories. No GPU needed.
#include "cuda/KernelCache.h"
#include "cuda/Sha256.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tessel::cuda {
namespace {

//===----------------------------------------------------------------------===//
// SHA-256 (FIPS 180-4 test vectors)
//===----------------------------------------------------------------------===//

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(toHex(sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(toHex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(toHex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(toHex(sha256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                         "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  std::string million(1000000, 'a');
  EXPECT_EQ(toHex(sha256(million)),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, IncrementalEqualsOneShot) {
  std::string text;
  for (int i = 0; i < 300; ++i)
    text.push_back(char('a' + i % 26));
  // Every message length up to 300 (all padding cases) and every split point of some.
  for (size_t length = 0; length <= text.size(); ++length) {
    std::string message = text.substr(0, length);
    Sha256Digest expected = sha256(message);
    for (size_t split : {size_t(0), length / 3, length / 2, length}) {
      Sha256 hash;
      hash.update(message.substr(0, split));
      hash.update(message.substr(split));
      ASSERT_EQ(hash.finish(), expected) << "length " << length << " split " << split;
    }
  }
}

//===----------------------------------------------------------------------===//
// The cache
//===----------------------------------------------------------------------===//

class KernelCacheTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/tessel-kernel-cache-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override {
    std::string command = "rm -rf '" + root_ + "'";
    ASSERT_EQ(std::system(command.c_str()), 0);
  }

  static KernelCacheKey key(std::string ptx = ".version 7.8\n.target sm_90a\n") {
    return KernelCacheKey{std::move(ptx), "sm_90a", 13000, ""};
  }
  static std::vector<uint8_t> payload(size_t size, uint8_t seed) {
    std::vector<uint8_t> bytes(size);
    for (size_t i = 0; i < size; ++i)
      bytes[i] = uint8_t(seed + 31 * i);
    return bytes;
  }
  static std::vector<uint8_t> readFile(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  }
  static void writeFile(const std::string &path, const std::vector<uint8_t> &bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
  }
  static bool exists(const std::string &path) { return access(path.c_str(), F_OK) == 0; }
  // Files in the entries directory (entries and temporaries).
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    if (DIR *dir = opendir((root_ + "/cuda-kernels").c_str())) {
      while (struct dirent *e = readdir(dir))
        if (e->d_name[0] != '.')
          names.push_back(e->d_name);
      closedir(dir);
    }
    return names;
  }

  std::string root_;
};

TEST_F(KernelCacheTest, RoundTripAcrossInstances) {
  std::vector<uint8_t> cubin = payload(5000, 7);
  {
    KernelCache cache(root_ + "/nested/dirs");
    ASSERT_TRUE(cache.enabled()) << cache.disabledReason();
    EXPECT_FALSE(cache.lookup(key()));
    EXPECT_TRUE(cache.store(key(), cubin.data(), cubin.size()));
  }
  KernelCache cache(root_ + "/nested/dirs/"); // a trailing slash names the same cache
  std::optional<std::vector<uint8_t>> found = cache.lookup(key());
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, cubin);
  EXPECT_EQ(cache.stats().hits, 1u);
  struct stat info;
  ASSERT_EQ(stat((root_ + "/nested/dirs/cuda-kernels").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u) << "the cache directory must be private";
}

TEST_F(KernelCacheTest, EmptyPayloadRoundTrips) {
  KernelCache cache(root_);
  EXPECT_TRUE(cache.store(key(), nullptr, 0));
  std::optional<std::vector<uint8_t>> found = cache.lookup(key());
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->empty());
}

TEST_F(KernelCacheTest, EveryKeyFieldMatters) {
  KernelCache cache(root_);
  std::vector<uint8_t> cubin = payload(100, 1);
  ASSERT_TRUE(cache.store(key(), cubin.data(), cubin.size()));
  KernelCacheKey other = key();
  other.ptx += " ";
  EXPECT_FALSE(cache.lookup(other));
  other = key();
  other.arch = "sm_90";
  EXPECT_FALSE(cache.lookup(other));
  other = key();
  other.driverVersion = 13010;
  EXPECT_FALSE(cache.lookup(other));
  other = key();
  other.options = "-O3";
  EXPECT_FALSE(cache.lookup(other));
  EXPECT_TRUE(cache.lookup(key()));
  // Length-prefixed fields: moving a byte from one field to the next is another key.
  KernelCacheKey a{"ab", "c", 1, ""}, b{"a", "bc", 1, ""};
  EXPECT_NE(a.serialize(), b.serialize());
  EXPECT_NE(cache.entryPath(a), cache.entryPath(b));
}

TEST_F(KernelCacheTest, TruncatedEntriesAreDeletedAndRebuilt) {
  KernelCache cache(root_);
  std::vector<uint8_t> cubin = payload(3000, 3);
  ASSERT_TRUE(cache.store(key(), cubin.data(), cubin.size()));
  std::string path = cache.entryPath(key());
  std::vector<uint8_t> good = readFile(path);
  size_t keyBytes = key().serialize().size();
  for (size_t length : {size_t(0), size_t(7), size_t(40), size_t(64), size_t(64 + keyBytes / 2),
                        size_t(64 + keyBytes), good.size() - 1000, good.size() - 1}) {
    writeFile(path, std::vector<uint8_t>(good.begin(), good.begin() + long(length)));
    EXPECT_FALSE(cache.lookup(key())) << "truncated to " << length;
    EXPECT_FALSE(exists(path)) << "a damaged entry is deleted (truncated to " << length << ")";
  }
  // Extra bytes at the end are damage too.
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  writeFile(path, longer);
  EXPECT_FALSE(cache.lookup(key()));
  EXPECT_FALSE(exists(path));
  // And the cache is rebuilt by the next store.
  ASSERT_TRUE(cache.store(key(), cubin.data(), cubin.size()));
  EXPECT_EQ(cache.lookup(key()), cubin);
  EXPECT_EQ(cache.stats().damaged, 9u);
}

TEST_F(KernelCacheTest, FlippedBytesAnywhereAreDetected) {
  KernelCache cache(root_);
  std::vector<uint8_t> cubin = payload(700, 9);
  ASSERT_TRUE(cache.store(key(), cubin.data(), cubin.size()));
  std::string path = cache.entryPath(key());
  std::vector<uint8_t> good = readFile(path);
  // Every byte of the header, and a sample of the key and the payload.
  std::vector<size_t> positions;
  for (size_t i = 0; i < 64; ++i)
    positions.push_back(i);
  for (size_t i = 64; i < good.size(); i += 37)
    positions.push_back(i);
  positions.push_back(good.size() - 1);
  for (size_t position : positions) {
    std::vector<uint8_t> bad = good;
    bad[position] ^= 0x10;
    writeFile(path, bad);
    EXPECT_FALSE(cache.lookup(key())) << "byte " << position << " flipped";
    EXPECT_FALSE(exists(path)) << "byte " << position;
  }
  writeFile(path, good);
  EXPECT_EQ(cache.lookup(key()), cubin);
}

TEST_F(KernelCacheTest, DecodeRejectsOverflowingLengths) {
  std::vector<uint8_t> cubin = payload(10, 0);
  std::vector<uint8_t> entry = encodeCacheEntry(key(), cubin.data(), cubin.size());
  ASSERT_EQ(decodeCacheEntry(key(), entry).check, EntryCheck::kValid);
  for (int field : {16, 24}) {
    std::vector<uint8_t> bad = entry;
    for (int i = 0; i < 8; ++i)
      bad[size_t(field + i)] = 0xff; // 2^64 - 1
    EXPECT_EQ(decodeCacheEntry(key(), bad).check, EntryCheck::kDamaged) << field;
  }
}

TEST_F(KernelCacheTest, AnEntryOfAnotherKeyIsAMissNotAHit) {
  // What a hash collision would look like: an intact entry for key B at key A's path.
  KernelCache cache(root_);
  KernelCacheKey a = key("ptx A"), b = key("ptx B");
  std::vector<uint8_t> cubin = payload(64, 5);
  writeFile(cache.entryPath(a), encodeCacheEntry(b, cubin.data(), cubin.size()));
  EXPECT_FALSE(cache.lookup(a));
  EXPECT_EQ(decodeCacheEntry(a, readFile(cache.entryPath(a))).check, EntryCheck::kOtherKey);
  std::vector<uint8_t> mine = payload(64, 6);
  ASSERT_TRUE(cache.store(a, mine.data(), mine.size()));
  EXPECT_EQ(cache.lookup(a), mine);
}

TEST_F(KernelCacheTest, RacingWritersAndReadersSeeOnlyCompleteEntries) {
  // Two "processes" (independent cache objects) with several threads each store different
  // payloads under one key while others read: every hit must be one of the payloads,
  // whole; no temporary file may survive.
  KernelCache first(root_), second(root_);
  std::vector<std::vector<uint8_t>> payloads;
  for (int i = 0; i < 4; ++i)
    payloads.push_back(payload(20000 + 7919 * size_t(i), uint8_t(i)));
  std::atomic<bool> bad{false};
  std::atomic<int> hits{0}, writersLeft{4};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      KernelCache &cache = t % 2 ? second : first;
      for (int round = 0; round < 40; ++round)
        if (!cache.store(key(), payloads[size_t(t)].data(), payloads[size_t(t)].size()))
          bad = true;
      --writersLeft;
    });
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      KernelCache &cache = t % 2 ? first : second;
      // Read for as long as anyone writes (writers fsync: they are the slow ones).
      for (int round = 0; round < 80 || writersLeft > 0; ++round)
        if (std::optional<std::vector<uint8_t>> found = cache.lookup(key())) {
          ++hits;
          if (std::find(payloads.begin(), payloads.end(), *found) == payloads.end())
            bad = true;
        }
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_FALSE(bad);
  EXPECT_GT(hits.load(), 0);
  EXPECT_EQ(first.stats().damaged + second.stats().damaged, 0u);
  std::optional<std::vector<uint8_t>> last = first.lookup(key());
  ASSERT_TRUE(last);
  EXPECT_NE(std::find(payloads.begin(), payloads.end(), *last), payloads.end());
  EXPECT_EQ(files().size(), 1u) << "temporary files left behind";
}

TEST_F(KernelCacheTest, UnusableDirectoryDisablesTheCacheQuietly) {
  // A path below a regular file can never be created, not even by root.
  std::string file = root_ + "/not-a-directory";
  writeFile(file, {1, 2, 3});
  KernelCache cache(file + "/cache");
  EXPECT_FALSE(cache.enabled());
  EXPECT_NE(cache.disabledReason(), "");
  std::vector<uint8_t> cubin = payload(10, 1);
  EXPECT_FALSE(cache.store(key(), cubin.data(), cubin.size()));
  EXPECT_FALSE(cache.lookup(key()));
  EXPECT_EQ(cache.stats().storeFailures, 1u);
}

TEST_F(KernelCacheTest, ReadOnlyDirectoryDisablesTheCache) {
  if (geteuid() == 0)
    GTEST_SKIP() << "root can write to read-only directories";
  std::string dir = root_ + "/readonly";
  ASSERT_EQ(mkdir(dir.c_str(), 0500), 0);
  KernelCache cache(dir);
  EXPECT_FALSE(cache.enabled());
  chmod(dir.c_str(), 0700);
}

TEST_F(KernelCacheTest, StaleTemporariesAreRemovedOnOpen) {
  KernelCache cache(root_);
  std::string stale = root_ + "/cuda-kernels/abc.cubin.tmp.1.2.3";
  std::string fresh = root_ + "/cuda-kernels/def.cubin.tmp.4.5.6";
  writeFile(stale, {1});
  writeFile(fresh, {2});
  struct timespec old[2] = {{0, 0}, {0, 0}};
  old[0].tv_sec = old[1].tv_sec = time(nullptr) - 2 * 3600;
  ASSERT_EQ(utimensat(AT_FDCWD, stale.c_str(), old, 0), 0);
  KernelCache reopened(root_);
  EXPECT_FALSE(exists(stale));
  EXPECT_TRUE(exists(fresh)) << "a temporary of a live writer must stay";
}

TEST_F(KernelCacheTest, DefaultDirectoryFollowsTheEnvironment) {
  auto saved = [](const char *name) -> std::optional<std::string> {
    const char *v = std::getenv(name);
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  std::optional<std::string> tessel = saved("TESSEL_CACHE_DIR"), xdg = saved("XDG_CACHE_HOME"),
                             home = saved("HOME");
  setenv("TESSEL_CACHE_DIR", "/a/b", 1);
  setenv("XDG_CACHE_HOME", "/x", 1);
  setenv("HOME", "/h", 1);
  EXPECT_EQ(KernelCache::defaultDirectory(), "/a/b");
  setenv("TESSEL_CACHE_DIR", "", 1); // empty counts as unset
  EXPECT_EQ(KernelCache::defaultDirectory(), "/x/tessel");
  unsetenv("TESSEL_CACHE_DIR");
  unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(KernelCache::defaultDirectory(), "/h/.cache/tessel");
  unsetenv("HOME");
  EXPECT_EQ(KernelCache::defaultDirectory(), "");
  KernelCache none("");
  EXPECT_FALSE(none.enabled());
  auto restore = [](const char *name, const std::optional<std::string> &value) {
    if (value)
      setenv(name, value->c_str(), 1);
    else
      unsetenv(name);
  };
  restore("TESSEL_CACHE_DIR", tessel);
  restore("XDG_CACHE_HOME", xdg);
  restore("HOME", home);
}

} // namespace
} // namespace tessel::cuda
