-- Migration 0012 (schema version 12): only recorded footage is evidence, also after a crash
-- (issue 15, review scenarios G and G2; docs/recording.md, Crash recovery; docs/evidence.md).
--
-- FROZEN once released: databases in the field were migrated by exactly this text, so a
-- change goes into a new migration, never here.
--
-- Until version 11 startup recovery adopted whatever file it found under an open row's name:
-- a .partial swapped after a crash for another camera's recording (G2), or a file planted
-- beside an open row inserted by hand (G), became recovered footage, chained and signed.
-- segment_checkpoint holds, per open segment, a prefix of its file that the writer had made
-- durable (fdatasync) and its SHA-256; recovery adopts a file only if it still begins with it.
-- It is scratch state of open rows: the index deletes a segment's checkpoint when the row
-- closes (the file's full SHA-256 then stands for it), so the table holds about one row per
-- camera. chain_entry is rebuilt because its kind list gains 'opened': a segment now enters
-- its camera's chain when its open row is written (camera, run, seq, path, start), so an open
-- row inserted by hand is not in the chain and recovery refuses it. Existing entries keep
-- their bytes and hashes; open rows that exist at migration are chained as 'opened' by
-- schema.cpp (SQL cannot compute SHA-256).
create table segment_checkpoint (
  segment_id integer primary key references segment (id),  -- an open segment
  bytes integer not null check (bytes > 0),  -- length of the durable prefix; a fragment start with a
                                   -- whole fragment before it
  sha256 blob not null check (length(sha256) = 32),  -- SHA-256 of the file's first `bytes` bytes
  time_us integer not null         -- wall clock when the writer had synced those bytes
) strict;

create table chain_entry_v11 as select * from chain_entry;
drop table chain_entry;  -- its index and triggers go with it (DROP fires no trigger)
create table chain_entry (
  chain text not null,             -- a camera id: that camera's segments; '' : the box chain (holds, whose
                                   -- subject may be a zone, configuration versions and care sessions)
  seq integer not null,            -- 1, 2, ... within the chain, no gaps: a removed entry leaves a gap
  time_us integer not null,        -- wall clock when the change was made
  kind text not null check (kind in ('adopted', 'opened', 'closed', 'recovered', 'damaged', 'deleting', 'deleted',
                                     'hold', 'release', 'config', 'care_start', 'care_end')),  -- the change;
                                   -- 'adopted': a row that existed before migration 0006, taken into the
                                   -- chain as it was then; 'opened': a segment's open row written (its
                                   -- opening fields only); 'config': a configuration version stored
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
insert into chain_entry (chain, seq, time_us, kind, segment_id, hold_id, config_id, record, prev_hash, hash,
                         care_session_id)
  select chain, seq, time_us, kind, segment_id, hold_id, config_id, record, prev_hash, hash, care_session_id
  from chain_entry_v11 order by chain, seq;
drop table chain_entry_v11;
create index chain_entry_by_segment on chain_entry (segment_id, seq) where segment_id is not null;
create trigger chain_entry_no_update before update on chain_entry
begin
  select raise(abort, 'chain_entry is append-only');
end;
create trigger chain_entry_no_delete before delete on chain_entry
begin
  select raise(abort, 'chain_entry is append-only');
end;
