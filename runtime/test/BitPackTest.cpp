#include "vm/BitPack.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace tessel::vm {
namespace {

// Bit-by-bit reference of the stream layout: element i at bits [i*n, (i+1)*n).
bool streamBit(const std::vector<uint8_t> &s, size_t bit) { return (s[bit / 8] >> (bit % 8)) & 1; }

TEST(BitPack, KnownLayout) {
  // Three 3-bit elements 0b101, 0b011, 0b110 -> stream bits 101 110 011 (LSB first):
  // byte0 = 0b10_011_101 = 0x9D, byte1 = 0b0000000_1.
  uint8_t codes[] = {5, 3, 6};
  uint8_t out[2] = {0, 0};
  packBits(codes, 3, 3, out);
  EXPECT_EQ(out[0], 0x9D);
  EXPECT_EQ(out[1], 0x01);
  EXPECT_EQ(packedBytes(3, 3), 2u);
  EXPECT_EQ(packedBytes(8, 3), 3u);
  EXPECT_EQ(packedBytes(0, 7), 0u);
}

TEST(BitPack, RoundTripEveryWidthOddLengthsAndOffsets) {
  std::mt19937 rng(42);
  for (unsigned bits = 1; bits <= 8; ++bits) {
    for (size_t count : {0u, 1u, 2u, 3u, 5u, 7u, 8u, 9u, 15u, 17u, 31u, 63u, 64u, 65u, 127u}) {
      for (size_t offset = 0; offset < 17; ++offset) {
        std::vector<uint8_t> codes(count);
        for (auto &c : codes)
          c = uint8_t(rng() & ((1u << bits) - 1));
        // Garbage in the bits outside the written range must survive.
        std::vector<uint8_t> stream(packedBytes(count + 16, bits) + 4);
        for (auto &b : stream)
          b = uint8_t(rng());
        std::vector<uint8_t> before = stream;
        packBits(codes.data(), count, bits, stream.data(), offset);

        for (size_t bit = 0; bit < stream.size() * 8; ++bit) {
          bool inside = bit >= offset && bit < offset + count * bits;
          if (!inside) {
            ASSERT_EQ(streamBit(stream, bit), streamBit(before, bit))
                << "bits=" << bits << " count=" << count << " offset=" << offset << " bit=" << bit;
            continue;
          }
          size_t i = (bit - offset) / bits, j = (bit - offset) % bits;
          ASSERT_EQ(streamBit(stream, bit), bool((codes[i] >> j) & 1))
              << "bits=" << bits << " count=" << count << " offset=" << offset << " bit=" << bit;
        }

        std::vector<uint8_t> back(count, 0xFF);
        unpackBits(stream.data(), offset, count, bits, back.data());
        ASSERT_EQ(back, codes) << "bits=" << bits << " count=" << count << " offset=" << offset;
        if (offset == 0) {
          for (size_t i = 0; i < count; ++i)
            ASSERT_EQ(readBits(stream.data(), i, bits), codes[i]);
        }
      }
    }
  }
}

TEST(BitPack, IgnoresHighBitsOfCodes) {
  uint8_t codes[] = {0xFF, 0xF0, 0x0F};
  uint8_t out[1] = {0};
  packBits(codes, 3, 2, out);
  EXPECT_EQ(out[0], 0b00110011);
}

} // namespace
} // namespace tessel::vm
