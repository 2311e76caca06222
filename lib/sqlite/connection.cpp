#include "sqlite/connection.hpp"

#include <sqlite3.h>

#include <system_error>
#include <utility>

#include "base/log.hpp"
#include "sqlite/error.hpp"

namespace carekeep::sqlite {
namespace {

// Long enough to ride out the writer's largest batch commit and a checkpoint, short enough
// that a stuck writer surfaces as an Unavailable error instead of a hung CLI.
constexpr int kBusyTimeoutMs = 5000;

}  // namespace

void Connection::Close::operator()(sqlite3* db) const noexcept {
  // close_v2 cannot fail with SQLITE_BUSY: should a statement outlive us by mistake, the
  // handle becomes a zombie that closes with the last statement instead of leaking.
  sqlite3_close_v2(db);
}

Connection::Connection(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

Error Connection::error(int rc, std::string_view what) const { return to_error(rc, what, db_.get()); }

Result<Connection> Connection::open(const std::filesystem::path& path, int flags, bool writer) {
  sqlite3* raw = nullptr;
  // NOMUTEX (SQLite's multi-thread mode): a Connection is used by one thread at a time, so
  // the per-connection mutex that serialized mode takes on every sqlite3_column_* and step
  // call protects nothing here; at 2 M rows a report spent ~7 % of its CPU locking it.
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  // open_v2 hands out a handle even when it fails, so that the message can be read; owning
  // it right away closes it on every return below.
  Connection db(raw, path);
  std::string what = "opening index " + path.string();
  if (raw == nullptr) return fail(ErrorKind::ResourceExhausted, what + ": out of memory");
  if (rc != SQLITE_OK) return tl::unexpected(db.error(rc, what));
  // Extended codes (SQLITE_CONSTRAINT_TRIGGER, SQLITE_IOERR_FSYNC, ...) make messages precise;
  // to_error maps them by their primary code.
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);

  if (writer) {
    // The first statement reads the header, so a file that is not a database fails here.
    auto mode = db.query_text("pragma journal_mode = wal");
    if (!mode) return tl::unexpected(std::move(mode.error()).with_context(what));
    // WAL lets the CLI read while the daemon writes. SQLite silently keeps the old mode
    // where WAL is impossible (e.g. no shared memory on some network filesystems).
    if (*mode != "wal") {
      return fail(ErrorKind::FailedPrecondition,
                  what + ": the filesystem does not support WAL mode (journal_mode stayed " + *mode + ")");
    }
    // Keep the -wal and -shm files when the daemon closes the index: a reader without write
    // access to the directory can then still open it while the daemon is down (SQLite
    // cannot create them for a read-only connection).
    int persist = 1;
    sqlite3_file_control(raw, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    // synchronous=full: every commit fsyncs the WAL, so a committed row survives a power cut.
    // The index is evidence; the cost is measured in docs/index.md (Index: durability).
    if (auto st = db.exec("pragma synchronous = full"); !st) {
      return tl::unexpected(std::move(st.error()).with_context(what));
    }
  }
  if (auto st = db.exec("pragma foreign_keys = on"); !st) {
    return tl::unexpected(std::move(st.error()).with_context(what));
  }
  if (!writer) {
    // Touch the header now, so a file that is not a database fails at open, not at first use.
    auto probe = db.query_int64("pragma schema_version");
    if (!probe) return tl::unexpected(std::move(probe.error()).with_context(what));
  }
  return db;
}

Result<Connection> Connection::open_writer(const std::filesystem::path& path) {
  return open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, /*writer=*/true);
}

Result<Connection> Connection::open_reader(const std::filesystem::path& path) {
  std::error_code ec;
  // SQLite would say only "unable to open database file"; the usual cause is a wrong path.
  if (!std::filesystem::exists(path, ec)) {
    return fail(ErrorKind::NotFound,
                "no index at " + path.string() + "; is this the daemon's data directory?");
  }
  return open(path, SQLITE_OPEN_READONLY, /*writer=*/false);
}

Result<Statement> Connection::prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  // SQLITE_PREPARE_PERSISTENT: a hint that the statement is reused (cached) for a long time.
  int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &raw, &tail);
  Statement statement(raw);
  if (rc != SQLITE_OK) return tl::unexpected(error(rc, "preparing \"" + sql_excerpt(sql) + "\""));
  if (raw == nullptr) return fail(ErrorKind::Internal, "preparing an empty statement");
  std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    return fail(ErrorKind::Internal, "prepare() takes one statement; use exec() for scripts: \"" +
                                         sql_excerpt(rest) + "\"");
  }
  return statement;
}

Result<CachedStatement> Connection::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto statement = prepare(sql);
    if (!statement) return tl::unexpected(std::move(statement.error()));
    it = cache_.emplace(std::string(sql), CacheEntry{std::move(*statement)}).first;
  } else if (it->second.lent) {
    // Two live borrows would share bindings and cursor position: always a bug in the caller.
    return fail(ErrorKind::Internal, "cached statement already in use: \"" + sql_excerpt(sql) + "\"");
  }
  return CachedStatement(it->second);
}

Status Connection::exec(std::string_view script) {
  std::string text(script);  // sqlite3_exec needs NUL termination
  int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(error(rc, "running \"" + sql_excerpt(text) + "\""));
  return ok();
}

Result<std::int64_t> Connection::query_int64(std::string_view sql) {
  auto statement = prepare(sql);
  if (!statement) return tl::unexpected(std::move(statement.error()));
  auto row = statement->step();
  if (!row) return tl::unexpected(std::move(row.error()));
  if (!*row) return fail(ErrorKind::Internal, "\"" + std::string(sql) + "\" returned no row");
  return statement->column<std::int64_t>(0);
}

Result<std::string> Connection::query_text(std::string_view sql) {
  auto statement = prepare(sql);
  if (!statement) return tl::unexpected(std::move(statement.error()));
  auto row = statement->step();
  if (!row) return tl::unexpected(std::move(row.error()));
  if (!*row) return fail(ErrorKind::Internal, "\"" + std::string(sql) + "\" returned no row");
  return statement->column<std::string>(0);
}

std::int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }
std::int64_t Connection::changes() const { return sqlite3_changes64(db_.get()); }
bool Connection::in_transaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

CachedStatement::CachedStatement(CachedStatement&& other) noexcept
    : entry_(std::exchange(other.entry_, nullptr)) {}

CachedStatement::~CachedStatement() {
  if (entry_ == nullptr) return;
  entry_->statement.reset();
  entry_->statement.clear_bindings();  // a forgotten bind must not reuse the last caller's value
  entry_->lent = false;
}

Result<Transaction> Transaction::begin(Connection& db) {
  if (auto st = db.exec("begin immediate"); !st) return tl::unexpected(std::move(st.error()));
  return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  // SQLite may already have rolled back by itself (SQLITE_FULL, SQLITE_IOERR, ...); a second
  // ROLLBACK would only fail with "no transaction is active".
  if (db_ == nullptr || !db_->in_transaction()) return;
  if (auto st = db_->exec("rollback"); !st) {
    log::error("sqlite_rollback_failed", {{"path", db_->path().string()}, {"error", st.error().message}});
  }
}

Status Transaction::commit() {
  if (db_ == nullptr) return fail(ErrorKind::Internal, "commit of a finished transaction");
  if (auto st = db_->exec("commit"); !st) return st;  // still open: the destructor rolls back
  db_ = nullptr;
  return ok();
}

}  // namespace carekeep::sqlite
