-- Migration 0006 (schema version 6): one hash chain over everything that matters (issue 15).
--
-- FROZEN once released: databases in the field were migrated by exactly this text, so a
-- change goes into a new migration (0007_*.sql), never here.
--
-- Before it, each camera's chain covered only the SHA-256 of each file, so a row's times,
-- size, state or protection could be edited, and a row removed with its file, without any
-- chain noticing. chain_entry records every segment's metadata at close and every later
-- state change (and every hold placed or released) as appended, hash-linked entries; the
-- index writes them in the same transaction as the row (docs/evidence.md, Evidence chain).
-- Rows that exist when this runs are "adopted": index/schema.cpp appends one entry per row,
-- as the row is now, right after this script and in the same transaction.
--
-- Anchors gain a number and the previous anchor's hash (removing or reordering one breaks the
-- sequence) and sign the chain_entry tips. integrity_anchor is rebuilt rather than altered so
-- that its definition reads like schema.sql; existing rows keep format 1 and their signatures.
create table chain_entry (
  chain text not null,             -- a camera id: that camera's segments; '' : the box chain (holds, whose
                                   -- subject may be a zone, which is configuration and not a camera)
  seq integer not null,            -- 1, 2, ... within the chain, no gaps: a removed entry leaves a gap
  time_us integer not null,        -- wall clock when the change was made
  kind text not null check (kind in ('adopted', 'closed', 'recovered', 'damaged', 'deleting', 'deleted',
                                     'hold', 'release')),  -- the change; 'adopted': a row that existed
                                   -- before migration 0006, taken into the chain as it was then
  segment_id integer,              -- the segment the entry is about (camera chains); null in the box chain
  hold_id integer,                 -- the hold the entry is about (box chain); null in camera chains
  record text not null,            -- the row as it is after the change, every column that matters, in the
                                   -- canonical "key=value" lines of index/chain.hpp; `verify` compares the
                                   -- row with its latest entry and names each differing column
  prev_hash blob not null check (length(prev_hash) = 32),  -- hash of the chain's previous entry; 32 zero
                                   -- bytes for seq 1
  hash blob not null check (length(hash) = 32),  -- SHA-256(prev_hash || every field above), computed by
                                   -- the index when it writes the row it describes
  primary key (chain, seq),
  check ((segment_id is null) <> (hold_id is null))  -- about exactly one row
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

create table integrity_anchor_v4 as select * from integrity_anchor;
drop table integrity_anchor;  -- its index and triggers go with it (DROP fires no trigger)
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
insert into integrity_anchor (id, time_us, camera_id, tip_segment_id, chain_sha256, access_log_id, access_log_hash,
                              signature, key_fingerprint, format)
  select id, time_us, camera_id, tip_segment_id, chain_sha256, access_log_id, access_log_hash, signature,
         key_fingerprint, 1
  from integrity_anchor_v4 order by id;
drop table integrity_anchor_v4;
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
