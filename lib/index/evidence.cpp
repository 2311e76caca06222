#include <algorithm>
#include <memory>

#include "index/chain_store.hpp"
#include "index/index.hpp"
#include "index/query.hpp"

namespace carekeep::index {
namespace {

using sqlite::Statement;
using detail::put_int;
using detail::put_text;

using detail::failed;

std::optional<Sha256> hash_column(const Statement& q, int column) {
  if (q.is_null(column)) return std::nullopt;
  auto bytes = q.column<sqlite::Bytes>(column);
  Sha256 out{};
  if (bytes.size() != out.size()) return std::nullopt;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

sqlite::Blob blob(const Sha256& hash) { return {hash.data(), hash.size()}; }

constexpr std::string_view kAccessColumns =
    "id, time_us, uid, user, action, arguments, result, prev_hash, hash";

AccessLogRow read_access(const Statement& q) {
  AccessLogRow row;
  row.id = q.column<std::int64_t>(0);
  row.time = from_us(q.column<std::int64_t>(1));
  row.uid = q.column<std::int64_t>(2);
  row.user = q.column<std::string>(3);
  row.action = q.column<std::string>(4);
  row.arguments = q.column<std::string>(5);
  row.result = q.column<std::string>(6);
  // A wrong length cannot pass the column's check; an edited file is caught by the walk.
  row.prev_hash = hash_column(q, 7).value_or(Sha256{});
  row.hash = hash_column(q, 8).value_or(Sha256{});
  return row;
}

// Each row read whole, a statement's failure named by `what` (index/query.hpp).
template <class Bind, class Read>
auto query_all(sqlite::Connection& db, std::string_view sql, std::string_view what, Bind&& bind, Read&& read) {
  using Row = std::decay_t<decltype(read(std::declval<const Statement&>()))>;
  return detail::query_rows<Row>(db, sql, what, std::forward<Bind>(bind), std::forward<Read>(read));
}

}  // namespace

Sha256 access_log_hash(const AccessLogRow& row) {
  std::string bytes(reinterpret_cast<const char*>(row.prev_hash.data()), row.prev_hash.size());
  put_int(bytes, row.id);
  put_int(bytes, to_us(row.time));
  put_int(bytes, row.uid);
  put_text(bytes, row.user);
  put_text(bytes, row.action);
  put_text(bytes, row.arguments);
  put_text(bytes, row.result);
  return sha256_of(bytes);
}

const std::string kLastAccessSql = "select " + std::string(kAccessColumns) + " from access_log order by id desc limit 1";
const std::string kLastAccessOfActionSql =
    "select " + std::string(kAccessColumns) + " from access_log where action = :action order by id desc limit 1";
// The next id is taken from sqlite_sequence, not max(id): AUTOINCREMENT never reuses an id,
// and the hash covers the id, so it must be known before the insert.
constexpr std::string_view kNextAccessIdSql =
    "select coalesce((select seq from sqlite_sequence where name = 'access_log'), 0) + 1";
constexpr std::string_view kInsertAccessSql = R"sql(
  insert into access_log (id, time_us, uid, user, action, arguments, result, prev_hash, hash)
  values (:id, :time_us, :uid, :user, :action, :arguments, :result, :prev_hash, :hash)
)sql";

Result<std::optional<AccessLogRow>> Index::last_access_log() {
  auto rows = query_all(db_, kLastAccessSql, "reading the access log tip", [](Statement&) {}, read_access);
  return detail::first_of(std::move(rows));
}

Result<AccessLogRow> Index::append_access_log(const NewAccessEntry& entry) {
  const std::string what = "recording " + entry.action + " in the access log";
  auto tx = begin_unless_in_transaction();
  if (!tx) return failed(std::move(tx.error()), what);
  auto last = last_access_log();
  if (!last) return failed(std::move(last.error()), what);
  auto next = db_.query_int64(kNextAccessIdSql);
  if (!next) return failed(std::move(next.error()), what);
  AccessLogRow row;
  row.id = *next;
  row.time = entry.time;
  row.uid = entry.uid;
  row.user = entry.user;
  row.action = entry.action;
  row.arguments = entry.arguments.empty() ? "{}" : entry.arguments;
  row.result = entry.result;
  row.prev_hash = *last ? (*last)->hash : Sha256{};
  row.hash = access_log_hash(row);
  auto q = db_.cached(kInsertAccessSql);
  if (!q) return failed(std::move(q.error()), what);
  (*q)->bind(":id", row.id)
      .bind(":time_us", to_us(row.time))
      .bind(":uid", row.uid)
      .bind(":user", std::string_view(row.user))
      .bind(":action", std::string_view(row.action))
      .bind(":arguments", std::string_view(row.arguments))
      .bind(":result", std::string_view(row.result))
      .bind(":prev_hash", blob(row.prev_hash))
      .bind(":hash", blob(row.hash));
  if (auto st = (*q)->run(); !st) return failed(std::move(st.error()), what);
  if (*tx) {
    if (auto st = (*tx)->commit(); !st) return failed(std::move(st.error()), what);
  }
  return row;
}

const std::string kAccessInRangeSql = "select " + std::string(kAccessColumns) +
                                      " from access_log where time_us >= :from_us and time_us < :to_us order by id";

Result<std::vector<AccessLogRow>> Index::access_log(TimeRange range) {
  return query_all(
      db_, kAccessInRangeSql, "reading the access log",
      [&](Statement& q) { q.bind(":from_us", to_us(range.from)).bind(":to_us", to_us(range.to)); }, read_access);
}

const std::string kAllAccessSql = "select " + std::string(kAccessColumns) + " from access_log order by id";

Result<std::vector<AccessLogFinding>> Index::verify_access_log() {
  std::vector<AccessLogFinding> findings;
  auto q = db_.cached(kAllAccessSql);
  if (!q) return failed(std::move(q.error()), "verifying the access log");
  Sha256 previous{};
  std::int64_t expected_id = 1;
  for (;;) {
    auto step = (*q)->step();
    if (!step) return failed(std::move(step.error()), "verifying the access log");
    if (!*step) break;
    auto row = read_access(**q);
    if (row.id != expected_id) {
      findings.push_back({row.id, "rows " + std::to_string(expected_id) + ".." + std::to_string(row.id - 1) +
                                      " are missing (removed from the log)"});
    }
    if (row.prev_hash != previous) findings.push_back({row.id, "prev_hash does not match the previous row's hash"});
    if (access_log_hash(row) != row.hash) findings.push_back({row.id, "hash does not match the row's contents (edited)"});
    previous = row.hash;
    expected_id = row.id + 1;
  }
  // Rows removed at the end leave no successor to notice; sqlite_sequence remembers them.
  auto seq = db_.query_int64(kNextAccessIdSql);
  if (seq && *seq > expected_id) {
    findings.push_back({expected_id, "rows " + std::to_string(expected_id) + ".." + std::to_string(*seq - 1) +
                                         " are missing at the end of the log"});
  }
  return findings;
}

constexpr std::string_view kChainTipSql = R"sql(
  select id, chain_sha256 from segment
  where camera_id = :camera_id and chain_sha256 is not null order by id desc limit 1
)sql";

Result<std::optional<std::pair<SegmentId, Sha256>>> Index::chain_tip(std::string_view camera_id) {
  auto rows = query_all(
      db_, kChainTipSql, "camera " + std::string(camera_id) + ": reading the chain tip",
      [&](Statement& q) { q.bind(":camera_id", camera_id); },
      [](const Statement& q) { return std::pair{q.column<std::int64_t>(0), hash_column(q, 1).value_or(Sha256{})}; });
  return detail::first_of(std::move(rows));
}

constexpr std::string_view kInsertAnchorSql = R"sql(
  insert into integrity_anchor (time_us, camera_id, tip_segment_id, chain_sha256, access_log_id, access_log_hash,
                                signature, key_fingerprint, format, seq, prev_anchor_sha256, entry_seq, entry_sha256,
                                box_entry_seq, box_entry_sha256)
  values (:time_us, :camera_id, :tip_segment_id, :chain_sha256, :access_log_id, :access_log_hash, :signature,
          :key_fingerprint, :format, :seq, :prev_anchor_sha256, :entry_seq, :entry_sha256, :box_entry_seq,
          :box_entry_sha256)
)sql";

Result<std::int64_t> Index::insert_anchor(const NewAnchor& anchor) {
  const std::string what = "camera " + anchor.camera_id + ": storing the integrity anchor";
  auto q = db_.cached(kInsertAnchorSql);
  if (!q) return failed(std::move(q.error()), what);
  (*q)->bind(":time_us", to_us(anchor.time))
      .bind(":camera_id", std::string_view(anchor.camera_id))
      .bind(":tip_segment_id", anchor.tip_segment_id)
      .bind(":access_log_id", anchor.access_log_id)
      .bind(":signature", sqlite::Blob{anchor.signature.data(), anchor.signature.size()})
      .bind(":key_fingerprint", std::string_view(anchor.key_fingerprint));
  auto bind_hash = [&](const char* name, const std::optional<Sha256>& hash) {
    if (hash) (*q)->bind(name, blob(*hash));
    else (*q)->bind(name, std::nullopt);
  };
  bind_hash(":chain_sha256", anchor.chain_sha256);
  bind_hash(":access_log_hash", anchor.access_log_hash);
  bind_hash(":prev_anchor_sha256", anchor.prev_anchor_sha256);
  bind_hash(":entry_sha256", anchor.entry_sha256);
  bind_hash(":box_entry_sha256", anchor.box_entry_sha256);
  (*q)->bind(":format", std::int64_t{anchor.format})
      .bind(":seq", anchor.seq)
      .bind(":entry_seq", anchor.entry_seq)
      .bind(":box_entry_seq", anchor.box_entry_seq);
  if (auto st = (*q)->run(); !st) return failed(std::move(st.error()), what);
  return db_.last_insert_rowid();
}

constexpr std::string_view kAnchorsSql = R"sql(
  select id, time_us, camera_id, tip_segment_id, chain_sha256, access_log_id, access_log_hash, signature,
         key_fingerprint, format, seq, prev_anchor_sha256, entry_seq, entry_sha256, box_entry_seq, box_entry_sha256
  from integrity_anchor where :camera_id is null or camera_id = :camera_id order by id
)sql";

constexpr std::string_view kEvidenceCamerasSql = R"sql(
  select id from camera
  union select camera_id from segment
  union select chain from chain_entry where chain <> ''
  union select camera_id from integrity_anchor
  order by 1
)sql";

Result<std::vector<std::string>> Index::evidence_cameras() {
  return query_all(
      db_, kEvidenceCamerasSql, "listing the cameras the evidence names", [](Statement&) {},
      [](const Statement& q) { return q.column<std::string>(0); });
}

Result<std::vector<AnchorRow>> Index::anchors(std::optional<std::string_view> camera_id) {
  return query_all(
      db_, kAnchorsSql, "reading integrity anchors",
      [&](Statement& q) {
        if (camera_id) q.bind(":camera_id", *camera_id);
        else q.bind(":camera_id", std::nullopt);
      },
      [](const Statement& q) {
        AnchorRow row;
        row.id = q.column<std::int64_t>(0);
        row.anchor.time = from_us(q.column<std::int64_t>(1));
        row.anchor.camera_id = q.column<std::string>(2);
        row.anchor.tip_segment_id = q.column<std::optional<std::int64_t>>(3);
        row.anchor.chain_sha256 = hash_column(q, 4);
        row.anchor.access_log_id = q.column<std::optional<std::int64_t>>(5);
        row.anchor.access_log_hash = hash_column(q, 6);
        auto sig = q.column<sqlite::Bytes>(7);
        std::copy_n(sig.begin(), std::min(sig.size(), row.anchor.signature.size()), row.anchor.signature.begin());
        row.anchor.key_fingerprint = q.column<std::string>(8);
        row.anchor.format = static_cast<int>(q.column<std::int64_t>(9));
        row.anchor.seq = q.column<std::optional<std::int64_t>>(10);
        row.anchor.prev_anchor_sha256 = hash_column(q, 11);
        row.anchor.entry_seq = q.column<std::optional<std::int64_t>>(12);
        row.anchor.entry_sha256 = hash_column(q, 13);
        row.anchor.box_entry_seq = q.column<std::optional<std::int64_t>>(14);
        row.anchor.box_entry_sha256 = hash_column(q, 15);
        return row;
      });
}

constexpr std::string_view kAccessRowByIdSql =
    "select id, time_us, uid, user, action, arguments, result, prev_hash, hash from access_log where id = :id";

Result<std::optional<AccessLogRow>> Index::access_log_row(std::int64_t id) {
  auto rows = query_all(
      db_, kAccessRowByIdSql, "reading the access log", [&](Statement& q) { q.bind(":id", id); }, read_access);
  return detail::first_of(std::move(rows));
}

Result<std::optional<AccessLogRow>> Index::last_access_log(std::string_view action) {
  auto rows = query_all(
      db_, kLastAccessOfActionSql, "reading the access log",
      [&](Statement& q) { q.bind(":action", action); }, read_access);
  return detail::first_of(std::move(rows));
}

}  // namespace carekeep::index
