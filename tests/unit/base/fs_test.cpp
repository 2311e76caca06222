#include <catch2/catch.hpp>

#include "base/fs.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;

TEST_CASE("atomic write replaces content and leaves no temporary file", "[base]") {
  test::TempDir dir;
  auto file = dir / "status.json";
  REQUIRE(fs::write_file_atomic(file, "one"));
  REQUIRE(fs::write_file_atomic(file, "two"));
  CHECK(test::read_text(file) == "two");
  CHECK_FALSE(std::filesystem::exists(dir / "status.json.tmp"));
}

TEST_CASE("a second lock on the same data directory is refused", "[base]") {
  test::TempDir dir;
  auto first = fs::LockFile::acquire(dir / "lock");
  REQUIRE(first);
  auto second = fs::LockFile::acquire(dir / "lock");
  REQUIRE_FALSE(second);
  CHECK(second.error().message.find("another carekeepd") != std::string::npos);
  { auto moved = std::move(*first); }
  CHECK(fs::LockFile::acquire(dir / "lock"));
}

TEST_CASE("atomic write never follows a symlink left at its temporary name", "[base]") {
  test::TempDir dir;
  auto victim = dir / "index.db";
  test::write_text(victim, "evidence");
  std::filesystem::create_symlink(victim, dir / "smart.json.tmp");
  REQUIRE(fs::write_file_atomic(dir / "smart.json", "probe"));
  CHECK(test::read_text(victim) == "evidence");
  CHECK(test::read_text(dir / "smart.json") == "probe");
  CHECK_FALSE(std::filesystem::is_symlink(dir / "smart.json"));
}
