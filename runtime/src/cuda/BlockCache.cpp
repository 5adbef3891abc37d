// Device memory blocks kept for reuse (BlockCache.h).
#include "cuda/BlockCache.h"

#include <algorithm>

namespace tessel::cuda {

uint64_t BlockCache::sizeClass(uint64_t bytes) {
  constexpr uint64_t kSmallStep = 512, kSmallMax = uint64_t(1) << 20;
  if (bytes <= kSmallMax)
    return std::max<uint64_t>((bytes + kSmallStep - 1) / kSmallStep, 1) * kSmallStep;
  if (bytes > (uint64_t(1) << 62))
    return bytes; // no GPU has that much; the allocation fails as asked
  // Eighths of the power of two at or below: 1 MiB < bytes <= 2^63.
  uint64_t step = (uint64_t(1) << (63 - __builtin_clzll(bytes))) / 8;
  return (bytes + step - 1) / step * step;
}

std::optional<uint64_t> BlockCache::take(uint64_t bytes) {
  const uint64_t size = sizeClass(bytes);
  auto it = free_.find(size);
  if (it == free_.end() || it->second.empty())
    return std::nullopt;
  uint64_t address = it->second.back().second; // the most recent: likeliest in L2
  it->second.pop_back();
  if (it->second.empty())
    free_.erase(it);
  held_ -= size;
  return address;
}

std::vector<uint64_t> BlockCache::give(uint64_t address, uint64_t bytes) {
  const uint64_t size = sizeClass(bytes);
  std::vector<uint64_t> dropped;
  if (size > limit_) {
    dropped.push_back(address);
    return dropped;
  }
  free_[size].push_back({clock_++, address});
  held_ += size;
  while (held_ > limit_) {
    // The oldest block of any class (each class's vector is in give order).
    auto oldest = free_.begin();
    for (auto it = free_.begin(); it != free_.end(); ++it)
      if (it->second.front().first < oldest->second.front().first)
        oldest = it;
    dropped.push_back(oldest->second.front().second);
    held_ -= oldest->first;
    oldest->second.erase(oldest->second.begin());
    if (oldest->second.empty())
      free_.erase(oldest);
  }
  return dropped;
}

std::vector<uint64_t> BlockCache::drain() {
  std::vector<uint64_t> all;
  for (auto &[size, blocks] : free_)
    for (auto &[order, address] : blocks)
      all.push_back(address);
  free_.clear();
  held_ = 0;
  return all;
}

} // namespace tessel::cuda
