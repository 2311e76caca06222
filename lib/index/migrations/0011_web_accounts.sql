-- Migration 0011 (schema version 11): accounts of the operator's web console (issue 16; docs/console.md).
--
-- FROZEN once released: databases in the field were migrated by exactly this text, so a
-- change goes into a new migration, never here.
--
-- One row per person who may log in to the console. The password is stored only as an
-- scrypt hash with its own salt and parameters (lib/web/password); `carekeep web user`
-- manages the rows. Who logged in, failed to, and what they looked at goes to access_log.
create table web_account (
  name text primary key check (length(name) between 1 and 64),  -- the login name, as typed
  role text not null check (role in ('operator', 'inspector', 'viewer')),  -- what the console lets them do
  password_hash text not null check (password_hash like 'scrypt$%'),  -- "scrypt$N$r$p$salt_hex$hash_hex": never
                                   -- the password itself
  created_us integer not null,     -- when the account was added
  changed_us integer not null,     -- when its password or role last changed
  created_by text not null         -- the Unix user who added it (`carekeep web user add`)
) strict;
