// index/embedded_sql: the .sql files of lib/index, compiled in by embed_sql.cmake.
// Constants only; the SQL text is exactly the file's content, comments included.
// Private to the index module and its tests: everyone else goes through schema.hpp.
#pragma once

#include <string_view>

namespace carekeep::index::embedded {

extern const std::string_view kSchemaSql;         // schema.sql: the current schema, documented
extern const std::string_view kMigration0001Sql;  // migrations/0001_initial.sql
extern const std::string_view kMigration0002Sql;  // migrations/0002_retention.sql
extern const std::string_view kMigration0003Sql;  // migrations/0003_content.sql
extern const std::string_view kMigration0004Sql;  // migrations/0004_read_indexes.sql
extern const std::string_view kMigration0005Sql;  // migrations/0005_clock_trust.sql
extern const std::string_view kMigration0006Sql;  // migrations/0006_evidence_chain.sql (run by schema.cpp)
extern const std::string_view kMigration0007Sql;  // migrations/0007_config_history.sql
extern const std::string_view kMigration0008Sql;  // migrations/0008_inspector_holds.sql
extern const std::string_view kMigration0009Sql;  // migrations/0009_care_sessions.sql
extern const std::string_view kMigration0010Sql;  // migrations/0010_clock_boot.sql
extern const std::string_view kMigration0011Sql;  // migrations/0011_web_accounts.sql
extern const std::string_view kMigration0012Sql;  // migrations/0012_segment_checkpoint.sql (run by schema.cpp)

}  // namespace carekeep::index::embedded
