#include <catch2/catch.hpp>

#include "config/load.hpp"
#include "doctor/doctor.hpp"
#include "support/small_fs.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using doctor::Verdict;

namespace {

// Lines as the kernel writes them (a Raspberry Pi with its SD card, a USB disk, a tmpfs).
constexpr const char* kMountinfo =
    "22 1 179:2 / / rw,noatime shared:1 - ext4 /dev/mmcblk0p2 rw\n"
    "25 22 0:21 / /run rw,nosuid shared:5 - tmpfs tmpfs rw,size=190000k\n"
    "30 22 8:1 / /srv/footage rw,relatime shared:7 - ext4 /dev/sda1 rw\n"
    "31 22 8:17 / /mnt/with\\040space rw,relatime shared:8 - xfs /dev/sdb1 rw\n";

config::Config make_config(const std::string& storage, int care_days = 90, std::string extra = "") {
  std::string text = "[site]\nname = \"t\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" + storage +
                     "\"\ndatabase = \"/var/lib/carekeep/index.db\"\n[retention]\ncare_days = " +
                     std::to_string(care_days) + "\nother_days = 7\nmin_free_percent = 5\n" + extra +
                     "[care_hours]\nmonday = [\"08:00-18:00\"]\ntuesday = [\"08:00-18:00\"]\n"
                     "wednesday = [\"08:00-18:00\"]\nthursday = [\"08:00-18:00\"]\nfriday = [\"08:00-18:00\"]\n"
                     "[[camera]]\nid = \"nap-1\"\nurl = \"rtsp://admin:pw@192.0.2.1/s\"\n"
                     "[[zone]]\nid = \"nap\"\ncameras = [\"nap-1\"]\n";
  auto outcome = config::parse(text, "test.toml");
  REQUIRE(outcome.ok());
  return std::move(*outcome.config);
}

constexpr std::uint64_t kGB = 1000ull * 1000 * 1000;

}  // namespace

TEST_CASE("find_mount picks the longest mount point holding the path") {
  auto root = doctor::find_mount(kMountinfo, "/var/lib/carekeep/media");
  REQUIRE(root);
  CHECK(root->mount_point == "/");
  CHECK(root->source == "/dev/mmcblk0p2");
  auto disk = doctor::find_mount(kMountinfo, "/srv/footage/media");
  REQUIRE(disk);
  CHECK(disk->mount_point == "/srv/footage");
  CHECK(disk->fs_type == "ext4");
  auto run = doctor::find_mount(kMountinfo, "/run/carekeep");
  REQUIRE(run);
  CHECK(run->fs_type == "tmpfs");
  // A sibling whose name starts like a mount point is not under it.
  CHECK(doctor::find_mount(kMountinfo, "/srv/footage2/x")->mount_point == "/");
  auto spaced = doctor::find_mount(kMountinfo, "/mnt/with space/media");
  REQUIRE(spaced);
  CHECK(spaced->mount_point == "/mnt/with space");
  CHECK(spaced->fs_type == "xfs");
}

TEST_CASE("storage on tmpfs or on the SD card's root file system fails, a USB disk is accepted") {
  doctor::Space roomy{1000 * kGB, 900 * kGB};
  auto sd = make_config("/var/lib/carekeep/media");
  auto on_sd = doctor::check_storage(sd, doctor::find_mount(kMountinfo, "/var/lib/carekeep/media"), roomy);
  CHECK(on_sd.verdict == Verdict::Fail);
  CHECK_THAT(on_sd.advice, Catch::Contains("SD card"));

  auto ram = make_config("/run/footage");
  auto on_tmpfs = doctor::check_storage(ram, doctor::find_mount(kMountinfo, "/run/footage"), roomy);
  CHECK(on_tmpfs.verdict == Verdict::Fail);
  CHECK_THAT(on_tmpfs.finding, Catch::Contains("tmpfs"));

  // /srv/footage does not exist on the test machine: a warning that carekeepd creates it.
  auto usb = make_config("/srv/footage/media");
  auto on_usb = doctor::check_storage(usb, doctor::find_mount(kMountinfo, "/srv/footage/media"), roomy);
  CHECK(on_usb.verdict == Verdict::Warn);
  CHECK_THAT(on_usb.finding, Catch::Contains("/dev/sda1"));

  doctor::Space full{1000 * kGB, 40 * kGB};  // under the 5 % reserve
  CHECK(doctor::check_storage(usb, doctor::find_mount(kMountinfo, "/srv/footage/media"), full).verdict == Verdict::Fail);
  CHECK(doctor::check_storage(usb, std::nullopt, std::nullopt).verdict == Verdict::Fail);
}

TEST_CASE("storage on a real tmpfs is refused", "[tmpfs]") {
  test::SmallFilesystem ram(16 * 1024 * 1024);
  auto config = make_config((ram.path() / "media").string());
  auto mount = doctor::mount_of(config.site.storage);
  REQUIRE(mount);
  CHECK(mount->fs_type == "tmpfs");
  auto check = doctor::check_storage(config, mount, doctor::space_of(config.site.storage));
  CHECK(check.verdict == Verdict::Fail);
  CHECK_THAT(check.advice, Catch::Contains("real disk"));
}

TEST_CASE("capacity: 90 care days at a measured bitrate against the usable disk") {
  auto config = make_config("/srv/footage/media");
  // 5 days × 10 h of care a week = 25,714 s a day on average.
  CHECK(doctor::care_seconds_per_day(config.care_hours) == Approx(5 * 10 * 3600 / 7.0));
  doctor::CapacityInput input;
  input.bitrate_bps = 4e6;  // one 4 Mbit/s camera: 500 kB/s
  input.total_bytes = 2000 * kGB;
  input.free_bytes = 2000 * kGB;
  input.cameras_measured = 1;
  input.cameras_enabled = 1;
  auto cap = doctor::forecast(config, input);
  double care = 5 * 10 * 3600 / 7.0;
  CHECK(cap.needed_bytes == Approx(500e3 * (care * 90 + (86400 - care) * 7)));
  CHECK(cap.usable_bytes == Approx(2000e9 * 0.95));
  CHECK(cap.days_of_care == Approx((2000e9 * 0.95 - 500e3 * (86400 - care) * 7) / (500e3 * care)));
  CHECK(doctor::check_capacity(config, input).verdict == Verdict::Pass);

  input.total_bytes = input.free_bytes = 500 * kGB;  // 1.16 TB needed
  auto short_disk = doctor::check_capacity(config, input);
  CHECK(short_disk.verdict == Verdict::Fail);
  CHECK_THAT(short_disk.advice, Catch::Contains("use a disk of at least"));

  // Other data on the disk and max_bytes shrink what footage may use.
  auto capped = make_config("/srv/footage/media", 90, "max_bytes = 100000000000\n");
  input.total_bytes = input.free_bytes = 2000 * kGB;
  CHECK(doctor::forecast(capped, input).usable_bytes == Approx(100e9));
  input.free_bytes = 1000 * kGB;  // 1 TB of something else
  CHECK(doctor::forecast(config, input).usable_bytes == Approx(2000e9 * 0.95 - 1000e9));

  input.cameras_measured = 0;
  input.bitrate_bps = 0;
  CHECK(doctor::check_capacity(config, input).verdict == Verdict::Fail);
}

TEST_CASE("camera verdicts from probes") {
  auto config = make_config("/srv/footage/media");
  const auto& camera = config.cameras.at(0);
  doctor::Probe refused{"nap-1", false, "auth_failed", "the camera rejected the user name or password"};
  auto auth = doctor::check_camera(camera, refused);
  CHECK(auth.verdict == Verdict::Fail);
  CHECK_THAT(auth.advice, Catch::Contains("password"));
  CHECK_THAT(auth.finding, !Catch::Contains("pw@"));  // credentials never shown

  doctor::Probe good;
  good.camera = "nap-1";
  good.connected = true;
  good.codec = "h264";
  good.width = 1920;
  good.height = 1080;
  good.seconds = 5;
  good.bytes = 2'500'000;
  good.frames = 126;
  good.keyframe_gaps = {2.0, 2.0};
  auto pass = doctor::check_camera(camera, good);
  CHECK(pass.verdict == Verdict::Pass);
  CHECK(good.bitrate_bps() == Approx(4e6));
  CHECK(good.fps() == Approx(25));

  auto slow = good;
  slow.keyframe_gaps = {8.0};
  CHECK(doctor::check_camera(camera, slow).verdict == Verdict::Warn);
  auto mjpeg = good;
  mjpeg.codec = "mjpeg";
  CHECK(doctor::check_camera(camera, mjpeg).verdict == Verdict::Fail);
  auto silent = good;
  silent.frames = 0;
  silent.bytes = 0;
  CHECK(doctor::check_camera(camera, silent).verdict == Verdict::Fail);
}

TEST_CASE("clock and time zone verdicts") {
  CHECK(doctor::check_clock({true, "Asia/Shanghai"}).verdict == Verdict::Pass);
  auto unsynced = doctor::check_clock({false, "Asia/Shanghai"});
  CHECK(unsynced.verdict == Verdict::Fail);
  CHECK_THAT(unsynced.advice, Catch::Contains("NTP"));
  auto config = make_config("/srv/footage/media");
  CHECK(doctor::check_timezone(config, {true, "Asia/Shanghai"}).verdict == Verdict::Pass);
  // Same offset all year: fine even under another name.
  CHECK(doctor::check_timezone(config, {true, "Asia/Chongqing"}).verdict == Verdict::Pass);
  auto utc = doctor::check_timezone(config, {true, "Etc/UTC"});
  CHECK(utc.verdict == Verdict::Warn);
  CHECK_THAT(utc.advice, Catch::Contains("timedatectl set-timezone Asia/Shanghai"));
}

TEST_CASE("permissions: a world-readable config with camera passwords fails") {
  test::TempDir dir;
  auto config_path = dir / "carekeep.toml";
  test::write_text(config_path, "x");
  auto config = make_config((dir / "media").string());
  config.site.database = dir / "state" / "index.db";
  std::filesystem::permissions(config_path, std::filesystem::perms(0644));
  auto checks = doctor::check_permissions(config, config_path, "root");
  auto find = [&](const std::string& name) {
    for (const auto& c : checks) {
      if (c.name == name) return c;
    }
    FAIL("no check " << name);
    return doctor::Check{};
  };
  CHECK(find("config_file").verdict == Verdict::Fail);
  CHECK(find("state_dir").verdict == Verdict::Skip);  // not created yet
  std::filesystem::permissions(config_path, std::filesystem::perms(0640));
  std::filesystem::create_directories(dir / "state");
  std::filesystem::permissions(dir / "state", std::filesystem::perms(0755));
  checks = doctor::check_permissions(config, config_path, "root");
  CHECK(find("config_file").verdict == Verdict::Pass);
  CHECK(find("state_dir").verdict == Verdict::Fail);  // others may list the index's directory
  std::filesystem::permissions(dir / "state", std::filesystem::perms(0750));
  checks = doctor::check_permissions(config, config_path, "root");
  CHECK(find("state_dir").verdict == Verdict::Pass);
}

TEST_CASE("parse_listen takes IP literals and ports only") {
  auto v4 = config::parse_listen("127.0.0.1:9477");
  REQUIRE(v4);
  CHECK(v4->port == 9477);
  CHECK(v4->loopback);
  auto v6 = config::parse_listen("[::1]:0");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->loopback);
  CHECK_FALSE(config::parse_listen("0.0.0.0:9477")->loopback);
  CHECK_FALSE(config::parse_listen("localhost:9477"));
  CHECK_FALSE(config::parse_listen("127.0.0.1:99999"));
  CHECK_FALSE(config::parse_listen("127.0.0.1"));
}

TEST_CASE("disk health verdicts from recorded smartctl outputs") {
  auto disk = [](const char* sample, const char* device) {
    auto text = test::read_text(std::filesystem::path(CAREKEEP_SOURCE_DIR) / "tests/data/smart" / sample);
    return health::parse_smartctl(text, device).value();
  };
  const UtcTime now = from_us(1'796'000'000'000'000);
  health::SmartState state;
  state.checked = now - std::chrono::minutes(5);
  state.storage = "/var/lib/carekeep/media";
  state.disks = {disk("ata_healthy_wdc_wd140edfz.json", "/dev/sdb"), disk("ata_failing_hitachi_hds721050dle630.json", "/dev/sdc"),
                 disk("nvme_media_errors_samsung_970evo.json", "/dev/nvme0"), disk("virtio_no_smart_vm.json", "/dev/vda")};
  auto checks = doctor::check_disk_health(state, now, std::chrono::hours(3));
  REQUIRE(checks.size() == 4);
  CHECK(checks[0].verdict == doctor::Verdict::Pass);
  CHECK(checks[0].subject == "/dev/sdb");
  CHECK_THAT(checks[0].finding, Catch::Contains("healthy") && Catch::Contains("32 °C, 1730 hours in use"));
  CHECK(checks[1].verdict == doctor::Verdict::Fail);
  CHECK_THAT(checks[1].finding, Catch::Contains("Reallocated_Sector_Ct"));
  CHECK_THAT(checks[1].advice, Catch::Contains("replace the disk now"));
  CHECK(checks[2].verdict == doctor::Verdict::Warn);
  CHECK_THAT(checks[2].finding, Catch::Contains("media_errors"));
  CHECK(checks[3].verdict == doctor::Verdict::Warn);
  CHECK_THAT(checks[3].finding, Catch::Contains("Unable to detect device type"));
  CHECK_FALSE(doctor::fit(checks));

  // Healthy but read 5 h ago: the hourly check has stopped.
  state.disks = {disk("ata_healthy_wdc_wd140edfz.json", "/dev/sdb")};
  state.checked = now - std::chrono::hours(5);
  checks = doctor::check_disk_health(state, now, std::chrono::hours(3));
  REQUIRE(checks.size() == 1);
  CHECK(checks[0].verdict == doctor::Verdict::Warn);
  CHECK_THAT(checks[0].finding, Catch::Contains("carekeep-smart.timer"));

  // No disk at all (tmpfs): one warning with the probe's reason.
  state.disks.clear();
  state.checked = now;
  state.reason = "the storage is on tmpfs (tmpfs), not on a local disk: SMART does not apply";
  checks = doctor::check_disk_health(state, now, std::chrono::hours(3));
  REQUIRE(checks.size() == 1);
  CHECK(checks[0].verdict == doctor::Verdict::Warn);
  CHECK_THAT(checks[0].finding, Catch::Contains("tmpfs"));
  CHECK(doctor::fit(checks));
}

TEST_CASE("a camera allowed Basic authentication over plain RTSP is a warning that says what to do") {
  config::Camera camera;
  camera.id = "nap-1";
  camera.url = "rtsp://admin:secret@192.168.1.20/stream1";
  CHECK(doctor::check_camera_auth(camera).verdict == doctor::Verdict::Pass);
  camera.allow_basic_auth = true;
  auto warned = doctor::check_camera_auth(camera);
  CHECK(warned.verdict == doctor::Verdict::Warn);
  CHECK(warned.advice.find("Digest") != std::string::npos);
  CHECK(warned.finding.find("secret") == std::string::npos);
  camera.url = "rtsps://admin:secret@192.168.1.20/stream1";  // TLS carries Basic safely
  CHECK(doctor::check_camera_auth(camera).verdict == doctor::Verdict::Pass);
  camera.tls_verify = false;  // ... unless anyone may pose as the camera
  CHECK(doctor::check_camera_auth(camera).verdict == doctor::Verdict::Warn);
}

TEST_CASE("an rtsps camera's certificate check says what the camera presents and the line that pins it") {
  config::Camera camera;
  camera.id = "nap-1";
  camera.url = "rtsps://admin:secret@192.168.1.20/stream1";
  CHECK(doctor::uses_tls(camera));
  ingest::tls::Inspection seen;
  for (std::size_t i = 0; i < seen.certificate.fingerprint.size(); ++i) seen.certificate.fingerprint[i] = 0xab;
  seen.certificate.subject = "CN=IPC";
  seen.certificate.self_signed = true;
  const std::string pin = "tls_fingerprint = \"" + to_fingerprint(seen.certificate.fingerprint) + "\"";

  // Self-signed, no pin: recording will be refused; the advice is the line to add.
  seen.problem = "the camera's certificate is self-signed and not in the system's CA store";
  auto refused = doctor::check_camera_tls(camera, {seen, ""});
  CHECK(refused.verdict == doctor::Verdict::Fail);
  CHECK_THAT(refused.finding, Catch::Contains("tls_untrusted") && Catch::Contains("self-signed"));
  CHECK_THAT(refused.advice, Catch::Contains(pin));
  CHECK(refused.finding.find("secret") == std::string::npos);

  // Pinned and matching: pass, with the fingerprint shown.
  camera.tls_fingerprint = seen.certificate.fingerprint;
  seen.problem.clear();
  auto trusted = doctor::check_camera_tls(camera, {seen, ""});
  CHECK(trusted.verdict == doctor::Verdict::Pass);
  CHECK_THAT(trusted.finding, Catch::Contains("pinned fingerprint") && Catch::Contains(to_fingerprint(seen.certificate.fingerprint)));

  // The opt-out is a warning whatever the camera presents, with the pin to use instead.
  camera.tls_fingerprint.reset();
  camera.tls_verify = false;
  auto off = doctor::check_camera_tls(camera, {seen, ""});
  CHECK(off.verdict == doctor::Verdict::Warn);
  CHECK_THAT(off.advice, Catch::Contains(pin));

  // Unreachable: nothing to judge here (the camera check fails it).
  camera.tls_verify = true;
  CHECK(doctor::check_camera_tls(camera, {std::nullopt, "connecting to rtsps://***@192.168.1.20/stream1: refused"}).verdict ==
        doctor::Verdict::Skip);
  camera.url = "rtsp://192.168.1.20/stream1";
  CHECK_FALSE(doctor::uses_tls(camera));
}

// --- storage outside the unit's sandbox (issue 14) -------------------------------------------

TEST_CASE("storage on a real read-only mount fails the storage check and says which kind", "[sandbox][tmpfs]") {
  doctor::Space roomy{1000 * kGB, 900 * kGB};
  // A directory of the test machine's disk made read-only by a bind mount (as a sandbox does),
  // the file system itself read-write.
  test::TempDir dir;
  std::filesystem::create_directories(dir / "footage");
  auto bound = make_config((dir / "footage").string());
  {
    auto writable = doctor::check_storage(bound, doctor::mount_of(bound.site.storage), roomy);
    CHECK_THAT(writable.finding, !Catch::Contains("read-only"));
    test::ReadOnlyBind readonly{dir / "footage"};
    auto mount = doctor::mount_of(bound.site.storage);
    REQUIRE(mount);
    CHECK(mount->read_only);
    CHECK_FALSE(mount->fs_read_only);
    auto check = doctor::check_storage(bound, mount, roomy);
    CHECK(check.verdict == Verdict::Fail);
    CHECK_THAT(check.finding, Catch::Contains("read-only mount, though its file system is read-write"));
    CHECK_THAT(check.advice, Catch::Contains("mount -o remount,bind,rw " + (dir / "footage").string()));
  }
  // A file system remounted read-only, as after disk errors.
  test::SmallFilesystem disk(1 << 20);
  disk.remount_read_only();
  auto on_disk = make_config((disk.path() / "media").string());
  auto check = doctor::check_storage(on_disk, doctor::mount_of(on_disk.site.storage), roomy);
  CHECK(check.verdict == Verdict::Fail);
  CHECK_THAT(check.finding, Catch::Contains("is read-only"));
  CHECK_THAT(check.advice, Catch::Contains("smartctl -H"));
}

TEST_CASE("unit text: ReadWritePaths accumulate, an empty assignment resets, StateDirectory counts", "[sandbox]") {
  doctor::UnitSandbox sandbox;
  doctor::apply_unit_text(sandbox, "[Unit]\nRequiresMountsFor=/var/lib/carekeep\n[Service]\nProtectSystem=strict\n"
                                   "StateDirectory=carekeep\nReadWritePaths=/var/lib/carekeep\n");
  CHECK(sandbox.strict);
  CHECK(sandbox.writable == std::vector<std::filesystem::path>{"/var/lib/carekeep", "/var/lib/carekeep"});
  doctor::apply_unit_text(sandbox, "[Service]\nReadWritePaths=\nReadWritePaths=-/srv/a /mnt/b\n# ReadWritePaths=/x\n");
  CHECK(sandbox.writable == std::vector<std::filesystem::path>{"/srv/a", "/mnt/b"});
  // A [Unit] key of the same name is not the service's.
  doctor::apply_unit_text(sandbox, "[Unit]\nReadWritePaths=/etc\n");
  CHECK(sandbox.writable.size() == 2);
  CHECK(sandbox.mounts_for == std::vector<std::filesystem::path>{"/var/lib/carekeep"});
}

TEST_CASE("the shipped unit keeps /srv/footage read-only until the drop-in doctor prints is written", "[sandbox]") {
  // The real systemd/carekeepd.service, installed into a tree as the package installs it.
  test::TempDir root;
  std::filesystem::create_directories(root / "lib/systemd/system");
  std::filesystem::copy_file(std::filesystem::path(CAREKEEP_SOURCE_DIR) / "systemd/carekeepd.service",
                             root / "lib/systemd/system/carekeepd.service");
  auto config = make_config("/srv/footage");
  doctor::Mount disk{"/srv/footage", "ext4", "/dev/sda1", false, false};

  CHECK(doctor::check_sandbox(config, doctor::read_unit_sandbox(root / "elsewhere"), disk).verdict == Verdict::Skip);
  auto sandbox = doctor::read_unit_sandbox(root.path());
  REQUIRE(sandbox);
  CHECK(sandbox->strict);
  auto before = doctor::check_sandbox(config, sandbox, disk);
  CHECK(before.verdict == Verdict::Fail);
  CHECK_THAT(before.finding, Catch::Contains("/srv/footage read-only: it is not under ReadWritePaths= (/var/lib/carekeep"));
  CHECK_THAT(before.advice, Catch::Contains("create /etc/systemd/system/carekeepd.service.d/storage.conf with these lines:\n"
                                            "# carekeepd may write its footage here (carekeep doctor, issue 14).\n"
                                            "[Unit]\nRequiresMountsFor=/srv/footage\n\n[Service]\nReadWritePaths=/srv/footage\n"
                                            "then run: systemctl daemon-reload && systemctl restart carekeepd"));
  // The default storage, in the state directory, needs nothing.
  CHECK(doctor::check_sandbox(make_config("/var/lib/carekeep/media"), sandbox, std::nullopt).verdict == Verdict::Pass);

  // Writable but not waited for: a warning.
  test::write_text(root / "etc/systemd/system/carekeepd.service.d/10-partial.conf", "[Service]\nReadWritePaths=/srv\n");
  auto partial = doctor::check_sandbox(config, doctor::read_unit_sandbox(root.path()), disk);
  CHECK(partial.verdict == Verdict::Warn);
  CHECK_THAT(partial.finding, Catch::Contains("does not wait for its mount /srv/footage"));

  auto written = doctor::write_storage_drop_in(root.path(), root / "srv/footage", "no-such-user");
  REQUIRE(written);
  CHECK(*written == root / "etc/systemd/system/carekeepd.service.d/storage.conf");
  CHECK(test::read_text(*written) == doctor::storage_drop_in(root / "srv/footage"));
  CHECK(std::filesystem::is_directory(root / "srv/footage"));  // ReadWritePaths= needs it to exist
  auto tree_config = make_config((root / "srv/footage").string());
  doctor::Mount tree_disk{root / "srv/footage", "ext4", "/dev/sda1", false, false};
  auto after = doctor::check_sandbox(tree_config, doctor::read_unit_sandbox(root.path()), tree_disk);
  CHECK(after.verdict == Verdict::Pass);
  CHECK_THAT(after.finding, Catch::Contains("ReadWritePaths=" + (root / "srv/footage").string()));
}

TEST_CASE("doctor shows the box key's fingerprint and whether it is pinned", "[doctor]") {
  const std::string fp(64, 'a');
  auto none = doctor::check_signing_key(std::nullopt, std::nullopt, "/etc/carekeep/signing.fingerprint");
  CHECK(none.verdict == doctor::Verdict::Warn);
  CHECK(none.advice.find("carekeep key --pin") != std::string::npos);
  auto unpinned = doctor::check_signing_key(fp, std::nullopt, "/etc/carekeep/signing.fingerprint");
  CHECK(unpinned.verdict == doctor::Verdict::Warn);
  CHECK(unpinned.finding == "fingerprint " + fp + ", not pinned");
  auto pinned = doctor::check_signing_key(fp, fp, "/etc/carekeep/signing.fingerprint");
  CHECK(pinned.verdict == doctor::Verdict::Pass);
  CHECK(pinned.finding == "fingerprint " + fp + ", pinned; register it with the health commission");
  auto replaced = doctor::check_signing_key(fp, std::string(64, 'b'), "/etc/carekeep/signing.fingerprint");
  CHECK(replaced.verdict == doctor::Verdict::Fail);
  CHECK(replaced.finding.find("the key beside the data was replaced") != std::string::npos);
}
