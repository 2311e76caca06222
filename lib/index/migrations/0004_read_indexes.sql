-- Migration 0004 (schema version 4): indexes for the reads of coverage and reports.
--
-- FROZEN once released: databases in the field were migrated by exactly this text, so a
-- change goes into a new migration (0005_*.sql), never here.
--
-- Coverage reads every segment of every camera in the evaluated range (2 M rows for a 90-day
-- report at 16 cameras). Through segment_by_camera_start (camera_id, start_us) each row cost
-- an index entry plus a lookup of the table row, for four small columns; segment_span holds
-- them, so the read is one walk of one index (measured in docs/index.md, Schema history). Its leading columns are those of segment_by_camera_start, so it serves
-- every query that one did, and id after start_us gives "order by start_us, id" without a
-- sort; the old index is dropped first, so the new one reuses its pages.
-- state_detail is not in it: tombstones carry long details, and coverage needs a damaged
-- row's detail only (read from the table for those rare rows).
drop index segment_by_camera_start;
create index segment_span on segment (camera_id, start_us, id, end_us, state, run_id);
-- The report's integrity section lists live rows that are recovered or damaged, and its
-- retention section every protected segment deleted before its protection ended. Both were
-- scans of 2 M rows to find none; these partial indexes hold only the rows they ask for.
-- A row enters segment_early_deletion when it is deleting or deleted, protected, and not yet
-- past its protection when deleted (a null deleted_us is compared with now by the query).
create index segment_unusual on segment (state, camera_id, start_us) where state in ('recovered', 'damaged');
create index segment_early_deletion on segment (id)
  where state in ('deleting', 'deleted') and protect_until_us is not null
    and (deleted_us is null or deleted_us < protect_until_us);
