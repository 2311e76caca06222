// Recorder::pause/resume, the recorder side of disk-full triage (docs/retention.md, Retention / In
// the daemon), on a real fakecam camera and a real index: the open segment is closed cleanly,
// the run ends as disk_error with the reason, nothing is recorded while paused, and resume()
// starts a new run.
#include <catch2/catch.hpp>

#include <thread>

#include "recorder/recorder.hpp"
#include "support/recording.hpp"
#include "support/rtsp_test_server.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

TEST_CASE("a paused recorder closes its segment, ends its run as disk_error and records nothing until resumed",
          "[rtsp][retention]") {
  test::RtspTestServer server;
  test::TempDir dir;
  auto index = index::Index::open_writer(dir / "index.db").value();
  const std::array<index::ConfiguredCamera, 1> cameras{{{"cam", "cam"}}};
  REQUIRE(index.sync_cameras(cameras, SystemClock{}.now()));
  auto run = index.begin_daemon_run({SystemClock{}.now(), "test", 1, "test"}).value();
  test::CommittingSink sink(index, run);
  auto rows = [&] {
    std::vector<index::SegmentRow> out;
    sink.with_lock([&] { out = index.segments("cam", {UtcTime{}, from_us(INT64_MAX / 2)}).value(); });
    return out;
  };
  auto events = [&] {
    std::vector<index::CameraEventRow> out;
    sink.with_lock([&] { out = index.camera_events({UtcTime{}, from_us(INT64_MAX / 2)}, "cam").value(); });
    return out;
  };

  recorder::CameraSettings settings;
  settings.id = "cam";
  settings.url = server.url();
  settings.segment_length = 10s;
  recorder::Recorder recorder(settings, {dir / "media", TimeZone::utc(), nullptr, &sink});
  recorder.start();
  REQUIRE(test::wait_until([&] { return !rows().empty(); }, 20s));
  std::this_thread::sleep_for(2s);

  recorder.pause("disk full outside care hours (1.4 MB missing)");
  CHECK(recorder.paused());
  REQUIRE(test::wait_until(
      [&] {
        auto e = events();
        return !e.empty() && e.back().kind == index::CameraEventKind::Down && e.back().cause == "disk_error";
      },
      10s));
  CHECK(events().back().detail.find("recording paused: disk full outside care hours") != std::string::npos);
  REQUIRE(test::wait_until([&] { return !recorder.snapshot().up; }, 5s));
  CHECK(recorder.snapshot().detail.find("disk full") != std::string::npos);
  CHECK(recorder.snapshot().disk_fault == DiskFault::None);  // a pause is not a disk fault: nothing failed

  auto paused = rows();
  REQUIRE(paused.size() == 1);
  CHECK(paused[0].state == index::SegmentState::Closed);  // closed cleanly, not cut
  CHECK(paused[0].state_detail.empty());
  CHECK(paused[0].duration >= 1s);
  std::this_thread::sleep_for(3s);
  CHECK(rows().size() == paused.size());  // nothing recorded while paused

  recorder.resume();
  CHECK_FALSE(recorder.paused());
  REQUIRE(test::wait_until([&] { return rows().size() > paused.size(); }, 20s));
  CHECK(events().back().kind == index::CameraEventKind::Up);
  recorder.stop();
  CHECK(sink.errors().empty());
}
