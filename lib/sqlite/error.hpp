// sqlite/error: the one place where SQLite result codes become carekeep Errors (STYLE.md §6).
// Pure function of its arguments; callable from any thread, never blocks. sqlite3.h stays
// out of this header: callers pass the code they got and, when they have it, the handle.
#pragma once

#include <string>
#include <string_view>

#include "base/disk_fault.hpp"
#include "base/error.hpp"

struct sqlite3;

namespace carekeep::sqlite {

// Maps a (possibly extended) SQLite result code to an Error whose message is
// "<what>: <sqlite's own message>". With `db`, the message is sqlite3_errmsg(db), which names
// the constraint or the missing table; without it, the generic text for `rc`.
Error to_error(int rc, std::string_view what, sqlite3* db = nullptr);

// Right after a call on `db` failed: whether it failed for a reason of the file system or
// the lock (SQLITE_FULL, IOERR, READONLY, CANTOPEN, BUSY, LOCKED), which may pass, rather than
// for one of the statement's own (a constraint, SQL, or no SQLite failure at all).
bool last_failure_transient(sqlite3* db);
// The disk fault behind that failure, from the errno SQLite kept of the file-system call that
// failed (sqlite3_system_errno); SQLITE_FULL is Full even without one. None when the last
// failure was not the disk's.
DiskFault last_disk_fault(sqlite3* db);

// The start of a statement or script for error messages, with leading comment lines
// skipped and whitespace folded: enough to find it in the source, short enough to read.
std::string sql_excerpt(std::string_view sql);

}  // namespace carekeep::sqlite
