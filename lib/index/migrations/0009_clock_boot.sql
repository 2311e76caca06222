-- Migration 0009 (schema version 9): the clock guard knows the boot its reference was taken in,
-- and the offline allowance is spent once, not granted at every start (issue 15, "Repeated small
-- steps are summed, not forgiven one by one"; docs/retention.md, Retention / Clock guard).
--
-- FROZEN once released: databases in the field were migrated by exactly this text, so a
-- change goes into a new migration, never here.
--
-- Until version 8 every start allowed the clock up to 30 days past the saved reference (the box
-- may have been off that long), so four restarts at +23, +46, +69 and +92 days were each
-- trusted and retention deleted care footage kept for 90 days. boot_id and boottime_us (the
-- kernel's boot id and CLOCK_BOOTTIME at the reference) tell a restart in the same boot, where
-- the real time elapsed is known exactly and no allowance applies; offline_used_us sums what
-- was accepted as downtime across reboots until NTP or an operator vouches for the clock.
-- Existing rows: boot unknown (null), nothing used, which is version 8's behaviour for the
-- first start after the upgrade.
alter table clock_trust add column boot_id text;
alter table clock_trust add column boottime_us integer;
alter table clock_trust add column offline_used_us integer not null default 0 check (offline_used_us >= 0);
