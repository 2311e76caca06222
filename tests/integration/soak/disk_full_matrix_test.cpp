// Issue 14's fault matrix, the disk-full half: a real carekeepd recording real fakecam cameras
// onto a real small file system (tmpfs, tests/support/small_fs.hpp) that is filled to its last
// byte during each phase of the work — a segment being written, a segment being closed and
// renamed, the index's commit (the index on a small file system of its own, and on the same
// one as the footage), retention deleting, and `carekeep export` writing. After each: the
// daemon is still up, the typed fault (disk_fault=full) and the alert are in its log,
// recording resumes once space returns, every live row has its whole file and every file its
// row (outside quarantine), `carekeep verify` is clean, protected care footage is never
// deleted. Figures go to README ("Fault matrix"); run with `ctest --test-dir build/ci -L soak`.
// The quick case (segment write and index commit at once, one short run) is also built alone
// as disk_full_quick_test, in the default run; the rest only with CAREKEEP_DISK_FULL_SOAK.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "index/index.hpp"
#include "segment/hash.hpp"
#include "support/media.hpp"
#include "support/recording.hpp"
#include "support/rtsp_test_server.hpp"
#include "support/small_fs.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMB = 1'000'000;
const index::TimeRange kAll{UtcTime{}, from_us(INT64_MAX / 2)};

// Fills the file system holding `ballast` to its last byte: writes of 1 MiB, then smaller,
// until each size is refused (ENOSPC). Returns the bytes written.
std::uint64_t fill(const fs::path& ballast) {
  int fd = ::open(ballast.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  std::uint64_t total = 0;
  for (std::size_t chunk : {std::size_t{1} << 20, std::size_t{64} << 10, std::size_t{4} << 10, std::size_t{512}, std::size_t{1}}) {
    std::string bytes(chunk, 'x');
    for (;;) {
      ssize_t n = ::write(fd, bytes.data(), bytes.size());
      if (n <= 0) break;
      total += static_cast<std::uint64_t>(n);
    }
  }
  ::close(fd);
  return total;
}

struct Layout {
  int cameras = 2;
  std::uint64_t disk_bytes = 24 * kMB;
  bool index_on_own_fs = false;  // else the index is on the footage's file system
  std::string care = "\"00:00-24:00\"";
  int min_free_percent = 0;  // no headroom: the writers run into the full disk themselves
};

// One camera recording onto an 8 MB file system that also holds the index.
Layout one_small_disk() {
  Layout layout;
  layout.cameras = 1;
  layout.disk_bytes = 8 * kMB;
  return layout;
}

// Care hours (site zone UTC) a few hours from now: what is recorded now is not protected.
[[maybe_unused]] std::string care_later() {
  auto now = SystemClock{}.now();
  auto hour = static_cast<int>(
      std::chrono::duration_cast<std::chrono::hours>(now - std::chrono::floor<std::chrono::days>(now)).count());
  char text[32];
  std::snprintf(text, sizeof text, "\"%02d:00-%02d:00\"", (hour + 6) % 24, (hour + 7) % 24);
  return text;
}

// carekeepd with its cameras, storage on a small file system, index beside it or on one of
// its own, config and log in a temporary directory.
class Rig {
 public:
  explicit Rig(Layout layout) : layout_(std::move(layout)), disk_(layout_.disk_bytes) {
    for (int i = 0; i < layout_.cameras; ++i) specs_.push_back(test::RtspTestServer::camera("cam" + std::to_string(i)));
    server_ = std::make_unique<test::RtspTestServer>(specs_);
    if (layout_.index_on_own_fs) index_disk_ = std::make_unique<test::SmallFilesystem>(8 * kMB);
    storage_ = disk_.path() / "media";
    database_ = (index_disk_ ? index_disk_->path() : disk_.path()) / "state" / "index.db";
    write_config(layout_.care);
    daemon_ = std::make_unique<test::DaemonProcess>(CAREKEEPD_BIN, dir_ / "carekeep.toml", dir_ / "daemon.log");
  }
  ~Rig() {
    // A failed REQUIRE leaves the ballast: the next test gets a fresh file system anyway.
    std::error_code ec;
    fs::remove(ballast(), ec);
    if (index_disk_) fs::remove(index_ballast(), ec);
  }

  void write_config(const std::string& care) {
    std::string text = "[site]\nname = \"disk full matrix\"\ntimezone = \"UTC\"\nstorage = \"" + storage_.string() +
                       "\"\ndatabase = \"" + database_.string() +
                       "\"\n\n[retention]\ncare_days = 90\nother_days = 7\nmin_free_percent = " +
                       std::to_string(layout_.min_free_percent) + "\n\n[care_hours]\n";
    for (const char* day : {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})
      text += std::string(day) + " = [" + care + "]\n";
    std::string zone;
    for (const auto& s : specs_) {
      text += "\n[[camera]]\nid = \"" + s.id + "\"\nurl = \"" + server_->url(s.id) + "\"\nsegment_seconds = 10\n";
      zone += (zone.empty() ? "\"" : ", \"") + s.id + "\"";
    }
    text += "\n[[zone]]\nid = \"all\"\ncameras = [" + zone + "]\n";
    test::write_text(dir_ / "carekeep.toml", text);
  }

  void start() {
    daemon_->start();
    ++starts_;
    bool ready = daemon_->wait_for_log("daemon_ready", 30s, starts_);
    if (!ready) {
      auto text = log();
      INFO("carekeepd did not get ready; its log ends with:\n" << text.substr(text.size() > 6000 ? text.size() - 6000 : 0));
      REQUIRE(ready);
    }
    REQUIRE(daemon_->wait_for_log("camera_up", 30s, ups() + layout_.cameras));
  }
  int ups() const { return count("camera_up"); }
  void stop() {
    daemon_->signal(SIGTERM);
    int status = daemon_->wait(15s);
    if (status != 0) {
      auto text = log();
      INFO("carekeepd exited with " << status << "; its log ends with:\n" << text.substr(text.size() > 8000 ? text.size() - 8000 : 0));
      REQUIRE(status == 0);
    }
  }
  bool up() { return daemon_->wait(100ms) == -1; }
  std::string log() const { return daemon_->log_text(); }
  int count(std::string_view needle) const {
    auto text = log();
    int n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  }
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout, int n = 1) const {
    return daemon_->wait_for_log(needle, timeout, n);
  }

  fs::path ballast() const { return disk_.path() / "ballast"; }
  fs::path index_ballast() const { return index_disk_->path() / "ballast"; }
  const fs::path& storage() const { return storage_; }
  const fs::path& database() const { return database_; }
  const test::TempDir& dir() const { return dir_; }
  const std::vector<fakecam::CameraSpec>& cameras() const { return specs_; }

  // Rows of every camera, read through a reader connection (WAL: alongside the daemon).
  std::vector<index::SegmentRow> rows() const {
    auto index = index::Index::open_reader(database_);
    if (!index) return {};
    std::vector<index::SegmentRow> all;
    for (const auto& s : specs_) {
      auto rows = index->segments(s.id, kAll);
      if (rows) all.insert(all.end(), rows->begin(), rows->end());
    }
    return all;
  }
  // Closed segments that began at or after `after`, per camera: each camera records again.
  bool each_closed_since(UtcTime after) const {
    std::map<std::string, int> closed;
    for (const auto& r : rows())
      if (r.state == index::SegmentState::Closed && r.start >= after) ++closed[r.camera_id];
    return static_cast<int>(closed.size()) == layout_.cameras;
  }

  // Whether the index has an open alert of `kind` (read alongside the daemon, as the CLI does).
  bool alert_open(std::string_view kind) const {
    auto index = index::Index::open_reader(database_);
    if (!index) return false;
    auto open = index->open_alerts();
    if (!open) return false;
    return std::any_of(open->begin(), open->end(), [&](const auto& a) { return a.kind == kind; });
  }

  test::CommandRun cli(const std::string& args) const {
    return test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + (dir_ / "carekeep.toml").string() + " " + args);
  }

 private:
  Layout layout_;
  test::TempDir dir_;
  test::SmallFilesystem disk_;
  std::unique_ptr<test::SmallFilesystem> index_disk_;
  std::vector<fakecam::CameraSpec> specs_;
  std::unique_ptr<test::RtspTestServer> server_;
  fs::path storage_;
  fs::path database_;
  std::unique_ptr<test::DaemonProcess> daemon_;
  int starts_ = 0;
};

struct Findings {
  std::size_t live = 0;       // rows with footage (closed, recovered)
  std::size_t damaged = 0;
  std::size_t deleted = 0;
  std::size_t cut = 0;        // closed at the last whole fragment after a write error
  std::size_t quarantined = 0;
};

// After the daemon stopped: every live row has its whole file (size, SHA-256, plays from a
// keyframe), every file its row (outside quarantine), no .partial left, no open row, protected
// rows never deleted, and `carekeep verify` clean.
Findings check_consistent(const Rig& rig, UtcTime now) {
  Findings f;
  std::set<std::string> row_paths;
  for (const auto& r : rig.rows()) {
    INFO(r.path << " " << index::to_string(r.state) << " " << r.state_detail);
    auto path = rig.storage() / r.path;
    CHECK(r.state != index::SegmentState::Open);
    CHECK(r.state != index::SegmentState::Deleting);
    CHECK_FALSE(fs::exists(path.string() + ".partial"));
    if (r.state == index::SegmentState::Deleted) {
      ++f.deleted;
      CHECK_FALSE(fs::exists(path));
      CHECK((!r.protect_until || *r.protect_until <= now));  // protected care footage is never deleted
      continue;
    }
    row_paths.insert(r.path);
    if (r.state == index::SegmentState::Damaged) {
      ++f.damaged;
      CHECK_FALSE(fs::exists(path));  // nothing whole was written: no file kept
      continue;
    }
    ++f.live;
    REQUIRE(fs::exists(path));
    CHECK(static_cast<std::int64_t>(fs::file_size(path)) == r.size_bytes);
    REQUIRE(r.sha256);
    CHECK(segment::to_hex(*r.sha256) == test::sha256_file(path));
    auto info = test::probe(path);
    CHECK(info.opened);
    CHECK(info.first_packet_key);
    if (r.state_detail.find("cut at the last whole fragment") != std::string::npos) ++f.cut;
  }
  for (const auto& entry : fs::recursive_directory_iterator(rig.storage())) {
    if (!entry.is_regular_file()) continue;
    auto rel = fs::relative(entry.path(), rig.storage()).string();
    INFO(rel);
    if (entry.path().filename().string().front() == '.') continue;  // the daemon's lock file
    if (rel.rfind("quarantine/", 0) == 0) {
      ++f.quarantined;
      continue;
    }
    CHECK(entry.path().extension() != ".partial");
    CHECK(row_paths.count(rel) == 1);
  }
  CHECK(f.quarantined == 0);
  auto verified = rig.cli("verify");
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  return f;
}

// The disk filled while every camera records, held full for `hold`, then freed: what the
// daemon must do about it (still up, typed fault and alert logged, recording back).
[[maybe_unused]] void fill_hold_release(Rig& rig, const fs::path& ballast, std::chrono::seconds hold) {
  int faults_before = rig.count("disk_fault=full");
  fill(ballast);
  INFO(rig.log().substr(rig.log().size() > 6000 ? rig.log().size() - 6000 : 0));
  REQUIRE(rig.wait_for_log("disk_fault=full", 30s, faults_before + 1));
  std::this_thread::sleep_for(hold);  // retries against the full disk
  CHECK(rig.up());
  auto returned = SystemClock{}.now();
  fs::remove(ballast);
  CHECK(test::wait_until([&] { return rig.each_closed_since(returned); }, 45s));
  CHECK(rig.up());
}

}  // namespace

// The default run's share (disk_full_quick_test, label rtsp): one camera, the footage's and the
// index's file systems filled at once a second into recording, freed after the typed faults
// are logged; recording starts again and everything agrees. About 10 s.
TEST_CASE("quick: footage and index disks full while recording, then freed: typed faults logged, rows and files agree",
          "[disk_full_quick]") {
  Layout layout;
  layout.cameras = 1;
  layout.disk_bytes = 8 * kMB;
  layout.index_on_own_fs = true;
  Rig rig{layout};
  rig.start();
  std::this_thread::sleep_for(1500ms);
  int ups = rig.ups();
  fill(rig.index_ballast());
  fill(rig.ballast());
  REQUIRE(rig.wait_for_log("segment_write_failed", 15s));  // the recorder's write, typed at the write
  CHECK(rig.count("disk_fault=full") >= 1);
  CHECK(rig.wait_for_log("index_commit_failed", 5s));
  CHECK(rig.up());
  fs::remove(rig.ballast());
  fs::remove(rig.index_ballast());
  CHECK(rig.wait_for_log("camera_up", 15s, ups + 1));  // recording again
  CHECK(rig.wait_for_log("index_commit_resumed", 5s));
  rig.stop();
  auto f = check_consistent(rig, SystemClock{}.now());
  CHECK(f.live + f.damaged >= 1);
}

// Alerts are the operator's only sign of a full disk. With the index on the footage's disk
// they used to ride in the catalog's batch, rolled back with it, so a full disk holding the
// index reached the log and webhooks only. They are written on their own now, with the disk
// reserve beside the index given back when even that is refused. About 10 s.
TEST_CASE("quick: one disk holding footage and index filled to the last byte: disk_full is in the index while it is full",
          "[disk_full_quick]") {
  Rig rig{one_small_disk()};
  rig.start();
  std::this_thread::sleep_for(1500ms);
  fill(rig.ballast());
  REQUIRE(rig.wait_for_log("disk_fault=full", 15s));
  auto open_disk_full = [&] { return rig.alert_open("disk_full"); };
  INFO(rig.log().substr(rig.log().size() > 6000 ? rig.log().size() - 6000 : 0));
  CHECK(test::wait_until(open_disk_full, 10s));  // the disk is still full
  std::this_thread::sleep_for(3s);  // the catalog's batch is refused again meanwhile
  CHECK(open_disk_full());
  CHECK(rig.up());
  fs::remove(rig.ballast());
  rig.stop();
  check_consistent(rig, SystemClock{}.now());
}

// A box that comes back (power cut, update) to a disk its cameras filled to the last byte: the
// daemon gives the reserve back before it opens the index, starts, raises disk_full in the
// index, and leaves the index whole (rows and files agree, verify clean). About 10 s.
TEST_CASE("quick: start on a disk holding footage and index already full to the last byte: starts, alerts, index whole",
          "[disk_full_quick]") {
  Rig rig{one_small_disk()};
  rig.start();
  auto reserve = rig.database().parent_path() / "disk-reserve";
  REQUIRE(test::wait_until([&] { return fs::exists(reserve); }, 10s));  // made at the first start
  rig.stop();
  fill(rig.ballast());
  rig.start();
  auto text = rig.log();
  INFO(text.substr(text.size() > 6000 ? text.size() - 6000 : 0));
  // Given back before the index was opened (the run's row, recovery and the config load write).
  auto second_start = text.rfind("daemon_stopped");
  auto released = text.find("disk_reserve_released", second_start == std::string::npos ? 0 : second_start);
  REQUIRE(released != std::string::npos);
  auto recovered = text.find("recovery_done", second_start == std::string::npos ? 0 : second_start);
  CHECK(released < recovered);
  CHECK_FALSE(fs::exists(reserve));
  auto open_disk_full = [&] { return rig.alert_open("disk_full"); };
  bool raised = test::wait_until(open_disk_full, 15s);
  if (!raised) {  // the log as it is now, not as it was at the start above
    auto now_text = rig.log();
    UNSCOPED_INFO("log since the second start:\n" << now_text.substr(std::min(now_text.size(), second_start)));
  }
  CHECK(raised);
  CHECK(rig.up());
  // Recording resuming once space returns is the first case's; its reconnect pace after
  // repeated disk errors would make this one slow.
  fs::remove(rig.ballast());
  rig.stop();
  check_consistent(rig, SystemClock{}.now());
}

#ifdef CAREKEEP_DISK_FULL_SOAK

TEST_CASE("disk full while segments are written: cut at the last whole fragment, disk_full raised, recording resumes",
          "[soak][disk_full]") {
  Rig rig{{}};
  rig.start();
  std::this_thread::sleep_for(4s);  // mid-segment: some fragments written, none closed yet
  fill_hold_release(rig, rig.ballast(), 5s);
  CHECK(rig.count("segment_write_failed") >= 1);
  CHECK(rig.count("kind=disk_full") >= 1);  // alert_raised: the index on the same full disk keeps it once space returns
  rig.stop();
  auto f = check_consistent(rig, SystemClock{}.now());
  CHECK(f.cut >= 1);
  WARN("segment write: " << f.live << " live, " << f.cut << " cut at a fragment, " << f.damaged << " damaged (no file), "
                         << rig.count("disk_fault=full") << " typed full faults logged");
}

TEST_CASE("disk full as segments close and are renamed, three times: each close is whole or cut, never lost",
          "[soak][disk_full]") {
  Rig rig{{}};
  rig.start();
  for (int round = 0; round < 3; ++round) {
    // The newest open segment of cam0: its close comes at the first keyframe after 10 s.
    std::optional<UtcTime> opened;
    REQUIRE(test::wait_until([&] {
      for (const auto& r : rig.rows())
        if (r.camera_id == "cam0" && r.state == index::SegmentState::Open && (!opened || r.start > *opened)) opened = r.start;
      return opened.has_value() && SystemClock{}.now() - *opened < 5s;
    }, 30s));
    // 9.5–9.9 s into it: the trailer, the last fragment's flush, the fsync and the rename.
    auto at = *opened + 9500ms + std::chrono::milliseconds(round * 200);
    std::this_thread::sleep_until(at);
    fill_hold_release(rig, rig.ballast(), 3s);
  }
  rig.stop();
  auto f = check_consistent(rig, SystemClock{}.now());
  WARN("close and rename: " << f.live << " live, " << f.cut << " cut at a fragment, " << f.damaged << " damaged");
}

TEST_CASE("the index's own disk full while cameras record: reports wait in memory and are written when space returns",
          "[soak][disk_full]") {
  Layout layout;
  layout.index_on_own_fs = true;
  Rig rig{layout};
  rig.start();
  std::this_thread::sleep_for(3s);
  int failed_before = rig.count("index_commit_failed");
  fill(rig.index_ballast());
  REQUIRE(rig.wait_for_log("index_commit_failed", 20s, failed_before + 1));
  CHECK(rig.count("index_commit_failed") == failed_before + 1);  // logged once, not every second
  CHECK(rig.log().find("index_commit_failed") != std::string::npos);
  std::this_thread::sleep_for(25s);  // two or three segments per camera close meanwhile
  CHECK(rig.up());
  CHECK(rig.wait_for_log("disk_fault=full", 1s));  // the catalog's refusal, typed from SQLite's errno
  auto returned = SystemClock{}.now();
  fs::remove(rig.index_ballast());
  REQUIRE(rig.wait_for_log("index_commit_resumed", 20s));
  CHECK(test::wait_until([&] { return rig.each_closed_since(returned); }, 40s));
  rig.stop();
  auto f = check_consistent(rig, SystemClock{}.now());
  // The segments closed while the index refused are rows now, not files without rows.
  std::size_t during = 0;
  for (const auto& r : rig.rows())
    if (r.state == index::SegmentState::Closed && r.start < returned && r.start > returned - 25s) ++during;
  CHECK(during >= 2);
  WARN("index commit (own disk): " << f.live << " live rows, " << during << " recorded while the index refused, "
                                   << f.quarantined << " quarantined");
}

TEST_CASE("retention deleting on a full disk: unprotected footage goes, protected care footage stays, rows and files agree",
          "[soak][disk_full]") {
  Layout layout;
  layout.min_free_percent = 10;
  Rig rig{layout};
  // First care footage (protected for 90 days), then footage outside care hours.
  rig.start();
  REQUIRE(test::wait_until([&] { return rig.each_closed_since(UtcTime{}); }, 40s));
  rig.stop();
  rig.write_config(care_later());
  rig.start();
  auto unprotected_from = SystemClock{}.now();
  REQUIRE(test::wait_until([&] { return rig.each_closed_since(unprotected_from); }, 40s));
  int passes = rig.count("retention_pass");
  fill(rig.ballast());
  // The pass the full disk sets off has to write the index on that same full disk.
  REQUIRE(rig.wait_for_log("retention_pass", 30s, passes + 1));
  std::this_thread::sleep_for(10s);
  CHECK(rig.up());
  auto text = rig.log();
  INFO(text.substr(text.size() > 6000 ? text.size() - 6000 : 0));
  fs::remove(rig.ballast());
  int released = rig.count("disk_reserve_released");
  rig.stop();
  auto now = SystemClock{}.now();
  auto f = check_consistent(rig, now);
  std::size_t protected_live = 0;
  for (const auto& r : rig.rows())
    if (r.protect_until && *r.protect_until > now && r.state == index::SegmentState::Closed) ++protected_live;
  CHECK(protected_live >= 2);
  CHECK(f.deleted >= 1);  // it did delete unprotected footage with the disk full
  // The deciding transaction needed the reserve's space (before it, nothing was ever deleted).
  CHECK(rig.count("disk_reserve_released") >= 1);
  WARN("retention on a full disk: " << f.deleted << " deleted, " << protected_live << " protected kept, " << f.live
                                    << " live; disk reserve given back " << released << " time(s)");
}

TEST_CASE("carekeep export to a full disk: refused with the reason, nothing half written, the hold released, "
          "recording untouched",
          "[soak][disk_full]") {
  Rig rig{{}};
  rig.start();
  REQUIRE(test::wait_until([&] { return rig.each_closed_since(UtcTime{}); }, 40s));
  test::SmallFilesystem out_disk{2 * kMB};
  test::write_text(out_disk.path() / "ballast", std::string(1'900'000, 'x'));  // ~100 kB left: less than the export
  auto rows = rig.rows();
  std::optional<index::SegmentRow> first;
  for (const auto& r : rows)
    if (r.camera_id == "cam0" && r.state == index::SegmentState::Closed) first = r;
  REQUIRE(first);
  auto from = std::chrono::floor<std::chrono::seconds>(first->start);
  auto exported = rig.cli("export --camera cam0 --from " + format_utc_iso(from) + " --to " + format_utc_iso(from + 9s) +
                          " --out " + (out_disk.path() / "export").string());
  INFO(exported.out << exported.err);
  CHECK(exported.exit_code != 0);
  CHECK((exported.err + exported.out).find("No space left on device") != std::string::npos);
  // Nothing that looks like a finished export is left on the full disk.
  for (const auto& entry : fs::recursive_directory_iterator(out_disk.path())) {
    if (!entry.is_regular_file() || entry.path().filename() == "ballast") continue;
    INFO(entry.path());
    CHECK(entry.path().extension() != ".mp4");
  }
  CHECK(rig.up());
  {
    auto index = index::Index::open_reader(rig.database());
    REQUIRE(index);
    CHECK(index->active_holds().value().empty());  // the export's hold went with it
  }
  auto after = SystemClock{}.now();
  CHECK(test::wait_until([&] { return rig.each_closed_since(after); }, 30s));
  rig.stop();
  check_consistent(rig, SystemClock{}.now());
}

#endif  // CAREKEEP_DISK_FULL_SOAK
