// The daemon's retention task carrying out a large first plan (a box that was off for weeks:
// 20,000 expired segments) on a real io_context over a real index and real files. The plan
// must not be one loop turn: between its batches the loop goes on with other work, here a
// camera whose segments are reported and committed the way carekeepd's catalog does every
// second. Counted, not timed: how many of those commits happened while the deletion was
// under way, and how far it had got each time.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "alerts/alerts.hpp"
#include "catalog/catalog.hpp"
#include "config/load.hpp"
#include "index/index.hpp"
#include "retention_task.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

constexpr int kExpired = 20'000;

config::Config site_config(const fs::path& storage, const fs::path& database) {
  std::string text = "[site]\nname = \"batches\"\ntimezone = \"UTC\"\nstorage = \"" + storage.string() +
                     "\"\ndatabase = \"" + database.string() +
                     "\"\n\n[retention]\ncare_days = 90\nother_days = 7\nmin_free_percent = 0\n\n[care_hours]\n";
  for (const char* day : {"monday", "tuesday", "wednesday", "thursday", "friday"}) text += std::string(day) + " = [\"07:30-18:30\"]\n";
  text += "\n[[camera]]\nid = \"old\"\nurl = \"rtsp://127.0.0.1:1/old\"\n\n[[camera]]\nid = \"live\"\nurl = \"rtsp://127.0.0.1:1/live\"\n";
  auto outcome = config::parse(text, "batches.toml");
  REQUIRE(outcome.ok());
  return std::move(*outcome.config);
}

}  // namespace

// A box that was off for weeks: 20,000 segments of camera "old" whose protection ended long
// ago, with (empty) files, and a daemon run to record the new footage of camera "live".
struct Backlog {
  test::TempDir dir;
  fs::path storage = dir / "media";
  fs::path database = dir / "index.db";
  config::Config config = site_config(storage, database);
  index::Index index = index::Index::open_writer(database).value();
  UtcTime now = SystemClock{}.now();
  index::DaemonRunId daemon_run = 0;

  Backlog() {
    const std::array<index::ConfiguredCamera, 2> cameras{{{"old", "old"}, {"live", "live"}}};
    REQUIRE(index.sync_cameras(cameras, now - std::chrono::days(60)));
    auto seed_daemon = index.begin_daemon_run({now - std::chrono::days(60), "test", 1, "seed"}).value();
    auto run = index.begin_run("old", seed_daemon, now - std::chrono::days(60)).value();
    auto tx = index.transaction();
    REQUIRE(tx);
    const auto first = now - std::chrono::days(40);
    for (int i = 0; i < kExpired; ++i) {
      auto start = first + std::chrono::minutes(i);
      std::string path = "old/" + std::to_string(i / 1000) + "/" + std::to_string(i) + ".mp4";
      test::write_text(storage / path, "");
      auto id = index.insert_open_segment({"old", run, i, start, path, start}).value();
      index::ClosedSegment closed;
      closed.duration = 60s;
      closed.size_bytes = 1000;
      closed.video_codec = "h264";
      closed.closed = start + 60s;
      closed.protect_until = start + std::chrono::days(1);  // stored at close, as carekeepd does; long passed
      REQUIRE(index.close_segment(id, closed));
    }
    REQUIRE(tx->commit());
    REQUIRE(index.end_daemon_run(seed_daemon, now - 1h, "seeded"));
    daemon_run = index.begin_daemon_run({now, "test", 2, "batches"}).value();
  }

  std::vector<index::SegmentRow> rows(const std::string& camera) {
    return index.segments(camera, {UtcTime{}, now + std::chrono::days(3700 * 2)}).value();
  }
};

TEST_CASE("a 20,000-row first plan is carried out in batches while the loop goes on committing a camera's segments",
          "[retention][db]") {
  Backlog box;
  auto& index = box.index;
  const auto& storage = box.storage;
  const auto now = box.now;
  auto daemon_run = box.daemon_run;
  asio::io_context io;
  SystemClock clock;
  alerts::AlertCenter alerts{index, clock};
  catalog::Catalog catalog{index, daemon_run};
  int commits_while_deleting = 0;  // catalog batches committed between two batches of the plan
  daemon::RetentionHooks hooks;
  hooks.flush_index = [&] {
    bool pending = catalog.pending();
    REQUIRE(catalog.flush());
    if (pending) ++commits_while_deleting;
  };
  daemon::RetentionTask task{io, index, alerts, clock, daemon_run, hooks};
  task.configure(box.config);

  // The live camera: one segment per loop turn, reported as the recorder would, applied as
  // carekeepd's sink does (catalog, then retention's observer).
  std::set<std::int64_t> progress_seen;  // rows handled so far, as seen by the camera's turns
  std::uint64_t seq = 0;
  auto live_start = now - 10min;
  REQUIRE(catalog.apply(recorder::RunStarted{"live", 1, live_start, "h264", 320, 240, ""}));
  std::function<void()> camera_turn = [&] {
    if (task.passes_finished() > 0) return;
    nlohmann::json status;
    task.add_status(status);
    const auto& executing = status["retention"]["executing"];
    if (executing.is_object()) progress_seen.insert(executing["handled"].get<std::int64_t>());
    auto start = live_start + std::chrono::seconds(10 * seq);
    std::string path = "live/" + std::to_string(seq) + ".mp4";
    recorder::SegmentOpened opened{"live", 1, seq, path, start};
    REQUIRE(catalog.apply(opened));
    recorder::SegmentClosed closed;
    closed.camera = "live";
    closed.run_key = 1;
    closed.seq = seq;
    closed.path = path;
    closed.segment.path = storage / path;
    closed.segment.start = start;
    closed.segment.duration = 10s;
    closed.segment.size_bytes = 50'000;
    closed.video_codec = "h264";
    REQUIRE(catalog.apply(closed));
    task.observe(closed);
    ++seq;
    asio::post(io, camera_turn);
  };

  task.request_pass("test");
  asio::post(io, camera_turn);
  while (task.passes_finished() == 0) REQUIRE(io.run_one() > 0);
  REQUIRE(catalog.flush());

  nlohmann::json status;
  task.add_status(status);
  INFO(status.dump(2));
  CHECK(status["retention"]["deleted_last_pass"] == kExpired);
  CHECK(status["retention"]["executing"].is_null());
  auto rows = box.rows("old");
  REQUIRE(rows.size() == static_cast<std::size_t>(kExpired));
  for (const auto& r : rows) {
    if (r.state != index::SegmentState::Deleted || fs::exists(storage / r.path)) {
      FAIL("segment " << r.path << " is " << index::to_string(r.state));
    }
  }
  // 20 batches of 1,000: the camera's turns ran between every two of them, saw the plan part
  // done (1,000 ... 19,000 rows), and their segments were committed before each next batch.
  REQUIRE(progress_seen.size() >= static_cast<std::size_t>(kExpired / 1000 - 1));
  CHECK(*progress_seen.rbegin() < kExpired);
  // The pass left one access-log row (issue 15: every change leaves a trace), its counts and
  // bytes per camera and reason adding up to what was deleted.
  std::vector<index::AccessLogRow> deletions;
  auto logged_rows = index.access_log({UtcTime{}, UtcTime::max()}).value();
  for (auto& row : logged_rows) {
    if (row.action == "retention_delete") deletions.push_back(std::move(row));
  }
  REQUIRE(deletions.size() == 1);
  auto logged = nlohmann::json::parse(deletions[0].arguments);
  INFO(logged.dump(2));
  CHECK(logged["deleted"] == kExpired);
  CHECK(logged["trigger"] == "test");
  std::int64_t segments = 0;
  std::int64_t bytes = 0;
  for (const auto& [reason, figures] : logged["by_camera"]["old"].items()) {
    segments += figures["segments"].get<std::int64_t>();
    bytes += figures["bytes"].get<std::int64_t>();
  }
  CHECK(segments == kExpired);
  CHECK(bytes == logged["bytes"].get<std::int64_t>());
  CHECK(index.verify_access_log().value().empty());
  CHECK(commits_while_deleting >= kExpired / 1000 - 1);
  auto live = box.rows("live");
  CHECK(live.size() >= static_cast<std::size_t>(kExpired / 1000 - 1));
  for (const auto& r : live) CHECK(r.state == index::SegmentState::Closed);
}

TEST_CASE("a clock that jumps while a large plan is carried out stops it at the next batch", "[retention][db]") {
  Backlog box;
  asio::io_context io;
  FakeClock clock{box.now};
  alerts::AlertCenter alerts{box.index, clock};
  daemon::RetentionHooks hooks;
  daemon::RetentionTask task{io, box.index, alerts, clock, box.daemon_run, hooks};
  task.configure(box.config);
  // Another job on the loop: once the plan is part done, the wall clock jumps 10 years ahead
  // (what a bad NTP answer or a lost RTC does; a real clock cannot be stepped in a test).
  bool jumped = false;
  std::int64_t handled_at_jump = 0;
  std::function<void()> watch = [&] {
    if (task.passes_finished() > 0) return;
    nlohmann::json status;
    task.add_status(status);
    const auto& executing = status["retention"]["executing"];
    if (!jumped && executing.is_object() && executing["handled"].get<std::int64_t>() >= 5000) {
      handled_at_jump = executing["handled"].get<std::int64_t>();
      clock.step_wall_clock(std::chrono::days(3652));
      jumped = true;
    }
    asio::post(io, watch);
  };
  task.request_pass("test");
  asio::post(io, watch);
  while (task.passes_finished() == 0) REQUIRE(io.run_one() > 0);

  REQUIRE(jumped);
  nlohmann::json status;
  task.add_status(status);
  INFO(status.dump(2));
  // Nothing after the jump: the batches done before it, and not one row more.
  CHECK(status["retention"]["deleted_last_pass"] == handled_at_jump);
  CHECK(status["retention"]["clock_trusted"] == false);
  std::int64_t deleted = 0;
  for (const auto& r : box.rows("old")) {
    bool gone = r.state == index::SegmentState::Deleted;
    deleted += gone ? 1 : 0;
    CHECK(gone != fs::exists(box.storage / r.path));
    if (!gone) CHECK(r.state == index::SegmentState::Closed);
  }
  CHECK(deleted == handled_at_jump);
  CHECK(deleted < kExpired);
  CHECK(alerts.is_open(alerts::kClockUntrusted, ""));
}
