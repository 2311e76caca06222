#include "catalog/catalog.hpp"

#include <sys/timex.h>

#include "base/log.hpp"
#include "base/text.hpp"
#include "sqlite/error.hpp"

namespace carekeep::catalog {

std::optional<bool> ntp_synchronized() {
  timex tx{};
  int state = ::adjtimex(&tx);
  if (state == -1) return std::nullopt;
  return state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
}

Catalog::Catalog(index::Index& index, index::DaemonRunId daemon_run, ProtectionPolicy protection)
    : index_(index), daemon_run_(daemon_run), protection_(std::move(protection)) {}

bool Catalog::retryable() const { return sqlite::last_failure_transient(index_.connection().handle()); }

Status Catalog::ensure_batch() {
  if (batch_) return ok();
  auto tx = index_.transaction();
  if (!tx) return tl::unexpected(tx.error());
  batch_.emplace(std::move(*tx));
  snapshot_ = {runs_, open_, last_clock_step_};
  journal_.clear();
  return ok();
}

void Catalog::keep_waiting(Report report) {
  waiting_.push_back(std::move(report));
  if (waiting_.size() <= kMaxWaiting) return;
  waiting_.pop_front();
  if (!dropped_logged_) {
    dropped_logged_ = true;
    log::error("index_reports_dropped", {{"kept", std::to_string(kMaxWaiting)},
                                         {"reason", "the index has refused writes for too long; the oldest reports waiting "
                                                    "for it are dropped (crash recovery repairs their rows at the next start)"}});
  }
}

void Catalog::abandon_batch(const Error& why) {
  // Asked before the rollback, whose own calls would replace SQLite's errno.
  waiting_fault_ = sqlite::last_disk_fault(index_.connection().handle());
  batch_.reset();  // rolls back (SQLite may have already)
  runs_ = std::move(snapshot_.runs);
  open_ = std::move(snapshot_.open);
  last_clock_step_ = snapshot_.last_clock_step;
  snapshot_ = {};
  for (auto it = journal_.rbegin(); it != journal_.rend(); ++it) waiting_.push_front(std::move(*it));
  journal_.clear();
  if (kept_logged_) return;  // once per stretch of refusals: the daemon logs the stretch too
  kept_logged_ = true;
  log::warn("index_batch_kept", {{"reports", std::to_string(waiting_.size())},
                                 {"disk_fault", std::string(to_string(waiting_fault_))},
                                 {"error", why.message}});
}

Status Catalog::apply_one(const Report& report) {
  return std::visit([this](const auto& r) { return do_apply(r); }, report);
}

Status Catalog::apply(Report report) {
  if (!waiting_.empty()) {  // order matters (a segment's close after its open): queue behind
    keep_waiting(std::move(report));
    return ok();
  }
  auto st = ensure_batch();
  if (st) st = apply_one(report);
  if (st) {
    journal_.push_back(std::move(report));
    return ok();
  }
  if (!retryable()) return st;
  if (batch_) {
    abandon_batch(st.error());
  } else {
    waiting_fault_ = sqlite::last_disk_fault(index_.connection().handle());
  }
  keep_waiting(std::move(report));
  return st;
}

Status Catalog::flush() {
  if (!waiting_.empty()) {
    if (auto st = ensure_batch(); !st) return st;
    while (!waiting_.empty()) {
      Report report = std::move(waiting_.front());
      waiting_.pop_front();
      auto st = apply_one(report);
      if (st) {
        journal_.push_back(std::move(report));
        continue;
      }
      if (!retryable()) {
        log::error("index_write_failed", {{"error", st.error().message}});  // dropped: applying it again cannot help
        continue;
      }
      waiting_.push_front(std::move(report));
      abandon_batch(st.error());
      return st;
    }
  }
  return commit_batch();
}

Status Catalog::commit_batch() {
  if (!batch_) return ok();
  auto st = batch_->commit();
  if (!st) {
    if (retryable()) abandon_batch(st.error());
    else batch_.reset();  // rolled back: the next report opens a new batch
    return st;
  }
  batch_.reset();
  if (!journal_.empty() && dropped_logged_) dropped_logged_ = false;
  kept_logged_ = false;
  journal_.clear();
  return ok();
}


Status Catalog::do_apply(const recorder::RunStarted& report) {
  auto run = index_.begin_run(report.camera, daemon_run_, report.time);
  if (!run) return tl::unexpected(run.error());
  runs_[{report.camera, report.run_key}] = *run;
  auto event = index_.insert_camera_event({0, report.camera, report.time, index::CameraEventKind::Up, "",
                                           report.video_codec + " " + std::to_string(report.width) + "x" +
                                               std::to_string(report.height)});
  if (!event) return tl::unexpected(event.error());
  return ok();
}

Status Catalog::do_apply(const recorder::RunEnded& report) {
  auto it = runs_.find({report.camera, report.run_key});
  if (it == runs_.end()) return fail(ErrorKind::Internal, "run " + std::to_string(report.run_key) + " of camera " + report.camera + " was never started");
  std::string cause = report.cause ? std::string(ingest::to_string(*report.cause)) : "stopped";
  if (auto st = index_.end_run(it->second, report.time, cause); !st) return st;
  runs_.erase(it);
  if (report.cause) {
    auto event = index_.insert_camera_event({0, report.camera, report.time, index::CameraEventKind::Down, cause,
                                             text::redact_urls_in(report.detail)});
    if (!event) return tl::unexpected(event.error());
  }
  return ok();
}

Status Catalog::do_apply(const recorder::ConnectFailed& report) {
  if (!report.first_of_outage) return ok();
  auto event = index_.insert_camera_event({0, report.camera, report.time, index::CameraEventKind::Down,
                                           std::string(ingest::to_string(report.cause)),
                                           text::redact_urls_in(report.detail)});
  if (!event) return tl::unexpected(event.error());
  return ok();
}

Status Catalog::do_apply(const recorder::SegmentOpened& report) {
  auto run = runs_.find({report.camera, report.run_key});
  if (run == runs_.end()) return fail(ErrorKind::Internal, "segment " + report.path.string() + " belongs to no known run");
  auto id = index_.insert_open_segment({report.camera, run->second, static_cast<std::int64_t>(report.seq), report.start,
                                        report.path.string(), report.start});
  if (!id) return tl::unexpected(id.error());
  if (clock_suspect_) {
    if (auto st = index_.mark_segment_suspect_clock(*id); !st) return st;
  }
  open_[{report.camera, report.path.string()}] = *id;
  return ok();
}

Status Catalog::do_apply(const recorder::SegmentProgress& report) {
  auto it = open_.find({report.camera, report.path.string()});
  // A segment whose open row this catalog never wrote (it failed, or its reports were dropped)
  // has nothing to vouch for; recovery treats it as having no checkpoint.
  if (it == open_.end()) return ok();
  return index_.save_segment_checkpoint(
      it->second, {static_cast<std::int64_t>(report.checkpoint.bytes), report.checkpoint.sha256, report.time});
}

Status Catalog::do_apply(const recorder::SegmentClosed& report) {
  auto it = open_.find({report.camera, report.path.string()});
  if (it == open_.end()) return fail(ErrorKind::Internal, "closed segment " + report.path.string() + " was never opened");
  const auto& seg = report.segment;
  index::ClosedSegment closed;
  closed.start = seg.start;  // the recorder may have corrected it at close (a late first packet)
  closed.duration = seg.duration;
  closed.size_bytes = static_cast<std::int64_t>(seg.size_bytes);
  closed.frames = static_cast<std::int64_t>(seg.frames);
  closed.keyframes = static_cast<std::int64_t>(seg.keyframes);
  closed.video_codec = report.video_codec;
  closed.width = report.width;
  closed.height = report.height;
  if (!report.audio_codec.empty()) closed.audio_codec = report.audio_codec;
  closed.sha256 = seg.sha256;
  closed.state = index::SegmentState::Closed;
  if (seg.truncated) closed.state_detail = "cut at the last whole fragment after a write error: " + seg.truncation_reason;
  if (protection_) closed.protect_until = protection_(report.camera, seg.start, seg.start + seg.duration);
  closed.closed = seg.start + seg.duration;
  // Also when the clock became untrusted while it was open: its end is on the wrong clock.
  // Before the close, so that the chain entry the close appends records the flag.
  if (clock_suspect_) {
    if (auto st = index_.mark_segment_suspect_clock(it->second); !st) return st;
  }
  if (auto st = index_.close_segment(it->second, closed); !st) return st;
  open_.erase(it);
  return ok();
}

Status Catalog::do_apply(const recorder::SegmentDiscarded& report) {
  auto it = open_.find({report.camera, report.path.string()});
  if (it != open_.end()) {
    // The row stays in the chain with an all-zero file hash (there is no file), so the
    // chain continues from the previous tip instead of restarting (the index links it).
    index::ClosedSegment damaged;
    damaged.state = index::SegmentState::Damaged;
    damaged.state_detail = "no complete fragment was written, file removed: " + report.reason;
    damaged.closed = SystemClock{}.now();
    if (auto st = index_.close_segment(it->second, damaged); !st) return st;
    open_.erase(it);
  }
  return ok();
}

Status Catalog::do_apply(const recorder::ClockStep& report) {
  // Every recorder sees the same step; keep one event per step.
  if (last_clock_step_) {
    auto [time, step] = *last_clock_step_;
    if (std::chrono::abs(report.time - time) < std::chrono::seconds(30) &&
        std::chrono::abs(report.step - step) < std::chrono::seconds(1))
      return ok();
  }
  last_clock_step_ = {report.time, report.step};
  auto id = index_.insert_clock_event({0, report.time, report.step, ntp_synchronized(),
                                       "wall clock stepped, noticed by camera " + report.camera});
  if (!id) return tl::unexpected(id.error());
  return ok();
}

}  // namespace carekeep::catalog
