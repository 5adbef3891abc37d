#include "cuda/KernelCache.h"

#include "cuda/Sha256.h"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string_view>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tessel::cuda {

namespace {

// Entry layout (all integers little-endian):
//   [0, 8)    magic "TSLKCUBN"
//   [8, 12)   format version (KernelCache::kFormatVersion)
//   [12, 16)  header size (kHeaderBytes), so that a reader can reject other layouts
//   [16, 24)  key length in bytes
//   [24, 32)  payload length in bytes
//   [32, 64)  SHA-256 of key bytes followed by payload bytes
//   [64, ...) key bytes (KernelCacheKey::serialize()), then the payload (the cubin)
constexpr char kMagic[8] = {'T', 'S', 'L', 'K', 'C', 'U', 'B', 'N'};
constexpr size_t kHeaderBytes = 64;
constexpr const char *kEntriesSubdir = "cuda-kernels";
constexpr const char *kEntrySuffix = ".cubin";
constexpr const char *kTempMarker = ".tmp.";
// A temporary file this old belongs to a writer that died (a write takes milliseconds).
constexpr auto kStaleTemporaryAge = std::chrono::hours(1);

void putU32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = uint8_t(v >> (8 * i));
}
void putU64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = uint8_t(v >> (8 * i));
}
uint32_t getU32(const uint8_t *p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= uint32_t(p[i]) << (8 * i);
  return v;
}
uint64_t getU64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= uint64_t(p[i]) << (8 * i);
  return v;
}

void appendField(std::string &out, std::string_view field) {
  uint8_t length[8];
  putU64(length, field.size());
  out.append(reinterpret_cast<const char *>(length), 8);
  out.append(field.data(), field.size());
}

Sha256Digest checksum(const void *key, size_t keySize, const void *payload, size_t size) {
  Sha256 hash;
  hash.update(key, keySize);
  hash.update(payload, size);
  return hash.finish();
}

// Creates `path` and its missing parents with `mode`. Returns "" or what failed.
std::string makeDirectories(const std::string &path, mode_t mode) {
  if (path.empty())
    return "empty path";
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/')
      continue;
    std::string prefix = path.substr(0, pos);
    if (mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST)
      return "cannot create " + prefix + ": " + std::strerror(errno);
  }
  struct stat info;
  if (stat(path.c_str(), &info) != 0)
    return "cannot access " + path + ": " + std::strerror(errno);
  if (!S_ISDIR(info.st_mode))
    return path + " is not a directory";
  if (access(path.c_str(), W_OK | X_OK) != 0)
    return path + " is not writable: " + std::strerror(errno);
  return "";
}

// Reads a whole file of at most `limit` bytes; nullopt when it cannot be read or is
// larger (a larger entry is damaged by definition).
enum class ReadResult { kOk, kMissing, kUnreadable, kTooLarge };
ReadResult readFile(const std::string &path, uint64_t limit, std::vector<uint8_t> *out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? ReadResult::kMissing : ReadResult::kUnreadable;
  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    close(fd);
    return ReadResult::kUnreadable;
  }
  if (uint64_t(info.st_size) > limit) {
    close(fd);
    return ReadResult::kTooLarge;
  }
  out->resize(size_t(info.st_size));
  size_t done = 0;
  while (done < out->size()) {
    ssize_t n = read(fd, out->data() + done, out->size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break; // short read: the file shrank; the size check below rejects it
    done += size_t(n);
  }
  out->resize(done);
  close(fd);
  return ReadResult::kOk;
}

bool writeAll(int fd, const uint8_t *data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    size -= size_t(n);
  }
  return true;
}

// A name no other writer (thread or process) uses at the same time.
std::string temporarySuffix() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 random(std::random_device{}() ^
                                      uint64_t(std::chrono::steady_clock::now()
                                                   .time_since_epoch()
                                                   .count()));
  return std::string(kTempMarker) + std::to_string(getpid()) + "." +
         std::to_string(counter.fetch_add(1)) + "." + std::to_string(random() & 0xffffffff);
}

const char *nonEmptyEnv(const char *name) {
  const char *value = std::getenv(name);
  return value && *value ? value : nullptr;
}

} // namespace

std::string KernelCacheKey::serialize() const {
  std::string out = "tessel-kernel-cache";
  uint8_t version[4];
  putU32(version, KernelCache::kFormatVersion);
  out.append(reinterpret_cast<const char *>(version), 4);
  appendField(out, ptx);
  appendField(out, arch);
  appendField(out, std::to_string(driverVersion));
  appendField(out, options);
  return out;
}

std::vector<uint8_t> encodeCacheEntry(const KernelCacheKey &key, const void *payload,
                                      size_t size) {
  std::string keyBytes = key.serialize();
  std::vector<uint8_t> file(kHeaderBytes + keyBytes.size() + size);
  std::memcpy(file.data(), kMagic, 8);
  putU32(file.data() + 8, KernelCache::kFormatVersion);
  putU32(file.data() + 12, uint32_t(kHeaderBytes));
  putU64(file.data() + 16, keyBytes.size());
  putU64(file.data() + 24, size);
  Sha256Digest sum = checksum(keyBytes.data(), keyBytes.size(), payload, size);
  std::memcpy(file.data() + 32, sum.data(), sum.size());
  std::memcpy(file.data() + kHeaderBytes, keyBytes.data(), keyBytes.size());
  if (size)
    std::memcpy(file.data() + kHeaderBytes + keyBytes.size(), payload, size);
  return file;
}

DecodedEntry decodeCacheEntry(const KernelCacheKey &key, const std::vector<uint8_t> &file) {
  DecodedEntry result;
  if (file.size() < kHeaderBytes || std::memcmp(file.data(), kMagic, 8) != 0 ||
      getU32(file.data() + 8) != KernelCache::kFormatVersion ||
      getU32(file.data() + 12) != kHeaderBytes)
    return result;
  uint64_t keyBytes = getU64(file.data() + 16);
  uint64_t payloadBytes = getU64(file.data() + 24);
  // Compare without overflow: each length is bounded by the file size first.
  uint64_t body = file.size() - kHeaderBytes;
  if (keyBytes > body || payloadBytes != body - keyBytes)
    return result;
  const uint8_t *keyData = file.data() + kHeaderBytes;
  const uint8_t *payload = keyData + keyBytes;
  Sha256Digest sum = checksum(keyData, size_t(keyBytes), payload, size_t(payloadBytes));
  if (std::memcmp(sum.data(), file.data() + 32, sum.size()) != 0)
    return result;
  std::string expected = key.serialize();
  if (expected.size() != keyBytes || std::memcmp(expected.data(), keyData, keyBytes) != 0) {
    result.check = EntryCheck::kOtherKey;
    return result;
  }
  result.check = EntryCheck::kValid;
  result.payload.assign(payload, payload + payloadBytes);
  return result;
}

std::string KernelCache::defaultDirectory() {
  if (const char *dir = nonEmptyEnv("TESSEL_CACHE_DIR"))
    return dir;
  if (const char *xdg = nonEmptyEnv("XDG_CACHE_HOME"))
    return std::string(xdg) + "/tessel";
  if (const char *home = nonEmptyEnv("HOME"))
    return std::string(home) + "/.cache/tessel";
  return "";
}

KernelCache::KernelCache(std::string directory) : root_(std::move(directory)) {
  if (root_.empty())
    root_ = defaultDirectory();
  if (root_.empty()) {
    disabledReason_ = "no cache directory (set TESSEL_CACHE_DIR, XDG_CACHE_HOME or HOME)";
    return;
  }
  while (root_.size() > 1 && root_.back() == '/')
    root_.pop_back();
  entriesDir_ = root_ + "/" + kEntriesSubdir;
  std::string error = makeDirectories(entriesDir_, 0700);
  if (!error.empty()) {
    disabledReason_ = error;
    return;
  }
  enabled_ = true;
  removeStaleTemporaries();
}

void KernelCache::removeStaleTemporaries() {
  DIR *dir = opendir(entriesDir_.c_str());
  if (!dir)
    return;
  auto now = std::chrono::system_clock::now();
  while (struct dirent *entry = readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name.find(kTempMarker) == std::string_view::npos)
      continue;
    std::string path = entriesDir_ + "/" + std::string(name);
    struct stat info;
    if (lstat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode))
      continue;
    auto modified = std::chrono::system_clock::from_time_t(info.st_mtime);
    if (now - modified > kStaleTemporaryAge)
      unlink(path.c_str());
  }
  closedir(dir);
}

std::string KernelCache::entryPath(const KernelCacheKey &key) const {
  return entriesDir_ + "/" + toHex(sha256(key.serialize())) + kEntrySuffix;
}

std::optional<std::vector<uint8_t>> KernelCache::lookup(const KernelCacheKey &key) {
  if (!enabled_) {
    ++misses_;
    return std::nullopt;
  }
  std::string path = entryPath(key);
  std::vector<uint8_t> file;
  switch (readFile(path, kMaxEntryBytes, &file)) {
  case ReadResult::kMissing:
  case ReadResult::kUnreadable:
    ++misses_;
    return std::nullopt;
  case ReadResult::kTooLarge:
    break; // damaged
  case ReadResult::kOk: {
    DecodedEntry entry = decodeCacheEntry(key, file);
    if (entry.check == EntryCheck::kValid) {
      ++hits_;
      return std::move(entry.payload);
    }
    if (entry.check == EntryCheck::kOtherKey) {
      // Intact but someone else's: a miss; store() replaces it.
      ++misses_;
      return std::nullopt;
    }
    break;
  }
  }
  // Damaged (a crash mid-write on a file system without atomic rename, disk errors, a
  // hand edit): never trusted, removed so that the next store() rebuilds it. If another
  // process renamed a good entry in meanwhile, removing it only costs one recompile.
  ++damaged_;
  ++misses_;
  unlink(path.c_str());
  return std::nullopt;
}

bool KernelCache::store(const KernelCacheKey &key, const void *data, size_t size) {
  if (!enabled_ || size > kMaxEntryBytes) {
    ++storeFailures_;
    return false;
  }
  std::vector<uint8_t> file = encodeCacheEntry(key, data, size);
  std::string path = entryPath(key);
  std::string temporary = path + temporarySuffix();
  int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    ++storeFailures_;
    return false;
  }
  // fsync before rename: after a crash the entry is either absent or complete.
  bool ok = writeAll(fd, file.data(), file.size()) && fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  ok = ok && rename(temporary.c_str(), path.c_str()) == 0;
  if (!ok) {
    unlink(temporary.c_str());
    ++storeFailures_;
    return false;
  }
  ++stores_;
  return true;
}

KernelCache::Stats KernelCache::stats() const {
  Stats s;
  s.hits = hits_.load();
  s.misses = misses_.load();
  s.damaged = damaged_.load();
  s.stores = stores_.load();
  s.storeFailures = storeFailures_.load();
  return s;
}

} // namespace tessel::cuda
