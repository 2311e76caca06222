// catalog::Catalog when the index's own disk is full (docs/recording.md, Faults): a real index
// on a real small tmpfs filled to its last byte. A batch the index refuses is rolled back whole
// and its reports applied again by a later flush, in order, once space returns: the segment
// recorded meanwhile gets its row, closed, in its run.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <memory>

#include "alerts/alerts.hpp"
#include "catalog/catalog.hpp"
#include "health/disk_reserve.hpp"
#include "support/small_fs.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

void fill(const fs::path& ballast) {
  int fd = ::open(ballast.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  for (std::size_t chunk : {std::size_t{1} << 16, std::size_t{4096}, std::size_t{1}}) {
    std::string bytes(chunk, 'x');
    while (::write(fd, bytes.data(), bytes.size()) > 0) {
    }
  }
  ::close(fd);
}

const UtcTime kT = from_us(1'796'000'000'000'000);

// An index at `db` with camera "cam" and a daemon run, as carekeepd has it when it records.
std::pair<std::unique_ptr<index::Index>, index::DaemonRunId> open_index(const fs::path& db) {
  auto index = index::Index::open_writer(db);
  REQUIRE(index);
  const std::array<index::ConfiguredCamera, 1> cameras{{{"cam", "cam"}}};
  REQUIRE(index->sync_cameras(cameras, kT));
  auto run = index->begin_daemon_run({kT, "test", 1, "host"});
  REQUIRE(run);
  return {std::make_unique<index::Index>(std::move(*index)), *run};
}

}  // namespace

TEST_CASE("a batch the index's full disk refuses is kept and written once space returns, in order", "[catalog][disk]") {
  test::SmallFilesystem disk{4 * 1024 * 1024};
  auto db = disk.path() / "index.db";
  auto [index, run] = open_index(db);
  catalog::Catalog catalog{*index, run};

  fill(disk.path() / "ballast");
  CHECK(catalog.apply(recorder::RunStarted{"cam", 1, kT, "h264", 320, 240, ""}));
  recorder::SegmentOpened opened{"cam", 1, 0, "cam/2026-11-30/000000-0.mp4", kT};
  auto st = catalog.apply(opened);
  if (st) st = catalog.flush();
  REQUIRE_FALSE(st);  // SQLITE_FULL, at a statement or at the commit
  CHECK(catalog.waiting() == 2);
  CHECK(catalog.waiting_fault() == DiskFault::Full);  // typed from SQLite's saved errno
  // Later reports queue behind (a close must follow its open), whatever the disk says now.
  recorder::SegmentClosed closed;
  closed.camera = "cam";
  closed.run_key = 1;
  closed.seq = 0;
  closed.path = opened.path;
  closed.segment.start = kT;
  closed.segment.duration = 10s;
  closed.segment.size_bytes = 1234;
  closed.segment.frames = 250;
  closed.segment.keyframes = 10;
  closed.video_codec = "h264";
  CHECK(catalog.apply(closed));
  CHECK(catalog.waiting() == 3);
  CHECK_FALSE(catalog.flush());  // still full: kept again
  CHECK(catalog.waiting() == 3);

  fs::remove(disk.path() / "ballast");
  REQUIRE(catalog.flush());
  CHECK(catalog.waiting() == 0);
  CHECK_FALSE(catalog.pending());
  auto rows = index->segments("cam", {UtcTime{}, kT + 1h});
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  CHECK(rows->front().state == index::SegmentState::Closed);
  CHECK(rows->front().size_bytes == 1234);
  CHECK(rows->front().path == opened.path.string());
  auto events = index->camera_events({UtcTime{}, kT + 1h}, "cam");
  REQUIRE(events);
  REQUIRE(events->size() == 1);  // one Up, not one per attempt
  CHECK(events->front().kind == index::CameraEventKind::Up);

  // A report that can never be applied (a close without its open) is not kept.
  closed.path = "cam/2026-11-30/never-opened.mp4";
  auto refused = catalog.apply(closed);
  REQUIRE_FALSE(refused);
  CHECK(catalog.waiting() == 0);
  CHECK(catalog.flush());
}

// docs/alerts.md, "Alerts on a full disk": an alert raised while the catalog's batch is open
// (the recorder's disk_full arrives with its run's end) used to ride in that batch and was
// rolled back with it when the full disk refused the commit. First the fault, with no hooks;
// then the hooks wired as carekeepd wires them: the batch is committed (or set aside) before
// the alert's write, and the disk reserve beside the index makes room for the alert.
TEST_CASE("an alert raised while the catalog's batch is open is in the index although the full disk refuses the batch",
          "[catalog][alerts][disk]") {
  for (bool hooked : {false, true}) {
    CAPTURE(hooked);
    test::SmallFilesystem disk{4 * 1024 * 1024};
    auto db = disk.path() / "index.db";
    auto [index, run] = open_index(db);
    health::DiskReserve reserve{health::reserve_path(db)};
    REQUIRE(reserve.ensure().value());
    catalog::Catalog catalog{*index, run};
    FakeClock clock{kT};
    alerts::AlertCenter center{*index, clock};
    if (hooked)
      center.set_write_hooks({[&] { (void)catalog.commit_batch(); },
                              [&](DiskFault fault) { return out_of_space(fault) && reserve.release() > 0; }});

    fill(disk.path() / "ballast");
    REQUIRE(catalog.apply(recorder::RunStarted{"cam", 1, kT, "h264", 320, 240, ""}));  // the batch is open
    REQUIRE(catalog.pending());
    auto raised = center.raise(alerts::kDiskFull, "", alerts::Severity::Critical, "the disk is full");
    if (!hooked) {
      CHECK(raised);                 // written, inside the batch ...
      CHECK_FALSE(catalog.flush());  // ... which the full disk refuses, and keeps ...
      CHECK(catalog.waiting() >= 1);
      auto open = index->open_alerts();
      REQUIRE(open);
      CHECK(open->empty());  // ... and the alert is rolled back with it: the fault this guards against
      continue;
    }
    // Hooked: the batch was committed or set aside before the alert; its reports may well fit
    // in what the reserve left, so the flush's outcome is not the point.
    (void)catalog.flush();
    auto open = index->open_alerts();
    REQUIRE(open);
    REQUIRE(raised);
    REQUIRE(open->size() == 1);
    CHECK(open->front().kind == alerts::kDiskFull);
    CHECK_FALSE(fs::exists(reserve.path()));  // its space is what the alert was written into

    fs::remove(disk.path() / "ballast");
    REQUIRE(catalog.flush());  // the batch's reports follow once space returns
    CHECK(index->open_alerts()->size() == 1);
  }
}
