#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "status/status.hpp"

using namespace carekeep;
using Json = nlohmann::json;

namespace {

status::DaemonStatus sample() {
  status::DaemonStatus s;
  s.pid = 4242;
  s.daemon_run = 7;
  s.updated = from_us(1'800'000'000'000'000);
  s.running = true;
  status::CameraLive live;
  live.since = from_us(1'799'999'000'000'000);
  live.bitrate_bps = 2'000'000;
  live.fps = 12.5;
  live.bytes = 123456789;
  live.frames = 9999;
  live.reconnects = 2;
  live.codec = "h264";
  live.width = 1920;
  live.height = 1080;
  live.last_segment = "nap/2027/01/15/x.mp4";
  s.cameras.push_back({"nap", "午睡室", true, true, live});
  status::CameraLive down;
  down.cause = "timeout";
  down.reason = "the camera stopped sending";
  down.detail = "read timed out";
  s.cameras.push_back({"yard", "Yard", true, false, down});
  s.cameras.push_back({"off", "Off", false, false, std::nullopt});
  s.disk = status::Disk{1000, 400};
  s.forecast_care_days = 41.5;
  alerts::Alert a;
  a.id = 3;
  a.kind = std::string(alerts::kZoneUncovered);
  a.subject = "play";
  a.severity = alerts::Severity::Warning;
  a.message = "play room not covered";
  a.raised = from_us(1'799'999'500'000'000);
  a.last_seen = from_us(1'799'999'900'000'000);
  s.alerts.push_back(a);
  s.zones = status::zones_covered({"nap", "play"}, s.alerts);
  s.web = status::Web{"0.0.0.0:8443", 8443, true, "AB:CD"};
  return s;
}

}  // namespace

TEST_CASE("status: to_json then from_json gives back every typed field", "[status]") {
  auto s = sample();
  Json json = Json::object();
  json["retention"] = {{"owned", "elsewhere"}};  // a section another module owns is kept
  status::to_json(s, TimeZone::locate("Asia/Shanghai").value(), json);
  CHECK(json["retention"]["owned"] == "elsewhere");
  CHECK(json["updated"] == "2027-01-15T16:00:00+08:00");
  CHECK(json["cameras"][2].contains("bitrate_bps") == false);  // disabled: no recorder keys
  CHECK(json["cameras"][1]["cause"] == "timeout");
  CHECK(json["cameras"][0]["cause"].is_null());
  auto back = status::parse(json.dump());
  REQUIRE(back);
  CHECK(back->pid == 4242);
  CHECK(back->daemon_run == 7);
  CHECK(back->updated == s.updated);
  CHECK(back->running);
  REQUIRE(back->cameras.size() == 3);
  CHECK(back->cameras[0].name == "午睡室");
  REQUIRE(back->cameras[0].live);
  CHECK(back->cameras[0].live->since == s.cameras[0].live->since);
  CHECK(back->cameras[0].live->bitrate_bps == 2'000'000);
  CHECK(back->cameras[0].live->fps == 12.5);
  CHECK(back->cameras[0].live->last_segment == "nap/2027/01/15/x.mp4");
  CHECK(back->cameras[1].live->cause == "timeout");
  CHECK(!back->cameras[2].live);
  CHECK(!back->cameras[2].enabled);
  REQUIRE(back->zones.size() == 2);
  CHECK(back->zones[0].covered);
  CHECK_FALSE(back->zones[1].covered);
  REQUIRE(back->disk);
  CHECK(back->disk->free_bytes == 400);
  CHECK(back->forecast_care_days == 41.5);
  REQUIRE(back->alerts.size() == 1);
  CHECK(back->alerts[0].kind == "zone_uncovered");
  CHECK(back->alerts[0].raised == s.alerts[0].raised);
  REQUIRE(back->web);
  CHECK(back->web->fingerprint_sha256 == "AB:CD");
  CHECK(back->find_camera("yard") != nullptr);
  CHECK(back->find_camera("nope") == nullptr);
}

TEST_CASE("status: an older file without the new keys reads with defaults", "[status]") {
  auto back = status::parse(R"({"pid": 1, "updated_us": 5, "cameras": [{"camera": "c", "up": true}], "disk": null})");
  REQUIRE(back);
  CHECK(back->cameras.size() == 1);
  CHECK(back->cameras[0].up);
  CHECK(!back->disk);
  CHECK(!back->forecast_care_days);
  CHECK(!back->web);
  CHECK(back->zones.empty());
}

TEST_CASE("status: a camera's since without since_us (an older daemon) is read from its ISO text", "[status]") {
  auto back = status::parse(
      R"({"cameras": [{"camera": "c", "up": true, "since": "2026-11-20T08:05:00+08:00", "bitrate_bps": 1}]})");
  REQUIRE(back);
  REQUIRE(back->cameras[0].live);
  REQUIRE(back->cameras[0].live->since);
  CHECK(format_utc_iso(*back->cameras[0].live->since) == "2026-11-20T00:05:00Z");
}

TEST_CASE("status: hostile or broken status text is refused with the key named", "[status]") {
  CHECK(!status::parse("not json"));
  CHECK(!status::parse("[1,2]"));
  auto wrong = status::parse(R"({"pid": "one"})");
  REQUIRE(!wrong);
  CHECK(wrong.error().message.find("pid") != std::string::npos);
  auto camera = status::parse(R"({"cameras": [{"camera": 5}]})");
  REQUIRE(!camera);
  CHECK(camera.error().message.find("camera") != std::string::npos);
  CHECK(!status::parse(R"({"cameras": [1]})"));
  CHECK(!status::parse(R"({"cameras": {}})"));
  CHECK(!status::parse(R"({"alerts": [{"id": 1}]})"));
  CHECK(!status::parse(R"({"disk": {"free_bytes": -1}})"));
  CHECK(!status::parse(R"({"web": {"port": 70000}})"));
}

TEST_CASE("status: status.json sits beside the index", "[status]") {
  CHECK(status::status_path("/var/lib/carekeep/index.db") == "/var/lib/carekeep/status.json");
}
