#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <optional>
#include <string>

#include "index/index.hpp"
#include "retention/storage.hpp"
#include "support/small_fs.hpp"
#include "support/temp_dir.hpp"
#include "unit/retention/helpers.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using index::SegmentState;

TEST_CASE("storage is measured with statvfs and the index's footage bytes", "[retention][db]") {
  test::TempDir dir;
  auto index = index::Index::open_writer(dir / "index.db").value();
  const UtcTime t0 = test::utc("2026-11-18T00:00Z");
  const std::array<index::ConfiguredCamera, 1> cameras{{{"nap-1", "nap-1"}}};
  REQUIRE(index.sync_cameras(cameras, t0));
  auto run = index.begin_run("nap-1", index.begin_daemon_run({t0, "0.1.0", 1, "nvr"}).value(), t0).value();
  auto add = [&](std::int64_t seq, UtcTime start, std::int64_t bytes, std::optional<UtcTime> protect) {
    auto id =
        index.insert_open_segment({"nap-1", run, seq, start, "nap-1/" + std::to_string(seq) + ".mp4", start}).value();
    index::ClosedSegment c;
    c.duration = 60s;
    c.size_bytes = bytes;
    c.protect_until = protect;
    c.closed = start + 60s;
    REQUIRE(index.close_segment(id, c));
    return id;
  };
  const UtcTime now = t0 + std::chrono::days{30};
  auto old_id = add(0, t0, 3'000'000, std::nullopt);                             // 30 days old, outside care
  auto recent_id = add(1, now - std::chrono::days{2}, 4'000'000, std::nullopt);  // 2 days old
  add(2, t0, 5'000'000, now + std::chrono::days{60});                            // protected

  auto st = retention::measure(dir.path(), index).value();
  CHECK(st.total_bytes > 0);
  CHECK(st.free_bytes <= st.total_bytes);
  CHECK(st.footage_bytes == 12'000'000);

  auto missing = retention::measure(dir / "nowhere", index);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::NotFound);
  CHECK(missing.error().message.find("nowhere") != std::string::npos);

  // Without pressure only what has expired is loaded; under pressure every unprotected row.
  config::Retention r;
  retention::StorageState roomy{1'000'000'000, 900'000'000, 12'000'000};
  auto calm = retention::load_candidates(index, r, roomy, now).value();
  REQUIRE(calm.size() == 1);
  CHECK(calm[0].id == old_id);
  r.max_bytes = 10'000'000;  // 2 MB over the quota
  auto pressed = retention::load_candidates(index, r, roomy, now).value();
  REQUIRE(pressed.size() == 2);
  CHECK(pressed[0].id == old_id);
  CHECK(pressed[1].id == recent_id);
}

// --- can the daemon write its storage? (issue 14) -------------------------------------------
namespace {

// Unsets INVOCATION_ID (or sets it, as systemd does for a service) for a test's scope.
struct ServiceEnvironment {
  explicit ServiceEnvironment(bool systemd) {
    if (const char* old = std::getenv("INVOCATION_ID")) saved = old;
    if (systemd) ::setenv("INVOCATION_ID", "0123456789abcdef0123456789abcdef", 1);
    else ::unsetenv("INVOCATION_ID");
  }
  ~ServiceEnvironment() {
    if (saved) ::setenv("INVOCATION_ID", saved->c_str(), 1);
    else ::unsetenv("INVOCATION_ID");
  }
  std::optional<std::string> saved;
};

}  // namespace

TEST_CASE("a read-only mount over a read-write file system is the sandbox under systemd, a disk otherwise",
          "[retention][sandbox]") {
  mounts::Mount sandboxed{"/srv/footage", "ext4", "/dev/sda1", true, false};
  mounts::Mount failed{"/srv/footage", "ext4", "/dev/sda1", true, true};
  CHECK(retention::classify_read_only(sandboxed, true) == retention::WriteBlock::Sandbox);
  CHECK(retention::classify_read_only(sandboxed, false) == retention::WriteBlock::ReadOnlyBind);
  CHECK(retention::classify_read_only(failed, true) == retention::WriteBlock::ReadOnlyDisk);
  CHECK(retention::classify_read_only(std::nullopt, true) == retention::WriteBlock::ReadOnlyDisk);
}

TEST_CASE("probe_writable: a real directory is writable and the probe leaves nothing behind", "[retention][sandbox]") {
  test::TempDir dir;
  auto access = retention::probe_writable(dir / "srv" / "footage");
  CHECK(access.writable());
  CHECK(access.message().empty());
  CHECK(std::filesystem::is_directory(dir / "srv" / "footage"));
  CHECK(std::filesystem::is_empty(dir / "srv" / "footage"));
}

TEST_CASE("probe_writable: storage behind a read-only bind mount names the sandbox and the drop-in",
          "[retention][sandbox]") {
  // What carekeepd sees of /srv/footage with ProtectSystem=strict and no ReadWritePaths= for it.
  test::TempDir dir;
  auto storage = dir / "footage";
  std::filesystem::create_directories(storage);
  test::ReadOnlyBind sandbox{storage};
  {
    ServiceEnvironment env{true};
    auto access = retention::probe_writable(storage);
    CHECK(access.block == retention::WriteBlock::Sandbox);
    CHECK_THAT(access.message(),
               Catch::StartsWith("storage " + storage.string() + " is not writable under the service's sandbox: add "
                                 "ReadWritePaths=" + storage.string() +
                                 " in a drop-in (run `carekeep doctor` for the exact file)"));
    CHECK_THAT(access.detail, Catch::Contains("Read-only file system"));
    // The periodic check (statvfs says ST_RDONLY) comes to the same verdict without writing.
    CHECK(retention::read_only_access(storage).block == retention::WriteBlock::Sandbox);
  }
  ServiceEnvironment env{false};
  auto by_hand = retention::probe_writable(storage);
  CHECK(by_hand.block == retention::WriteBlock::ReadOnlyBind);
  CHECK_THAT(by_hand.message(), Catch::Contains("read-only bind mount"));
}

TEST_CASE("probe_writable: a file system that is itself read-only is the disk, even under systemd",
          "[retention][sandbox][tmpfs]") {
  test::SmallFilesystem disk{1 << 20};
  std::filesystem::create_directories(disk.path() / "media");
  disk.remount_read_only();  // as the kernel does after I/O errors
  ServiceEnvironment env{true};
  auto access = retention::probe_writable(disk.path() / "media");
  CHECK(access.block == retention::WriteBlock::ReadOnlyDisk);
  CHECK_THAT(access.message(), Catch::Contains("is read-only"));
  CHECK_THAT(access.message(), Catch::Contains("smartctl -H"));
  CHECK_THAT(access.message(), !Catch::Contains("ReadWritePaths"));
}

TEST_CASE("probe_writable: a directory the daemon's user may not write names its owner and the chown",
          "[retention][sandbox]") {
  // Root writes anywhere, so the probe runs in a child that has become "nobody", the way
  // carekeepd runs as its own user.
  test::TempDir dir;
  auto storage = dir / "footage";  // root's, 0755: closed to the daemon's user
  std::filesystem::create_directories(storage);
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    auto access = retention::probe_writable(storage);
    std::string out = std::string(retention::to_string(access.block)) + "\n" + access.message();
    auto written = ::write(pipe_fds[1], out.data(), out.size());
    ::_exit(written == static_cast<ssize_t>(out.size()) ? 0 : 3);
  }
  ::close(pipe_fds[1]);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  INFO(got);
  CHECK_THAT(got, Catch::StartsWith("permission\n"));
  CHECK_THAT(got, Catch::Contains("storage " + storage.string() + " is not writable by user nobody"));
  CHECK_THAT(got, Catch::Contains("belongs to root:root, mode 0755"));
  CHECK_THAT(got, Catch::Contains("chown nobody:"));
}
