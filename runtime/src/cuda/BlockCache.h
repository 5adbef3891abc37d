// Device memory blocks kept for reuse by one CUDA backend (CudaBackend::allocate).
//
// Every use a backend makes of its memory (kernels, fills, copies) is enqueued on its one
// stream, so a block given back while work that reads it may still be queued can be
// handed to a later allocation at once: whatever the later owner enqueues runs after
// that work. Reusing blocks spares each allocation cuMemAlloc and each release a stream
// synchronization and cuMemFree (which waits for the whole device): a host function
// that allocates its result runs without waiting for the GPU.
//
// Blocks come in size classes (requests rounded up, so blocks of a class are
// interchangeable); the cache keeps at most `limitBytes` of free blocks and hands back
// the ones it drops, which the owner frees. Plain bookkeeping: no CUDA, thread-compatible
// (the backend guards it with its mutex).
#ifndef TESSEL_CUDA_BLOCKCACHE_H
#define TESSEL_CUDA_BLOCKCACHE_H

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace tessel::cuda {

class BlockCache {
public:
  explicit BlockCache(uint64_t limitBytes) : limit_(limitBytes) {}

  /// The size a request of `bytes` is allocated with: 512-byte steps up to 1 MiB, then
  /// eighths of a power of two (at most 12.5% over the request), at least 512 (above
  /// 2^62 bytes, the request itself).
  static uint64_t sizeClass(uint64_t bytes);

  /// A free block of `bytes`' size class, or none.
  std::optional<uint64_t> take(uint64_t bytes);
  /// Keeps the block at `address` (allocated for `bytes`, so of its size class) for
  /// reuse; returns the blocks dropped to stay within the limit (oldest first: the block
  /// itself when it alone is over the limit), which the caller frees.
  std::vector<uint64_t> give(uint64_t address, uint64_t bytes);
  /// Empties the cache; returns every block it held, for the caller to free.
  std::vector<uint64_t> drain();

  /// Bytes of free blocks held.
  uint64_t heldBytes() const { return held_; }

private:
  uint64_t limit_;
  uint64_t held_ = 0;
  uint64_t clock_ = 0; // give order, to drop the oldest blocks first
  /// Free blocks by size class: (give order, address).
  std::map<uint64_t, std::vector<std::pair<uint64_t, uint64_t>>> free_;
};

} // namespace tessel::cuda

#endif // TESSEL_CUDA_BLOCKCACHE_H
