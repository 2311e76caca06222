// `carekeep alerts [--all] [--json]`, `carekeep alerts ack ID` and the alerts and capacity
// forecast in `carekeep status --json`, against a real index whose alerts were raised with
// the daemon's own AlertCenter.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "alerts/alerts.hpp"
#include "index/index.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

test::CommandRun carekeep_cli(const std::filesystem::path& config, const std::string& args) {
  return test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + config.string() + " " + args);
}

struct Site {
  test::TempDir dir;
  std::filesystem::path config = dir / "carekeep.toml";
  std::filesystem::path database = dir / "index.db";
  std::int64_t disk_full = 0;
  std::int64_t clock = 0;

  Site() {
    test::write_text(config, "[site]\nname = \"t\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" +
                                 (dir / "media").string() + "\"\ndatabase = \"" + database.string() +
                                 "\"\n[care_hours]\nmonday = [\"08:00-18:00\"]\n[[camera]]\nid = \"cam\"\n"
                                 "url = \"rtsp://127.0.0.1:1/x\"\n");
    std::filesystem::create_directories(dir / "media");
    auto index = index::Index::open_writer(database).value();
    FakeClock clock_now{SystemClock{}.now() - 1h};
    alerts::AlertCenter center(index, clock_now);
    disk_full = center.raise("disk_full", "", alerts::Severity::Critical, "the storage is short of 1.2 GB").value();
    clock = center.raise("clock_untrusted", "", alerts::Severity::Critical, "clock jumped").value();
    clock_now.advance(10min);
    REQUIRE(center.resolve("clock_untrusted", ""));
  }
};

}  // namespace

TEST_CASE("carekeep alerts lists open alerts, --all adds resolved ones, --json has every field", "[cli][alerts]") {
  Site site;
  auto open = carekeep_cli(site.config, "alerts");
  REQUIRE(open.exit_code == 0);
  CHECK(open.out.find("critical disk_full") != std::string::npos);
  CHECK(open.out.find("short of 1.2 GB") != std::string::npos);
  CHECK(open.out.find("clock_untrusted") == std::string::npos);

  auto all = carekeep_cli(site.config, "alerts --all --json");
  REQUIRE(all.exit_code == 0);
  auto list = json::parse(all.out);
  REQUIRE(list.size() == 2);
  CHECK(list[0]["id"] == site.disk_full);
  CHECK(list[0]["kind"] == "disk_full");
  CHECK(list[0]["severity"] == "critical");
  CHECK(list[0]["resolved"].is_null());
  CHECK(list[1]["kind"] == "clock_untrusted");
  CHECK(list[1]["resolved"].is_string());
  CHECK(list[1]["raised"].get<std::string>().find("+08:00") != std::string::npos);
}

// `carekeep alerts ack` goes through carekeepd: tests/integration/control acknowledges an alert
// the daemon raised itself, as an operator, and is refused as an inspector.

TEST_CASE("carekeep status shows open alerts and forecast_care_days without a daemon", "[cli][alerts]") {
  Site site;
  auto status = carekeep_cli(site.config, "status --json");
  REQUIRE(status.exit_code == 0);
  auto out = json::parse(status.out);
  REQUIRE(out["alerts"].size() == 1);
  CHECK(out["alerts"][0]["kind"] == "disk_full");
  CHECK(out.contains("forecast_care_days"));
  CHECK(out["forecast_care_days"].is_null());  // nothing recorded: no rate to forecast from
  auto text = carekeep_cli(site.config, "status");
  CHECK(text.out.find("1 open alert") != std::string::npos);
}
