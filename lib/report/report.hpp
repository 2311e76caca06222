// report/report: the audit report for a health-commission inspection (PRODUCT.md §7, issue 7).
// gather() reads the index (read-only connection is enough) and the configuration into one
// plain ReportData value; the renderers in render.hpp turn that value into JSON, HTML, PDF and
// CSV without touching the index again, so every format shows the same numbers. Called from
// the CLI's one thread; blocks on SQLite reads. It records nothing itself: the caller signs the
// JSON and appends the access-log row (write.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "care/calendar.hpp"
#include "config/config.hpp"
#include "index/index.hpp"

namespace carekeep::report {

enum class Lang { Zh, En };
std::string_view to_string(Lang lang);  // "zh" | "en"
std::optional<Lang> parse_lang(std::string_view text);
// Chinese for a site whose time zone is in China (Asia/Shanghai, Asia/Urumqi, ...), else English.
Lang default_lang(std::string_view timezone);
// A --lang option: empty gives the site's default, else zh or en; nullopt for anything else.
std::optional<Lang> lang_option(std::string_view option, std::string_view timezone);

struct CameraInfo {
  std::string id;
  std::string name;
  bool configured = true;   // false: known to the index only (removed from the config)
  bool enabled = true;
  std::optional<UtcTime> first_seen;
  std::optional<UtcTime> removed;
};

struct ZoneInfo {
  std::string id;
  std::string name;
  std::vector<std::string> cameras;
};

// A dated exception of the care schedule that falls in the period.
struct ScheduleException {
  std::string date;    // local, YYYY-MM-DD
  bool closed = false;
  std::vector<std::string> hours;  // "07:30-18:30"
  std::string note;
};

struct Site {
  std::string name;
  std::optional<std::string> address;
  std::string timezone;
  std::string hostname;
  std::vector<CameraInfo> cameras;
  std::vector<ZoneInfo> zones;
  std::array<std::vector<std::string>, 7> weekly_hours;  // ISO order, [0] = Monday; empty = closed
  std::vector<ScheduleException> exceptions;             // those within the period
  int care_days = 0;
  int other_days = 0;
};

// A protected segment whose file was deleted (or is being deleted) before its protect_until:
// the rule says this must never happen, so every one is listed, whenever it happened.
struct ProtectedDeletion {
  std::int64_t segment_id = 0;
  std::string camera_id;
  UtcTime start;
  UtcTime end;
  UtcTime protect_until;
  std::optional<UtcTime> deleted;
  std::string state;
  std::string detail;
};

struct CameraRetention {
  std::string camera_id;
  std::optional<UtcTime> oldest_care_footage;  // start of the oldest live segment overlapping care hours
  double continuous_days = 0;   // from that start (or after the last care deletion) to when the report is made
  std::int64_t damaged_segments = 0;  // live rows in state damaged (kept and reported), all time
};

// One disk under the storage, by the SMART check carekeep-smart last wrote (smart.json).
struct DiskHealthLine {
  std::string device;
  std::string model;
  std::string verdict;  // health::to_string(SmartVerdict): healthy | warning | failing | unavailable
  std::string detail;   // the findings, or why there is no SMART data
};

struct Capacity {
  bool measured = false;       // false when the storage directory could not be read
  std::uint64_t total_bytes = 0;
  std::uint64_t free_bytes = 0;
  std::uint64_t footage_bytes = 0;
  double bytes_per_care_day = 0;  // retention::forecast over the last 14 days (all cameras)
  std::optional<double> days_capacity;  // care days the disk can hold at that rate (forecast care_days)
  bool below_target = false;   // days_capacity < care_days
  std::optional<UtcTime> smart_checked;  // when smart.json was written; none: no SMART check has run
  std::vector<DiskHealthLine> disks;     // empty with smart_checked: no disk under the storage (smart_reason)
  std::string smart_reason;
};

struct Retention {
  std::vector<CameraRetention> cameras;
  // Must be empty. Also lists protected footage LOST: rows startup recovery marked damaged
  // because their file was gone while still protected (state "damaged", no deleted time).
  std::vector<ProtectedDeletion> protected_deletions;
  Capacity capacity;
};

struct ZoneDay {
  std::string zone_id;
  std::string date;          // local YYYY-MM-DD
  double care_seconds = 0;
  double covered_seconds = 0;
  std::optional<double> percent() const {
    if (care_seconds <= 0) return std::nullopt;
    return 100.0 * covered_seconds / care_seconds;
  }
};

struct Gap {
  std::string zone_id;
  UtcTime start;
  UtcTime end;
  std::string cause;
  std::string detail;
  double seconds() const { return std::chrono::duration<double>(end - start).count(); }
};

struct ZoneSummary {
  std::string zone_id;
  double care_seconds = 0;
  double covered_seconds = 0;
  std::int64_t gaps = 0;
  double gap_seconds = 0;
};

// For the timeline: care intervals of each local day in the period, in minutes since local midnight.
struct DayCare {
  std::string date;
  std::vector<std::pair<double, double>> minutes;  // [begin, end) minutes of that local day, end <= 1440
};

struct Coverage {
  std::vector<ZoneDay> days;        // by zone (config order), date
  std::vector<Gap> gaps;            // by zone (config order), start
  std::vector<ZoneSummary> zones;   // config order
  std::vector<DayCare> care;        // every local date of the period
};

struct CameraUptime {
  std::string camera_id;
  double period_seconds = 0;
  double recording_seconds = 0;     // RTSP runs (recording) within the period
  double care_seconds = 0;
  double care_recording_seconds = 0;  // recording during care time
  std::int64_t down_events = 0;
  std::vector<std::pair<std::string, std::int64_t>> down_causes;  // cause -> count, by count desc
  std::int64_t runs = 0;
};

struct DaemonRun {
  std::int64_t id = 0;
  UtcTime started;
  std::optional<UtcTime> stopped;
  std::string stop_reason;
  std::string version;
  std::string hostname;
};

struct Anchor {
  std::int64_t id = 0;
  UtcTime time;
  std::string camera_id;
  std::optional<std::int64_t> tip_segment_id;
  std::string chain_sha256;      // hex, "" when none
  std::optional<std::int64_t> access_log_id;
  std::string key_fingerprint;
};

struct Verification {       // a `verify` row of the access log
  std::int64_t access_id = 0;
  UtcTime time;
  std::string user;
  std::string arguments;    // JSON text as recorded
  std::string result;
};

struct Integrity {
  std::optional<Verification> last_verification;  // the latest ever, not only within the period
  std::int64_t anchors_in_period = 0;
  std::vector<Anchor> latest_anchors;  // the latest anchor of each camera (up to the report's end)
  std::int64_t damaged_in_period = 0;  // segments of the period in state damaged
  std::int64_t recovered_in_period = 0;
};

struct Hold {
  std::int64_t id = 0;
  std::string target;       // "camera:<id>" or "zone:<id>"
  UtcTime from;
  UtcTime to;
  std::string reason;
  UtcTime created;
  std::string created_by;
  std::optional<UtcTime> released;
  std::string released_by;
  std::optional<std::string> case_number;  // the case it serves (`hold add --case`)
  bool by_inspector = false;               // an inspector's hold: only inspectors or root release it
};

struct ClockEvent {
  UtcTime time;
  double step_seconds = 0;
  std::optional<bool> ntp_synced;
  std::string detail;
};

// A camera's footage in the period recorded while carekeepd did not trust the wall clock
// (segment.suspect_clock, issue 15): its times may be far from the real ones.
struct SuspectClockFootage {
  std::string camera_id;
  std::int64_t segments = 0;
};

struct Alert {
  std::int64_t id = 0;
  std::string kind;
  std::string subject;
  std::string severity;
  std::string message;
  UtcTime raised;
  UtcTime last_seen;
  std::optional<UtcTime> resolved;
  std::optional<UtcTime> acknowledged;
  std::string acknowledged_by;
};

struct Access {
  std::int64_t id = 0;
  UtcTime time;
  std::int64_t uid = 0;
  std::string user;
  std::string action;
  std::string arguments;    // JSON text as recorded
  std::string result;
  std::string hash;         // hex of the row's chain hash
};

// A configuration version the daemon loaded inside the period (history::VersionChange): the
// report lists them so a schedule or zone changed mid-period is visible (issue 15).
struct ConfigChange {
  std::int64_t version = 0;
  UtcTime loaded;
  std::string source;            // start | reload
  std::string user;              // who, when known
  std::string sha256;            // hex, of the stored (redacted) text
  std::string summary;           // config::ConfigChanges::summary()
  bool schedule_or_zones = false;
};

// Which configurations judged the period (docs/reports.md, "The configuration in force").
struct ConfigHistory {
  std::vector<ConfigChange> changes;
  // Part of the period lies before the first stored configuration (an index older than
  // migration 0007): that part is judged by the current file, and the report says so.
  bool current_file_used = false;
  std::optional<UtcTime> first_version;  // when the first stored version was loaded, if any
  std::vector<std::string> notes;
};

struct ReportData {
  std::string version;      // carekeep version that made it
  UtcTime generated;
  UtcTime from;
  UtcTime to;
  std::string from_date;    // local dates of the period, both inclusive
  std::string to_date;
  Lang lang = Lang::Zh;
  Site site;
  Retention retention;
  Coverage coverage;
  std::vector<CameraUptime> uptime;
  Integrity integrity;
  std::vector<Hold> holds;
  std::vector<ClockEvent> clock_events;
  std::vector<SuspectClockFootage> suspect_clock;  // cameras with any; empty on a box whose clock was always right
  std::vector<Alert> alerts;
  std::vector<Access> access;
  std::vector<DaemonRun> daemon_runs;
  ConfigHistory config_history;
};

struct GatherOptions {
  Lang lang = Lang::Zh;
  std::string version;
  std::string hostname;
  UtcTime now;              // "generated"; also the end of "continuously held"
  bool measure_storage = true;  // statvfs the storage directory for the capacity forecast
};

// Everything the report shows for `range` (half-open, UTC; normally whole local days).
// Coverage comes from coverage::compute_gaps over the configurations in force during the
// period (history::in_force), not stored (store = false), so the report equals `carekeep gaps`
// for the same range. `config` is the current file: the site's description, the retention
// forecast, and the period before the first stored version. Errors: the index's, with context.
Result<ReportData> gather(index::Index& index, const config::Config& config, const care::CareCalendar& calendar,
                          index::TimeRange range, const GatherOptions& options);

}  // namespace carekeep::report
