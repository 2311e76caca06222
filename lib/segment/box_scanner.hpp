// segment/box_scanner: follows the top-level ISO-BMFF box structure (ftyp, moov, moof, mdat,
// mfra) of a byte stream as it is written or read, so the writer knows where each fragment
// starts without parsing FFmpeg's output twice, and recovery can find the last complete
// fragment of a file cut short by a crash. Pure, no I/O, no threads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace carekeep::segment {

struct BoxHeader {
  std::uint64_t size = 0;         // of the whole box, header included; 0: "to the end of the file"
  std::size_t header_size = 8;    // 16 with a 64-bit "largesize"
  std::array<char, 4> type{};     // its four-character type
};

// The box header at the start of `bytes`; nullopt while `bytes` is too short to hold it (8
// bytes, 16 with a 64-bit size). The size is as written: the caller judges it.
inline std::optional<BoxHeader> read_box_header(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 8) return std::nullopt;
  BoxHeader h;
  h.size = (std::uint64_t{bytes[0]} << 24) | (std::uint64_t{bytes[1]} << 16) | (std::uint64_t{bytes[2]} << 8) |
           std::uint64_t{bytes[3]};
  h.type = {static_cast<char>(bytes[4]), static_cast<char>(bytes[5]), static_cast<char>(bytes[6]),
            static_cast<char>(bytes[7])};
  if (h.size == 1) {
    if (bytes.size() < 16) return std::nullopt;
    h.size = 0;
    for (std::size_t k = 8; k < 16; ++k) h.size = (h.size << 8) | bytes[k];
    h.header_size = 16;
  }
  return h;
}

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
    auto header = read_box_header(std::span<const std::uint8_t>(header_.data(), header_filled_));
    if (!header) continue;
    std::uint64_t size = header->size;
    const std::size_t header_size = header->header_size;
    if (size == 0) {
      // "Box extends to end of file": only legal for the last box; treat the rest as its body.
      size = UINT64_MAX / 2;
    }
    if (size < header_size) {
      ok_ = false;
      return;
    }
    on_box(Boundary{box_start_, header->type});
    remaining_ = size - header_size;
    header_filled_ = 0;
  }
}

}  // namespace carekeep::segment
