-- Migration 0008: holds placed by inspectors (issue 15, "Holds by inspectors").
--
-- FROZEN once released: databases in the field were migrated by exactly this text, so a
-- change goes into a new migration, never here.
--
-- An inspector (the [access] inspector_group) places a hold for a case: it carries the case
-- number, and only the inspector group or root may release it; an operator's release is
-- refused by `carekeep hold release` and recorded. The hold table is rebuilt rather than
-- altered so that its definition reads like schema.sql; rows keep their ids (the box chain's
-- entries name them) and become operator holds without a case, which is what they were. The
-- chain records both new columns only when set, so existing entries still match their rows.
create table hold_v7 as select * from hold;
drop table hold;  -- its index and trigger go with it (DROP fires no trigger)
create table hold (
  id integer primary key,          -- rowid; `hold release` takes it
  camera_id text references camera (id),  -- the held camera, or null when a zone is held
  zone_id text,                    -- the held zone (all its cameras), or null when a camera is held
  from_us integer not null,        -- start of the held range
  to_us integer not null,          -- end of the held range (exclusive)
  reason text not null check (reason <> ''),  -- why, in the requester's words
  created_us integer not null,     -- when the hold was placed
  created_uid integer not null,    -- Unix uid of the requester (from the socket's peer credentials)
  created_user text not null,      -- user name for that uid at the time
  released_us integer,             -- when it was released; null while active
  released_uid integer,            -- Unix uid of who released it
  released_user text,              -- user name for that uid at the time
  case_number text check (case_number is null or case_number <> ''),  -- the inspection or complaint case it
                                   -- serves (`hold add --case`), shown in reports; null when none was given
  placed_as text not null default 'operator' check (placed_as in ('operator', 'inspector')),  -- 'inspector':
                                   -- placed by an inspector (or root for one, with --case); only the inspector
                                   -- group or root may release it
  check ((camera_id is null) <> (zone_id is null)),  -- exactly one subject
  check (to_us > from_us),
  check (placed_as = 'operator' or case_number is not null)  -- an inspector's hold names its case
) strict;
insert into hold (id, camera_id, zone_id, from_us, to_us, reason, created_us, created_uid, created_user, released_us,
                  released_uid, released_user)
  select id, camera_id, zone_id, from_us, to_us, reason, created_us, created_uid, created_user, released_us,
         released_uid, released_user
  from hold_v7 order by id;
drop table hold_v7;
create index hold_active on hold (from_us) where released_us is null;  -- retention checks active holds
create trigger hold_no_delete before delete on hold
begin
  select raise(abort, 'hold rows are kept after release, never deleted');
end;
