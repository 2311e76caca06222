#include "sqlite/error.hpp"

#include <sqlite3.h>

#include <string>

namespace carekeep::sqlite {
namespace {

ErrorKind kind_of(int rc) {
  switch (rc & 0xff) {  // extended codes (SQLITE_BUSY_SNAPSHOT, ...) keep their primary code in the low byte
    // Another connection holds the lock past busy_timeout: retrying later can succeed.
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorKind::Unavailable;
    // The disk (or the database's max_page_count) is full: same class as ENOSPC for segments.
    case SQLITE_FULL:
      return ErrorKind::ResourceExhausted;
    // The file is damaged or is not a database at all: what it held is not readable as evidence.
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorKind::DataLoss;
    // The environment forbids the operation (read-only mount, missing file, permissions);
    // an operator has to change something before a retry can help.
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return ErrorKind::FailedPrecondition;
    // Our own schema refused our own write (CHECK, UNIQUE, FK, append-only trigger): a bug in
    // carekeep, not a condition of the field.
    case SQLITE_CONSTRAINT:
      return ErrorKind::Internal;
    case SQLITE_NOMEM:
      return ErrorKind::ResourceExhausted;
    case SQLITE_INTERRUPT:
      return ErrorKind::Cancelled;
    // An I/O error on the index is a failing or vanished disk: the stored data may be lost.
    case SQLITE_IOERR:
      return ErrorKind::DataLoss;
    case SQLITE_RANGE:
    case SQLITE_MISUSE:
    case SQLITE_ERROR:  // SQL error: a typo in our SQL or a schema we did not expect
    default:
      return ErrorKind::Internal;
  }
}

}  // namespace

std::string sql_excerpt(std::string_view sql) {
  constexpr std::size_t kMax = 60;
  for (;;) {
    auto start = sql.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) return "";
    sql.remove_prefix(start);
    if (!sql.starts_with("--")) break;
    auto end = sql.find('\n');
    if (end == std::string_view::npos) return "";
    sql.remove_prefix(end);
  }
  std::string out;
  for (char c : sql) {
    if (out.size() >= kMax) {
      out += "...";
      break;
    }
    bool space = c == '\n' || c == '\t' || c == ' ' || c == '\r';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  return out;
}

bool last_failure_transient(sqlite3* db) {
  if (db == nullptr) return false;
  switch (sqlite3_extended_errcode(db) & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return true;
    default:
      return false;
  }
}

DiskFault last_disk_fault(sqlite3* db) {
  if (db == nullptr) return DiskFault::None;
  int primary = sqlite3_extended_errcode(db) & 0xff;
  if (primary != SQLITE_FULL && primary != SQLITE_IOERR && primary != SQLITE_READONLY && primary != SQLITE_CANTOPEN)
    return DiskFault::None;
  if (int err = sqlite3_system_errno(db); err != 0) {
    DiskFault fault = disk_fault_from_errno(err);
    // SQLITE_READONLY also says "opened read-only", with an older errno behind it.
    if (primary != SQLITE_READONLY || fault == DiskFault::ReadOnly) return fault;
  }
  if (primary == SQLITE_FULL) return DiskFault::Full;
  if (primary == SQLITE_IOERR) return DiskFault::IoError;
  return DiskFault::None;
}

Error to_error(int rc, std::string_view what, sqlite3* db) {
  // sqlite3_errmsg describes the most recent failure on `db`, which is `rc` as long as the
  // caller asks right after the failing call (each Connection is used by one thread).
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string message(what);
  message += ": ";
  message += detail != nullptr ? detail : "unknown sqlite error";
  return Error{kind_of(rc), std::move(message)};
}

}  // namespace carekeep::sqlite
