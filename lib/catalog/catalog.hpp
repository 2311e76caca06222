// catalog: writes what the recorders report (RTSP runs, segment files, camera and clock
// events) into the index, in batches: the first report after a flush opens a transaction,
// flush() commits it. The daemon flushes every second, so the index never lags the files
// on disk by more than that (PRODUCT.md §2). Lives on the daemon's loop thread (the one
// writer); not thread-safe. Decides nothing about retention or coverage.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "base/error.hpp"
#include "index/index.hpp"
#include "recorder/sink.hpp"

namespace carekeep::catalog {

// Given a closed segment's [start, end), when may it be deleted at the earliest?
// Filled in by retention (the schedule in force at close time); empty = not yet decided.
using ProtectionPolicy = std::function<std::optional<UtcTime>(const std::string& camera, UtcTime start, UtcTime end)>;

// The kernel's view of NTP synchronisation (adjtimex), or nullopt if it cannot be read.
std::optional<bool> ntp_synchronized();

class Catalog {
 public:
  Catalog(index::Index& index, index::DaemonRunId daemon_run, ProtectionPolicy protection = {});

  // Each applies one report inside the current batch. Errors are returned for the caller to
  // log; a failed report never stops the others.
  Status apply(const recorder::RunStarted& report);
  Status apply(const recorder::RunEnded& report);
  Status apply(const recorder::ConnectFailed& report);
  Status apply(const recorder::SegmentOpened& report);
  Status apply(const recorder::SegmentClosed& report);
  Status apply(const recorder::SegmentDiscarded& report);
  Status apply(const recorder::ClockStep& report);

  // While the clock guard does not trust the wall clock (the daemon sets this before each
  // report), segments opened or closed are marked suspect_clock: their times may be far off,
  // and such footage must never become evidence of the time (issue 15).
  void set_clock_suspect(bool suspect) { clock_suspect_ = suspect; }

  // A reload brings a new schedule: segments closed from now on are protected under it.
  void set_protection(ProtectionPolicy protection) { protection_ = std::move(protection); }

  // Commits the batch (no-op when nothing is pending). Blocks for one WAL fsync.
  Status flush();
  bool pending() const { return batch_.has_value(); }

 private:
  Status ensure_batch();

  index::Index& index_;
  index::DaemonRunId daemon_run_;
  ProtectionPolicy protection_;
  std::optional<sqlite::Transaction> batch_;
  std::map<std::pair<std::string, std::uint64_t>, index::RunId> runs_;       // (camera, run_key)
  std::map<std::pair<std::string, std::string>, index::SegmentId> open_;     // (camera, path)
  std::optional<std::pair<UtcTime, Micros>> last_clock_step_;
  bool clock_suspect_ = false;
};

}  // namespace carekeep::catalog
