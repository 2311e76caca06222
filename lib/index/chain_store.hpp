// index/chain_store: writing the evidence chain, for the index module only (index.cpp and
// the migration in schema.cpp). Runs on the caller's connection inside its transaction;
// blocks on SQLite.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "index/chain.hpp"
#include "sqlite/connection.hpp"

namespace carekeep::index::detail {

// The byte layout every hashed message of the index uses (anchors, chain entries): integers
// as 8 bytes big-endian, text as its length then its bytes, so no two messages share bytes.
inline void put_int(std::string& out, std::int64_t value) {
  auto v = static_cast<std::uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

inline void put_text(std::string& out, std::string_view text) {
  put_int(out, static_cast<std::int64_t>(text.size()));
  out += text;
}

// Appends `entry` (chain, time, kind, subject and record set) at the chain's tip: fills in
// seq, prev_hash and hash. The caller holds the transaction that also wrote the row, so two
// writers cannot fork the chain and a crash cannot separate a row from its entry.
Result<ChainEntry> append_entry(sqlite::Connection& db, ChainEntry entry);

// Migration 0006: one 'adopted' entry per existing segment row that is not open (camera
// chains, in id order) and per hold (box chain), recording each row as it is at `now`.
// Streams the rows (no table is loaded whole: a box has millions of segment rows).
Status adopt_existing_rows(sqlite::Connection& db, UtcTime now);

// Migration 0012: one 'opened' entry per segment row still open (a crash before the upgrade),
// in id order, so recovery, which refuses an open row outside the chain, still repairs it.
Status chain_existing_open_rows(sqlite::Connection& db, UtcTime now);

}  // namespace carekeep::index::detail
