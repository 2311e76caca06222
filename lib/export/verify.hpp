// export/verify: `carekeep verify` (issue #6). Checks footage against the index (presence and
// size, or the full SHA-256 unless quick), each camera's hash chain link by link, files on
// disk without rows, the signed daily anchors against the chain and the access log, and the
// access log's own chain. Read-only: it reports and changes nothing. Blocking; one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "index/index.hpp"
#include "signing/signing.hpp"

namespace carekeep::exports {

struct Finding {
  std::string kind;     // missing | altered | extra | out_of_chain | anchor | access_log
  std::string camera;   // "" for the access log
  std::int64_t segment_id = 0;  // 0 when not about one row
  std::string path;     // relative to storage, when about a file
  std::string detail;   // one line, in words
};

struct VerifyOptions {
  std::vector<std::string> cameras;           // those to check
  std::optional<index::TimeRange> range;      // files of segments overlapping it; all when absent
  bool quick = false;                         // presence and size only, no re-hashing
  std::optional<signing::PublicKey> key;      // to check anchor signatures; anchors by other keys are findings
  const TimeZone* zone = nullptr;             // file names carry local time (extra-file range filter)
};

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
  std::uint64_t bytes_hashed = 0;
  bool clean() const { return findings.empty(); }
};

Result<VerifyReport> verify_footage(index::Index& index, const std::filesystem::path& storage,
                                    const VerifyOptions& options,
                                    const std::function<void(const VerifyProgress&)>& progress);

}  // namespace carekeep::exports
