// sqlite/migrate: schema versioning of a database file. application_id marks carekeep's
// files; user_version is the number of migrations applied. migrate() runs on the writer at
// startup, before anything else touches the schema; check_schema() is what readers use.
// Both block on disk I/O; migrate() holds the write lock for one migration at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <variant>

#include "base/error.hpp"
#include "sqlite/connection.hpp"

namespace carekeep::sqlite {

struct Migration {
  std::string_view name;  // "0001_initial", for logs and errors
  // A SQL script, or code for what SQL alone cannot express. Either runs inside the
  // migration's transaction and must not commit or roll back itself.
  std::variant<std::string_view, std::function<Status(Connection&)>> apply;
};

struct SchemaHistory {
  std::int32_t application_id;           // non-zero; written into every file we create
  std::span<const Migration> migrations;  // migrations[i] takes the file from version i to i + 1
  std::int64_t latest() const { return static_cast<std::int64_t>(migrations.size()); }
};

// Brings the file up to `history.latest()`. A fresh file (application_id 0, no tables) is
// claimed; a file with another application_id, or with tables but no application_id, is
// refused FailedPrecondition ("... is not a carekeep index"), as is a file whose version is
// newer than this build understands. Each pending migration runs in its own transaction,
// which also sets user_version (and, for the first, application_id), so a crash leaves the
// file at a whole version. A failed migration leaves the previous version in place.
Status migrate(Connection& db, const SchemaHistory& history);

// For read-only connections: Ok only if the file is ours and exactly at `history.latest()`.
// An older file is refused too: a reader cannot upgrade it, and queries written for the
// current schema would fail half-way.
Status check_schema(Connection& db, const SchemaHistory& history);

}  // namespace carekeep::sqlite
