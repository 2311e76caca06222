// export/digest: the signed daily digest that leaves the box (issue 15, "Anchors leave the
// box"; docs/evidence.md, Digests). Anchors live in the index, so whoever holds the key and
// the index can rewrite history and re-sign it all. A digest states every chain's length and
// tip hash at one moment and is sent off the box (webhooks, a person's phone); a copy kept
// outside then proves what the chains were, and `carekeep verify --digest` finds any history
// rewritten after it, whoever signed the rewrite. Plain values, the index reads that make one,
// and the check against the index; files are small and written atomically. Blocking; any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/sha256.hpp"
#include "base/time.hpp"
#include "index/index.hpp"
#include "signing/signing.hpp"

namespace carekeep::exports {

inline constexpr std::string_view kDigestFormat = "carekeep-digest/1";
inline constexpr std::string_view kDigestDirName = "digests";

// One hash chain at the digest's moment: its length (last seq, or last access-log id) and the
// hash of that last entry; a chain with nothing in it has length 0 and no tip.
struct ChainState {
  std::string chain;  // camera id; "" for the box chain and the access log
  std::int64_t length = 0;
  std::optional<Sha256> tip;
  // Cameras only: the camera's newest anchor (number and SHA-256 of its signed message), so
  // anchors re-made after the digest are caught too.
  std::optional<std::int64_t> anchor_seq;
  std::optional<Sha256> anchor_sha256;
};

struct Digest {
  std::string format{kDigestFormat};
  std::int64_t seq = 0;          // 1, 2, ... per box (the files in digests/ number them)
  std::string site;              // [site] name
  UtcTime time;
  std::vector<ChainState> cameras;  // every camera the index knows, removed ones too, by id
  ChainState box;                // the box chain (holds)
  ChainState access_log;
  std::string config_sha256;     // hex SHA-256 of the configuration file the daemon loaded
  std::string key_fingerprint;   // of the key that signed it
  std::string signature;         // hex Ed25519 over signed_message()
};

// The exact bytes signed: the digest's JSON without "signature", compact, keys in a fixed
// order (to_json's), so a verifier rebuilds them from the parsed file.
std::string signed_message(const Digest& digest);
// {"format", "seq", "site", "time", "time_us", "cameras": [{camera, length, tip, anchor_seq,
// anchor_sha256}], "box_chain": {length, tip}, "access_log": {length, tip}, "config_sha256",
// "key_fingerprint", "signature"}; hashes in hex, null when absent.
std::string to_json(const Digest& digest);
// InvalidArgument naming what is wrong for text that is not a digest of a known format.
Result<Digest> digest_from_json(std::string_view text);

// Reads the chain tips, newest anchors and access-log tip from `index` in one read
// transaction and signs them with `key`.
Result<Digest> make_digest(index::Index& index, const signing::KeyPair& key, std::string site,
                           std::string config_sha256, std::int64_t seq, UtcTime now);

// <dir>/digest-YYYYMMDD-<seq>.json (the local date), written atomically. Returns the path.
Result<std::filesystem::path> write_digest_file(const std::filesystem::path& dir, const Digest& digest,
                                                const TimeZone& zone);
// The number the next digest in `dir` takes: one more than the highest found (1 when none).
std::int64_t next_digest_seq(const std::filesystem::path& dir);
// The digest file in `dir` with the highest number; nullopt when there is none.
struct DigestFile {
  std::int64_t seq = 0;
  std::filesystem::path path;
};
std::optional<DigestFile> latest_digest_file(const std::filesystem::path& dir);

// One way the index (or the digest itself) disagrees with a digest.
struct DigestFinding {
  std::string chain;   // camera id, "" for the box chain / access log / the digest itself
  std::int64_t seq = 0;  // the entry (or access-log id) concerned; 0 when about the digest
  std::string detail;  // one line, in words
};

// Whether the digest's signature is good under `key`, and whether every chain the index holds
// now extends the digest: the entry at the digest's length exists and has its tip hash (an
// entry's hash covers its predecessor's, so nothing before it changed either), and each
// camera's anchor of the digest's number is still the one signed then. Empty: all is well.
Result<std::vector<DigestFinding>> check_digest(index::Index& index, const Digest& digest,
                                                const std::optional<signing::PublicKey>& key);

// The next moment the daily digest is due after `now`: `minute_of_day` (local) today if still
// ahead, else tomorrow. A minute that does not exist that day (DST) maps as TimeZone::to_utc.
UtcTime next_digest_time(UtcTime now, int minute_of_day, const TimeZone& zone);

}  // namespace carekeep::exports
