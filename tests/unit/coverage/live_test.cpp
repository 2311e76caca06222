// The live tracker: transitions for a zone losing and regaining coverage, redundancy,
// tolerance, care hours and content faults.
#include <catch2/catch.hpp>

#include "coverage/live.hpp"
#include "helpers.hpp"

using namespace carekeep;
using namespace carekeep::test;
using Type = coverage::LiveTracker::Transition::Type;

namespace {

// Care 00:00-00:10 and 00:20-01:00 UTC every day (kOrigin is 00:00).
config::Config live_config() {
  config::Config c;
  c.site.timezone = "UTC";
  for (auto& day : c.care_hours.weekly) {
    day = {config::parse_hour_range("00:00-00:10").value(), config::parse_hour_range("00:20-01:00").value()};
  }
  c.cameras = {{"play-1", "play-1", "rtsp://x/1"}, {"nap-1", "nap-1", "rtsp://x/2"}, {"nap-2", "nap-2", "rtsp://x/3"}};
  c.zones = {{"play", "活动室", {"play-1"}}, {"nap", "nap", {"nap-1", "nap-2"}}};
  return c;
}

coverage::LiveTracker tracker(const config::Config& c) {
  return coverage::LiveTracker(c, care::CareCalendar(c.care_hours, TimeZone::utc()), at(0));
}

}  // namespace

TEST_CASE("a zone losing its only camera in care hours is reported once and recovers", "[coverage]") {
  auto c = live_config();
  auto live = tracker(c);
  for (const auto& cam : c.cameras) live.camera_up(cam.id, at(0.5));
  CHECK(live.evaluate(at(5)).empty());

  live.camera_down("play-1", at(100), "stream_ended");
  live.camera_down("play-1", at(100.2), "refused");
  CHECK(live.evaluate(at(101)).empty());  // within the 2 s tolerance
  auto raised = live.evaluate(at(105));
  REQUIRE(raised.size() == 1);
  CHECK(raised[0].type == Type::Uncovered);
  CHECK(raised[0].zone_id == "play");
  CHECK(raised[0].since == at(100));
  CHECK(raised[0].message ==
        "zone play (活动室) has not been covered by any camera since 2025-11-20T00:01:40+00:00: play-1 camera_offline "
        "(refused)");
  CHECK(live.evaluate(at(110)).empty());  // reported once

  live.camera_up("play-1", at(112));
  auto resolved = live.evaluate(at(115));
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].type == Type::Covered);
  CHECK(resolved[0].message == "zone play is covered again by play-1");
}

TEST_CASE("a zone with a second camera stays covered", "[coverage]") {
  auto c = live_config();
  auto live = tracker(c);
  for (const auto& cam : c.cameras) live.camera_up(cam.id, at(0.5));
  live.camera_down("nap-1", at(100), "refused");
  CHECK(live.evaluate(at(130)).empty());
  live.content_fault_started("nap-2", "black", at(140));
  auto raised = live.evaluate(at(150));
  REQUIRE(raised.size() == 1);
  CHECK(raised[0].zone_id == "nap");
  CHECK(raised[0].since == at(140));
  CHECK(raised[0].message.ends_with("nap-1 camera_offline (refused); nap-2 content (black)"));
  live.content_fault_ended("nap-2", at(160));
  auto back = live.evaluate(at(161));
  REQUIRE(back.size() == 1);
  CHECK(back[0].type == Type::Covered);
}

TEST_CASE("nothing is raised outside care hours and care ending resolves", "[coverage]") {
  auto c = live_config();
  auto live = tracker(c);
  for (const auto& cam : c.cameras) live.camera_up(cam.id, at(0.5));
  live.camera_down("play-1", at(590), "stalled");
  auto raised = live.evaluate(at(595));
  REQUIRE(raised.size() == 1);
  CHECK(raised[0].message.ends_with("play-1 stream_stalled (stalled)"));
  auto ended = live.evaluate(at(601));  // care pauses at 00:10
  REQUIRE(ended.size() == 1);
  CHECK(ended[0].type == Type::Covered);
  CHECK(ended[0].message == "zone play is no longer in care hours");
  CHECK(live.evaluate(at(900)).empty());
  // Still down when care resumes at 00:20: raised again after the tolerance.
  CHECK(live.evaluate(at(1200.5)).size() == 1);
}

TEST_CASE("a camera that never connects leaves its zone uncovered from the start", "[coverage]") {
  auto c = live_config();
  auto live = tracker(c);
  live.camera_up("nap-1", at(1));
  auto raised = live.evaluate(at(5));
  REQUIRE(raised.size() == 1);
  CHECK(raised[0].zone_id == "play");
  CHECK(raised[0].since == at(0));
  CHECK(raised[0].message.ends_with("play-1 camera_offline (not_connected)"));
  auto zones = live.zones(at(5));
  REQUIRE(zones.size() == 2);
  CHECK_FALSE(zones[0].covered);
  CHECK(zones[0].alerting);
  CHECK(zones[1].covering == std::vector<std::string>{"nap-1"});
}

// ---- camera_offline (issue 17): a camera down in care hours, covered zone or not ----

namespace {
using CamType = coverage::LiveTracker::CameraTransition::Type;
}

TEST_CASE("a camera down in care hours is reported offline after the threshold even while its zone stays covered",
          "[coverage][camera_offline]") {
  auto c = live_config();  // camera_offline_seconds: the default 60
  auto live = tracker(c);
  for (const auto& cam : c.cameras) live.camera_up(cam.id, at(0.5));
  CHECK(live.evaluate_cameras(at(5)).empty());

  live.camera_down("nap-1", at(100), "refused");
  for (double t = 105; t < 160; t += 5) {
    CHECK(live.evaluate_cameras(at(t)).empty());
    CHECK(live.evaluate(at(t)).empty());  // nap-2 still covers the zone: no zone_uncovered
  }
  auto raised = live.evaluate_cameras(at(160));
  REQUIRE(raised.size() == 1);
  CHECK(raised[0].type == CamType::Offline);
  CHECK(raised[0].camera_id == "nap-1");
  CHECK(raised[0].cause == "refused");
  CHECK(raised[0].message ==
        "camera nap-1 has been offline since 2025-11-20T00:01:40+00:00 (refused); zone nap is still covered by "
        "another camera: check its power and network cable");
  CHECK(live.evaluate_cameras(at(200)).empty());  // once per episode

  live.camera_up("nap-1", at(210));
  CHECK(live.evaluate_cameras(at(230)).empty());  // recording, not yet for 30 s
  auto back = live.evaluate_cameras(at(240));
  REQUIRE(back.size() == 1);
  CHECK(back[0].type == CamType::Online);
  CHECK(back[0].message == "camera nap-1 has been recording again since 2025-11-20T00:03:30+00:00");
}

TEST_CASE("a flapping camera is one camera_offline episode whose down time adds up", "[coverage][camera_offline]") {
  auto c = live_config();
  auto live = tracker(c);
  for (const auto& cam : c.cameras) live.camera_up(cam.id, at(0.5));
  std::vector<coverage::LiveTracker::CameraTransition> all;
  // Down 4 s, up 4 s, for 4 minutes: never down 60 s in one go, but half the time lost.
  double t = 100;
  for (int i = 0; i < 30; ++i, t += 8) {
    live.camera_down("play-1", at(t), "stream_ended");
    for (auto& x : live.evaluate_cameras(at(t + 2))) all.push_back(x);
    live.camera_up("play-1", at(t + 4));
    for (auto& x : live.evaluate_cameras(at(t + 6))) all.push_back(x);
  }
  REQUIRE(all.size() == 1);
  CHECK(all[0].type == CamType::Offline);
  CHECK(all[0].message.find("outages in a row") != std::string::npos);
  CHECK(all[0].message.find("zone play has no other camera recording") != std::string::npos);
  // Steady again: one Online once it has recorded 30 s without a break.
  CHECK(live.evaluate_cameras(at(t + 10)).empty());
  auto back = live.evaluate_cameras(at(t + 40));
  REQUIRE(back.size() == 1);
  CHECK(back[0].type == CamType::Online);
}

TEST_CASE("camera_offline counts only care time, and short reconnects never alert", "[coverage][camera_offline]") {
  auto c = live_config();  // care 00:00-00:10 and 00:20-01:00
  auto live = tracker(c);
  for (const auto& cam : c.cameras) live.camera_up(cam.id, at(0.5));
  // Down from 00:09:30: 30 s in care, then out of care until 00:20, then 25 s more: 55 s < 60.
  live.camera_down("nap-2", at(570), "timeout");
  for (double t = 575; t <= 1225; t += 5) CHECK(live.evaluate_cameras(at(t)).empty());
  auto raised = live.evaluate_cameras(at(1235));  // 30 s before the break and 35 s after it (one interval of slack)
  REQUIRE(raised.size() == 1);
  CHECK(raised[0].cause == "timeout");

  // A reconnect of 2 s, three times an hour, is ordinary: no alert.
  live.camera_up("nap-2", at(1240));
  CHECK(live.evaluate_cameras(at(1275)).size() == 1);  // the episode above ends
  for (double t = 1300; t < 3000; t += 600) {
    live.camera_down("nap-2", at(t), "stream_ended");
    CHECK(live.evaluate_cameras(at(t + 1)).empty());
    live.camera_up("nap-2", at(t + 2));
    for (double u = t + 5; u < t + 60; u += 5) CHECK(live.evaluate_cameras(at(u)).empty());
  }
}

TEST_CASE("a camera that never connected is offline, and a camera removed by a reload is closed",
          "[coverage][camera_offline]") {
  auto c = live_config();
  c.alerts.camera_offline_seconds = 10;
  auto live = tracker(c);
  live.camera_up("play-1", at(1));
  live.camera_up("nap-1", at(1));
  CHECK(live.evaluate_cameras(at(5)).empty());
  auto raised = live.evaluate_cameras(at(10));
  REQUIRE(raised.size() == 1);
  CHECK(raised[0].camera_id == "nap-2");
  CHECK(raised[0].cause == "not_connected");

  c.cameras.pop_back();  // nap-2 removed
  c.zones[1].cameras = {"nap-1"};
  live.reconfigure(c, care::CareCalendar(c.care_hours, TimeZone::utc()));
  auto closed = live.evaluate_cameras(at(15));
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].type == CamType::Online);
  CHECK(closed[0].message == "camera nap-2 was removed from the configuration");
}
