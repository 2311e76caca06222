// AlertCenter over a real index file: one open alert per (kind, subject), refresh instead of
// duplicates, resolve, reload by a later daemon run, acknowledgement by a reader, listeners.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "alerts/alerts.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using alerts::AlertCenter;
using alerts::Change;
using alerts::Severity;

namespace {

const UtcTime kT0 = from_us(1'795'000'000'000'000);  // 2026-11-18

struct Fixture {
  test::TempDir dir;
  index::Index index = index::Index::open_writer(dir / "index.db").value();
  FakeClock clock{kT0};
};

}  // namespace

TEST_CASE("an alert raised twice stays one row whose last_seen and message follow", "[alerts][db]") {
  Fixture f;
  AlertCenter center(f.index, f.clock);
  auto first = center.raise("disk_full", "", Severity::Warning, "2.0 GB missing");
  REQUIRE(first);
  f.clock.advance(60s);
  auto second = center.raise("disk_full", "", Severity::Critical, "3.5 GB missing");
  REQUIRE(second);
  CHECK(*first == *second);

  auto rows = f.index.alerts().value();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].kind == "disk_full");
  CHECK(rows[0].severity == "critical");
  CHECK(rows[0].message == "3.5 GB missing");
  CHECK(rows[0].raised == kT0);
  CHECK(rows[0].last_seen == kT0 + 60s);
  CHECK_FALSE(rows[0].resolved);

  auto open = center.open();
  REQUIRE(open.size() == 1);
  CHECK(open[0].severity == Severity::Critical);
  CHECK(center.is_open("disk_full", ""));
}

TEST_CASE("different subjects of one kind are separate alerts", "[alerts][db]") {
  Fixture f;
  AlertCenter center(f.index, f.clock);
  auto a = center.raise("camera_offline", "nap-1", Severity::Warning, "nap-1 down").value();
  auto b = center.raise("camera_offline", "play", Severity::Warning, "play down").value();
  CHECK(a != b);
  REQUIRE(center.resolve("camera_offline", "nap-1"));
  auto open = center.open();
  REQUIRE(open.size() == 1);
  CHECK(open[0].subject == "play");
  CHECK_FALSE(center.is_open("camera_offline", "nap-1"));
}

TEST_CASE("a resolved condition that comes back opens a new alert and keeps the old one", "[alerts][db]") {
  Fixture f;
  AlertCenter center(f.index, f.clock);
  auto first = center.raise("clock_untrusted", "", Severity::Critical, "clock jumped").value();
  f.clock.advance(10s);
  REQUIRE(center.resolve("clock_untrusted", ""));
  REQUIRE(center.resolve("clock_untrusted", ""));  // nothing open: not an error
  f.clock.advance(10s);
  auto second = center.raise("clock_untrusted", "", Severity::Critical, "clock jumped again").value();
  CHECK(second != first);

  auto all = alerts::list(f.index, true).value();
  REQUIRE(all.size() == 2);
  REQUIRE(all[0].resolved);
  CHECK(*all[0].resolved == kT0 + 10s);
  CHECK_FALSE(all[1].resolved);
  CHECK(alerts::list(f.index, false).value().size() == 1);
}

TEST_CASE("a resolve after the wall clock stepped back never ends an alert before it began", "[alerts][db]") {
  Fixture f;
  AlertCenter center(f.index, f.clock);
  center.raise("disk_low", "", Severity::Warning, "low").value();
  f.clock.step_wall_clock(-std::chrono::hours(24));
  REQUIRE(center.resolve("disk_low", ""));
  auto all = f.index.alerts().value();
  REQUIRE(all.size() == 1);
  REQUIRE(all[0].resolved);
  CHECK(*all[0].resolved >= all[0].raised);
}

TEST_CASE("a new alert center adopts the alerts an earlier daemon run left open", "[alerts][db]") {
  Fixture f;
  std::int64_t id = 0;
  {
    AlertCenter center(f.index, f.clock);
    id = center.raise("disk_full", "", Severity::Critical, "full").value();
  }
  f.clock.advance(5min);
  AlertCenter later(f.index, f.clock);
  CHECK(later.is_open("disk_full", ""));
  CHECK(later.raise("disk_full", "", Severity::Critical, "still full").value() == id);
  REQUIRE(later.resolve("disk_full", ""));
  CHECK(f.index.open_alerts().value().empty());
}

TEST_CASE("listeners hear new alerts, escalations and resolutions but not plain refreshes", "[alerts][db]") {
  Fixture f;
  AlertCenter center(f.index, f.clock);
  std::vector<std::string> heard;
  center.subscribe([&](const Change& change) {
    heard.push_back((change.type == Change::Type::Raised ? "raised " : "resolved ") + change.alert.kind + " " +
                    std::string(alerts::to_string(change.alert.severity)));
  });
  center.subscribe([](const Change&) { throw std::runtime_error("webhook down"); });  // must not break raise
  REQUIRE(center.raise("disk_low", "", Severity::Warning, "a"));
  REQUIRE(center.raise("disk_low", "", Severity::Warning, "b"));
  REQUIRE(center.raise("disk_low", "", Severity::Critical, "c"));
  REQUIRE(center.resolve("disk_low", ""));
  CHECK(heard == std::vector<std::string>{"raised disk_low warning", "raised disk_low critical",
                                          "resolved disk_low critical"});
}

TEST_CASE("an operator acknowledges an alert once through a second connection", "[alerts][db]") {
  Fixture f;
  AlertCenter center(f.index, f.clock);
  auto id = center.raise("capacity_short", "", Severity::Warning, "only 60 days fit").value();

  // The CLI writes through its own connection while the daemon keeps its open.
  auto cli = index::Index::open_writer(f.dir / "index.db").value();
  REQUIRE(alerts::acknowledge(cli, id, kT0 + 1h, "alice"));
  auto again = alerts::acknowledge(cli, id, kT0 + 2h, "bob");
  REQUIRE_FALSE(again);
  CHECK(again.error().kind == ErrorKind::FailedPrecondition);
  CHECK(again.error().message.find("alice") != std::string::npos);
  auto missing = alerts::acknowledge(cli, id + 100, kT0, "bob");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::NotFound);

  auto open = center.open();  // the daemon sees the acknowledgement
  REQUIRE(open.size() == 1);
  REQUIRE(open[0].acknowledged);
  CHECK(*open[0].acknowledged == kT0 + 1h);
  CHECK(open[0].acknowledged_by == "alice");
  // Acknowledging does not resolve: the condition still holds until its watcher says so.
  CHECK_FALSE(open[0].resolved);
}

TEST_CASE("the index refuses a second open alert and an unknown severity", "[alerts][db]") {
  Fixture f;
  REQUIRE(f.index.insert_alert({"disk_low", "", "warning", "low", kT0}));
  CHECK_FALSE(f.index.insert_alert({"disk_low", "", "warning", "low again", kT0}));
  CHECK_FALSE(f.index.insert_alert({"disk_error", "", "loud", "x", kT0}));
  CHECK(f.index.refresh_alert(999, kT0, "info", "x").error().kind == ErrorKind::NotFound);
  CHECK(f.index.resolve_alert(999, kT0).error().kind == ErrorKind::NotFound);
}

// Issue 15: acknowledging clock_untrusted confirms the date, so who confirmed which date goes on
// the hash-chained access log with the acknowledgement; every other acknowledgement is an
// `alert_ack` row (every change leaves a trace).
TEST_CASE("acknowledging clock_untrusted records the confirmed date on the access log", "[alerts][db][clock]") {
  Fixture f;
  AlertCenter center(f.index, f.clock);
  auto clock_id = center.raise(alerts::kClockUntrusted, "", Severity::Critical, "the wall clock is 200 days later").value();
  auto other_id = center.raise("capacity_short", "", Severity::Warning, "only 60 days fit").value();
  auto cli = index::Index::open_writer(f.dir / "index.db").value();
  REQUIRE(alerts::acknowledge_as(cli, other_id, kT0 + 1h, 1000, "alice"));
  auto acked = cli.access_log({UtcTime{}, kT0 + 24h}).value();
  REQUIRE(acked.size() == 1);
  CHECK(acked[0].action == "alert_ack");
  CHECK(acked[0].arguments.find("\"kind\":\"capacity_short\"") != std::string::npos);
  REQUIRE(alerts::acknowledge_as(cli, clock_id, kT0 + 2h, 1000, "alice"));
  auto log = cli.access_log({UtcTime{}, kT0 + 24h}).value();
  REQUIRE(log.size() == 2);
  CHECK(log[1].action == "clock_confirm");
  CHECK(log[1].uid == 1000);
  CHECK(log[1].user == "alice");
  CHECK(log[1].time == kT0 + 2h);
  CHECK(log[1].arguments.find("\"confirmed_us\":" + std::to_string(to_us(kT0 + 2h))) != std::string::npos);
  CHECK(log[1].arguments.find(format_utc_iso(kT0 + 2h)) != std::string::npos);
  // A second acknowledgement is refused and logs nothing (one transaction).
  REQUIRE_FALSE(alerts::acknowledge_as(cli, clock_id, kT0 + 3h, 1000, "bob"));
  CHECK(cli.access_log({UtcTime{}, kT0 + 24h}).value().size() == 2);
}
