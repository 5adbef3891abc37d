// SHA-256 (FIPS 180-4), for the keys and checksums of the on-disk kernel cache
// (KernelCache.h). A cryptographic hash, so that distinct PTX texts never share a file
// name in practice; the cache still compares the full key on read.
#ifndef TESSEL_CUDA_SHA256_H
#define TESSEL_CUDA_SHA256_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tessel::cuda {

using Sha256Digest = std::array<uint8_t, 32>;

/// Incremental SHA-256: update() any number of times, then finish() once.
class Sha256 {
public:
  Sha256();
  void update(const void *data, size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  Sha256Digest finish();

private:
  void compress(const uint8_t *block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_;
  size_t buffered_ = 0;
  uint64_t totalBytes_ = 0;
};

/// The digest of `size` bytes at `data`.
Sha256Digest sha256(const void *data, size_t size);
inline Sha256Digest sha256(std::string_view text) { return sha256(text.data(), text.size()); }

/// Lower-case hex of a digest (64 characters).
std::string toHex(const Sha256Digest &digest);

} // namespace tessel::cuda

#endif // TESSEL_CUDA_SHA256_H
