#include "index/chain.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "base/text.hpp"
#include "index/chain_reads.hpp"
#include "index/chain_store.hpp"
#include "index/index.hpp"
#include "index/query.hpp"

namespace carekeep::index {
namespace {

using sqlite::Statement;
using detail::put_int;
using detail::put_text;

using detail::failed;
using detail::first_of;

// Record lines are "key=value\n"; a value's backslashes and newlines are escaped so that a
// state_detail or hold reason cannot forge a line of its own.
void line(std::string& out, std::string_view key, std::string_view value) {
  out += key;
  out += '=';
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  out += '\n';
}
void line(std::string& out, std::string_view key, std::int64_t value) { line(out, key, std::to_string(value)); }
void line(std::string& out, std::string_view key, UtcTime value) { line(out, key, to_us(value)); }
template <class T>
void line(std::string& out, std::string_view key, const std::optional<T>& value) {
  if (value) line(out, key, *value);
}
void line(std::string& out, std::string_view key, const std::optional<Sha256>& value) {
  if (value) line(out, key, to_hex(*value));
}

using Fields = std::map<std::string, std::string>;

Fields fields_of(std::string_view record) {
  Fields out;
  for (auto& [k, v] : parse_record(record)) out[k] = v;
  return out;
}

std::string shown(const Fields& fields, const std::string& key) {
  auto it = fields.find(key);
  if (it == fields.end()) return "null";
  return "'" + it->second + "'";
}

// "key: A in <a>, B in <b>" for every key whose value differs (a missing key is null).
std::vector<std::string> differences(const Fields& a, const Fields& b, std::string_view a_name,
                                     std::string_view b_name, const std::set<std::string>& ignore = {}) {
  std::set<std::string> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  std::vector<std::string> out;
  for (const auto& k : keys) {
    if (ignore.count(k)) continue;
    auto ia = a.find(k);
    auto ib = b.find(k);
    bool same = (ia == a.end()) == (ib == b.end()) && (ia == a.end() || ia->second == ib->second);
    if (!same) {
      out.push_back(k + " " + shown(a, k) + " in " + std::string(a_name) + ", " + shown(b, k) + " in " +
                    std::string(b_name));
    }
  }
  return out;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

// What may change in a row after its first entry: the state and what goes with it. Every
// other column was fixed when the segment closed (protect_until included: a later schedule
// cannot shorten it) or the hold was placed.
const std::set<std::string> kSegmentMutable = {"state", "state_detail", "deleted_us"};
const std::set<std::string> kHoldMutable = {"released_us", "released_uid", "released_user"};
const std::set<std::string> kCareMutable = {"ended_us", "end_reason", "ended_uid", "ended_user"};

// What a segment's close may not change from its 'opened' entry. start_us may move earlier
// (the recorder dates a late first packet back at close), which verify_chain checks apart.
const std::set<std::string> kOpeningFixed = {"camera", "run", "seq", "path", "created_us"};

Fields only(const Fields& fields, const std::set<std::string>& keys) {
  Fields out;
  for (const auto& [k, v] : fields) {
    if (keys.count(k)) out.emplace(k, v);
  }
  return out;
}

bool legal_segment_step(std::string_view from, std::string_view to) {
  if (from == "open") return to == "closed" || to == "recovered" || to == "damaged";
  if (to == "damaged") return from == "closed" || from == "recovered";
  if (to == "deleting") return from == "closed" || from == "recovered" || from == "damaged";
  if (to == "deleted") return from == "deleting";
  return false;
}

// An entry may be dated a little after the verifier's clock (two boxes' clocks, NTP steps);
// beyond that it was forged to look like a deletion made after its protection ended.
constexpr Micros kFutureTolerance = std::chrono::minutes(10);

sqlite::Blob blob(const Sha256& hash) { return {hash.data(), hash.size()}; }

Sha256 sha_at(const Statement& q, int column) {
  Sha256 out{};
  if (q.is_null(column)) return out;
  auto bytes = q.column<sqlite::Bytes>(column);
  std::copy_n(bytes.begin(), std::min(bytes.size(), out.size()), out.begin());  // the column's check fixes 32
  return out;
}

// A record the daemon writes is well under 1 KiB and 25 lines; anything beyond these was not
// written by carekeep, and reading it whole would let one forged entry take minutes and
// gigabytes of verify (review scenario I2: 64 MB, 6 M keys). SQL hands over at most one byte
// past the cap, so an oversized record is recognised without being loaded.
constexpr std::size_t kMaxRecordBytes = 64 * 1024;
constexpr std::size_t kMaxRecordKeys = 64;
const std::string kEntryColumns = "chain, seq, time_us, kind, segment_id, hold_id, substr(record, 1, " +
                                  std::to_string(kMaxRecordBytes + 1) + "), prev_hash, hash, config_id, care_session_id";

// Why a record cannot be read as one carekeep wrote, or nullopt.
std::optional<std::string> unreadable_record(std::string_view record) {
  if (record.size() > kMaxRecordBytes) {
    return "its record is over " + std::to_string(kMaxRecordBytes) + " bytes (not written by carekeep; not read)";
  }
  auto lines = static_cast<std::size_t>(std::count(record.begin(), record.end(), '\n'));
  if (lines > kMaxRecordKeys) {
    return "its record has " + std::to_string(lines) + " lines, more than the " + std::to_string(kMaxRecordKeys) +
           " a row has (not written by carekeep; not read)";
  }
  return std::nullopt;
}

ChainEntry read_entry(const Statement& q) {
  ChainEntry e;
  e.chain = q.column<std::string>(0);
  e.seq = q.column<std::int64_t>(1);
  e.time = from_us(q.column<std::int64_t>(2));
  e.kind = q.column<std::string>(3);
  e.segment_id = q.column<std::optional<std::int64_t>>(4);
  e.hold_id = q.column<std::optional<std::int64_t>>(5);
  e.record = q.column<std::string>(6);
  e.prev_hash = sha_at(q, 7);
  e.hash = sha_at(q, 8);
  e.config_id = q.column<std::optional<std::int64_t>>(9);
  e.care_session_id = q.column<std::optional<std::int64_t>>(10);
  return e;
}

Result<std::vector<ChainEntry>> read_entries(sqlite::Connection& db, std::string_view sql, std::string_view what,
                                             const std::function<void(Statement&)>& bind) {
  auto q = db.cached(sql);
  if (!q) return failed(std::move(q.error()), what);
  bind(**q);
  std::vector<ChainEntry> out;
  for (;;) {
    auto step = (*q)->step();
    if (!step) return failed(std::move(step.error()), what);
    if (!*step) return out;
    out.push_back(read_entry(**q));
  }
}

const std::string kTipSql =
    "select " + kEntryColumns + " from chain_entry where chain = :chain order by seq desc limit 1";
const std::string kEntrySql =
    "select " + kEntryColumns + " from chain_entry where chain = :chain and seq = :seq";
const std::string kEntriesSql =
    "select " + kEntryColumns + " from chain_entry where chain = :chain order by seq";
// Appending names only the columns the entry uses and reads only the tip's seq and hash: the
// same code runs inside migration 0006 (adopt_existing_rows), before 0007 adds config_id.
constexpr std::string_view kTipLinkSql =
    "select seq, hash from chain_entry where chain = :chain order by seq desc limit 1";
constexpr std::string_view kInsertEntrySql = R"sql(
  insert into chain_entry (chain, seq, time_us, kind, segment_id, hold_id, record, prev_hash, hash)
  values (:chain, :seq, :time_us, :kind, :segment_id, :hold_id, :record, :prev_hash, :hash)
)sql";
constexpr std::string_view kInsertConfigEntrySql = R"sql(
  insert into chain_entry (chain, seq, time_us, kind, config_id, record, prev_hash, hash)
  values (:chain, :seq, :time_us, :kind, :config_id, :record, :prev_hash, :hash)
)sql";
constexpr std::string_view kInsertCareEntrySql = R"sql(
  insert into chain_entry (chain, seq, time_us, kind, care_session_id, record, prev_hash, hash)
  values (:chain, :seq, :time_us, :kind, :care_session_id, :record, :prev_hash, :hash)
)sql";


// What a chain entry is about: a segment (camera chains), a hold or a configuration version
// (the box chain). Ordered, so `verify` can keep each one's latest entry in a map.
struct Subject {
  enum Kind { Segment, Hold, Config, Care } kind = Segment;
  std::int64_t id = 0;
  auto operator<=>(const Subject&) const = default;
  std::string name() const {
    static constexpr std::string_view kNames[] = {"segment ", "hold ", "config version ", "care session "};
    return std::string(kNames[kind]) + std::to_string(id);
  }
};

std::optional<Subject> subject_of(const ChainEntry& e, bool box) {
  if (!box) return e.segment_id ? std::optional<Subject>({Subject::Segment, *e.segment_id}) : std::nullopt;
  if (e.hold_id) return Subject{Subject::Hold, *e.hold_id};
  if (e.config_id) return Subject{Subject::Config, *e.config_id};
  if (e.care_session_id) return Subject{Subject::Care, *e.care_session_id};
  return std::nullopt;
}

}  // namespace

Sha256 chain_entry_hash(const ChainEntry& e) {
  std::string bytes(reinterpret_cast<const char*>(e.prev_hash.data()), e.prev_hash.size());
  put_text(bytes, e.chain);
  put_int(bytes, e.seq);
  put_int(bytes, to_us(e.time));
  put_text(bytes, e.kind);
  put_int(bytes, e.segment_id.value_or(0));
  put_int(bytes, e.hold_id.value_or(0));
  put_text(bytes, e.record);
  if (e.config_id) put_int(bytes, *e.config_id);
  if (e.care_session_id) {
    put_text(bytes, "care_session");
    put_int(bytes, *e.care_session_id);
  }
  return sha256_of(bytes);
}

Sha256 file_chain_link(const Sha256& previous, const Sha256& file_sha256) {
  Sha256Stream hash;
  hash.update(previous.data(), previous.size());
  hash.update(file_sha256.data(), file_sha256.size());
  return hash.finish();
}

std::string segment_record(const SegmentRow& r) {
  std::string out;
  line(out, "camera", r.camera_id);
  line(out, "run", r.run_id);
  line(out, "seq", r.seq);
  line(out, "path", r.path);
  line(out, "start_us", r.start);
  line(out, "duration_us", r.duration.count());
  line(out, "end_us", r.end);
  line(out, "size_bytes", r.size_bytes);
  line(out, "frames", r.frames);
  line(out, "keyframes", r.keyframes);
  line(out, "video_codec", r.video_codec);
  line(out, "width", std::int64_t{r.width});
  line(out, "height", std::int64_t{r.height});
  line(out, "audio_codec", r.audio_codec);
  line(out, "sha256", r.sha256);
  line(out, "chain_sha256", r.chain_sha256);
  line(out, "state", to_string(r.state));
  line(out, "state_detail", r.state_detail);
  line(out, "protect_until_us", r.protect_until);
  line(out, "created_us", r.created);
  line(out, "closed_us", r.closed);
  line(out, "deleted_us", r.deleted);
  // Only when set: entries written before it was chained have no line, which reads as 0, so
  // their chains still verify (review scenario E: it was outside the record).
  if (r.suspect_clock) line(out, "suspect_clock", std::int64_t{1});
  return out;
}

std::string segment_opening_record(const SegmentRow& r) {
  std::string out;
  line(out, "camera", r.camera_id);
  line(out, "run", r.run_id);
  line(out, "seq", r.seq);
  line(out, "path", r.path);
  line(out, "start_us", r.start);
  line(out, "created_us", r.created);
  line(out, "state", to_string(SegmentState::Open));
  return out;
}

std::string hold_record(const HoldRecord& h) {
  std::string out;
  line(out, "camera", h.hold.camera_id);
  line(out, "zone", h.hold.zone_id);
  line(out, "from_us", h.hold.from);
  line(out, "to_us", h.hold.to);
  line(out, "reason", h.hold.reason);
  line(out, "created_us", h.hold.created);
  line(out, "created_uid", h.hold.created_uid);
  line(out, "created_user", h.hold.created_user);
  line(out, "released_us", h.hold.released);
  line(out, "released_uid", h.released_uid);
  line(out, "released_user", h.released_user);
  // Migration 0008's columns, only when set: the entries of older holds stay what they were.
  line(out, "case_number", h.hold.case_number);
  if (h.hold.by_inspector) line(out, "placed_as", "inspector");
  return out;
}

std::string config_record(const ConfigVersionRow& v) {
  std::string out;
  line(out, "loaded_us", v.loaded);
  line(out, "source", v.source);
  line(out, "uid", v.uid);
  line(out, "user", v.user);
  line(out, "sha256", to_hex(v.sha256));
  return out;
}

std::string care_session_record(const CareSessionRow& c) {
  std::string out;
  line(out, "started_us", c.started);
  line(out, "limit_us", c.limit);
  line(out, "ended_us", c.ended);
  if (c.end_reason) line(out, "end_reason", std::string(to_string(*c.end_reason)));
  line(out, "note", c.note);
  line(out, "started_uid", c.started_uid);
  line(out, "started_user", c.started_user);
  line(out, "ended_uid", c.ended_uid);
  line(out, "ended_user", c.ended_user);
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_record(std::string_view record) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t pos = 0;
  while (pos < record.size()) {
    auto end = record.find('\n', pos);
    if (end == std::string_view::npos) end = record.size();
    auto text = record.substr(pos, end - pos);
    auto eq = text.find('=');
    std::string key(text.substr(0, eq));
    std::string value;
    if (eq != std::string_view::npos) {
      for (std::size_t i = eq + 1; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          value += text[i + 1] == 'n' ? '\n' : text[i + 1];
          ++i;
        } else {
          value += text[i];
        }
      }
    }
    out.emplace_back(std::move(key), std::move(value));
    pos = end + 1;
  }
  return out;
}

// ---- storage (index/chain_store.hpp) ----------------------------------------------------

namespace detail {

Result<ChainEntry> append_entry(sqlite::Connection& db, ChainEntry entry) {
  std::string what = "appending to the evidence chain of " +
                     (entry.chain.empty() ? std::string("the box") : "camera " + entry.chain);
  {
    auto tip = db.cached(kTipLinkSql);
    if (!tip) return failed(std::move(tip.error()), what);
    (*tip)->bind(":chain", std::string_view(entry.chain));
    auto found = (*tip)->step();
    if (!found) return failed(std::move(found.error()), what);
    entry.seq = *found ? (*tip)->column<std::int64_t>(0) + 1 : 1;
    entry.prev_hash = *found ? sha_at(**tip, 1) : Sha256{};
  }
  entry.hash = chain_entry_hash(entry);
  auto q = db.cached(entry.config_id         ? kInsertConfigEntrySql
                     : entry.care_session_id ? kInsertCareEntrySql
                                             : kInsertEntrySql);
  if (!q) return failed(std::move(q.error()), what);
  (*q)->bind(":chain", std::string_view(entry.chain))
      .bind(":seq", entry.seq)
      .bind(":time_us", to_us(entry.time))
      .bind(":kind", std::string_view(entry.kind))
      .bind(":record", std::string_view(entry.record))
      .bind(":prev_hash", blob(entry.prev_hash))
      .bind(":hash", blob(entry.hash));
  if (entry.config_id) {
    (*q)->bind(":config_id", entry.config_id);
  } else if (entry.care_session_id) {
    (*q)->bind(":care_session_id", entry.care_session_id);
  } else {
    (*q)->bind(":segment_id", entry.segment_id).bind(":hold_id", entry.hold_id);
  }
  if (auto st = (*q)->run(); !st) return failed(std::move(st.error()), what);
  return entry;
}

}  // namespace detail

// ---- Index: reading and verifying --------------------------------------------------------

Result<std::optional<ChainEntry>> Index::chain_entry_tip(std::string_view chain) {
  return first_of(read_entries(db_, kTipSql, "reading the evidence chain tip",
                               [&](Statement& q) { q.bind(":chain", chain); }));
}

Result<std::optional<ChainEntry>> Index::chain_entry(std::string_view chain, std::int64_t seq) {
  return first_of(read_entries(db_, kEntrySql, "reading an evidence chain entry",
                               [&](Statement& q) { q.bind(":chain", chain).bind(":seq", seq); }));
}

const std::string kOpeningSql = "select " + kEntryColumns +
                                " from chain_entry where segment_id = :id and chain = :chain and kind = 'opened' "
                                "order by seq limit 1";

Result<std::optional<ChainEntry>> Index::segment_opening(std::string_view camera_id, SegmentId id) {
  return first_of(read_entries(db_, kOpeningSql, "reading a segment's opening in the evidence chain",
                               [&](Statement& q) { q.bind(":id", id).bind(":chain", camera_id); }));
}

const std::string kEntriesOfKindSql =
    "select " + kEntryColumns + " from chain_entry where chain = :chain and kind = :kind order by seq";

Result<std::vector<ChainEntry>> chain_entries_of_kind(Index& index, std::string_view chain, std::string_view kind) {
  return read_entries(index.connection(), kEntriesOfKindSql, "reading the evidence chain",
                      [&](Statement& q) { q.bind(":chain", chain).bind(":kind", kind); });
}

Result<std::vector<ChainEntry>> Index::chain_entries(std::string_view chain) {
  return read_entries(db_, kEntriesSql, "reading the evidence chain", [&](Statement& q) { q.bind(":chain", chain); });
}

Result<std::vector<ChainFinding>> Index::verify_chain(std::string_view chain, UtcTime now) {
  const bool box = chain == kBoxChain;
  auto entries = chain_entries(chain);
  if (!entries) return tl::unexpected(std::move(entries.error()));
  std::vector<ChainFinding> findings;
  auto finding = [&](const ChainEntry* e, std::string problem) {
    ChainFinding f;
    f.chain = std::string(chain);
    if (e != nullptr) {
      f.seq = e->seq;
      f.segment_id = e->segment_id;
      f.hold_id = e->hold_id;
      f.config_id = e->config_id;
      f.care_session_id = e->care_session_id;
    }
    f.problem = std::move(problem);
    findings.push_back(std::move(f));
  };

  // 1. The links: numbers without gaps, each prev_hash the previous stored hash, each hash
  // recomputed. Checked from the stored previous value, so one edit is named once.
  struct Latest {
    const ChainEntry* entry = nullptr;
    Fields fields;
  };
  std::map<Subject, Latest> latest;
  bool chain_opens = false;  // an 'opened' entry seen: segments from here on enter the chain at open
  std::map<SegmentId, std::size_t> opened_ahead;  // segment -> its 'opened' entry's "dated after" finding
  std::set<std::size_t> explained;                 // of those, the ones its close's note covers
  auto explain_opened_ahead = [&](std::size_t at) {
    findings[at].problem += ": opened while the clock guard did not trust the wall clock (suspect_clock=1), which "
                            "was ahead; expected, not a finding";
    findings[at].note = true;
  };
  Sha256 previous{};
  std::int64_t expected_seq = 1;
  for (const auto& e : *entries) {
    if (e.seq != expected_seq) {
      finding(&e, "entries " + std::to_string(expected_seq) + ".." + std::to_string(e.seq - 1) +
                      " are missing (removed from the chain)");
    } else if (e.prev_hash != previous) {
      finding(&e, "prev_hash does not match the hash of entry " + std::to_string(e.seq - 1) +
                      " (an entry before it was replaced)");
    }
    auto unreadable = unreadable_record(e.record);
    if (unreadable) {
      finding(&e, *unreadable);
    } else if (chain_entry_hash(e) != e.hash) {
      finding(&e, "hash does not match the entry's contents (entry edited)");
    }
    previous = e.hash;
    expected_seq = e.seq + 1;
    if (e.time > now + kFutureTolerance) {
      std::string dated = "dated " + format_utc_iso(e.time) + ", after the time of this check (" + format_utc_iso(now) + ")";
      // Footage recorded on a clock the guard did not trust is dated by that clock, and its row
      // says so (suspect_clock=1, chained since review E): expected, so a note naming the row.
      // Only the recording's own entries (closed, recovered, damaged: stamped by the catalog on
      // that clock), and only when the entry is whole (its hash matches). A deletion dated ahead
      // is never explained so: retention deletes nothing while the guard distrusts the clock,
      // and dating a deletion after the protection ended is how an early one would be hidden.
      // Other entries dated ahead (a hold, a configuration, a row not marked) stay findings.
      bool recording = e.kind == "closed" || e.kind == "recovered" || e.kind == "damaged";
      bool suspect = recording && !unreadable && chain_entry_hash(e) == e.hash && e.segment_id &&
                     fields_of(e.record)["suspect_clock"] == "1";
      if (suspect) {
        finding(&e, dated + ": recorded while the clock guard did not trust the wall clock (suspect_clock=1), which "
                            "was ahead; expected, not a finding");
        findings.back().note = true;
      } else {
        finding(&e, dated);
        // An 'opened' entry's record has no suspect_clock (the catalog marks the row just
        // after inserting it): judged by the segment's next entry, or by the row if still open.
        if (e.kind == "opened" && e.segment_id && !unreadable && chain_entry_hash(e) == e.hash)
          opened_ahead[*e.segment_id] = findings.size() - 1;
      }
    }
    if (e.segment_id && e.kind != "opened" && !box) {
      if (auto it = opened_ahead.find(*e.segment_id); it != opened_ahead.end()) {
        bool recording = e.kind == "closed" || e.kind == "recovered" || e.kind == "damaged";
        // The close's own note (dated ahead too) or its record explains the segment: one note.
        if (recording && !unreadable && chain_entry_hash(e) == e.hash && fields_of(e.record)["suspect_clock"] == "1") {
          if (e.time > now + kFutureTolerance) explained.insert(it->second);
          else explain_opened_ahead(it->second);
        }
        opened_ahead.erase(it);
      }
    }

    if (unreadable) continue;

    // 2. Each change against the one before it of the same row.
    auto subject = subject_of(e, box);
    if (!subject) {
      finding(&e, std::string("names no ") + (box ? "hold, configuration version or care session" : "segment"));
      continue;
    }
    auto fields = fields_of(e.record);
    auto& last = latest[*subject];
    std::string who = subject->name();
    if (subject->kind == Subject::Config) {
      if (last.entry != nullptr) {
        finding(&e, who + ": chained again after entry " + std::to_string(last.entry->seq) +
                        " (a stored configuration never changes)");
      } else if (e.kind != "config") {
        finding(&e, who + ": its entry is '" + e.kind + "'; a configuration version enters the chain as 'config'");
      }
    } else if (subject->kind == Subject::Care) {
      // A session enters the chain when it starts and changes once, when it ends.
      if (last.entry == nullptr) {
        if (e.kind != "care_start")
          finding(&e, who + ": its first entry is '" + e.kind + "'; a care session enters the chain when it starts");
      } else {
        auto changed = differences(last.fields, fields, "entry " + std::to_string(last.entry->seq),
                                   "entry " + std::to_string(e.seq), kCareMutable);
        if (!changed.empty()) finding(&e, who + ": changes what was fixed when it started: " + joined(changed));
        if (e.kind != "care_end" || last.entry->kind != "care_start")
          finding(&e, who + ": " + e.kind + " after " + last.entry->kind + " is not a possible change");
      }
      if ((e.kind == "care_end") != (fields.count("ended_us") > 0))
        finding(&e, who + ": a '" + e.kind + "' entry whose record " +
                        (fields.count("ended_us") ? "has" : "has no") + " end");
    } else if (last.entry != nullptr && last.entry->kind == "opened") {
      // The close of a segment the chain saw opened: it keeps what was fixed at its opening.
      auto changed = differences(only(last.fields, kOpeningFixed), only(fields, kOpeningFixed),
                                 "entry " + std::to_string(last.entry->seq), "entry " + std::to_string(e.seq));
      if (!changed.empty()) finding(&e, who + ": changes what was fixed when it was opened: " + joined(changed));
      auto opened_start = text::parse_int64(last.fields["start_us"]);
      auto start = text::parse_int64(fields["start_us"]);
      if (!opened_start || !start) {
        finding(&e, who + ": start_us is not a number in entry " + std::to_string(last.entry->seq) + " or this one");
      } else if (*start > *opened_start) {
        finding(&e, who + ": start_us moved later at close (" + std::to_string(*opened_start) + " in entry " +
                        std::to_string(last.entry->seq) + ", " + std::to_string(*start) +
                        " here); a close only dates a late first packet back");
      }
      if (!legal_segment_step("open", e.kind)) {
        finding(&e, who + ": 'open' to '" + e.kind + "' is not a possible change");
      }
    } else if (last.entry != nullptr) {
      bool hold = subject->kind == Subject::Hold;
      auto changed = differences(last.fields, fields, "entry " + std::to_string(last.entry->seq),
                                 "entry " + std::to_string(e.seq), hold ? kHoldMutable : kSegmentMutable);
      if (!changed.empty()) finding(&e, who + ": changes what was fixed when it was recorded: " + joined(changed));
      if (hold) {
        if (e.kind != "release" || last.fields.count("released_us"))
          finding(&e, who + ": " + e.kind + " after " + last.entry->kind + " is not a possible change");
      } else if (e.kind == "adopted" || !legal_segment_step(last.fields["state"], e.kind)) {
        finding(&e, who + ": '" + last.fields["state"] + "' to '" + e.kind + "' is not a possible change");
      }
    } else if (!box && e.kind != "adopted" && e.kind != "opened" && e.kind != "closed" && e.kind != "recovered" &&
               e.kind != "damaged") {
      finding(&e, who + ": its first entry is '" + e.kind + "'; a segment enters the chain when it opens");
    } else if (!box && e.kind != "adopted" && e.kind != "opened" && chain_opens) {
      // Since migration 0012 every open row is chained when it is written (and the migration
      // chained the rows open then), so a segment entering the chain at its close after an
      // 'opened' entry had an open row carekeepd did not write (review G).
      finding(&e, who + ": enters the chain at its close, without an 'opened' entry: its open row was not written "
                        "by carekeepd (inserted by hand?)");
    } else if (box && e.kind != "adopted" && e.kind != "hold") {
      finding(&e, who + ": its first entry is '" + e.kind + "'; a hold enters the chain when it is placed");
    }
    if (!box && e.kind == "opened") {
      chain_opens = true;
      if (fields["state"] != "open") finding(&e, who + ": an 'opened' entry whose record says state '" + fields["state"] + "'");
    } else if (!box && e.kind != "adopted" && fields["state"] != e.kind) {
      finding(&e, who + ": a '" + e.kind + "' entry whose record says state '" + fields["state"] + "'");
    }
    if (!box && e.kind == "deleting" && fields.count("protect_until_us")) {
      auto until_us = text::parse_int64(fields["protect_until_us"]);
      if (!until_us) {
        finding(&e, who + ": protect_until_us '" + fields["protect_until_us"] + "' is not a number");
      } else if (auto until = from_us(*until_us); e.time < until) {
        finding(&e, who + ": deleted at " + format_utc_iso(e.time) + ", before its protection ended at " +
                        format_utc_iso(until));
      }
    }
    last.entry = &e;
    last.fields = std::move(fields);
  }

  // 3. Every row against its latest entry; every row the chain names still present.
  std::set<Subject> seen;
  auto compare = [&](Subject subject, bool open, const std::string& record) {
    seen.insert(subject);
    std::string who = subject.name();
    auto it = latest.find(subject);
    if (it == latest.end()) {
      // Every row is in the chain, open ones too: since migration 0012 an open row is chained
      // when it is written (and the migration chained those open then), so one outside the
      // chain was inserted by hand (review G).
      ChainFinding f;
      f.chain = std::string(chain);
      if (subject.kind == Subject::Segment) f.segment_id = subject.id;
      if (subject.kind == Subject::Hold) f.hold_id = subject.id;
      if (subject.kind == Subject::Config) f.config_id = subject.id;
      if (subject.kind == Subject::Care) f.care_session_id = subject.id;
      f.problem = who + (open ? ": the open row is not in the chain (inserted outside carekeep, or its 'opened' "
                                "entry was removed); recovery will not adopt a file for it"
                              : ": the row is not in the chain (added outside carekeep, or its entries were removed)");
      findings.push_back(std::move(f));
      return;
    }
    auto changed = differences(fields_of(record), it->second.fields, "the row",
                               "chain entry " + std::to_string(it->second.entry->seq));
    if (!changed.empty()) finding(it->second.entry, who + ": the row was edited: " + joined(changed));
  };
  if (box) {
    auto holds_now = holds();
    if (!holds_now) return tl::unexpected(std::move(holds_now.error()));
    for (const auto& h : *holds_now) compare({Subject::Hold, h.hold.id}, false, hold_record(h));
    auto sessions = all_care_sessions();
    if (!sessions) return tl::unexpected(std::move(sessions.error()));
    for (const auto& c : *sessions) compare({Subject::Care, c.id}, false, care_session_record(c));
    auto versions = config_versions();
    if (!versions) return tl::unexpected(std::move(versions.error()));
    for (const auto& v : *versions) {
      Subject subject{Subject::Config, v.id};
      compare(subject, false, config_record(v));
      if (sha256_of(v.content) != v.sha256) {
        auto it = latest.find(subject);
        ChainFinding f;
        f.chain = std::string(chain);
        f.seq = it == latest.end() ? 0 : it->second.entry->seq;
        f.config_id = v.id;
        f.problem = subject.name() + ": its content does not match its sha256 (the stored text was edited)";
        findings.push_back(std::move(f));
      }
    }
  } else {
    auto rows = chain_segments(chain);
    if (!rows) return tl::unexpected(std::move(rows.error()));
    for (const auto& r : *rows) {
      bool open = r.state == SegmentState::Open;
      if (auto it = opened_ahead.find(r.id); open && r.suspect_clock && it != opened_ahead.end()) {
        explain_opened_ahead(it->second);
      }
      compare({Subject::Segment, r.id}, open, open ? segment_opening_record(r) : segment_record(r));
    }
  }
  for (const auto& [subject, last] : latest) {
    if (seen.count(subject)) continue;
    finding(last.entry, subject.name() + ": the row is gone from the index (its last chain entry is " +
                            std::to_string(last.entry->seq) + ", " + last.entry->kind + ")");
  }
  if (!explained.empty()) {
    std::vector<ChainFinding> kept;
    for (std::size_t i = 0; i < findings.size(); ++i) {
      if (!explained.count(i)) kept.push_back(std::move(findings[i]));
    }
    findings = std::move(kept);
  }
  std::stable_sort(findings.begin(), findings.end(),
                   [](const ChainFinding& a, const ChainFinding& b) { return a.seq < b.seq; });
  return findings;
}

}  // namespace carekeep::index
