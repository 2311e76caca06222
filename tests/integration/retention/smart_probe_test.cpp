// The SMART probe (health/smart_probe.hpp) and carekeep-smart on this machine, as root (as
// in CI): the real findmnt and lsblk find the disk under a directory, the real smartctl
// (smartmontools, tools/install-deps.sh) is asked about it, and the answer, whatever this
// machine's disk offers, lands in smart.json. On the development VM the virtio disk has no
// SMART: smartctl says "Unable to detect device type". Also a real tmpfs and a real
// loop-mounted image, where SMART does not apply.
#include <catch2/catch.hpp>

#include <sys/mount.h>
#include <sys/stat.h>

#include "health/smart.hpp"
#include "health/smart_probe.hpp"
#include "support/small_fs.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A directory on the disk the build tree is on (not /tmp, which may be a tmpfs elsewhere),
// removed at the end.
fs::path on_real_disk(const test::TempDir& dir) { return fs::path(CAREKEEP_BINARY_DIR) / ("smart-" + dir.path().filename().string()); }
struct RemovedAtEnd {
  fs::path path;
  ~RemovedAtEnd() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// An 8 MB ext4 image loop-mounted on a temporary directory; unmounted (and its loop device
// released: mount -o loop sets autoclear) at the end.
class LoopMount {
 public:
  explicit LoopMount(const test::TempDir& dir) : image_(dir / "disk.img"), mount_point_(dir / "mnt") {
    fs::create_directories(mount_point_);
    auto run = test::run_command("truncate -s 8M " + image_.string() + " && mkfs.ext4 -q -F " + image_.string() +
                                 " && mount -o loop " + image_.string() + " " + mount_point_.string() + " 2>&1");
    if (run.exit_code != 0) FAIL("loop-mounting an ext4 image failed (needs root and e2fsprogs): " << run.out);
    mounted_ = true;
  }
  ~LoopMount() {
    if (mounted_) ::umount2(mount_point_.c_str(), MNT_DETACH);
  }
  const fs::path& path() const { return mount_point_; }

 private:
  fs::path image_;
  fs::path mount_point_;
  bool mounted_ = false;
};

}  // namespace

TEST_CASE("the probe finds the disk under a directory on this machine and asks smartctl about it", "[smart]") {
  test::TempDir scratch;
  const auto storage = on_real_disk(scratch) / "media";  // does not exist yet: its parent's disk counts
  const auto now = SystemClock{}.now();
  auto state = health::probe_smart(storage, std::nullopt, now);
  INFO(health::to_json_text(state));
  CHECK(state.checked == now);
  CHECK(state.storage == storage.string());
  REQUIRE(state.source.rfind("/dev/", 0) == 0);
  REQUIRE(state.reason.empty());
  REQUIRE_FALSE(state.disks.empty());
  for (const auto& d : state.disks) {
    CHECK(fs::is_block_file(d.device));
    if (d.reason.find("not installed") != std::string::npos) FAIL("smartctl is missing: run tools/install-deps.sh");
    if (d.verdict == health::SmartVerdict::Unavailable) {
      CHECK_FALSE(d.reason.empty());  // this VM: "/dev/vda: Unable to detect device type"
    } else {
      CHECK(state.last_available == now);
    }
  }
  if (!state.available()) CHECK_FALSE(state.last_available.has_value());
}

TEST_CASE("the probe on a tmpfs and on a loop-mounted image says SMART does not apply, and keeps last_available",
          "[smart][tmpfs]") {
  test::SmallFilesystem ram(1'000'000);
  const auto now = SystemClock{}.now();
  health::SmartState before;
  before.checked = now - 1h;
  before.last_available = now - 2h;
  auto tmpfs = health::probe_smart(ram.path() / "media", before, now);
  CHECK(tmpfs.disks.empty());
  CHECK(tmpfs.source == "tmpfs");
  CHECK(tmpfs.reason == "the storage is on tmpfs (tmpfs), not on a local disk: SMART does not apply");
  CHECK(tmpfs.last_available == before.last_available);  // readable before: the daemon must hear it is gone

  test::TempDir dir;
  LoopMount loop{dir};
  auto image = health::probe_smart(loop.path(), std::nullopt, now);
  INFO(health::to_json_text(image));
  CHECK(image.disks.empty());
  CHECK(image.source.rfind("/dev/loop", 0) == 0);
  CHECK(image.reason.find("is not built on a disk (type loop)") != std::string::npos);
  CHECK_FALSE(image.last_available.has_value());
}

TEST_CASE("without smartctl the probe says what to install", "[smart]") {
  test::TempDir scratch;
  health::ProbeOptions options;
  options.smartctl = "carekeep-test-no-smartctl";
  auto state = health::probe_smart(on_real_disk(scratch), std::nullopt, SystemClock{}.now(), options);
  REQUIRE_FALSE(state.disks.empty());
  for (const auto& d : state.disks) {
    CHECK(d.verdict == health::SmartVerdict::Unavailable);
    CHECK(d.reason == "smartctl is not installed (apt install smartmontools)");
  }
}

TEST_CASE("carekeep-smart writes smart.json beside the index, readable by the daemon's user", "[smart]") {
  test::TempDir dir;
  const auto state_dir = on_real_disk(dir);
  RemovedAtEnd cleanup{state_dir};
  fs::create_directories(state_dir);
  const auto config = dir / "carekeep.toml";
  test::write_text(config, "[site]\nname = \"smart\"\ntimezone = \"UTC\"\nstorage = \"" + (state_dir / "media").string() +
                               "\"\ndatabase = \"" + (state_dir / "index.db").string() +
                               "\"\n\n[care_hours]\nmonday = [\"08:00-18:00\"]\n\n[[camera]]\nid = \"cam\"\nurl = "
                               "\"rtsp://127.0.0.1:1/cam\"\n\n[[zone]]\nid = \"all\"\ncameras = [\"cam\"]\n");
  // A leftover symlink at the temporary name (the state directory belongs to carekeepd's user,
  // this runs as root) must not be followed.
  test::write_text(state_dir / "index.db", "the index");
  fs::create_symlink(state_dir / "index.db", state_dir / "smart.json.tmp");
  auto run = test::run_command("umask 022 && " + std::string(CAREKEEP_SMART_BIN) + " --config " + config.string());
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  CHECK_FALSE(run.out.empty());  // one line per disk, or why there is none
  auto state = health::read_state(state_dir / "smart.json");
  REQUIRE(state);
  REQUIRE(state->has_value());
  CHECK((*state)->storage == (state_dir / "media").string());
  struct stat st {};
  REQUIRE(::stat((state_dir / "smart.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  CHECK(test::read_text(state_dir / "index.db") == "the index");

  auto bad = test::run_command(std::string(CAREKEEP_SMART_BIN) + " --config " + (dir / "missing.toml").string());
  CHECK(bad.exit_code == 1);
}

// carekeep-smart runs as root and writes into carekeepd's state directory, which carekeepd's
// user owns and may fill with symlinks (issue 14). Here "nobody" plays that user (--user).
TEST_CASE("carekeep-smart follows no symlink it did not create when writing smart.json", "[smart][sandbox]") {
  test::TempDir dir;
  const auto root_dir = on_real_disk(dir);
  RemovedAtEnd cleanup{root_dir};
  const auto victim_dir = root_dir / "etc";  // root's: stands for /etc
  fs::create_directories(victim_dir);
  const auto victim = victim_dir / "shadow";
  test::write_text(victim, "root:$6$secret");
  const auto state_dir = root_dir / "state";  // /var/lib/carekeep, the daemon user's
  fs::create_directories(state_dir);
  REQUIRE(::chown(state_dir.c_str(), 65534, 65534) == 0);
  REQUIRE(::chmod(state_dir.c_str(), 0750) == 0);
  auto config_for = [&](const fs::path& database) {
    auto config = dir / "carekeep.toml";
    test::write_text(config, "[site]\nname = \"smart\"\ntimezone = \"UTC\"\nstorage = \"" + (root_dir / "media").string() +
                                 "\"\ndatabase = \"" + database.string() +
                                 "\"\n\n[care_hours]\nmonday = [\"08:00-18:00\"]\n\n[[camera]]\nid = \"cam\"\nurl = "
                                 "\"rtsp://127.0.0.1:1/cam\"\n\n[[zone]]\nid = \"all\"\ncameras = [\"cam\"]\n");
    return config;
  };
  auto smart = [&](const fs::path& config) {
    return test::run_command("umask 022 && " + std::string(CAREKEEP_SMART_BIN) + " --user nobody --config " +
                             config.string());
  };

  SECTION("a symlink at smart.json is replaced, its target untouched") {
    fs::create_symlink(victim, state_dir / "smart.json");
    REQUIRE(::lchown((state_dir / "smart.json").c_str(), 65534, 65534) == 0);
    auto run = smart(config_for(state_dir / "index.db"));
    INFO(run.out << run.err);
    CHECK(run.exit_code == 0);
    CHECK(test::read_text(victim) == "root:$6$secret");
    CHECK_FALSE(fs::is_symlink(state_dir / "smart.json"));
    CHECK(fs::is_regular_file(state_dir / "smart.json"));
  }
  SECTION("a directory on the way swapped for a symlink into root's files is refused") {
    fs::create_symlink(victim_dir, state_dir / "db");  // database = /var/lib/carekeep/db/index.db
    REQUIRE(::lchown((state_dir / "db").c_str(), 65534, 65534) == 0);
    auto run = smart(config_for(state_dir / "db" / "index.db"));
    INFO(run.out << run.err);
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.err, Catch::Contains("refusing to follow the symlink " + (state_dir / "db").string()));
    CHECK_FALSE(fs::exists(victim_dir / "smart.json"));
    CHECK_FALSE(fs::exists(victim_dir / "smart.json.tmp"));
    CHECK(test::read_text(victim) == "root:$6$secret");
  }
  SECTION("a state directory anybody may write is refused") {
    REQUIRE(::chmod(state_dir.c_str(), 0777) == 0);
    auto run = smart(config_for(state_dir / "index.db"));
    INFO(run.out << run.err);
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.err, Catch::Contains("refusing to write into " + state_dir.string()));
    CHECK_FALSE(fs::exists(state_dir / "smart.json"));
  }
}
