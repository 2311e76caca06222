// index/schema: what makes a file a carekeep index: its application_id, its migrations and
// the current schema text. Constants and pure functions; no I/O, any thread.
// Index::open_writer/open_reader apply and check these; tests compare migrated files with
// schema_sql().
#pragma once

#include <cstdint>
#include <string_view>

#include "sqlite/migrate.hpp"

namespace carekeep::index {

// "CKEP" in ASCII. Written into every index file at creation; `file(1)` and the sqlite3
// shell show it, and a file with another non-zero id is refused.
inline constexpr std::int32_t kApplicationId = 0x434B4550;

// All migrations in order; latest() is the schema version this build writes and reads.
const sqlite::SchemaHistory& schema_history();
inline std::int64_t schema_version() { return schema_history().latest(); }

// lib/index/schema.sql: the current schema with every column commented. Documentation and
// the reference for the migration test; databases are created by the migrations.
std::string_view schema_sql();

}  // namespace carekeep::index
