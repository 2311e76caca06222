-- Frozen schema, version 5 (migration 0005_clock_trust): `.schema` of a database created by
-- migrations 0001_initial to 0005_clock_trust, as the sqlite3 shell prints it (minus
-- sqlite_sequence, which SQLite creates itself). NEVER EDIT: databases in the field look like
-- this. The migration test builds a file from it, stamps user_version = 5, migrates it to head
-- and compares the result with lib/index/schema.sql. A schema change adds v6.sql next to this
-- file.
CREATE TABLE camera (
  id text primary key,             -- the camera's id in carekeep.toml; also its directory name under storage
  name text not null,              -- display name at the last config sync (may be Chinese); reports show it
  first_seen_us integer not null,  -- when this id first appeared in the config: its duty to record starts here
  removed_us integer               -- when it left the config; null while configured (cleared if it comes back)
) strict;
CREATE TABLE daemon_run (
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
CREATE TABLE run (
  id integer primary key,          -- rowid; segments reference it
  camera_id text not null references camera (id),  -- whose stream
  daemon_run_id integer not null references daemon_run (id),  -- which daemon process recorded it
  started_us integer not null,     -- wall clock at the first packet of the session
  ended_us integer,                -- wall clock when the session ended; null while live, or if the daemon crashed
  end_cause text                   -- why it ended, the camera_event cause vocabulary plus 'shutdown' and 'reload'
) strict;
CREATE INDEX run_by_camera on run (camera_id, started_us);
CREATE TABLE segment (
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
  deleted_us integer, suspect_clock integer not null default 0 check (suspect_clock in (0, 1)),              -- when retention deleted the file; audits compare it with protect_until_us
  unique (run_id, seq)             -- a run cannot have two segments with one number
) strict;
CREATE INDEX segment_by_camera on segment (camera_id);
CREATE INDEX segment_unfinished on segment (state) where state = 'open' or state = 'deleting';
CREATE TABLE camera_event (
  id integer primary key,          -- rowid
  camera_id text not null references camera (id),  -- whose stream
  time_us integer not null,        -- wall clock of the transition
  kind text not null check (kind in ('up', 'down', 'warning')),  -- up: packets flow; down: no stream;
                                   -- warning: recording continues with a problem (dropped audio codec, ...)
  cause text not null default '',  -- refused | unreachable | auth_failed | timeout | stalled | stream_ended |
                                   -- codec_changed | disk_error | shutdown | ...; '' for up
  detail text not null default ''  -- human-readable detail from the library, credentials redacted
) strict;
CREATE INDEX camera_event_by_camera_time on camera_event (camera_id, time_us);
CREATE INDEX camera_event_by_time on camera_event (time_us);
CREATE TABLE clock_event (
  id integer primary key,          -- rowid
  time_us integer not null,        -- wall clock just after the step
  step_us integer not null,        -- signed size of the step: wall clock minus what the monotonic clock predicted
  ntp_synced integer check (ntp_synced in (0, 1)),  -- the kernel's NTP sync state at the step (adjtimex);
                                   -- null if unknown
  detail text not null default ''  -- what was done about it (segment split, deletion paused, ...)
) strict;
CREATE INDEX clock_event_by_time on clock_event (time_us);
CREATE TABLE zone_gap (
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
CREATE INDEX zone_gap_by_start on zone_gap (start_us);
CREATE TABLE hold (
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
  check ((camera_id is null) <> (zone_id is null)),  -- exactly one subject
  check (to_us > from_us)
) strict;
CREATE INDEX hold_active on hold (from_us) where released_us is null;
CREATE TABLE access_log (
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
CREATE TRIGGER access_log_no_update before update on access_log
begin
  select raise(abort, 'access_log is append-only');
end;
CREATE TRIGGER access_log_no_delete before delete on access_log
begin
  select raise(abort, 'access_log is append-only');
end;
CREATE TABLE integrity_anchor (
  id integer primary key,          -- rowid
  time_us integer not null,        -- when the anchor was signed
  camera_id text not null references camera (id),  -- whose chain
  tip_segment_id integer references segment (id),  -- the last segment in the chain; null if none yet
  chain_sha256 blob check (chain_sha256 is null or length(chain_sha256) = 32),  -- that segment's chain_sha256
  access_log_id integer references access_log (id),  -- the last access_log row at signing time; null if empty
  access_log_hash blob check (access_log_hash is null or length(access_log_hash) = 32),  -- its hash
  signature blob not null check (length(signature) = 64),  -- Ed25519 over all the fields above
  key_fingerprint text not null    -- SHA-256 of the public key (hex), to pick the key when verifying
) strict;
CREATE INDEX integrity_anchor_by_camera_time on integrity_anchor (camera_id, time_us);
CREATE TRIGGER integrity_anchor_no_update before update on integrity_anchor
begin
  select raise(abort, 'integrity_anchor is append-only');
end;
CREATE TRIGGER integrity_anchor_no_delete before delete on integrity_anchor
begin
  select raise(abort, 'integrity_anchor is append-only');
end;
CREATE TABLE alert (
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
CREATE UNIQUE INDEX alert_open on alert (kind, subject) where resolved_us is null;
CREATE INDEX alert_by_raised on alert (raised_us);
CREATE INDEX segment_retention on segment (protect_until_us, end_us, size_bytes, state)
  where state in ('closed', 'recovered', 'damaged');
CREATE TABLE content_fault (
  id integer primary key,
  camera_id text not null references camera (id),
  kind text not null check (kind in ('black', 'frozen', 'covered')),
  start_us integer not null,
  end_us integer,
  detail text not null default '{}' check (json_valid(detail))
) strict;
CREATE INDEX content_fault_by_camera_start on content_fault (camera_id, start_us);
CREATE INDEX segment_span on segment (camera_id, start_us, id, end_us, state, run_id);
CREATE INDEX segment_unusual on segment (state, camera_id, start_us) where state in ('recovered', 'damaged');
CREATE INDEX segment_early_deletion on segment (id)
  where state in ('deleting', 'deleted') and protect_until_us is not null
    and (deleted_us is null or deleted_us < protect_until_us);
CREATE TABLE clock_trust (
  id integer primary key check (id = 1),
  reference_us integer not null,
  drift_us integer not null default 0,
  trusted integer not null check (trusted in (0, 1)),
  source text not null
) strict;
CREATE INDEX segment_suspect_clock on segment (camera_id, start_us) where suspect_clock = 1;
