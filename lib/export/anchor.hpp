// export/anchor: daily integrity anchors (PRODUCT.md §2, issue #6). For every camera, the
// tip of its segment hash chain and the tip of the access log, signed with the box key and
// stored in integrity_anchor. Called by the daemon's anchor task on its loop thread (a few
// short SQLite statements) and by tests. `verify` checks footage against these anchors.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "index/index.hpp"
#include "signing/signing.hpp"

namespace carekeep::exports {

// The bytes an anchor's signature covers: one line per field, "-" for null, hashes in hex:
// "carekeep-anchor/1\n<time_us>\n<camera>\n<tip id>\n<chain>\n<log id>\n<log hash>\n".
std::string anchor_message(const index::NewAnchor& anchor);

// Signs and stores one anchor per camera known to the index (removed cameras included:
// their chains remain evidence), all in one transaction. Returns the stored rows.
Result<std::vector<index::AnchorRow>> sign_anchors(index::Index& index, const signing::KeyPair& key, UtcTime now);

}  // namespace carekeep::exports
