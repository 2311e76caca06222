// The coverage checker over a real index file: evidence written through the index API the
// daemon uses, gaps computed, stored in zone_gap and recomputed over part of the range.
#include <catch2/catch.hpp>

#include "coverage/compute.hpp"
#include "helpers.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace carekeep::test;
using namespace std::chrono_literals;

namespace {

config::Config site_config() {
  config::Config c;
  c.site.name = "test";
  c.site.timezone = "UTC";
  // kOrigin is a Thursday 00:00 UTC: care 00:00-00:10 and 00:20-01:00.
  for (auto& day : c.care_hours.weekly) {
    day = {config::parse_hour_range("00:00-00:10").value(), config::parse_hour_range("00:20-01:00").value()};
  }
  c.cameras = {{"play-1", "play-1", "rtsp://x/1"}, {"nap-1", "nap-1", "rtsp://x/2"}, {"nap-2", "nap-2", "rtsp://x/3"}};
  c.zones = {{"play", "活动室", {"play-1"}}, {"nap", "nap", {"nap-1", "nap-2"}}};
  return c;
}

struct Site {
  TempDir dir;
  index::Index index = index::Index::open_writer(dir / "index.db").value();
  config::Config config = site_config();
  care::CareCalendar calendar{config.care_hours, TimeZone::utc()};
  index::DaemonRunId daemon = 0;
  int file = 0;

  Site() {
    std::vector<index::ConfiguredCamera> cameras;
    for (const auto& c : config.cameras) cameras.push_back({c.id, c.name});
    REQUIRE(index.sync_cameras(cameras, at(0)));
    daemon = index.begin_daemon_run({at(0), "test", 1, "box"}).value();
  }

  // One run of `camera` over [from, to) in 60 s segments, ended with `cause` and its down event.
  void record(const std::string& camera, double from, double to, const std::string& cause) {
    auto run = index.begin_run(camera, daemon, at(from)).value();
    REQUIRE(index.insert_camera_event({0, camera, at(from), index::CameraEventKind::Up, "", ""}));
    std::int64_t seq = 0;
    for (double t = from; t < to; t += 60) {
      double end = std::min(to, t + 60);
      auto id = index.insert_open_segment({camera, run, seq++, at(t), camera + "/" + std::to_string(file++) + ".mp4", at(t)})
                    .value();
      index::ClosedSegment closed;
      closed.duration = at(end) - at(t);
      closed.closed = at(end);
      REQUIRE(index.close_segment(id, closed));
    }
    REQUIRE(index.end_run(run, at(to), cause));
    REQUIRE(index.insert_camera_event({0, camera, at(to), index::CameraEventKind::Down, cause, ""}));
  }
};

}  // namespace

TEST_CASE("gaps are computed from the index, stored and recomputed in part", "[coverage][db]") {
  Site s;
  s.record("play-1", 0, 1190, "stream_ended");
  REQUIRE(s.index.insert_camera_event({0, "play-1", at(1190.5), index::CameraEventKind::Down, "refused", ""}));
  s.record("play-1", 1215, 3600, "stopped");
  s.record("nap-1", 0, 2000, "refused");
  s.record("nap-2", 0, 3600, "stopped");
  REQUIRE(s.index.end_daemon_run(s.daemon, at(3600), "signal"));

  index::TimeRange hour{at(0), at(3600)};
  auto gaps = coverage::compute_gaps(s.index, s.config, s.calendar, hour, std::nullopt, true, at(4000));
  REQUIRE(gaps);
  REQUIRE(gaps->size() == 1);
  const auto& g = (*gaps)[0];
  CHECK(g.zone_id == "play");
  CHECK(g.start == at(1200));  // the outage began at 1190 s, outside care; care resumed at 00:20
  CHECK(g.end == at(1215));
  CHECK(g.cause == "camera_offline");
  CHECK(g.detail == "play-1: camera_offline (refused) 15.0 s");

  auto stored = s.index.zone_gaps(hour);
  REQUIRE(stored);
  REQUIRE(stored->size() == 1);
  CHECK((*stored)[0].start == at(1200));
  CHECK((*stored)[0].computed == at(4000));

  SECTION("a recomputation of part of a gap keeps it one row") {
    auto part = coverage::compute_gaps(s.index, s.config, s.calendar, {at(1210), at(1300)}, "play", true, at(5000));
    REQUIRE(part);
    REQUIRE(part->size() == 1);
    CHECK((*part)[0].start == at(1210));
    auto again = s.index.zone_gaps(hour).value();
    REQUIRE(again.size() == 1);
    CHECK(again[0].start == at(1200));
    CHECK(again[0].end == at(1215));
  }
  SECTION("gaps that are gone are removed from the range") {
    // Footage found later (an adopted file) closes the hole.
    auto run = s.index.begin_run("play-1", s.daemon, at(1190)).value();
    auto id = s.index.insert_open_segment({"play-1", run, 0, at(1190), "play-1/late.mp4", at(1190)}).value();
    index::ClosedSegment closed;
    closed.duration = 25s;
    closed.closed = at(1215);
    REQUIRE(s.index.close_segment(id, closed));
    auto none = coverage::compute_gaps(s.index, s.config, s.calendar, hour, std::nullopt, true, at(5000));
    REQUIRE(none);
    CHECK(none->empty());
    CHECK(s.index.zone_gaps(hour).value().empty());
  }
  SECTION("coverage by day counts care time and covered time") {
    auto days = coverage::coverage_by_day(s.index, s.config, s.calendar, hour, std::nullopt, false, at(4000));
    REQUIRE(days);
    REQUIRE(days->size() == 2);
    CHECK((*days)[0].zone_id == "play");
    CHECK((*days)[0].local_date == "2025-11-20");
    CHECK((*days)[0].care == 3000s);
    CHECK((*days)[0].covered == 2985s);
    CHECK((*days)[1].zone_id == "nap");
    CHECK((*days)[1].covered == 3000s);
  }
  SECTION("an unknown zone is named with the closest one") {
    auto bad = coverage::compute_gaps(s.index, s.config, s.calendar, hour, "plya", false, at(4000));
    REQUIRE_FALSE(bad);
    CHECK(bad.error().kind == ErrorKind::NotFound);
    CHECK(bad.error().message == "unknown zone \"plya\"; did you mean \"play\"?");
  }
}

TEST_CASE("the index's view of coverage now names the covering cameras", "[coverage][db]") {
  Site s;
  auto run = s.index.begin_run("nap-1", s.daemon, at(0)).value();
  REQUIRE(s.index.insert_open_segment({"nap-1", run, 0, at(0), "nap-1/0.mp4", at(0)}));
  s.record("play-1", 0, 100, "refused");
  REQUIRE(s.index.mark_daemon_alive(s.daemon, at(290)));
  auto zones = coverage::zones_now(s.index, s.config, at(300));
  REQUIRE(zones);
  REQUIRE(zones->size() == 2);
  CHECK((*zones)[0].zone_id == "play");
  CHECK_FALSE((*zones)[0].covered);
  REQUIRE((*zones)[0].cameras[0].reason);
  CHECK((*zones)[0].cameras[0].reason->sub == "refused");
  CHECK((*zones)[1].covered);
  CHECK((*zones)[1].cameras[0].covering);
  CHECK_FALSE((*zones)[1].cameras[1].covering);
  SECTION("a daemon that stopped proving it is alive covers nothing") {
    auto later = coverage::zones_now(s.index, s.config, at(400));
    REQUIRE(later);
    CHECK_FALSE((*later)[1].covered);
    CHECK((*later)[1].cameras[0].reason->cause == "recorder_not_running");
  }
}

TEST_CASE("a long range read on several connections gives the gaps of one connection", "[coverage][db]") {
  // Three days of minute segments (past kParallelFrom, so compute_gaps reads the cameras on
  // extra read-only connections when the machine has more than one core) with outages in care
  // time: play-1 alone on day 2, nap-1 and nap-2 overlapping on day 3.
  Site s;
  constexpr double kDay = 86400;
  {
    auto tx = s.index.transaction().value();
    s.record("play-1", 0, kDay + 1500, "refused");
    s.record("play-1", kDay + 1800, 3 * kDay, "stopped");
    s.record("nap-1", 0, 2 * kDay + 1300, "refused");
    s.record("nap-1", 2 * kDay + 1700, 3 * kDay, "stopped");
    s.record("nap-2", 0, 2 * kDay + 1500, "timeout");
    s.record("nap-2", 2 * kDay + 2000, 3 * kDay, "stopped");
    REQUIRE(tx.commit());
  }
  REQUIRE(s.index.end_daemon_run(s.daemon, at(3 * kDay), "signal"));
  const index::TimeRange days{at(0), at(3 * kDay)};
  auto several = coverage::compute_gaps(s.index, s.config, s.calendar, days, std::nullopt, false, at(4 * kDay));
  REQUIRE(several);
  std::vector<coverage::Gap> one;
  {
    // Other connections cannot see what an open transaction wrote, so with one open the
    // caller's connection reads every camera itself.
    auto tx = s.index.transaction().value();
    one = coverage::compute_gaps(s.index, s.config, s.calendar, days, std::nullopt, false, at(4 * kDay)).value();
  }
  auto text = [](const std::vector<coverage::Gap>& gaps) {
    std::vector<std::string> out;
    for (const auto& g : gaps) {
      out.push_back(g.zone_id + " " + format_utc_iso(g.start) + " " + format_utc_iso(g.end) + " " + g.cause + " " +
                    g.detail);
    }
    return out;
  };
  CHECK(text(*several) == text(one));
  REQUIRE(one.size() == 2);  // by zone id, then start
  CHECK(one[0].zone_id == "nap");
  CHECK(one[0].start == at(2 * kDay + 1500));
  CHECK(one[0].end == at(2 * kDay + 1700));
  CHECK(one[0].detail == "nap-1: camera_offline (refused) 200.0 s; nap-2: camera_offline (timeout) 200.0 s");
  CHECK(one[1].zone_id == "play");
  CHECK(one[1].start == at(kDay + 1500));
  CHECK(one[1].end == at(kDay + 1800));
}
