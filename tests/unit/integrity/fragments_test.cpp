#include <catch2/catch.hpp>

#include <string>

#include "integrity/fragments.hpp"
#include "integrity/layout.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {

// One top-level box with a 32-bit size and `body_bytes` of filler.
std::string box(const char (&type)[5], std::size_t body_bytes) {
  std::uint32_t size = static_cast<std::uint32_t>(8 + body_bytes);
  std::string out;
  out += static_cast<char>(size >> 24);
  out += static_cast<char>(size >> 16);
  out += static_cast<char>(size >> 8);
  out += static_cast<char>(size);
  out.append(type, 4);
  out.append(body_bytes, 'x');
  return out;
}

integrity::FragmentScan scan(const test::TempDir& dir, const std::string& bytes) {
  auto path = dir / "f.mp4";
  test::write_text(path, bytes);
  auto result = integrity::scan_fragments(path);
  REQUIRE(result);
  return *result;
}

}  // namespace

TEST_CASE("the clean cut is the end of the last complete fragment", "[integrity]") {
  test::TempDir dir;
  const std::string header = box("ftyp", 20) + box("moov", 100);
  const std::string fragment = box("moof", 50) + box("mdat", 1000);

  SECTION("a file that ends cleanly is kept whole") {
    auto s = scan(dir, header + fragment + fragment + box("mfra", 30));
    CHECK(s.usable());
    CHECK(s.fragments == 2);
    CHECK(s.has_trailer);
    CHECK(s.clean_end == s.file_size);
    CHECK(s.header_end == header.size());
  }
  SECTION("a torn mdat goes, with its moof") {
    auto whole = header + fragment + fragment;
    auto s = scan(dir, whole.substr(0, whole.size() - 10));
    CHECK(s.fragments == 1);
    CHECK(s.clean_end == header.size() + fragment.size());
  }
  SECTION("a torn moof or a half-written box header goes") {
    auto s = scan(dir, header + fragment + box("moof", 50).substr(0, 20));
    CHECK(s.clean_end == header.size() + fragment.size());
    auto t = scan(dir, header + fragment + std::string("\0\0", 2));
    CHECK(t.clean_end == header.size() + fragment.size());
    CHECK(t.fragments == 1);
  }
  SECTION("a moof whose mdat never started goes") {
    auto s = scan(dir, header + fragment + box("moof", 50));
    CHECK(s.fragments == 1);
    CHECK(s.clean_end == header.size() + fragment.size());
  }
  SECTION("zeros where a box should start end the trustworthy part") {
    auto s = scan(dir, header + fragment + std::string(4096, '\0'));
    CHECK(s.fragments == 1);
    CHECK(s.clean_end == header.size() + fragment.size());
  }
  SECTION("a header alone has no usable fragment") {
    auto s = scan(dir, header);
    CHECK_FALSE(s.usable());
    CHECK(s.clean_end == header.size());
    CHECK(s.problem.find("no complete fragment") != std::string::npos);
  }
  SECTION("a torn movie header is unusable") {
    auto s = scan(dir, header.substr(0, header.size() - 1));
    CHECK_FALSE(s.usable());
    CHECK(s.problem.find("moov") != std::string::npos);
  }
  SECTION("anything else is not a fragmented MP4") {
    CHECK_FALSE(scan(dir, "this is not a video").usable());
    CHECK_FALSE(scan(dir, "").usable());
    CHECK_FALSE(scan(dir, box("ftyp", 20) + box("mdat", 100) + box("moov", 100)).usable());
  }
}

TEST_CASE("segment paths are read back as the recorder writes them", "[integrity]") {
  auto name = integrity::parse_segment_path("nap-1/2026-11-20/081502-17.mp4");
  REQUIRE(name);
  CHECK(name->camera == "nap-1");
  CHECK(format_date(name->day) == "2026-11-20");
  CHECK(name->time_of_day == 8h + 15min + 2s);
  CHECK(name->seq == 17);
  CHECK_FALSE(name->partial);
  auto partial = integrity::parse_segment_path("nap-1/2026-11-20/235959-0.mp4.partial");
  REQUIRE(partial);
  CHECK(partial->partial);

  for (const char* bad : {"nap-1/2026-11-20/081502.mp4", "nap-1/2026-11-20/251502-1.mp4",
                          "nap-1/2026-13-20/081502-1.mp4", "nap-1/2026-11-20/081502-x.mp4",
                          "nap-1/2026-11-20/081502-1.mkv", "2026-11-20/081502-1.mp4",
                          "nap-1/2026-11-20/sub/081502-1.mp4", "nap-1/2026-1-20/081502-1.mp4"}) {
    CAPTURE(bad);
    CHECK_FALSE(integrity::parse_segment_path(bad));
  }
  CHECK(integrity::is_segment_file_name("081502-1.mp4"));
  CHECK(integrity::is_segment_file_name("081502-1.mp4.partial"));
  CHECK_FALSE(integrity::is_segment_file_name(".081502-1.mp4"));
  CHECK_FALSE(integrity::is_segment_file_name("notes.txt"));
  CHECK(integrity::without_partial("a.mp4.partial") == "a.mp4");
}
