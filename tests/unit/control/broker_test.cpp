#include <catch2/catch.hpp>

#include <unistd.h>

#include <thread>

#include "base/destination.hpp"
#include "control/broker.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;

namespace {

void write_text_fd(const fs::UniqueFd& fd, std::string_view text) { REQUIRE(fs::write_all(fd.get(), text, "writing")); }

// Serves requests on its end until the other end closes, like the user's carekeep does.
struct BrokerThread {
  explicit BrokerThread(int socket)
      : thread([socket] {
          control::BrokerServer server(socket);
          for (;;) {
            auto served = server.serve_one();
            if (!served || !*served) return;
          }
        }) {}
  ~BrokerThread() { thread.join(); }
  std::thread thread;
};

}  // namespace

TEST_CASE("a new folder appears whole at commit and not before", "[control]") {
  test::TempDir dir;
  auto out = dir / "case-17";
  fs::LocalDestination dest;
  REQUIRE(dest.open(out, fs::Layout::NewFolder));
  auto file = dest.create("nap-1.mp4").value();
  write_text_fd(file, "video");
  CHECK_FALSE(std::filesystem::exists(out));
  REQUIRE(dest.commit());
  CHECK(test::read_text(out / "nap-1.mp4") == "video");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  CHECK(entries == 1);  // the hidden build folder is gone: it became `out`
}

TEST_CASE("an aborted folder leaves nothing, an occupied one is refused", "[control]") {
  test::TempDir dir;
  {
    fs::LocalDestination dest;
    REQUIRE(dest.open(dir / "a", fs::Layout::NewFolder));
    REQUIRE(dest.create("x"));
  }  // destroyed without commit
  CHECK(std::filesystem::is_empty(dir.path()));
  test::write_text(dir / "b" / "old.txt", "keep me");
  fs::LocalDestination dest;
  auto opened = dest.open(dir / "b", fs::Layout::NewFolder);
  REQUIRE_FALSE(opened);
  CHECK(opened.error().kind == ErrorKind::FailedPrecondition);
  CHECK(test::read_text(dir / "b" / "old.txt") == "keep me");
}

TEST_CASE("a folder layout replaces its files at commit and keeps others", "[control]") {
  test::TempDir dir;
  test::write_text(dir / "r" / "report.json", "old");
  test::write_text(dir / "r" / "notes.txt", "mine");
  fs::LocalDestination dest;
  REQUIRE(dest.open(dir / "r", fs::Layout::Folder));
  write_text_fd(dest.create("report.json").value(), "new");
  CHECK(test::read_text(dir / "r" / "report.json") == "old");
  REQUIRE(dest.commit());
  CHECK(test::read_text(dir / "r" / "report.json") == "new");
  CHECK(test::read_text(dir / "r" / "notes.txt") == "mine");
  CHECK_FALSE(std::filesystem::exists(dir / "r" / ".report.json.partial"));
}

TEST_CASE("only plain file names can be created", "[control]") {
  test::TempDir dir;
  fs::LocalDestination dest;
  REQUIRE(dest.open(dir / "o", fs::Layout::NewFolder));
  for (const char* bad : {"", ".", "..", "../escape", "a/b"}) {
    auto made = dest.create(bad);
    INFO(bad);
    REQUIRE_FALSE(made);
    CHECK(made.error().kind == ErrorKind::InvalidArgument);
  }
  CHECK_FALSE(dest.open(dir / "again", fs::Layout::NewFolder));
  CHECK_FALSE(fs::LocalDestination{}.open("relative/path", fs::Layout::Folder));
}

TEST_CASE("files made through the broker are the serving side's, written through descriptors", "[control]") {
  test::TempDir dir;
  auto pair = control::socket_pair().value();
  auto out = dir / "export";
  {
    BrokerThread user(pair.second.get());
    control::RemoteDestination dest(pair.first.get());
    REQUIRE(dest.open(out, fs::Layout::NewFolder));
    auto a = dest.create("a.mp4").value();
    auto b = dest.create("manifest.json").value();
    write_text_fd(a, "AAAA");
    write_text_fd(b, "{}");
    CHECK_FALSE(std::filesystem::exists(out));
    REQUIRE(dest.commit());
    pair.first.reset();  // the command ends: the server thread stops
  }
  CHECK(test::read_text(out / "a.mp4") == "AAAA");
  CHECK(test::read_text(out / "manifest.json") == "{}");
}

TEST_CASE("broker errors reach the command with their kind, and an unfinished folder is removed", "[control]") {
  test::TempDir dir;
  test::write_text(dir / "busy" / "x", "x");
  auto pair = control::socket_pair().value();
  {
    BrokerThread user(pair.second.get());
    control::RemoteDestination dest(pair.first.get());
    auto refused = dest.open(dir / "busy", fs::Layout::NewFolder);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == ErrorKind::FailedPrecondition);
    CHECK(refused.error().message.find("not empty") != std::string::npos);
    {
      control::RemoteDestination second(pair.first.get());
      REQUIRE(second.open(dir / "fresh", fs::Layout::NewFolder));
      REQUIRE(second.create("half.mp4"));
    }  // the command fails: its destructor aborts through the broker
    pair.first.reset();
  }
  CHECK_FALSE(std::filesystem::exists(dir / "fresh"));
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  CHECK(entries == 1);  // only "busy"
}

TEST_CASE("a command that dies mid-way leaves nothing that looks complete", "[control]") {
  test::TempDir dir;
  auto pair = control::socket_pair().value();
  {
    BrokerThread user(pair.second.get());
    control::RemoteDestination dest(pair.first.get());
    REQUIRE(dest.open(dir / "out", fs::Layout::NewFolder));
    REQUIRE(dest.create("a.mp4"));
    // A killed command sends nothing more: its socket just closes.
    ::close(pair.first.release());
  }
  CHECK(std::filesystem::is_empty(dir.path()));
}
