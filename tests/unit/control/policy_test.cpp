#include <catch2/catch.hpp>

#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "control/policy.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using control::Role;

namespace {

control::CommandNeeds needs_of(std::vector<std::string> argv) { return control::needs(argv).value(); }

control::Peer peer(uid_t uid, gid_t gid, std::vector<gid_t> groups = {}) {
  return control::Peer{4242, uid, gid, std::move(groups), "u" + std::to_string(uid)};
}

}  // namespace

TEST_CASE("listing, exporting and reporting need an inspector, holds and acknowledgements an operator", "[control]") {
  CHECK(needs_of({"status"}).role == Role::Inspector);
  CHECK(needs_of({"segments", "--camera", "nap-1"}).role == Role::Inspector);
  CHECK(needs_of({"export", "--zone", "nap", "--from", "x", "--to", "y", "--out", "o"}).role == Role::Inspector);
  CHECK(needs_of({"report", "--from", "2026-11-01"}).role == Role::Inspector);
  CHECK(needs_of({"summary", "--json"}).role == Role::Inspector);
  CHECK(needs_of({"verify", "--quick"}).role == Role::Inspector);
  CHECK(needs_of({"alerts"}).path == "alerts");
  CHECK(needs_of({"alerts", "--all", "--json"}).role == Role::Inspector);
  auto ack = needs_of({"alerts", "--json", "ack", "7"});
  CHECK(ack.path == "alerts ack");
  CHECK(ack.role == Role::Operator);
  CHECK(ack.changes_index);
  CHECK(needs_of({"hold", "list", "--json"}).role == Role::Inspector);
  CHECK_FALSE(needs_of({"hold", "list"}).changes_index);
  // Holds reach the command for inspectors too; it decides by the hold (inspector holds, issue 15).
  CHECK(needs_of({"hold", "add", "--camera", "c"}).role == Role::Inspector);
  CHECK(needs_of({"hold", "release", "3"}).role == Role::Inspector);
  CHECK(needs_of({"digest"}).role == Role::Inspector);
  CHECK(needs_of({"digest"}).changes_index);  // made by the daemon: refused when it is down
  CHECK(needs_of({"hold", "release", "3"}).changes_index);
  CHECK(needs_of({"verify-export", "dir"}).local_only);
  CHECK(needs_of({"doctor"}).local_only);
  // Ad-hoc care: the operator starts and stops it; anyone who lists may see it.
  CHECK(needs_of({"care", "start", "--note", "计时托"}).role == Role::Operator);
  CHECK(needs_of({"care", "start"}).changes_index);
  CHECK(needs_of({"care", "stop"}).role == Role::Operator);
  CHECK(needs_of({"care", "list", "--all"}).role == Role::Inspector);
  CHECK_FALSE(needs_of({"care", "list"}).changes_index);
}

TEST_CASE("a request that is not a known command is refused", "[control]") {
  CHECK_FALSE(control::needs(std::vector<std::string>{}));
  CHECK_FALSE(control::needs(std::vector<std::string>{"--config", "/etc/other.toml", "status"}));
  CHECK_FALSE(control::needs(std::vector<std::string>{"shell"}));
  CHECK_FALSE(control::needs(std::vector<std::string>{"hold"}));
  CHECK_FALSE(control::needs(std::vector<std::string>{"hold", "delete", "1"}));
  CHECK_FALSE(control::needs(std::vector<std::string>{"care"}));
  CHECK_FALSE(control::needs(std::vector<std::string>{"care", "edit", "1"}));
}

TEST_CASE("root and the daemon's user are admins, then the operator group, then the inspector group", "[control]") {
  control::AccessGroups groups{61001, 61002};
  const uid_t daemon_uid = 998;
  CHECK(control::role_of(peer(0, 0), daemon_uid, groups) == Role::Admin);
  CHECK(control::role_of(peer(daemon_uid, 998), daemon_uid, groups) == Role::Admin);
  CHECK(control::role_of(peer(1000, 1000, {27, 61001}), daemon_uid, groups) == Role::Inspector);
  CHECK(control::role_of(peer(1000, 1000, {61001, 61002}), daemon_uid, groups) == Role::Operator);
  CHECK(control::role_of(peer(1000, 61002), daemon_uid, groups) == Role::Operator);  // primary group counts
  CHECK(control::role_of(peer(1000, 1000, {27}), daemon_uid, groups) == Role::None);
  // A group that does not exist on this box gives nobody its rights.
  CHECK(control::role_of(peer(1000, 1000, {61001}), daemon_uid, control::AccessGroups{}) == Role::None);
}

TEST_CASE("a refusal names the user, what was asked and the group that would allow it", "[control]") {
  auto p = peer(1000, 1000);
  auto why = control::refusal(p, Role::Inspector, needs_of({"alerts", "ack", "7"}), "carekeep-inspector", "carekeep-operator");
  REQUIRE(why);
  CHECK(why->find("u1000 (uid 1000) may not acknowledge an alert") != std::string::npos);
  CHECK(why->find("carekeep-operator") != std::string::npos);
  CHECK(why->find("usermod -aG carekeep-operator u1000") != std::string::npos);
  CHECK_FALSE(control::refusal(p, Role::Operator, needs_of({"alerts", "ack", "7"}), "i", "o"));
  CHECK(control::refusal(p, Role::None, needs_of({"hold", "add"}), "carekeep-inspector", "o")->find("may not place a hold") !=
        std::string::npos);
  CHECK(control::refusal(p, Role::None, needs_of({"status"}), "carekeep-inspector", "o")->find("carekeep-inspector") !=
        std::string::npos);
}

TEST_CASE("groups are found by number or by name", "[control]") {
  CHECK(control::resolve_group("61001") == gid_t{61001});
  CHECK(control::resolve_group("root") == gid_t{0});
  CHECK_FALSE(control::resolve_group("no-such-group-anywhere"));
  CHECK_FALSE(control::resolve_group(""));
}

#ifdef CAREKEEP_CLI_PATH
TEST_CASE("every command the CLI registers has an access rule", "[control]") {
  auto help = test::run_command(std::string(CAREKEEP_CLI_PATH) + " --help");
  REQUIRE(help.exit_code == 0);
  auto at = help.out.find("SUBCOMMANDS:");
  if (at == std::string::npos) at = help.out.find("Subcommands:");
  REQUIRE(at != std::string::npos);
  std::istringstream lines(help.out.substr(at));
  std::string line;
  std::getline(lines, line);
  int commands = 0;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string name;
    if (!(words >> name)) break;  // the blank line before the footer ends the list
    std::vector<std::string> argv{name};
    if (name == "hold" || name == "care") argv.push_back("list");
    INFO(name);
    CHECK(control::needs(argv));
    ++commands;
  }
  CHECK(commands >= 17);
}
#endif

TEST_CASE("exports, verifications, reports and key reads are audited, listings are not", "[control]") {
  for (const char* audited : {"export", "verify", "report", "key"}) CHECK(needs_of({audited}).audited);
  for (const char* plain : {"status", "segments", "gaps", "access-log"}) CHECK_FALSE(needs_of({plain}).audited);
}

TEST_CASE("a command run for a peer may not name its own signing key", "[control]") {
  auto report = needs_of({"report", "--from", "2026-11-01", "--to", "2026-11-30", "--out", "r"});
  std::vector<std::string> plain{"report", "--from", "2026-11-01", "--to", "2026-11-30", "--out", "r"};
  CHECK_FALSE(control::peer_refused_option(report, plain));
  for (std::vector<std::string> argv : {std::vector<std::string>{"report", "--signing-key", "/tmp/k.pem", "--out", "r"},
                                        std::vector<std::string>{"report", "--out", "r", "--signing-key=/tmp/k.pem"}}) {
    auto option = control::peer_refused_option(report, argv);
    REQUIRE(option);
    CHECK(*option == control::kSigningKeyOption);
  }
  // Only that option: a longer name is another one (CLI11 does not match prefixes).
  CHECK_FALSE(control::peer_refused_option(report, std::vector<std::string>{"report", "--out", "--signing-keys"}));
  // Other commands have no such option.
  auto exported = needs_of({"export", "--camera", "c"});
  CHECK_FALSE(control::peer_refused_option(exported, std::vector<std::string>{"export", "--signing-key", "x"}));
  auto why = control::option_refusal(peer(1001, 1001), control::kSigningKeyOption);
  CHECK(why == "user u1001 (uid 1001) may not choose the signing key (--signing-key) of a command carekeepd runs: it "
               "signs with the box key; leave the option out");
}
