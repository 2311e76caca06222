// export/output_hasher: the digest of an output file made while it is written, on a real file
// written the way the muxer writes it (head region left for the end, media in order after it).
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "export/output_hasher.hpp"
#include "segment/hash.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using exports::OutputHasher;

namespace {

std::vector<std::uint8_t> noise(std::size_t size, unsigned seed) {
  std::mt19937 gen(seed);
  std::vector<std::uint8_t> out(size);
  for (auto& c : out) c = static_cast<std::uint8_t>(gen() & 0xff);
  return out;
}

void write_at(int fd, const std::vector<std::uint8_t>& data, std::size_t from, std::size_t size) {
  REQUIRE(::pwrite(fd, data.data() + from, size, static_cast<off_t>(from)) == static_cast<ssize_t>(size));
}

struct File {
  test::TempDir dir;
  fs::UniqueFd fd{::open((dir / "out.mp4").c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644)};
  std::vector<std::uint8_t> bytes = noise((20u << 20) + 12345, 7);  // crosses several stretches
  std::size_t head = 4096 + 48;
  std::vector<std::uint8_t> head_bytes() const { return {bytes.begin(), bytes.begin() + static_cast<long>(head)}; }
};

}  // namespace

TEST_CASE("the output hash made while writing is the finished file's", "[export]") {
  File f;
  REQUIRE(f.fd);
  auto hasher = OutputHasher::start(f.fd.get(), f.head_bytes()).value();
  write_at(f.fd.get(), f.bytes, 0, 32);  // the muxer's header: inside the head, not seen
  hasher->wrote(0, 32);
  for (std::size_t at = f.head; at < f.bytes.size();) {  // media in packets of odd sizes
    std::size_t n = std::min<std::size_t>(f.bytes.size() - at, 70001 + at % 977);
    write_at(f.fd.get(), f.bytes, at, n);
    hasher->wrote(static_cast<std::int64_t>(at), n);
    at += n;
  }
  write_at(f.fd.get(), f.bytes, 0, f.head);  // the trailer fills the head
  hasher->wrote(0, f.head);
  auto digest = hasher->finish(f.bytes.size());
  REQUIRE(digest);
  segment::Sha256Stream whole;
  whole.update(f.bytes.data(), f.bytes.size());
  CHECK(*digest == whole.finish());
  CHECK(*digest == segment::sha256_file(f.dir / "out.mp4").value());
}

TEST_CASE("media written twice, past a gap or short of the size spoils the output hash", "[export]") {
  File f;
  REQUIRE(f.fd);
  auto hasher = OutputHasher::start(f.fd.get(), f.head_bytes()).value();
  const std::size_t half = f.head + 5'000'000;
  write_at(f.fd.get(), f.bytes, f.head, half - f.head);
  hasher->wrote(static_cast<std::int64_t>(f.head), half - f.head);
  std::uint64_t size = f.bytes.size();
  SECTION("written again") { hasher->wrote(static_cast<std::int64_t>(half - 100), 200); }
  SECTION("past a gap") { hasher->wrote(static_cast<std::int64_t>(half + 100), 200); }
  SECTION("the file is longer than what was written") { size = half + 1; }
  CHECK_FALSE(hasher->finish(size));
}
