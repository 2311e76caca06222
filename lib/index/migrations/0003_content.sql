-- Migration 0003 (schema version 3): content faults (black, frozen, covered lens).
--
-- FROZEN once released: databases in the field were migrated by exactly this text, so a
-- change goes into a new migration (0004_*.sql), never here.
--
-- A camera that streams a black, frozen or covered picture records files that look perfect
-- and show nothing (PRODUCT.md §5.1: such video does not cover its zone). The content checker
-- (lib/content) samples decoded keyframes; each fault it sees is one row, open while it lasts.
-- Coverage treats [start_us, end_us or now) as unusable video of that camera (cause
-- 'content'), and detail keeps the measured values so an inspector can see why.
create table content_fault (
  id integer primary key,
  camera_id text not null references camera (id),
  kind text not null check (kind in ('black', 'frozen', 'covered')),
  start_us integer not null,
  end_us integer,
  detail text not null default '{}' check (json_valid(detail))
) strict;
create index content_fault_by_camera_start on content_fault (camera_id, start_us);
