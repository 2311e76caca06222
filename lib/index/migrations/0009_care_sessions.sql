-- Migration 0009 (schema version 9): ad-hoc care sessions (issue 17, "Ad-hoc care sessions").
--
-- FROZEN once released: databases in the field were migrated by exactly this text, so a
-- change goes into a new migration (0010_*.sql), never here.
--
-- Hourly and temporary care (计时托, 临时托) happen outside the weekly schedule. Until version 8
-- such care needed a root edit of carekeep.toml, and its footage was kept only other_days. A
-- care session is care time from its start until it is stopped, or until its limit when nobody
-- stops it ([care] adhoc_max_hours after the start). Rows are never deleted and, once ended,
-- never change; each start and end is an entry of the box chain ('care_start', 'care_end', with
-- care_session_id), which is why chain_entry is rebuilt: its kind list and "about exactly one
-- row" check gain the new subject. Existing entries keep their bytes and hashes (chain.cpp
-- hashes care_session_id only when it is set).
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

create table chain_entry_v8 as select * from chain_entry;
drop table chain_entry;  -- its index and triggers go with it (DROP fires no trigger)
create table chain_entry (
  chain text not null,             -- a camera id: that camera's segments; '' : the box chain (holds, whose
                                   -- subject may be a zone, configuration versions and care sessions)
  seq integer not null,            -- 1, 2, ... within the chain, no gaps: a removed entry leaves a gap
  time_us integer not null,        -- wall clock when the change was made
  kind text not null check (kind in ('adopted', 'closed', 'recovered', 'damaged', 'deleting', 'deleted',
                                     'hold', 'release', 'config', 'care_start', 'care_end')),  -- the change;
                                   -- 'adopted': a row that existed before migration 0006, taken into the
                                   -- chain as it was then; 'config': a configuration version stored
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
insert into chain_entry (chain, seq, time_us, kind, segment_id, hold_id, config_id, record, prev_hash, hash)
  select chain, seq, time_us, kind, segment_id, hold_id, config_id, record, prev_hash, hash from chain_entry_v8
  order by chain, seq;
drop table chain_entry_v8;
create index chain_entry_by_segment on chain_entry (segment_id, seq) where segment_id is not null;
create trigger chain_entry_no_update before update on chain_entry
begin
  select raise(abort, 'chain_entry is append-only');
end;
create trigger chain_entry_no_delete before delete on chain_entry
begin
  select raise(abort, 'chain_entry is append-only');
end;
