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
-- camera. chain_entry's kind list gains 'opened': a segment now enters its camera's chain when
-- its open row is written (camera, run, seq, path, start), so an open row inserted by hand is
-- not in the chain and recovery refuses it. schema.cpp does that after this script, without
-- copying the table (migrations 0007 and 0009 rebuilt it; a test copy of 3 M entries took
-- 7 min 20 s here): the CHECK is widened in place in sqlite_schema, which SQLite documents as
-- safe for a constraint that every existing row still satisfies. Existing entries keep their
-- bytes and hashes; open rows that exist at migration are chained as 'opened' there too (SQL
-- cannot compute SHA-256).
create table segment_checkpoint (
  segment_id integer primary key references segment (id),  -- an open segment
  bytes integer not null check (bytes > 0),  -- length of the durable prefix; a fragment start with a
                                   -- whole fragment before it
  sha256 blob not null check (length(sha256) = 32),  -- SHA-256 of the file's first `bytes` bytes
  time_us integer not null         -- wall clock when the writer had synced those bytes
) strict;
