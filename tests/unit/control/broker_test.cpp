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
  BrokerThread(int socket, std::filesystem::path root)
      : thread([socket, root] {
          control::BrokerServer server(socket, root);
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
    BrokerThread user(pair.second.get(), dir.path());
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
    BrokerThread user(pair.second.get(), dir.path());
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
    BrokerThread user(pair.second.get(), dir.path());
    control::RemoteDestination dest(pair.first.get());
    REQUIRE(dest.open(dir / "out", fs::Layout::NewFolder));
    REQUIRE(dest.create("a.mp4"));
    // A killed command sends nothing more: its socket just closes.
    ::close(pair.first.release());
  }
  CHECK(std::filesystem::is_empty(dir.path()));
}

// ---- issue 14: the broker serves only the output folder on its own command line -------------

namespace {

// The daemon's side, hostile: raw requests over the broker socket, each answered at once by a
// BrokerServer on this thread.
struct HostileCommand {
  explicit HostileCommand(std::filesystem::path root) : pair(control::socket_pair().value()), server(pair.second.get(), std::move(root)) {}
  control::Json ask(const control::Json& request) {
    REQUIRE(control::send(pair.first.get(), request));
    REQUIRE(server.serve_one().value());
    auto reply = control::receive(pair.first.get()).value();
    REQUIRE(reply);
    return reply->body;
  }
  control::Json open(const std::string& out, const char* layout = "new_folder") {
    return ask({{"op", "open"}, {"out", out}, {"layout", layout}});
  }
  std::pair<fs::UniqueFd, fs::UniqueFd> pair;
  control::BrokerServer server;
};

int entries_in(const std::filesystem::path& dir) {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("the output check allows the named folder and what is below it, nothing else", "[control]") {
  test::TempDir dir;
  const auto root = dir / "case";
  std::filesystem::create_directories(dir / "outside");
  std::filesystem::create_directories(root);
  std::filesystem::create_directory_symlink(dir / "outside", root / "escape");
  std::filesystem::create_directory_symlink(root, dir / "case-link");
  CHECK(control::within_output(root, root));
  CHECK(control::within_output(root.string() + "/", root));
  CHECK(control::within_output(root / "sub" / "deeper", root));
  CHECK(control::within_output(root / "escape-not", root));  // a name, not the link
  for (const std::string& bad : {(dir / "outside").string(), dir.path().string(), (dir / "case-other").string(),
                                root.string() + "/../outside", root.string() + "/./x", std::string("case/x"),
                                std::string("/etc/carekeep-test"), (root / "escape").string(),
                                (root / "escape" / "new").string(), root.string() + std::string("/x\0y", 4)}) {
    INFO(bad);
    auto checked = control::within_output(bad, root);
    REQUIRE_FALSE(checked);
    CHECK(checked.error().kind == ErrorKind::InvalidArgument);
  }
  // No output folder on the command line: nothing at all.
  CHECK_FALSE(control::within_output(root, ""));
  // The user may name a link as the output: it is their choice, and what is below it follows.
  CHECK(control::within_output(dir / "case-link" / "sub", dir / "case-link"));
}

TEST_CASE("a hostile daemon side cannot make the broker open or create outside --out", "[control]") {
  test::TempDir dir;
  const auto root = dir / "usb" / "case-17";
  std::filesystem::create_directories(dir / "usb");
  std::filesystem::create_directories(dir / "home");
  test::write_text(dir / "home" / ".bashrc", "mine");
  HostileCommand command(root);
  for (const std::string& out : {(dir / "home").string(), (dir / "usb").string(), (dir / "usb" / "case-17-x").string(),
                                 root.string() + "/../../home", std::string("/tmp"), std::string("home")}) {
    for (const char* layout : {"new_folder", "folder"}) {
      INFO(out << " " << layout);
      auto reply = command.open(out, layout);
      CHECK(reply.value("ok", true) == false);
      CHECK(reply.value("refused", false) == true);
      CHECK(reply.value("kind", "") == to_string(ErrorKind::InvalidArgument));
    }
  }
  // Nothing was opened, so nothing can be created or committed.
  auto made = command.ask({{"op", "create"}, {"name", ".bashrc"}});
  CHECK(made.value("ok", true) == false);
  CHECK(command.ask({{"op", "commit"}}).value("ok", true) == false);
  CHECK(test::read_text(dir / "home" / ".bashrc") == "mine");
  CHECK(entries_in(dir / "home") == 1);
  CHECK(entries_in(dir / "usb") == 0);
  CHECK(command.server.refusals().size() == 12);
  // The folder the user named is served as before.
  CHECK(command.open(root.string()).value("ok", false) == true);
  auto file = command.ask({{"op", "create"}, {"name", "a.mp4"}});
  CHECK(file.value("ok", false) == true);
  CHECK(command.ask({{"op", "commit"}}).value("ok", false) == true);
  CHECK(std::filesystem::exists(root / "a.mp4"));
}

TEST_CASE("the command learns that the broker refused, as a refusal", "[control]") {
  test::TempDir dir;
  auto pair = control::socket_pair().value();
  {
    BrokerThread user(pair.second.get(), dir / "mine");
    control::RemoteDestination dest(pair.first.get());
    auto opened = dest.open(dir / "theirs", fs::Layout::NewFolder);
    REQUIRE_FALSE(opened);
    REQUIRE(dest.refusal());
    CHECK(dest.refusal()->find("outside that folder") != std::string::npos);
    pair.first.reset();
  }
  CHECK_FALSE(std::filesystem::exists(dir / "theirs"));
}

TEST_CASE("a command gives up on a user's side that does not answer, and asks nothing more", "[control]") {
  test::TempDir dir;
  auto pair = control::socket_pair().value();  // nobody serves pair.second: a stopped carekeep
  auto started = std::chrono::steady_clock::now();
  {
    control::RemoteDestination dest(pair.first.get(), std::chrono::milliseconds(300));
    auto opened = dest.open(dir / "out", fs::Layout::NewFolder);
    REQUIRE_FALSE(opened);
    CHECK(opened.error().kind == ErrorKind::Unavailable);
    CHECK(opened.error().message.find("did not answer") != std::string::npos);
    auto made = dest.create("a.mp4");
    REQUIRE_FALSE(made);
    CHECK(made.error().kind == ErrorKind::Unavailable);
  }  // the destructor's abort does not wait again
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(took >= std::chrono::milliseconds(300));
  CHECK(took < std::chrono::seconds(2));
}

TEST_CASE("a request the command left behind when it hung up is not acted on", "[control]") {
  test::TempDir dir;
  const auto root = dir / "case";
  HostileCommand command(root);
  REQUIRE(command.open(root.string()).value("ok", false) == true);
  REQUIRE(command.ask({{"op", "create"}, {"name", "a.mp4"}}).value("ok", false) == true);
  // The command gave up (its deadline) or was killed right after asking to commit.
  REQUIRE(control::send(command.pair.first.get(), {{"op", "commit"}}));
  command.pair.first.reset();
  auto served = command.server.serve_one();
  REQUIRE(served);
  CHECK_FALSE(*served);
  CHECK_FALSE(std::filesystem::exists(root));  // not committed
  CHECK(entries_in(dir.path()) == 0);          // and the build folder is gone
}
