// export/source_hasher: the worker thread that reads and hashes an export's source files,
// on real files in a temporary folder.
#include <fcntl.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "export/source_hasher.hpp"
#include "segment/hash.hpp"
#include "support/temp_dir.hpp"

extern "C" {
#include <libavutil/error.h>
}

using namespace carekeep;
using exports::SourceHasher;

namespace {

// Bytes that differ from offset to offset, so a chunk handed over twice or out of order shows.
std::string noise(std::size_t size, unsigned seed) {
  std::mt19937 gen(seed);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(gen() & 0xff);
  return out;
}

fs::UniqueFd open_read(const std::filesystem::path& p) {
  fs::UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd);
  return fd;
}

// Everything the feed hands over, read `step` bytes at a time.
std::string drain(SourceHasher::Feed& feed, int step) {
  std::string out;
  std::vector<std::uint8_t> buf(static_cast<std::size_t>(step));
  for (;;) {
    int n = feed.read(buf.data(), step);
    if (n == AVERROR_EOF) break;
    REQUIRE(n > 0);
    out.append(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

TEST_CASE("a feed hands over the file's bytes in order and every slot gets its file's digest", "[export]") {
  test::TempDir dir;
  // Larger than the worker's buffers together (8 of 1 MiB), and not a multiple of one.
  const std::string big = noise((11u << 20) + 12345, 1);
  const std::string small = noise(70000, 2);
  test::write_text(dir / "a.mp4", big);
  test::write_text(dir / "b.mp4", small);
  test::write_text(dir / "c.mp4", "");
  auto hasher = SourceHasher::start(3).value();
  auto feed = hasher->read(0, open_read(dir / "a.mp4"), "a.mp4");
  hasher->hash(1, open_read(dir / "b.mp4"), "b.mp4");
  auto empty = hasher->read(2, open_read(dir / "c.mp4"), "c.mp4");
  CHECK(drain(*feed, 7777) == big);
  feed->close();
  CHECK(drain(*empty, 4096).empty());
  empty->close();
  auto digests = hasher->finish().value();
  REQUIRE(digests.size() == 3);
  CHECK(digests[0] == segment::sha256_of(big));
  CHECK(digests[1] == segment::sha256_of(small));
  CHECK(digests[2] == segment::sha256_of(""));
}

TEST_CASE("a feed closed early still hashes the whole file and an abandoned one is replaced", "[export]") {
  test::TempDir dir;
  const std::string first = noise(5u << 20, 3);
  const std::string second = noise(3u << 20, 4);
  test::write_text(dir / "a.mp4", first);
  test::write_text(dir / "b.mp4", second);
  auto hasher = SourceHasher::start(2).value();
  auto feed = hasher->read(0, open_read(dir / "a.mp4"), "a.mp4");
  std::vector<std::uint8_t> head(100);
  REQUIRE(feed->read(head.data(), 100) == 100);
  CHECK(std::string(head.begin(), head.end()) == first.substr(0, 100));
  feed->close();  // as a remux that reached --to: the rest is hashed, not handed over
  {
    // Opened as a continuation, then the remux opens it again another way.
    auto dropped = hasher->read(1, open_read(dir / "b.mp4"), "b.mp4");
    std::vector<std::uint8_t> some(10);
    REQUIRE(dropped->read(some.data(), 10) == 10);
  }  // destroyed without close(): abandoned
  hasher->hash(1, open_read(dir / "b.mp4"), "b.mp4");
  auto digests = hasher->finish().value();
  CHECK(digests[0] == segment::sha256_of(first));
  CHECK(digests[1] == segment::sha256_of(second));
}

TEST_CASE("a source that cannot be read fails its feed and the hasher's result", "[export]") {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "not-a-file");
  auto hasher = SourceHasher::start(1).value();
  // A directory opens read-only but read(2) fails (EISDIR): a real read error on demand.
  auto feed = hasher->read(0, open_read(dir / "not-a-file"), "not-a-file");
  std::vector<std::uint8_t> buf(64);
  CHECK(feed->read(buf.data(), 64) == AVERROR(EISDIR));
  feed->close();
  auto digests = hasher->finish();
  REQUIRE(!digests);
  CHECK(digests.error().kind == ErrorKind::DataLoss);
  CHECK(digests.error().message.find("not-a-file") != std::string::npos);
}

TEST_CASE("a slot no job hashed fails the hasher's result", "[export]") {
  test::TempDir dir;
  test::write_text(dir / "a.mp4", "abc");
  auto hasher = SourceHasher::start(2).value();
  hasher->hash(0, open_read(dir / "a.mp4"), "a.mp4");
  auto digests = hasher->finish();
  REQUIRE(!digests);
  CHECK(digests.error().kind == ErrorKind::Internal);
}
