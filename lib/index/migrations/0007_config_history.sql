-- Migration 0007 (schema version 7): the configuration's history (issue 15; docs/evidence.md,
-- Configuration history).
--
-- FROZEN once released: databases in the field were migrated by exactly this text, so a
-- change goes into a new migration (0008_*.sql), never here.
--
-- Until version 6 the care schedule and zones lived only in carekeep.toml, so reports and
-- `carekeep gaps` judged the past with today's file: a day marked closed or a zone removed
-- afterwards made its gaps disappear, and nothing showed that the file had changed.
-- config_version keeps every distinct configuration the daemon loaded (credentials redacted
-- before storing), append-only; each one is also an entry of the box chain ('config', with
-- config_id), which is why chain_entry is rebuilt: its kind list and "about exactly one row"
-- check gain the new subject. Existing entries keep their bytes and hashes (chain.cpp hashes
-- config_id only when it is set).
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

create table chain_entry_v6 as select * from chain_entry;
drop table chain_entry;  -- its index and triggers go with it (DROP fires no trigger)
create table chain_entry (
  chain text not null,             -- a camera id: that camera's segments; '' : the box chain (holds, whose
                                   -- subject may be a zone, and configuration versions)
  seq integer not null,            -- 1, 2, ... within the chain, no gaps: a removed entry leaves a gap
  time_us integer not null,        -- wall clock when the change was made
  kind text not null check (kind in ('adopted', 'closed', 'recovered', 'damaged', 'deleting', 'deleted',
                                     'hold', 'release', 'config')),  -- the change; 'adopted': a row that
                                   -- existed before migration 0006, taken into the chain as it was then;
                                   -- 'config': a configuration version stored
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
  primary key (chain, seq),
  check ((segment_id is not null) + (hold_id is not null) + (config_id is not null) = 1)  -- about exactly one row
) strict, without rowid;
insert into chain_entry (chain, seq, time_us, kind, segment_id, hold_id, record, prev_hash, hash)
  select chain, seq, time_us, kind, segment_id, hold_id, record, prev_hash, hash from chain_entry_v6
  order by chain, seq;
drop table chain_entry_v6;
create index chain_entry_by_segment on chain_entry (segment_id, seq) where segment_id is not null;
create trigger chain_entry_no_update before update on chain_entry
begin
  select raise(abort, 'chain_entry is append-only');
end;
create trigger chain_entry_no_delete before delete on chain_entry
begin
  select raise(abort, 'chain_entry is append-only');
end;
