// `carekeep status`, `segments` and `events` against a real index (written with the daemon's
// own Index calls) and a status.json shaped like the one carekeepd writes.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "index/index.hpp"
#include "health/smart.hpp"
#include "health/smart_probe.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

using Run = test::CommandRun;

Run carekeep_cli(const std::filesystem::path& config, const std::string& args) {
  return test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + config.string() + " " + args);
}

// 2026-11-20T08:00:00+08:00 (Asia/Shanghai).
const UtcTime kT0 = UtcTime{date::sys_days{date::year{2026} / 11 / 20}};
// A pid above any pid_max: kill(pid, 0) says no such process.
constexpr std::int64_t kDeadPid = 99999999;

index::Sha256 filled(std::uint8_t byte) {
  index::Sha256 hash{};
  hash.fill(byte);
  return hash;
}

std::string hex_of(std::uint8_t byte) {
  char two[3];
  std::snprintf(two, sizeof two, "%02x", byte);
  std::string out;
  for (int i = 0; i < 32; ++i) out += two;
  return out;
}

// A site with cameras front (前门), nap-1 (午睡室) and hall (走廊, disabled), and an index as
// carekeepd leaves it after one run from 07:59 to 08:10 local time:
//   front: up 08:00, segments 08:00-08:01-08:02-08:03 closed, 08:03 open (left open: crash
//          recovery has not run), down 08:04 refused
//   nap-1: up 08:00, segments 08:00-08:01 closed, 08:01-08:02 damaged
//   clock: stepped -2.5 s at 08:02:30 (NTP synchronized)
struct Site {
  test::TempDir dir;
  std::filesystem::path config = dir / "carekeep.toml";
  std::filesystem::path database = dir / "data" / "index.db";
  std::filesystem::path status = dir / "data" / "status.json";

  Site() {
    test::write_text(config, R"([site]
name = "阳光家庭托育点"
timezone = "Asia/Shanghai"
storage = ")" + (dir / "media").string() + R"("
database = ")" + database.string() + R"("
[care_hours]
monday = ["07:30-18:30"]
[[camera]]
id = "front"
name = "前门"
url = "rtsp://admin:secret123@10.0.0.2/stream1"
[[camera]]
id = "nap-1"
name = "午睡室"
url = "rtsp://admin:secret123@10.0.0.3/stream1"
[[camera]]
id = "hall"
name = "走廊"
url = "rtsp://admin:secret123@10.0.0.4/stream1"
enabled = false
[[zone]]
id = "rooms"
cameras = ["front", "nap-1"]
)");
    std::filesystem::create_directories(dir / "media");
    std::filesystem::create_directories(database.parent_path());
    auto opened = index::Index::open_writer(database);
    if (!opened) FAIL(opened.error().message);
    auto& index = *opened;
    std::vector<index::ConfiguredCamera> cameras{{"front", "前门"}, {"nap-1", "午睡室"}, {"hall", "走廊"}};
    REQUIRE(index.sync_cameras(cameras, kT0 - 24h));
    auto daemon = index.begin_daemon_run({kT0 - 1min, "0.1.0", 4242, "nvr"}).value();

    auto front = index.begin_run("front", daemon, kT0).value();
    REQUIRE(index.insert_camera_event({0, "front", kT0, index::CameraEventKind::Up, "", "h264 1920x1080"}));
    for (int i = 0; i < 4; ++i) {
      auto start = kT0 + i * 60s;
      char path[64];
      std::snprintf(path, sizeof path, "front/2026-11-20/08-%02d-00.mp4", i);
      auto id = index.insert_open_segment({"front", front, i, start, path, start}).value();
      if (i == 3) break;  // still open
      REQUIRE(index.close_segment(id, closed(i, 60s - 40ms, start)));
    }
    REQUIRE(index.end_run(front, kT0 + 4min, "refused"));
    REQUIRE(index.insert_camera_event(
        {0, "front", kT0 + 4min, index::CameraEventKind::Down, "refused", "Connection refused"}));

    auto nap = index.begin_run("nap-1", daemon, kT0).value();
    REQUIRE(index.insert_camera_event({0, "nap-1", kT0, index::CameraEventKind::Up, "", "hevc 1280x720"}));
    for (int i = 0; i < 2; ++i) {
      auto start = kT0 + i * 60s;
      auto id = index.insert_open_segment({"nap-1", nap, i, start, "nap-1/2026-11-20/08-0" + std::to_string(i) + "-00.mp4",
                                           start}).value();
      auto c = closed(10 + i, 60s, start);
      c.video_codec = "hevc";
      c.width = 1280;
      c.height = 720;
      REQUIRE(index.close_segment(id, c));
      if (i == 1) REQUIRE(index.mark_segment_damaged(id, "file missing at startup"));
    }
    REQUIRE(index.insert_clock_event({0, kT0 + 150s, -2500ms, true, "chrony stepped the clock"}));
    REQUIRE(index.end_daemon_run(daemon, kT0 + 10min, "stopped: SIGTERM"));
  }

  static index::ClosedSegment closed(int i, Micros duration, UtcTime start) {
    index::ClosedSegment c;
    c.duration = duration;
    c.size_bytes = 7'500'000 + i;
    c.frames = 1499;
    c.keyframes = 30;
    c.video_codec = "h264";
    c.width = 1920;
    c.height = 1080;
    c.sha256 = filled(static_cast<std::uint8_t>(0xa0 + i));
    c.protect_until = start + 24h * 90;
    c.closed = start + duration;
    return c;
  }

  // A status.json as carekeepd writes it (daemon.cpp, write_status()).
  void write_status(std::int64_t pid, UtcTime updated) const {
    json doc{
        {"pid", pid},
        {"daemon_run", 1},
        {"updated", "(ignored)"},
        {"updated_us", to_us(updated)},
        {"running", true},
        {"cameras",
         {{{"camera", "front"}, {"name", "前门"}, {"enabled", true}, {"up", true},
           {"since", "2026-11-20T08:05:00+08:00"}, {"cause", nullptr}, {"reason", nullptr}, {"detail", ""},
           {"bitrate_bps", 2048000}, {"fps", 25.0}, {"bytes", 123456789}, {"frames", 45000}, {"reconnects", 1},
           {"codec", "h264"}, {"width", 1920}, {"height", 1080}, {"last_segment", "front/2026-11-20/08-02-00.mp4"}},
          {{"camera", "nap-1"}, {"name", "午睡室"}, {"enabled", true}, {"up", false},
           {"since", "2026-11-20T08:06:00+08:00"}, {"cause", "refused"},
           {"reason", "the camera refused the connection (is it powered on, is the port right?)"},
           {"detail", "Connection refused"}, {"bitrate_bps", 0}, {"fps", 0.0}, {"bytes", 0}, {"frames", 0},
           {"reconnects", 3}, {"codec", ""}, {"width", 0}, {"height", 0}, {"last_segment", ""}},
          {{"camera", "hall"}, {"name", "走廊"}, {"enabled", false}, {"up", false}}}},
        {"disk", {{"total_bytes", 2'000'000'000'000}, {"free_bytes", 1'500'000'000'000}}}};
    test::write_text(status, doc.dump(2) + "\n");
  }

  Run cli(const std::string& args) const { return carekeep_cli(config, args); }
};

UtcTime now() { return SystemClock{}.now(); }

void check_one_line_error(const Run& run, int exit_code) {
  CHECK(run.exit_code == exit_code);
  CHECK(run.out.empty());
  CHECK_THAT(run.err, Catch::StartsWith("carekeep: "));
  CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
}

}  // namespace

TEST_CASE("carekeep segments lists a camera's segments in local time", "[cli][db]") {
  Site site;
  auto run = site.cli("segments --camera front --from 2026-11-20 --to 2026-11-20");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  // No carekeepd here: after the listing, one line says where it came from.
  CHECK_THAT(run.err, Catch::StartsWith("carekeep: carekeepd is not running") &&
                          Catch::EndsWith("this was read from the index read-only\n"));
  CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
  std::string storage = (site.dir / "media").string();
  CHECK(run.out ==
        "START                      END                        DURATION    SIZE  FRAMES  STATE   PATH\n"
        "2026-11-20T08:00:00+08:00  2026-11-20T08:00:59+08:00     1m00s  7.5 MB    1499  closed  front/2026-11-20/08-00-00.mp4\n"
        "2026-11-20T08:01:00+08:00  2026-11-20T08:01:59+08:00     1m00s  7.5 MB    1499  closed  front/2026-11-20/08-01-00.mp4\n"
        "2026-11-20T08:02:00+08:00  2026-11-20T08:02:59+08:00     1m00s  7.5 MB    1499  closed  front/2026-11-20/08-02-00.mp4\n"
        "2026-11-20T08:03:00+08:00  (recording)                       -     0 B       0  open    front/2026-11-20/08-03-00.mp4\n"
        "4 segments, 3m00s, 22.5 MB; paths are relative to " + storage + "\n");

  // The damaged segment says why; a range in UTC selects by overlap.
  auto nap = site.cli("segments --camera nap-1 --from 2026-11-20T00:01:30Z --to 2026-11-20T08:05+08:00");
  INFO(nap.err);
  REQUIRE(nap.exit_code == 0);
  CHECK_THAT(nap.out, Catch::StartsWith("START"));
  CHECK_THAT(nap.out, Catch::Contains("  damaged  nap-1/2026-11-20/08-01-00.mp4  (file missing at startup)\n"));
  CHECK_THAT(nap.out, !Catch::Contains("08-00-00.mp4"));

  // An open segment is still growing (or was left open by a crash): it reaches every later range.
  auto later = site.cli("segments --camera front --from 2026-11-21 --to 2026-11-21");
  CHECK(later.exit_code == 0);
  CHECK_THAT(later.out, Catch::Contains("  (recording)  ") && Catch::Contains("1 segment, 0.0s, 0 B;"));
  auto none = site.cli("segments --camera nap-1 --from 2026-11-21 --to 2026-11-21");
  CHECK(none.exit_code == 0);
  CHECK(none.out == "no segments of camera nap-1 from 2026-11-21T00:00:00+08:00 to 2026-11-22T00:00:00+08:00\n");
}

TEST_CASE("carekeep segments --json has hashes, states and offsets", "[cli][db]") {
  Site site;
  auto run = site.cli("segments --camera front --from 2026-11-20T08:01:30 --to 2026-11-20T08:03:30 --json");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto rows = json::parse(run.out);
  REQUIRE(rows.is_array());
  REQUIRE(rows.size() == 3);  // 08:01 and 08:02 closed, 08:03 open
  const auto& s = rows[0];
  for (const char* key : {"camera", "start", "end", "path", "bytes", "sha256", "state", "duration_s", "frames",
                          "keyframes", "codec", "width", "height", "chain_sha256", "run_id", "seq"}) {
    INFO(key);
    CHECK(s.contains(key));
  }
  CHECK(s["camera"] == "front");
  CHECK(s["start"] == "2026-11-20T08:01:00+08:00");
  CHECK(s["end"] == "2026-11-20T08:01:59+08:00");  // 59.96 s of media, seconds precision
  CHECK(s["duration_s"].get<double>() == Approx(59.96));
  CHECK(s["path"] == "front/2026-11-20/08-01-00.mp4");
  CHECK(s["bytes"] == 7'500'001);
  CHECK(s["sha256"] == hex_of(0xa1));
  // The index links the file chain itself: front's second segment follows its first.
  auto link = index::file_chain_link(index::file_chain_link(index::Sha256{}, filled(0xa0)), filled(0xa1));
  CHECK(s["chain_sha256"] == to_hex(link));
  CHECK(s["state"] == "closed");
  CHECK(s["seq"] == 1);
  CHECK(s["codec"] == "h264");
  CHECK(s["width"] == 1920);
  CHECK(s["protect_until"] == "2027-02-18T08:01:00+08:00");
  const auto& open = rows[2];
  CHECK(open["state"] == "open");
  CHECK(open["sha256"].is_null());
  CHECK(open["chain_sha256"].is_null());
  CHECK(open["end"].is_null());
  CHECK(open["start"] == "2026-11-20T08:03:00+08:00");
}

TEST_CASE("carekeep segments/events: bad input exits 2 with one line", "[cli][db]") {
  Site site;
  auto typo = site.cli("segments --camera fornt --from 2026-11-20 --to 2026-11-21");
  check_one_line_error(typo, 2);
  CHECK(typo.err == "carekeep: unknown camera \"fornt\"; did you mean \"front\"?\n");
  auto unknown = site.cli("events --camera garage --from 2026-11-20 --to 2026-11-21");
  check_one_line_error(unknown, 2);
  CHECK(unknown.err == "carekeep: unknown camera \"garage\"; known cameras: front, nap-1, hall\n");

  auto empty = site.cli("segments --camera front --from 2026-11-20T09:00 --to 2026-11-20T08:00");
  check_one_line_error(empty, 2);
  CHECK(empty.err == "carekeep: --from 2026-11-20T09:00:00+08:00 is not before --to 2026-11-20T08:00:00+08:00; "
                     "the range is empty\n");
  for (const char* args : {"segments --camera front --from 2026-11-20T08:00 --to 2026-11-20T08:00",
                           "segments --camera front --from 2026-13-01 --to 2026-11-20",
                           "segments --camera front --from 2026-11-20 --to yesterday",
                           "segments --from 2026-11-20 --to 2026-11-21", "segments --camera front --to 2026-11-21",
                           "events --from 2026-11-20", "events --from 2026-11-21 --to 2026-11-20"}) {
    INFO(args);
    check_one_line_error(site.cli(args), 2);
  }
}

TEST_CASE("carekeep: a missing index names the path and the next step", "[cli][db]") {
  Site site;
  std::filesystem::remove(site.database);
  for (const char* args : {"status", "segments --camera front --from 2026-11-20 --to 2026-11-20",
                           "events --from 2026-11-20 --to 2026-11-20"}) {
    INFO(args);
    auto run = site.cli(args);
    check_one_line_error(run, 3);
    CHECK(run.err == "carekeep: no index at " + site.database.string() + " (site.database in " +
                         site.config.string() + "); is carekeepd configured with this database? has it run yet?\n");
  }
}

TEST_CASE("carekeep events merges camera and clock events by time", "[cli][db]") {
  Site site;
  auto run = site.cli("events --from 2026-11-20 --to 2026-11-20");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out ==
        "TIME                       CAMERA  KIND        CAUSE       DETAIL\n"
        "2026-11-20T08:00:00+08:00  front   up                      h264 1920x1080\n"
        "2026-11-20T08:00:00+08:00  nap-1   up                      hevc 1280x720\n"
        "2026-11-20T08:02:30+08:00  -       clock_step  clock_step  wall clock stepped -2.5 s (NTP synchronized); "
        "chrony stepped the clock\n"
        "2026-11-20T08:04:00+08:00  front   down        refused     Connection refused; the camera refused the "
        "connection (is it powered on, is the port right?)\n");

  auto json_run = site.cli("events --camera nap-1 --from 2026-11-20T08:00 --to 2026-11-20T09:00 --json");
  INFO(json_run.err);
  REQUIRE(json_run.exit_code == 0);
  auto events = json::parse(json_run.out);
  REQUIRE(events.size() == 2);  // nap-1 up, and the clock step (it concerns every camera)
  CHECK(events[0] == json::parse(R"({"camera": "nap-1", "time": "2026-11-20T08:00:00+08:00", "kind": "up",
                                     "cause": null, "reason": null, "detail": "hevc 1280x720"})"));
  CHECK(events[1]["camera"].is_null());
  CHECK(events[1]["time"] == "2026-11-20T08:02:30+08:00");
  CHECK(events[1]["kind"] == "clock_step");
  CHECK(events[1]["cause"] == "clock_step");
  CHECK(events[1]["step_s"].get<double>() == Approx(-2.5));
  CHECK(events[1]["ntp_synced"] == true);

  auto front = json::parse(site.cli("events --camera front --from 2026-11-20T08:03 --to 2026-11-20T08:05 --json").out);
  REQUIRE(front.size() == 1);
  CHECK(front[0]["kind"] == "down");
  CHECK(front[0]["cause"] == "refused");
  CHECK(front[0]["detail"] == "Connection refused");
  CHECK(front[0]["reason"] == "the camera refused the connection (is it powered on, is the port right?)");

  auto none = site.cli("events --from 2026-11-21 --to 2026-11-21 --json");
  CHECK(none.exit_code == 0);
  CHECK(json::parse(none.out) == json::array());
}

TEST_CASE("carekeep status shows live cameras while carekeepd runs", "[cli][db]") {
  Site site;
  site.write_status(::getpid(), now() - 2s);  // this test process stands in for carekeepd
  auto run = site.cli("status");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.err.empty());
  CHECK_THAT(run.out, Catch::StartsWith("carekeepd is running (pid " + std::to_string(::getpid()) +
                                        "), status updated 20"));
  CHECK_THAT(run.out, Catch::Contains("+08:00\n\n"
                                      "front  前门\n"
                                      "  up since 2026-11-20T08:05:00+08:00\n"
                                      "  2048 kbit/s, 25.0 fps, 1 reconnect, h264 1920x1080\n"
                                      "  last segment front/2026-11-20/08-02-00.mp4, ended 2026-11-20T08:02:59+08:00\n"
                                      "nap-1  午睡室\n"
                                      "  DOWN since 2026-11-20T08:06:00+08:00: refused, the camera refused the "
                                      "connection (is it powered on, is the port right?)\n"
                                      "  detail: Connection refused\n"
                                      "  0 kbit/s, 0.0 fps, 3 reconnects\n"
                                      "  last segment nap-1/2026-11-20/08-01-00.mp4, ended 2026-11-20T08:02:00+08:00 "
                                      "(damaged)\n"
                                      "hall  走廊\n"
                                      "  disabled in the configuration\n"
                                      "  no finished segment in the index\n"
                                      "\n"
                                      "disk: 1.5 TB free of 2.0 TB (75%)\n"
                                      "index: " + site.database.string() + " (opened read-only)\n"));
  CHECK_THAT(run.out, !Catch::Contains("secret123"));

  auto js = site.cli("status --json");
  INFO(js.err);
  REQUIRE(js.exit_code == 0);
  auto status = json::parse(js.out);
  CHECK(status["daemon"]["running"] == true);
  CHECK(status["daemon"]["pid"] == ::getpid());
  CHECK_THAT(status["daemon"]["updated"].get<std::string>(), Catch::EndsWith("+08:00"));
  CHECK(status["index"]["read_only"] == true);
  CHECK(status["disk"] == json::parse(R"({"total_bytes": 2000000000000, "free_bytes": 1500000000000})"));
  REQUIRE(status["cameras"].size() == 3);
  const auto& front = status["cameras"][0];
  for (const char* key : {"camera", "name", "up", "since", "cause", "reason", "bitrate_bps", "fps", "reconnects",
                          "last_segment"}) {
    INFO(key);
    CHECK(front.contains(key));
  }
  CHECK(front["camera"] == "front");
  CHECK(front["up"] == true);
  CHECK(front["bitrate_bps"] == 2048000);
  CHECK(front["last_segment"] == json::parse(R"({"path": "front/2026-11-20/08-02-00.mp4",
      "start": "2026-11-20T08:02:00+08:00", "end": "2026-11-20T08:02:59+08:00", "state": "closed"})"));
  const auto& nap = status["cameras"][1];
  CHECK(nap["up"] == false);
  CHECK(nap["cause"] == "refused");
  CHECK(nap["reconnects"] == 3);
  CHECK(nap["codec"].is_null());  // never connected since the daemon started
  CHECK(status["daemon"]["stop_reason"].is_null());
  CHECK(status["cameras"][2]["enabled"] == false);
  CHECK(status["cameras"][2]["last_segment"].is_null());
}

TEST_CASE("carekeep status shows the disks' SMART health from carekeep-smart's smart.json", "[cli][db]") {
  Site site;
  // A failing disk cannot be had on demand: smartctl's recorded output of a failing Hitachi
  // disk (tests/data/smart), written as carekeep-smart writes it beside the index.
  auto text = test::read_text(std::filesystem::path(CAREKEEP_SOURCE_DIR) /
                              "tests/data/smart/ata_failing_hitachi_hds721050dle630.json");
  health::SmartState state;
  state.checked = SystemClock{}.now() - 10min;
  state.storage = (site.dir / "media").string();
  state.source = "/dev/sdc1";
  state.disks = {health::parse_smartctl(text, "/dev/sdc").value()};
  REQUIRE(health::write_state(health::state_path(site.database), state));
  auto run = site.cli("status");
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains("disk health: /dev/sdc (Hitachi HDS721050DLE630) FAILING: smart_status: "
                                      "the disk's overall self-assessment is FAILED; Reallocated_Sector_Ct: "));
  CHECK(run.out.find("(stale") == std::string::npos);
  auto status = json::parse(site.cli("status --json").out);
  const auto& health = status["disk_health"];
  REQUIRE(health.is_object());
  CHECK(health["stale"] == false);
  CHECK(health["disks"][0]["device"] == "/dev/sdc");
  CHECK(health["disks"][0]["verdict"] == "failing");
  CHECK(health["disks"][0]["serial"] == "MSK423Y20S3HBC");
}

TEST_CASE("carekeep status says clearly when carekeepd is not running", "[cli][db]") {
  Site site;
  SECTION("stale status.json") {
    site.write_status(kDeadPid, kT0 + 10min + 3s);
    auto run = site.cli("status");
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    auto disk_at = run.out.rfind("\ndisk: ");
    REQUIRE(disk_at != std::string::npos);
    CHECK(run.out.substr(0, disk_at + 1) ==
          "carekeepd is not running (last seen 2026-11-20T08:10:03+08:00; its last run ended: stopped: SIGTERM)\n"
          "What the index knows (" + site.database.string() + ", opened read-only):\n"
          "\n"
          "front  前门\n"
          "  last event: down at 2026-11-20T08:04:00+08:00: refused, the camera refused the connection (is it "
          "powered on, is the port right?) (Connection refused)\n"
          "  last segment front/2026-11-20/08-02-00.mp4, ended 2026-11-20T08:02:59+08:00, h264 1920x1080\n"
          "nap-1  午睡室\n"
          "  last event: up at 2026-11-20T08:00:00+08:00 (hevc 1280x720)\n"
          "  last segment nap-1/2026-11-20/08-01-00.mp4, ended 2026-11-20T08:02:00+08:00 (damaged), hevc 1280x720\n"
          "hall  走廊\n"
          "  disabled in the configuration\n"
          "  no event in the index\n"
          "  no finished segment in the index\n"
          "\n");
    // Without the daemon, the CLI measures the storage directory's file system itself.
    CHECK_THAT(run.out.substr(disk_at + 1),
               Catch::Matches("disk: [0-9.]+ [kMGTP]?B free of [0-9.]+ [kMGTP]?B \\([0-9]+%\\)\n"
                              "disk health: not read \\(install smartmontools; .*\n"
                              "(capacity: about [0-9]+ days .*\n)?alerts: none open\n"));

    auto status = json::parse(site.cli("status --json").out);
    CHECK(status["daemon"] == json::parse(R"({"running": false, "pid": null, "updated": "2026-11-20T08:10:03+08:00",
        "last_seen": "2026-11-20T08:10:03+08:00", "daemon_run": 1, "stop_reason": "stopped: SIGTERM"})"));
    const auto& front = status["cameras"][0];
    CHECK(front["up"] == false);
    CHECK(front["cause"] == "daemon_not_running");
    CHECK(front["since"] == "2026-11-20T08:10:03+08:00");
    CHECK(front["last_segment"]["end"] == "2026-11-20T08:02:59+08:00");
    CHECK(front["last_event"]["cause"] == "refused");
    CHECK(status["disk"]["total_bytes"].get<std::uint64_t>() > 0);
  }
  SECTION("fresh status.json, but its process is gone") {
    site.write_status(kDeadPid, now());
    auto run = site.cli("status");
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.out, Catch::StartsWith("carekeepd is not running (last seen 20"));
    CHECK_THAT(run.out, Catch::Contains("; its process 99999999 is gone; its last run ended: stopped: SIGTERM)\n"));
  }
  SECTION("a daemon run that never stopped and whose process is gone was a crash") {
    auto writer = index::Index::open_writer(site.database);
    if (!writer) FAIL(writer.error().message);
    REQUIRE(writer->begin_daemon_run({kT0 + 30min, "0.1.0", kDeadPid, "nvr"}));
    REQUIRE(writer->mark_daemon_alive(2, kT0 + 42min));
    auto run = site.cli("status");
    CHECK_THAT(run.out, Catch::StartsWith("carekeepd is not running (last seen 2026-11-20T08:42:00+08:00; no " +
                                          site.status.string() +
                                          "; its last run recorded no stop (crash or power loss?))\n"));
  }
  SECTION("no status.json: the index's daemon run is the last sign of life") {
    auto run = site.cli("status");
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.out, Catch::StartsWith("carekeepd is not running (last seen 2026-11-20T08:10:00+08:00; no " +
                                          site.status.string() + "; its last run ended: stopped: SIGTERM)\n"));
  }
}

TEST_CASE("carekeep reads the index while carekeepd's writer has it open, and changes nothing", "[cli][db]") {
  Site site;
  {
    // The daemon keeps its writer open (WAL); a new segment committed by it is visible at once.
    auto writer = index::Index::open_writer(site.database);
    if (!writer) FAIL(writer.error().message);
    auto daemon = writer->begin_daemon_run({kT0 + 20min, "0.1.0", ::getpid(), "nvr"}).value();
    auto run = writer->begin_run("nap-1", daemon, kT0 + 20min).value();
    REQUIRE(writer->insert_open_segment({"nap-1", run, 0, kT0 + 20min, "nap-1/2026-11-20/08-20-00.mp4", kT0 + 20min}));
    auto listed = site.cli("segments --camera nap-1 --from 2026-11-20T08:15 --to 2026-11-20T08:30");
    INFO(listed.err);
    REQUIRE(listed.exit_code == 0);
    CHECK_THAT(listed.out, Catch::Contains("2026-11-20T08:20:00+08:00  (recording)"));
    auto status = json::parse(site.cli("status --json").out);
    CHECK(status["daemon"]["running"] == false);  // no status.json: the index alone cannot tell
    CHECK(status["daemon"]["daemon_run"] == 2);
    CHECK(status["daemon"]["stop_reason"].is_null());
    // Its daemon run has no stop and names a live process (this one): said as such, not as a crash.
    CHECK_THAT(site.cli("status").out,
               Catch::Contains("status.json; process " + std::to_string(::getpid()) +
                               " of its last run exists but has written no status (starting up, or hung?))\n"));
  }
  // The reader writes nothing: the index and its write-ahead log (kept by the writer,
  // SQLITE_FCNTL_PERSIST_WAL) are byte for byte what they were.
  Site untouched;
  auto wal = untouched.database.string() + "-wal";
  auto read_wal = [&] { return std::filesystem::exists(wal) ? test::read_text(wal) : std::string("(none)"); };
  auto before = test::read_text(untouched.database);
  auto wal_before = read_wal();
  for (const char* args : {"status", "status --json", "segments --camera front --from 2026-11-20 --to 2026-11-21",
                           "events --from 2026-11-20 --to 2026-11-21 --json"}) {
    REQUIRE(untouched.cli(args).exit_code == 0);
  }
  CHECK(test::read_text(untouched.database) == before);
  CHECK(read_wal() == wal_before);
}
