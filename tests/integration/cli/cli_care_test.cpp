// `carekeep care start|stop|list` through a real carekeepd (issue 17, ad-hoc care): the session
// is written as the daemon's user, seen by the daemon within a second, keeps its footage 90
// days in `retention --dry-run` although the schedule has no care that day, is refused twice,
// ends by itself at its limit with an alert, and stays in the box chain.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "index/index.hpp"
#include "support/recording.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

test::CommandRun carekeep_cli(const std::filesystem::path& config, const std::string& args) {
  return test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + config.string() + " " + args);
}

// No scheduled care on any day: every second of care here is ad hoc. The camera's URL answers
// nothing (port 1), so the daemon records nothing and the test writes the segment rows.
struct Site {
  test::TempDir dir;
  std::filesystem::path config = dir / "carekeep.toml";
  std::filesystem::path database = dir / "data" / "index.db";
  test::DaemonProcess carekeepd{CAREKEEPD_BIN, config, dir / "daemon.log"};

  Site() {
    test::write_text(config, R"([site]
name = "阳光家庭托育点"
timezone = "Asia/Shanghai"
storage = ")" + (dir / "media").string() + R"("
database = ")" + database.string() + R"("
[access]
socket = ")" + (dir / "control.sock").string() + R"("
[retention]
min_free_percent = 0
[care_hours]
adhoc_max_hours = 2
[[camera]]
id = "front"
name = "前门"
url = "rtsp://127.0.0.1:1/front"
[[zone]]
id = "rooms"
cameras = ["front"]
)");
    std::filesystem::create_directories(dir / "media");
    std::filesystem::create_directories(database.parent_path());
    carekeepd.start();
    REQUIRE(carekeepd.wait_for_log("control_listening", 20s));
  }

  // A closed 60 s segment of "front" starting at `start`, as the daemon would have closed it
  // outside care hours: no protection stored.
  void add_segment(const std::string& path, UtcTime start) {
    auto index = index::Index::open_writer(database).value();
    auto daemon = index.begin_daemon_run({start, "test", 1, "test"}).value();
    auto run = index.begin_run("front", daemon, start).value();
    auto id = index.insert_open_segment({"front", run, 0, start, path, start}).value();
    index::ClosedSegment c;
    c.duration = 60s;
    c.size_bytes = 1'000'000;
    c.frames = 1500;
    c.keyframes = 30;
    c.video_codec = "h264";
    c.width = 1920;
    c.height = 1080;
    c.closed = start + 60s;
    REQUIRE(index.close_segment(id, c));
    REQUIRE(index.end_run(run, start + 60s, "stopped"));
    REQUIRE(index.end_daemon_run(daemon, start + 60s, "stopped"));
  }
};

std::vector<std::string> deleted_paths(const json& dry) {
  std::vector<std::string> out;
  for (const auto& d : dry.at("delete")) out.push_back(d.at("path").get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("an ad-hoc care session through carekeepd keeps its footage 90 days, once, and is chained", "[cli]") {
  Site site;
  auto none = carekeep_cli(site.config, "care stop");
  CHECK(none.exit_code == 3);
  CHECK(none.err.find("no care session is open") != std::string::npos);
  CHECK(json::parse(carekeep_cli(site.config, "care list --json").out).empty());

  auto started = carekeep_cli(site.config, "care start --note 计时托 --json");
  INFO(started.err);
  REQUIRE(started.exit_code == 0);
  auto session = json::parse(started.out);
  CHECK(session.at("id") == 1);
  CHECK(session.at("open") == true);
  CHECK(session.at("note") == "计时托");
  CHECK(session.at("start").get<std::string>().ends_with("+08:00"));
  auto twice = carekeep_cli(site.config, "care start");
  CHECK(twice.exit_code == 3);
  CHECK(twice.err.find("is still open; stop it first") != std::string::npos);
  CHECK(twice.err.find("+08:00") != std::string::npos);
  // The daemon rebuilds its calendars with the session.
  CHECK(site.carekeepd.wait_for_log("care_sessions_changed", 10s));

  // Footage recorded into the session (the minute that was being recorded when it started),
  // and an hour before it; the schedule has no care.
  auto index = index::Index::open_reader(site.database).value();
  auto open = index.open_care_session().value();
  REQUIRE(open);
  site.add_segment("front/during.mp4", open->started - 30s);
  site.add_segment("front/before.mp4", open->started - 1h);
  auto stopped = carekeep_cli(site.config, "care stop");
  INFO(stopped.err);
  REQUIRE(stopped.exit_code == 0);
  CHECK(stopped.out.find("care session 1 from") != std::string::npos);
  CHECK(site.carekeepd.wait_for_log("care_sessions_changed", 10s, 2));

  // Ten days on, the footage outside care has expired (other_days 7); the session's is kept
  // until 90 days after the session ended.
  auto ten_days = format_utc_iso(open->started + std::chrono::days{10});
  auto dry = carekeep_cli(site.config, "retention --dry-run --json --now " + ten_days);
  INFO(dry.err);
  REQUIRE(dry.exit_code == 0);
  auto plan = json::parse(dry.out);
  CHECK(deleted_paths(plan) == std::vector<std::string>{"front/before.mp4"});
  REQUIRE(plan.at("protected").at("care_sessions").size() == 1);
  CHECK(plan.at("protected").at("care_sessions")[0].at("open") == false);
  // Ninety-one days on, it goes too, as protected footage whose protection ended.
  auto later = carekeep_cli(site.config, "retention --dry-run --json --now " +
                                             format_utc_iso(open->started + std::chrono::days{91}));
  REQUIRE(later.exit_code == 0);
  CHECK(deleted_paths(json::parse(later.out)).size() == 2);

  auto list = json::parse(carekeep_cli(site.config, "care list --json").out);
  REQUIRE(list.size() == 1);
  CHECK(list[0].at("open") == false);
  CHECK(list[0].at("end_reason") == "stopped");
  CHECK_FALSE(list[0].at("stopped_by").get<std::string>().empty());
  auto access = carekeep_cli(site.config, "access-log --json");
  CHECK(access.out.find("care_start") != std::string::npos);
  CHECK(access.out.find("care_stop") != std::string::npos);
  CHECK(index.verify_chain(index::kBoxChain, SystemClock{}.now()).value().empty());
}

TEST_CASE("a care session nobody stops is ended by carekeepd at its limit with a warning", "[cli]") {
  Site site;
  // Written as `care start` writes it, with a limit 3 s away instead of adhoc_max_hours.
  {
    auto index = index::Index::open_writer(site.database).value();
    auto now = SystemClock{}.now();
    REQUIRE(index.start_care_session({now, now + 3s, "", 0, "root"}));
  }
  REQUIRE(site.carekeepd.wait_for_log("care_session_limit", 15s));
  auto index = index::Index::open_reader(site.database).value();
  auto sessions = index.all_care_sessions().value();
  REQUIRE(sessions.size() == 1);
  CHECK(sessions[0].end_reason == index::CareSessionEnd::Limit);
  CHECK(sessions[0].ended == sessions[0].limit);
  auto alerts = carekeep_cli(site.config, "alerts --json");
  CHECK(alerts.out.find("care_auto_stopped") != std::string::npos);
  // The next session resolves the warning.
  REQUIRE(carekeep_cli(site.config, "care start").exit_code == 0);
  CHECK(test::wait_until([&] { return carekeep_cli(site.config, "alerts --json").out.find("care_auto_stopped") ==
                                      std::string::npos; },
                         10s));
}
