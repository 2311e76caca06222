// The care_session rows (index.hpp, "Ad-hoc care sessions"; issue 17): started, ended, read and
// chained here. One session at a time: ad-hoc care is care of the whole site.
#include <algorithm>
#include <cstdint>

#include "index/chain_store.hpp"
#include "index/index.hpp"
#include "index/query.hpp"

namespace carekeep::index {
namespace {

using sqlite::Statement;
using detail::failed;

constexpr std::string_view kColumns =
    "id, started_us, limit_us, ended_us, end_reason, note, started_uid, started_user, ended_uid, ended_user";

CareSessionRow read_session(const Statement& q) {
  CareSessionRow c;
  c.id = q.column<std::int64_t>(0);
  c.started = from_us(q.column<std::int64_t>(1));
  c.limit = from_us(q.column<std::int64_t>(2));
  if (auto ended = q.column<std::optional<std::int64_t>>(3)) c.ended = from_us(*ended);
  if (auto reason = q.column<std::optional<std::string>>(4))
    c.end_reason = *reason == "stopped" ? CareSessionEnd::Stopped : CareSessionEnd::Limit;
  c.note = q.column<std::string>(5);
  c.started_uid = q.column<std::int64_t>(6);
  c.started_user = q.column<std::string>(7);
  c.ended_uid = q.column<std::optional<std::int64_t>>(8);
  c.ended_user = q.column<std::optional<std::string>>(9);
  return c;
}

template <class Bind>
Result<std::vector<CareSessionRow>> read_sessions(sqlite::Connection& db, std::string_view sql, std::string_view what,
                                                  Bind&& bind) {
  return detail::query_rows<CareSessionRow>(db, sql, what, std::forward<Bind>(bind), read_session);
}

const std::string kOpenSql = "select " + std::string(kColumns) + " from care_session where ended_us is null order by id";
// A session lasts at most this long (the schema's check): the lower bound on started_us lets
// the index on it bound the scan from both sides.
constexpr std::int64_t kMaxSessionUs = 86'400'000'000;
const std::string kByIdSql = "select " + std::string(kColumns) + " from care_session where id = :id";
const std::string kAllSql = "select " + std::string(kColumns) + " from care_session order by id";
// Care time [started_us, coalesce(ended_us, limit_us)) meets [from, to). started_us first: the
// index on it bounds the scan (a session lasts at most its limit, a day at most by config).
const std::string kInRangeSql = "select " + std::string(kColumns) +
                                " from care_session where started_us < :to_us and started_us > :from_us - :max_us"
                                " and coalesce(ended_us, limit_us) > :from_us order by started_us, id";
constexpr std::string_view kInsertSql = R"sql(
  insert into care_session (started_us, limit_us, note, started_uid, started_user)
  values (:started_us, :limit_us, :note, :started_uid, :started_user)
)sql";
constexpr std::string_view kEndSql = R"sql(
  update care_session set ended_us = :ended_us, end_reason = :end_reason, ended_uid = :ended_uid,
                          ended_user = :ended_user
  where id = :id and ended_us is null
)sql";

}  // namespace

Result<std::optional<CareSessionRow>> Index::open_care_session() {
  auto rows = read_sessions(db_, kOpenSql, "reading the open care session", [](Statement&) {});
  return detail::first_of(std::move(rows));
}

Result<std::vector<CareSessionRow>> Index::care_sessions(TimeRange range) {
  return read_sessions(db_, kInRangeSql, "reading care sessions", [&](Statement& q) {
    // A range from the dawn of time would overflow in SQL: clamp its start.
    q.bind(":from_us", std::max<std::int64_t>(to_us(range.from), INT64_MIN / 2))
        .bind(":to_us", to_us(range.to))
        .bind(":max_us", kMaxSessionUs);
  });
}

Result<std::vector<CareSessionRow>> Index::all_care_sessions() {
  return read_sessions(db_, kAllSql, "reading care sessions", [](Statement&) {});
}

Result<CareSessionRow> Index::start_care_session(const NewCareSession& session) {
  const std::string what = "starting a care session";
  if (session.limit <= session.started || to_us(session.limit) - to_us(session.started) > kMaxSessionUs)
    return fail(ErrorKind::InvalidArgument, "a care session's limit must be after its start, by at most 24 hours");
  auto tx = begin_unless_in_transaction();
  if (!tx) return failed(std::move(tx.error()), what);
  auto open = open_care_session();
  if (!open) return failed(std::move(open.error()), what);
  if (*open) {
    return fail(ErrorKind::FailedPrecondition,
                "care session " + std::to_string((*open)->id) + " is already open (started " +
                    format_utc_iso((*open)->started) + " by " + (*open)->started_user +
                    "); stop it first with `carekeep care stop`");
  }
  auto q = db_.cached(kInsertSql);
  if (!q) return failed(std::move(q.error()), what);
  (*q)->bind(":started_us", to_us(session.started))
      .bind(":limit_us", to_us(session.limit))
      .bind(":note", std::string_view(session.note))
      .bind(":started_uid", session.uid)
      .bind(":started_user", std::string_view(session.user));
  if (auto st = (*q)->run(); !st) return failed(std::move(st.error()), what);
  CareSessionRow row;
  row.id = db_.last_insert_rowid();
  row.started = session.started;
  row.limit = session.limit;
  row.note = session.note;
  row.started_uid = session.uid;
  row.started_user = session.user;
  if (auto chained = chain_care_session(row, "care_start", session.started); !chained)
    return failed(std::move(chained.error()), what);
  if (auto done = commit_if_owned(*tx, what); !done) return tl::unexpected(std::move(done.error()));
  return row;
}

Result<CareSessionRow> Index::end_care_session(std::int64_t id, UtcTime when, CareSessionEnd reason,
                                               std::optional<std::int64_t> uid,
                                               std::optional<std::string_view> user) {
  const std::string what = "ending care session " + std::to_string(id);
  auto tx = begin_unless_in_transaction();
  if (!tx) return failed(std::move(tx.error()), what);
  auto rows = read_sessions(db_, kByIdSql, what, [&](Statement& q) { q.bind(":id", id); });
  if (!rows) return tl::unexpected(std::move(rows.error()));
  if (rows->empty() || !rows->front().open())
    return fail(ErrorKind::NotFound, "no open care session " + std::to_string(id));
  CareSessionRow row = std::move(rows->front());
  // A stop before the start means the clock was stepped back since the session began (or is
  // being set back to shorten it): refused, so that nobody can erase care time that way; the
  // session then ends at its limit, or when the clock is right again. After its limit: the
  // limit, which is when it ended.
  if (when < row.started) {
    return fail(ErrorKind::FailedPrecondition,
                "the clock (" + format_utc_iso(when) + ") is before the start of care session " + std::to_string(id) +
                    " (" + format_utc_iso(row.started) + "): it was set back since; the session is kept until the "
                    "clock is right again or until its limit (" + format_utc_iso(row.limit) + ")");
  }
  row.ended = std::min(when, row.limit);
  row.end_reason = reason;
  row.ended_uid = uid;
  if (user) row.ended_user = std::string(*user);
  auto q = db_.cached(kEndSql);
  if (!q) return failed(std::move(q.error()), what);
  (*q)->bind(":ended_us", to_us(*row.ended))
      .bind(":end_reason", to_string(reason))
      .bind(":ended_uid", row.ended_uid)
      .bind(":ended_user", row.ended_user)
      .bind(":id", id);
  if (auto st = (*q)->run(); !st) return failed(std::move(st.error()), what);
  if (db_.changes() != 1) return fail(ErrorKind::NotFound, "no open care session " + std::to_string(id));
  // The entry is dated when it is written (the end may be a limit passed while the daemon was
  // down), so the box chain's times stay in the order of its entries.
  if (auto chained = chain_care_session(row, "care_end", std::max(when, *row.ended)); !chained)
    return failed(std::move(chained.error()), what);
  if (auto done = commit_if_owned(*tx, what); !done) return tl::unexpected(std::move(done.error()));
  return row;
}

Status Index::chain_care_session(const CareSessionRow& row, std::string_view kind, UtcTime time) {
  ChainEntry entry;
  entry.chain = std::string(kBoxChain);
  entry.time = time;
  entry.kind = std::string(kind);
  entry.care_session_id = row.id;
  entry.record = care_session_record(row);
  if (auto appended = detail::append_entry(db_, std::move(entry)); !appended) return tl::unexpected(appended.error());
  return ok();
}

}  // namespace carekeep::index
