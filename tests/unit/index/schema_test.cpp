#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "index/index.hpp"
#include "index/schema.hpp"
#include "sqlite/connection.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using index::Index;
using sqlite::Connection;

namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::filesystem::path frozen_schema(int version) {
  return std::filesystem::path(CAREKEEP_SOURCE_DIR) / "tests/data/schema" / ("v" + std::to_string(version) + ".sql");
}

// Removes -- comments and folds whitespace, so that the comparison sees the schema and not
// its documentation: schema.sql may explain a column better than the migration that made it.
std::string normalize_sql(std::string_view sql) {
  std::string out;
  bool in_string = false;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (!in_string && c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
      c = ' ';
    }
    if (c == '\'') in_string = !in_string;
    bool space = !in_string && (c == ' ' || c == '\n' || c == '\t' || c == '\r');
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
      continue;
    }
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// One line per schema object: "type name on tbl_name: normalized sql".
std::vector<std::string> schema_of(Connection& db) {
  auto q = db.prepare("select type, name, tbl_name, coalesce(sql, '') from sqlite_schema order by name");
  REQUIRE(q);
  std::vector<std::string> objects;
  while (q->step().value()) {
    objects.push_back(q->column<std::string>(0) + " " + q->column<std::string>(1) + " on " +
                      q->column<std::string>(2) + ": " + normalize_sql(q->column<std::string>(3)));
  }
  return objects;
}

// A database made from schema.sql directly: what the current schema says a file looks like.
std::vector<std::string> reference_schema(const test::TempDir& dir) {
  auto db = Connection::open_writer(dir / "reference.db");
  REQUIRE(db);
  REQUIRE(db->exec(index::schema_sql()));
  return schema_of(*db);
}

// Reports each differing object on its own, instead of two lists of 30 long lines.
void check_same_schema(const std::vector<std::string>& migrated, const std::vector<std::string>& expected) {
  auto has = [](const std::vector<std::string>& objects, const std::string& object) {
    return std::find(objects.begin(), objects.end(), object) != objects.end();
  };
  for (const auto& object : expected) {
    INFO("in schema.sql but missing or different after migration: " << object);
    CHECK(has(migrated, object));
  }
  for (const auto& object : migrated) {
    INFO("after migration but not in schema.sql: " << object);
    CHECK(has(expected, object));
  }
}

void build_from_frozen(const std::filesystem::path& path, int version) {
  auto db = Connection::open_writer(path);
  REQUIRE(db);
  auto frozen = test::read_text(frozen_schema(version));
  REQUIRE_FALSE(frozen.empty());
  REQUIRE(db->exec(frozen));
  REQUIRE(db->exec("pragma user_version = " + std::to_string(version)));
  if (version > 0) REQUIRE(db->exec("pragma application_id = " + std::to_string(index::kApplicationId)));
}

}  // namespace

TEST_CASE("a fresh index is marked, versioned, in WAL mode and has every table", "[db]") {
  test::TempDir dir;
  auto index = Index::open_writer(dir / "index.db");
  REQUIRE(index);
  auto& db = index->connection();
  CHECK(db.query_int64("pragma application_id").value() == index::kApplicationId);
  CHECK(db.query_int64("pragma user_version").value() == index::schema_version());
  CHECK(db.query_text("pragma journal_mode").value() == "wal");
  CHECK(db.query_int64("pragma recursive_triggers").value() == 1);
  auto fk_violations = db.prepare("pragma foreign_key_check");
  REQUIRE(fk_violations);
  CHECK_FALSE(fk_violations->step().value());
  for (std::string table : {"camera", "daemon_run", "run", "segment", "camera_event", "clock_event", "zone_gap",
                            "hold", "access_log", "integrity_anchor", "alert", "content_fault", "config_version"}) {
    CAPTURE(table);
    CHECK(db.query_int64("select count(*) from sqlite_schema where type = 'table' and name = '" + table + "'")
              .value() == 1);
  }
}

TEST_CASE("every frozen schema migrates to exactly the current schema.sql", "[db]") {
  test::TempDir dir;
  auto expected = reference_schema(dir);
  REQUIRE(expected.size() > 20);
  for (int version = 0; version <= index::schema_version(); ++version) {
    CAPTURE(version);
    auto path = dir / ("v" + std::to_string(version) + ".db");
    build_from_frozen(path, version);
    auto index = Index::open_writer(path);
    REQUIRE(index);
    CHECK(index->connection().query_int64("pragma user_version").value() == index::schema_version());
    CHECK(index->connection().query_int64("pragma application_id").value() == index::kApplicationId);
    check_same_schema(schema_of(index->connection()), expected);
  }
  // A frozen copy of the newest version exists, so the next migration has something to start from.
  CHECK(std::filesystem::exists(frozen_schema(static_cast<int>(index::schema_version()))));
}

TEST_CASE("an index from a newer carekeep is refused by writers and readers", "[db]") {
  test::TempDir dir;
  auto path = dir / "index.db";
  {
    auto index = Index::open_writer(path);
    REQUIRE(index);
    REQUIRE(index->connection().exec("pragma user_version = 99"));
  }
  std::string expected = "index " + path.string() + " has schema version 99 but this carekeep understands up to " +
                         std::to_string(index::schema_version()) + "; upgrade carekeep or point it at another index";
  auto writer = Index::open_writer(path);
  REQUIRE_FALSE(writer);
  CHECK(writer.error().kind == ErrorKind::FailedPrecondition);
  CHECK(writer.error().message == expected);
  auto reader = Index::open_reader(path);
  REQUIRE_FALSE(reader);
  CHECK(reader.error().message == expected);
}

TEST_CASE("a database of another application is not taken for an index", "[db]") {
  test::TempDir dir;
  auto path = dir / "other.db";
  {
    auto db = Connection::open_writer(path);
    REQUIRE(db);
    REQUIRE(db->exec("pragma application_id = 42; create table photo (x integer);"));
  }
  auto writer = Index::open_writer(path);
  REQUIRE_FALSE(writer);
  CHECK(writer.error().kind == ErrorKind::FailedPrecondition);
  CHECK(contains(writer.error().message, path.string() + " is not a carekeep index"));
  auto reader = Index::open_reader(path);
  REQUIRE_FALSE(reader);
  CHECK(contains(reader.error().message, "is not a carekeep index"));
  auto db = Connection::open_reader(path);
  REQUIRE(db);
  CHECK(db->query_int64("select count(*) from sqlite_schema").value() == 1);  // untouched
}

TEST_CASE("a reader refuses a missing index and names the next step", "[db]") {
  test::TempDir dir;
  auto reader = Index::open_reader(dir / "index.db");
  REQUIRE_FALSE(reader);
  CHECK(reader.error().kind == ErrorKind::NotFound);
  CHECK(reader.error().message ==
        "no index at " + (dir / "index.db").string() + "; is this the daemon's data directory?");
}

TEST_CASE("every column in schema.sql carries a comment saying why", "[db]") {
  test::TempDir dir;
  auto db = Connection::open_writer(dir / "reference.db");
  REQUIRE(db);
  REQUIRE(db->exec(index::schema_sql()));
  std::string schema(index::schema_sql());
  auto tables = db->prepare("select name from sqlite_schema where type = 'table' and name not like 'sqlite_%'");
  REQUIRE(tables);
  while (tables->step().value()) {
    auto table = tables->column<std::string>(0);
    auto start = schema.find("create table " + table + " (");
    REQUIRE(start != std::string::npos);
    auto block = schema.substr(start, schema.find(") strict;", start) - start);
    auto columns = db->prepare("select name from pragma_table_info('" + table + "')");
    REQUIRE(columns);
    while (columns->step().value()) {
      auto column = columns->column<std::string>(0);
      CAPTURE(table, column);
      // The definition runs from the line naming the column up to the next column's line.
      std::regex line_start("\n  " + column + " ");
      std::smatch match;
      REQUIRE(std::regex_search(block, match, line_start));
      auto from = static_cast<std::size_t>(match.position(0)) + 1;
      auto next = block.find("\n  ", from);
      while (next != std::string::npos && block.compare(next + 3, 1, " ") == 0) next = block.find("\n  ", next + 1);
      auto definition = block.substr(from, next == std::string::npos ? std::string::npos : next - from);
      CHECK(contains(definition, "--"));
    }
  }
}

TEST_CASE("the access log and the integrity anchors are append-only", "[db]") {
  test::TempDir dir;
  auto index = Index::open_writer(dir / "index.db");
  REQUIRE(index);
  auto& db = index->connection();
  REQUIRE(db.exec(R"sql(
    insert into access_log (time_us, uid, user, action, arguments, result, prev_hash, hash)
    values (1, 1000, 'inspector', 'export', '{"camera":"nap-1"}', 'ok', zeroblob(32), zeroblob(32));
    insert into camera (id, name, first_seen_us) values ('nap-1', 'nap', 0);
    insert into integrity_anchor (time_us, camera_id, signature, key_fingerprint)
    values (1, 'nap-1', zeroblob(64), 'ab');
  )sql"));
  auto refused = GENERATE(as<std::string>{}, "update access_log set result = 'denied'", "delete from access_log",
                          "insert or replace into access_log (id, time_us, uid, user, action, result, prev_hash, hash) "
                          "values (1, 2, 0, 'root', 'export', 'ok', zeroblob(32), zeroblob(32))",
                          "update integrity_anchor set key_fingerprint = 'cd'", "delete from integrity_anchor");
  CAPTURE(refused);
  auto st = db.exec(refused);
  REQUIRE_FALSE(st);
  CHECK(st.error().kind == ErrorKind::Internal);
  CHECK(contains(st.error().message, "is append-only"));
  CHECK(db.query_text("select result from access_log where id = 1").value() == "ok");
  CHECK(db.query_int64("select count(*) from integrity_anchor").value() == 1);
}

TEST_CASE("schema constraints keep evidence rows well-formed", "[db]") {
  test::TempDir dir;
  auto index = Index::open_writer(dir / "index.db");
  REQUIRE(index);
  auto& db = index->connection();
  REQUIRE(db.exec("insert into camera (id, name, first_seen_us) values ('nap-1', 'nap', 0)"));
  auto bad = GENERATE(as<std::string>{},
                      // a hold is on a camera or a zone, never both or neither
                      "insert into hold (camera_id, zone_id, from_us, to_us, reason, created_us, created_uid, "
                      "created_user) values ('nap-1', 'nap', 0, 10, 'case 1', 0, 0, 'root')",
                      "insert into hold (from_us, to_us, reason, created_us, created_uid, created_user) "
                      "values (0, 10, 'case 1', 0, 0, 'root')",
                      // STRICT: text in an integer column is an error, not stored evidence
                      "insert into camera (id, name, first_seen_us) values ('x', 'x', 'yesterday')",
                      // foreign keys are on
                      "insert into camera_event (camera_id, time_us, kind) values ('ghost', 0, 'down')",
                      "insert into camera_event (camera_id, time_us, kind) values ('nap-1', 0, 'sideways')",
                      "insert into access_log (time_us, uid, user, action, arguments, result, prev_hash, hash) "
                      "values (1, 0, 'root', 'x', 'not json', 'ok', zeroblob(32), zeroblob(32))");
  CAPTURE(bad);
  auto st = db.exec(bad);
  REQUIRE_FALSE(st);
  CHECK(st.error().kind == ErrorKind::Internal);
}

TEST_CASE("only one alert per condition is open at a time", "[db]") {
  test::TempDir dir;
  auto index = Index::open_writer(dir / "index.db");
  REQUIRE(index);
  auto& db = index->connection();
  constexpr std::string_view kRaise =
      "insert into alert (kind, subject, severity, message, raised_us, last_seen_us) "
      "values ('camera_down', 'nap-1', 'critical', 'nap-1 is down', 1, 1)";
  REQUIRE(db.exec(kRaise));
  auto again = db.exec(kRaise);
  REQUIRE_FALSE(again);
  CHECK(contains(again.error().message, "UNIQUE constraint failed"));
  REQUIRE(db.exec("update alert set resolved_us = 2"));
  CHECK(db.exec(kRaise));  // resolved alerts stay for reports; a new one may open
}
