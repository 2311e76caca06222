// index/rows: plain values read from and written to the index, one struct per table shape.
// No behaviour beyond naming enum values; times are UtcTime, never raw microseconds.
// Copyable and thread-agnostic: the recorder builds them, the loop thread writes them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/sha256.hpp"
#include "base/time.hpp"

namespace carekeep::index {

using Sha256 = carekeep::Sha256;  // base/sha256.hpp
using SegmentId = std::int64_t;
using RunId = std::int64_t;
using DaemonRunId = std::int64_t;

// Half-open: [from, to).
struct TimeRange {
  UtcTime from;
  UtcTime to;
};

// A camera as the configuration names it now.
struct ConfiguredCamera {
  std::string id;
  std::string name;
};

struct CameraRow {
  std::string id;
  std::string name;
  UtcTime first_seen;
  std::optional<UtcTime> removed;  // set while the camera is absent from the config
};

struct DaemonRunStart {
  UtcTime started;
  std::string version;
  std::int64_t pid = 0;
  std::string hostname;
};

struct DaemonRunRow {
  DaemonRunId id = 0;
  UtcTime started;
  UtcTime alive;                          // last proof of life
  std::optional<UtcTime> stopped;         // null while running
  std::optional<std::string> stop_reason;
  std::string version;
  std::int64_t pid = 0;
  std::string hostname;
};

struct RunRow {
  RunId id = 0;
  std::string camera_id;
  DaemonRunId daemon_run_id = 0;
  UtcTime started;
  std::optional<UtcTime> ended;           // null while the RTSP session is live
  std::optional<std::string> end_cause;
};

enum class SegmentState { Open, Closed, Recovered, Damaged, Deleting, Deleted };
std::string_view to_string(SegmentState state);
std::optional<SegmentState> parse_segment_state(std::string_view text);

// What is known when a segment file is created.
struct OpenSegment {
  std::string camera_id;
  RunId run_id = 0;
  std::int64_t seq = 0;        // 0, 1, ... within the run
  UtcTime start;               // wall clock at the first packet
  std::string path;            // relative to the storage directory
  UtcTime created;
};

// A durable prefix of an open segment's file (segment::Checkpoint as the catalog stores it;
// migration 0012): its first `bytes` bytes hash to `sha256`, synced to disk by `time`.
struct SegmentCheckpoint {
  std::int64_t bytes = 0;
  Sha256 sha256{};
  UtcTime time;
};

// What is known when it is closed (or recovered, or found damaged). The end time is not
// passed: the index stores start + duration, so the two can never disagree.
struct ClosedSegment {
  // The start as known at close, when it differs from the one given at open (a late first
  // packet, docs/recording.md "Segment start times"); empty keeps the start given at open.
  std::optional<UtcTime> start;
  Micros duration{0};          // from media timestamps
  std::int64_t size_bytes = 0;
  std::int64_t frames = 0;
  std::int64_t keyframes = 0;
  std::string video_codec;     // FFmpeg codec name: "h264" | "hevc"
  int width = 0;
  int height = 0;
  std::optional<std::string> audio_codec;  // "aac" or none
  Sha256 sha256{};             // the file chain link (chain_sha256) is computed by the index
  SegmentState state = SegmentState::Closed;  // Closed | Recovered | Damaged
  std::string state_detail;
  std::optional<UtcTime> protect_until;  // fixed now, at close (PRODUCT.md §3); none outside care hours
  UtcTime closed;
};

struct SegmentRow {
  SegmentId id = 0;
  std::string camera_id;
  RunId run_id = 0;
  std::int64_t seq = 0;
  UtcTime start;
  Micros duration{0};
  UtcTime end;                 // start + duration; equals start while open
  std::string path;
  std::int64_t size_bytes = 0;
  std::int64_t frames = 0;
  std::int64_t keyframes = 0;
  std::string video_codec;
  int width = 0;
  int height = 0;
  std::optional<std::string> audio_codec;
  std::optional<Sha256> sha256;        // null while open
  std::optional<Sha256> chain_sha256;  // null while open
  SegmentState state = SegmentState::Open;
  std::string state_detail;
  std::optional<UtcTime> protect_until;
  UtcTime created;
  std::optional<UtcTime> closed;
  std::optional<UtcTime> deleted;
  // Recorded while the clock guard did not trust the wall clock (migration 0005): start and
  // end may be far from the real time, and the row is never evidence of the time.
  bool suspect_clock = false;
};

// The columns coverage decides on: when a segment's footage was, and whether it is usable.
// Loading months of full SegmentRows (paths, hashes) made a 90-day report spend seconds on
// columns it never reads; 2 M of these are read for one, so no member owns heap memory
// (40 bytes each), and the one fact coverage needs from state_detail is a flag.
struct SegmentSpan {
  SegmentId id = 0;
  RunId run_id = 0;
  UtcTime start;
  UtcTime end;  // equals start while open
  SegmentState state = SegmentState::Open;
  // Damaged because the file is gone rather than unreadable: state_detail starts with one of
  // kFileMissingDetails (set by startup recovery and by the catalog). Always false unless damaged.
  bool file_missing = false;
};
// The state_detail openings that say a damaged segment's file is gone (see SegmentSpan).
inline constexpr std::string_view kFileMissingDetails[] = {"file missing", "no complete fragment"};
// The state_detail opening of a segment whose open row recovery refused to complete with the
// file it found (issue 15, G and G2): the file is not the one carekeepd recorded, or the open
// row itself is not one carekeepd wrote. The file is in quarantine; `verify` names such rows.
inline constexpr std::string_view kNotRecordedDetail = "not recorded by carekeepd: ";

// The columns retention decides on (a SegmentRow without media details and hashes, cheap to
// load by the hundred thousand).
struct RetentionRow {
  SegmentId id = 0;
  std::string camera_id;
  UtcTime start;
  UtcTime end;
  std::string path;            // relative to the storage directory
  std::int64_t size_bytes = 0;
  SegmentState state = SegmentState::Closed;
  std::optional<UtcTime> protect_until;
};

// A new evidence hold: footage of one camera, or of every camera of one zone, in [from, to).
struct NewHold {
  std::optional<std::string> camera_id;  // exactly one of camera_id and zone_id
  std::optional<std::string> zone_id;
  UtcTime from;
  UtcTime to;
  std::string reason;          // non-empty, in the requester's words
  UtcTime created;
  std::int64_t created_uid = 0;
  std::string created_user;
  std::optional<std::string> case_number;  // the case it serves (`hold add --case`)
  bool by_inspector = false;               // placed_as 'inspector': only inspectors or root release it
};

struct HoldRow {
  std::int64_t id = 0;
  std::optional<std::string> camera_id;
  std::optional<std::string> zone_id;
  UtcTime from;
  UtcTime to;
  std::string reason;
  UtcTime created;
  std::int64_t created_uid = 0;
  std::string created_user;
  std::optional<UtcTime> released;  // null while active
  std::optional<std::string> case_number;
  bool by_inspector = false;
};

// An ad-hoc care session (care_session; issue 17): care time outside the weekly schedule from
// `started` until `ended`, or until `limit` while it is open (docs/retention.md, Ad-hoc care).
enum class CareSessionEnd { Stopped, Limit };
std::string_view to_string(CareSessionEnd end);  // "stopped" | "limit" (stable: SQL, JSON, chain)
struct NewCareSession {
  UtcTime started;
  UtcTime limit;  // > started
  std::string note;
  std::int64_t uid = 0;
  std::string user;
};
struct CareSessionRow {
  std::int64_t id = 0;
  UtcTime started;
  UtcTime limit;
  std::optional<UtcTime> ended;  // null while open
  std::optional<CareSessionEnd> end_reason;
  std::string note;
  std::int64_t started_uid = 0;
  std::string started_user;
  std::optional<std::int64_t> ended_uid;
  std::optional<std::string> ended_user;

  bool open() const { return !ended.has_value(); }
  // The care time it stands for: [started, ended), or [started, limit) while open (an open
  // session is care until someone stops it, and at most until its limit).
  UtcTime care_end() const { return ended.value_or(limit); }
};

// A configuration the daemon loaded (config_version; docs/evidence.md, Configuration history).
// `content` is the file's text with credentials already redacted; the index hashes it.
enum class ConfigLoadSource { Start, Reload };
std::string_view to_string(ConfigLoadSource source);
struct NewConfigVersion {
  UtcTime loaded;
  ConfigLoadSource source = ConfigLoadSource::Start;
  std::optional<std::int64_t> uid;   // who, when known
  std::optional<std::string> user;
  std::string content;
};
struct ConfigVersionRow {
  std::int64_t id = 0;
  UtcTime loaded;                    // in force from here until the next version's loaded
  std::string source;                // "start" | "reload" (as stored; `verify` reads rows it did not write)
  std::optional<std::int64_t> uid;
  std::optional<std::string> user;
  Sha256 sha256{};                   // SHA-256 of content, as stored
  std::string content;
};

// A hold with who released it (the CLI's listing; retention needs only HoldRow).
struct HoldRecord {
  HoldRow hold;
  std::optional<std::int64_t> released_uid;
  std::optional<std::string> released_user;
};

enum class CameraEventKind { Up, Down, Warning };
std::string_view to_string(CameraEventKind kind);
std::optional<CameraEventKind> parse_camera_event_kind(std::string_view text);

struct CameraEventRow {
  std::int64_t id = 0;         // ignored on insert
  std::string camera_id;
  UtcTime time;
  CameraEventKind kind = CameraEventKind::Down;
  std::string cause;           // refused | unreachable | auth_failed | timeout | stalled | ...; "" for up
  std::string detail;          // credentials already redacted by the caller
};

struct ClockEventRow {
  std::int64_t id = 0;         // ignored on insert
  UtcTime time;                // wall clock just after the step
  Micros step{0};              // signed: negative when the clock went back
  std::optional<bool> ntp_synced;
  std::string detail;
};

// An alert (lib/alerts owns the meaning; the index only stores it). severity is the text
// stored in the column: "info" | "warning" | "critical".
struct NewAlert {
  std::string kind;            // disk_full | clock_untrusted | camera_down | ... (lib/alerts)
  std::string subject;         // camera or zone id; "" for the whole box
  std::string severity;
  std::string message;
  UtcTime raised;
};

// An account of the web console (migration 0011, issue 16). password_hash is the scrypt
// string lib/web/password makes ("scrypt$N$r$p$salt$hash"), never a password.
struct WebAccountRow {
  std::string name;
  std::string role;  // operator | inspector | viewer
  std::string password_hash;
  UtcTime created;
  UtcTime changed;
  std::string created_by;
};

struct AlertRow {
  std::int64_t id = 0;
  std::string kind;
  std::string subject;
  std::string severity;
  std::string message;
  UtcTime raised;
  UtcTime last_seen;
  std::optional<UtcTime> resolved;      // null while open
  std::optional<UtcTime> acknowledged;  // null until an operator acknowledges it
  std::optional<std::string> acknowledged_by;
};

// A stretch of unusable picture (lib/content): kind is "black" | "frozen" | "covered";
// detail is the JSON object of measured values and thresholds stored with it.
struct ContentFaultRow {
  std::int64_t id = 0;
  std::string camera_id;
  std::string kind;
  UtcTime start;
  std::optional<UtcTime> end;  // null while the fault lasts
  std::string detail;
};

// A stretch of care time in which a zone was not covered (lib/coverage computes it; the index
// only stores it). cause is a word of the zone_gap.cause vocabulary.
struct ZoneGapRow {
  std::int64_t id = 0;         // ignored on insert
  std::string zone_id;
  UtcTime start;
  UtcTime end;
  std::string cause;
  std::string detail;
  UtcTime computed;
};

// Recorded footage of one camera in a time range, split by care-hours protection (the
// capacity forecast's input): bytes and media time of rows with and without protect_until.
struct FootageRate {
  std::string camera_id;
  std::int64_t care_bytes = 0;
  Micros care_duration{0};
  std::int64_t other_bytes = 0;
  Micros other_duration{0};
};

// ---- clock guard state (issue 15; docs/retention.md, Retention / Clock guard) ----
// The clock_trust row: what lib/retention's ClockGuard persists across restarts. source is the
// column's word: first_start | consistent | ntp | operator | migration. boot_id and boottime
// (migration 0010) say where the reference was in the kernel's boot, so that a restart in the same
// boot knows exactly how much real time passed since.
struct ClockTrustRow {
  UtcTime reference;           // the latest wall time the guard trusted
  Micros drift{0};             // signed sum of accepted steps since the last NTP sync or confirmation
  bool trusted = true;         // false: the clock was untrusted when last written
  std::string source;
  std::string boot_id;         // the kernel's boot id at the reference; empty: unknown (before 0009)
  std::optional<Micros> boottime;  // CLOCK_BOOTTIME at the reference; nullopt: unknown
  Micros offline_used{0};      // offline allowance consumed since the last NTP sync or confirmation
};

}  // namespace carekeep::index
