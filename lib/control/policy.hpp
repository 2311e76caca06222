// control/policy: who may do what through carekeepd's control socket (issue #6, Access). The
// peer's credentials (SO_PEERCRED, SO_PEERGROUPS) give a role; each CLI command needs one.
// Pure decisions plus the credential and group lookups they start from; blocking only on
// NSS (getpwuid_r, getgrnam_r); any thread.
#pragma once

#include <sys/types.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace carekeep::control {

enum class Role {
  None,       // in neither group: may do nothing
  Inspector,  // carekeep-inspector: list, export, verify, report
  Operator,   // carekeep-operator: also place and release holds, acknowledge alerts
  Admin,      // root or the daemon's own user: everything
};
std::string_view to_string(Role role);
Result<Role> parse_role(std::string_view text);

struct Peer {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups at connect time
  std::string user;           // passwd name, or the uid as text
};

// The passwd name of `uid`, or the uid as text (NSS, thread-safe).
std::string user_name(uid_t uid);

// The credentials of the process at the other end of a connected Unix socket.
Result<Peer> peer_of(int socket);

// A group given by name or as a numeric gid; nullopt when no such group exists (yet).
std::optional<gid_t> resolve_group(std::string_view name_or_gid);

// Whether user `uid` is in group `gid` now (primary or supplementary, by NSS): for judging
// records made earlier, where no connected peer's groups are at hand.
bool user_in_group(uid_t uid, gid_t gid);

struct AccessGroups {
  std::optional<gid_t> inspector;
  std::optional<gid_t> operator_group;
};
Role role_of(const Peer& peer, uid_t daemon_uid, const AccessGroups& groups);

// What one CLI command needs. `path` is the command and, for hold and alerts, its verb
// ("hold add", "alerts ack", "alerts" for the listing).
struct CommandNeeds {
  std::string path;
  Role role = Role::Admin;
  bool changes_index = false;  // hold add/release, alerts ack: refused when carekeepd is down
  bool local_only = false;     // verify-export, verify-report, doctor: never sent to the daemon
  bool audited = false;        // key, export, verify, report: read, and record that in the access log
};

// `argv` starts at the command name (global options removed). InvalidArgument for an unknown
// command, a missing verb, or an argv that starts with an option.
Result<CommandNeeds> needs(std::span<const std::string> argv);

// The option of `carekeep report` that names a signing key file instead of the box key. A
// command carekeepd runs for a peer may not be given it: the daemon's user would read, and sign
// with, whatever key file the peer named (tools/cli/cmd_report.cpp registers it by this name).
inline constexpr std::string_view kSigningKeyOption = "--signing-key";

// The option in `argv` (from the command name on) that a command run for a peer may not be
// given ("--signing-key", also as "--signing-key=FILE"); nullopt when there is none.
std::optional<std::string> peer_refused_option(const CommandNeeds& needs, std::span<const std::string> argv);
// "user alice (uid 1001) may not choose the signing key (--signing-key) ..." for that option.
std::string option_refusal(const Peer& peer, std::string_view option);

// "user alice (uid 1001) may not place a hold: it needs the carekeep-operator group; ..." or
// nullopt when `role` suffices.
std::optional<std::string> refusal(const Peer& peer, Role role, const CommandNeeds& needs,
                                   std::string_view inspector_group, std::string_view operator_group);

}  // namespace carekeep::control
