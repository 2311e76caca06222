#include <catch2/catch.hpp>

#include <array>
#include <filesystem>

#include "sqlite/migrate.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using sqlite::Connection;
using sqlite::Migration;
using sqlite::SchemaHistory;

namespace {

constexpr std::int32_t kTestId = 0x54455354;  // "TEST"

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::int64_t version_of(Connection& db) { return db.query_int64("pragma user_version").value(); }

const std::array<Migration, 2> kTwoSteps{{
    {"0001_a", std::string_view("create table a (x integer);")},
    {"0002_b", [](Connection& db) -> Status {
       // Code migrations can read data to decide what to write.
       if (auto st = db.exec("create table b (n integer)"); !st) return st;
       return db.exec("insert into b select count(*) from a");
     }},
}};

}  // namespace

TEST_CASE("a fresh file is claimed and migrated to the latest version", "[db]") {
  test::TempDir dir;
  auto db = Connection::open_writer(dir / "x.db");
  REQUIRE(db);
  REQUIRE(sqlite::migrate(*db, SchemaHistory{kTestId, kTwoSteps}));
  CHECK(db->query_int64("pragma application_id").value() == kTestId);
  CHECK(version_of(*db) == 2);
  CHECK(db->query_int64("select n from b").value() == 0);
  CHECK(sqlite::check_schema(*db, SchemaHistory{kTestId, kTwoSteps}));
  // Migrating again is a no-op.
  REQUIRE(sqlite::migrate(*db, SchemaHistory{kTestId, kTwoSteps}));
  CHECK(db->query_int64("select count(*) from b").value() == 1);
}

TEST_CASE("only pending migrations run, each in its own transaction", "[db]") {
  test::TempDir dir;
  auto db = Connection::open_writer(dir / "x.db");
  REQUIRE(db);
  REQUIRE(sqlite::migrate(*db, SchemaHistory{kTestId, std::span(kTwoSteps).first(1)}));
  CHECK(version_of(*db) == 1);
  REQUIRE(db->exec("insert into a values (1), (2)"));
  REQUIRE(sqlite::migrate(*db, SchemaHistory{kTestId, kTwoSteps}));
  CHECK(version_of(*db) == 2);
  CHECK(db->query_int64("select n from b").value() == 2);
}

TEST_CASE("a current file opens while another connection holds the write lock, a pending step waits for it", "[db][slow]") {
  test::TempDir dir;
  auto holder = Connection::open_writer(dir / "x.db");
  REQUIRE(holder);
  REQUIRE(sqlite::migrate(*holder, SchemaHistory{kTestId, std::span(kTwoSteps).first(1)}));
  auto held = sqlite::Transaction::begin(*holder);  // another process's write, as an export's hold
  REQUIRE(held);

  auto current = Connection::open_writer(dir / "x.db");
  REQUIRE(current);
  // Nothing to do: learning that needs no write lock.
  CHECK(sqlite::migrate(*current, SchemaHistory{kTestId, std::span(kTwoSteps).first(1)}));
  // A step to apply must take the lock, so it waits busy_timeout and reports the lock.
  auto pending = sqlite::migrate(*current, SchemaHistory{kTestId, kTwoSteps});
  REQUIRE_FALSE(pending);
  CHECK(contains(pending.error().message, "database is locked"));
  CHECK(version_of(*current) == 1);
}

TEST_CASE("a migration's WAL is truncated once the file is at the latest version", "[db]") {
  test::TempDir dir;
  auto path = dir / "x.db";
  auto db = Connection::open_writer(path);
  REQUIRE(db);
  REQUIRE(sqlite::migrate(*db, SchemaHistory{kTestId, std::span(kTwoSteps).first(1)}));
  // A few megabytes through the WAL, as a migration that builds an index writes them.
  REQUIRE(db->exec("insert into a with recursive n(i) as (select 1 union all select i + 1 from n where i < 200000) "
                   "select i from n"));
  auto wal = std::filesystem::path(path.string() + "-wal");
  REQUIRE(std::filesystem::file_size(wal) > 1'000'000);  // kept: the writer persists its WAL
  REQUIRE(sqlite::migrate(*db, SchemaHistory{kTestId, kTwoSteps}));
  CHECK(version_of(*db) == 2);
  CHECK(std::filesystem::file_size(wal) == 0);
}

TEST_CASE("a failing migration leaves the file at the previous version", "[db]") {
  test::TempDir dir;
  auto db = Connection::open_writer(dir / "x.db");
  REQUIRE(db);
  const std::array<Migration, 2> broken{{
      {"0001_a", std::string_view("create table a (x integer);")},
      {"0002_broken", std::string_view("create table c (x integer); insert into nowhere values (1);")},
  }};
  auto st = sqlite::migrate(*db, SchemaHistory{kTestId, broken});
  REQUIRE_FALSE(st);
  CHECK(contains(st.error().message, "to version 2 (0002_broken)"));
  CHECK(contains(st.error().message, "no such table: nowhere"));
  CHECK(version_of(*db) == 1);
  CHECK(db->query_int64("select count(*) from sqlite_schema where name = 'c'").value() == 0);
  CHECK_FALSE(db->in_transaction());
}

TEST_CASE("a newer schema is refused with a message saying what to do", "[db]") {
  test::TempDir dir;
  auto db = Connection::open_writer(dir / "x.db");
  REQUIRE(db);
  REQUIRE(sqlite::migrate(*db, SchemaHistory{kTestId, kTwoSteps}));
  auto old_build = SchemaHistory{kTestId, std::span(kTwoSteps).first(1)};
  auto st = sqlite::migrate(*db, old_build);
  REQUIRE_FALSE(st);
  CHECK(st.error().kind == ErrorKind::FailedPrecondition);
  CHECK(st.error().message == "index " + (dir / "x.db").string() +
                                  " has schema version 2 but this carekeep understands up to 1; "
                                  "upgrade carekeep or point it at another index");
  CHECK_FALSE(sqlite::check_schema(*db, old_build));
  CHECK(version_of(*db) == 2);
}

TEST_CASE("a file of another application is refused and left untouched", "[db]") {
  test::TempDir dir;
  auto db = Connection::open_writer(dir / "x.db");
  REQUIRE(db);
  SECTION("marked with another application_id") {
    REQUIRE(db->exec("pragma application_id = 1234"));
  }
  SECTION("unmarked but already holding tables") {
    REQUIRE(db->exec("create table their_data (x integer)"));
  }
  auto st = sqlite::migrate(*db, SchemaHistory{kTestId, kTwoSteps});
  REQUIRE_FALSE(st);
  CHECK(st.error().kind == ErrorKind::FailedPrecondition);
  CHECK(contains(st.error().message, (dir / "x.db").string() + " is not a carekeep index"));
  CHECK(version_of(*db) == 0);
  CHECK(db->query_int64("select count(*) from sqlite_schema where name = 'a'").value() == 0);
}

TEST_CASE("readers need exactly the current version", "[db]") {
  test::TempDir dir;
  {
    auto db = Connection::open_writer(dir / "x.db");
    REQUIRE(db);
    REQUIRE(sqlite::migrate(*db, SchemaHistory{kTestId, std::span(kTwoSteps).first(1)}));
  }
  auto reader = Connection::open_reader(dir / "x.db");
  REQUIRE(reader);
  auto st = sqlite::check_schema(*reader, SchemaHistory{kTestId, kTwoSteps});
  REQUIRE_FALSE(st);
  CHECK(st.error().kind == ErrorKind::FailedPrecondition);
  CHECK(contains(st.error().message, "has schema version 1 but this carekeep needs 2"));

  test::TempDir empty_dir;
  { REQUIRE(Connection::open_writer(empty_dir / "x.db")); }
  auto empty = Connection::open_reader(empty_dir / "x.db");
  REQUIRE(empty);
  auto empty_st = sqlite::check_schema(*empty, SchemaHistory{kTestId, kTwoSteps});
  REQUIRE_FALSE(empty_st);
  CHECK(contains(empty_st.error().message, "is empty"));
}

TEST_CASE("a negative schema version is refused, not used as an index", "[db]") {
  test::TempDir dir;
  auto db = Connection::open_writer(dir / "x.db");
  REQUIRE(db);
  REQUIRE(db->exec("pragma user_version = -1"));
  auto st = sqlite::migrate(*db, SchemaHistory{kTestId, kTwoSteps});
  REQUIRE_FALSE(st);
  CHECK(st.error().kind == ErrorKind::FailedPrecondition);
  CHECK(contains(st.error().message, "invalid schema version -1"));
}
