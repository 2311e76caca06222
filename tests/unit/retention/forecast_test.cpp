// The capacity forecast: days of care footage the storage holds at the observed rate.
#include <catch2/catch.hpp>

#include <array>

#include "helpers.hpp"
#include "index/index.hpp"
#include "retention/forecast.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {
constexpr std::uint64_t kGB = 1'000'000'000;
}

TEST_CASE("the forecast divides usable space by care footage per calendar day", "[retention][forecast]") {
  // 10 care hours every day at 1 MB/s = 36 GB a day; 1 TB disk, 5 % headroom.
  config::CareHours hours;
  for (auto& day : hours.weekly) day = test::ranges({"08:00-18:00"});
  care::CareCalendar calendar{hours, TimeZone::utc()};
  config::Retention retention;
  retention.other_days = 0;  // no reserve: the arithmetic below stays exact
  std::array<index::FootageRate, 1> rates{{{"nap-1", 3600 * 1'000'000LL, 3600s, 0, 0s}}};
  retention::StorageState storage{1000 * kGB, 500 * kGB, 400 * kGB};
  auto f = retention::forecast(rates, storage, retention, calendar, test::utc("2026-11-18T00:00:00Z"));
  CHECK(f.capacity_bytes == 850 * kGB);  // 400 + 500 - 50
  CHECK(f.care_seconds_per_day == Approx(36000));
  CHECK(f.care_bytes_per_day == Approx(36e9));
  REQUIRE(f.care_days);
  CHECK(*f.care_days == Approx(850.0 / 36));
  CHECK(retention::describe(f, retention).find("are required: add storage") != std::string::npos);

  SECTION("max_bytes caps the capacity") {
    retention.max_bytes = 100 * kGB;
    auto capped = retention::forecast(rates, storage, retention, calendar, test::utc("2026-11-18T00:00:00Z"));
    CHECK(capped.capacity_bytes == 100 * kGB);
  }
  SECTION("footage outside care hours is reserved for other_days") {
    retention.other_days = 7;
    std::array<index::FootageRate, 1> both{{{"nap-1", 3600 * 1'000'000LL, 3600s, 3600 * 500'000LL, 3600s}}};
    auto g = retention::forecast(both, storage, retention, calendar, test::utc("2026-11-18T00:00:00Z"));
    CHECK(g.other_reserve_bytes == Approx(7 * 14 * 3600 * 500'000.0));
    REQUIRE(g.care_days);
    CHECK(*g.care_days < *f.care_days);
  }
  SECTION("nothing recorded: no forecast") {
    auto none = retention::forecast({}, storage, retention, calendar, test::utc("2026-11-18T00:00:00Z"));
    CHECK_FALSE(none.care_days);
  }
}

TEST_CASE("footage rates and the newest footage come from a real index", "[retention][forecast][db]") {
  test::TempDir dir;
  auto index = index::Index::open_writer(dir / "index.db").value();
  const auto t0 = test::utc("2026-11-18T08:00:00Z");
  const std::array<index::ConfiguredCamera, 2> cameras{{{"nap-1", "nap"}, {"play", "play"}}};
  REQUIRE(index.sync_cameras(cameras, t0));
  CHECK_FALSE(index.newest_segment_end().value());
  auto daemon = index.begin_daemon_run({t0, "0.1.0", 1, "nvr"}).value();
  auto run = index.begin_run("nap-1", daemon, t0).value();
  for (int i = 0; i < 3; ++i) {
    auto start = t0 + std::chrono::minutes(i);
    auto id = index.insert_open_segment({"nap-1", run, i, start, "nap-1/" + std::to_string(i) + ".mp4", start}).value();
    index::ClosedSegment closed;
    closed.duration = 60s;
    closed.size_bytes = 1000;
    closed.video_codec = "h264";
    closed.protect_until = i < 2 ? std::optional<UtcTime>(start + std::chrono::days(91)) : std::nullopt;
    closed.closed = start + 60s;
    REQUIRE(index.close_segment(id, closed));
  }
  auto rates = index.footage_rates({t0 - 1h, t0 + 1h}).value();
  REQUIRE(rates.size() == 1);  // play has no footage
  CHECK(rates[0].camera_id == "nap-1");
  CHECK(rates[0].care_bytes == 2000);
  CHECK(rates[0].care_duration == 120s);
  CHECK(rates[0].other_bytes == 1000);
  CHECK(rates[0].other_duration == 60s);
  CHECK(index.newest_segment_end().value() == t0 + 3min);
}
