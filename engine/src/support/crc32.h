// CRC-32 (IEEE 802.3, as zlib computes it), for checksums in state files.
#pragma once
#include <cstddef>
#include <cstdint>

namespace rwkv {

uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc = 0);

}  // namespace rwkv
