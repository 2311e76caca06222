// SMART health from smartctl's JSON (health/smart.hpp), on real recorded outputs in
// tests/data/smart (README.md there says where each comes from): healthy and failing SATA
// disks, healthy and worn NVMe SSDs, a disk smartctl could not open and this VM's virtio disk
// that has no SMART at all. A real disk cannot fail on demand, so failing disks are always
// recordings played back. Also the findmnt/lsblk parsers on recorded outputs, the smart.json
// round trip and which concerns become alerts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "health/smart.hpp"
#include "health/smart_probe.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using health::SmartConcern;
using health::SmartVerdict;

namespace {

std::string sample(const std::string& name) {
  return test::read_text(std::filesystem::path(CAREKEEP_SOURCE_DIR) / "tests/data/smart" / name);
}

health::DiskHealth parsed(const std::string& name, const std::string& device) {
  auto disk = health::parse_smartctl(sample(name), device);
  REQUIRE(disk);
  return *disk;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

const health::SmartFinding* finding(const health::DiskHealth& d, std::string_view attribute) {
  auto it = std::find_if(d.findings.begin(), d.findings.end(), [&](const auto& f) { return f.attribute == attribute; });
  return it == d.findings.end() ? nullptr : &*it;
}

const UtcTime kNow = from_us(1'796'000'000'000'000);

health::SmartState state_of(std::vector<health::DiskHealth> disks) {
  health::SmartState s;
  s.checked = kNow - 10min;
  s.storage = "/var/lib/carekeep/media";
  s.source = "/dev/sda1";
  s.disks = std::move(disks);
  if (s.available()) s.last_available = s.checked;
  return s;
}

std::vector<SmartConcern> concerns(const health::SmartState& s, bool seen) {
  health::SmartAssessmentInput input;
  input.state = &s;
  input.now = kNow;
  input.seen_available = seen;
  return health::assess(input);
}

}  // namespace

TEST_CASE("a healthy SATA disk recorded by smartctl is healthy, with its identity, temperature and hours",
          "[smart]") {
  auto d = parsed("ata_healthy_wdc_wd140edfz.json", "/dev/sdb");
  CHECK(d.verdict == SmartVerdict::Healthy);
  CHECK(d.findings.empty());
  CHECK(d.device == "/dev/sdb");
  CHECK(d.model == "WDC WD140EDFZ-11A0VA0");
  CHECK(d.serial == "9RK1XXXX");
  CHECK(d.protocol == "ATA");
  CHECK(d.temperature_c == 32);
  CHECK(d.power_on_hours == 1730);
  CHECK(d.exit_status == 0);
}

TEST_CASE("a failing SATA disk recorded by smartctl is failing: self-assessment and the attribute at its threshold",
          "[smart]") {
  auto d = parsed("ata_failing_hitachi_hds721050dle630.json", "/dev/sdc");
  CHECK(d.verdict == SmartVerdict::Failing);
  CHECK(d.model == "Hitachi HDS721050DLE630");
  CHECK(d.serial == "MSK423Y20S3HBC");
  CHECK(d.exit_status == 216);
  const auto* status = finding(d, "smart_status");
  REQUIRE(status);
  CHECK(status->failing);
  CHECK(contains(status->detail, "FAILED"));
  const auto* realloc = finding(d, "Reallocated_Sector_Ct");
  REQUIRE(realloc);
  INFO(realloc->detail);
  CHECK(realloc->failing);
  CHECK(contains(realloc->detail, "failure threshold now"));
  CHECK(contains(realloc->detail, "normalized value 1, failure threshold 5, raw 1975"));
  const auto* pending = finding(d, "Current_Pending_Sector");
  REQUIRE(pending);
  CHECK_FALSE(pending->failing);
  CHECK(contains(pending->detail, "8 sectors waiting to be reallocated"));
  // Attributes with zero counts or without a failure are not findings.
  CHECK(finding(d, "Offline_Uncorrectable") == nullptr);
  CHECK(finding(d, "Power_On_Hours") == nullptr);
  CHECK(d.findings.size() == 3);
}

TEST_CASE("NVMe SSDs recorded by smartctl: a healthy one, and one with media errors that still passes",
          "[smart]") {
  auto healthy = parsed("nvme_healthy_intel_ssdpeknw010t8.json", "/dev/nvme0n1");
  CHECK(healthy.verdict == SmartVerdict::Healthy);
  CHECK(healthy.protocol == "NVMe");
  CHECK(healthy.model == "INTEL SSDPEKNW010T8");
  CHECK(healthy.power_on_hours == 2401);

  auto worn = parsed("nvme_media_errors_samsung_970evo.json", "/dev/nvme0");
  CHECK(worn.verdict == SmartVerdict::Warning);
  REQUIRE(worn.findings.size() == 1);
  CHECK(worn.findings[0].attribute == "media_errors");
  CHECK_FALSE(worn.findings[0].failing);
  CHECK(contains(worn.findings[0].detail, "7 unrecovered media errors"));
}

TEST_CASE("an NVMe critical warning is a failure, named bit by bit", "[smart]") {
  // The recorded healthy Intel SSD with its critical_warning byte set to 0x0c (reliability
  // degraded, media read-only): the state such a drive reports at the end of its life.
  std::string text = sample("nvme_healthy_intel_ssdpeknw010t8.json");
  auto at = text.find("\"critical_warning\": 0");
  REQUIRE(at != std::string::npos);
  text.replace(at, std::string("\"critical_warning\": 0").size(), "\"critical_warning\": 12");
  auto d = health::parse_smartctl(text, "/dev/nvme0n1");
  REQUIRE(d);
  CHECK(d->verdict == SmartVerdict::Failing);
  const auto* f = finding(*d, "critical_warning");
  REQUIRE(f);
  CHECK(f->failing);
  CHECK(contains(f->detail, "0x0c"));
  CHECK(contains(f->detail, "reliability degraded"));
  CHECK(contains(f->detail, "read-only"));
}

TEST_CASE("no SMART data: a disk smartctl could not open, and this VM's virtio disk", "[smart]") {
  auto closed = parsed("open_failed_windows.json", "/dev/sda");
  CHECK(closed.verdict == SmartVerdict::Unavailable);
  CHECK(closed.exit_status == 2);
  CHECK(contains(closed.reason, "Open failed"));

  // What smartctl 7.3 printed here for /dev/vda (tests/data/smart/README.md).
  auto virtio = parsed("virtio_no_smart_vm.json", "/dev/vda");
  CHECK(virtio.verdict == SmartVerdict::Unavailable);
  CHECK(virtio.exit_status == 1);
  CHECK(virtio.reason == "/dev/vda: Unable to detect device type");
  CHECK(virtio.findings.empty());
}

TEST_CASE("text that is not smartctl's JSON is refused", "[smart]") {
  for (std::string text : {"", "smartctl 7.3 2022-02-28 r5338", "{\"blockdevices\": []}", "[1, 2]"}) {
    auto d = health::parse_smartctl(text, "/dev/sda");
    REQUIRE_FALSE(d);
    CHECK(d.error().kind == ErrorKind::InvalidArgument);
  }
}

TEST_CASE("smart.json keeps every field through a write and a read", "[smart]") {
  auto s = state_of({parsed("ata_failing_hitachi_hds721050dle630.json", "/dev/sdc"),
                     parsed("virtio_no_smart_vm.json", "/dev/vda")});
  s.reason = "";
  test::TempDir dir;
  auto path = health::state_path(dir / "index.db");
  CHECK(path == dir / "smart.json");
  auto none = health::read_state(path);
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  REQUIRE(health::write_state(path, s));
  auto back = health::read_state(path);
  REQUIRE(back);
  REQUIRE(back->has_value());
  const auto& r = **back;
  CHECK(r.checked == s.checked);
  CHECK(r.storage == s.storage);
  CHECK(r.source == s.source);
  CHECK(r.last_available == s.last_available);
  REQUIRE(r.disks.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(r.disks[i].device == s.disks[i].device);
    CHECK(r.disks[i].model == s.disks[i].model);
    CHECK(r.disks[i].serial == s.disks[i].serial);
    CHECK(r.disks[i].verdict == s.disks[i].verdict);
    CHECK(r.disks[i].reason == s.disks[i].reason);
    CHECK(r.disks[i].exit_status == s.disks[i].exit_status);
    CHECK(r.disks[i].temperature_c == s.disks[i].temperature_c);
    REQUIRE(r.disks[i].findings.size() == s.disks[i].findings.size());
    for (std::size_t j = 0; j < r.disks[i].findings.size(); ++j) {
      CHECK(r.disks[i].findings[j].attribute == s.disks[i].findings[j].attribute);
      CHECK(r.disks[i].findings[j].detail == s.disks[i].findings[j].detail);
      CHECK(r.disks[i].findings[j].failing == s.disks[i].findings[j].failing);
    }
  }
  test::write_text(path, "{\"version\": 2}");
  CHECK_FALSE(health::read_state(path));
}

// tests/fuzz/regressions/smart: a checked_us near the ends of int64 made `now - checked`
// overflow when the daemon assessed the file.
TEST_CASE("smart.json with a time outside 1970-9999 is refused, not compared with now", "[smart]") {
  CHECK_FALSE(health::parse_state(R"({"version":1,"checked_us":-9223372036854775807,"disks":[]})"));
  CHECK_FALSE(health::parse_state(R"({"version":1,"checked_us":253402300800000000,"disks":[]})"));
  CHECK_FALSE(health::parse_state(
      R"({"version":1,"checked_us":1796619600000000,"disks":[],"last_available_us":-9223372036854775807})"));
  auto fine = health::parse_state(R"({"version":1,"checked_us":1796619600000000,"disks":[],"last_available_us":0})");
  REQUIRE(fine);
  CHECK(fine->last_available == from_us(0));
}

TEST_CASE("concerns: a failing disk in plain words, a worn one as a warning, a healthy one none", "[smart]") {
  auto failing = state_of({parsed("ata_failing_hitachi_hds721050dle630.json", "/dev/sdc")});
  auto c = concerns(failing, false);
  REQUIRE(c.size() == 1);
  CHECK(c[0].kind == SmartConcern::Kind::Failing);
  CHECK(c[0].subject == "/dev/sdc");
  INFO(c[0].message);
  CHECK(contains(c[0].message, "the disk /dev/sdc (Hitachi HDS721050DLE630, serial MSK423Y20S3HBC)"));
  CHECK(contains(c[0].message, "/var/lib/carekeep/media"));
  CHECK(contains(c[0].message, "Reallocated_Sector_Ct"));
  CHECK(contains(c[0].message, "Replace it soon"));
  CHECK(contains(c[0].message, "carekeep export"));

  auto worn = state_of({parsed("nvme_media_errors_samsung_970evo.json", "/dev/nvme0")});
  c = concerns(worn, true);
  REQUIRE(c.size() == 1);
  CHECK(c[0].kind == SmartConcern::Kind::Warning);
  CHECK(c[0].subject == "/dev/nvme0");
  CHECK(contains(c[0].message, "media_errors"));
  CHECK(contains(c[0].message, "Plan to replace it"));

  auto healthy = state_of({parsed("ata_healthy_wdc_wd140edfz.json", "/dev/sdb")});
  CHECK(concerns(healthy, true).empty());
}

TEST_CASE("concerns: SMART missing or stale is an alert only if it was readable before", "[smart]") {
  // This VM: the virtio disk never offered SMART. Nothing to report, now or later.
  auto never = state_of({parsed("virtio_no_smart_vm.json", "/dev/vda")});
  CHECK(concerns(never, false).empty());
  never.checked = kNow - 24h;
  CHECK(concerns(never, false).empty());
  auto tmpfs = state_of({});
  tmpfs.reason = "the storage is on tmpfs (tmpfs), not on a local disk: SMART does not apply";
  CHECK(concerns(tmpfs, false).empty());

  // A disk that gave SMART data yesterday and gives none now (dropped off the bus, USB
  // bridge swapped): the probe carried last_available over.
  auto lost = state_of({parsed("open_failed_windows.json", "/dev/sda")});
  lost.last_available = kNow - 20h;
  auto c = concerns(lost, false);
  REQUIRE(c.size() == 1);
  CHECK(c[0].kind == SmartConcern::Kind::Unavailable);
  CHECK(c[0].subject.empty());
  INFO(c[0].message);
  CHECK(contains(c[0].message, "can no longer be read"));
  CHECK(contains(c[0].message, "Open failed"));
  CHECK(contains(c[0].message, "last readable at"));
  // The daemon saw data earlier in its run, the file does not say so (written by an older probe).
  lost.last_available.reset();
  CHECK(concerns(lost, true).size() == 1);
  CHECK(concerns(lost, false).empty());

  // Stale: healthy when last read, but that was 5 h ago; the hourly check stopped.
  auto stale = state_of({parsed("ata_healthy_wdc_wd140edfz.json", "/dev/sdb")});
  stale.checked = kNow - 5h;
  c = concerns(stale, true);
  REQUIRE(c.size() == 1);
  CHECK(c[0].kind == SmartConcern::Kind::Unavailable);
  CHECK(contains(c[0].message, "was last checked at"));
  CHECK(contains(c[0].message, "carekeep-smart.timer"));
  // A failing disk stays failing however old the news.
  auto stale_failing = state_of({parsed("ata_failing_hitachi_hds721050dle630.json", "/dev/sdc")});
  stale_failing.checked = kNow - 5h;
  c = concerns(stale_failing, true);
  REQUIRE(c.size() == 2);
  CHECK(c[0].kind == SmartConcern::Kind::Failing);
  CHECK(c[1].kind == SmartConcern::Kind::Unavailable);

  // A mirror with one disk gone quiet: that disk is named.
  auto mirror = state_of({parsed("ata_healthy_wdc_wd140edfz.json", "/dev/sdb"), parsed("open_failed_windows.json", "/dev/sda")});
  c = concerns(mirror, true);
  REQUIRE(c.size() == 1);
  CHECK(c[0].kind == SmartConcern::Kind::Unavailable);
  CHECK(c[0].subject == "/dev/sda");
}

TEST_CASE("findmnt and lsblk outputs recorded on this VM lead to the storage's disks", "[smart]") {
  auto vda = health::parse_findmnt(sample("findmnt_vda.json"));
  REQUIRE(vda);
  CHECK(vda->source == "/dev/vda");
  CHECK(vda->fstype == "ext4");
  CHECK(vda->target == "/");
  auto shm = health::parse_findmnt(sample("findmnt_tmpfs_twice.json"));
  REQUIRE(shm);
  CHECK(shm->source == "tmpfs");
  CHECK_FALSE(health::parse_findmnt("{\"filesystems\": []}"));
  CHECK_FALSE(health::parse_findmnt(""));

  auto disks = health::parse_lsblk_disks(sample("lsblk_vda.json"));
  REQUIRE(disks);
  CHECK(*disks == std::vector<std::string>{"/dev/vda"});
  std::vector<std::string> other;
  auto loop = health::parse_lsblk_disks(sample("lsblk_loop.json"), &other);
  REQUIRE(loop);
  CHECK(loop->empty());
  CHECK(other == std::vector<std::string>{"loop"});
  CHECK_FALSE(health::parse_lsblk_disks("lsblk: tmpfs: not a block device"));
}

TEST_CASE("lsblk's inverse tree: a partition leads to its disk, LVM on a mirror to both disks, once each",
          "[smart]") {
  // Written by hand in the format of `lsblk --json --inverse --paths --output NAME,TYPE`
  // (this VM has no partitions, device-mapper or md to record from): with --inverse a
  // device's children are the devices it is built on.
  const char* partition = R"({"blockdevices": [
      {"name": "/dev/sda1", "type": "part", "children": [{"name": "/dev/sda", "type": "disk"}]}]})";
  auto disks = health::parse_lsblk_disks(partition);
  REQUIRE(disks);
  CHECK(*disks == std::vector<std::string>{"/dev/sda"});
  const char* lvm_on_mirror = R"({"blockdevices": [
      {"name": "/dev/mapper/vg-media", "type": "lvm", "children": [
        {"name": "/dev/md0", "type": "raid1", "children": [
          {"name": "/dev/sda2", "type": "part", "children": [{"name": "/dev/sda", "type": "disk"}]},
          {"name": "/dev/sdb2", "type": "part", "children": [{"name": "/dev/sdb", "type": "disk"}]}]},
        {"name": "/dev/md1", "type": "raid1", "children": [
          {"name": "/dev/sda3", "type": "part", "children": [{"name": "/dev/sda", "type": "disk"}]}]}]}]})";
  disks = health::parse_lsblk_disks(lvm_on_mirror);
  REQUIRE(disks);
  CHECK(*disks == std::vector<std::string>{"/dev/sda", "/dev/sdb"});
}

TEST_CASE("run_program captures output and exit status, reports a missing program and kills one that hangs",
          "[smart]") {
  auto run = health::run_program({"sh", "-c", "echo out; echo err >&2; exit 3"}, 10s);
  REQUIRE(run);
  CHECK(run->out == "out\n");
  CHECK(run->err == "err\n");
  CHECK(run->exit_status == 3);
  CHECK_FALSE(run->timed_out);

  auto missing = health::run_program({"carekeep-no-such-program"}, 10s);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::NotFound);

  auto hung = health::run_program({"sleep", "30"}, 200ms);
  REQUIRE(hung);
  CHECK(hung->timed_out);
  CHECK(hung->exit_status == 128 + 9);
}
