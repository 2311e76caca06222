-- Migration 0005 (schema version 5): the clock guard's state survives restarts, and footage
-- recorded while the clock was not trusted says so (issue 15; docs/retention.md, Retention /
-- Clock guard).
--
-- FROZEN once released: databases in the field were migrated by exactly this text, so a
-- change goes into a new migration (0006_*.sql), never here.
--
-- Until version 4 the guard took its reference at start from the newest segment end and the
-- daemon runs' alive_us. Both are written whatever the clock says, so a daemon restarted on a
-- clock 10 years ahead found its own wrong-clock footage and heartbeats as "evidence" and
-- trusted the clock the second time. clock_trust holds the one wall time the guard last
-- trusted, moved only while it trusts the clock; segment.suspect_clock marks footage whose
-- timestamps came from a clock it did not trust.
create table clock_trust (
  id integer primary key check (id = 1),
  reference_us integer not null,
  drift_us integer not null default 0,
  trusted integer not null check (trusted in (0, 1)),
  source text not null
) strict;
alter table segment add column suspect_clock integer not null default 0 check (suspect_clock in (0, 1));
create index segment_suspect_clock on segment (camera_id, start_us) where suspect_clock = 1;
-- An index from version 4 starts from the evidence version 4 used (the best there is), but
-- distrusted if the guard had the clock_untrusted alert open: that evidence may then be the
-- wrong clock's own footage, and only NTP or an operator may vouch for the clock again.
insert into clock_trust (id, reference_us, drift_us, trusted, source)
  select 1, max(evidence_us), 0,
         case when exists (select 1 from alert where kind = 'clock_untrusted' and resolved_us is null) then 0 else 1 end,
         'migration'
  from (select max(end_us) as evidence_us from segment
        union all select max(alive_us) from daemon_run)
  having max(evidence_us) is not null;
