// carekeepd with two rtsps:// cameras served by a real TLS fakecam on 127.0.0.1, both URLs with
// a password: the one whose tls_fingerprint pins the camera's self-signed certificate records;
// the one pinned to another certificate is down with cause tls_untrusted, a detail showing
// the fingerprint seen (its retry pace is recorder_unit_test's); the password appears in no
// log line, status file or event.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <thread>

#include "base/sha256.hpp"
#include "index/index.hpp"
#include "support/recording.hpp"
#include "support/rtsp_test_server.hpp"
#include "support/temp_dir.hpp"
#include "support/test_certs.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {

// Puts `line` under the camera table whose url line contains `url_part`.
void add_camera_key(std::string& config, const std::string& url_part, const std::string& line) {
  auto at = config.find(url_part);
  REQUIRE(at != std::string::npos);
  auto eol = config.find('\n', at);
  config.insert(eol + 1, line + "\n");
}

}  // namespace

TEST_CASE("carekeepd records an rtsps camera by its pinned certificate and keeps one with another certificate down as tls_untrusted",
          "[rtsp][tls]") {
  test::TempDir dir;
  auto served = test::make_certificate(dir.path(), "cam", {});
  auto other = test::make_certificate(dir.path(), "other", {});
  fakecam::ServerOptions options;
  options.tls_cert = served.cert;
  options.tls_key = served.key;
  test::RtspTestServer server({test::RtspTestServer::camera("good"), test::RtspTestServer::camera("bad")}, options);
  auto with_password = [](std::string url) { return "rtsps://admin:Tls-s3cret@" + url.substr(8); };
  std::string config = test::daemon_config(dir.path(), {{"good", with_password(server.url("good"))},
                                                        {"bad", with_password(server.url("bad"))}});
  add_camera_key(config, "/good\"", "tls_fingerprint = \"" + to_fingerprint(served.fingerprint) + "\"");
  add_camera_key(config, "/bad\"", "tls_fingerprint = \"" + to_fingerprint(other.fingerprint) + "\"");
  test::write_text(dir / "carekeep.toml", config);

  test::DaemonProcess daemon{CAREKEEPD_BIN, dir / "carekeep.toml", dir / "daemon.log"};
  daemon.start();
  REQUIRE(daemon.wait_for_log("daemon_ready", 20s));
  const index::TimeRange all{UtcTime{}, from_us(INT64_MAX / 2)};
  auto recorded_and_refused = [&] {
    auto index = index::Index::open_reader(dir / "index.db");
    if (!index) return false;
    auto rows = index->segments("good", all);
    auto events = index->camera_events(all, "bad");
    if (!rows || rows->empty() || !events) return false;
    return std::any_of(events->begin(), events->end(), [](const auto& e) { return e.kind == index::CameraEventKind::Down; });
  };
  CHECK(test::wait_until(recorded_and_refused, 20s));
  std::this_thread::sleep_for(4s);  // retries of the refused camera, if any, happen now
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(10s) == 0);

  auto index = index::Index::open_reader(dir / "index.db");
  REQUIRE(index);
  CHECK_FALSE(index->segments("good", all).value().empty());
  CHECK(index->segments("bad", all).value().empty());
  std::size_t downs = 0;
  const auto bad_events = index->camera_events(all, "bad").value();
  for (const auto& e : bad_events) {
    if (e.kind != index::CameraEventKind::Down) continue;
    ++downs;
    CHECK(e.cause == "tls_untrusted");
    CHECK_THAT(e.detail, Catch::Contains("fingerprint is " + to_fingerprint(served.fingerprint)) &&
                             Catch::Contains(to_fingerprint(other.fingerprint)));
    CHECK(e.detail.find("Tls-s3cret") == std::string::npos);
  }
  CHECK(downs == 1);  // one down event per outage
  const auto good_events = index->camera_events(all, "good").value();
  for (const auto& e : good_events) CHECK(e.kind != index::CameraEventKind::Down);

  const std::string log = daemon.log_text();
  CHECK(log.find("tls_untrusted") != std::string::npos);
  CHECK(log.find("Tls-s3cret") == std::string::npos);
  std::error_code ec;
  if (std::filesystem::exists(dir / "status.json", ec)) CHECK(test::read_text(dir / "status.json").find("Tls-s3cret") == std::string::npos);
}
