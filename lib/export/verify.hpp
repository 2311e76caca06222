// export/verify: `carekeep verify` (issues #6 and 15). Checks footage against the index
// (presence and size, or the full SHA-256 unless quick), each camera's file chain link by
// link, its evidence chain (every row against its chain entries, index/chain.hpp) and the
// box chain of holds, files on disk without rows, the signed anchors (numbered, linked, over
// the chain tips), and the access log's own chain. Read-only: it reports and changes
// nothing. Blocking; one thread. Which key it trusts is the caller's choice (signing/trust).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "export/digest.hpp"
#include "index/index.hpp"
#include "signing/signing.hpp"
#include "signing/trust.hpp"

namespace carekeep::exports {

struct Finding {
  std::string kind;     // missing | lost | not_recorded | altered | extra | out_of_chain | chain | anchor | access_log | key | camera | digest
                        // | deleted_while_held | hold_unaccounted | release_unaccounted | deletion_unaccounted (export/legal.hpp)
  std::string camera;   // "" for the access log
  std::int64_t segment_id = 0;  // 0 when not about one row
  std::string path;     // relative to storage, when about a file
  std::string detail;   // one line, in words
};

// The cameras of `zone` by the configuration in force at `at` (lib/history); nullopt when that
// configuration has no such zone.
using ZoneCamerasAt = std::function<std::optional<std::vector<std::string>>(std::string_view zone, UtcTime at)>;
// Whether the user `uid` is in the inspector group (NSS, as of the check).
using IsInspector = std::function<bool(std::int64_t uid)>;

struct VerifyOptions {
  // Those to check; empty = every camera the evidence names (Index::evidence_cameras), and
  // one without a camera row is itself a finding (the row deleted to hide its footage).
  std::vector<std::string> cameras;
  std::optional<index::TimeRange> range;      // files of segments overlapping it; all when absent
  bool quick = false;                         // presence and size only, no re-hashing
  // The key anchor signatures are checked with (anchors by other keys are findings), and
  // whether anything outside the box vouches for it (signing::choose_key). A Mismatch is
  // itself a finding; Unpinned and None are not, but the report says signatures_trusted false.
  signing::KeyChoice key;
  UtcTime now = SystemClock{}.now();          // entries dated after it are findings
  const TimeZone* zone = nullptr;             // file names carry local time (extra-file range filter)
  // Digests kept outside the box (`--digest FILE`): the chains must extend each of them
  // (export/digest.hpp). Their signatures are checked with `key`, never a key of their own.
  std::vector<Digest> digests;
  // For the cross-checks of legal steps (export/legal.hpp): zone holds resolve to cameras by
  // the configuration in force (empty: a zone holds every camera), and who may release an
  // inspector's hold (empty: root, or the inspector role the access log recorded).
  ZoneCamerasAt zone_cameras;
  IsInspector is_inspector;
};

// An anchor older than this while the chain it covers went on changing means anchors were
// removed or the daemon stopped signing them: it signs at start, every 24 h and at shutdown.
inline constexpr std::chrono::hours kStaleAnchorAfter{25};

struct VerifyProgress {
  std::uint64_t bytes_done = 0;
  std::uint64_t bytes_total = 0;
};

struct VerifyReport {
  std::vector<Finding> findings;
  std::int64_t segments_checked = 0;
  std::int64_t links_checked = 0;
  std::int64_t anchors_checked = 0;
  std::int64_t access_log_rows = 0;
  std::int64_t chain_entries_checked = 0;
  std::int64_t digests_checked = 0;
  std::uint64_t bytes_hashed = 0;
  bool signatures_trusted = false;            // checked with a key given or pinned from outside the box
  // Not findings, and not counted in clean(): what the evidence shows as expected given what it
  // records itself (index::ChainFinding::note: chain entries dated after the check of footage
  // marked suspect_clock). Listed so an inspector sees them.
  std::vector<Finding> notes;
  bool clean() const { return findings.empty(); }
};

Result<VerifyReport> verify_footage(index::Index& index, const std::filesystem::path& storage,
                                    const VerifyOptions& options,
                                    const std::function<void(const VerifyProgress&)>& progress);

}  // namespace carekeep::exports
