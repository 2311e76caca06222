-- carekeep index: the CURRENT schema (version 7 on this branch: migrations 0001-0006 and 0008), every table and column with its reason.
--
-- This file is documentation and the reference for tests: databases are never created from
-- it. The daemon applies lib/index/migrations/NNNN_*.sql in order, and the migration test
-- checks that the result matches this file statement by statement. To change the schema,
-- add a migration AND update this file so both describe the same database.
--
-- Conventions: table names singular; times are INTEGER microseconds since the Unix epoch,
-- UTC, in columns ending in _us; sizes in columns ending in _bytes; ids of configured
-- things (cameras, zones) are the ids from carekeep.toml. Tables are STRICT so a wrong type
-- is an error instead of silently stored evidence (needs SQLite >= 3.37 to read).
-- Comments inside CREATE statements are kept by SQLite in sqlite_schema, so `.schema` in
-- the sqlite3 shell shows an inspector the same explanations.

-- Every camera the configuration has ever named. Rows outlive the config entry because
-- footage, events and reports keep referring to the camera after it is removed.
create table camera (
  id text primary key,             -- the camera's id in carekeep.toml; also its directory name under storage
  name text not null,              -- display name at the last config sync (may be Chinese); reports show it
  first_seen_us integer not null,  -- when this id first appeared in the config: its duty to record starts here
  removed_us integer               -- when it left the config; null while configured (cleared if it comes back)
) strict;

-- One row per carekeepd process lifetime. Coverage needs "the recorder was not running" as
-- a gap cause distinct from "the camera was down", and a crash shows up as a run that never
-- stopped cleanly.
create table daemon_run (
  id integer primary key,          -- rowid
  started_us integer not null,     -- wall clock when the daemon started (before migrations and recovery)
  alive_us integer not null,       -- last time this daemon proved alive (bumped with every index batch);
                                   -- after a crash it bounds when recording stopped
  stopped_us integer,              -- when it stopped; null while running. After a crash the next start sets it to
                                   -- alive_us and stop_reason to 'crash'
  stop_reason text,                -- 'signal' | 'error' | 'crash' | ...; null while running
  version text not null,           -- carekeep version string, to tie behaviour seen in footage to a build
  pid integer not null,            -- process id, to match journal lines to this row
  hostname text not null           -- box name: an index copied off the box still says where it came from
) strict;

-- One RTSP session of one camera: from the first packet after connecting until the stream
-- ends or is stopped. Continuity is exact, not inferred: within a run, segments carry
-- consecutive seq numbers; between runs the camera was down or the daemon stopped.
create table run (
  id integer primary key,          -- rowid; segments reference it
  camera_id text not null references camera (id),  -- whose stream
  daemon_run_id integer not null references daemon_run (id),  -- which daemon process recorded it
  started_us integer not null,     -- wall clock at the first packet of the session
  ended_us integer,                -- wall clock when the session ended; null while live, or if the daemon crashed
  end_cause text                   -- why it ended, the camera_event cause vocabulary plus 'shutdown' and 'reload'
) strict;
create index run_by_camera on run (camera_id, started_us);  -- runs of a camera in a time range

-- One media file on disk: a fragmented MP4 of about a minute. The row is the evidence
-- record for the file: where it is, what it holds, its hash and its place in the camera's
-- hash chain. Rows are never deleted while the file might exist; after deletion the row
-- stays as a tombstone (state 'deleted'), keeping the chain and the deletion auditable.
create table segment (
  id integer primary key,          -- rowid; insertion order is the per-camera hash-chain order
  camera_id text not null references camera (id),  -- recorded camera
  run_id integer not null references run (id),  -- the RTSP session it belongs to
  seq integer not null,            -- 0, 1, 2, ... within the run; a missing number is a lost segment
  start_us integer not null,       -- wall clock at the segment's first packet
  duration_us integer not null default 0,  -- media time from its timestamps (not wall clock); 0 while open
  end_us integer not null,         -- start_us + duration_us, stored so time-range queries can use it;
                                   -- equals start_us while open
  path text not null unique,       -- file path relative to the storage directory; one row per file
  size_bytes integer not null default 0,  -- file size at close; 0 while open
  frames integer not null default 0,      -- video frames written; 0 while open
  keyframes integer not null default 0,   -- of which keyframes; an export can start only at one
  video_codec text not null default '',   -- FFmpeg codec name, 'h264' | 'hevc'; '' while open
  width integer not null default 0,       -- coded width in pixels; 0 while open
  height integer not null default 0,      -- coded height in pixels; 0 while open
  audio_codec text,                -- 'aac' when audio was passed through; null when the file has no audio
  sha256 blob check (sha256 is null or length(sha256) = 32),  -- SHA-256 of the file, computed while
                                   -- writing; null while open
  chain_sha256 blob check (chain_sha256 is null or length(chain_sha256) = 32),  -- SHA-256(previous
                                   -- segment's chain_sha256 || this sha256): removing or altering any earlier
                                   -- file changes every later link; null while open
  state text not null default 'open'
    check (state in ('open', 'closed', 'recovered', 'damaged', 'deleting', 'deleted')),
                                   -- open: being written. closed: complete. recovered: left open by a crash,
                                   -- truncated to its last complete fragment and re-hashed. damaged: unreadable,
                                   -- kept and reported. deleting: retention decided, file may still exist.
                                   -- deleted: file gone, row kept as a tombstone
  state_detail text not null default '',  -- why it is recovered/damaged/deleted, in words
  protect_until_us integer,        -- earliest time retention may delete it, even under disk pressure: end + care
                                   -- retention for footage overlapping care hours under the schedule in force at
                                   -- close (later schedule edits cannot shorten it); null: outside care hours, no
                                   -- hard protection
  created_us integer not null,     -- wall clock when the file was created and the row inserted
  closed_us integer,               -- when it was closed, recovered or marked damaged; null while open
  deleted_us integer,              -- when retention deleted the file; audits compare it with protect_until_us
  suspect_clock integer not null default 0 check (suspect_clock in (0, 1)),  -- 1: recorded while the clock
                                   -- guard did not trust the wall clock (migration 0005), so start_us/end_us may
                                   -- be far from the real time; such rows are never evidence of the time
  unique (run_id, seq)             -- a run cannot have two segments with one number
) strict;
-- Footage of a camera in a range (migration 0004; before it, segment_by_camera_start on the first
-- two columns). Covering for coverage's span read (Index::segment_spans): the walk of the index
-- alone yields every row's time span, state and run, with no table lookup per row; id follows
-- start_us so "order by start_us, id" needs no sort.
create index segment_span on segment (camera_id, start_us, id, end_us, state, run_id);
create index segment_by_camera on segment (camera_id);  -- (camera_id, rowid): chain order, for the chain tip
-- Only the rare, unfinished states: startup recovery looks for 'open', the deleter for 'deleting'.
-- A full index on state would hold 2 M entries that say 'closed' (a partial index is used
-- for queries that compare state with one of these literals).
create index segment_unfinished on segment (state) where state = 'open' or state = 'deleting';
-- Retention's candidates (migration 0002): live rows only, so tombstones, which accumulate for
-- ever, and open rows cost nothing. (protect_until_us <= now) is one range of it, (protect_until_us
-- is null and end_us <= cutoff) another, oldest first. size_bytes and state ride along so the
-- footage total is a scan of this index alone (covering), not of the table.
create index segment_retention on segment (protect_until_us, end_us, size_bytes, state)
  where state in ('closed', 'recovered', 'damaged');
-- The report's two questions about rare rows (migration 0004), each a scan of 2 M rows without
-- them: live rows that are recovered or damaged (integrity section), and protected footage
-- deleted before its protection ended (retention section; a null deleted_us, a row still
-- deleting, is compared with now by the query). Both are empty on a healthy box.
create index segment_unusual on segment (state, camera_id, start_us) where state in ('recovered', 'damaged');
create index segment_early_deletion on segment (id)
  where state in ('deleting', 'deleted') and protect_until_us is not null
    and (deleted_us is null or deleted_us < protect_until_us);
-- Footage recorded on an untrusted clock (migration 0005), for reports and listings; empty on a
-- box whose clock was always right.
create index segment_suspect_clock on segment (camera_id, start_us) where suspect_clock = 1;
-- A durable prefix of each open segment's file (migration 0012, issue 15): after a crash, recovery
-- adopts the file only if it still begins with these bytes (docs/recording.md, Crash recovery).
-- Written by the catalog about once a second per camera; deleted when the row closes (the file's
-- SHA-256 then stands for it), so it holds about one row per camera.
create table segment_checkpoint (
  segment_id integer primary key references segment (id),  -- an open segment
  bytes integer not null check (bytes > 0),  -- length of the durable prefix; a fragment start with a
                                   -- whole fragment before it
  sha256 blob not null check (length(sha256) = 32),  -- SHA-256 of the file's first `bytes` bytes
  time_us integer not null         -- wall clock when the writer had synced those bytes
) strict;

-- Up/down transitions of a camera's stream, with their cause. Gaps cite these, and the
-- CLI's `events` lists them.
create table camera_event (
  id integer primary key,          -- rowid
  camera_id text not null references camera (id),  -- whose stream
  time_us integer not null,        -- wall clock of the transition
  kind text not null check (kind in ('up', 'down', 'warning')),  -- up: packets flow; down: no stream;
                                   -- warning: recording continues with a problem (dropped audio codec, ...)
  cause text not null default '',  -- refused | unreachable | auth_failed | timeout | stalled | stream_ended |
                                   -- codec_changed | disk_error | shutdown | ...; '' for up
  detail text not null default ''  -- human-readable detail from the library, credentials redacted
) strict;
create index camera_event_by_camera_time on camera_event (camera_id, time_us);  -- a camera's events in a range
create index camera_event_by_time on camera_event (time_us);  -- all cameras' events in a range (CLI, reports)

-- Steps of the box's wall clock (boxes without an RTC boot in 1970 until NTP syncs). A step
-- splits the segment being written; reports show steps so odd timestamps are explained.
create table clock_event (
  id integer primary key,          -- rowid
  time_us integer not null,        -- wall clock just after the step
  step_us integer not null,        -- signed size of the step: wall clock minus what the monotonic clock predicted
  ntp_synced integer check (ntp_synced in (0, 1)),  -- the kernel's NTP sync state at the step (adjtimex);
                                   -- null if unknown
  detail text not null default ''  -- what was done about it (segment split, deletion paused, ...)
) strict;
create index clock_event_by_time on clock_event (time_us);  -- steps in a range

-- The clock guard's state (migration 0005; docs/retention.md, Retention / Clock guard): one row,
-- the latest wall time the guard trusted. Written by the daemon when trust changes and about
-- once a minute while it holds; never moved by a clock the guard does not trust, so a restart
-- on a wrong clock is compared with the last real time, not with the wrong clock's own footage.
create table clock_trust (
  id integer primary key check (id = 1),  -- one row
  reference_us integer not null,   -- the latest wall time the guard trusted (the reference at the next start)
  drift_us integer not null default 0,  -- signed sum of the wall-clock steps accepted since the last NTP
                                   -- synchronisation or operator confirmation; beyond the step tolerance the
                                   -- clock is not trusted, so small steps cannot add up unseen
  trusted integer not null check (trusted in (0, 1)),  -- 0: the daemon last saw the clock untrusted; at the
                                   -- next start only NTP synchronisation or an operator restores trust
  source text not null,            -- what set the reference: first_start | consistent | ntp | operator |
                                   -- migration | evidence | unreadable (retention/clock_guard.hpp)
  boot_id text,                    -- the kernel's boot id when the reference was taken (migration 0010); null:
                                   -- unknown. A start in the same boot knows the real time elapsed since the
                                   -- reference (boottime_us) and allows no downtime
  boottime_us integer,             -- CLOCK_BOOTTIME at the reference, in that boot; null with boot_id
  offline_used_us integer not null default 0 check (offline_used_us >= 0),  -- downtime accepted at starts
                                   -- after a reboot (how far past the reference plus the time known to have
                                   -- passed the clock was) since the last NTP synchronisation or operator
                                   -- confirmation; the offline allowance left is max_offline minus this
  check ((boot_id is null) = (boottime_us is null))  -- a boottime means nothing without its boot
) strict;

-- Intervals of care time in which a zone was not covered by its cameras' recordings,
-- computed by the coverage checker (live and on demand) and kept for reports.
create table zone_gap (
  id integer primary key,          -- rowid
  zone_id text not null,           -- zone id from carekeep.toml (zones are configuration, not rows)
  start_us integer not null,       -- first uncovered instant
  end_us integer not null,         -- end of the uncovered interval (exclusive)
  cause text not null,             -- camera_offline | stream_stalled | recording_error | footage_missing |
                                   -- footage_damaged | deleted | content | recorder_not_running | ...
  detail text not null default '', -- e.g. which camera and the camera_event cause behind it
  computed_us integer not null,    -- when the checker computed it; a recomputation replaces the row
  check (end_us > start_us),
  unique (zone_id, start_us)       -- recomputing a range replaces gaps instead of duplicating them
) strict;
create index zone_gap_by_start on zone_gap (start_us);  -- gaps of all zones in a range (reports)

-- Evidence holds: footage of a camera or zone in a time range that retention must keep,
-- whatever its age, until the hold is released.
create table hold (
  id integer primary key,          -- rowid; `hold release` takes it
  camera_id text references camera (id),  -- the held camera, or null when a zone is held
  zone_id text,                    -- the held zone (all its cameras), or null when a camera is held
  from_us integer not null,        -- start of the held range
  to_us integer not null,          -- end of the held range (exclusive)
  reason text not null check (reason <> ''),  -- why, in the requester's words (a case number, ...)
  created_us integer not null,     -- when the hold was placed
  created_uid integer not null,    -- Unix uid of the requester (from the socket's peer credentials)
  created_user text not null,      -- user name for that uid at the time
  released_us integer,             -- when it was released; null while active
  released_uid integer,            -- Unix uid of who released it
  released_user text,              -- user name for that uid at the time
  case_number text check (case_number is null or case_number <> ''),  -- the inspection or complaint case it
                                   -- serves (`hold add --case`), shown in reports; null when none was given
  placed_as text not null default 'operator' check (placed_as in ('operator', 'inspector')),  -- 'inspector':
                                   -- placed by an inspector (or root for one, with --case); only the inspector
                                   -- group or root may release it (migration 0008)
  check ((camera_id is null) <> (zone_id is null)),  -- exactly one subject
  check (to_us > from_us),
  check (placed_as = 'operator' or case_number is not null)  -- an inspector's hold names its case
) strict;
create index hold_active on hold (from_us) where released_us is null;  -- retention checks active holds

-- Who did what through the CLI or socket (exports, holds, verifications, reports) and what
-- the daemon did that an inspector must be able to audit (deletions, integrity findings,
-- config changes). Hash-chained and append-only: the triggers below refuse UPDATE and
-- DELETE, and the daily integrity anchor signs the chain's tip.
create table access_log (
  id integer primary key autoincrement,  -- AUTOINCREMENT: an id is never reused, so a gap in ids is visible
  time_us integer not null,        -- when the action was performed
  uid integer not null,            -- Unix uid of the actor (the daemon's own uid for its actions)
  user text not null,              -- user name for that uid at the time
  action text not null,            -- export | hold_add | hold_release | verify | report | delete | ...
  arguments text not null default '{}' check (json_valid(arguments)),  -- the request as a JSON object
  result text not null,            -- 'ok' or the error message shown to the actor
  prev_hash blob not null check (length(prev_hash) = 32),  -- hash of the previous row; 32 zero bytes for
                                   -- the first
  hash blob not null check (length(hash) = 32)  -- SHA-256(prev_hash || this row's fields), computed by the
                                   -- writer; any edit or removal breaks every later hash
) strict;
-- Append-only, enforced by the database and not only by our code. The connection also sets
-- recursive_triggers so that INSERT OR REPLACE, which deletes the old row, fires the delete
-- trigger too. Someone with write access to the file can still drop the triggers; the hash
-- chain and its signed anchors make that detectable.
create trigger access_log_no_update before update on access_log
begin
  select raise(abort, 'access_log is append-only');
end;
create trigger access_log_no_delete before delete on access_log
begin
  select raise(abort, 'access_log is append-only');
end;

-- The evidence chain (migration 0006, issue 15): per camera, every segment's metadata at close
-- and every later change of its row; in the box chain (''), every hold placed or released.
-- Each entry holds the row as it is after the change and the hash of the previous entry, so
-- a row can change only by appending: `verify` re-derives every link and compares each row
-- with its latest entry (docs/evidence.md, Evidence chain).
create table chain_entry (
  chain text not null,             -- a camera id: that camera's segments; '' : the box chain (holds, whose
                                   -- subject may be a zone, configuration versions and care sessions)
  seq integer not null,            -- 1, 2, ... within the chain, no gaps: a removed entry leaves a gap
  time_us integer not null,        -- wall clock when the change was made
  kind text not null check (kind in ('adopted', 'opened', 'closed', 'recovered', 'damaged', 'deleting', 'deleted',
                                     'hold', 'release', 'config', 'care_start', 'care_end')),  -- the change;
                                   -- 'adopted': a row that existed before migration 0006, taken into the
                                   -- chain as it was then; 'opened': a segment's open row written (its
                                   -- opening fields only, migration 0012); 'config': a configuration version stored
  segment_id integer,              -- the segment the entry is about (camera chains); null in the box chain
  hold_id integer,                 -- the hold the entry is about (box chain); null otherwise
  config_id integer,               -- the configuration version the entry is about (box chain); null otherwise
  record text not null,            -- the row as it is after the change, every column that matters, in the
                                   -- canonical "key=value" lines of index/chain.hpp; `verify` compares the
                                   -- row with its latest entry and names each differing column
  prev_hash blob not null check (length(prev_hash) = 32),  -- hash of the chain's previous entry; 32 zero
                                   -- bytes for seq 1
  hash blob not null check (length(hash) = 32),  -- SHA-256(prev_hash || every field above), computed by
                                   -- the index when it writes the row it describes
  care_session_id integer,         -- the care session the entry is about (box chain); null otherwise
  primary key (chain, seq),
  check ((segment_id is not null) + (hold_id is not null) + (config_id is not null) +
         (care_session_id is not null) = 1)  -- about exactly one row
) strict, without rowid;
-- The latest entry of a row (what `verify` compares the row with), and anchors' look-ups.
create index chain_entry_by_segment on chain_entry (segment_id, seq) where segment_id is not null;
-- Entries are evidence: append-only, like access_log (the same caveat: whoever can write the
-- file can drop these, and the hash links and signed anchors are what make that visible).
create trigger chain_entry_no_update before update on chain_entry
begin
  select raise(abort, 'chain_entry is append-only');
end;
create trigger chain_entry_no_delete before delete on chain_entry
begin
  select raise(abort, 'chain_entry is append-only');
end;
-- Segment rows are never deleted (a deleted file leaves a tombstone row), so a delete is
-- refused; an update is allowed (the index changes a row's state) and chained instead.
create trigger segment_no_delete before delete on segment
begin
  select raise(abort, 'segment rows are kept as tombstones, never deleted');
end;
create trigger hold_no_delete before delete on hold
begin
  select raise(abort, 'hold rows are kept after release, never deleted');
end;

-- Once a day, per camera, the tips of its chains and of the access log, signed with the box's
-- Ed25519 key and linked to the camera's previous anchor. `verify` checks the chains against
-- these anchors, so a row or file removed or altered before an anchor is provable even if the
-- index was rewritten consistently after it.
create table integrity_anchor (
  id integer primary key,          -- rowid
  time_us integer not null,        -- when the anchor was signed
  camera_id text not null references camera (id),  -- whose chain
  tip_segment_id integer references segment (id),  -- the last segment in the file chain; null if none yet
  chain_sha256 blob check (chain_sha256 is null or length(chain_sha256) = 32),  -- that segment's chain_sha256
  access_log_id integer references access_log (id),  -- the last access_log row at signing time; null if empty
  access_log_hash blob check (access_log_hash is null or length(access_log_hash) = 32),  -- its hash
  signature blob not null check (length(signature) = 64),  -- Ed25519 over the signed message (format)
  key_fingerprint text not null,   -- SHA-256 of the public key (hex), to pick the key when verifying
  format integer not null default 1 check (format in (1, 2)),  -- signed message: 1 (before migration 0006)
                                   -- covers the fields above; 2 also covers every field below
  seq integer,                     -- 1, 2, ... per camera, no gaps: a removed anchor leaves a gap; null for format 1
  prev_anchor_sha256 blob check (prev_anchor_sha256 is null or length(prev_anchor_sha256) = 32),  -- SHA-256
                                   -- of the camera's previous anchor's signed message (32 zero bytes for seq 1):
                                   -- a removed, reordered or inserted anchor breaks the link; null for format 1
  entry_seq integer,               -- the camera's chain_entry tip at signing time; null if it had none
  entry_sha256 blob check (entry_sha256 is null or length(entry_sha256) = 32),  -- that entry's hash
  box_entry_seq integer,           -- the box chain's (holds) chain_entry tip at signing time; null if none
  box_entry_sha256 blob check (box_entry_sha256 is null or length(box_entry_sha256) = 32),  -- its hash
  unique (camera_id, seq)          -- one anchor per number
) strict;
create index integrity_anchor_by_camera_time on integrity_anchor (camera_id, time_us);
-- Anchors are evidence like the access log: append-only for the same reasons.
create trigger integrity_anchor_no_update before update on integrity_anchor
begin
  select raise(abort, 'integrity_anchor is append-only');
end;
create trigger integrity_anchor_no_delete before delete on integrity_anchor
begin
  select raise(abort, 'integrity_anchor is append-only');
end;

-- Conditions an operator must see (zone uncovered, disk nearly full, clock jumped, camera
-- down during care hours). Kept after resolution, for reports.
create table alert (
  id integer primary key,          -- rowid
  kind text not null,              -- zone_uncovered | disk_low | disk_readonly | clock_step | camera_down | ...
  subject text not null default '',  -- camera or zone id it is about; '' for the whole box
  severity text not null check (severity in ('info', 'warning', 'critical')),  -- how loudly to tell
  message text not null,           -- what an operator reads (status, journal, webhook)
  raised_us integer not null,      -- when the condition was first seen
  last_seen_us integer not null,   -- when it was last seen still true (repeats update this, not add rows)
  resolved_us integer,             -- when it cleared; null while open
  acknowledged_us integer,         -- when an operator acknowledged it; null if not
  acknowledged_by text             -- who acknowledged it
) strict;
-- One open alert per condition: a repeat updates last_seen_us instead of adding a row.
create unique index alert_open on alert (kind, subject) where resolved_us is null;
create index alert_by_raised on alert (raised_us);  -- alerts in a report's range

-- Intervals in which a camera's picture was unusable although its stream recorded fine:
-- black (dark and flat), frozen (unchanged beyond sensor noise for the configured time, or
-- identical encoded keyframes) or covered (flat or extremely blurred, not dark). Written by
-- the daemon's content checker (lib/content) from sampled keyframes; coverage counts
-- [start_us, end_us or now) as footage that does not cover the camera's zones (cause 'content').
create table content_fault (
  id integer primary key,          -- rowid
  camera_id text not null references camera (id),  -- whose picture
  kind text not null check (kind in ('black', 'frozen', 'covered')),  -- what was wrong with it
  start_us integer not null,       -- wall clock of the first sample that showed it (for frozen: of the first
                                   -- sample of the unchanged stretch, not when the threshold was reached)
  end_us integer,                  -- wall clock of the first sample that no longer showed it; null while it
                                   -- lasts (the daemon closes open rows when it stops or, after a crash,
                                   -- at its next start)
  detail text not null default '{}' check (json_valid(detail))  -- JSON: measured values (mean, stddev,
                                   -- gradient energy, difference vs noise, seconds unchanged) and the thresholds
                                   -- they were compared with, so an inspector can see why
) strict;
create index content_fault_by_camera_start on content_fault (camera_id, start_us);  -- a camera's faults in a range

-- Every distinct configuration the daemon loaded, append-only and chained in the box chain
-- (docs/evidence.md, Configuration history). Reports and `carekeep gaps` judge each instant by
-- the version in force then (lib/history).
create table config_version (
  id integer primary key,          -- rowid; version numbers shown to people and cited by the box chain
  loaded_us integer not null,      -- when the daemon loaded it: in force from here until the next version
  source text not null check (source in ('start', 'reload')),  -- what loaded it first
  uid integer,                     -- who: the SIGHUP sender's uid for a reload; the daemon's own uid at start
  user text,                       -- that uid's name when known
  sha256 blob not null check (length(sha256) = 32),  -- SHA-256 of content (the redacted text, as stored)
  content text not null            -- the file's text with credentials redacted (config/history.hpp): passwords
                                   -- in camera URLs and webhook keys never enter the index
) strict;
create index config_version_by_time on config_version (loaded_us);
create trigger config_version_no_update before update on config_version
begin
  select raise(abort, 'config_version is append-only');
end;
create trigger config_version_no_delete before delete on config_version
begin
  select raise(abort, 'config_version is append-only');
end;

-- Ad-hoc care sessions (issue 17): care time outside the weekly schedule, from `carekeep care
-- start` until `care stop` or the session's limit. Never deleted; changed once, when it ends;
-- each start and end chained in the box chain (docs/retention.md, Ad-hoc care).
create table care_session (
  id integer primary key,          -- rowid; `carekeep care list` shows it
  started_us integer not null,     -- when `carekeep care start` ran: care time from here
  limit_us integer not null,       -- when it ends by itself if nobody stops it (start + [care] adhoc_max_hours)
  ended_us integer,                -- when it ended (stopped, or the limit reached); null while open
  end_reason text check (end_reason is null or end_reason in ('stopped', 'limit')),  -- how it ended
  note text not null default '',   -- the operator's words (`--note`), e.g. the child's care arrangement
  started_uid integer not null,    -- Unix uid of who started it (the socket peer's credentials)
  started_user text not null,      -- user name for that uid at the time
  ended_uid integer,               -- who stopped it; null when the limit ended it
  ended_user text,                 -- user name for that uid at the time
  check (limit_us > started_us and limit_us - started_us <= 86400000000),  -- at most 24 h ([care_hours]
                                   -- adhoc_max_hours): a range query bounds its scan by it
  check ((ended_us is null) = (end_reason is null)),
  check (ended_us is null or (ended_us >= started_us and ended_us <= limit_us))
) strict;
create index care_session_by_start on care_session (started_us);
create index care_session_open on care_session (id) where ended_us is null;  -- the daemon asks every second
create trigger care_session_no_delete before delete on care_session
begin
  select raise(abort, 'care_session rows are kept, never deleted');
end;
-- The one change a session may have: its end, once.
create trigger care_session_end_once before update on care_session
when old.ended_us is not null or new.started_us is not old.started_us or new.limit_us is not old.limit_us
  or new.note is not old.note or new.started_uid is not old.started_uid or new.started_user is not old.started_user
begin
  select raise(abort, 'a care session changes only once, when it ends');
end;

-- Accounts of the operator's web console (migration 0011, issue 16; docs/console.md). The
-- password is stored only as an scrypt hash with its own salt and parameters (lib/web/password);
-- `carekeep web user` manages the rows. Logins, failed logins and page views go to access_log.
create table web_account (
  name text primary key check (length(name) between 1 and 64),  -- the login name, as typed
  role text not null check (role in ('operator', 'inspector', 'viewer')),  -- what the console lets them do
  password_hash text not null check (password_hash like 'scrypt$%'),  -- "scrypt$N$r$p$salt_hex$hash_hex": never
                                   -- the password itself
  created_us integer not null,     -- when the account was added
  changed_us integer not null,     -- when its password or role last changed
  created_by text not null         -- the Unix user who added it (`carekeep web user add`)
) strict;
