// export/legal: `verify`'s cross-checks of chain entries that are each a *legal* step on their
// own (issue 15; docs/evidence.md, "Legal steps cross-checked"). The chain rules
// (Index::verify_chain) accept any well-linked deletion of unprotected footage and any release
// of a hold; someone with SQL access but no key can append such entries by hand. What they do
// not write by themselves is the rest of what carekeep writes with them:
//   1. retention never deletes held footage: a segment's deletion dated while a hold covering
//      it was in force (box chain) is `deleted_while_held`;
//   2. every hold placed or released through carekeep has its access-log row (hold_add /
//      hold_release, "ok", same hold, within a minute), and an inspector's hold is released
//      only by root or the inspector group: otherwise `hold_unaccounted` / `release_unaccounted`;
//   3. every retention pass that deletes writes one `retention_delete` row with per-camera
//      counts after its entries: `deleting` entries beyond a pass's count are
//      `deletion_unaccounted`.
// Reads the index only (blocking SQLite); one thread.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "export/verify.hpp"
#include "index/index.hpp"

namespace carekeep::exports {

// An access-log row belongs to a chain entry when its time is within this of the entry's: the
// CLI stamps the hold before inserting it and records the row just after (each may wait for
// the index's lock, 5 s at most).
inline constexpr std::chrono::minutes kAccessLogWindow{1};
// A deletion dated less than this after a hold was placed is a note, not a finding: the CLI
// stamps a hold before its insert may have waited for the lock a retention batch held.
inline constexpr std::chrono::minutes kHoldPlacementRace{1};
// A deletion dated less than this before a hold's release is a note: a pass's entries carry the
// time the pass began, and a batch after the release may mark rows the hold had kept.
inline constexpr std::chrono::minutes kPassDuration{10};
// `deleting` entries after the newest retention_delete row are not judged until this old while
// a daemon run that began before them has not stopped: the pass that marked them may still be
// running (its row comes at its end).
inline constexpr std::chrono::hours kPassPending{1};

struct LegalCheckOptions {
  UtcTime now;
  ZoneCamerasAt zone_cameras;  // empty: every zone holds every camera (as retention errs)
  IsInspector is_inspector;    // empty: only root or a recorded inspector role may release
};

struct LegalCheckResult {
  std::vector<Finding> findings;
  std::vector<Finding> notes;
};

// `cameras`: the camera chains to check for deletions (verify's list).
Result<LegalCheckResult> check_legal_steps(index::Index& index, std::span<const std::string> cameras,
                                           const LegalCheckOptions& options);

}  // namespace carekeep::exports
