// daemon/retention_task: retention on the daemon's loop (docs/retention.md, Retention / In the
// daemon). A pass every 60 s, and at once when free space drops below the headroom, when
// footage passes max_bytes (a running total kept from segment closes), when space returns
// while recording is paused, or when a segment write fails with a disk fault that deleting
// can cure (full, quota): measure → load candidates → plan → delete, behind the clock guard.
// A plan is carried out in batches of 1,000 rows, each its own loop turn, so the recorders'
// reports and the catalog's commits go on while a large backlog is deleted. It owns the
// disk-full triage (pausing recording outside care hours when nothing more may go) and the
// capacity forecast; the disk's own health (read-only, I/O errors, SMART) is
// disk_health_task's. Runs on the loop thread only; each batch and each pass's planning
// block on SQLite, unlink and fsync.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "alerts/alerts.hpp"
#include "base/boot.hpp"
#include "care/calendar.hpp"
#include "health/disk_low.hpp"
#include "config/config.hpp"
#include "index/index.hpp"
#include "recorder/sink.hpp"
#include "retention/clock_guard.hpp"
#include "retention/deleter.hpp"
#include "retention/forecast.hpp"
#include "retention/planner.hpp"

namespace carekeep::daemon {

struct RetentionHooks {
  std::function<void()> flush_index;                       // commit the catalog's open batch
  std::function<void(const std::string& reason)> pause_recording;  // every camera
  std::function<void()> resume_recording;
  // The kernel's NTP state for the clock guard; empty reads adjtimex (catalog::ntp_synchronized).
  // Tests put a value here instead.
  std::function<retention::NtpSync()> ntp_status;
  // The index refused a deletion batch for a reason of its disk (typed from SQLite's errno):
  // disk health gives back the disk reserve so the next pass can commit.
  std::function<void(DiskFault fault, const std::string& detail)> index_refused;
  // The kernel's boot id and CLOCK_BOOTTIME for the clock guard at construction; empty reads
  // them (read_boot). Tests on a FakeClock put a value here whose boottime moves with it.
  std::function<BootStamp()> boot;
};

class RetentionTask {
 public:
  // Reads the clock guard's saved state (index clock_trust) and checks the clock now, so
  // construct it before the recorders start: their first segments are marked suspect_clock
  // when the clock is not trusted.
  RetentionTask(boost::asio::io_context& io, index::Index& index, alerts::AlertCenter& alerts, const Clock& clock,
                index::DaemonRunId daemon_run, RetentionHooks hooks);

  // At start and on every reload: the settings, the care calendar, and a fresh forecast
  // (logged, and the capacity_short alert raised or resolved).
  void configure(const config::Config& config);
  void start();  // the timers; the first pass runs a second after start
  void stop();

  // Recorder reports, after the catalog applied them: a write that failed for want of space
  // (DiskFault full or quota) triggers a pass; a segment closed counts towards max_bytes.
  void observe(const recorder::RunEnded& report);
  void observe(const recorder::ConnectFailed& report);
  void observe(const recorder::SegmentClosed& report);
  // A recorder saw the wall clock step: the guard looks at once, not at the next tick, so the
  // segment opened after the step is already marked suspect_clock when it should be.
  void observe(const recorder::ClockStep& report);
  template <class Report>
  void observe(const Report&) {}

  // Whether the clock guard trusts the wall clock (the sink marks footage suspect_clock when not).
  bool clock_trusted() const { return guard_.trusted(); }

  // Adds "retention" and "forecast" to status.json.
  void add_status(nlohmann::json& status) const;
  // Days of care footage the storage holds at the recent rate, one decimal (rounded down);
  // unset before there is a rate (lib/status's forecast_care_days).
  std::optional<double> forecast_care_days() const;

  // A pass now (tests; the task triggers its own otherwise). While a plan is being carried
  // out the pass follows it.
  void request_pass(const std::string& trigger);
  // Passes whose plan has been carried out to the end (or abandoned), since start.
  std::int64_t passes_finished() const { return passes_finished_; }

 private:
  // A plan being carried out batch by batch, and what its pass's report needs at the end.
  struct Running {
    std::unique_ptr<retention::Execution> execution;
    std::string trigger;
    retention::StorageState storage;  // as measured before the plan
    retention::PlanSummary summary;
    bool paused = false;
    std::string paused_reason;
    // A batch failed (its rows may be `deleting` already): the pass's access-log row is written
    // even with nothing deleted, so `verify` finds those entries accounted (export/legal.hpp).
    std::optional<std::string> failure;
  };

  void schedule_pass(std::chrono::steady_clock::duration after);
  void schedule_tick();
  void tick();
  void pass(const std::string& trigger);
  void run_batch();
  void finish_pass(Running running, retention::DeleteReport report);
  bool quota_exceeded() const;
  void out_of_space(DiskFault fault);
  // Clock guard: check, act on an operator's confirmation, raise or resolve the alert.
  retention::ClockTrust check_clock(bool refresh_alert);
  retention::NtpSync ntp_status() const;
  BootStamp boot() const;
  void save_clock_state();
  void update_shortfall(std::uint64_t shortfall, const retention::StorageState& storage, bool clock_paused);
  void apply_pause();
  void update_forecast();
  void check_disk_low(const retention::StorageState& state);

  boost::asio::io_context& io_;
  index::Index& index_;
  alerts::AlertCenter& alerts_;
  const Clock& clock_;
  RetentionHooks hooks_;
  boost::asio::steady_timer pass_timer_;
  boost::asio::steady_timer tick_timer_;
  bool stopped_ = false;

  config::Config config_;
  std::unique_ptr<care::CareCalendar> calendar_;
  retention::ProtectionPolicy protection_;
  retention::ZoneCameras zone_cameras_;
  retention::ClockGuard guard_;
  std::optional<index::ClockTrustRow> clock_saved_;  // the guard's state as last written to the index
  bool clock_trusted_ = true;
  std::string clock_reason_;

  std::optional<std::chrono::steady_clock::time_point> last_pass_steady_;
  std::optional<std::chrono::steady_clock::time_point> last_forecast_steady_;
  std::optional<UtcTime> last_pass_;
  std::string last_trigger_;
  std::int64_t last_deleted_ = 0;
  std::uint64_t last_freed_ = 0;
  std::uint64_t shortfall_ = 0;
  bool recording_paused_ = false;
  std::optional<retention::Forecast> forecast_;
  health::DiskLowWatch disk_low_;  // free space and forecast against [alerts] disk_low_*

  std::optional<Running> running_;           // a plan being carried out
  std::optional<std::string> deferred_pass_;  // a pass asked for meanwhile: runs after it
  bool pass_queued_ = false;                  // request_pass posted one that has not run yet
  std::int64_t passes_finished_ = 0;
  // Footage bytes (Index::footage_bytes) as of the last pass, plus segments closed since,
  // minus what was deleted since: max_bytes is checked at every segment close against it.
  std::optional<std::uint64_t> footage_bytes_;
};

// The clock guard's saved state (index clock_trust). A row that cannot be read counts as an
// untrusted clock (reference now), never as a fresh index: only NTP or an operator vouch then.
std::optional<index::ClockTrustRow> saved_clock_state(index::Index& index, const Clock& clock);

}  // namespace carekeep::daemon
