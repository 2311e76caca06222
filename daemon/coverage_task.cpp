#include "coverage_task.hpp"

#include <algorithm>
#include <exception>

#include "base/log.hpp"
#include "coverage/compute.hpp"
#include "history/history.hpp"

namespace carekeep::daemon {

namespace {

using namespace std::chrono_literals;

// PRODUCT.md §5.1: an alert within 30 s of a zone losing coverage. An evaluation every 5 s plus
// the 2 s tolerance leaves room for a down event that needs the 5 s stall timeout to appear.
constexpr auto kEvaluateEvery = 5s;
// Stored gaps feed reports; an hour's delay is fine for them, and the last day is recomputed
// each time so late evidence (recovery, adopted files, content faults) is taken in.
constexpr auto kStoreEvery = 1h;
constexpr auto kStoreWindow = std::chrono::hours{24};

}  // namespace

CoverageTask::CoverageTask(boost::asio::io_context& io, index::Index& index, alerts::AlertCenter& alerts,
                           const Clock& clock, std::function<void()> flush_index)
    : io_(io),
      index_(index),
      alerts_(alerts),
      clock_(clock),
      flush_index_(std::move(flush_index)),
      evaluate_timer_(io),
      store_timer_(io) {}

void CoverageTask::configure(const config::Config& config) {
  config_ = config;
  auto zone = TimeZone::locate(config.site.timezone);
  if (!zone) {  // validated at load; only a tzdata change underneath could do this
    log::error("coverage_unavailable", {{"error", zone.error().message}});
    return;
  }
  calendar_ = std::make_unique<care::CareCalendar>(config.care_hours, *zone);
  if (tracker_) tracker_->reconfigure(config, *calendar_);
  else tracker_ = std::make_unique<coverage::LiveTracker>(config, *calendar_, clock_.now());
}

void CoverageTask::start() {
  schedule_evaluate();
  schedule_store();
}

void CoverageTask::stop() {
  if (stopped_) return;
  stopped_ = true;
  evaluate_timer_.cancel();
  store_timer_.cancel();
  store_gaps("shutdown");
}

void CoverageTask::observe(const recorder::RunStarted& report) {
  if (tracker_) tracker_->camera_up(report.camera, report.time);
}

void CoverageTask::observe(const recorder::RunEnded& report) {
  if (tracker_)
    tracker_->camera_down(report.camera, report.time, report.cause ? ingest::to_string(*report.cause) : "stopped");
}

void CoverageTask::observe(const recorder::ConnectFailed& report) {
  if (tracker_) tracker_->camera_down(report.camera, report.time, ingest::to_string(report.cause));
}

void CoverageTask::observe(const recorder::SegmentClosed& report) {
  if (tracker_) tracker_->segment_closed(report.camera, report.segment.start + report.segment.duration);
}

void CoverageTask::schedule_evaluate() {
  evaluate_timer_.expires_after(kEvaluateEvery);
  evaluate_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    evaluate();
    schedule_evaluate();
  });
}

void CoverageTask::schedule_store() {
  store_timer_.expires_after(kStoreEvery);
  store_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    store_gaps("hourly");
    schedule_store();
  });
}

// lib/content writes its faults to the index on this same loop; reading the open ones back
// keeps the two tasks independent of each other's wiring.
void CoverageTask::poll_content_faults(UtcTime now) {
  for (const auto& camera : config_.cameras) {
    auto faults = index_.content_faults(camera.id, {now, now + Micros{1}});
    if (!faults) {
      log::warn("coverage_read_failed", {{"camera", camera.id}, {"error", faults.error().message}});
      continue;
    }
    std::optional<std::string> kind;
    UtcTime start = now;
    for (const auto& f : *faults) {
      if (f.end) continue;
      kind = f.kind;
      start = f.start;
    }
    auto& known = faults_[camera.id];
    if (known == kind) continue;
    if (kind) tracker_->content_fault_started(camera.id, *kind, start);
    else tracker_->content_fault_ended(camera.id, now);
    known = kind;
  }
}

void CoverageTask::evaluate() {
  if (!tracker_) return;
  try {
    UtcTime now = clock_.now();
    poll_content_faults(now);
    for (const auto& t : tracker_->evaluate(now)) {
      if (t.type == coverage::LiveTracker::Transition::Type::Uncovered) {
        log::warn("zone_uncovered", {{"zone", t.zone_id}, {"message", t.message}});
        if (auto id = alerts_.raise(alerts::kZoneUncovered, t.zone_id, alerts::Severity::Critical, t.message); !id)
          log::error("alert_write_failed", {{"error", id.error().message}});
      } else {
        log::info("zone_covered", {{"zone", t.zone_id}, {"message", t.message}});
        if (auto st = alerts_.resolve(alerts::kZoneUncovered, t.zone_id); !st)
          log::error("alert_write_failed", {{"error", st.error().message}});
      }
    }
    // An alert an earlier daemon run left open (adopted by the AlertCenter) has no tracker
    // state behind it: close it once the zone is covered, or care hours are over.
    bool care = calendar_->in_care(now);
    for (const auto& z : tracker_->zones(now)) {
      if (z.alerting || (!z.covered && care) || !alerts_.is_open(alerts::kZoneUncovered, z.zone_id)) continue;
      log::info("zone_covered", {{"zone", z.zone_id}, {"message", "alert of an earlier run resolved"}});
      if (auto st = alerts_.resolve(alerts::kZoneUncovered, z.zone_id); !st)
        log::error("alert_write_failed", {{"error", st.error().message}});
    }
    evaluate_cameras(now);
  } catch (const std::exception& e) {  // a job never takes the loop down (STYLE.md §6)
    log::error("coverage_evaluate_failed", {{"error", e.what()}});
  }
}

// camera_offline (docs/alerts.md): one per episode, raised whether or not the zone stays covered.
void CoverageTask::evaluate_cameras(UtcTime now) {
  for (const auto& t : tracker_->evaluate_cameras(now)) {
    if (t.type == coverage::LiveTracker::CameraTransition::Type::Offline) {
      log::warn("camera_offline", {{"camera", t.camera_id}, {"cause", t.cause}, {"message", t.message}});
      if (auto id = alerts_.raise(alerts::kCameraOffline, t.camera_id, alerts::Severity::Warning, t.message); !id)
        log::error("alert_write_failed", {{"error", id.error().message}});
    } else {
      log::info("camera_online", {{"camera", t.camera_id}, {"message", t.message}});
      if (auto st = alerts_.resolve(alerts::kCameraOffline, t.camera_id); !st)
        log::error("alert_write_failed", {{"error", st.error().message}});
    }
  }
  // Alerts an earlier daemon run left open: close them for a camera recording steadily now, or
  // one no longer configured; a camera still down is re-raised by the tracker in its own time.
  for (const auto& alert : alerts_.open()) {
    if (alert.kind != alerts::kCameraOffline || tracker_->camera_offline_alerting(alert.subject)) continue;
    const auto* s = tracker_->camera(alert.subject);
    bool configured = std::any_of(config_.cameras.begin(), config_.cameras.end(),
                                  [&](const auto& c) { return c.id == alert.subject; });
    if (configured && (s == nullptr || !s->up || now - s->since < tracker_->stable_after())) continue;
    log::info("camera_online", {{"camera", alert.subject}, {"message", "alert of an earlier run resolved"}});
    if (auto st = alerts_.resolve(alerts::kCameraOffline, alert.subject); !st)
      log::error("alert_write_failed", {{"error", st.error().message}});
  }
}

void CoverageTask::store_gaps(const char* trigger) {
  if (!calendar_) return;
  try {
    if (flush_index_) flush_index_();
    UtcTime now = clock_.now();
    // Each hour by the configuration in force then: a reload within the window does not
    // rewrite the hours before it with the new schedule (docs/coverage.md).
    index::TimeRange window{now - kStoreWindow, now};
    auto versions = history::in_force(index_, config_, window);
    auto gaps = versions ? coverage::compute_gaps(index_, versions->spans, window, std::nullopt, true, now)
                         : tl::unexpected(versions.error());
    if (!gaps) {
      log::error("coverage_store_failed", {{"trigger", trigger}, {"error", gaps.error().message}});
      return;
    }
    if (flush_index_) flush_index_();
    log::info("coverage_stored", {{"trigger", trigger}, {"gaps", std::to_string(gaps->size())}});
  } catch (const std::exception& e) {
    log::error("coverage_store_failed", {{"trigger", trigger}, {"error", e.what()}});
  }
}

}  // namespace carekeep::daemon
