// Fuzzes segment::BoxScanner, which follows the top-level ISO-BMFF boxes of what the segment
// writer writes and what recovery reads back (lib/segment/box_scanner.hpp). The first input
// byte sets the size of the pieces the rest is fed in (1..256 bytes, as writes and reads
// arrive); the scan must find the same boxes whichever way the bytes are cut, each boundary
// must hold the header read_box_header reads there, and offsets only grow.
#include <vector>

#include "fuzz_input.hpp"
#include "segment/box_scanner.hpp"

using namespace carekeep;

namespace {

struct Scan {
  std::vector<segment::BoxScanner::Boundary> boxes;
  std::uint64_t offset = 0;
  bool ok = true;
  bool at_boundary = true;
};

Scan scan(std::span<const std::uint8_t> bytes, std::size_t piece) {
  segment::BoxScanner scanner;
  Scan out;
  for (std::size_t at = 0; at < bytes.size() && scanner.ok(); at += piece) {
    scanner.feed(bytes.subspan(at, std::min(piece, bytes.size() - at)),
                 [&](const segment::BoxScanner::Boundary& b) { out.boxes.push_back(b); });
  }
  out.offset = scanner.offset();
  out.ok = scanner.ok();
  out.at_boundary = scanner.at_boundary();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput in(data, size);
  std::size_t piece = std::size_t{in.byte()} + 1;
  auto bytes = in.rest();

  Scan whole = scan(bytes, bytes.empty() ? 1 : bytes.size());
  Scan pieces = scan(bytes, piece);
  FUZZ_CHECK(whole.boxes.size() == pieces.boxes.size());
  FUZZ_CHECK(whole.ok == pieces.ok);
  FUZZ_CHECK(whole.offset == pieces.offset);
  FUZZ_CHECK(whole.at_boundary == pieces.at_boundary);
  FUZZ_CHECK(whole.offset <= bytes.size());
  std::uint64_t previous = 0;
  for (std::size_t i = 0; i < whole.boxes.size(); ++i) {
    const auto& b = whole.boxes[i];
    FUZZ_CHECK(b.offset == pieces.boxes[i].offset && b.type == pieces.boxes[i].type);
    FUZZ_CHECK(i == 0 ? b.offset == 0 : b.offset > previous);
    FUZZ_CHECK(b.offset < bytes.size());
    auto header = segment::read_box_header(bytes.subspan(static_cast<std::size_t>(b.offset)));
    FUZZ_CHECK(header && header->type == b.type);
    FUZZ_CHECK(header->size == 0 || header->size >= header->header_size);
    // The next box starts where this one ends.
    if (i + 1 < whole.boxes.size()) FUZZ_CHECK(header->size != 0 && whole.boxes[i + 1].offset == b.offset + header->size);
    previous = b.offset;
  }
  return 0;
}
