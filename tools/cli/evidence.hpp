// carekeep CLI: what the evidence commands (export, verify, verify-export, key, access-log)
// share: where the box key lives, a writer connection for the access log, and recording an
// action there without letting a logging failure hide the command's own result.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/destination.hpp"
#include "command.hpp"
#include "export/actor.hpp"
#include "index/index.hpp"
#include "signing/signing.hpp"
#include "signing/trust.hpp"

namespace carekeep::cli {

// Exit codes of the evidence commands, beyond those of command.hpp (README, "Exit codes").
inline constexpr int kExitFindings = 4;        // verify / verify-export found a mismatch
inline constexpr int kExitBadRange = 10;       // --from is not before --to
inline constexpr int kExitUnknownTarget = 11;  // unknown camera or zone
inline constexpr int kExitNoFootage = 12;      // nothing recorded in the range
inline constexpr int kExitOutputExists = 13;   // --out exists and is not an empty folder
inline constexpr int kExitDiskFull = 14;       // the export did not fit
inline constexpr int kExitSourceAltered = 15;  // a source segment no longer matches the index
inline constexpr int kExitUntrustedKey = 16;   // signatures good, but only by the key beside the data
inline constexpr int kExitInterrupted = 130;   // SIGINT / SIGTERM (128 + 2)

// The whole content of a small file the user named (a key, a signature, a digest); nullopt
// when it cannot be read.
std::optional<std::string> read_file(const std::filesystem::path& path);

// Who the command acts for: the user who ran it or, when carekeepd runs it through the
// control socket, the user at the other end (their uid and name, from the socket).
exports::Actor acting_user(const Context& context);

// A path as the user typed it, made absolute against the user's working directory.
std::filesystem::path user_path(const Context& context, const std::string& given);

// Where a command writes the files a person takes away: made here, or by the user's own
// carekeep when carekeepd runs the command for them (control/broker.hpp).
std::unique_ptr<fs::Destination> make_destination(const Context& context);

// Set when the user's carekeep refused a file request of this command as outside the output
// folder on its command line (control::RemoteDestination::refusal).
std::optional<std::string> broker_refusal(const fs::Destination& dest);

// Appends a "refused" row (what the daemon records for its refusals) for `command`.
bool record_peer_refusal(index::Index& index, const Context& context, std::string_view command,
                         const std::string& reason);

// The directory holding the index and the box key (as the daemon uses it).
std::filesystem::path state_dir(const Context& context);

// A writer connection on the existing index (after the read-only open checked it), or a
// CommandError that names `why` writing is needed.
index::Index open_writer(const Context& context, std::string_view why);

// Appends to the access log; on failure prints one warning line to stderr and returns false.
bool record(index::Index& index, const exports::Actor& actor, std::string_view action, const std::string& arguments,
            std::string_view result);

// The box key for signing; CommandError naming the file and the next step otherwise.
signing::KeyPair load_key(const Context& context);

// The public key without needing the private one: signing.pub (written by the daemon,
// world-readable) or the private key file if this user may read it.
std::optional<signing::PublicKey> local_public_key(const std::filesystem::path& dir, std::string* error = nullptr);

// Where the installation pins the box key's fingerprint: signing.fingerprint beside the
// configuration file (/etc/carekeep/signing.fingerprint).
std::filesystem::path pinned_fingerprint_file(const Context& context);

// The key `verify` may check signatures with (signing::choose_key): --pubkey FILE (its
// content), --fingerprint HEX, the pinned fingerprint, else the key beside the data,
// untrusted. Empty strings mean not given. UsageError for a malformed key or fingerprint,
// CommandError for an unreadable --pubkey file or pin.
signing::KeyChoice choose_trusted_key(const Context& context, const std::string& pubkey_file,
                                      const std::string& fingerprint);

}  // namespace carekeep::cli
