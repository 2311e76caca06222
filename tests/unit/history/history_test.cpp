#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "care/in_force.hpp"
#include "config/history.hpp"
#include "config/load.hpp"
#include "coverage/compute.hpp"
#include "history/history.hpp"
#include "index/index.hpp"
#include "report/report.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// Two zones, Monday 08:00-12:00 (Asia/Shanghai); `extra` is appended (exceptions, more keys).
std::string config_text(const std::filesystem::path& dir, bool with_play = true, const std::string& care_extra = "") {
  std::string text = "[site]\nname = \"测试\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" + (dir / "media").string() +
                     "\"\ndatabase = \"" + (dir / "index.db").string() +
                     "\"\n\n[care_hours]\nmonday = [\"08:00-12:00\"]\n" + care_extra +
                     "\n[[camera]]\nid = \"nap-1\"\nurl = \"rtsp://admin:hunter2@127.0.0.1:1/s\"\n"
                     "\n[[camera]]\nid = \"play-1\"\nurl = \"rtsp://127.0.0.1:1/p?password=hunter3\"\n"
                     "\n[[zone]]\nid = \"nap\"\ncameras = [\"nap-1\"]\n";
  if (with_play) text += "\n[[zone]]\nid = \"play\"\ncameras = [\"play-1\"]\n";
  return text;
}

config::Config parsed(const std::string& text) {
  auto outcome = config::parse(text, "carekeep.toml");
  std::string diagnostics;
  for (const auto& d : outcome.diagnostics) diagnostics += config::format(d) + "\n";
  INFO(text << "\n" << diagnostics);
  REQUIRE(outcome.ok());
  return std::move(*outcome.config);
}

// Monday 2026-11-23 in Asia/Shanghai (UTC+8).
UtcTime local(int day, int hour) {
  return from_us((1'795'392'000LL + (day * 24LL + hour - 8) * 3600) * 1'000'000);  // 2026-11-23T00:00Z
}

constexpr std::string_view kClosedMonday = "\n[[care_hours.exception]]\ndate = 2026-11-23\nclosed = true\n";

}  // namespace

TEST_CASE("history: the stored text has no credentials and still parses as the same configuration", "[history]") {
  test::TempDir dir;
  std::string text = config_text(dir.path()) +
                     "\n[[alerts.webhook]]\nurl = \"https://oapi.dingtalk.com/robot/send?access_token=tok123\"\n"
                     "format = \"dingtalk\"\nsecret = \"SECabcdef\"\n"
                     "\n[[alerts.webhook]]\nurl = \"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecomkey9\"\n"
                     "format = \"wecom\"\n";
  auto original = parsed(text);
  auto redacted = config::redacted_for_history(text);
  for (std::string_view secret : {"hunter2", "hunter3", "tok123", "SECabcdef", "wecomkey9"}) {
    CAPTURE(secret);
    CHECK_FALSE(contains(redacted, secret));
  }
  auto again = parsed(redacted);
  CHECK(config::compare(original, again).empty());
  CHECK(again.zones.size() == 2);
  CHECK(again.find_camera("nap-1")->redacted_url() == original.find_camera("nap-1")->redacted_url());
}

TEST_CASE("history: the change summary names cameras, zones, care hours, exceptions and retention", "[history]") {
  test::TempDir dir;
  auto before = parsed(config_text(dir.path()));
  auto after = parsed(config_text(dir.path(), false,
                                  "saturday = [\"09:00-11:00\"]\n" + std::string(kClosedMonday) +
                                      "\n[retention]\ncare_days = 120\n"));
  auto changes = config::compare(before, after);
  CHECK(changes.schedule_or_zones());
  CHECK(changes.zones_removed == std::vector<std::string>{"play"});
  CHECK(changes.care_days_changed == std::vector<std::string>{"saturday"});
  CHECK(changes.exceptions_added == std::vector<std::string>{"2026-11-23 closed"});
  CHECK(changes.retention == std::vector<std::string>{"care_days 90 -> 120"});
  CHECK(changes.summary() ==
        "zones removed: play; care hours changed: saturday; exceptions added: 2026-11-23 closed; retention: care_days "
        "90 -> 120");
  CHECK(config::compare(before, before).empty());
}

TEST_CASE("history: care time follows the configuration in force at each instant", "[history]") {
  test::TempDir dir;
  auto open = std::make_shared<const config::Config>(parsed(config_text(dir.path())));
  auto closed =
      std::make_shared<const config::Config>(parsed(config_text(dir.path(), true, std::string(kClosedMonday))));
  // Closed from Monday 10:00 on: the morning's first two care hours stay care time.
  std::vector<care::ConfigSpan> spans{{UtcTime::min(), open, 1}, {local(0, 10), closed, 2}};
  auto care = care::care_intervals(spans, local(0, 0), local(1, 0));
  REQUIRE(care.size() == 1);
  CHECK(care[0] == care::Interval{local(0, 8), local(0, 10)});
  auto pieces = care::pieces_in_force(spans, local(0, 0), local(1, 0));
  REQUIRE(pieces.size() == 2);
  CHECK(pieces[0].span->version == 1);
  CHECK(pieces[1].from == local(0, 10));
  // Only the later version: the whole day is closed.
  CHECK(care::care_intervals(std::span(spans).subspan(1), local(0, 0), local(1, 0)).empty());
}

TEST_CASE("history: loads are stored once per content, chained and logged with what changed", "[history][db]") {
  test::TempDir dir;
  auto index = index::Index::open_writer(dir / "index.db").value();
  history::Loader start{index::ConfigLoadSource::Start, 0, "root", std::nullopt};
  auto v1 = parsed(config_text(dir.path()));
  auto first = history::record_load(index, v1, start, local(-7, 7));
  REQUIRE(first);
  CHECK(first->stored);
  CHECK_FALSE(first->changes);
  // The same file again (a restart): logged, no new version.
  auto same = history::record_load(index, v1, start, local(-7, 9));
  REQUIRE(same);
  CHECK_FALSE(same->stored);
  CHECK(same->version == first->version);
  // A reload with a closed Monday and the play zone removed.
  history::Loader hup{index::ConfigLoadSource::Reload, 1000, "operator", 4242};
  auto v2 = parsed(config_text(dir.path(), false, std::string(kClosedMonday)));
  auto changed = history::record_load(index, v2, hup, local(1, 9));
  REQUIRE(changed);
  CHECK(changed->stored);
  CHECK(changed->version == first->version + 1);

  auto versions = index.config_versions().value();
  REQUIRE(versions.size() == 2);
  CHECK(versions[1].source == "reload");
  CHECK(versions[1].uid == 1000);
  CHECK(versions[1].user == "operator");
  CHECK_FALSE(contains(versions[0].content, "hunter2"));
  CHECK(versions[1].sha256 == sha256_of(versions[1].content));
  auto log = index.access_log({UtcTime{}, local(10, 0)}).value();
  REQUIRE(log.size() == 3);
  for (const auto& row : log) CHECK(row.action == "config_load");
  auto args = nlohmann::json::parse(log[2].arguments);
  CHECK(args["new_version"] == true);
  CHECK(args["pid"] == 4242);
  CHECK(log[2].uid == 1000);
  CHECK(contains(args["changes"].get<std::string>(), "zones removed: play"));
  CHECK(contains(args["changes"].get<std::string>(), "exceptions added: 2026-11-23 closed"));
  CHECK(nlohmann::json::parse(log[1].arguments)["new_version"] == false);

  auto entries = index.chain_entries(index::kBoxChain).value();
  REQUIRE(entries.size() == 2);
  CHECK(entries[1].kind == "config");
  CHECK(entries[1].config_id == versions[1].id);
  CHECK(index.verify_chain(index::kBoxChain, local(10, 0)).value().empty());
  CHECK(index.verify_access_log().value().empty());

  auto& db = index.connection();
  auto problems = [&] {
    std::string all;
    auto findings = index.verify_chain(index::kBoxChain, local(10, 0)).value();
    for (const auto& f : findings) all += f.problem + "\n";
    return all;
  };
  SECTION("an edited version is named by verify") {
    REQUIRE_FALSE(db.exec("update config_version set content = 'x' where id = 1"));  // the trigger refuses
    REQUIRE(db.exec("drop trigger config_version_no_update"));
    REQUIRE(db.exec("update config_version set content = replace(content, '08:00-12:00', '08:00-09:00') where id = 1"));
    auto found = problems();
    INFO(found);
    CHECK(contains(found, "config version 1: its content does not match its sha256"));
    REQUIRE(db.exec("update config_version set sha256 = zeroblob(32), loaded_us = loaded_us + 1 where id = 2"));
    found = problems();
    CHECK(contains(found, "config version 2: the row was edited"));
    CHECK(contains(found, "loaded_us"));
  }
  SECTION("a removed version is named by verify") {
    REQUIRE_FALSE(db.exec("delete from config_version where id = 2"));
    REQUIRE(db.exec("drop trigger config_version_no_delete"));
    REQUIRE(db.exec("delete from config_version where id = 2"));
    auto found = problems();
    INFO(found);
    CHECK(contains(found, "config version 2: the row is gone from the index"));
  }
}

TEST_CASE("history: a day marked closed and a zone removed afterwards keep their past gaps", "[history][db]") {
  test::TempDir dir;
  auto index = index::Index::open_writer(dir / "index.db").value();
  auto v1 = parsed(config_text(dir.path()));
  auto v2 = parsed(config_text(dir.path(), false, std::string(kClosedMonday)));
  std::vector<index::ConfiguredCamera> cameras{{"nap-1", "nap-1"}, {"play-1", "play-1"}};
  REQUIRE(index.sync_cameras(cameras, local(-7, 0)));
  history::Loader start{index::ConfigLoadSource::Start, 0, "root", std::nullopt};
  REQUIRE(history::record_load(index, v1, start, local(-7, 0)));
  // Nothing recorded on Monday 08:00-12:00; on Tuesday the operator closes Monday and removes play.
  REQUIRE(history::record_load(index, v2, {index::ConfigLoadSource::Reload, 0, "root", 1}, local(1, 9)));
  index::TimeRange monday{local(0, 0), local(1, 0)};

  auto versions = history::in_force(index, v2, monday).value();
  CHECK_FALSE(versions.current_file_used);
  REQUIRE(versions.spans.size() == 1);
  auto gaps = coverage::compute_gaps(index, versions.spans, monday, std::nullopt, false, local(2, 0)).value();
  REQUIRE(gaps.size() == 2);
  CHECK(gaps[0].zone_id == "nap");
  CHECK(gaps[1].zone_id == "play");
  for (const auto& g : gaps) {
    CHECK(g.start == local(0, 8));
    CHECK(g.end == local(0, 12));
  }
  // Judged by today's file alone (what carekeep did before), the gaps are gone: the test can fail.
  care::CareCalendar today{v2.care_hours, TimeZone::locate("Asia/Shanghai").value()};
  CHECK(coverage::compute_gaps(index, v2, today, monday, std::nullopt, false, local(2, 0)).value().empty());
  // The removed zone can still be asked for by name.
  CHECK(coverage::compute_gaps(index, versions.spans, monday, "play", false, local(2, 0)).value().size() == 1);

  // The report over Monday and Tuesday shows both gaps and lists the change with its hash.
  report::GatherOptions options;
  options.now = local(2, 0);
  options.measure_storage = false;
  index::TimeRange days{local(0, 0), local(2, 0)};
  auto data = report::gather(index, v2, today, days, options).value();
  REQUIRE(data.coverage.gaps.size() == 2);
  CHECK(data.coverage.gaps[1].zone_id == "play");
  double care = 0;
  for (const auto& d : data.coverage.days) care += d.care_seconds;
  CHECK(care == 2 * 4 * 3600);
  REQUIRE(data.config_history.changes.size() == 1);
  const auto& change = data.config_history.changes[0];
  CHECK(change.version == 2);
  CHECK(change.loaded == local(1, 9));
  CHECK(change.schedule_or_zones);
  CHECK(contains(change.summary, "exceptions added: 2026-11-23 closed"));
  CHECK(contains(change.summary, "zones removed: play"));
  CHECK(change.sha256 == to_hex(index.config_versions().value()[1].sha256));
  CHECK_FALSE(data.config_history.current_file_used);
}

TEST_CASE("history: before the first stored version the current file is used, and said so", "[history][db]") {
  test::TempDir dir;
  auto index = index::Index::open_writer(dir / "index.db").value();
  auto v1 = parsed(config_text(dir.path()));
  index::TimeRange monday{local(0, 0), local(1, 0)};
  auto none = history::in_force(index, v1, monday).value();
  CHECK(none.current_file_used);
  REQUIRE(none.spans.size() == 1);
  CHECK_FALSE(none.spans[0].version);
  REQUIRE(history::record_load(index, v1, {index::ConfigLoadSource::Start, 0, "root", std::nullopt}, local(0, 10)));
  auto later = history::in_force(index, v1, monday).value();
  CHECK(later.current_file_used);
  REQUIRE(later.spans.size() == 2);
  CHECK(later.spans[1].valid_from == local(0, 10));
  REQUIRE(later.changes.size() == 1);
  CHECK(later.changes[0].first);
}
