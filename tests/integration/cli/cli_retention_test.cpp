// `carekeep retention --dry-run` and `carekeep hold add|list|release` against a real index
// written with the daemon's own Index calls: what would be deleted and why, what stays
// protected or held, the hold round trip and the exit codes of bad requests.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "index/index.hpp"
#include "support/recording.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

using Run = test::CommandRun;

Run carekeep_cli(const std::filesystem::path& config, const std::string& args) {
  return test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + config.string() + " " + args);
}

// 2026-11-20T08:00:00+08:00 (Asia/Shanghai), a Friday.
const UtcTime kT0 = UtcTime{date::sys_days{date::year{2026} / 11 / 20}};
// The dry runs plan at 2026-11-30T08:00+08:00.
const std::string kNow = "2026-11-30T08:00";

// Care hours are Fridays 07:30-18:30. Segments (60 s each), as the daemon closed them:
//   front/care.mp4         Fri 08:00, care hours, protected until +90 days  -> kept (protected)
//   front/night.mp4        Thu 20:00, outside care, 10.5 days old            -> expired
//   front/old-care.mp4     Aug 08:00, protection ended 2026-11-21            -> expired_protected
//   front/recent.mp4       Sat 2026-11-28 20:00, outside care, 2 days old    -> kept (not yet expired)
//   nap-1/held-night.mp4   Thu 20:00, outside care, held by hold on nap-1    -> kept (held)
//   nap-1/night.mp4        Thu 21:00, outside care, not held                 -> expired
struct Site {
  test::TempDir dir;
  std::filesystem::path config = dir / "carekeep.toml";
  std::filesystem::path database = dir / "data" / "index.db";
  std::int64_t nap_hold = 0;
  std::optional<test::DaemonProcess> carekeepd;

  // Holds are placed and released through carekeepd. It runs on a clock set to the morning of
  // 2026-11-20 (libfaketime, for the daemon only), when none of this footage has expired, so its
  // own retention deletes nothing that the dry runs at kNow talk about.
  void start_daemon() {
    carekeepd.emplace(test::daemon_on_faked_clock(CAREKEEPD_BIN, dir.path(), "@2026-11-20 01:00:00"), config,
                   dir / "daemon.log");
    carekeepd->start();
    REQUIRE(carekeepd->wait_for_log("control_listening", 20s));
  }

  Site() {
    test::write_text(config, R"([site]
name = "阳光家庭托育点"
timezone = "Asia/Shanghai"
storage = ")" + (dir / "media").string() + R"("
database = ")" + database.string() + R"("
[retention]
min_free_percent = 0
[care_hours]
friday = ["07:30-18:30"]
[[camera]]
id = "front"
name = "前门"
url = "rtsp://127.0.0.1:1/front"
[[camera]]
id = "nap-1"
name = "午睡室"
url = "rtsp://127.0.0.1:1/nap-1"
[[zone]]
id = "rooms"
cameras = ["front", "nap-1"]
)");
    std::filesystem::create_directories(dir / "media");
    std::filesystem::create_directories(database.parent_path());
    auto opened = index::Index::open_writer(database);
    if (!opened) FAIL(opened.error().message);
    auto& index = *opened;
    std::vector<index::ConfiguredCamera> cameras{{"front", "前门"}, {"nap-1", "午睡室"}};
    REQUIRE(index.sync_cameras(cameras, kT0 - 200 * 24h));
    auto daemon = index.begin_daemon_run({kT0 - 200 * 24h, "0.1.0", 4242, "nvr"}).value();
    auto front = index.begin_run("front", daemon, kT0 - 200 * 24h).value();
    auto nap = index.begin_run("nap-1", daemon, kT0 - 200 * 24h).value();

    std::int64_t seq = 0;
    auto add = [&](const std::string& camera, index::RunId run, const std::string& path, UtcTime start,
                   std::optional<UtcTime> protect_until) {
      auto id = index.insert_open_segment({camera, run, seq, start, path, start}).value();
      index::ClosedSegment c;
      c.duration = 60s;
      c.size_bytes = 1'000'000 + seq;
      c.frames = 1500;
      c.keyframes = 30;
      c.video_codec = "h264";
      c.width = 1920;
      c.height = 1080;
      c.protect_until = protect_until;
      c.closed = start + 60s;
      ++seq;
      REQUIRE(index.close_segment(id, c));
    };
    add("front", front, "front/care.mp4", kT0, kT0 + 60s + 24h * 90);
    add("front", front, "front/night.mp4", kT0 - 12h, std::nullopt);
    add("front", front, "front/old-care.mp4", kT0 - 24h * 91, kT0 + 24h);
    add("front", front, "front/recent.mp4", kT0 + 24h * 8 + 12h, std::nullopt);
    add("nap-1", nap, "nap-1/held-night.mp4", kT0 - 12h, std::nullopt);
    add("nap-1", nap, "nap-1/night.mp4", kT0 - 11h, std::nullopt);
    nap_hold = index.insert_hold({"nap-1", std::nullopt, kT0 - 13h, kT0 - 11h - 30min, "case 2026-17", kT0, 1000, "ana"})
                   .value();
    REQUIRE(index.end_run(front, kT0 + 24h * 9, "stopped"));
    REQUIRE(index.end_run(nap, kT0 + 24h * 9, "stopped"));
    REQUIRE(index.end_daemon_run(daemon, kT0 + 24h * 9, "stopped: SIGTERM"));
  }
};

std::vector<std::string> paths_of(const json& deletions) {
  std::vector<std::string> paths;
  for (const auto& d : deletions) paths.push_back(d.at("path").get<std::string>());
  std::sort(paths.begin(), paths.end());
  return paths;
}

}  // namespace

TEST_CASE("retention dry run lists expired footage with reasons and never protected or held footage", "[cli]") {
  Site site;
  auto run = carekeep_cli(site.config, "retention --dry-run --now " + kNow);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.find("dry run") != std::string::npos);
  CHECK(run.out.find("front/night.mp4") != std::string::npos);
  CHECK(run.out.find("nap-1/night.mp4") != std::string::npos);
  CHECK(run.out.find("front/old-care.mp4") != std::string::npos);
  CHECK(run.out.find("expired_protected (protected until 2026-11-21T08:00:00+08:00)") != std::string::npos);
  CHECK(run.out.find("front/care.mp4") == std::string::npos);
  CHECK(run.out.find("held-night.mp4") == std::string::npos);
  CHECK(run.out.find("recent.mp4") == std::string::npos);
  CHECK(run.out.find("recording outside care hours would continue") != std::string::npos);
  // Protection per camera: front/care.mp4 until 2027-02-18T08:01+08:00; the active hold.
  CHECK(run.out.find("2027-02-18T08:01:00+08:00") != std::string::npos);
  CHECK(run.out.find("case 2026-17") != std::string::npos);
}

TEST_CASE("retention dry run as JSON has a delete array with camera start end path reason bytes", "[cli]") {
  Site site;
  auto run = carekeep_cli(site.config, "retention --dry-run --json --now " + kNow);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto out = json::parse(run.out);
  const auto& deletions = out.at("delete");
  REQUIRE(deletions.is_array());
  CHECK(paths_of(deletions) ==
        std::vector<std::string>{"front/night.mp4", "front/old-care.mp4", "nap-1/night.mp4"});
  for (const auto& d : deletions) {
    for (const char* key : {"camera", "start", "end", "path", "reason", "bytes"}) {
      CHECK(d.contains(key));
    }
    auto reason = d.at("reason").get<std::string>();
    if (d.at("path") == "front/old-care.mp4") {
      CHECK(reason == "expired_protected");
    } else {
      CHECK(reason == "expired");
    }
  }
  CHECK(deletions[0].at("start").get<std::string>().ends_with("+08:00"));
  const auto& summary = out.at("summary");
  CHECK(summary.at("bytes_needed") == 0);
  CHECK(summary.at("shortfall_bytes") == 0);
  CHECK(summary.at("stop_recording_outside_care") == false);
  CHECK(summary.at("kept_held") == 1);
  CHECK(summary.at("bytes_freed") == 1'000'001 + 1'000'002 + 1'000'005);
  const auto& front = out.at("protected").at("cameras").at("front");
  CHECK(front.at("segments") == 1);
  CHECK(front.at("earliest_protect_until") == "2027-02-18T08:01:00+08:00");
  CHECK(front.at("latest_protect_until") == "2027-02-18T08:01:00+08:00");
  CHECK_FALSE(out.at("protected").at("cameras").contains("nap-1"));
  CHECK(out.at("protected").at("holds").size() == 1);
}

TEST_CASE("retention without dry-run is a usage error pointing at the daemon", "[cli]") {
  Site site;
  auto run = carekeep_cli(site.config, "retention");
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("carekeepd") != std::string::npos);
  CHECK(carekeep_cli(site.config, "retention --dry-run --now yesterday").exit_code == 2);
}

TEST_CASE("hold add list release round trip changes what retention would delete", "[cli]") {
  Site site;
  site.start_daemon();
  auto added = carekeep_cli(site.config,
                            "hold add --zone rooms --from 2026-11-19T19:00 --to 2026-11-19T22:00 --reason 'case 42'");
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  CHECK(added.out.find("hold 2 placed on zone rooms") != std::string::npos);

  auto dry = carekeep_cli(site.config, "retention --dry-run --json --now " + kNow);
  REQUIRE(dry.exit_code == 0);
  CHECK(paths_of(json::parse(dry.out).at("delete")) == std::vector<std::string>{"front/old-care.mp4"});

  auto listed = carekeep_cli(site.config, "hold list --json");
  REQUIRE(listed.exit_code == 0);
  auto holds = json::parse(listed.out);
  REQUIRE(holds.size() == 2);
  const auto& h = holds[1];
  CHECK(h.at("id") == 2);
  CHECK(h.at("camera").is_null());
  CHECK(h.at("zone") == "rooms");
  CHECK(h.at("from") == "2026-11-19T19:00:00+08:00");
  CHECK(h.at("to") == "2026-11-19T22:00:00+08:00");
  CHECK(h.at("reason") == "case 42");
  CHECK_FALSE(h.at("created_by").get<std::string>().empty());
  CHECK(h.at("created").get<std::string>().ends_with("+08:00"));
  CHECK(h.at("released").is_null());
  CHECK(h.at("released_by").is_null());
  CHECK(holds[0].at("camera") == "nap-1");
  CHECK(holds[0].at("created_by") == "ana");

  auto released = carekeep_cli(site.config, "hold release 2");
  INFO(released.err);
  REQUIRE(released.exit_code == 0);
  auto text = carekeep_cli(site.config, "hold list");
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("zone rooms") != std::string::npos);
  CHECK(text.out.find("2 holds, 1 active") != std::string::npos);
  holds = json::parse(carekeep_cli(site.config, "hold list --json").out);
  CHECK(holds[1].at("released").is_string());
  CHECK(holds[1].at("released_by").is_string());

  dry = carekeep_cli(site.config, "retention --dry-run --json --now " + kNow);
  CHECK(paths_of(json::parse(dry.out).at("delete")) ==
        std::vector<std::string>{"front/night.mp4", "front/old-care.mp4", "nap-1/night.mp4"});

  auto again = carekeep_cli(site.config, "hold release 2");
  CHECK(again.exit_code == 3);
  CHECK(again.err.find("already released") != std::string::npos);
  auto unknown = carekeep_cli(site.config, "hold release 99");
  CHECK(unknown.exit_code == 3);
  CHECK(unknown.err.find("no hold 99") != std::string::npos);
}

TEST_CASE("hold add refuses unknown targets, empty ranges and empty reasons", "[cli]") {
  Site site;
  site.start_daemon();
  auto camera = carekeep_cli(site.config, "hold add --camera frnt --from 2026-11-20 --to 2026-11-21 --reason x");
  CHECK(camera.exit_code == 2);
  CHECK(camera.err.find("did you mean \"front\"") != std::string::npos);
  auto zone = carekeep_cli(site.config, "hold add --zone room --from 2026-11-20 --to 2026-11-21 --reason x");
  CHECK(zone.exit_code == 2);
  CHECK(zone.err.find("did you mean \"rooms\"") != std::string::npos);
  auto empty = carekeep_cli(site.config,
                            "hold add --camera front --from 2026-11-20T10:00 --to 2026-11-20T09:00 --reason x");
  CHECK(empty.exit_code == 2);
  CHECK(empty.err.find("not before") != std::string::npos);
  auto reason = carekeep_cli(site.config, "hold add --camera front --from 2026-11-20 --to 2026-11-21 --reason ''");
  CHECK(reason.exit_code == 2);
  CHECK(reason.err.find("--reason") != std::string::npos);
  CHECK(carekeep_cli(site.config, "hold add --from 2026-11-20 --to 2026-11-21 --reason x").exit_code == 2);
  CHECK(carekeep_cli(site.config, "hold add --camera front --zone rooms --from 2026-11-20 --to 2026-11-21 --reason x")
            .exit_code == 2);
  // Nothing was placed.
  auto listed = json::parse(carekeep_cli(site.config, "hold list --json").out);
  CHECK(listed.size() == 1);
}
