// index/index: typed reads and writes of the carekeep index (cameras, daemon runs, RTSP
// runs, segments, camera and clock events). The daemon's loop thread owns the one writer;
// the CLI opens readers. Every call blocks on SQLite (disk I/O; a writer may wait up to
// 5 s for the lock). Each write is atomic on its own; to batch, wrap calls in transaction().
// Policy (retention, coverage, recovery decisions) lives in the modules that use this one.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "index/chain.hpp"
#include "index/evidence.hpp"
#include "index/rows.hpp"
#include "sqlite/connection.hpp"

namespace carekeep::index {

class Index {
 public:
  // Opens or creates the index and migrates it to the current schema (sqlite::migrate).
  static Result<Index> open_writer(const std::filesystem::path& path);
  // Opens an existing index read-only; refuses a missing file, a foreign file and any
  // schema version other than the current one, each with a message naming the next step.
  static Result<Index> open_reader(const std::filesystem::path& path);

  // BEGIN IMMEDIATE on the index; calls made until commit() form one atomic batch.
  Result<sqlite::Transaction> transaction();
  // For modules with their own tables and tests; the statements above cover the rest.
  sqlite::Connection& connection() { return db_; }

  // Upserts the configured cameras (new ids get first_seen = now, names are updated,
  // returning ones lose removed_us) and marks cameras missing from `configured` as removed.
  // One transaction of its own unless the caller already opened one.
  Status sync_cameras(std::span<const ConfiguredCamera> configured, UtcTime now);
  Result<std::vector<CameraRow>> cameras();

  Result<DaemonRunId> begin_daemon_run(const DaemonRunStart& start);
  Status mark_daemon_alive(DaemonRunId id, UtcTime now);
  Status end_daemon_run(DaemonRunId id, UtcTime stopped, std::string_view reason);
  // Startup, before begin_daemon_run: daemon runs that never stopped were crashes. Ends each
  // at its last proof of life (alive_us) with reason "crash", and ends their open RTSP runs
  // with cause "crash" at that instant or at the end of the run's last indexed segment,
  // whichever is later. Returns how many daemon runs it ended.
  Result<std::int64_t> end_crashed_daemon_runs();
  // Daemon runs overlapping `range` (a run still going counts as reaching +infinity).
  Result<std::vector<DaemonRunRow>> daemon_runs(TimeRange range);

  Result<RunId> begin_run(std::string_view camera_id, DaemonRunId daemon_run, UtcTime started);
  Status end_run(RunId id, UtcTime ended, std::string_view cause);
  Result<std::vector<RunRow>> runs(std::string_view camera_id, TimeRange range);

  // The row for a new segment file, in state open, and its 'opened' chain entry (the opening
  // fields, segment_opening_record) in the same transaction (its own unless the caller holds
  // one). Fails Internal if (run, seq) or the path is taken, or the camera or run does not exist.
  Result<SegmentId> insert_open_segment(const OpenSegment& segment);
  // Stores the newest durable checkpoint of open segment `id` (replacing the one before).
  // A row that is no longer open is left alone (ok): a late report after the close.
  Status save_segment_checkpoint(SegmentId id, const SegmentCheckpoint& checkpoint);
  // The checkpoint of segment `id`; nullopt when none was stored (or the row has closed).
  Result<std::optional<SegmentCheckpoint>> segment_checkpoint(SegmentId id);
  // Segment `id`'s 'opened' chain entry in `camera_id`'s chain; nullopt when there is none
  // (an open row written outside carekeep, or before migration 0012 and closed since).
  Result<std::optional<ChainEntry>> segment_opening(std::string_view camera_id, SegmentId id);
  // Completes an open segment (and drops its checkpoint). FailedPrecondition if it is not open (unknown id, or closed
  // already); InvalidArgument unless closed.state is Closed, Recovered or Damaged.
  Status close_segment(SegmentId id, const ClosedSegment& closed);
  // Marks a closed or recovered segment damaged (startup recovery: its file is gone), with
  // `detail` as the new state_detail; hashes, chain link and closed time stay as they were.
  // FailedPrecondition in any other state (open, damaged already, deleting, deleted).
  Status mark_segment_damaged(SegmentId id, std::string_view detail);
  // The file chain hash (segment.chain_sha256) of the camera's most recent chained segment (any state after open,
  // deleted tombstones included), to continue the chain; nullopt when the camera has none.
  Result<std::optional<Sha256>> last_closed_chain(std::string_view camera_id);
  // The camera's segments overlapping `range`, in every state, by start time. An open
  // segment is still growing, so it counts as reaching +infinity.
  Result<std::vector<SegmentRow>> segments(std::string_view camera_id, TimeRange range);
  // The same segments with only their time span, state and run (what coverage reads), from
  // the covering index segment_span: its cost follows the rows returned, with no table read
  // except for damaged rows.
  Result<std::vector<SegmentSpan>> segment_spans(std::string_view camera_id, TimeRange range);
  // All cameras' segments in state open (startup recovery), by camera then id.
  Result<std::vector<SegmentRow>> open_segments();
  // Every segment of the camera in chain order (id order), in every state; open rows have no
  // chain link yet. For `verify` and the export manifest's chain positions.
  Result<std::vector<SegmentRow>> chain_segments(std::string_view camera_id);

  // ---- retention (docs/retention.md, Retention) ----
  // One segment by id, in any state; nullopt when there is no such row.
  Result<std::optional<SegmentRow>> segment(SegmentId id);
  // Live segments (closed, recovered, damaged) that retention may consider: those whose
  // protect_until is at or before `protected_expired_by`, and those without protect_until
  // whose end is at or before `unprotected_ended_by` (UtcTime::max() for all of them, when
  // the disk is under pressure). By protect_until (unprotected first), then end, then id.
  // Served by the partial index segment_retention: the cost follows the rows returned, not
  // the history (tombstones and open rows are not in it).
  Result<std::vector<RetentionRow>> retention_candidates(UtcTime protected_expired_by, UtcTime unprotected_ended_by);
  // Step 1 of a deletion: a live segment becomes `deleting` (decided; the file may still
  // exist), with `detail` appended to state_detail. Refused FailedPrecondition when the row
  // is not closed, recovered or damaged, or is protected beyond `now`: the index itself
  // never lets protected footage go, whatever the caller planned.
  Status mark_segment_deleting(SegmentId id, UtcTime now, std::string_view detail);
  // Step 3: the file is gone and its directory fsynced; the row stays as a tombstone with
  // deleted_us. FailedPrecondition unless the row is `deleting`.
  Status mark_segment_deleted(SegmentId id, UtcTime deleted);
  // Rows left `deleting` (a deletion interrupted by a crash), by id.
  Result<std::vector<RetentionRow>> deleting_segments();
  // Bytes of footage the index accounts for: size_bytes of every row whose file may exist
  // (all states but deleted; open rows count 0 until they close).
  Result<std::int64_t> footage_bytes();

  // Evidence holds (PRODUCT.md §6). insert_hold fails Internal when the row breaks the
  // schema's checks (both or neither subject, empty range or reason, unknown camera).
  Result<std::int64_t> insert_hold(const NewHold& hold);
  // Holds not released, by id.
  Result<std::vector<HoldRow>> active_holds();
  // Every hold, released ones included, by id (`carekeep hold list`).
  Result<std::vector<HoldRecord>> holds();
  // Releases an active hold: sets released_us/uid/user. NotFound when no hold `id` is active
  // (unknown, or released already); the caller tells the two apart with holds().
  Status release_hold(std::int64_t id, UtcTime when, std::int64_t uid, std::string_view user);

  // Ad-hoc care sessions (issue 17). start_care_session fails FailedPrecondition while another
  // session is open (one at a time: care is of the whole site), InvalidArgument for a limit not
  // after the start or more than 24 h after it; end_care_session ends the open session `id` at
  // `when` (at most its limit), fails NotFound when `id` is not open and FailedPrecondition when
  // `when` is before its start (a clock set back).
  // Each appends its 'care_start' / 'care_end' entry to the box chain in its transaction.
  Result<CareSessionRow> start_care_session(const NewCareSession& session);
  Result<CareSessionRow> end_care_session(std::int64_t id, UtcTime when, CareSessionEnd reason,
                                          std::optional<std::int64_t> uid, std::optional<std::string_view> user);
  Result<std::optional<CareSessionRow>> open_care_session();
  // Sessions whose care time [started, care_end()) meets `range`, by start.
  Result<std::vector<CareSessionRow>> care_sessions(TimeRange range);
  // Every session, by id (`carekeep care list --all`, verify).
  Result<std::vector<CareSessionRow>> all_care_sessions();

  Result<std::int64_t> insert_camera_event(const CameraEventRow& event);
  // Events with time in `range`, by time; of one camera or, without camera_id, of all.
  Result<std::vector<CameraEventRow>> camera_events(TimeRange range,
                                                    std::optional<std::string_view> camera_id = std::nullopt);
  Result<std::int64_t> insert_clock_event(const ClockEventRow& event);
  Result<std::vector<ClockEventRow>> clock_events(TimeRange range);

  // ---- alerts (lib/alerts decides; these only store) ----
  // A new open alert. Fails Internal when (kind, subject) already has an open one (the
  // partial unique index alert_open) or severity is not info | warning | critical.
  Result<std::int64_t> insert_alert(const NewAlert& alert);
  // The open alert `id` was seen again: last_seen, severity and message become these.
  // NotFound when no open alert has that id.
  Status refresh_alert(std::int64_t id, UtcTime seen, std::string_view severity, std::string_view message);
  // Closes the open alert `id` at `resolved`. NotFound when no open alert has that id.
  Status resolve_alert(std::int64_t id, UtcTime resolved);
  // One alert by id; nullopt when there is none.
  Result<std::optional<AlertRow>> alert(std::int64_t id);
  // Open alerts, by id.
  Result<std::vector<AlertRow>> open_alerts();
  // Every alert, resolved ones included, by id.
  Result<std::vector<AlertRow>> alerts();
  // ---- clock guard and capacity forecast (lib/retention) ----
  // The latest end of any camera's newest segment (by start, in any state); nullopt when
  // there is none. One index lookup per camera (segment_span).
  Result<std::optional<UtcTime>> newest_segment_end();
  // Per camera, closed and recovered footage starting in `range`, split by protect_until.
  Result<std::vector<FootageRate>> footage_rates(TimeRange range);
  // ---- fleet health (/metrics; docs/fleet.md) ----
  // Care footage held: live segments with a protection (they overlap care hours), by their
  // protection's end (segment_retention: two index lookups), and the protected segments whose
  // file went before their protection ended (segment_early_deletion; none on a healthy box).
  struct CareFootage {
    std::optional<UtcTime> oldest_start;  // start of the oldest live care footage
    std::optional<UtcTime> newest_end;    // end of the newest closed care footage
    std::int64_t deleted_early = 0;       // the report's protected deletions, counted
  };
  Result<CareFootage> care_footage(UtcTime now);
  // Records who acknowledged alert `id`. An alert is acknowledged once: NotFound when there
  // is no such alert or it is acknowledged already (alert() tells the two apart).
  Status acknowledge_alert(std::int64_t id, UtcTime when, std::string_view by);

  // ---- clock guard state (lib/retention/clock_guard decides; these only store; issue 15) ----
  // The one clock_trust row; nullopt on an index that never had a trusted reference (a fresh
  // one, or one migrated without footage or daemon runs).
  Result<std::optional<ClockTrustRow>> clock_trust();
  // Writes the row (insert or replace). The caller decides when: on every change of trust and
  // about once a minute while trusted.
  Status save_clock_trust(const ClockTrustRow& row);
  // Marks open segment `id` as recorded on an untrusted clock (idempotent). Only while open:
  // the flag is part of the chained record (index/chain.hpp), fixed when the segment closes, so
  // the catalog marks it before closing. NotFound when there is no such open row.
  Status mark_segment_suspect_clock(SegmentId id);
  // How many of the camera's segments overlapping `range` carry suspect_clock (reports);
  // served by the partial index segment_suspect_clock, so it costs nothing on a healthy box.
  Result<std::int64_t> suspect_clock_segments(std::string_view camera_id, TimeRange range);

  // ---- content faults (lib/content decides; these only store; docs/coverage.md, Content checks) ----
  // A fault that starts at `start`; `detail` is a JSON object (measured values, thresholds).
  // Fails Internal for an unknown camera, a kind other than black | frozen | covered, or
  // detail that is not valid JSON.
  Result<std::int64_t> insert_content_fault(std::string_view camera_id, std::string_view kind, UtcTime start,
                                            std::string_view detail);
  // The open fault `id` ended at `end` (clamped to its start). NotFound unless it is open.
  Status end_content_fault(std::int64_t id, UtcTime end);
  // Ends every open fault (of every camera) at `end`, or at its start if that is later:
  // the daemon stopping, or starting after a crash. Returns how many it ended.
  Result<std::int64_t> end_open_content_faults(UtcTime end);
  // The camera's faults overlapping `range` (an open one reaches +infinity), by start, id.
  Result<std::vector<ContentFaultRow>> content_faults(std::string_view camera_id, TimeRange range);

  // ---- zone gaps (lib/coverage decides; these only store; docs/coverage.md, Coverage) ----
  // Gaps overlapping `range` (of one zone, or of all), by zone, start.
  Result<std::vector<ZoneGapRow>> zone_gaps(TimeRange range, std::optional<std::string_view> zone_id = std::nullopt);
  // Deletes the gaps overlapping `range` (of one zone, or of all) and inserts `gaps` in their
  // place, in one transaction unless the caller holds one. The caller keeps the parts of old
  // gaps outside the range by including them in `gaps`. Internal when a row breaks the
  // schema's checks (empty interval, two gaps of a zone with one start).
  Status replace_zone_gaps(TimeRange range, std::optional<std::string_view> zone_id, std::span<const ZoneGapRow> gaps);

  // ---- evidence: access log and integrity anchors (index/evidence.hpp; docs/evidence.md, Exports) ----
  // Appends one row to the hash-chained access log (its own transaction unless the caller
  // holds one, so two writers cannot fork the chain) and returns it with id and hashes.
  Result<AccessLogRow> append_access_log(const NewAccessEntry& entry);
  Result<std::optional<AccessLogRow>> last_access_log();
  // The newest row of `action` (the daemon's last "summary": its number survives restarts).
  Result<std::optional<AccessLogRow>> last_access_log(std::string_view action);
  Result<std::optional<AccessLogRow>> access_log_row(std::int64_t id);
  // Rows with time in `range`, by id.
  Result<std::vector<AccessLogRow>> access_log(TimeRange range);
  // Walks the whole log: ids without gaps (also at the end, from sqlite_sequence), each
  // prev_hash equal to the previous hash, each hash recomputed. Empty = intact.
  Result<std::vector<AccessLogFinding>> verify_access_log();
  // The camera's last chained segment (id and chain_sha256), what a daily anchor signs.
  Result<std::optional<std::pair<SegmentId, Sha256>>> chain_tip(std::string_view camera_id);
  Result<std::int64_t> insert_anchor(const NewAnchor& anchor);
  // Anchors of one camera or of all, by id.
  Result<std::vector<AnchorRow>> anchors(std::optional<std::string_view> camera_id = std::nullopt);
  // Every camera id the evidence names: camera rows, and ids that segments, chain entries or
  // anchors carry (a camera row deleted by hand must not hide its footage from verify), sorted.
  Result<std::vector<std::string>> evidence_cameras();

  // ---- configuration history (docs/evidence.md, Configuration history; issue 15) ----
  // Stores a configuration the daemon loaded, unless its content is the latest version's
  // (a restart or reload of the same file): returns the new row, or nullopt when nothing was
  // stored. Hashes content (already redacted by the caller) and appends the version's 'config'
  // entry to the box chain in the same transaction (its own unless the caller holds one).
  Result<std::optional<ConfigVersionRow>> store_config_version(const NewConfigVersion& version);
  // The newest stored version; nullopt on an index that has none (older than migration 0007,
  // or no daemon start since).
  Result<std::optional<ConfigVersionRow>> latest_config_version();
  // Every stored version, by id (= by loaded time: versions are only appended). A box stores a
  // handful a year, so the table is read whole.
  Result<std::vector<ConfigVersionRow>> config_versions();

  // ---- evidence chain (index/chain.hpp; docs/evidence.md, Evidence chain) ----
  // close_segment, mark_segment_damaged/deleting/deleted, insert_hold and release_hold each
  // append one chain_entry in the transaction that changes the row; nothing else writes them.
  // store_config_version appends a 'config' entry to the box chain. A chain is a camera id or
  // kBoxChain (holds and configuration versions).
  Result<std::optional<ChainEntry>> chain_entry_tip(std::string_view chain);
  Result<std::optional<ChainEntry>> chain_entry(std::string_view chain, std::int64_t seq);
  Result<std::vector<ChainEntry>> chain_entries(std::string_view chain);
  // Walks a chain: numbers without gaps, each prev_hash the previous hash, each hash
  // recomputed; each change legal after the one before it of the same row (fixed columns
  // unchanged, states in order, no deletion before protect_until, no entry dated after `now`
  // plus 10 minutes); then every row of the chain (the camera's segments, or all holds) equal
  // to its latest entry, every row that has left the open state present in the chain, and
  // every row the chain names still in the index; each configuration version's content against
  // its sha256. Empty = intact. Reads the whole chain.
  Result<std::vector<ChainFinding>> verify_chain(std::string_view chain, UtcTime now);

  // ---- web console accounts (lib/web decides and hashes; these only store; issue 16) ----
  // FailedPrecondition when the name is taken; Internal when the row breaks the schema's checks
  // (empty or long name, unknown role, a hash not in scrypt$ form).
  Status add_web_account(const WebAccountRow& row);
  // NotFound when there is no such account.
  Status set_web_account_password(std::string_view name, std::string_view password_hash, UtcTime now);
  Status set_web_account_role(std::string_view name, std::string_view role, UtcTime now);
  Status remove_web_account(std::string_view name);
  Result<std::optional<WebAccountRow>> web_account(std::string_view name);
  Result<std::vector<WebAccountRow>> web_accounts();  // by name

 private:
  explicit Index(sqlite::Connection db) : db_(std::move(db)) {}
  // A transaction for a multi-statement write, or nothing if the caller already holds one.
  Result<std::optional<sqlite::Transaction>> begin_unless_in_transaction();
  static Status commit_if_owned(std::optional<sqlite::Transaction>& tx, std::string_view what);
  // Append the row's entry (its record as it is now) to its chain; inside the caller's transaction.
  Status chain_segment(SegmentId id, std::string_view kind, UtcTime time);
  Status chain_segment_opening(SegmentId id, UtcTime time);
  Status chain_hold(std::int64_t id, std::string_view kind, UtcTime time);
  Status chain_care_session(const CareSessionRow& row, std::string_view kind, UtcTime time);

  sqlite::Connection db_;
};

}  // namespace carekeep::index
