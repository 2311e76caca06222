// `carekeep doctor`: exit status and JSON verdicts against real cameras (fakecam), a real
// tmpfs, and status.json as carekeepd writes it.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "support/rtsp_test_server.hpp"
#include "support/small_fs.hpp"
#include "support/test_certs.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using nlohmann::json;

namespace {

struct CameraLine {
  std::string id;
  std::string url;
};

// Care every day in `hours`; storage and state under `dir`.
std::filesystem::path write_config(const std::filesystem::path& dir, const std::filesystem::path& storage,
                                   const std::vector<CameraLine>& cameras, const std::string& hours = "08:00-18:00",
                                   const std::string& retention = "") {
  std::string text = "[site]\nname = \"测试托育点\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" + storage.string() +
                     "\"\ndatabase = \"" + (dir / "state" / "index.db").string() + "\"\n" + retention + "[care_hours]\n";
  for (const char* day : {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})
    text += std::string(day) + " = [\"" + hours + "\"]\n";
  std::string zone = "[[zone]]\nid = \"all\"\ncameras = [";
  for (std::size_t i = 0; i < cameras.size(); ++i) {
    text += "[[camera]]\nid = \"" + cameras[i].id + "\"\nurl = \"" + cameras[i].url + "\"\n";
    zone += (i ? ", \"" : "\"") + cameras[i].id + "\"";
  }
  text += zone + "]\n";
  auto path = dir / "carekeep.toml";
  test::write_text(path, text);
  ::chmod(path.c_str(), 0640);
  return path;
}

struct Outcome {
  int exit_code;
  json report;
};

Outcome doctor(const std::filesystem::path& config, const std::string& args) {
  auto run = test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + config.string() + " doctor --json " + args);
  INFO(run.out << run.err);
  auto parsed = json::parse(run.out, nullptr, false);
  REQUIRE_FALSE(parsed.is_discarded());
  return {run.exit_code, parsed};
}

json find(const json& report, const std::string& check, const std::string& subject = "") {
  for (const auto& c : report.at("checks")) {
    if (c.at("check") == check && (subject.empty() || c.at("subject") == subject)) return c;
  }
  FAIL("no check " << check << " " << subject << " in " << report.dump(2));
  return nullptr;
}

std::string with_credentials(const std::string& url) {
  return "rtsp://admin:hunter2-secret@" + url.substr(std::string("rtsp://").size());
}

}  // namespace

TEST_CASE("doctor: a box with a working camera on a real disk is fit to be left alone", "[rtsp]") {
  test::RtspTestServer server;
  test::TempDir dir;
  // One hour of care a day and other footage kept one day: ~6 GB for 90 days of the test
  // stream, so any test machine's disk holds it (the disk is the real one, its free space
  // is whatever it is).
  auto config = write_config(dir.path(), dir / "media", {{"cam", with_credentials(server.url("cam"))}}, "08:00-09:00",
                             "[retention]\nother_days = 1\n");
  // This machine's clock may not be NTP-synchronised and no daemon runs here.
  auto [code, report] = doctor(config, "--probe-seconds 3 --skip clock --skip daemon");
  INFO(report.dump(2));
  CHECK(code == 0);
  CHECK(report.at("fit") == true);
  auto camera = find(report, "camera", "cam");
  CHECK(camera.at("verdict") == "pass");
  CHECK_THAT(camera.at("finding").get<std::string>(), Catch::Contains("h264 320x240"));
  CHECK_THAT(camera.at("finding").get<std::string>(), Catch::Contains("key frame every "));
  auto capacity = find(report, "capacity");
  CHECK(capacity.at("verdict") != "fail");
  CHECK_THAT(capacity.at("finding").get<std::string>(), Catch::Contains("from 1 camera: 90 days of care footage need"));
  CHECK(find(report, "config").at("verdict") == "pass");
  CHECK(find(report, "clock").at("verdict") == "skip");
  CHECK(report.dump().find("hunter2-secret") == std::string::npos);
  // Root (as in CI): doctor asked smartctl about the disk under storage itself. Its verdict is
  // whatever that disk says; this VM's virtio disk offers no SMART, a warning.
  auto health = find(report, "disk_health");
  INFO(health.dump());
  CHECK(health.at("subject").get<std::string>().rfind("/dev/", 0) == 0);
  CHECK(health.at("verdict") != "skip");
  if (health.at("verdict") == "warn") CHECK_FALSE(health.at("advice").get<std::string>().empty());
}

TEST_CASE("doctor: tmpfs storage, a wrong path, a closed port and sparse key frames each fail or warn", "[rtsp][tmpfs]") {
  auto sparse = test::RtspTestServer::camera("sparse");
  sparse.gop_seconds = 8;
  test::RtspTestServer server({test::RtspTestServer::camera("cam"), sparse});
  test::SmallFilesystem ram(64ull * 1024 * 1024);
  test::TempDir dir;
  auto wrong_path = "rtsp://127.0.0.1:" + std::to_string(server.port()) + "/no-such-stream";
  auto config = write_config(dir.path(), ram.path() / "media",
                             {{"cam", server.url("cam")},
                              {"sparse", server.url("sparse")},
                              {"wrongpath", wrong_path},
                              {"closed", "rtsp://127.0.0.1:1/stream"}});
  auto [code, report] = doctor(config, "--probe-seconds 3 --skip clock --skip daemon");
  INFO(report.dump(2));
  CHECK(code == 1);
  CHECK(report.at("fit") == false);
  auto storage = find(report, "storage");
  CHECK(storage.at("verdict") == "fail");
  CHECK_THAT(storage.at("finding").get<std::string>(), Catch::Contains("tmpfs"));
  // 64 MB cannot hold 90 days of even one small stream.
  auto capacity = find(report, "capacity");
  CHECK(capacity.at("verdict") == "fail");
  CHECK_THAT(capacity.at("advice").get<std::string>(), Catch::Contains("use a disk of at least"));
  CHECK(find(report, "camera", "cam").at("verdict") == "pass");
  auto slow = find(report, "camera", "sparse");
  CHECK(slow.at("verdict") == "warn");
  CHECK_THAT(slow.at("advice").get<std::string>(), Catch::Contains("GOP"));
  auto path = find(report, "camera", "wrongpath");
  CHECK(path.at("verdict") == "fail");
  CHECK_THAT(path.at("advice").get<std::string>(), Catch::Contains("path"));
  auto closed = find(report, "camera", "closed");
  CHECK(closed.at("verdict") == "fail");
  CHECK_THAT(closed.at("advice").get<std::string>(), Catch::Contains("power"));
  // No disk under a tmpfs: no SMART to read, said as a warning.
  auto health = find(report, "disk_health");
  CHECK(health.at("verdict") == "warn");
  CHECK_THAT(health.at("finding").get<std::string>(), Catch::Contains("not on a local disk"));
}

TEST_CASE("doctor: an invalid configuration is a failed check with the reason") {
  test::TempDir dir;
  auto config = dir / "carekeep.toml";
  test::write_text(config, "[site]\nname = \"x\"\n");
  auto [code, report] = doctor(config, "");
  CHECK(code == 1);
  auto check = find(report, "config");
  CHECK(check.at("verdict") == "fail");
  CHECK_THAT(check.at("finding").get<std::string>(), Catch::Contains("timezone"));
  CHECK_THAT(check.at("advice").get<std::string>(), Catch::Contains("--check-config"));
}

TEST_CASE("doctor: the daemon check reads status.json freshness, the process and its cameras") {
  test::TempDir dir;
  auto config = write_config(dir.path(), dir / "media", {{"cam", "rtsp://127.0.0.1:1/cam"}});
  auto args = "--skip camera --skip clock --skip capacity";
  auto status_path = dir / "state" / "status.json";
  auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();

  CHECK(find(doctor(config, args).report, "daemon").at("verdict") == "fail");  // never ran

  // This test process stands in for a live carekeepd: status.json names our pid.
  test::write_text(status_path, json{{"pid", ::getpid()}, {"updated_us", now_us},
                                     {"cameras", {{{"camera", "cam"}, {"enabled", true}, {"up", true}}}}}.dump());
  auto live = doctor(config, args);
  CHECK(find(live.report, "daemon").at("verdict") == "pass");

  test::write_text(status_path, json{{"pid", ::getpid()}, {"updated_us", now_us},
                                     {"cameras", {{{"camera", "cam"}, {"enabled", true}, {"up", false}}}}}.dump());
  auto down = find(doctor(config, args).report, "daemon");
  CHECK(down.at("verdict") == "fail");
  CHECK_THAT(down.at("advice").get<std::string>(), Catch::Contains("cam"));

  // Written a minute ago: the daemon is gone or hung.
  test::write_text(status_path, json{{"pid", ::getpid()}, {"updated_us", now_us - 60'000'000},
                                     {"cameras", {{{"camera", "cam"}, {"enabled", true}, {"up", true}}}}}.dump());
  auto stale = find(doctor(config, args).report, "daemon");
  CHECK(stale.at("verdict") == "fail");
  CHECK_THAT(stale.at("finding").get<std::string>(), Catch::Contains("not running"));
}

TEST_CASE("doctor: storage outside the unit's writable paths fails with the drop-in, --fix-storage writes it",
          "[sandbox]") {
  test::TempDir dir;
  // The shipped unit, installed into a tree of its own as the package installs it.
  const auto root = dir / "root";
  std::filesystem::create_directories(root / "lib/systemd/system");
  std::filesystem::copy_file(std::filesystem::path(CAREKEEP_SOURCE_DIR) / "systemd/carekeepd.service",
                             root / "lib/systemd/system/carekeepd.service");
  const auto storage = dir / "srv" / "footage";  // a footage disk mounted outside /var/lib/carekeep
  auto config = write_config(dir.path(), storage, {{"cam", "rtsp://127.0.0.1:1/cam"}});
  const std::string args = "--probe-seconds 0 --skip daemon --skip clock --unit-root " + root.string();

  auto [code, report] = doctor(config, args);
  CHECK(code == 1);
  auto sandbox = find(report, "sandbox");
  CHECK(sandbox.at("verdict") == "fail");
  CHECK_THAT(sandbox.at("finding").get<std::string>(),
             Catch::Contains(storage.string() + " read-only: it is not under ReadWritePaths= (/var/lib/carekeep"));
  CHECK_THAT(sandbox.at("advice").get<std::string>(),
             Catch::Contains("create /etc/systemd/system/carekeepd.service.d/storage.conf with these lines:\n"));
  CHECK_THAT(sandbox.at("advice").get<std::string>(),
             Catch::Contains("[Service]\nReadWritePaths=" + storage.string() + "\n"));
  CHECK_THAT(sandbox.at("advice").get<std::string>(),
             Catch::Contains("systemctl daemon-reload && systemctl restart carekeepd"));
  // The text form shows the file's lines indented under the advice.
  auto text = test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + config.string() + " doctor " + args);
  CHECK_THAT(text.out, Catch::Contains("\n        [Service]\n        ReadWritePaths=" + storage.string() + "\n"));

  auto fixed = test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + config.string() +
                                 " doctor --json --fix-storage --user nobody " + args);
  INFO(fixed.out << fixed.err);
  const auto drop_in = root / "etc/systemd/system/carekeepd.service.d/storage.conf";
  CHECK_THAT(fixed.err, Catch::Contains("wrote " + drop_in.string()));
  CHECK(test::read_text(drop_in) == "# carekeepd may write its footage here (carekeep doctor, issue 14).\n[Unit]\n"
                                    "RequiresMountsFor=" + storage.string() + "\n\n[Service]\nReadWritePaths=" +
                                    storage.string() + "\n");
  struct stat st {};
  REQUIRE(::stat(storage.c_str(), &st) == 0);  // created for the daemon's user: ReadWritePaths= needs it
  CHECK(st.st_uid == 65534);
  auto after = json::parse(fixed.out, nullptr, false);
  REQUIRE_FALSE(after.is_discarded());
  CHECK(find(after, "sandbox").at("verdict") == "pass");
}

TEST_CASE("doctor: an rtsps camera's self-signed certificate fails with the line that pins it, which then passes", "[rtsp][tls]") {
  test::TempDir dir;
  auto cert = test::make_certificate(dir.path(), "cam", {});
  fakecam::ServerOptions options;
  options.tls_cert = cert.cert;
  options.tls_key = cert.key;
  test::RtspTestServer server({test::RtspTestServer::camera("cam")}, options);
  const std::string url = "rtsps://admin:hunter2-secret@" + server.url("cam").substr(std::string("rtsps://").size());
  auto config = write_config(dir.path(), dir / "media", {{"cam", url}});
  const std::string skips = "--skip clock --skip daemon --skip disk_health";

  auto [code, report] = doctor(config, "--probe-seconds 2 " + skips);
  INFO(report.dump(2));
  CHECK(code != 0);
  const std::string pin = "tls_fingerprint = \"" + to_fingerprint(cert.fingerprint) + "\"";
  auto tls = find(report, "camera_tls", "cam");
  CHECK(tls.at("verdict") == "fail");
  CHECK_THAT(tls.at("finding").get<std::string>(), Catch::Contains("self-signed"));
  CHECK_THAT(tls.at("advice").get<std::string>(), Catch::Contains(pin));
  auto camera = find(report, "camera", "cam");
  CHECK(camera.at("verdict") == "fail");
  CHECK_THAT(camera.at("advice").get<std::string>(), Catch::Contains("camera_tls"));
  CHECK(report.dump().find("hunter2-secret") == std::string::npos);

  // The installer adds the line doctor printed: the camera is trusted and records.
  std::string text = test::read_text(config);
  text.insert(text.find('\n', text.find("url = ")) + 1, pin + "\n");
  test::write_text(config, text);
  auto [pinned_code, pinned] = doctor(config, "--probe-seconds 2 " + skips);
  INFO(pinned.dump(2));
  CHECK(find(pinned, "camera_tls", "cam").at("verdict") == "pass");
  CHECK(find(pinned, "camera", "cam").at("verdict") != "fail");

  // The opt-out is a warning that still shows what to pin.
  text.replace(text.find(pin), pin.size(), "tls_verify = false");
  test::write_text(config, text);
  auto [off_code, off] = doctor(config, "--probe-seconds 0 " + skips);
  auto warned = find(off, "camera_tls", "cam");
  CHECK(warned.at("verdict") == "warn");
  CHECK_THAT(warned.at("advice").get<std::string>(), Catch::Contains(pin));
}
