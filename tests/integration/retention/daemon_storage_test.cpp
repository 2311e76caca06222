// carekeepd at start on a storage it cannot write (issue 14): behind a read-only bind mount as
// systemd's ProtectSystem=strict makes one (INVOCATION_ID set, as systemd sets it), and on a
// file system that is itself read-only (as after disk errors). It exits 78, which the unit
// does not restart on, logs the one step that fixes it, and leaves the alert in the index; a
// later start that can write resolves it.
#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>

#include <algorithm>

#include "alerts/alerts.hpp"
#include "index/index.hpp"
#include "support/recording.hpp"
#include "support/small_fs.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

void write_config(const fs::path& dir, const fs::path& storage) {
  std::string text = "[site]\nname = \"storage test\"\ntimezone = \"UTC\"\nstorage = \"" + storage.string() +
                     "\"\ndatabase = \"" + (dir / "state" / "index.db").string() + "\"\n\n[care_hours]\n";
  for (const char* day : {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})
    text += std::string(day) + " = [\"00:00-24:00\"]\n";
  // Nothing listens there: the daemon never gets as far as the camera in the refused starts.
  text += "\n[[camera]]\nid = \"cam\"\nurl = \"rtsp://127.0.0.1:1/cam\"\n\n[[zone]]\nid = \"all\"\ncameras = [\"cam\"]\n";
  test::write_text(dir / "carekeep.toml", text);
}

// INVOCATION_ID for the daemon started in this scope, as systemd sets it for a service.
struct AsService {
  AsService() { ::setenv("INVOCATION_ID", "5f0e9a1c2b3d4e5f60718293a4b5c6d7", 1); }
  ~AsService() { ::unsetenv("INVOCATION_ID"); }
};

std::vector<alerts::Alert> open_alerts(const fs::path& database) {
  auto index = index::Index::open_reader(database);
  REQUIRE(index);
  auto list = alerts::list(*index, false);
  REQUIRE(list);
  return *list;
}

}  // namespace

TEST_CASE("carekeepd behind a read-only bind mount names the sandbox and the drop-in, and does not restart",
          "[sandbox][daemon]") {
  test::TempDir dir;
  const auto storage = dir / "footage";  // stands for /srv/footage on its own disk
  fs::create_directories(storage);
  write_config(dir.path(), storage);
  {
    test::ReadOnlyBind sandbox{storage};
    AsService service;
    test::DaemonProcess daemon{CAREKEEPD_BIN, dir / "carekeep.toml", dir / "refused.log"};
    daemon.start();
    CHECK(daemon.wait(20s) == 78);  // RestartPreventExitStatus=78 in carekeepd.service
    auto log = daemon.log_text();
    INFO(log);
    const std::string expected = "storage " + storage.string() +
                                 " is not writable under the service's sandbox: add ReadWritePaths=" +
                                 storage.string() + " in a drop-in (run `carekeep doctor` for the exact file)";
    CHECK_THAT(log, Catch::Contains("storage_not_writable"));
    CHECK_THAT(log, Catch::Contains(expected));
    // Not the misleading messages of before: another daemon holding the lock, a bad disk.
    CHECK_THAT(log, !Catch::Contains("already_running"));
    CHECK_THAT(log, !Catch::Contains("disk_readonly"));
    auto open = open_alerts(dir / "state" / "index.db");
    REQUIRE(open.size() == 1);
    CHECK(open[0].kind == alerts::kStorageNotWritable);
    CHECK(open[0].severity == alerts::Severity::Critical);
    CHECK_THAT(open[0].message, Catch::StartsWith(expected));
  }
  // The drop-in written and the service restarted: the storage is writable, the alert goes.
  test::DaemonProcess daemon{CAREKEEPD_BIN, dir / "carekeep.toml", dir / "started.log"};
  daemon.start();
  REQUIRE(daemon.wait_for_log("daemon_ready", 30s));
  CHECK(test::wait_until(
      [&] {
        auto open = open_alerts(dir / "state" / "index.db");
        return std::none_of(open.begin(), open.end(),
                            [](const alerts::Alert& a) { return a.kind == alerts::kStorageNotWritable; });
      },
      10s));
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(30s) == 0);
}

TEST_CASE("carekeepd on a file system that is itself read-only blames the disk, not the sandbox",
          "[sandbox][daemon][tmpfs]") {
  test::TempDir dir;
  test::SmallFilesystem disk{1 << 20};
  fs::create_directories(disk.path() / "media");
  disk.remount_read_only();
  write_config(dir.path(), disk.path() / "media");
  AsService service;  // even under systemd: the super block says ro
  test::DaemonProcess daemon{CAREKEEPD_BIN, dir / "carekeep.toml", dir / "daemon.log"};
  daemon.start();
  CHECK(daemon.wait(20s) == 78);
  auto log = daemon.log_text();
  INFO(log);
  CHECK_THAT(log, Catch::Contains("read_only_disk"));
  CHECK_THAT(log, !Catch::Contains("ReadWritePaths"));
  auto open = open_alerts(dir / "state" / "index.db");
  REQUIRE(open.size() == 1);
  CHECK(open[0].kind == alerts::kDiskReadonly);
  CHECK_THAT(open[0].message, Catch::Contains("smartctl -H"));
}
