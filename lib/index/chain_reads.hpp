// index/chain_reads: narrow reads of the evidence chain for the checks that look at one kind of
// entry only (export/legal.*: deletions against holds and retention passes). Kept out of
// index.hpp so that adding one costs only the files that use it. Blocks on SQLite.
#pragma once

#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "index/chain.hpp"
#include "index/index.hpp"

namespace carekeep::index {

// The entries of `chain` whose kind is `kind`, in seq order, without loading the rest of the
// chain (one pass over the chain's primary key range).
Result<std::vector<ChainEntry>> chain_entries_of_kind(Index& index, std::string_view chain, std::string_view kind);

}  // namespace carekeep::index
