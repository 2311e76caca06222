#include <catch2/catch.hpp>

#include <array>
#include <optional>
#include <string>

#include "sqlite/connection.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using sqlite::Bytes;
using sqlite::Connection;

namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

Connection open_with_table(const test::TempDir& dir) {
  auto db = Connection::open_writer(dir / "index.db");
  REQUIRE(db);
  REQUIRE(db->exec("create table t (i integer, r real, s text, b blob, o integer)"));
  return std::move(*db);
}

}  // namespace

TEST_CASE("values bound by index and by name read back unchanged", "[db]") {
  test::TempDir dir;
  auto db = open_with_table(dir);
  const std::array<std::uint8_t, 4> blob{0, 1, 0xfe, 0xff};
  {
    auto insert = db.prepare("insert into t values (?1, ?2, ?3, ?4, ?5)");
    REQUIRE(insert);
    std::string text = "午睡室 1";
    insert->bind(1, std::int64_t{1} << 40).bind(2, 2.5).bind(3, text).bind(4, blob).bind(5, std::nullopt);
    text = "changed after binding";  // binds copy: the row keeps the old value
    REQUIRE(insert->run());
  }
  {
    auto insert = db.prepare("insert into t values (:i, :r, :s, :b, :o)");
    REQUIRE(insert);
    insert->bind(":i", 7).bind(":r", 0.25).bind(":s", "x").bind(":b", Bytes{}).bind(":o", std::optional<int>(3));
    REQUIRE(insert->run());
  }
  auto select = db.prepare("select i, r, s, b, o from t order by rowid");
  REQUIRE(select);
  REQUIRE(select->step().value());
  CHECK(select->column<std::int64_t>(0) == std::int64_t{1} << 40);
  CHECK(select->column<double>(1) == 2.5);
  CHECK(select->column<std::string>(2) == "午睡室 1");
  CHECK(select->column<std::string_view>(2) == "午睡室 1");
  CHECK(select->column<Bytes>(3) == Bytes(blob.begin(), blob.end()));
  CHECK(select->is_null(4));
  CHECK(select->column<std::optional<std::int64_t>>(4) == std::nullopt);
  CHECK(select->column<std::string_view>(4).empty());  // NULL reads as ""
  REQUIRE(select->step().value());
  CHECK(select->column<int>(0) == 7);
  CHECK(select->column<double>(1) == 0.25);
  CHECK(select->column<std::optional<std::string>>(2) == "x");
  CHECK_FALSE(select->is_null(3));  // an empty blob is not NULL
  CHECK(select->column<Bytes>(3).empty());
  CHECK(select->column<std::optional<int>>(4) == 3);
  CHECK(select->step().value() == false);
}

TEST_CASE("a bind to an unknown name fails at step, naming the parameter", "[db]") {
  test::TempDir dir;
  auto db = open_with_table(dir);
  auto insert = db.prepare("insert into t (i) values (:i)");
  REQUIRE(insert);
  insert->bind(":typo", 1);
  auto st = insert->run();
  REQUIRE_FALSE(st);
  CHECK(st.error().kind == ErrorKind::Internal);
  CHECK(contains(st.error().message, ":typo"));
  CHECK(db.query_int64("select count(*) from t").value() == 0);
  insert->reset();  // forgets the failed bind
  insert->bind(":i", 1);
  CHECK(insert->run());
}

TEST_CASE("a statement runs again after reset, keeping or clearing its bindings", "[db]") {
  test::TempDir dir;
  auto db = open_with_table(dir);
  auto insert = db.prepare("insert into t (i) values (?)");
  REQUIRE(insert);
  insert->bind(1, 5);
  REQUIRE(insert->run());
  insert->reset();
  REQUIRE(insert->run());  // the binding stays
  insert->reset();
  insert->clear_bindings();
  REQUIRE(insert->run());  // now NULL
  CHECK(db.query_int64("select count(*) from t where i = 5").value() == 2);
  CHECK(db.query_int64("select count(*) from t where i is null").value() == 1);
}

TEST_CASE("a moved statement is finalized once", "[db]") {
  test::TempDir dir;
  auto db = open_with_table(dir);
  auto first = db.prepare("select 42");
  REQUIRE(first);
  sqlite::Statement moved = std::move(*first);
  auto other = db.prepare("select 1");
  REQUIRE(other);
  *other = std::move(moved);
  REQUIRE(other->step().value());
  CHECK(other->column<int>(0) == 42);
}

TEST_CASE("a cached statement is prepared once and comes back reset with no bindings", "[db]") {
  test::TempDir dir;
  auto db = open_with_table(dir);
  constexpr std::string_view kInsert = "insert into t (i, s) values (:i, :s)";
  {
    auto q = db.cached(kInsert);
    REQUIRE(q);
    (*q)->bind(":i", 1).bind(":s", "one");
    REQUIRE((*q)->run());
  }
  const sqlite::Statement* first_address = nullptr;
  {
    auto q = db.cached(kInsert);
    REQUIRE(q);
    first_address = &**q;
    (*q)->bind(":i", 2);  // :s is not bound again, so it must be NULL, not "one"
    REQUIRE((*q)->run());
  }
  {
    auto q = db.cached(std::string(kInsert));  // the same text finds the same statement
    REQUIRE(q);
    CHECK(&**q == first_address);
  }
  CHECK(db.query_text("select s from t where i = 1").value() == "one");
  CHECK(db.query_int64("select count(*) from t where i = 2 and s is null").value() == 1);
}

TEST_CASE("a cached statement cannot be borrowed twice at once", "[db]") {
  test::TempDir dir;
  auto db = open_with_table(dir);
  auto select = db.cached("select i from t");
  REQUIRE(select);
  auto again = db.cached("select i from t");
  REQUIRE_FALSE(again);
  CHECK(again.error().kind == ErrorKind::Internal);
  CHECK(contains(again.error().message, "already in use"));
}

TEST_CASE("a cached statement left mid-result is reset by the borrow's end", "[db]") {
  test::TempDir dir;
  auto db = open_with_table(dir);
  REQUIRE(db.exec("insert into t (i) values (1), (2), (3)"));
  {
    auto q = db.cached("select i from t order by i");
    REQUIRE(q);
    REQUIRE((*q)->step().value());  // an open read cursor would block checkpoints
  }
  auto q = db.cached("select i from t order by i");
  REQUIRE(q);
  REQUIRE((*q)->step().value());
  CHECK((*q)->column<int>(0) == 1);  // from the start again
}
