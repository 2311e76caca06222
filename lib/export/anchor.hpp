// export/anchor: daily integrity anchors (PRODUCT.md §2, issues #6 and 15). For every camera,
// the tips of its chains, of the box chain and of the access log, numbered and linked to the
// camera's previous anchor, signed with the box key and stored in integrity_anchor. Called by the daemon's anchor task on its loop thread (a few
// short SQLite statements) and by tests. `verify` checks footage against these anchors.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "index/index.hpp"
#include "signing/signing.hpp"

namespace carekeep::exports {

// The bytes an anchor's signature covers: one line per field, "-" for null, hashes in hex.
// Format 1: "carekeep-anchor/1\n<time_us>\n<camera>\n<tip id>\n<chain>\n<log id>\n<log hash>\n".
// Format 2: "carekeep-anchor/2\n<seq>\n<prev anchor hash>\n", the format 1 fields, then
// "<entry seq>\n<entry hash>\n<box entry seq>\n<box entry hash>\n".
std::string anchor_message(const index::NewAnchor& anchor);
// SHA-256 of anchor_message(): what the camera's next anchor links to (prev_anchor_sha256).
index::Sha256 anchor_sha256(const index::NewAnchor& anchor);

// Signs and stores one anchor per camera known to the index (removed cameras included:
// their chains remain evidence), all in one transaction: numbered after the camera's last
// anchor and linked to it, over the tips of the camera's file chain and chain_entry chain,
// of the box chain (holds) and of the access log. Returns the stored rows.
Result<std::vector<index::AnchorRow>> sign_anchors(index::Index& index, const signing::KeyPair& key, UtcTime now);

}  // namespace carekeep::exports
