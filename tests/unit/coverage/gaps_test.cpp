// The pure gap finder on hand-made evidence: each cause, tolerance, redundancy, care
// boundaries, open segments and `now`.
#include <catch2/catch.hpp>

#include "coverage/gaps.hpp"
#include "helpers.hpp"

using namespace carekeep;
using namespace carekeep::test;
using coverage::CameraEvidence;
using coverage::Gap;
using coverage::SiteEvidence;
using coverage::ZoneQuery;
using index::SegmentState;

namespace {

// A camera recording [0, 600) in minute segments within one run, and a daemon up throughout.
CameraEvidence steady(const std::string& id) {
  CameraEvidence e;
  e.camera_id = id;
  e.runs.push_back(run(1, id, 0, 600, "stopped"));
  for (int m = 0; m < 10; ++m) e.segments.push_back(segment(m * 60.0, m * 60.0 + 60, SegmentState::Closed, false, 1));
  e.events.push_back(up(id, 0));
  return e;
}

SiteEvidence site_up() {
  SiteEvidence s;
  s.daemon_runs.push_back(daemon_run(0, 600));
  return s;
}

ZoneQuery query(std::vector<care::Interval> care = {care_between(0, 600)}, double tolerance = 2) {
  return ZoneQuery{"play", std::move(care),
                   std::chrono::duration_cast<Micros>(std::chrono::duration<double>(tolerance)), at(1000)};
}

// Cuts [from, to) out of the camera's footage, as an outage would, with a down event.
void outage(CameraEvidence& e, double from, double to, const std::string& cause) {
  std::vector<index::SegmentSpan> kept;
  for (auto s : e.segments) {
    if (s.end <= at(from) || s.start >= at(to)) {
      kept.push_back(s);
      continue;
    }
    if (s.start < at(from)) {
      auto left = s;
      left.end = at(from);
      kept.push_back(left);
    }
    if (s.end > at(to)) {
      auto right = s;
      right.start = at(to);
      kept.push_back(right);
    }
  }
  e.segments = kept;
  e.runs = {run(1, e.camera_id, 0, from, cause), run(2, e.camera_id, to, 600, "stopped")};
  e.events.push_back(down(e.camera_id, from, cause));
  e.events.push_back(up(e.camera_id, to));
}

std::vector<Gap> gaps_of(const ZoneQuery& q, std::vector<CameraEvidence> cameras, const SiteEvidence& site) {
  return coverage::find_gaps(q, cameras, site);
}

}  // namespace

TEST_CASE("continuous footage has no gap", "[coverage]") {
  CHECK(gaps_of(query(), {steady("play-1")}, site_up()).empty());
}

TEST_CASE("a camera outage is one gap with the event's cause", "[coverage]") {
  auto cam = steady("play-1");
  outage(cam, 100, 110, "refused");
  auto gaps = gaps_of(query(), {cam}, site_up());
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0].zone_id == "play");
  CHECK(gaps[0].start == at(100));
  CHECK(gaps[0].end == at(110));
  CHECK(gaps[0].cause == "camera_offline");
  CHECK(gaps[0].detail == "play-1: camera_offline (refused) 10.0 s");
}

TEST_CASE("the newest down cause explains the rest of the outage", "[coverage]") {
  auto cam = steady("play-1");
  outage(cam, 100, 110, "stream_ended");
  cam.events.push_back(down("play-1", 100.5, "refused"));
  auto gaps = gaps_of(query(), {cam}, site_up());
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0].cause == "camera_offline");
  CHECK(gaps[0].detail == "play-1: camera_offline (refused) 9.5 s, camera_offline (stream_ended) 0.5 s");
}

TEST_CASE("holes up to the tolerance are not gaps", "[coverage]") {
  auto cam = steady("play-1");
  outage(cam, 100, 102, "refused");
  CHECK(gaps_of(query(), {cam}, site_up()).empty());
  auto longer = steady("play-1");
  outage(longer, 100, 102.5, "refused");
  CHECK(gaps_of(query(), {longer}, site_up()).size() == 1);
  CHECK(gaps_of(query({care_between(0, 600)}, 5), {longer}, site_up()).empty());
}

TEST_CASE("a zone with two cameras has a gap only where both fail", "[coverage]") {
  auto a = steady("nap-1");
  auto b = steady("nap-2");
  outage(a, 100, 200, "refused");
  CHECK(gaps_of(query(), {a, b}, site_up()).empty());
  outage(b, 150, 250, "stalled");
  auto gaps = gaps_of(query(), {a, b}, site_up());
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0].start == at(150));
  CHECK(gaps[0].end == at(200));
  // 50 s each: a tie between camera_offline and stream_stalled goes to the stall (listed first).
  CHECK(gaps[0].cause == "stream_stalled");
  CHECK(gaps[0].detail == "nap-1: camera_offline (refused) 50.0 s; nap-2: stream_stalled (stalled) 50.0 s");
}

TEST_CASE("care boundaries split gaps exactly", "[coverage]") {
  auto cam = steady("play-1");
  outage(cam, 100, 300, "timeout");
  auto gaps = gaps_of(query({care_between(0, 150), care_between(250, 600)}), {cam}, site_up());
  REQUIRE(gaps.size() == 2);
  CHECK(gaps[0].start == at(100));
  CHECK(gaps[0].end == at(150));
  CHECK(gaps[1].start == at(250));
  CHECK(gaps[1].end == at(300));
  SECTION("outside care hours nothing is a gap") {
    CHECK(gaps_of(query({care_between(0, 90), care_between(310, 600)}), {cam}, site_up()).empty());
  }
  SECTION("a sliver shorter than the tolerance at a boundary is not a gap") {
    CHECK(gaps_of(query({care_between(0, 101)}), {cam}, site_up()).empty());
  }
}

TEST_CASE("the daemon not running is recorder_not_running for every camera", "[coverage]") {
  auto a = steady("nap-1");
  auto b = steady("nap-2");
  for (auto* e : {&a, &b}) {
    outage(*e, 200, 230, "stopped");
    e->events.clear();
  }
  SiteEvidence site;
  site.daemon_runs = {daemon_run(0, 200), daemon_run(230, std::nullopt)};
  auto gaps = gaps_of(query(), {a, b}, site);
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0].start == at(200));
  CHECK(gaps[0].end == at(230));
  CHECK(gaps[0].cause == "recorder_not_running");
  CHECK(gaps[0].detail == "nap-1: recorder_not_running 30.0 s; nap-2: recorder_not_running 30.0 s");
}

TEST_CASE("footage states give their causes", "[coverage]") {
  auto cam = steady("play-1");
  cam.segments[1].state = SegmentState::Damaged;  // a file that is there but cannot be read
  cam.segments[3].state = SegmentState::Damaged;
  cam.segments[3].file_missing = true;            // the index read "file missing at startup ..."
  cam.segments[5].state = SegmentState::Deleted;
  cam.segments[7].state = SegmentState::Deleting;
  auto gaps = gaps_of(query(), {cam}, site_up());
  REQUIRE(gaps.size() == 4);
  CHECK(gaps[0].cause == "footage_damaged");
  CHECK(gaps[0].start == at(60));
  CHECK(gaps[1].cause == "footage_missing");
  CHECK(gaps[1].detail == "play-1: footage_missing (file_missing) 60.0 s");
  CHECK(gaps[2].cause == "deleted");
  CHECK(gaps[3].cause == "deleted");
}

TEST_CASE("a run without its segment is footage_missing", "[coverage]") {
  auto cam = steady("play-1");
  cam.segments.erase(cam.segments.begin() + 2);
  auto gaps = gaps_of(query(), {cam}, site_up());
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0].cause == "footage_missing");
  CHECK(gaps[0].detail == "play-1: footage_missing (no_segment) 60.0 s");
}

TEST_CASE("a content fault makes footage unusable", "[coverage]") {
  auto a = steady("nap-1");
  a.content_faults.push_back({"black", at(300), at(400)});
  auto gaps = gaps_of(query(), {a}, site_up());
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0].cause == "content");
  CHECK(gaps[0].detail == "nap-1: content (black) 100.0 s");
  SECTION("a fault still lasting reaches now") {
    a.content_faults = {{"frozen", at(500), std::nullopt}};
    auto open = gaps_of(query(), {a}, site_up());
    REQUIRE(open.size() == 1);
    CHECK(open[0].end == at(600));
  }
  SECTION("another camera covers the zone meanwhile") {
    CHECK(gaps_of(query(), {a, steady("nap-2")}, site_up()).empty());
  }
}

TEST_CASE("a content gap's detail quotes the measured values of its fault", "[coverage]") {
  // Details as lib/content's Detector writes them (content_fault.detail).
  const std::string black =
      R"({"mean":16.0,"stddev":0.04,"gradient":0.0,"noise":0.0,"seconds_unchanged":0.0,)"
      R"("identical_keyframe":false,"change_threshold":0.6,"difference":null,"difference_vs_noise":null})";
  const std::string frozen =
      R"({"mean":120.5,"stddev":40.2,"gradient":9.1,"noise":0.0,"seconds_unchanged":61.5,)"
      R"("identical_keyframe":false,"change_threshold":0.6,"difference":0.12,"difference_vs_noise":null})";
  CHECK(coverage::content_values("black", black) == "black mean=16.0 stddev=0.0");
  CHECK(coverage::content_values("covered", R"({"mean":110.24,"stddev":3.12,"gradient":0.44})") ==
        "covered mean=110.2 stddev=3.1 gradient=0.4");
  CHECK(coverage::content_values("frozen", frozen) == "frozen unchanged=61.5s difference=0.1 threshold=0.6");
  CHECK(coverage::content_values("frozen", R"({"seconds_unchanged":60.0,"identical_keyframe":true,"difference":0.0})") ==
        "frozen unchanged=60.0s identical_keyframe");
  CHECK(coverage::content_values("black", "") == "black");
  CHECK(coverage::content_values("black", "not json") == "black");

  auto a = steady("nap-1");
  a.content_faults.push_back({"black", at(300), at(400), black});
  auto gaps = gaps_of(query(), {a}, site_up());
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0].cause == "content");
  CHECK(gaps[0].detail == "nap-1: content (black mean=16.0 stddev=0.0) 100.0 s");
}

TEST_CASE("a forward clock step is a clock_step gap and recording errors are named", "[coverage]") {
  auto cam = steady("play-1");
  outage(cam, 100, 160, "stream_ended");
  cam.events.clear();
  SiteEvidence site = site_up();
  site.clock_events.push_back(clock_step(160, 60));
  auto gaps = gaps_of(query(), {cam}, site);
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0].cause == "clock_step");

  auto disk = steady("play-1");
  outage(disk, 100, 160, "disk_error");
  auto errors = gaps_of(query(), {disk}, site_up());
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].cause == "recording_error");
}

TEST_CASE("an open segment covers until now and nothing after now is evaluated", "[coverage]") {
  CameraEvidence cam;
  cam.camera_id = "play-1";
  cam.runs.push_back(run(1, "play-1", 0, std::nullopt));
  cam.segments.push_back(segment(0, 0, SegmentState::Open, false, 1));
  SiteEvidence site;
  site.daemon_runs.push_back(daemon_run(0, std::nullopt));
  auto q = query();
  q.now = at(300);
  CHECK(gaps_of(q, {cam}, site).empty());
  SECTION("a crashed daemon's open segment ends with that daemon") {
    site.daemon_runs = {daemon_run(0, 100)};
    auto gaps = gaps_of(q, {cam}, site);
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0].start == at(100));
    CHECK(gaps[0].end == at(300));
    CHECK(gaps[0].cause == "recorder_not_running");
  }
}

TEST_CASE("a camera with no evidence at all is not connected", "[coverage]") {
  CameraEvidence cam;
  cam.camera_id = "play-9";
  auto gaps = gaps_of(query(), {cam}, site_up());
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0].start == at(0));
  CHECK(gaps[0].end == at(600));
  CHECK(gaps[0].detail == "play-9: camera_offline (not_connected) 600.0 s");
}

TEST_CASE("a down event from an earlier daemon run does not explain a later one", "[coverage]") {
  CameraEvidence cam;
  cam.camera_id = "play-1";
  cam.events.push_back(down("play-1", 10, "auth_failed"));
  SiteEvidence site;
  site.daemon_runs = {daemon_run(0, 100), daemon_run(100.5, 600)};
  auto pieces = coverage::camera_timeline(cam, site, at(0), at(600), at(1000));
  REQUIRE(pieces.size() == 4);
  CHECK(pieces[1].reason->sub == "auth_failed");
  CHECK(pieces[2].reason->cause == "recorder_not_running");
  CHECK(pieces[3].reason->sub == "not_connected");
}
