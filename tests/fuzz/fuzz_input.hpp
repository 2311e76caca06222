// tests/fuzz/fuzz_input: what the harnesses share. FuzzInput cuts a libFuzzer input into the
// pieces a harness needs (a few parameter bytes, then length-prefixed chunks such as RTP
// packets); FUZZ_CHECK turns a broken contract into a crash libFuzzer keeps as a reproducer.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string_view>

namespace carekeep::fuzz {

class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size) : rest_(data, size) {}

  bool empty() const { return rest_.empty(); }
  std::size_t remaining() const { return rest_.size(); }

  // One byte; 0 once the input is used up (so short inputs still run).
  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    std::uint8_t b = rest_[0];
    rest_ = rest_.subspan(1);
    return b;
  }

  // The next chunk: a 16-bit big-endian length, then that many bytes (fewer if the input ends
  // first). nullopt once nothing is left. This is how an RTP packet sequence is written into
  // one input: the framing of RTP over RTSP's interleaved channels, without the '$' and channel.
  std::optional<std::span<const std::uint8_t>> chunk() {
    if (rest_.size() < 2) return std::nullopt;
    std::size_t len = (std::size_t{rest_[0]} << 8) | rest_[1];
    rest_ = rest_.subspan(2);
    len = std::min(len, rest_.size());
    auto out = rest_.first(len);
    rest_ = rest_.subspan(len);
    return out;
  }

  std::span<const std::uint8_t> rest() {
    auto out = rest_;
    rest_ = {};
    return out;
  }

 private:
  std::span<const std::uint8_t> rest_;
};

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace carekeep::fuzz

// A contract the code under test documents; abort() makes libFuzzer save the input.
#define FUZZ_CHECK(cond)                                                                   \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
      std::abort();                                                                        \
    }                                                                                      \
  } while (false)
