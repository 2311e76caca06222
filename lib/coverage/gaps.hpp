// coverage/gaps: the pure core of the coverage checker (PRODUCT.md §5.1). Given one zone's care
// intervals and the evidence about each of its cameras (segment rows, RTSP runs, camera events,
// content faults) and about the box (daemon runs, clock steps), it returns every stretch of care
// time longer than the tolerance in which no camera of the zone had usable footage, with the
// cause chosen from the evidence. Values in, values out: no index, no clock, no threads.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "care/calendar.hpp"
#include "index/rows.hpp"

namespace carekeep::coverage {

// One uncovered stretch of a zone's care time, [start, end). `cause` is one word of the
// zone_gap.cause vocabulary below; `detail` names each camera of the zone and why it did not
// cover the stretch ("play-1: camera_offline (refused) 9.8 s").
struct Gap {
  std::string zone_id;
  UtcTime start;
  UtcTime end;
  std::string cause;
  std::string detail;
};

// The zone_gap.cause vocabulary (lib/index/schema.sql). Stable: stored and printed as JSON.
namespace cause {
inline constexpr std::string_view kRecorderNotRunning = "recorder_not_running";  // no carekeepd process
inline constexpr std::string_view kClockStep = "clock_step";            // the wall clock jumped over it
inline constexpr std::string_view kDeleted = "deleted";                  // footage deleted (retention)
inline constexpr std::string_view kFootageDamaged = "footage_damaged";   // file unreadable
inline constexpr std::string_view kFootageMissing = "footage_missing";   // file gone, or none written
inline constexpr std::string_view kContent = "content";                  // black, frozen or covered picture
inline constexpr std::string_view kRecordingError = "recording_error";   // writing failed (disk)
inline constexpr std::string_view kStreamStalled = "stream_stalled";     // connected, no packets
inline constexpr std::string_view kCameraOffline = "camera_offline";     // no stream (with the event's cause)
}  // namespace cause

// A stretch of unusable picture of one camera (lib/content's content_fault rows).
struct ContentFault {
  std::string kind;             // black | frozen | covered
  UtcTime start;
  std::optional<UtcTime> end;   // none while it lasts
  std::string detail;           // the row's measured values (JSON); the gap detail quotes them
};

// What the index knows about one camera around the evaluated window. Lists in any order.
struct CameraEvidence {
  std::string camera_id;
  std::vector<index::SegmentSpan> segments;
  std::vector<index::RunRow> runs;
  std::vector<index::CameraEventRow> events;  // events before the window matter: the last down
                                              // event before it explains the window's start
  std::vector<ContentFault> content_faults;
};

// What the index knows about the box around the window.
struct SiteEvidence {
  std::vector<index::DaemonRunRow> daemon_runs;  // a run with no stopped time lasts until `now`
  std::vector<index::ClockEventRow> clock_events;
};

struct ZoneQuery {
  std::string zone_id;
  std::vector<care::Interval> care;  // sorted, disjoint (CareCalendar::care_intervals)
  Micros tolerance{2'000'000};       // uncovered stretches this long or shorter are not gaps
  UtcTime now;                       // nothing after it is evaluated; open rows last until it
};

// Why one camera had no usable footage over a stretch: a cause word plus the evidence's own
// word (the camera_event cause "refused", the content fault kind "black", ...; may be empty).
struct Reason {
  std::string cause;
  std::string sub;
  bool operator==(const Reason&) const = default;
  auto operator<=>(const Reason&) const = default;
};

// One stretch of a camera's timeline: usable footage, or the reason there is none.
struct Piece {
  UtcTime begin;
  UtcTime end;
  std::optional<Reason> reason;  // nullopt: usable
  bool usable() const { return !reason.has_value(); }
};

// The camera's timeline over [from, to): contiguous pieces, adjacent ones with equal status
// merged. The rules, first match wins, at each instant t:
//   1. a closed or recovered segment (or an open one, until `now` or its daemon run's end) holds
//      t: usable, unless a content fault holds t (content, the fault's kind and the measured
//      values that decided it: "black mean=16.0 stddev=0.0", see content_values());
//   2. a damaged segment holds t: footage_missing when its file went missing, else footage_damaged;
//      a deleting or deleted one: deleted;
//   3. a forward clock step jumped over t: clock_step;
//   4. no daemon run holds t: recorder_not_running;
//   5. an RTSP run holds t (recording, but no segment): footage_missing (no_segment);
//   6. the last down event at or before t, since the daemon run started and with no up event or
//      run start after it: stream_stalled (stalled), recording_error (disk_error) or
//      camera_offline (the event's cause); else the end cause of the last run that ended in
//      this daemon run before t; else camera_offline (not_connected).
std::vector<Piece> camera_timeline(const CameraEvidence& camera, const SiteEvidence& site, UtcTime from,
                                   UtcTime to, UtcTime now);

// The zone's gaps, by start. A stretch is uncovered when no camera's timeline is usable; each
// care interval is evaluated on its own, so a gap never crosses a care boundary. The gap's cause
// is the reason that accounts for the most camera-time in it (ties: the order of `cause` above).
std::vector<Gap> find_gaps(const ZoneQuery& query, std::span<const CameraEvidence> cameras,
                           const SiteEvidence& site);
// The same over evidence shared between zones (a camera in two zones is loaded once).
std::vector<Gap> find_gaps(const ZoneQuery& query, std::span<const CameraEvidence* const> cameras,
                           const SiteEvidence& site);

// The reason word of a content fault: its kind and the values that decided it, from the
// content_fault row's JSON detail: "black mean=16.0 stddev=0.0", "covered mean=110.2
// stddev=3.1 gradient=0.4", "frozen unchanged=60.2s difference=0.1 threshold=0.6" (or
// "identical_keyframe" for a byte-identical keyframe). The kind alone when the detail has none.
std::string content_values(std::string_view kind, std::string_view detail);

// The cause word for a camera_event / run end cause ("stalled" -> stream_stalled, ...).
std::string_view cause_for_down(std::string_view event_cause);

// "play-1: camera_offline (refused) 9.8 s, camera_offline (stream_ended) 0.2 s; play-2: ..."
// from per-camera reason totals (cameras in the given order, reasons longest first).
struct CameraShare {
  std::string camera_id;
  std::vector<std::pair<Reason, Micros>> reasons;
};
std::string format_detail(std::span<const CameraShare> shares);

}  // namespace carekeep::coverage
