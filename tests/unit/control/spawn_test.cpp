#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "control/session.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;

namespace {

int wait_exit(control::Child& child) {
  pollfd p{child.pidfd.get(), POLLIN, 0};
  REQUIRE(::poll(&p, 1, 10000) == 1);
  return control::reap(child).value();
}

control::Peer alice() { return control::Peer{1, 1001, 1001, {}, "alice"}; }

}  // namespace

TEST_CASE("a command runs with the given descriptors as 0 to 3 and its status comes back", "[control]") {
  test::TempDir dir;
  int in[2], out[2];
  REQUIRE(::pipe(in) == 0);
  REQUIRE(::pipe(out) == 0);
  fs::UniqueFd in_r{in[0]}, in_w{in[1]}, out_r{out[0]}, out_w{out[1]};
  auto broker = control::socket_pair().value();
  control::Invocation inv{"/bin/sh", {"/bin/sh", "-c", "read x; echo got $x; echo err >&2; ls /proc/self/fd | wc -l >&3; exit 7"}, {"PATH=/bin:/usr/bin"}};
  // fd 3 is a socket: write the descriptor count there as plain text.
  auto child = control::spawn(inv, {in_r.get(), out_w.get(), out_w.get(), broker.second.get()});
  REQUIRE(child);
  in_r.reset();
  out_w.reset();
  broker.second.reset();
  REQUIRE(::write(in_w.get(), "hi\n", 3) == 3);
  CHECK(wait_exit(*child) == 7);
  char buf[256] = {};
  ssize_t n = ::read(out_r.get(), buf, sizeof buf - 1);
  REQUIRE(n > 0);
  CHECK(std::string(buf, static_cast<std::size_t>(n)) == "got hi\nerr\n");
  char count[16] = {};
  REQUIRE(::read(broker.first.get(), count, sizeof count - 1) > 0);
  // 0, 1, 2, 3 and the one ls opens to list them: nothing of this process leaked in.
  CHECK(std::stoi(count) == 5);
}

TEST_CASE("a command killed by a signal reports 128 plus the signal", "[control]") {
  control::Invocation inv{"/bin/sh", {"/bin/sh", "-c", "sleep 30"}, {}};
  int null = ::open("/dev/null", O_RDWR);
  fs::UniqueFd keep{null};
  auto child = control::spawn(inv, {null, null, null, null});
  REQUIRE(child);
  // It has its own process group: the daemon signals the group, reaching the command's children too.
  CHECK(::getpgid(child->pid) == child->pid);
  REQUIRE(::kill(-child->pid, SIGKILL) == 0);
  CHECK(wait_exit(*child) == 128 + SIGKILL);
}

TEST_CASE("an invocation uses the daemon's configuration and passes only terminal settings on", "[control]") {
  control::Json request{{"op", "run"},
                        {"argv", {"export", "--out", "case"}},
                        {"cwd", "/home/alice"},
                        {"env", {{"TERM", "xterm-256color"}, {"LD_PRELOAD", "/tmp/evil.so"}, {"LANG", "zh_CN.UTF-8"}}}};
  auto inv = control::invocation_for(request, "/usr/bin/carekeep", "/etc/carekeep/carekeep.toml", alice(),
                                     control::Role::Inspector)
                 .value();
  REQUIRE(inv.argv.size() == 6);
  CHECK(inv.argv[1] == "--config");
  CHECK(inv.argv[2] == "/etc/carekeep/carekeep.toml");
  CHECK(inv.argv[3] == "export");
  auto has = [&](const std::string& e) { return std::find(inv.env.begin(), inv.env.end(), e) != inv.env.end(); };
  CHECK(has("TERM=xterm-256color"));
  CHECK(has("LANG=zh_CN.UTF-8"));
  CHECK(has("CAREKEEP_CONTROL_ROLE=inspector"));
  CHECK(has("CAREKEEP_PEER_USER=alice"));
  CHECK(has("CAREKEEP_PEER_UID=1001"));
  CHECK(has("CAREKEEP_CLIENT_CWD=/home/alice"));
  for (const auto& e : inv.env) CHECK(e.rfind("LD_PRELOAD", 0) != 0);

  CHECK_FALSE(control::invocation_for(control::Json{{"op", "run"}}, "/p", "/c", alice(), control::Role::Admin));
  CHECK_FALSE(control::invocation_for(control::Json{{"argv", {"status"}}, {"cwd", "relative"}}, "/p", "/c", alice(),
                                      control::Role::Admin));
  CHECK_FALSE(control::invocation_for(control::Json{{"argv", {"status\nx"}}}, "/p", "/c", alice(), control::Role::Admin));
  // tests/fuzz/regressions/control_wire/request-cwd-is-an-array.json: refused, not thrown.
  CHECK_FALSE(control::invocation_for(control::Json::parse(R"({"argv":["status"],"cwd":["/home/alice"]})"), "/p", "/c",
                                      alice(), control::Role::Admin));
}
