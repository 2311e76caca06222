// Issue 14's containment test: carekeepd records one polite fakecam camera beside ten hostile
// ones (test::HostileCamera, every misbehaviour at once) for 60 s. The daemon stays up, the
// polite camera's footage has no hole over 2 s, the daemon's peak RSS stays under 256 MiB
// and its CPU under half a core, every camera that had to be cut off has down events with a
// cause, the ones whose faults are survivable record footage whose length is real, and
// SIGTERM still stops it within 5 s.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "index/index.hpp"
#include "support/hostile_camera.hpp"
#include "support/media.hpp"
#include "support/recording.hpp"
#include "support/rtsp_test_server.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using test::Hostility;

namespace {

// utime + stime of a process, in seconds.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(f);
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Peak resident set (VmHWM), in MiB.
double peak_rss_mib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

std::string id_of(Hostility h) {
  std::string id(test::to_string(h));
  return id;
}

}  // namespace

TEST_CASE("carekeepd records a polite camera without a hole beside ten hostile ones, and stays small and stoppable",
          "[rtsp][hostile][slow]") {
  test::TempDir dir;
  test::make_clip(dir / "main.mp4", {.codec = "h264", .width = 320, .height = 240, .fps = 25, .gop = 25, .seconds = 4});
  test::make_clip(dir / "other.mp4", {.codec = "h264", .width = 176, .height = 144, .fps = 25, .gop = 25, .seconds = 4});
  test::HostileCamera hostile{dir / "main.mp4", dir / "other.mp4"};
  test::RtspTestServer polite;
  std::vector<std::pair<std::string, std::string>> cameras{{"polite", polite.url()}};
  for (Hostility h : test::all_hostilities()) cameras.emplace_back(id_of(h), hostile.url(h));
  test::write_text(dir / "carekeep.toml", test::daemon_config(dir.path(), cameras));

  test::DaemonProcess daemon{CAREKEEPD_BIN, dir / "carekeep.toml", dir / "daemon.log"};
  daemon.start();
  REQUIRE(daemon.wait_for_log("daemon_ready", 20s));
  const double cpu_before = cpu_seconds(daemon.pid());
  const auto began = SystemClock{}.now();
  for (int i = 0; i < 60; ++i) {
    std::this_thread::sleep_for(1s);
    REQUIRE(::kill(daemon.pid(), 0) == 0);  // still up
  }
  const auto ended = SystemClock{}.now();
  const double cpu = cpu_seconds(daemon.pid()) - cpu_before;
  const double rss = peak_rss_mib(daemon.pid());
  INFO("carekeepd CPU over 60 s: " << cpu << " s; peak RSS " << rss << " MiB");
  CHECK(cpu < 30.0);  // half a core
  CHECK(rss > 0);
  CHECK(rss < 256.0);

  auto stop_began = std::chrono::steady_clock::now();
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(5s) == 0);
  CHECK(std::chrono::steady_clock::now() - stop_began < 5s);

  auto index = index::Index::open_reader(dir / "index.db");
  REQUIRE(index);
  const index::TimeRange all{UtcTime{}, from_us(INT64_MAX / 2)};

  // The polite camera: contiguous footage from its first segment to the stop.
  auto polite_rows = index->segments("polite", all).value();
  REQUIRE(polite_rows.size() >= 5);
  std::sort(polite_rows.begin(), polite_rows.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  CHECK(polite_rows.front().start < began + 10s);
  CHECK(polite_rows.back().end > ended - 5s);
  for (std::size_t i = 1; i < polite_rows.size(); ++i) {
    INFO("hole before segment " << polite_rows[i].path);
    CHECK(polite_rows[i].start - polite_rows[i - 1].end <= 2s);
  }
  auto polite_events = index->camera_events(all, "polite").value();
  for (const auto& e : polite_events) CHECK(e.kind != index::CameraEventKind::Down);

  // Cameras that must be cut off: down events with a cause, and a detail for the log.
  const std::set<Hostility> cut_off{Hostility::EndlessAccessUnit, Hostility::HugeAccessUnit, Hostility::HugeHeader,
                                    Hostility::GarbageAfterPlay,  Hostility::Trickle,        Hostility::SpsChange};
  for (Hostility h : test::all_hostilities()) {
    INFO("camera " << id_of(h));
    if (cut_off.count(h) != 0) {
      auto events = index->camera_events(all, id_of(h)).value();
      std::size_t downs = 0;
      for (const auto& e : events) {
        if (e.kind != index::CameraEventKind::Down) continue;
        ++downs;
        CHECK_FALSE(e.cause.empty());
        CHECK_FALSE(e.detail.empty());
      }
      CHECK(downs >= 1);
      // Cut off, then retried with growing delays: not a new session every half second.
      CHECK(hostile.plays(h) <= 40);
    } else {
      // Survivable faults record footage, and what a segment claims is what real time gave.
      auto rows = index->segments(id_of(h), all).value();
      CHECK(rows.size() >= 3);
      for (const auto& r : rows) {
        if (r.state != index::SegmentState::Closed) continue;
        CHECK(r.duration <= 13s);  // 10 s segments cut at the next 1 s keyframe
      }
    }
  }
}
