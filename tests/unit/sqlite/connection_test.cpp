#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <filesystem>

#include "sqlite/connection.hpp"
#include "sqlite/error.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using sqlite::Connection;
using sqlite::Transaction;

namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::int64_t count_rows(Connection& db, std::string_view table) {
  return db.query_int64("select count(*) from " + std::string(table)).value();
}

}  // namespace

TEST_CASE("a writer creates the file in WAL mode with durable commits", "[db]") {
  test::TempDir dir;
  auto db = Connection::open_writer(dir / "index.db");
  REQUIRE(db);
  CHECK(std::filesystem::exists(dir / "index.db"));
  CHECK(db->query_text("pragma journal_mode").value() == "wal");
  CHECK(db->query_int64("pragma synchronous").value() == 2);  // FULL
  CHECK(db->query_int64("pragma foreign_keys").value() == 1);
  CHECK(db->query_int64("pragma busy_timeout").value() == 5000);
}

TEST_CASE("the WAL files stay after the writer closes, so a reader can open the index later", "[db]") {
  test::TempDir dir;
  {
    auto db = Connection::open_writer(dir / "index.db");
    REQUIRE(db);
    REQUIRE(db->exec("create table t (x integer); insert into t values (1);"));
  }
  CHECK(std::filesystem::exists(dir / "index.db-wal"));
  CHECK(std::filesystem::exists(dir / "index.db-shm"));
  auto reader = Connection::open_reader(dir / "index.db");
  REQUIRE(reader);
  CHECK(count_rows(*reader, "t") == 1);
}

TEST_CASE("a reader refuses a missing file and names the next step", "[db]") {
  test::TempDir dir;
  auto db = Connection::open_reader(dir / "nowhere.db");
  REQUIRE_FALSE(db);
  CHECK(db.error().kind == ErrorKind::NotFound);
  CHECK(db.error().message == "no index at " + (dir / "nowhere.db").string() +
                                  "; is this the daemon's data directory?");
  CHECK_FALSE(std::filesystem::exists(dir / "nowhere.db"));
}

TEST_CASE("a reader cannot write", "[db]") {
  test::TempDir dir;
  {
    auto db = Connection::open_writer(dir / "index.db");
    REQUIRE(db);
    REQUIRE(db->exec("create table t (x integer)"));
  }
  auto reader = Connection::open_reader(dir / "index.db");
  REQUIRE(reader);
  CHECK(reader->query_int64("pragma foreign_keys").value() == 1);
  auto st = reader->exec("insert into t values (1)");
  REQUIRE_FALSE(st);
  CHECK(st.error().kind == ErrorKind::FailedPrecondition);
  CHECK(contains(st.error().message, "readonly"));
}

TEST_CASE("a file that is not a database is data loss, for writers and readers", "[db]") {
  test::TempDir dir;
  test::write_text(dir / "index.db", std::string(8192, 'x'));
  auto writer = Connection::open_writer(dir / "index.db");
  REQUIRE_FALSE(writer);
  CHECK(writer.error().kind == ErrorKind::DataLoss);
  CHECK(contains(writer.error().message, "opening index " + (dir / "index.db").string()));
  CHECK(contains(writer.error().message, "not a database"));
  auto reader = Connection::open_reader(dir / "index.db");
  REQUIRE_FALSE(reader);
  CHECK(reader.error().kind == ErrorKind::DataLoss);
  CHECK(contains(reader.error().message, "not a database"));
}

TEST_CASE("sqlite result codes map to error kinds", "[db]") {
  struct Case {
    int rc;
    ErrorKind kind;
  };
  auto c = GENERATE(Case{SQLITE_BUSY, ErrorKind::Unavailable}, Case{SQLITE_LOCKED, ErrorKind::Unavailable},
                    Case{SQLITE_BUSY_SNAPSHOT, ErrorKind::Unavailable}, Case{SQLITE_FULL, ErrorKind::ResourceExhausted},
                    Case{SQLITE_CORRUPT, ErrorKind::DataLoss}, Case{SQLITE_NOTADB, ErrorKind::DataLoss},
                    Case{SQLITE_READONLY, ErrorKind::FailedPrecondition},
                    Case{SQLITE_CANTOPEN, ErrorKind::FailedPrecondition},
                    Case{SQLITE_PERM, ErrorKind::FailedPrecondition}, Case{SQLITE_CONSTRAINT, ErrorKind::Internal},
                    Case{SQLITE_CONSTRAINT_TRIGGER, ErrorKind::Internal}, Case{SQLITE_ERROR, ErrorKind::Internal});
  auto error = sqlite::to_error(c.rc, "doing x");
  CHECK(error.kind == c.kind);
  CHECK(error.message == std::string("doing x: ") + sqlite3_errstr(c.rc));
}

TEST_CASE("errors carry sqlite's own message for the failing statement", "[db]") {
  test::TempDir dir;
  auto db = Connection::open_writer(dir / "index.db");
  REQUIRE(db);
  REQUIRE(db->exec("create table t (x integer not null)"));
  auto st = db->exec("insert into t values (null)");
  REQUIRE_FALSE(st);
  CHECK(st.error().kind == ErrorKind::Internal);
  CHECK(contains(st.error().message, "NOT NULL constraint failed: t.x"));
}

TEST_CASE("a second writer waits for the lock, then reports busy as unavailable", "[db][slow]") {
  test::TempDir dir;
  auto first = Connection::open_writer(dir / "index.db");
  auto second = Connection::open_writer(dir / "index.db");
  REQUIRE(first);
  REQUIRE(second);
  auto held = Transaction::begin(*first);
  REQUIRE(held);
  auto blocked = Transaction::begin(*second);  // waits busy_timeout (5 s)
  REQUIRE_FALSE(blocked);
  CHECK(blocked.error().kind == ErrorKind::Unavailable);
  CHECK(contains(blocked.error().message, "database is locked"));
}

TEST_CASE("a transaction rolls back unless committed", "[db]") {
  test::TempDir dir;
  auto db = Connection::open_writer(dir / "index.db");
  REQUIRE(db);
  REQUIRE(db->exec("create table t (x integer)"));
  {
    auto tx = Transaction::begin(*db);
    REQUIRE(tx);
    REQUIRE(db->exec("insert into t values (1)"));
    CHECK(db->in_transaction());
  }
  CHECK_FALSE(db->in_transaction());
  CHECK(count_rows(*db, "t") == 0);
  {
    auto tx = Transaction::begin(*db);
    REQUIRE(tx);
    REQUIRE(db->exec("insert into t values (2)"));
    REQUIRE(tx->commit());
    CHECK_FALSE(tx->commit());  // a finished transaction cannot commit again
  }
  CHECK(count_rows(*db, "t") == 1);
}

TEST_CASE("a transaction survives sqlite rolling back on its own", "[db]") {
  test::TempDir dir;
  auto db = Connection::open_writer(dir / "index.db");
  REQUIRE(db);
  REQUIRE(db->exec("create table t (x integer)"));
  auto tx = Transaction::begin(*db);
  REQUIRE(tx);
  REQUIRE(db->exec("rollback"));  // as SQLite does after SQLITE_FULL or an I/O error
  CHECK_FALSE(tx->commit());
  // The destructor must not try a second rollback (it would fail and log an error).
}

TEST_CASE("exec runs scripts, prepare takes exactly one statement", "[db]") {
  test::TempDir dir;
  auto db = Connection::open_writer(dir / "index.db");
  REQUIRE(db);
  REQUIRE(db->exec(R"sql(
    create table a (x integer);  -- a comment; with a semicolon
    create table b (y text);
    create trigger a_copy after insert on a begin insert into b values (new.x); end;
    insert into a values (7);
  )sql"));
  CHECK(db->query_text("select y from b").value() == "7");
  auto two = db->prepare("select 1; select 2");
  REQUIRE_FALSE(two);
  CHECK(contains(two.error().message, "use exec()"));
  CHECK(db->prepare("select 1;  \n"));
  auto failing = db->exec("-- a header comment\n-- over two lines\ninsert into nowhere values (1);");
  REQUIRE_FALSE(failing);
  CHECK(failing.error().message == "running \"insert into nowhere values (1);\": no such table: nowhere");
  auto bad = db->prepare("selec 1");
  REQUIRE_FALSE(bad);
  CHECK(contains(bad.error().message, "syntax error"));
}
