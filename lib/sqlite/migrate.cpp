#include "sqlite/migrate.hpp"

#include <string>

#include "base/log.hpp"

namespace carekeep::sqlite {
namespace {

struct FileState {
  std::int64_t application_id = 0;
  std::int64_t version = 0;
  bool has_tables = false;
};

Result<FileState> read_state(Connection& db) {
  FileState state;
  auto id = db.query_int64("pragma application_id");
  if (!id) return tl::unexpected(std::move(id.error()));
  auto version = db.query_int64("pragma user_version");
  if (!version) return tl::unexpected(std::move(version.error()));
  auto tables = db.query_int64("select count(*) from sqlite_schema");
  if (!tables) return tl::unexpected(std::move(tables.error()));
  return FileState{*id, *version, *tables > 0};
}

// The checks shared by writers and readers: is this our file, and is it not from the future?
Status check_identity(const Connection& db, const FileState& state, const SchemaHistory& history) {
  std::string path = db.path().string();
  bool foreign = state.application_id != 0 && state.application_id != history.application_id;
  // A file with tables but without our mark belongs to someone else: adding our tables to it
  // would mix two applications' data in one file.
  bool unmarked = state.application_id == 0 && state.has_tables;
  if (foreign || unmarked) {
    return fail(ErrorKind::FailedPrecondition,
                path + " is not a carekeep index (application_id " + std::to_string(state.application_id) +
                    "); point carekeep at the daemon's index file");
  }
  if (state.version < 0) {
    return fail(ErrorKind::FailedPrecondition, "index " + path + " has an invalid schema version " +
                                                   std::to_string(state.version) + "; it was not written by carekeep");
  }
  if (state.version > history.latest()) {
    return fail(ErrorKind::FailedPrecondition,
                "index " + path + " has schema version " + std::to_string(state.version) +
                    " but this carekeep understands up to " + std::to_string(history.latest()) +
                    "; upgrade carekeep or point it at another index");
  }
  return ok();
}

Status apply(Connection& db, const Migration& migration) {
  if (const auto* script = std::get_if<std::string_view>(&migration.apply)) return db.exec(*script);
  return std::get<std::function<Status(Connection&)>>(migration.apply)(db);
}

// A migration that rebuilds an index writes all of it to the WAL (about 100 MB for migration
// 0004 at 2 M segments), and the writer keeps its WAL file (SQLITE_FCNTL_PERSIST_WAL), so
// without this the file would keep that size for good. Best effort: a reader still inside the
// WAL makes SQLite refuse, and the WAL is then only as large as before, not wrong.
void shrink_wal(Connection& db) {
  if (auto st = db.exec("pragma wal_checkpoint(truncate)"); !st) {
    log::warn("index_wal_not_truncated", {{"path", db.path().string()}, {"error", st.error().message}});
  }
}

}  // namespace

Status migrate(Connection& db, const SchemaHistory& history) {
  // An index already current needs no write lock: opening it must not wait behind (or be
  // refused by) another process's write transaction, e.g. an export's hold being placed.
  if (auto current = read_state(db); current && current->application_id == history.application_id &&
                                     current->version == history.latest())
    return ok();
  bool migrated = false;
  for (;;) {
    // State is read under the write lock, so two processes migrating at once cannot both
    // apply the same step.
    auto tx = Transaction::begin(db);
    if (!tx) return tl::unexpected(std::move(tx.error()).with_context("migrating " + db.path().string()));
    auto state = read_state(db);
    if (!state) return tl::unexpected(std::move(state.error()).with_context("migrating " + db.path().string()));
    if (auto st = check_identity(db, *state, history); !st) return st;
    if (state->version == history.latest()) break;  // nothing written; the rollback is free

    const Migration& migration = history.migrations[static_cast<std::size_t>(state->version)];
    std::int64_t target = state->version + 1;
    std::string what = "migrating " + db.path().string() + " to version " + std::to_string(target) + " (" +
                       std::string(migration.name) + ")";
    if (auto st = apply(db, migration); !st) return tl::unexpected(std::move(st.error()).with_context(what));
    // Pragmas take no parameters; both values are integers we produced.
    std::string stamp = "pragma user_version = " + std::to_string(target) + ";";
    if (state->application_id == 0) stamp += "pragma application_id = " + std::to_string(history.application_id) + ";";
    if (auto st = db.exec(stamp); !st) return tl::unexpected(std::move(st.error()).with_context(what));
    if (auto st = tx->commit(); !st) return tl::unexpected(std::move(st.error()).with_context(what));
    migrated = true;
    log::info("index_migrated", {{"path", db.path().string()},
                                 {"version", std::to_string(target)},
                                 {"migration", std::string(migration.name)}});
  }
  if (migrated) shrink_wal(db);
  return ok();
}

Status check_schema(Connection& db, const SchemaHistory& history) {
  auto state = read_state(db);
  if (!state) return tl::unexpected(std::move(state.error()).with_context("opening " + db.path().string()));
  if (auto st = check_identity(db, *state, history); !st) return st;
  if (state->application_id == 0) {
    return fail(ErrorKind::FailedPrecondition,
                "index " + db.path().string() + " is empty; start carekeepd once to create it");
  }
  if (state->version < history.latest()) {
    return fail(ErrorKind::FailedPrecondition,
                "index " + db.path().string() + " has schema version " + std::to_string(state->version) +
                    " but this carekeep needs " + std::to_string(history.latest()) +
                    "; start the upgraded carekeepd once to migrate it");
  }
  return ok();
}

}  // namespace carekeep::sqlite
