#include "index/schema.hpp"

#include <array>

#include "index/embedded_sql.hpp"

namespace carekeep::index {

const sqlite::SchemaHistory& schema_history() {
  // Append only: an entry's position is the version it produces, and released files depend on
  // it. Frozen copies of each version live in tests/data/schema/ for the migration test.
  static const std::array<sqlite::Migration, 5> kMigrations{{
      {"0001_initial", embedded::kMigration0001Sql},
      {"0002_retention", embedded::kMigration0002Sql},
      {"0003_content", embedded::kMigration0003Sql},
      {"0004_read_indexes", embedded::kMigration0004Sql},
      {"0005_clock_trust", embedded::kMigration0005Sql},
  }};
  static const sqlite::SchemaHistory kHistory{kApplicationId, kMigrations};
  return kHistory;
}

std::string_view schema_sql() { return embedded::kSchemaSql; }

}  // namespace carekeep::index
