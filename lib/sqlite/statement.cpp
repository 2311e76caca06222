#include "sqlite/statement.hpp"

#include <sqlite3.h>

#include <utility>

#include "sqlite/error.hpp"

namespace carekeep::sqlite {
Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), bind_error_(std::move(other.bind_error_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_error_ = std::move(other.bind_error_);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }  // a no-op on nullptr

void Statement::check_bind(int rc, int index) {
  if (rc == SQLITE_OK || bind_error_) return;
  bind_error_ = to_error(rc, "binding parameter " + std::to_string(index) + " of \"" +
                                 sql_excerpt(sql()) + "\"",
                         sqlite3_db_handle(stmt_));
}

int Statement::index_of(std::string_view name) {
  // sqlite3_bind_parameter_index needs a NUL-terminated name.
  int index = sqlite3_bind_parameter_index(stmt_, std::string(name).c_str());
  if (index == 0 && !bind_error_) {
    bind_error_ = Error{ErrorKind::Internal, "binding " + std::string(name) + ": no such parameter in \"" +
                                                 sql_excerpt(sql()) + "\""};
  }
  return index;
}

Statement& Statement::bind(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  check_bind(sqlite3_bind_double(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  check_bind(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
             index);
  return *this;
}

Statement& Statement::bind(int index, Blob blob) {
  // A zero-length blob from an empty span would bind NULL (data() may be nullptr); bind an
  // empty blob explicitly so "no bytes" and "unknown" stay different.
  int rc = blob.empty() ? sqlite3_bind_zeroblob(stmt_, index, 0)
                        : sqlite3_bind_blob64(stmt_, index, blob.data(), blob.size(), SQLITE_TRANSIENT);
  check_bind(rc, index);
  return *this;
}

Statement& Statement::bind(int index, std::nullopt_t) {
  check_bind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

Result<bool> Statement::step() {
  if (bind_error_) return tl::unexpected(*bind_error_);
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return tl::unexpected(to_error(rc, "running \"" + sql_excerpt(sql()) + "\"", sqlite3_db_handle(stmt_)));
}

Status Statement::run() {
  auto row = step();
  if (!row) return tl::unexpected(std::move(row.error()));
  if (*row) return fail(ErrorKind::Internal, "\"" + sql_excerpt(sql()) + "\" returned a row; use step()");
  return ok();
}

bool Statement::is_null(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

int Statement::column_count() const { return sqlite3_column_count(stmt_); }

std::int64_t Statement::column_int64(int index) const { return sqlite3_column_int64(stmt_, index); }

double Statement::column_double(int index) const { return sqlite3_column_double(stmt_, index); }

std::string_view Statement::column_view(int index) const {
  // Take the pointer first, then the size: sqlite3_column_bytes after _text is the documented
  // order that avoids a second type conversion invalidating the pointer.
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index));
  return text != nullptr ? std::string_view(text, size) : std::string_view();
}

std::string Statement::column_text(int index) const { return std::string(column_view(index)); }

Bytes Statement::column_blob(int index) const {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, index));
  auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index));
  return data != nullptr ? Bytes(data, data + size) : Bytes();
}

void Statement::reset() {
  // sqlite3_reset repeats the error of the last step, which step() already reported.
  sqlite3_reset(stmt_);
  bind_error_.reset();
}

void Statement::clear_bindings() { sqlite3_clear_bindings(stmt_); }

std::string_view Statement::sql() const {
  const char* text = sqlite3_sql(stmt_);
  return text != nullptr ? std::string_view(text) : std::string_view();
}

}  // namespace carekeep::sqlite
