#include "control/policy.hpp"

#include "base/fd.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>

namespace carekeep::control {
namespace {

struct Rule {
  std::string_view path;
  Role role;
  bool changes_index;
  bool local_only;
  std::string_view what;  // for refusals: "may not <what>"
  bool audited = false;
  std::string_view peer_refused_option = {};  // refused when carekeepd runs it for a peer
};

// Every carekeep command (tools/cli/main.cpp registers the same names). Listing and audited
// reads are the inspector's; changing what retention keeps or what an alert says is the
// operator's. The offline checks need no daemon and no privilege.
constexpr std::array kRules{
    Rule{"status", Role::Inspector, false, false, "see the status"},
    Rule{"segments", Role::Inspector, false, false, "list segments"},
    Rule{"events", Role::Inspector, false, false, "list camera events"},
    Rule{"calendar", Role::Inspector, false, false, "see the care calendar"},
    Rule{"retention", Role::Inspector, false, false, "see what retention would delete"},
    Rule{"gaps", Role::Inspector, false, false, "list coverage gaps"},
    Rule{"zones", Role::Inspector, false, false, "see zone coverage"},
    Rule{"alerts", Role::Inspector, false, false, "list alerts"},
    Rule{"alerts ack", Role::Operator, true, false, "acknowledge an alert"},
    Rule{"hold list", Role::Inspector, false, false, "list holds"},
    // An inspector places holds for a case (--case) and releases those; the command itself
    // refuses an operator's release of an inspector's hold (tools/cli/cmd_hold.cpp).
    Rule{"hold add", Role::Inspector, true, false, "place a hold"},
    Rule{"hold release", Role::Inspector, true, false, "release a hold"},
    Rule{"digest", Role::Inspector, true, false, "have a digest signed"},
    // Ad-hoc care (issue 17): the operator says when children are in care outside the schedule.
    Rule{"care start", Role::Operator, true, false, "start an ad-hoc care session"},
    Rule{"care stop", Role::Operator, true, false, "stop an ad-hoc care session"},
    Rule{"care list", Role::Inspector, false, false, "list care sessions"},
    Rule{"key", Role::Inspector, false, false, "see the box key", true},
    Rule{"export", Role::Inspector, false, false, "export footage", true},
    Rule{"verify", Role::Inspector, false, false, "verify footage", true},
    Rule{"access-log", Role::Inspector, false, false, "read the access log"},
    Rule{"report", Role::Inspector, false, false, "write an audit report", true, kSigningKeyOption},
    Rule{"summary", Role::Inspector, false, false, "see the daily summary"},
    Rule{"verify-export", Role::None, false, true, ""},
    Rule{"verify-report", Role::None, false, true, ""},
    Rule{"doctor", Role::None, false, true, ""},
    // Runs with the user's own access to the index (root or the daemon's user): a password
    // read from the terminal must not cross the control socket.
    Rule{"web", Role::None, false, true, ""},
};

// Commands whose first positional word is a verb with rules of its own.
bool has_verbs(std::string_view command) { return command == "hold" || command == "alerts" || command == "care"; }

const Rule* find_rule(std::string_view path) {
  for (const auto& rule : kRules) {
    if (rule.path == path) return &rule;
  }
  return nullptr;
}

}  // namespace

std::string user_name(uid_t uid) {
  std::array<char, 4096> buf{};
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr && found->pw_name != nullptr)
    return found->pw_name;
  return std::to_string(uid);
}

std::string_view to_string(Role role) {
  switch (role) {
    case Role::None: return "none";
    case Role::Inspector: return "inspector";
    case Role::Operator: return "operator";
    case Role::Admin: return "admin";
  }
  return "none";
}

Result<Role> parse_role(std::string_view text) {
  for (auto role : {Role::None, Role::Inspector, Role::Operator, Role::Admin}) {
    if (to_string(role) == text) return role;
  }
  return fail(ErrorKind::InvalidArgument, "unknown role \"" + std::string(text) + "\"");
}

Result<Peer> peer_of(int socket) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return tl::unexpected(fs::from_errno(errno, "reading the peer's credentials"));
  Peer peer{cred.pid, cred.uid, cred.gid, {}, user_name(cred.uid)};
  // SO_PEERGROUPS (Linux 4.13): the supplementary groups the peer had when it connected, so
  // a group added to the user since their login does not count until they log in again, as
  // with files.
  std::vector<gid_t> groups(64);
  for (;;) {
    socklen_t bytes = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(socket, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &bytes) == 0) {
      groups.resize(bytes / sizeof(gid_t));
      break;
    }
    if (errno == ERANGE && bytes > groups.size() * sizeof(gid_t)) {
      groups.resize(bytes / sizeof(gid_t));
      continue;
    }
    return tl::unexpected(fs::from_errno(errno, "reading the peer's groups"));
  }
  peer.groups = std::move(groups);
  return peer;
}

std::optional<gid_t> resolve_group(std::string_view name_or_gid) {
  if (name_or_gid.empty()) return std::nullopt;
  unsigned long number = 0;
  auto [end, ec] = std::from_chars(name_or_gid.data(), name_or_gid.data() + name_or_gid.size(), number);
  if (ec == std::errc{} && end == name_or_gid.data() + name_or_gid.size()) return static_cast<gid_t>(number);
  std::string name(name_or_gid);
  std::array<char, 16384> buf{};
  group gr{};
  group* found = nullptr;
  if (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) == 0 && found != nullptr) return found->gr_gid;
  return std::nullopt;
}

bool user_in_group(uid_t uid, gid_t gid) {
  std::array<char, 16384> buf{};
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) return false;
  if (pw.pw_gid == gid) return true;
  std::vector<gid_t> groups(64);
  int count = static_cast<int>(groups.size());
  while (::getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &count) < 0) {
    if (count <= static_cast<int>(groups.size())) count = static_cast<int>(groups.size()) * 2;  // glibc says how many
    groups.resize(static_cast<std::size_t>(count));
  }
  groups.resize(static_cast<std::size_t>(count));
  return std::find(groups.begin(), groups.end(), gid) != groups.end();
}

Role role_of(const Peer& peer, uid_t daemon_uid, const AccessGroups& groups) {
  if (peer.uid == 0 || peer.uid == daemon_uid) return Role::Admin;
  auto member = [&](const std::optional<gid_t>& gid) {
    return gid && (peer.gid == *gid || std::find(peer.groups.begin(), peer.groups.end(), *gid) != peer.groups.end());
  };
  if (member(groups.operator_group)) return Role::Operator;
  if (member(groups.inspector)) return Role::Inspector;
  return Role::None;
}

Result<CommandNeeds> needs(std::span<const std::string> argv) {
  if (argv.empty()) return fail(ErrorKind::InvalidArgument, "no command given");
  const std::string& command = argv[0];
  if (command.empty() || command[0] == '-')
    return fail(ErrorKind::InvalidArgument, "a command must come first, not the option " + command);
  std::string path = command;
  if (has_verbs(command)) {
    // The verb is the first word that is not an option; `alerts` alone (or with flags) lists.
    auto verb = std::find_if(argv.begin() + 1, argv.end(), [](const std::string& a) { return a.empty() || a[0] != '-'; });
    if (verb != argv.end()) path += " " + *verb;
    else if (command == "hold") return fail(ErrorKind::InvalidArgument, "hold needs add, list or release");
    else if (command == "care") return fail(ErrorKind::InvalidArgument, "care needs start, stop or list");
  }
  const Rule* rule = find_rule(path);
  if (rule == nullptr) return fail(ErrorKind::InvalidArgument, "unknown command \"" + path + "\"");
  return CommandNeeds{std::string(rule->path), rule->role, rule->changes_index, rule->local_only, rule->audited};
}

std::optional<std::string> peer_refused_option(const CommandNeeds& needs, std::span<const std::string> argv) {
  const Rule* rule = find_rule(needs.path);
  if (rule == nullptr || rule->peer_refused_option.empty()) return std::nullopt;
  const std::string_view option = rule->peer_refused_option;
  for (const auto& arg : argv) {
    if (arg == "--") break;  // what follows is positional (report takes none: CLI11 refuses it)
    // CLI11 takes "--opt value" and "--opt=value", and no abbreviations (prefix matching is off).
    if (std::string_view(arg).substr(0, option.size()) == option &&
        (arg.size() == option.size() || arg[option.size()] == '='))
      return std::string(option);
  }
  return std::nullopt;
}

std::string option_refusal(const Peer& peer, std::string_view option) {
  if (option == kSigningKeyOption)
    return "user " + peer.user + " (uid " + std::to_string(peer.uid) + ") may not choose the signing key (" +
           std::string(option) + ") of a command carekeepd runs: it signs with the box key; leave the option out";
  return "user " + peer.user + " (uid " + std::to_string(peer.uid) + ") may not use " + std::string(option) +
         " in a command carekeepd runs";
}

std::optional<std::string> refusal(const Peer& peer, Role role, const CommandNeeds& needs,
                                   std::string_view inspector_group, std::string_view operator_group) {
  if (role >= needs.role) return std::nullopt;
  const Rule* rule = find_rule(needs.path);
  std::string what = rule != nullptr ? std::string(rule->what) : needs.path;
  std::string group(needs.role == Role::Operator ? operator_group : inspector_group);
  return "user " + peer.user + " (uid " + std::to_string(peer.uid) + ") may not " + what + ": that needs the group " +
         group + "; ask the box's administrator (usermod -aG " + group + " " + peer.user + ", then log in again)";
}

}  // namespace carekeep::control
