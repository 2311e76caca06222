// carekeepd with content checks: a fakecam camera that turns black gets a content_fault row
// (with its measured values) and a content_fault alert; when it is live again the row ends and
// the alert is resolved. The daemon's [content] table samples every second.
#include <catch2/catch.hpp>

#include <signal.h>

#include <nlohmann/json.hpp>

#include "index/index.hpp"
#include "support/recording.hpp"
#include "support/rtsp_test_server.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {

std::string config_text(const std::filesystem::path& dir, const std::string& url) {
  return "[site]\nname = \"t\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" + (dir / "media").string() +
         "\"\ndatabase = \"" + (dir / "index.db").string() +
         "\"\n\n[care_hours]\nmonday = [\"00:00-24:00\"]\ntuesday = [\"00:00-24:00\"]\n"
         "wednesday = [\"00:00-24:00\"]\nthursday = [\"00:00-24:00\"]\nfriday = [\"00:00-24:00\"]\n"
         "saturday = [\"00:00-24:00\"]\nsunday = [\"00:00-24:00\"]\n\n"
         "[content]\nsample_seconds = 1\nfrozen_seconds = 30\n\n"
         "[[camera]]\nid = \"cam\"\nurl = \"" + url + "\"\nsegment_seconds = 10\n\n"
         "[[zone]]\nid = \"all\"\ncameras = [\"cam\"]\n";
}

std::vector<index::ContentFaultRow> faults(const std::filesystem::path& db) {
  auto index = index::Index::open_reader(db);
  if (!index) return {};
  auto rows = index->content_faults("cam", {UtcTime{}, from_us(INT64_MAX / 2)});
  return rows ? *rows : std::vector<index::ContentFaultRow>{};
}

std::vector<index::AlertRow> content_alerts(const std::filesystem::path& db) {
  auto index = index::Index::open_reader(db);
  if (!index) return {};
  std::vector<index::AlertRow> out;
  for (auto& a : index->alerts().value_or(std::vector<index::AlertRow>{}))
    if (a.kind == "content_fault") out.push_back(a);
  return out;
}

}  // namespace

TEST_CASE("carekeepd records a black picture as a content fault with an alert, and its end", "[rtsp][slow]") {
  test::RtspTestServer server;
  test::TempDir dir;
  test::write_text(dir / "carekeep.toml", config_text(dir.path(), server.url()));
  test::DaemonProcess daemon{CAREKEEPD_BIN, dir / "carekeep.toml", dir / "daemon.log"};
  daemon.start();
  REQUIRE(daemon.wait_for_log("camera_up", 20s));
  std::this_thread::sleep_for(3s);  // a few clean samples first
  CHECK(faults(dir / "index.db").empty());

  const auto black_at = SystemClock{}.now();
  server.set_fault("cam", fakecam::Fault::Black);
  REQUIRE(test::wait_until([&] { return !faults(dir / "index.db").empty(); }, 15s));
  auto rows = faults(dir / "index.db");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].kind == "black");
  CHECK_FALSE(rows[0].end.has_value());
  CHECK(rows[0].start >= black_at);
  CHECK(rows[0].start - black_at < 5s);  // the first black keyframe (within a GOP and a sample)
  auto detail = nlohmann::json::parse(rows[0].detail);
  CHECK(detail["mean"].get<double>() < 20);
  CHECK(detail["stddev"].get<double>() < 1);
  REQUIRE(test::wait_until([&] { return content_alerts(dir / "index.db").size() == 1; }, 5s));
  auto alert = content_alerts(dir / "index.db").front();
  CHECK(alert.subject == "cam");
  CHECK_FALSE(alert.resolved.has_value());
  CHECK(alert.message.find("black") != std::string::npos);

  // status.json (rewritten every 5 s) names the open fault and counts the samples.
  auto status_content = [&]() -> nlohmann::json {
    auto text = test::read_text(dir / "status.json");
    if (text.empty()) return nullptr;
    auto status = nlohmann::json::parse(text, nullptr, false);
    if (status.is_discarded() || !status.contains("cameras") || status["cameras"].empty()) return nullptr;
    return status["cameras"][0].value("content", nlohmann::json(nullptr));
  };
  REQUIRE(test::wait_until([&] {
    auto c = status_content();
    return c.is_object() && c["faults"] == nlohmann::json::array({"black"});
  }, 8s));
  CHECK(status_content()["checked"] == true);
  CHECK(status_content()["samples"].get<int>() >= 5);

  server.set_fault("cam", fakecam::Fault::Live);
  REQUIRE(test::wait_until([&] { return faults(dir / "index.db").front().end.has_value(); }, 15s));
  REQUIRE(test::wait_until([&] { return content_alerts(dir / "index.db").front().resolved.has_value(); }, 5s));
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(15s) == 0);
  rows = faults(dir / "index.db");
  REQUIRE(rows.size() == 1);
  CHECK(*rows[0].end > rows[0].start);
  CHECK(daemon.log_text().find("content_checks_stopped") != std::string::npos);
}
