// The index's content_fault table (migration 0003): insert, end, list by range, the schema's
// checks, and closing what a stopped or crashed daemon left open (docs/coverage.md, Content checks).
#include <catch2/catch.hpp>

#include <array>
#include <string>

#include "index/index.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using index::Index;

namespace {

const UtcTime kT0 = from_us(1'795'000'000'000'000);  // 2026-11-18

struct Faults {
  test::TempDir dir;
  Index index = Index::open_writer(dir / "index.db").value();
  Faults() {
    const std::array<index::ConfiguredCamera, 2> cameras{{{"nap-1", "午睡室 1"}, {"play", "play"}}};
    REQUIRE(index.sync_cameras(cameras, kT0));
  }
};

}  // namespace

TEST_CASE("content faults are stored, ended and listed by overlap with a range", "[db]") {
  Faults f;
  auto black = f.index.insert_content_fault("nap-1", "black", kT0 + 10s, R"({"mean":16.2})");
  REQUIRE(black);
  auto frozen = f.index.insert_content_fault("nap-1", "frozen", kT0 + 100s, "{}");
  REQUIRE(frozen);
  REQUIRE(f.index.insert_content_fault("play", "covered", kT0 + 10s, "{}"));
  REQUIRE(f.index.end_content_fault(*black, kT0 + 40s));

  auto all = f.index.content_faults("nap-1", {kT0, kT0 + 1000s});
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].kind == "black");
  CHECK((*all)[0].start == kT0 + 10s);
  CHECK((*all)[0].end == kT0 + 40s);
  CHECK((*all)[0].detail == R"({"mean":16.2})");
  CHECK((*all)[1].kind == "frozen");
  CHECK_FALSE((*all)[1].end.has_value());

  // The ended fault is outside [40 s, 50 s): half-open on both sides.
  auto later = f.index.content_faults("nap-1", {kT0 + 40s, kT0 + 50s});
  REQUIRE(later);
  CHECK(later->empty());
  // An open fault reaches +infinity.
  auto far = f.index.content_faults("nap-1", {kT0 + 1h, kT0 + 2h});
  REQUIRE(far);
  REQUIRE(far->size() == 1);
  CHECK(far->front().id == *frozen);

  // Ending twice is refused: only open faults end.
  auto again = f.index.end_content_fault(*black, kT0 + 50s);
  REQUIRE_FALSE(again);
  CHECK(again.error().kind == ErrorKind::NotFound);
}

TEST_CASE("the content_fault table refuses unknown kinds, cameras and non-JSON detail", "[db]") {
  Faults f;
  CHECK_FALSE(f.index.insert_content_fault("nap-1", "blurry", kT0, "{}"));
  CHECK_FALSE(f.index.insert_content_fault("nobody", "black", kT0, "{}"));
  CHECK_FALSE(f.index.insert_content_fault("nap-1", "black", kT0, "mean=3"));
  auto rows = f.index.content_faults("nap-1", {kT0 - 1h, kT0 + 1h});
  REQUIRE(rows);
  CHECK(rows->empty());
}

TEST_CASE("open content faults are ended together, never before their start", "[db]") {
  Faults f;
  auto a = f.index.insert_content_fault("nap-1", "black", kT0, "{}").value();
  auto b = f.index.insert_content_fault("play", "frozen", kT0 + 30s, "{}").value();
  auto ended = f.index.end_open_content_faults(kT0 + 20s);
  REQUIRE(ended);
  CHECK(*ended == 2);
  auto nap = f.index.content_faults("nap-1", {kT0 - 1h, kT0 + 1h}).value();
  auto play = f.index.content_faults("play", {kT0 - 1h, kT0 + 1h}).value();
  REQUIRE(nap.size() == 1);
  REQUIRE(play.size() == 1);
  CHECK(nap[0].id == a);
  CHECK(nap[0].end == kT0 + 20s);
  CHECK(play[0].id == b);
  CHECK(play[0].end == kT0 + 30s);  // clamped to its start: an interval never runs backwards
  CHECK(f.index.end_open_content_faults(kT0 + 1h).value() == 0);
}
