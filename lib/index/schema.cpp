#include "index/schema.hpp"

#include <array>

#include "index/chain_store.hpp"
#include "index/embedded_sql.hpp"

namespace carekeep::index {

namespace {

// Migration 0006: the script, then an 'adopted' chain entry for every row that exists, so
// that a migrated index has a whole chain from the first open on (docs/evidence.md, Evidence
// chain, "Existing indexes"). SQL alone cannot compute SHA-256, hence code.
Status migrate_0006(sqlite::Connection& db) {
  if (auto st = db.exec(embedded::kMigration0006Sql); !st) return st;
  return detail::adopt_existing_rows(db, SystemClock{}.now());
}

// Migration 0012: the script, then an 'opened' chain entry for every open row that exists, so
// that recovery, which now refuses an open row outside the chain, still repairs a crash that
// happened before the upgrade.
Status migrate_0012(sqlite::Connection& db) {
  if (auto st = db.exec(embedded::kMigration0012Sql); !st) return st;
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
