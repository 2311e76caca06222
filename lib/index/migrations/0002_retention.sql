-- Migration 0002 (schema version 2): an index that holds only what retention may delete.
--
-- FROZEN once released: databases in the field were migrated by exactly this text, so a
-- change goes into a new migration (0003_*.sql), never here.
--
-- A retention pass asks two questions every time it runs: which live segments' protection
-- has ended (protect_until_us <= now), and which live segments without protection ended
-- before now - other_days (or, under disk pressure, all of them, oldest first). The index of
-- version 1, segment_by_protect_until, held every row: tombstones, which accumulate forever,
-- and a NULL entry for every segment outside care hours. Both questions therefore walked a
-- large part of the history (over a million entries at 16 cameras × 120 days). The partial index
-- below holds live rows only, keyed so that each question is one range of it. size_bytes and
-- state ride along so that the footage total is a scan of this index alone, not of the table
-- (SQLite needs every column the query names, state included, to treat an index as covering).
drop index segment_by_protect_until;
create index segment_retention on segment (protect_until_us, end_us, size_bytes, state)
  where state in ('closed', 'recovered', 'damaged');
