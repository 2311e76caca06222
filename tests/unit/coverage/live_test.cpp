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
