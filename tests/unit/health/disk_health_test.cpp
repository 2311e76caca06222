// health::DiskHealthMonitor: what a typed disk fault, a read-only file system and SMART
// (real smartctl outputs recorded in tests/data/smart) raise and resolve, over time on the
// fake clock. The open alerts are kept here the way AlertCenter keeps them (one per kind and
// subject), so every decision is checked against the state the previous ones left.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

#include "health/disk_health.hpp"
#include "health/disk_reserve.hpp"
#include "support/small_fs.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using health::AlertAction;

namespace {

// The open alerts, as AlertCenter would have them after each action.
struct Alerts {
  std::vector<alerts::Alert> open;
  int writes = 0;  // raises and resolves that reached "the index"
  void apply(const std::vector<AlertAction>& actions) {
    for (const auto& a : actions) {
      ++writes;
      auto it = std::find_if(open.begin(), open.end(), [&](const auto& x) { return x.kind == a.kind && x.subject == a.subject; });
      if (a.op == AlertAction::Op::Resolve) {
        if (it != open.end()) open.erase(it);
        continue;
      }
      if (it == open.end()) it = open.insert(open.end(), alerts::Alert{});
      it->kind = a.kind;
      it->subject = a.subject;
      it->severity = a.severity;
      it->message = a.message;
    }
  }
  const alerts::Alert* find(std::string_view kind, std::string_view subject = "") const {
    auto it = std::find_if(open.begin(), open.end(), [&](const auto& x) { return x.kind == kind && x.subject == subject; });
    return it == open.end() ? nullptr : &*it;
  }
};

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

health::DiskHealth parsed(const std::string& name, const std::string& device) {
  auto text = test::read_text(std::filesystem::path(CAREKEEP_SOURCE_DIR) / "tests/data/smart" / name);
  auto disk = health::parse_smartctl(text, device);
  REQUIRE(disk);
  return *disk;
}

health::SmartState state_of(UtcTime checked, std::vector<health::DiskHealth> disks) {
  health::SmartState s;
  s.checked = checked;
  s.storage = "/srv/footage";
  s.source = "/dev/sdc1";
  s.disks = std::move(disks);
  if (s.available()) s.last_available = s.checked;
  return s;
}

}  // namespace

TEST_CASE("each typed write fault raises its own alert: full and quota disk_full, read-only disk_readonly, EIO disk_error",
          "[health]") {
  health::DiskHealthMonitor monitor{"/srv/footage"};
  Alerts a;
  a.apply(monitor.write_failed({"nap", DiskFault::Full, "writing x.partial: No space left on device"}, a.open));
  REQUIRE(a.find(alerts::kDiskFull));
  CHECK(a.find(alerts::kDiskFull)->severity == alerts::Severity::Critical);
  CHECK(contains(a.find(alerts::kDiskFull)->message, "the disk /srv/footage is full"));
  // Raised once: a second camera's ENOSPC does not rewrite retention's refined words.
  int writes = a.writes;
  a.apply(monitor.write_failed({"play", DiskFault::Quota, "writing y.partial: Disk quota exceeded"}, a.open));
  CHECK(a.writes == writes);

  Alerts q;
  q.apply(monitor.write_failed({"nap", DiskFault::Quota, "writing x.partial: Disk quota exceeded"}, q.open));
  REQUIRE(q.find(alerts::kDiskFull));
  CHECK(contains(q.find(alerts::kDiskFull)->message, "quota"));

  Alerts ro;
  ro.apply(monitor.write_failed({"nap", DiskFault::ReadOnly, "creating x.partial: Read-only file system"}, ro.open));
  REQUIRE(ro.find(alerts::kDiskReadonly));
  CHECK(contains(ro.find(alerts::kDiskReadonly)->message, "Read-only file system"));
  CHECK_FALSE(ro.find(alerts::kDiskFull));

  Alerts io;
  io.apply(monitor.write_failed({"nap", DiskFault::IoError, "writing x.partial: Input/output error"}, io.open));
  REQUIRE(io.find(alerts::kDiskError, "nap"));
  CHECK(io.find(alerts::kDiskError, "nap")->severity == alerts::Severity::Warning);
  CHECK_FALSE(io.find(alerts::kDiskError, "play"));
  // Its next whole segment resolves it; one cut after another write error does not.
  io.apply(monitor.segment_closed("nap", true, io.open));
  CHECK(io.find(alerts::kDiskError, "nap"));
  io.apply(monitor.segment_closed("play", false, io.open));
  CHECK(io.find(alerts::kDiskError, "nap"));
  io.apply(monitor.segment_closed("nap", false, io.open));
  CHECK_FALSE(io.find(alerts::kDiskError, "nap"));

  // Not a disk fault (a pause, a muxer error): nothing. The words of a detail never decide:
  // the detail below says "No space left" but the fault says none.
  Alerts none;
  none.apply(monitor.write_failed({"nap", DiskFault::None, "No space left on device"}, none.open));
  CHECK(none.open.empty());
}

TEST_CASE("a read-only file system: the disk or the sandbox, raised once, resolved when writable again", "[health]") {
  health::DiskHealthMonitor monitor{"/srv/footage"};
  Alerts a;
  retention::StorageAccess disk;
  disk.block = retention::WriteBlock::ReadOnlyDisk;
  disk.storage = "/srv/footage";
  disk.detail = "statvfs: ST_RDONLY";
  a.apply(monitor.read_only(disk, a.open));
  REQUIRE(a.find(alerts::kDiskReadonly));
  CHECK_FALSE(a.find(alerts::kStorageNotWritable));
  int writes = a.writes;
  a.apply(monitor.read_only(disk, a.open));  // every 2 s: no rewrite
  CHECK(a.writes == writes);
  // The write that failed with EROFS meanwhile adds nothing: the check has said which it is.
  a.apply(monitor.write_failed({"nap", DiskFault::ReadOnly, "Read-only file system"}, a.open));
  CHECK(a.writes == writes);
  a.apply(monitor.read_only(std::nullopt, a.open));
  CHECK(a.open.empty());

  retention::StorageAccess sandbox = disk;
  sandbox.block = retention::WriteBlock::Sandbox;
  a.apply(monitor.read_only(sandbox, a.open));
  REQUIRE(a.find(alerts::kStorageNotWritable));
  CHECK_FALSE(a.find(alerts::kDiskReadonly));
  CHECK(contains(a.find(alerts::kStorageNotWritable)->message, "ReadWritePaths"));
  a.apply(monitor.read_only(std::nullopt, a.open));
  CHECK(a.open.empty());
}

TEST_CASE("SMART over time: failing raised once, replaced disk resolves, lost and stale only after it was readable",
          "[health]") {
  FakeClock clock{from_us(1'796'000'000'000'000)};
  health::DiskHealthMonitor monitor{"/srv/footage"};
  Alerts a;
  // An earlier run left a warning open; until a smart.json is read nothing is known either way.
  a.apply({{AlertAction::Op::Raise, std::string(alerts::kDiskSmartWarning), "/dev/sdb", alerts::Severity::Warning, "old"}});
  a.apply(monitor.smart(nullptr, clock.now(), nullptr, a.open));
  CHECK(a.find(alerts::kDiskSmartWarning, "/dev/sdb"));

  // This VM's virtio disk: no SMART, never any: no alert, and the stale warning goes.
  auto vm = state_of(clock.now(), {parsed("virtio_no_smart_vm.json", "/dev/vda")});
  CHECK(monitor.smart_read(vm).size() == 1);
  a.apply(monitor.smart(&vm, clock.now(), nullptr, a.open));
  CHECK(a.open.empty());
  CHECK_FALSE(monitor.smart_seen_available());

  auto failing = state_of(clock.now(), {parsed("ata_failing_hitachi_hds721050dle630.json", "/dev/sdc")});
  auto changes = monitor.smart_read(failing);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].disk->verdict == health::SmartVerdict::Failing);
  a.apply(monitor.smart(&failing, clock.now(), nullptr, a.open));
  REQUIRE(a.find(alerts::kDiskSmartFailing, "/dev/sdc"));
  CHECK(a.find(alerts::kDiskSmartFailing, "/dev/sdc")->severity == alerts::Severity::Critical);
  int writes = a.writes;
  for (int i = 0; i < 30; ++i) {  // a minute of 2 s ticks: the index is not rewritten
    clock.advance(2s);
    a.apply(monitor.smart(&failing, clock.now(), nullptr, a.open));
  }
  CHECK(a.writes == writes);
  CHECK(monitor.smart_read(failing).empty());  // same verdict: nothing new to log

  // Replaced by a healthy disk: resolved.
  auto healthy = state_of(clock.now(), {parsed("ata_healthy_wdc_wd140edfz.json", "/dev/sdc")});
  CHECK(monitor.smart_read(healthy).size() == 1);
  a.apply(monitor.smart(&healthy, clock.now(), nullptr, a.open));
  CHECK(a.open.empty());

  // 5 h later without a new smart.json: the hourly check stopped.
  clock.advance(5h);
  a.apply(monitor.smart(&healthy, clock.now(), nullptr, a.open));
  REQUIRE(a.find(alerts::kDiskSmartUnavailable));
  CHECK(contains(a.find(alerts::kDiskSmartUnavailable)->message, "carekeep-smart.timer"));
  // A fresh result resolves it.
  auto fresh = state_of(clock.now(), {parsed("ata_healthy_wdc_wd140edfz.json", "/dev/sdc")});
  monitor.smart_read(fresh);
  a.apply(monitor.smart(&fresh, clock.now(), nullptr, a.open));
  CHECK(a.open.empty());

  // SMART lost after it was readable (in this run): unavailable.
  auto lost = state_of(clock.now(), {parsed("open_failed_windows.json", "/dev/sdc")});
  monitor.smart_read(lost);
  a.apply(monitor.smart(&lost, clock.now(), nullptr, a.open));
  REQUIRE(a.find(alerts::kDiskSmartUnavailable));
  CHECK(contains(a.find(alerts::kDiskSmartUnavailable)->message, "Open failed"));
}

TEST_CASE("the disk reserve: made when there is room twice over, given back whole on a full disk", "[health][disk]") {
  test::SmallFilesystem disk{4 * 1024 * 1024};
  health::DiskReserve reserve{disk.path() / "disk-reserve"};
  auto size = health::DiskReserve::size_for(4 * 1024 * 1024);
  CHECK(size == 256 * 1024);  // 1 % of 4 MiB is below the floor
  CHECK(health::DiskReserve::size_for(std::uint64_t{2} << 40) == 16 * 1024 * 1024);
  auto made = reserve.ensure();
  REQUIRE(made);
  CHECK(*made);
  CHECK(std::filesystem::file_size(reserve.path()) == size);
  CHECK(*reserve.ensure());  // in place already: nothing written again

  // Full to the last byte: what the reserve holds is exactly what a release gives back.
  test::write_text(disk.path() / "other", "");
  {
    std::ofstream out(disk.path() / "other", std::ios::binary);
    std::string chunk(4096, 'x');
    while (out.write(chunk.data(), static_cast<std::streamsize>(chunk.size())) && out.flush()) {
    }
  }
  CHECK(reserve.release() >= size);
  CHECK_FALSE(std::filesystem::exists(reserve.path()));
  CHECK(reserve.release() == 0);  // gone already
  auto again = reserve.ensure();  // 256 KiB free, 512 KiB needed: not yet
  REQUIRE(again);
  CHECK_FALSE(*again);
  CHECK_FALSE(std::filesystem::exists(reserve.path()));
  std::filesystem::remove(disk.path() / "other");
  CHECK(*reserve.ensure());
}
