// RTP packets built by hand for the depacketizer tests (one builder for every test file).
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <vector>

#include "ingest/depacketizer.hpp"

namespace carekeep::test {

using Bytes = std::vector<std::uint8_t>;

// Payload type 96, SSRC 0x12345678.
inline Bytes rtp_packet(std::uint16_t seq, std::uint32_t ts, bool marker, const Bytes& payload) {
  const std::uint8_t header[12] = {0x80, static_cast<std::uint8_t>((marker ? 0x80 : 0) | 96), static_cast<std::uint8_t>(seq >> 8),
                                   static_cast<std::uint8_t>(seq), static_cast<std::uint8_t>(ts >> 24), static_cast<std::uint8_t>(ts >> 16),
                                   static_cast<std::uint8_t>(ts >> 8), static_cast<std::uint8_t>(ts), 0x12, 0x34, 0x56, 0x78};
  // Sized once and filled: GCC 12 warns (falsely) about vector::insert here once inlined.
  Bytes p(sizeof header + payload.size());
  std::copy(std::begin(header), std::end(header), p.begin());
  std::copy(payload.begin(), payload.end(), p.begin() + sizeof header);
  return p;
}

template <class Depacketizer>
void push(Depacketizer& d, std::uint16_t seq, std::uint32_t ts, bool marker, const Bytes& payload) {
  Bytes bytes = rtp_packet(seq, ts, marker, payload);
  auto parsed = ingest::rtp::parse(bytes);
  REQUIRE(parsed);
  d.push(*parsed);
}

}  // namespace carekeep::test
