-- Migration 0010 (schema version 10): the clock guard knows the boot its reference was taken in,
-- and the offline allowance is spent once, not granted at every start (issue 15, "Repeated small
-- steps are summed, not forgiven one by one"; H2 of the hostile review, docs/evidence.md;
-- docs/retention.md, Retention / Clock guard).
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
-- The table is rebuilt rather than altered so that its definition reads like schema.sql (an
-- added column lands after the last comment, and a table check cannot be added). Existing
-- rows: boot unknown (null), nothing used, which is version 8's behaviour for the first start
-- after the upgrade.
create table clock_trust_v9 as select * from clock_trust;
drop table clock_trust;
create table clock_trust (
  id integer primary key check (id = 1),  -- one row
  reference_us integer not null,   -- the latest wall time the guard trusted (the reference at the next start)
  drift_us integer not null default 0,  -- signed sum of the wall-clock steps accepted since the last NTP
                                   -- synchronisation or operator confirmation
  trusted integer not null check (trusted in (0, 1)),  -- 0: the daemon last saw the clock untrusted
  source text not null,            -- what set the reference
  boot_id text,                    -- the kernel's boot id at the reference; null: unknown
  boottime_us integer,             -- CLOCK_BOOTTIME at the reference; null with boot_id
  offline_used_us integer not null default 0 check (offline_used_us >= 0),  -- offline allowance spent since
                                   -- the last NTP synchronisation or operator confirmation
  check ((boot_id is null) = (boottime_us is null))  -- a boottime means nothing without its boot
) strict;
insert into clock_trust (id, reference_us, drift_us, trusted, source)
  select id, reference_us, drift_us, trusted, source from clock_trust_v9;
drop table clock_trust_v9;
