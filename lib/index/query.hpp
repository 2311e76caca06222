// index/query: the small statement helpers every file of the index module shares (index.cpp,
// evidence.cpp, chain.cpp, care_sessions.cpp, config_history.cpp). For the index module only.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "sqlite/connection.hpp"

namespace carekeep::index::detail {

// Every failure of the index names what it was doing.
inline tl::unexpected<Error> failed(Error error, std::string_view what) {
  return tl::unexpected(std::move(error).with_context(what));
}

inline std::optional<std::int64_t> opt_us(const std::optional<UtcTime>& t) {
  if (!t) return std::nullopt;
  return to_us(*t);
}

inline UtcTime time_at(const sqlite::Statement& q, int column) { return from_us(q.column<std::int64_t>(column)); }

inline std::optional<UtcTime> opt_time_at(const sqlite::Statement& q, int column) {
  if (q.is_null(column)) return std::nullopt;
  return time_at(q, column);
}

// For queries without parameters.
inline constexpr auto no_parameters = [](sqlite::Statement&) {};

// Runs one cached write statement whose parameters `bind` fills in.
template <class Bind>
Status run_write(sqlite::Connection& db, std::string_view sql, std::string_view what, Bind&& bind) {
  auto q = db.cached(sql);
  if (!q) return failed(std::move(q.error()), what);
  bind(**q);
  if (auto st = (*q)->run(); !st) return failed(std::move(st.error()), what);
  return ok();
}

// Like run_write, for updates of one row by id: NotFound when no row matched.
template <class Bind>
Status update_one(sqlite::Connection& db, std::string_view sql, std::string_view what, Bind&& bind) {
  if (auto st = run_write(db, sql, what, std::forward<Bind>(bind)); !st) return st;
  if (db.changes() == 0) return fail(ErrorKind::NotFound, std::string(what) + ": no such row");
  return ok();
}

// Runs one cached query and turns each row into a T with `read`, which returns a T or a
// Result<T> (a row that cannot be read fails the whole query, naming `what`).
template <class T, class Bind, class Read>
Result<std::vector<T>> query_rows(sqlite::Connection& db, std::string_view sql, std::string_view what, Bind&& bind,
                                  Read&& read) {
  auto q = db.cached(sql);
  if (!q) return failed(std::move(q.error()), what);
  bind(**q);
  std::vector<T> rows;
  for (;;) {
    auto row = (*q)->step();
    if (!row) return failed(std::move(row.error()), what);
    if (!*row) return rows;
    if constexpr (std::is_same_v<std::decay_t<std::invoke_result_t<Read&, const sqlite::Statement&>>, T>) {
      rows.push_back(read(**q));
    } else {
      auto value = read(**q);
      if (!value) return failed(std::move(value.error()), what);
      rows.push_back(std::move(*value));
    }
  }
}

// The first row of a query that reads at most one (by key, `limit 1`), or none.
template <class T>
Result<std::optional<T>> first_of(Result<std::vector<T>> rows) {
  if (!rows) return tl::unexpected(std::move(rows.error()));
  if (rows->empty()) return std::nullopt;
  return std::move(rows->front());
}

}  // namespace carekeep::index::detail
