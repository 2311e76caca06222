#include "index/schema.hpp"

#include <array>
#include <string>
#include <string_view>

#include "index/chain_store.hpp"
#include "index/embedded_sql.hpp"

namespace carekeep::index {

namespace {

// `text` inside a single-quoted SQL literal.
std::string sql_quoted(std::string_view text) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out;
}

// Migration 0006: the script, then an 'adopted' chain entry for every row that exists, so
// that a migrated index has a whole chain from the first open on (docs/evidence.md, Evidence
// chain, "Existing indexes"). SQL alone cannot compute SHA-256, hence code.
Status migrate_0006(sqlite::Connection& db) {
  if (auto st = db.exec(embedded::kMigration0006Sql); !st) return st;
  return detail::adopt_existing_rows(db, SystemClock{}.now());
}

// Migration 0012: the script; chain_entry's kind CHECK widened to allow 'opened'; then an
// 'opened' chain entry for every open row that exists, so that recovery, which now refuses an
// open row outside the chain, still repairs a crash that happened before the upgrade.
//
// The CHECK is widened by editing the table's text in sqlite_schema (SQLite, "ALTER TABLE",
// "Making other kinds of table schema changes": writable_schema, then schema_version + 1, in
// one transaction). That is safe here because every stored row satisfies the wider constraint
// and the on-disk format does not change; rebuilding the table instead (as 0007 and 0009 did)
// copies every entry, minutes on a box with millions of them, before the daemon is READY.
Status migrate_0012(sqlite::Connection& db) {
  if (auto st = db.exec(embedded::kMigration0012Sql); !st) return st;
  constexpr std::string_view kOld = "'adopted', 'closed'";
  constexpr std::string_view kNew = "'adopted', 'opened', 'closed'";
  auto version = db.query_int64("pragma schema_version");
  if (!version) return tl::unexpected(std::move(version.error()));
  if (auto st = db.exec("pragma writable_schema = on"); !st) return st;
  auto widened = db.exec("update sqlite_schema set sql = replace(sql, '" + sql_quoted(kOld) + "', '" + sql_quoted(kNew) +
                         "') where type = 'table' and name = 'chain_entry' and instr(sql, '" + sql_quoted(kOld) + "') > 0");
  auto changed = db.changes();
  auto bumped = widened ? db.exec("pragma schema_version = " + std::to_string(*version + 1)) : widened;
  // Off again whatever happened: nothing else may write the schema table.
  if (auto st = db.exec("pragma writable_schema = off"); !st) return st;
  if (!bumped) return bumped;
  if (changed != 1) {
    return fail(ErrorKind::DataLoss, "migration 0012: chain_entry's definition is not the one carekeep wrote (its kind "
                                     "list does not begin with 'adopted', 'closed')");
  }
  return detail::chain_existing_open_rows(db, SystemClock{}.now());
}

}  // namespace

const sqlite::SchemaHistory& schema_history() {
  // Append only: an entry's position is the version it produces, and released files depend on
  // it. Frozen copies of each version live in tests/data/schema/ for the migration test.
  static const std::array<sqlite::Migration, 12> kMigrations{{
      {"0001_initial", embedded::kMigration0001Sql},
      {"0002_retention", embedded::kMigration0002Sql},
      {"0003_content", embedded::kMigration0003Sql},
      {"0004_read_indexes", embedded::kMigration0004Sql},
      {"0005_clock_trust", embedded::kMigration0005Sql},
      {"0006_evidence_chain", std::function<Status(sqlite::Connection&)>(migrate_0006)},
      {"0007_config_history", embedded::kMigration0007Sql},
      {"0008_inspector_holds", embedded::kMigration0008Sql},
      {"0009_care_sessions", embedded::kMigration0009Sql},
      {"0010_clock_boot", embedded::kMigration0010Sql},
      {"0011_web_accounts", embedded::kMigration0011Sql},
      {"0012_segment_checkpoint", std::function<Status(sqlite::Connection&)>(migrate_0012)},
  }};
  static const sqlite::SchemaHistory kHistory{kApplicationId, kMigrations};
  return kHistory;
}

std::string_view schema_sql() { return embedded::kSchemaSql; }

}  // namespace carekeep::index
