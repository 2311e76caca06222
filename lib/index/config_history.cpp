// The config_version rows (index.hpp, "configuration history"): stored, chained and read here.
#include <algorithm>

#include "index/chain_store.hpp"
#include "index/index.hpp"
#include "index/query.hpp"

namespace carekeep::index {
namespace {

using sqlite::Statement;
using detail::failed;

constexpr std::string_view kVersionColumns = "id, loaded_us, source, uid, user, sha256, content";

ConfigVersionRow read_version(const Statement& q) {
  ConfigVersionRow v;
  v.id = q.column<std::int64_t>(0);
  v.loaded = from_us(q.column<std::int64_t>(1));
  v.source = q.column<std::string>(2);
  v.uid = q.column<std::optional<std::int64_t>>(3);
  v.user = q.column<std::optional<std::string>>(4);
  auto bytes = q.column<sqlite::Bytes>(5);  // the column's check fixes 32 bytes
  std::copy_n(bytes.begin(), std::min(bytes.size(), v.sha256.size()), v.sha256.begin());
  v.content = q.column<std::string>(6);
  return v;
}

Result<std::vector<ConfigVersionRow>> read_versions(sqlite::Connection& db, std::string_view sql,
                                                    std::string_view what) {
  return detail::query_rows<ConfigVersionRow>(db, sql, what, detail::no_parameters, read_version);
}

const std::string kLatestVersionSql =
    "select " + std::string(kVersionColumns) + " from config_version order by id desc limit 1";
const std::string kAllVersionsSql = "select " + std::string(kVersionColumns) + " from config_version order by id";
constexpr std::string_view kInsertVersionSql = R"sql(
  insert into config_version (loaded_us, source, uid, user, sha256, content)
  values (:loaded_us, :source, :uid, :user, :sha256, :content)
)sql";

}  // namespace

Result<std::optional<ConfigVersionRow>> Index::latest_config_version() {
  auto rows = read_versions(db_, kLatestVersionSql, "reading the latest configuration version");
  return detail::first_of(std::move(rows));
}

Result<std::vector<ConfigVersionRow>> Index::config_versions() {
  return read_versions(db_, kAllVersionsSql, "reading the configuration history");
}

Result<std::optional<ConfigVersionRow>> Index::store_config_version(const NewConfigVersion& version) {
  const std::string what = "storing the configuration loaded at " + std::string(to_string(version.source));
  auto tx = begin_unless_in_transaction();
  if (!tx) return failed(std::move(tx.error()), what);
  auto latest = latest_config_version();
  if (!latest) return failed(std::move(latest.error()), what);
  ConfigVersionRow row;
  row.loaded = version.loaded;
  row.source = std::string(to_string(version.source));
  row.uid = version.uid;
  row.user = version.user;
  row.sha256 = sha256_of(version.content);
  row.content = version.content;
  if (*latest && (*latest)->sha256 == row.sha256) return std::nullopt;  // the caller's transaction, if any, goes on
  auto q = db_.cached(kInsertVersionSql);
  if (!q) return failed(std::move(q.error()), what);
  (*q)->bind(":loaded_us", to_us(row.loaded))
      .bind(":source", std::string_view(row.source))
      .bind(":uid", row.uid)
      .bind(":user", row.user)
      .bind(":sha256", sqlite::Blob{row.sha256.data(), row.sha256.size()})
      .bind(":content", std::string_view(row.content));
  if (auto st = (*q)->run(); !st) return failed(std::move(st.error()), what);
  row.id = db_.last_insert_rowid();
  ChainEntry entry;
  entry.chain = std::string(kBoxChain);
  entry.time = row.loaded;
  entry.kind = "config";
  entry.config_id = row.id;
  entry.record = config_record(row);
  if (auto appended = detail::append_entry(db_, std::move(entry)); !appended)
    return failed(std::move(appended.error()), what);
  if (auto done = commit_if_owned(*tx, what); !done) return tl::unexpected(std::move(done.error()));
  return row;
}

}  // namespace carekeep::index
