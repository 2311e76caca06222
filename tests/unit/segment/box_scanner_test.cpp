#include <catch2/catch.hpp>

#include <vector>

#include "segment/box_scanner.hpp"

using namespace carekeep::segment;

namespace {
std::vector<std::uint8_t> box(const char* type, std::size_t body) {
  std::size_t size = body + 8;
  std::vector<std::uint8_t> out{static_cast<std::uint8_t>(size >> 24), static_cast<std::uint8_t>(size >> 16),
                                static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)};
  out.insert(out.end(), type, type + 4);
  out.resize(size, 0xab);
  return out;
}
}  // namespace

TEST_CASE("box scanner finds every top-level box whatever the chunking", "[segment]") {
  std::vector<std::uint8_t> stream;
  for (auto [type, body] : std::vector<std::pair<const char*, std::size_t>>{
           {"ftyp", 16}, {"moov", 700}, {"moof", 90}, {"mdat", 5000}, {"moof", 90}, {"mdat", 3}}) {
    auto b = box(type, body);
    stream.insert(stream.end(), b.begin(), b.end());
  }
  for (std::size_t chunk : {1u, 3u, 7u, 64u, 100000u}) {
    BoxScanner scanner;
    std::vector<std::pair<std::uint64_t, std::string>> seen;
    for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
      std::size_t n = std::min(chunk, stream.size() - pos);
      scanner.feed({stream.data() + pos, n}, [&](const BoxScanner::Boundary& b) {
        seen.emplace_back(b.offset, std::string(b.type.begin(), b.type.end()));
      });
    }
    INFO("chunk " << chunk);
    REQUIRE(seen.size() == 6);
    CHECK(seen[2] == std::make_pair(std::uint64_t{24 + 708}, std::string("moof")));
    CHECK(seen[5].second == "mdat");
    CHECK(scanner.at_boundary());
    CHECK(scanner.ok());
  }
}

TEST_CASE("box scanner reports a malformed size", "[segment]") {
  std::vector<std::uint8_t> bad{0, 0, 0, 4, 'm', 'o', 'o', 'f'};
  BoxScanner scanner;
  scanner.feed(bad, [](const BoxScanner::Boundary&) {});
  CHECK_FALSE(scanner.ok());
}
