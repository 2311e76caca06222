// Issue 14's fault matrix, the clock half: a real carekeepd (on a clock faked by libfaketime,
// tests/support/recording.hpp) records a fakecam camera; its wall clock is stepped -1 h, +1 h,
// +10 years or -10 years mid-recording, and then it is restarted while the clock is still
// wrong. After each: no recorded care footage deleted (it is protected for 90 days, and a clock
// 10 years ahead would say that has long passed), the segment cut at the step so none spans
// two clocks, each run's segments monotone and contiguous but for the one jump of the step's
// size where the recorder cut, every segment closed from the step on (the one cut at it
// included) marked suspect_clock and none before it, clock_untrusted open in the index across
// the restart, deletion paused, and `carekeep verify` (run on the true clock) clean; after a
// step ahead it lists the chain entries dated after the check's true time (the footage recorded
// on that clock, marked suspect_clock) as notes, not findings.
// Figures go to README ("Fault matrix"); run with `ctest --test-dir build/ci -L soak -R clock_step`.
#include <catch2/catch.hpp>

#include <signal.h>

#include <sstream>
#include <thread>

#include "index/index.hpp"
#include "support/recording.hpp"
#include "support/rtsp_test_server.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const index::TimeRange kAll{UtcTime{}, from_us(INT64_MAX / 2)};

std::vector<index::SegmentRow> rows(const fs::path& database) {
  auto index = index::Index::open_reader(database);
  if (!index) return {};
  auto all = index->segments("cam", kAll);
  if (!all) return {};
  std::sort(all->begin(), all->end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return *all;
}

std::size_t closed(const fs::path& database, bool suspect, index::RunId after_run = 0) {
  std::size_t n = 0;
  for (const auto& r : rows(database))
    if (r.state == index::SegmentState::Closed && r.suspect_clock == suspect && r.run_id > after_run) ++n;
  return n;
}

bool alert_open(const fs::path& database, std::string_view kind) {
  auto index = index::Index::open_reader(database);
  if (!index) return false;
  auto open = index->open_alerts();
  if (!open) return false;
  for (const auto& a : *open)
    if (a.kind == kind) return true;
  return false;
}

std::string tail(const std::string& text) { return text.substr(text.size() > 6000 ? text.size() - 6000 : 0); }

}  // namespace

TEST_CASE("clock stepped -1 h, +1 h, +10 y, -10 y while recording, restarted on the wrong clock: no care footage "
          "deleted, segments cut at the step and marked suspect_clock, clock_untrusted raised, verify clean",
          "[soak][clock]") {
  struct Step {
    const char* name;
    const char* faked;  // libfaketime's offset from the true time
    Micros size;
  };
  for (const auto& step : {Step{"-1 h", "-1h", -std::chrono::hours(1)}, Step{"+1 h", "+1h", std::chrono::hours(1)},
                           Step{"+10 y", "+3652d", std::chrono::days(3652)},
                           Step{"-10 y", "-3652d", -std::chrono::days(3652)}}) {
    CAPTURE(step.name);
    auto began = std::chrono::steady_clock::now();
    test::TempDir dir;
    test::RtspTestServer server;
    test::write_text(dir / "carekeep.toml", test::daemon_config(dir.path(), {{"cam", server.url()}}));
    auto database = dir / "index.db";
    auto wrapper = test::daemon_on_faked_clock(CAREKEEPD_BIN, dir.path(), "+0d");

    // On the true clock: one whole segment first.
    index::RunId first_run = 0;
    {
      test::DaemonProcess daemon{wrapper, dir / "carekeep.toml", dir / "daemon1.log"};
      daemon.start();
      INFO(tail(daemon.log_text()));
      REQUIRE(daemon.wait_for_log("camera_up", 30s));
      REQUIRE(test::wait_until([&] { return closed(database, false) >= 1; }, 30s));
      CHECK_FALSE(alert_open(database, "clock_untrusted"));

      test::write_text(dir / "faketime", std::string(step.faked) + "\n");  // read again within a second
      REQUIRE(daemon.wait_for_log("clock_step", 15s));
      REQUIRE(test::wait_until([&] { return alert_open(database, "clock_untrusted"); }, 15s));
      // The segment cut at the step and a whole one on the wrong clock (both suspect_clock),
      // then stopped while it is still wrong.
      REQUIRE(test::wait_until([&] { return closed(database, true) >= 2; }, 30s));
      daemon.signal(SIGTERM);
      REQUIRE(daemon.wait(15s) == 0);
      auto all = rows(database);
      REQUIRE_FALSE(all.empty());
      first_run = all.back().run_id;
    }
    // Restarted with the clock still wrong: still untrusted, still recording, nothing deleted.
    {
      test::DaemonProcess daemon{wrapper, dir / "carekeep.toml", dir / "daemon2.log"};
      daemon.start();
      INFO(tail(daemon.log_text()));
      REQUIRE(daemon.wait_for_log("retention_pass trigger=start", 30s));
      CHECK(daemon.log_text().find("retention_pass trigger=start deleted=0") != std::string::npos);
      REQUIRE(test::wait_until([&] { return closed(database, true, first_run) >= 1; }, 30s));
      CHECK(alert_open(database, "clock_untrusted"));
      daemon.signal(SIGTERM);
      REQUIRE(daemon.wait(15s) == 0);
    }

    auto all = rows(database);
    std::size_t before = 0, suspect = 0, deleted = 0;
    bool seen_suspect = false;
    const index::SegmentRow* previous = nullptr;
    int steps_seen = 0;
    Micros step_seen{0};
    for (const auto& r : all) {
      INFO("segment " << r.id << " " << r.path << " " << index::to_string(r.state) << " run " << r.run_id << " start "
                      << format_utc_iso(r.start) << " duration " << r.duration.count() << " us, suspect "
                      << r.suspect_clock);
      if (r.state == index::SegmentState::Deleted) ++deleted;
      CHECK(r.state != index::SegmentState::Open);
      // Marked from the step on, never before it: the clock stays untrusted across the restart.
      if (seen_suspect) CHECK(r.suspect_clock);
      seen_suspect = seen_suspect || r.suspect_clock;
      (r.suspect_clock ? suspect : before) += 1;
      // None spans the step: a segment holds one clock (a step inside it would add its size).
      CHECK(r.duration <= std::chrono::seconds(12));
      // Monotone on either clock (contiguous within a run, to the recorder's tolerance; a
      // reconnect or the restart leaves a hole of seconds); the one exception is the step
      // itself, where the recorder cut (and may have begun a new run): it must be the step.
      if (previous != nullptr) {
        auto gap = r.start - previous->end;
        if (std::chrono::abs(gap) > 30s) {
          CHECK(r.run_id <= first_run);  // during the first daemon's life, not at the restart
          CHECK(std::chrono::abs(gap - step.size) < 30s);
          ++steps_seen;
          step_seen = gap;
        } else {
          CHECK(gap >= -100ms);
          if (r.run_id == previous->run_id) CHECK(gap <= 2s);
        }
      }
      previous = &r;
    }
    CHECK(steps_seen == 1);
    CHECK(deleted == 0);  // all of it is care footage, protected for 90 days of the true clock
    CHECK(before >= 1);
    CHECK(suspect >= 2);  // one on the stepped clock, one after the restart

    auto text1 = test::read_text(dir / "daemon1.log");
    CHECK(text1.find("deletion_paused") != std::string::npos);
    auto verified = test::run_command(std::string(CAREKEEP_CLI_PATH) + " --config " + (dir / "carekeep.toml").string() + " verify");
    // Clean. What a clock ahead leaves by necessity, chain entries dated after the true time
    // of the check (the segments recorded on that clock, marked suspect_clock), is listed as
    // notes naming those rows, not as findings.
    int future_dated = 0;
    int future_findings = 0;
    {
      std::istringstream lines(verified.out);
      for (std::string line; std::getline(lines, line);) {
        if (line.find("after the time of this check") == std::string::npos) continue;
        ++future_dated;
        if (line.rfind("note ", 0) != 0 || line.find("(suspect_clock=1)") == std::string::npos) ++future_findings;
      }
    }
    {
      INFO(verified.out << verified.err);
      CHECK(verified.exit_code == 0);
      CHECK(future_findings == 0);
      if (step.size < Micros{0}) {
        CHECK(future_dated == 0);
      } else {
        CHECK(future_dated >= 1);
        CHECK(verified.out.find(" 0 finding(s), " + std::to_string(future_dated) + " note(s)") != std::string::npos);
      }
    }
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - began).count();
    WARN("clock step " << step.name << ": " << all.size() << " segments (" << before << " before the step, " << suspect
                       << " marked suspect_clock), " << deleted << " deleted, step seen as "
                       << std::chrono::duration_cast<std::chrono::seconds>(step_seen).count() << " s; verify exit "
                       << verified.exit_code << " with " << future_dated << " future-dated entries, all notes; " << seconds
                       << " s");
  }
}
