// index/chain: the evidence chain (issue 15; docs/evidence.md, Evidence chain). Per camera, an
// append-only, hash-linked list of chain_entry rows: one when a segment closes (its full
// metadata) and one for every later change of its row; in the box chain, one per hold placed
// or released. The Index methods that change those rows append the entries in the same
// transaction (index.cpp); Index::verify_chain walks them (chain.cpp). Plain values and pure
// functions here; no I/O, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/sha256.hpp"
#include "base/time.hpp"
#include "index/rows.hpp"

namespace carekeep::index {

// The box chain: holds, whose subject may be a zone (configuration, not a camera row), and
// the configuration versions the daemon loaded.
inline constexpr std::string_view kBoxChain = "";

struct ChainEntry {
  std::string chain;                 // camera id, or kBoxChain
  std::int64_t seq = 0;              // 1, 2, ... within the chain
  UtcTime time;
  std::string kind;                  // adopted | opened | closed | recovered | damaged | deleting | deleted | hold | release | config
                                     // | care_start | care_end
  std::optional<SegmentId> segment_id;
  std::optional<std::int64_t> hold_id;
  std::string record;                // segment_record() or hold_record() of the row after the change
  Sha256 prev_hash{};
  Sha256 hash{};
  std::optional<std::int64_t> config_id;  // a config_version row (box chain, since migration 0007)
  std::optional<std::int64_t> care_session_id;  // a care_session row (box chain, since migration 0009)
};

// SHA-256(prev_hash || chain || seq || time_us || kind || segment_id || hold_id || record
// [|| config_id] [|| care_session_id]), integers 8 bytes big-endian (0 for null), texts length-prefixed, as the
// access log's hash. config_id is appended only when set, so entries written before migration
// 0007 hash exactly as they did; care_session_id likewise.
Sha256 chain_entry_hash(const ChainEntry& entry);

// The file chain kept in segment.chain_sha256 since migration 0001: SHA-256(previous link ||
// file SHA-256). The index computes it at close; exports cite it.
Sha256 file_chain_link(const Sha256& previous, const Sha256& file_sha256);

// A row in canonical form: one "key=value" line per column that matters, in a fixed order;
// a null column has no line, "\" and newlines in text are escaped. Every column of segment
// (but chain_sha256's own hash input order) and of hold is covered: an inspector can rely on
// any of them.
std::string segment_record(const SegmentRow& row);
// What a segment's 'opened' entry records (migration 0012): the fields fixed when its open row
// is written (camera, run, seq, path, start_us, created_us) and state=open. Its close may move
// start_us earlier (a late first packet), never later; the rest stays.
std::string segment_opening_record(const SegmentRow& row);
std::string hold_record(const HoldRecord& hold);
// Every column of config_version but content, which its sha256 line stands for (`verify`
// re-hashes the content against it).
std::string config_record(const ConfigVersionRow& version);
// Every column of care_session.
std::string care_session_record(const CareSessionRow& session);
// The lines of a record as (key, value) pairs in order; unescaped.
std::vector<std::pair<std::string, std::string>> parse_record(std::string_view record);

// One thing wrong with a chain, at the entry (or the row) where `verify` found it.
struct ChainFinding {
  std::string chain;
  std::int64_t seq = 0;                    // the entry concerned; 0 when about a row without entries
  std::optional<SegmentId> segment_id;
  std::optional<std::int64_t> hold_id;
  std::optional<std::int64_t> config_id;
  std::optional<std::int64_t> care_session_id;
  std::string problem;                     // one line, in words: what differs
  // Not a finding but a note: what the entry shows is expected from what it itself records. So
  // far one case: a segment's closed/recovered/damaged entry dated after the check whose (intact)
  // record says suspect_clock=1, i.e. footage recorded while the clock guard did not trust a
  // clock that was ahead; its date is that clock's, and the row says so (docs/evidence.md,
  // verify). Never a deletion's entry.
  bool note = false;
};

}  // namespace carekeep::index
