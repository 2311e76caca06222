#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

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

// --- write_file_atomic_guarded: root writing into a directory another user owns (issue 14) ---
namespace {

constexpr uid_t kOtherUid = 65534;  // "nobody": stands for carekeepd's user, or a stranger

// A directory owned by `uid`, mode `mode`: what carekeepd's StateDirectory= is to root.
std::filesystem::path owned_dir(const std::filesystem::path& path, uid_t uid, mode_t mode) {
  std::filesystem::create_directories(path);
  REQUIRE(::chown(path.c_str(), uid, uid) == 0);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
  return path;
}

}  // namespace

TEST_CASE("guarded write replaces a symlink planted at the file's name or its temporary name, never its target",
          "[base][sandbox]") {
  test::TempDir dir;
  auto victim = dir / "etc-passwd";  // what the daemon's user would like root to overwrite
  test::write_text(victim, "root:x:0:0");
  auto state = owned_dir(dir / "state", kOtherUid, 0750);
  std::filesystem::create_symlink(victim, state / "smart.json");
  std::filesystem::create_symlink(victim, state / "smart.json.tmp");
  REQUIRE(::lchown((state / "smart.json").c_str(), kOtherUid, kOtherUid) == 0);
  auto st = fs::write_file_atomic_guarded(state / "smart.json", "probe", {kOtherUid});
  REQUIRE(st);
  CHECK(test::read_text(victim) == "root:x:0:0");
  CHECK_FALSE(std::filesystem::is_symlink(state / "smart.json"));
  CHECK(test::read_text(state / "smart.json") == "probe");
  CHECK_FALSE(std::filesystem::exists(state / "smart.json.tmp"));
}

TEST_CASE("guarded write refuses a directory on the way that is a symlink the owner of its folder made",
          "[base][sandbox]") {
  test::TempDir dir;
  auto target = dir / "etc";  // root's directory the link points into
  std::filesystem::create_directories(target);
  auto state = owned_dir(dir / "state", kOtherUid, 0750);
  std::filesystem::create_symlink(target, state / "db");
  REQUIRE(::lchown((state / "db").c_str(), kOtherUid, kOtherUid) == 0);
  auto st = fs::write_file_atomic_guarded(state / "db" / "smart.json", "probe", {kOtherUid});
  REQUIRE_FALSE(st);
  CHECK(st.error().kind == ErrorKind::FailedPrecondition);
  CHECK_THAT(st.error().message, Catch::Contains("refusing to follow the symlink " + (state / "db").string()));
  CHECK_FALSE(std::filesystem::exists(target / "smart.json"));
  CHECK_FALSE(std::filesystem::exists(target / "smart.json.tmp"));
  // Even a link root made is refused inside a folder the daemon's user may write: that user
  // could have replaced it.
  std::filesystem::remove(state / "db");
  std::filesystem::create_symlink(target, state / "db");
  CHECK_FALSE(fs::write_file_atomic_guarded(state / "db" / "smart.json", "probe", {kOtherUid}));
  CHECK_FALSE(std::filesystem::exists(target / "smart.json"));
}

TEST_CASE("guarded write refuses a directory of a stranger or open to everyone", "[base][sandbox]") {
  test::TempDir dir;
  auto stranger = owned_dir(dir / "stranger", kOtherUid, 0755);
  auto refused = fs::write_file_atomic_guarded(stranger / "smart.json", "probe", {});
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::Contains("refusing to write into " + stranger.string()));
  CHECK_THAT(refused.error().message, Catch::Contains("must belong to root or the daemon's user"));
  CHECK_FALSE(std::filesystem::exists(stranger / "smart.json"));
  // The same directory is fine once it is the daemon's user's and said so.
  CHECK(fs::write_file_atomic_guarded(stranger / "smart.json", "probe", {kOtherUid}));

  auto open = owned_dir(dir / "open", 0, 01777);  // sticky, like /tmp: still anyone's names
  auto st = fs::write_file_atomic_guarded(open / "smart.json", "probe", {});
  REQUIRE_FALSE(st);
  CHECK_THAT(st.error().message, Catch::Contains("not be writable by others"));
  // On the way (not the last directory), a sticky one is fine: /tmp itself is.
  auto inner = owned_dir(open / "inner", 0, 0755);
  CHECK(fs::write_file_atomic_guarded(inner / "smart.json", "probe", {}));
}

TEST_CASE("guarded write follows a symlink root made in a directory only root may write", "[base][sandbox]") {
  test::TempDir dir;
  auto top = owned_dir(dir / "var", 0, 0755);
  auto data = owned_dir(dir / "data", 0, 0755);
  std::filesystem::create_symlink("../data", top / "lib");  // /var/lib -> /data on a box with a big disk
  REQUIRE(fs::write_file_atomic_guarded(top / "lib" / "smart.json", "probe", {}));
  CHECK(test::read_text(data / "smart.json") == "probe");
}
