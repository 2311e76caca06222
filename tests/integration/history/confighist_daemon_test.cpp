#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "alerts/alerts.hpp"
#include "config/load.hpp"
#include "history/history.hpp"
#include "index/index.hpp"
#include "support/recording.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

test::CommandRun cli(const std::filesystem::path& config, const std::string& args) {
  return test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + config.string() + " " + args);
}

std::vector<index::AccessLogRow> rows_of(index::Index& index, std::string_view action) {
  std::vector<index::AccessLogRow> out;
  auto rows = index.access_log({UtcTime{}, UtcTime::max()}).value();
  for (auto& row : rows) {
    if (row.action == action) out.push_back(std::move(row));
  }
  return out;
}

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("carekeepd stores each configuration it loads with who loaded it, and verify names an edited one",
          "[history][daemon]") {
  test::TempDir dir;
  auto config = dir / "carekeep.toml";
  // Nothing listens on port 9: the camera stays down, which is all this test needs.
  std::string text = test::daemon_config(dir.path(), {{"cam", "rtsp://admin:pw-secret@127.0.0.1:9/x"}});
  test::write_text(config, text);
  test::DaemonProcess daemon{CAREKEEPD_BIN, config, dir / "daemon.log"};
  daemon.start();
  REQUIRE(daemon.wait_for_log("daemon_ready", 30s));
  {
    auto index = index::Index::open_reader(dir / "index.db").value();
    auto versions = index.config_versions().value();
    REQUIRE(versions.size() == 1);
    CHECK(versions[0].source == "start");
    CHECK(versions[0].uid == static_cast<std::int64_t>(::getuid()));
    CHECK_FALSE(contains(versions[0].content, "pw-secret"));
    CHECK(rows_of(index, "config_load").size() == 1);
    auto key = rows_of(index, "key_created");
    REQUIRE(key.size() == 1);
    CHECK(nlohmann::json::parse(key[0].arguments)["fingerprint"].get<std::string>().size() == 64);
  }

  // A reload with Saturday's hours changed: a new version, stored with the sender.
  test::write_text(config, replaced(text, "saturday = [\"00:00-24:00\"]", "saturday = [\"09:00-12:00\"]"));
  daemon.signal(SIGHUP);
  REQUIRE(daemon.wait_for_log("config_recorded", 20s, 2));
  // The same file again: logged, not stored twice.
  daemon.signal(SIGHUP);
  REQUIRE(daemon.wait_for_log("config_recorded", 20s, 3));
  {
    auto index = index::Index::open_reader(dir / "index.db").value();
    auto versions = index.config_versions().value();
    REQUIRE(versions.size() == 2);
    CHECK(versions[1].source == "reload");
    CHECK(versions[1].uid == static_cast<std::int64_t>(::getuid()));
    auto loads = rows_of(index, "config_load");
    REQUIRE(loads.size() == 3);
    auto changed = nlohmann::json::parse(loads[1].arguments);
    INFO(changed.dump(2));
    CHECK(changed["new_version"] == true);
    CHECK(changed["version"] == versions[1].id);
    CHECK(changed["pid"] == static_cast<std::int64_t>(::getpid()));
    CHECK(changed["changes"] == "care hours changed: saturday");
    auto same = nlohmann::json::parse(loads[2].arguments);
    CHECK(same["new_version"] == false);
    CHECK(same["version"] == versions[1].id);
    CHECK(index.verify_chain(index::kBoxChain, SystemClock{}.now()).value().empty());
  }
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(10s) == 0);

  // `gaps --store` leaves its row in the access log.
  auto stored = cli(config, "gaps --from 2026-01-01 --to 2026-01-02 --store --json");
  INFO(stored.out << stored.err);
  REQUIRE(stored.exit_code == 0);

  // The operator edits the stored Saturday back (trigger dropped first): verify names it.
  {
    auto writer = index::Index::open_writer(dir / "index.db").value();
    REQUIRE(rows_of(writer, "gaps_store").size() == 1);
    REQUIRE(writer.connection().exec("drop trigger config_version_no_update"));
    REQUIRE(writer.connection().exec(
        "update config_version set content = replace(content, '09:00-12:00', '00:00-24:00') where id = 2"));
  }
  auto verify = cli(config, "verify --json");
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 4);
  CHECK(contains(verify.out, "config version 2: its content does not match its sha256"));
}

TEST_CASE("carekeep gaps: a day marked closed afterwards still shows its gaps, and says which file judged the rest",
          "[history]") {
  test::TempDir dir;
  auto config_file = dir / "carekeep.toml";
  std::string open_text = test::daemon_config(dir.path(), {{"cam", "rtsp://127.0.0.1:9/x"}});
  std::string closed_text = open_text + "\n[[care_hours.exception]]\ndate = 2026-11-23\nclosed = true\n";
  auto open = config::parse(open_text, "open").config.value();
  auto closed = config::parse(closed_text, "closed").config.value();
  // Monday 2026-11-23 (Asia/Shanghai) with nothing recorded; the day marked closed on Tuesday.
  const UtcTime monday = UtcTime{date::sys_days{date::year{2026} / 11 / 23}} - 8h;
  {
    auto index = index::Index::open_writer(dir / "index.db").value();
    std::vector<index::ConfiguredCamera> cameras{{"cam", "cam"}};
    REQUIRE(index.sync_cameras(cameras, monday - 24h * 7));
    REQUIRE(history::record_load(index, open, {index::ConfigLoadSource::Start, 0, "root", std::nullopt},
                                 monday - 24h * 7));
    REQUIRE(history::record_load(index, closed, {index::ConfigLoadSource::Reload, 0, "root", 1}, monday + 33h));
  }
  test::write_text(config_file, closed_text);
  auto gaps = cli(config_file, "gaps --from 2026-11-23 --to 2026-11-23 --json");  // the whole day
  INFO(gaps.out << gaps.err);
  REQUIRE(gaps.exit_code == 0);
  auto found = nlohmann::json::parse(gaps.out);
  REQUIRE(found.size() == 1);
  CHECK(found[0]["zone"] == "all");
  CHECK(found[0]["duration_s"] == 24 * 3600);
  // Before the first stored version, the current file judges, and gaps says so.
  auto early = cli(config_file, "gaps --from 2026-11-01 --to 2026-11-02 --json");
  CHECK(early.exit_code == 0);
  CHECK(contains(early.err, "before"));
  CHECK(contains(early.err, "the first stored configuration"));
}

TEST_CASE("every alert acknowledgement is in the access log", "[history][db]") {
  test::TempDir dir;
  auto index = index::Index::open_writer(dir / "index.db").value();
  SystemClock clock;
  alerts::AlertCenter center{index, clock};
  REQUIRE(center.raise(alerts::kZoneUncovered, "nap", alerts::Severity::Critical, "nap: nobody watching"));
  auto open = index.open_alerts().value();
  REQUIRE(open.size() == 1);
  REQUIRE(alerts::acknowledge_as(index, open[0].id, clock.now(), 1000, "operator"));
  auto acks = rows_of(index, "alert_ack");
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].uid == 1000);
  auto args = nlohmann::json::parse(acks[0].arguments);
  CHECK(args["kind"] == std::string(alerts::kZoneUncovered));
  CHECK(args["subject"] == "nap");
  CHECK(index.verify_access_log().value().empty());
}
