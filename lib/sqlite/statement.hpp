// sqlite/statement: a prepared statement, move-only, finalized in its destructor.
// Used by the thread that owns its Connection (a connection is never shared across
// threads); step() blocks on disk I/O and, for writes, on busy_timeout.
// Binds record their first failure and step() reports it, so call sites chain binds and
// check once. Values are copied at bind time (SQLITE_TRANSIENT): nothing needs to outlive a bind.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

struct sqlite3_stmt;

namespace carekeep::sqlite {

using Blob = std::span<const std::uint8_t>;
using Bytes = std::vector<std::uint8_t>;

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters by 1-based index ...
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, Blob blob);
  Statement& bind(int index, std::nullopt_t);
  template <std::integral T>
  Statement& bind(int index, T value) {
    return bind(index, static_cast<std::int64_t>(value));
  }
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, std::nullopt);
  }
  // ... or by name, spelled as in the SQL, prefix included: bind(":camera_id", id).
  template <class T>
  Statement& bind(std::string_view name, const T& value) {
    if (int index = index_of(name); index > 0) bind(index, value);
    return *this;
  }

  // true: a row is available through the column getters; false: the statement is done.
  // Reports the first failed bind, if any, before running anything.
  Result<bool> step();
  // For statements that return no rows (insert, update, delete, DDL).
  Status run();

  // Column values of the current row, 0-based. T is one of std::int64_t (or another
  // integral type), double, std::string, Bytes, or std::optional of those (NULL -> nullopt).
  // A NULL read as a non-optional is 0, "" or empty, as SQLite converts it.
  // std::string_view is the text without a copy, valid until the next step(), reset() or
  // column read of the same index (for hot loops that only compare or parse it).
  template <class T>
  T column(int index) const;
  bool is_null(int index) const;
  int column_count() const;

  // Makes the statement runnable again; keeps the bindings (clear_bindings() drops them).
  void reset();
  void clear_bindings();

  std::string_view sql() const;

 private:
  friend class Connection;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}

  int index_of(std::string_view name);
  void check_bind(int rc, int index);

  std::int64_t column_int64(int index) const;
  double column_double(int index) const;
  std::string column_text(int index) const;
  std::string_view column_view(int index) const;
  Bytes column_blob(int index) const;

  sqlite3_stmt* stmt_ = nullptr;
  std::optional<Error> bind_error_;  // the first failed bind since the last reset
};

template <class T>
T Statement::column(int index) const {
  if constexpr (std::same_as<T, std::string>) {
    return column_text(index);
  } else if constexpr (std::same_as<T, std::string_view>) {
    return column_view(index);
  } else if constexpr (std::same_as<T, Bytes>) {
    return column_blob(index);
  } else if constexpr (std::same_as<T, double>) {
    return column_double(index);
  } else if constexpr (std::integral<T>) {
    return static_cast<T>(column_int64(index));
  } else {
    // std::optional<U>: the only remaining supported shape.
    using U = typename T::value_type;
    if (is_null(index)) return std::nullopt;
    return column<U>(index);
  }
}

}  // namespace carekeep::sqlite
