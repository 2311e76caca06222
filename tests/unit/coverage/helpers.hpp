// Helpers shared by the coverage tests: times as seconds after a fixed origin, and evidence
// rows spelled briefly.
#pragma once

#include <optional>
#include <string>

#include "base/time.hpp"
#include "coverage/gaps.hpp"
#include "index/rows.hpp"

namespace carekeep::test {

inline const UtcTime kOrigin = from_us(1'763'596'800'000'000);  // 2025-11-20T00:00:00Z

inline UtcTime at(double seconds) {
  return kOrigin + std::chrono::duration_cast<Micros>(std::chrono::duration<double>(seconds));
}

// `file_missing`: a damaged segment whose file is gone (SegmentSpan::file_missing).
inline index::SegmentSpan segment(double from, double to,
                                 index::SegmentState state = index::SegmentState::Closed, bool file_missing = false,
                                 index::RunId run = 0) {
  index::SegmentSpan s;
  s.run_id = run;
  s.start = at(from);
  s.end = state == index::SegmentState::Open ? s.start : at(to);
  s.state = state;
  s.file_missing = state == index::SegmentState::Damaged && file_missing;
  return s;
}

inline index::RunRow run(index::RunId id, std::string camera, double from, std::optional<double> to,
                         std::string cause = "") {
  index::RunRow r;
  r.id = id;
  r.camera_id = std::move(camera);
  r.started = at(from);
  if (to) r.ended = at(*to);
  if (to) r.end_cause = cause;
  return r;
}

inline index::CameraEventRow down(std::string camera, double t, std::string cause) {
  return {0, std::move(camera), at(t), index::CameraEventKind::Down, std::move(cause), ""};
}
inline index::CameraEventRow up(std::string camera, double t) {
  return {0, std::move(camera), at(t), index::CameraEventKind::Up, "", ""};
}

inline index::DaemonRunRow daemon_run(double from, std::optional<double> to) {
  index::DaemonRunRow d;
  d.started = at(from);
  d.alive = at(to.value_or(from));
  if (to) d.stopped = at(*to);
  return d;
}

inline index::ClockEventRow clock_step(double t, double step) {
  return {0, at(t), std::chrono::duration_cast<Micros>(std::chrono::duration<double>(step)), true, ""};
}

inline care::Interval care_between(double from, double to) { return {at(from), at(to)}; }

}  // namespace carekeep::test
