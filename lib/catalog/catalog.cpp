#include "catalog/catalog.hpp"

#include <sys/timex.h>

#include "base/text.hpp"

namespace carekeep::catalog {

std::optional<bool> ntp_synchronized() {
  timex tx{};
  int state = ::adjtimex(&tx);
  if (state == -1) return std::nullopt;
  return state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
}

Catalog::Catalog(index::Index& index, index::DaemonRunId daemon_run, ProtectionPolicy protection)
    : index_(index), daemon_run_(daemon_run), protection_(std::move(protection)) {}

Status Catalog::ensure_batch() {
  if (batch_) return ok();
  auto tx = index_.transaction();
  if (!tx) return tl::unexpected(tx.error());
  batch_.emplace(std::move(*tx));
  return ok();
}

Status Catalog::flush() {
  if (!batch_) return ok();
  auto st = batch_->commit();
  batch_.reset();  // on failure the destructor rolls back; the next report opens a new batch
  return st;
}

Status Catalog::apply(const recorder::RunStarted& report) {
  if (auto st = ensure_batch(); !st) return st;
  auto run = index_.begin_run(report.camera, daemon_run_, report.time);
  if (!run) return tl::unexpected(run.error());
  runs_[{report.camera, report.run_key}] = *run;
  auto event = index_.insert_camera_event({0, report.camera, report.time, index::CameraEventKind::Up, "",
                                           report.video_codec + " " + std::to_string(report.width) + "x" +
                                               std::to_string(report.height)});
  if (!event) return tl::unexpected(event.error());
  return ok();
}

Status Catalog::apply(const recorder::RunEnded& report) {
  if (auto st = ensure_batch(); !st) return st;
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

Status Catalog::apply(const recorder::ConnectFailed& report) {
  if (!report.first_of_outage) return ok();
  if (auto st = ensure_batch(); !st) return st;
  auto event = index_.insert_camera_event({0, report.camera, report.time, index::CameraEventKind::Down,
                                           std::string(ingest::to_string(report.cause)),
                                           text::redact_urls_in(report.detail)});
  if (!event) return tl::unexpected(event.error());
  return ok();
}

Status Catalog::apply(const recorder::SegmentOpened& report) {
  if (auto st = ensure_batch(); !st) return st;
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

Status Catalog::apply(const recorder::SegmentClosed& report) {
  if (auto st = ensure_batch(); !st) return st;
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

Status Catalog::apply(const recorder::SegmentDiscarded& report) {
  if (auto st = ensure_batch(); !st) return st;
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

Status Catalog::apply(const recorder::ClockStep& report) {
  // Every recorder sees the same step; keep one event per step.
  if (last_clock_step_) {
    auto [time, step] = *last_clock_step_;
    if (std::chrono::abs(report.time - time) < std::chrono::seconds(30) &&
        std::chrono::abs(report.step - step) < std::chrono::seconds(1))
      return ok();
  }
  last_clock_step_ = {report.time, report.step};
  if (auto st = ensure_batch(); !st) return st;
  auto id = index_.insert_clock_event({0, report.time, report.step, ntp_synchronized(),
                                       "wall clock stepped, noticed by camera " + report.camera});
  if (!id) return tl::unexpected(id.error());
  return ok();
}

}  // namespace carekeep::catalog
