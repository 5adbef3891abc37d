// The on-disk cache of compiled kernels (cubins), so that a process does not JIT the same
// PTX again (driver JIT of a large kernel takes from tens of milliseconds to seconds).
//
// An entry is keyed by the SHA-256 of (our format version, the PTX text, the JIT target,
// the driver version, the JIT options): a new driver, GPU or emitter output never reuses an
// old cubin. Entries live in <directory>/cuda-kernels/<hex key>.cubin, and each holds a
// header (magic, format version, lengths, a SHA-256 of key and payload), the full key and
// the cubin. A read trusts nothing: an entry whose header, length, checksum or key does not
// match is ignored (and deleted when damaged), and the caller compiles again.
//
// Safe with concurrent processes and threads: a writer writes a uniquely named temporary
// file in the same directory, fsyncs it and renames it over the entry (atomic on POSIX),
// so a reader sees either no entry, an old complete one or a new complete one.
//
// The cache never fails its caller: a directory that cannot be created or written disables
// it (enabled() is false, disabledReason() says why) and lookups then miss.
//
// Security: cached cubins are loaded into the GPU and run. The directory is created
// private (0700); point TESSEL_CACHE_DIR only at a directory no one else can write.
#ifndef TESSEL_CUDA_KERNELCACHE_H
#define TESSEL_CUDA_KERNELCACHE_H

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tessel::cuda {

/// Everything that determines a compiled kernel.
struct KernelCacheKey {
  /// The PTX module's text.
  std::string ptx;
  /// The JIT target: "sm_90a", "sm_86" (the device's architecture, not just the PTX's).
  std::string arch;
  /// cuDriverGetVersion() of the driver that compiles (its JIT is part of the result).
  int driverVersion = 0;
  /// JIT options that change the code ("-O4"); "" for the defaults.
  std::string options;

  /// The canonical, unambiguous byte string of the key (length-prefixed fields) that is
  /// hashed and stored in the entry.
  std::string serialize() const;
};

class KernelCache {
public:
  /// Bump whenever the entry layout or the meaning of a key changes.
  static constexpr uint32_t kFormatVersion = 1;
  /// Entries larger than this are treated as damaged (cubins are at most a few MiB).
  static constexpr uint64_t kMaxEntryBytes = uint64_t(1) << 30;

  /// $TESSEL_CACHE_DIR, else $XDG_CACHE_HOME/tessel, else $HOME/.cache/tessel; "" when
  /// none of these variables is set.
  static std::string defaultDirectory();

  /// Opens the cache rooted at `directory` ("" means defaultDirectory()), creating the
  /// directories that are missing (mode 0700), and removes temporary files that crashed
  /// writers left behind. Never fails: see enabled().
  explicit KernelCache(std::string directory = "");
  KernelCache(const KernelCache &) = delete;
  KernelCache &operator=(const KernelCache &) = delete;

  bool enabled() const { return enabled_; }
  /// Why the cache is disabled ("" when it is enabled).
  const std::string &disabledReason() const { return disabledReason_; }
  /// The root directory as given or resolved.
  const std::string &directory() const { return root_; }

  /// The cubin stored for `key`, or nullopt (miss, damaged entry, disabled cache).
  std::optional<std::vector<uint8_t>> lookup(const KernelCacheKey &key);
  /// Stores `size` bytes for `key`, replacing any entry. Returns whether the entry was
  /// written; a failure is not an error (the next process compiles again).
  bool store(const KernelCacheKey &key, const void *data, size_t size);

  /// The file that holds `key`'s entry (for tests and diagnostics).
  std::string entryPath(const KernelCacheKey &key) const;

  struct Stats {
    uint64_t hits = 0, misses = 0, damaged = 0, stores = 0, storeFailures = 0;
  };
  Stats stats() const;

private:
  void removeStaleTemporaries();

  std::string root_;
  std::string entriesDir_;
  bool enabled_ = false;
  std::string disabledReason_;
  std::atomic<uint64_t> hits_{0}, misses_{0}, damaged_{0}, stores_{0}, storeFailures_{0};
};

/// The entry file of `payload` under `key` (header, key, payload), exactly as store()
/// writes it. Exposed so tests can build damaged variants.
std::vector<uint8_t> encodeCacheEntry(const KernelCacheKey &key, const void *payload,
                                      size_t size);

enum class EntryCheck {
  kValid,
  /// Bad magic or version, wrong lengths, truncated, checksum mismatch.
  kDamaged,
  /// Intact, but stored for a different key (a hash collision, in theory).
  kOtherKey,
};
struct DecodedEntry {
  EntryCheck check = EntryCheck::kDamaged;
  std::vector<uint8_t> payload; // kValid only
};
/// Checks an entry file against `key` and extracts its payload.
DecodedEntry decodeCacheEntry(const KernelCacheKey &key, const std::vector<uint8_t> &file);

} // namespace tessel::cuda

#endif // TESSEL_CUDA_KERNELCACHE_H
