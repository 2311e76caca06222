// segment/box_scanner: follows the top-level ISO-BMFF box structure (ftyp, moov, moof, mdat,
// mfra) of a byte stream as it is written or read, so the writer knows where each fragment
// starts without parsing FFmpeg's output twice, and recovery can find the last complete
// fragment of a file cut short by a crash. Pure, no I/O, no threads.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace carekeep::segment {

class BoxScanner {
 public:
  struct Boundary {
    std::uint64_t offset;           // where a top-level box begins
    std::array<char, 4> type;       // its four-character type
  };

  // Feeds the next bytes of the stream; calls on_box(boundary) for every top-level box
  // whose header starts inside `bytes`, before the bytes of that box are consumed by the
  // caller's own bookkeeping. `on_box` receives the absolute offset of the box.
  template <class OnBox>
  void feed(std::span<const std::uint8_t> bytes, OnBox&& on_box);

  std::uint64_t offset() const { return offset_; }
  // True when the stream so far ends exactly at a box boundary.
  bool at_boundary() const { return header_filled_ == 0 && remaining_ == 0; }
  // False once a box header is malformed (size smaller than its header).
  bool ok() const { return ok_; }

 private:
  std::uint64_t offset_ = 0;         // bytes consumed so far
  std::uint64_t remaining_ = 0;      // bytes left in the current box body
  std::array<std::uint8_t, 16> header_{};
  std::size_t header_filled_ = 0;
  std::uint64_t box_start_ = 0;
  bool ok_ = true;
};

template <class OnBox>
void BoxScanner::feed(std::span<const std::uint8_t> bytes, OnBox&& on_box) {
  std::size_t i = 0;
  while (i < bytes.size() && ok_) {
    if (remaining_ > 0) {
      std::uint64_t take = std::min<std::uint64_t>(remaining_, bytes.size() - i);
      remaining_ -= take;
      offset_ += take;
      i += static_cast<std::size_t>(take);
      continue;
    }
    if (header_filled_ == 0) box_start_ = offset_;
    header_[header_filled_++] = bytes[i++];
    ++offset_;
    if (header_filled_ < 8) continue;
    std::uint64_t size = (std::uint64_t{header_[0]} << 24) | (std::uint64_t{header_[1]} << 16) |
                         (std::uint64_t{header_[2]} << 8) | std::uint64_t{header_[3]};
    std::size_t header_size = 8;
    if (size == 1) {  // 64-bit "largesize" follows the type
      if (header_filled_ < 16) continue;
      size = 0;
      for (int k = 8; k < 16; ++k) size = (size << 8) | header_[k];
      header_size = 16;
    }
    if (size == 0) {
      // "Box extends to end of file": only legal for the last box; treat the rest as its body.
      size = UINT64_MAX / 2;
    }
    if (size < header_size) {
      ok_ = false;
      return;
    }
    on_box(Boundary{box_start_, {static_cast<char>(header_[4]), static_cast<char>(header_[5]),
                                 static_cast<char>(header_[6]), static_cast<char>(header_[7])}});
    remaining_ = size - header_size;
    header_filled_ = 0;
  }
}

}  // namespace carekeep::segment
