#include "retention_task.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

#include <boost/asio/post.hpp>

#include "base/log.hpp"
#include "base/text.hpp"
#include "catalog/catalog.hpp"
#include "health/disk_reserve.hpp"
#include "retention/deleter.hpp"
#include "retention/protection.hpp"
#include "retention/storage.hpp"
#include "sqlite/error.hpp"

namespace carekeep::daemon {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// PRODUCT.md §4: expired footage goes within a minute; pressure triggers a pass sooner.
constexpr auto kPassPeriod = 60s;
// statvfs and the clock guard are cheap: watching them this often bounds how long a filling
// disk or a clock jump goes unnoticed.
constexpr auto kTickPeriod = 2s;
// A full disk re-triggers a pass at most this often (each pass reads the candidates).
constexpr auto kMinPressureInterval = 5s;
constexpr auto kForecastPeriod = std::chrono::hours(1);
// Footage rates for the forecast come from this recent window.
constexpr auto kForecastWindow = std::chrono::days(14);
// One access-log row per pass that deleted footage or was refused (issue 15: every change
// leaves a trace): totals from the deleter's report, and segments and bytes per camera and
// reason over the planned rows the pass got through (`handled`; skipped or refused ones are
// counted in the totals, which the per-camera figures then exceed).
void record_deletions(index::Index& index, const std::string& trigger, const retention::Plan* plan,
                      std::optional<UtcTime> decided, std::size_t handled, const retention::DeleteReport& report,
                      const std::optional<std::string>& failure) {
  nlohmann::json by_camera = nlohmann::json::object();
  for (std::size_t i = 0; plan != nullptr && i < handled; ++i) {
    const auto& d = plan->deletions[i];
    auto& slot = by_camera[d.camera_id][std::string(retention::to_string(d.reason))];
    if (slot.is_null()) slot = {{"segments", 0}, {"bytes", 0}};
    slot["segments"] = slot["segments"].get<std::int64_t>() + 1;
    slot["bytes"] = slot["bytes"].get<std::int64_t>() + d.size_bytes;
  }
  nlohmann::json args{{"trigger", trigger},      {"deleted", report.deleted}, {"bytes", report.bytes},
                      {"files_removed", report.files_removed}, {"skipped", report.skipped},
                      {"refused", report.findings.size()},    {"by_camera", by_camera}};
  // The time its 'deleting' entries carry: verify matches them to this row by it, which the
  // row's own time cannot do once the clock has stepped back between two passes.
  if (decided) args["decided_us"] = to_us(*decided);
  index::NewAccessEntry entry{SystemClock{}.now(), static_cast<std::int64_t>(::getuid()), "carekeepd",
                              "retention_delete", args.dump(),
                              failure                    ? *failure
                              : report.findings.empty() ? "ok"
                                                        : report.findings.front().message};
  if (auto st = index.append_access_log(entry); !st) log::error("index_write_failed", {{"error", st.error().message}});
}

std::uint64_t headroom_bytes(std::uint64_t total, int percent) {
  return total / 100 * static_cast<std::uint64_t>(std::clamp(percent, 0, 100));
}

}  // namespace

std::optional<index::ClockTrustRow> saved_clock_state(index::Index& index, const Clock& clock) {
  auto saved = index.clock_trust();
  if (!saved) {
    log::error("clock_state_unreadable", {{"error", saved.error().message}});
    return index::ClockTrustRow{clock.now(), Micros::zero(), false, std::string(retention::trust_source::kUnreadable)};
  }
  if (*saved) return *saved;
  // No row: no carekeepd of this version has run on this index. Footage or daemon runs in it
  // came from elsewhere (an index migrated before it had any, rows written by tools), and are
  // the best evidence there is, as migration 0005 takes them. Only a truly empty index is
  // trusted as it is.
  std::optional<UtcTime> latest;
  if (auto end = index.newest_segment_end(); end && *end) latest = **end;
  if (auto runs = index.daemon_runs({UtcTime::min(), UtcTime::max()}); runs) {
    for (const auto& run : *runs) {
      // Only runs that ended: the one just begun is this one, stamped by the clock under test.
      if (run.stopped && (!latest || run.alive > *latest)) latest = run.alive;
    }
  }
  if (!latest) return std::nullopt;
  return index::ClockTrustRow{*latest, Micros::zero(), true, std::string(retention::trust_source::kEvidence)};
}

RetentionTask::RetentionTask(asio::io_context& io, index::Index& index, alerts::AlertCenter& alerts,
                             const Clock& clock, index::DaemonRunId daemon_run, RetentionHooks hooks)
    : io_(io),
      index_(index),
      alerts_(alerts),
      clock_(clock),
      hooks_(std::move(hooks)),
      pass_timer_(io),
      tick_timer_(io),
      guard_(clock, saved_clock_state(index, clock), ntp_status(), boot()) {
  (void)daemon_run;  // the guard no longer reads earlier runs' alive_us: written on any clock (issue 15)
  if (auto saved = index_.clock_trust(); saved) clock_saved_ = *saved;
  save_clock_state();
}

retention::NtpSync RetentionTask::ntp_status() const {
  if (hooks_.ntp_status) return hooks_.ntp_status();
  auto synced = catalog::ntp_synchronized();
  if (!synced) return retention::NtpSync::Unknown;
  return *synced ? retention::NtpSync::Synchronized : retention::NtpSync::Unsynchronized;
}

BootStamp RetentionTask::boot() const { return hooks_.boot ? hooks_.boot() : read_boot(); }

// Written on every change of trust and about once a minute while trusted (ClockGuard::should_save),
// so the next start compares the clock with the last time this run trusted it.
void RetentionTask::save_clock_state() {
  if (!guard_.should_save(clock_saved_)) return;
  auto state = guard_.state();
  if (auto st = index_.save_clock_trust(state); !st) {
    log::error("index_write_failed", {{"error", st.error().message}});
    return;
  }
  clock_saved_ = state;
}

void RetentionTask::configure(const config::Config& config) {
  config_ = config;
  calendar_ = std::make_unique<care::CareCalendar>(config_.care_hours, TimeZone::locate(config_.site.timezone).value());
  protection_ = retention::make_protection_policy(config_.retention, *calendar_);
  zone_cameras_.clear();
  for (const auto& zone : config_.zones) zone_cameras_[zone.id] = zone.cameras;
  // A plan made under the old settings (holds by zone, protection policy) is not finished
  // under the new ones: the rest is planned again.
  if (running_) {
    log::info("retention_plan_replanned", {{"reason", "configuration reloaded"},
                                           {"done", std::to_string(running_->execution->handled())},
                                           {"planned", std::to_string(running_->execution->plan().deletions.size())}});
    auto report = running_->execution->take_report();
    auto running = std::move(*running_);
    running_.reset();
    finish_pass(std::move(running), std::move(report));
    request_pass("reload");  // once: finish_pass may have queued a deferred one already
  }
  update_forecast();
}

void RetentionTask::start() {
  stopped_ = false;
  check_clock(true);
  schedule_pass(1s);
  schedule_tick();
}

void RetentionTask::request_pass(const std::string& trigger) {
  if (pass_queued_) return;  // several cameras closing segments at once ask once
  pass_queued_ = true;
  asio::post(io_, [this, trigger] {
    pass_queued_ = false;
    if (!stopped_) pass(trigger);
  });
}

void RetentionTask::stop() {
  stopped_ = true;
  pass_timer_.cancel();
  tick_timer_.cancel();
  // A pass stopped between its batches (shutdown runs on the loop, as run_batch does) still
  // writes its row for what it did: verify would find those deletions unaccounted otherwise
  // (hostile review, 2026-12-08). What it had not reached yet is planned again at the next start.
  if (running_ && running_->execution && running_->execution->handled() > 0) {
    auto& execution = *running_->execution;
    auto report = execution.take_report();
    record_deletions(index_, running_->trigger, &execution.plan(), execution.now(), execution.handled(), report,
                     std::string("stopped between batches: carekeepd was stopping; the rest of the plan was left"));
    running_.reset();
  }
}

void RetentionTask::schedule_pass(std::chrono::steady_clock::duration after) {
  pass_timer_.expires_after(after);
  pass_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    pass(last_trigger_.empty() ? "start" : "periodic");
    schedule_pass(kPassPeriod);
  });
}

void RetentionTask::schedule_tick() {
  tick_timer_.expires_after(kTickPeriod);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    tick();
    schedule_tick();
  });
}

bool RetentionTask::quota_exceeded() const {
  return config_.retention.max_bytes && footage_bytes_ && *footage_bytes_ > *config_.retention.max_bytes;
}

void RetentionTask::tick() {
  check_clock(false);
  struct statvfs vfs {};
  if (::statvfs(config_.site.storage.c_str(), &vfs) == 0) {
    retention::StorageState state;
    state.total_bytes = static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize;
    state.free_bytes = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    // The planner's own threshold for the headroom; the quota against the running total
    // (summing the index is the pass's job).
    auto headroom_only = config_.retention;
    headroom_only.max_bytes.reset();
    bool low = retention::bytes_needed(state, headroom_only) > 0;
    bool recent = last_pass_steady_ && clock_.steady_now() - *last_pass_steady_ < kMinPressureInterval;
    // Low: free space now, before the recorders hit ENOSPC. Space back while short: find out
    // whether recording may resume (an operator freed space, a hold was released).
    if (low && !recent) pass("low_space");
    else if (quota_exceeded() && !recent) pass("quota");  // a segment close found it within kMinPressureInterval
    else if (!low && shortfall_ > 0 && !recent) pass("space_returned");
    check_disk_low(state);
  }
  // Care hours begin or end between passes: pause or resume without waiting for one.
  apply_pause();
  if (!last_forecast_steady_ || clock_.steady_now() - *last_forecast_steady_ >= kForecastPeriod) update_forecast();
}

retention::ClockTrust RetentionTask::check_clock(bool refresh_alert) {
  auto ntp = ntp_status();
  auto trust = guard_.check(ntp);
  if (!trust.trusted) {
    // An operator who acknowledged the alert confirmed that the wall clock is right (a box
    // switched off for months): that time becomes the new reference. `carekeep alerts ack`
    // wrote the access log row with the date confirmed (alerts::acknowledge_as).
    for (const auto& alert : alerts_.open()) {
      if (alert.kind == alerts::kClockUntrusted && alert.acknowledged) {
        log::warn("clock_accepted", {{"by", alert.acknowledged_by},
                                     {"acknowledged", alert.acknowledged ? format_utc_iso(*alert.acknowledged) : ""},
                                     {"now", format_utc_iso(clock_.now())}});
        guard_.confirm();
        trust = guard_.check(ntp);
      }
    }
  }
  save_clock_state();
  bool changed = trust.trusted != clock_trusted_;
  clock_trusted_ = trust.trusted;
  clock_reason_ = trust.reason;
  if (trust.trusted) {
    if (changed) {
      log::info("clock_trusted_again", {{"by", guard_.state().source}});
      request_pass("clock_trusted");  // deletion resumes now, not at the next minute's pass
    }
    if (auto st = alerts_.resolve(alerts::kClockUntrusted, ""); !st)
      log::error("alert_write_failed", {{"error", st.error().message}});
    return trust;
  }
  if (changed) log::critical("deletion_paused", {{"reason", trust.reason}});
  if (changed || refresh_alert || !alerts_.is_open(alerts::kClockUntrusted, "")) {
    auto st = alerts_.raise(alerts::kClockUntrusted, "", alerts::Severity::Critical,
                            "retention deletes nothing while the clock is not trusted: " + trust.reason +
                                ". Set the clock right (is NTP working? `timedatectl status`); deletion resumes by "
                                "itself once NTP has synchronised it, or once the time is consistent again while "
                                "carekeepd keeps running. If the date shown is correct (the box was off for a long "
                                "time), acknowledge this alert to confirm it: `carekeep alerts ack <id>`.");
    if (!st) log::error("alert_write_failed", {{"error", st.error().message}});
  }
  return trust;
}

void RetentionTask::pass(const std::string& trigger) {
  if (running_) {  // one plan at a time; what this pass would find, the next one after it does
    if (!deferred_pass_) deferred_pass_ = trigger;
    return;
  }
  last_pass_steady_ = clock_.steady_now();
  last_trigger_ = trigger;
  // The deleter needs transactions of its own; the catalog's batch must not be open.
  if (hooks_.flush_index) hooks_.flush_index();
  auto trust = check_clock(true);
  auto now = clock_.now();
  auto storage = retention::measure(config_.site.storage, index_);
  if (!storage) {
    log::error("retention_pass_failed", {{"trigger", trigger}, {"error", storage.error().message}});
    return;
  }
  footage_bytes_ = storage->footage_bytes;
  auto rows = retention::load_candidates(index_, config_.retention, *storage, now);
  auto holds = index_.active_holds();
  if (!rows || !holds) {
    log::error("retention_pass_failed",
               {{"trigger", trigger}, {"error", !rows ? rows.error().message : holds.error().message}});
    return;
  }
  auto held = retention::resolve_holds(*holds, zone_cameras_);
  // Ad-hoc care sessions that care footage on disk could overlap (`carekeep care`).
  auto sessions = index_.care_sessions({now - std::chrono::days{config_.retention.care_days + 2}, UtcTime::max()});
  if (!sessions) {
    log::error("retention_pass_failed", {{"trigger", trigger}, {"error", sessions.error().message}});
    return;
  }
  auto keeps = retention::adhoc_keeps(*sessions, config_.retention.care_days, calendar_->zone());
  retention::PlanInput input{*rows, held, *storage, config_.retention, now, protection_, keeps, trust};
  auto plan = retention::plan(input);
  // Hysteresis: under pressure, free 1 % of the disk beyond the threshold when footage that
  // may go covers it, so a box at the threshold does not run a pass (deleting one segment)
  // every few seconds. Never at the price of a shortfall the exact plan does not have.
  if (plan.summary.under_pressure && plan.summary.shortfall_bytes == 0 && !plan.paused) {
    input.retention.min_free_percent = std::min(input.retention.min_free_percent + 1, 100);
    if (input.retention.max_bytes) *input.retention.max_bytes -= *input.retention.max_bytes / 100;
    auto wider = retention::plan(input);
    if (wider.summary.shortfall_bytes == 0) plan = std::move(wider);
  }

  Running running;
  running.trigger = trigger;
  running.storage = *storage;
  running.summary = plan.summary;
  running.paused = plan.paused;
  running.paused_reason = plan.paused_reason;
  last_pass_ = now;
  if (plan.deletions.empty()) {
    finish_pass(std::move(running), {});
    return;
  }
  retention::DeleteOptions options;
  options.zone_cameras = zone_cameras_;
  options.protection = protection_;
  running.execution = std::make_unique<retention::Execution>(std::move(plan), now, std::move(options));
  running_ = std::move(running);
  // The first batch in a turn of its own too: planning under pressure takes a few hundred ms
  // on millions of rows, a batch as much again.
  asio::post(io_, [this] { run_batch(); });
}

void RetentionTask::run_batch() {
  if (stopped_ || !running_) return;
  auto& execution = *running_->execution;
  // Invariant 5 holds between batches too: a clock that jumps while a plan is carried out
  // stops it (the plan's "expired" was decided on the time before the jump).
  if (auto trust = check_clock(false); !trust.trusted) {
    log::warn("retention_plan_abandoned", {{"reason", trust.reason},
                                           {"done", std::to_string(execution.handled())},
                                           {"planned", std::to_string(execution.plan().deletions.size())}});
    auto report = execution.take_report();
    auto running = std::move(*running_);
    running_.reset();
    running.paused = true;
    running.paused_reason = trust.reason;
    finish_pass(std::move(running), std::move(report));
    return;
  }
  // The catalog's batch (reports that arrived since the last batch) is committed first.
  if (hooks_.flush_index) hooks_.flush_index();
  std::uint64_t freed_before = execution.report().bytes;
  auto step = execution.step(index_, config_.site.storage);
  std::uint64_t freed = execution.report().bytes - freed_before;
  if (footage_bytes_) *footage_bytes_ -= std::min(freed, *footage_bytes_);
  if (!step) {
    log::error("retention_delete_failed", {{"trigger", running_->trigger}, {"error", step.error().message}});
    running_->failure = step.error().message;
    // On a disk full to the last byte the deciding transaction cannot commit: nothing is
    // unlinked and nothing freed until the reserve is given back.
    auto fault = sqlite::last_disk_fault(index_.connection().handle());
    if (fault != DiskFault::None && hooks_.index_refused) hooks_.index_refused(fault, step.error().message);
  }
  if (!step || *step) {
    auto report = execution.take_report();
    auto running = std::move(*running_);
    running_.reset();
    finish_pass(std::move(running), std::move(report));
    return;
  }
  // Yield: whatever is queued on the loop (recorder reports, the 1 s flush, the watchdog)
  // runs before the next batch.
  asio::post(io_, [this] { run_batch(); });
}

void RetentionTask::finish_pass(Running running, retention::DeleteReport report) {
  const auto& summary = running.summary;
  const std::string& trigger = running.trigger;
  for (const auto& finding : report.findings) log::error("retention_finding", {{"error", finding.message}});
  last_deleted_ = report.deleted;
  last_freed_ = report.bytes;
  if (report.deleted > 0 || !report.findings.empty() || running.failure) {
    const auto* execution = running.execution.get();
    record_deletions(index_, trigger, execution ? &execution->plan() : nullptr,
                     execution ? std::optional<UtcTime>(execution->now()) : std::nullopt,
                     execution ? execution->handled() : 0,
                     report, running.failure);
  }
  ++passes_finished_;
  std::uint64_t shortfall = summary.shortfall_bytes;
  // What the plan counted on and the deleter could not free (refused, unlink failed,
  // abandoned) is missing too.
  if (summary.under_pressure && report.bytes < summary.bytes_freed) shortfall += summary.bytes_freed - report.bytes;
  if (report.deleted > 0 || summary.under_pressure || trigger != "periodic") {
    log::info("retention_pass", {{"trigger", trigger},
                                 {"deleted", std::to_string(report.deleted)},
                                 {"freed", text::human_bytes(static_cast<double>(report.bytes))},
                                 {"expired", std::to_string(summary.expired + summary.expired_protected)},
                                 {"disk_pressure", std::to_string(summary.disk_pressure)},
                                 {"needed", text::human_bytes(static_cast<double>(summary.bytes_needed))},
                                 {"shortfall", text::human_bytes(static_cast<double>(shortfall))},
                                 {"paused", running.paused ? running.paused_reason : "no"}});
  }
  auto after = running.storage;  // what the message reports: free space once this pass's deletions are done
  after.free_bytes += report.bytes;
  update_shortfall(shortfall, after, running.paused);
  if (deferred_pass_ && !stopped_) {
    auto next = std::move(*deferred_pass_);
    deferred_pass_.reset();
    request_pass(next);
  }
}

void RetentionTask::update_shortfall(std::uint64_t shortfall, const retention::StorageState& storage,
                                     bool clock_paused) {
  shortfall_ = shortfall;
  if (shortfall == 0) {
    // No pressure by the policy's measure. A disk_full that a writer raised stays open while
    // the disk has less room than the index's reserve, though: with min_free_percent = 0 the
    // policy never sees pressure, and resolving it on a disk still full would hide why
    // recording stopped (read as the likely cause of the disk-full quick test's rare failure:
    // the writer's alert, then a pass that its truncated segment triggered).
    if (storage.free_bytes >= health::DiskReserve::size_for(storage.total_bytes)) {
      if (auto st = alerts_.resolve(alerts::kDiskFull, ""); !st)
        log::error("alert_write_failed", {{"error", st.error().message}});
    }
    apply_pause();
    return;
  }
  const auto& r = config_.retention;
  std::string need = "carekeep keeps " + std::to_string(r.min_free_percent) + "% (" +
                     text::human_bytes(static_cast<double>(headroom_bytes(storage.total_bytes, r.min_free_percent))) +
                     ") of the disk free";
  if (r.max_bytes) need += " and footage under max_bytes (" + text::human_bytes(static_cast<double>(*r.max_bytes)) + ")";
  std::string why = clock_paused
                        ? "deletion is paused because the clock is not trusted (see the clock_untrusted alert)"
                        : "everything it may delete is gone: the rest is care-hours footage inside its " +
                              std::to_string(r.care_days) + "-day protection, or footage on hold";
  bool in_care = calendar_ && calendar_->in_care(clock_.now());
  std::string effect = in_care ? "Recording continues during care hours until the disk is full; outside care hours "
                                 "it stops."
                               : "Recording outside care hours is stopped until space is freed; during care hours "
                                 "it continues.";
  std::string message = "the storage " + config_.site.storage.string() + " is short of " +
                        text::human_bytes(static_cast<double>(shortfall)) + " (" + text::human_bytes(static_cast<double>(storage.free_bytes)) +
                        " free): " + need + ", and " + why + ". " + effect +
                        " To fix: add a bigger disk or move other files off it, lower the cameras' bitrate, or "
                        "release holds no longer needed (`carekeep hold list`).";
  if (auto st = alerts_.raise(alerts::kDiskFull, "", alerts::Severity::Critical, message); !st)
    log::error("alert_write_failed", {{"error", st.error().message}});
  apply_pause();
}

void RetentionTask::apply_pause() {
  if (!calendar_) return;
  bool should = shortfall_ > 0 && !calendar_->in_care(clock_.now());
  if (should == recording_paused_) return;
  recording_paused_ = should;
  if (should) {
    std::string reason = "disk full outside care hours (" + text::human_bytes(static_cast<double>(shortfall_)) + " missing)";
    log::critical("recording_paused_outside_care", {{"shortfall", text::human_bytes(static_cast<double>(shortfall_))}});
    if (hooks_.pause_recording) hooks_.pause_recording(reason);
  } else {
    log::info("recording_resumed", {{"shortfall", text::human_bytes(static_cast<double>(shortfall_))}});
    if (hooks_.resume_recording) hooks_.resume_recording();
  }
}

void RetentionTask::out_of_space(DiskFault fault) {
  // A read-only or failing disk is disk health's; deleting cannot cure it.
  if (!carekeep::out_of_space(fault)) return;
  bool recent = last_pass_steady_ && clock_.steady_now() - *last_pass_steady_ < kMinPressureInterval;
  if (!recent) request_pass("enospc");
}

void RetentionTask::observe(const recorder::RunEnded& report) {
  if (report.cause == ingest::DownCause::DiskError) out_of_space(report.disk_fault);
}

void RetentionTask::observe(const recorder::ConnectFailed& report) {
  if (report.cause == ingest::DownCause::DiskError) out_of_space(report.disk_fault);
}

void RetentionTask::observe(const recorder::SegmentClosed& report) {
  // max_bytes between passes: the running total grows by every closed segment, and a pass
  // follows at once when it passes the quota, so footage exceeds the quota by about one
  // segment per camera at most (the open ones and those closed within kMinPressureInterval).
  if (footage_bytes_) *footage_bytes_ += report.segment.size_bytes;
  if (quota_exceeded()) {
    bool recent = last_pass_steady_ && clock_.steady_now() - *last_pass_steady_ < kMinPressureInterval;
    if (!recent) request_pass("quota");  // else the next tick's check does it
  }
}

void RetentionTask::observe(const recorder::ClockStep&) { check_clock(false); }

void RetentionTask::update_forecast() {
  if (!calendar_) return;
  last_forecast_steady_ = clock_.steady_now();
  auto now = clock_.now();
  auto storage = retention::measure(config_.site.storage, index_);
  auto rates = index_.footage_rates({now - std::chrono::duration_cast<Micros>(kForecastWindow), now});
  if (!storage || !rates) {
    log::warn("capacity_forecast_failed", {{"error", !storage ? storage.error().message : rates.error().message}});
    return;
  }
  forecast_ = retention::forecast(*rates, *storage, config_.retention, *calendar_, now);
  auto text = retention::describe(*forecast_, config_.retention);
  log::info("capacity_forecast", {{"care_days", forecast_->care_days ? std::to_string(static_cast<long>(*forecast_->care_days)) : "unknown"},
                                  {"required", std::to_string(config_.retention.care_days)},
                                  {"detail", text}});
  Status st = ok();
  if (forecast_->care_days && *forecast_->care_days < config_.retention.care_days)
    st = alerts_.raise(alerts::kCapacityShort, "", alerts::Severity::Warning, text).map([](std::int64_t) {});
  else if (forecast_->care_days)
    st = alerts_.resolve(alerts::kCapacityShort, "");
  if (!st) log::error("alert_write_failed", {{"error", st.error().message}});
}

void RetentionTask::check_disk_low(const retention::StorageState& state) {
  health::DiskSpace space{state.total_bytes, state.free_bytes,
                          forecast_ ? forecast_->care_days : std::optional<double>()};
  health::DiskLowThresholds thresholds{config_.alerts.disk_low_free_percent, config::disk_low_forecast_days(config_),
                                       config_.retention.care_days};
  for (const auto& a : disk_low_.check(space, thresholds, alerts_.is_open(alerts::kDiskLow, ""))) {
    Status st = a.op == health::AlertAction::Op::Raise
                    ? alerts_.raise(a.kind, a.subject, a.severity, a.message).map([](std::int64_t) {})
                    : alerts_.resolve(a.kind, a.subject);
    if (!st) log::error("alert_write_failed", {{"kind", a.kind}, {"error", st.error().message}});
  }
}

std::optional<double> RetentionTask::forecast_care_days() const {
  if (forecast_ && forecast_->care_days) return std::floor(*forecast_->care_days * 10) / 10;
  return std::nullopt;
}

void RetentionTask::add_status(nlohmann::json& status) const {
  status["retention"] = {
      {"last_pass_us", last_pass_ ? nlohmann::json(to_us(*last_pass_)) : nlohmann::json(nullptr)},
      {"last_trigger", last_trigger_},
      {"deleted_last_pass", last_deleted_},
      {"freed_bytes_last_pass", last_freed_},
      {"shortfall_bytes", shortfall_},
      {"recording_paused_outside_care", recording_paused_},
      {"clock_trusted", clock_trusted_},
      {"clock_reason", clock_reason_}};
  status["retention"]["executing"] =
      running_ ? nlohmann::json{{"trigger", running_->trigger},
                                {"handled", running_->execution->handled()},
                                {"planned", running_->execution->plan().deletions.size()}}
               : nlohmann::json(nullptr);
  if (forecast_) {
    nlohmann::json cameras = nlohmann::json::array();
    for (const auto& c : forecast_->cameras)
      cameras.push_back({{"camera", c.camera_id}, {"bytes_per_care_day", static_cast<std::uint64_t>(c.bytes_per_care_day)}});
    status["forecast"] = {{"capacity_bytes", forecast_->capacity_bytes},
                          {"other_reserve_bytes", forecast_->other_reserve_bytes},
                          {"care_bytes_per_day", static_cast<std::uint64_t>(forecast_->care_bytes_per_day)},
                          {"required_care_days", config_.retention.care_days},
                          {"cameras", cameras}};
  }
}

}  // namespace carekeep::daemon
