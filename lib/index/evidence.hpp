// index/evidence: rows of the two append-only evidence tables, access_log (who did what,
// hash-chained) and integrity_anchor (a signed chain tip per camera), and the canonical
// byte form the access log's hash covers. Plain values; the Index methods that read and
// write them are declared in index.hpp ("evidence" section) and live in evidence.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "base/time.hpp"

namespace carekeep::index {

// One action to record. `arguments` must be a JSON object (the column's check).
struct NewAccessEntry {
  UtcTime time;
  std::int64_t uid = 0;
  std::string user;
  std::string action;          // export | verify | verify_export | key | hold_add | hold_release | anchor | ...
  std::string arguments = "{}";
  std::string result;          // "ok" or the error the actor saw
};

struct AccessLogRow {
  std::int64_t id = 0;
  UtcTime time;
  std::int64_t uid = 0;
  std::string user;
  std::string action;
  std::string arguments;
  std::string result;
  std::array<std::uint8_t, 32> prev_hash{};
  std::array<std::uint8_t, 32> hash{};
};

// What the walk over access_log found wrong with one row (or the gap before it).
struct AccessLogFinding {
  std::int64_t id = 0;
  std::string problem;
};

// SHA-256(prev_hash || id || time_us || uid || user || action || arguments || result), each
// integer as 8 bytes big-endian and each text as its 8-byte big-endian length then its
// bytes, so no two different rows share an encoding. The id is covered so that renumbering
// rows to hide a removed one is detected as well.
std::array<std::uint8_t, 32> access_log_hash(const AccessLogRow& row);

// The format of an anchor's signed message (export/anchor.hpp): 1 before migration 0006,
// 2 since (sequence number, previous anchor, chain_entry tips).
inline constexpr int kAnchorFormat = 2;

struct NewAnchor {
  int format = kAnchorFormat;
  std::optional<std::int64_t> seq;                           // 1, 2, ... per camera (format 2)
  std::optional<std::array<std::uint8_t, 32>> prev_anchor_sha256;  // of the previous anchor's message
  UtcTime time;
  std::string camera_id;
  std::optional<std::int64_t> tip_segment_id;
  std::optional<std::array<std::uint8_t, 32>> chain_sha256;
  std::optional<std::int64_t> access_log_id;
  std::optional<std::array<std::uint8_t, 32>> access_log_hash;
  std::optional<std::int64_t> entry_seq;                     // the camera's chain_entry tip
  std::optional<std::array<std::uint8_t, 32>> entry_sha256;
  std::optional<std::int64_t> box_entry_seq;                 // the box chain's (holds) tip
  std::optional<std::array<std::uint8_t, 32>> box_entry_sha256;
  std::array<std::uint8_t, 64> signature{};
  std::string key_fingerprint;
};

struct AnchorRow {
  std::int64_t id = 0;
  NewAnchor anchor;
};

}  // namespace carekeep::index
