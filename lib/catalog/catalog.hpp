// catalog: writes what the recorders report (RTSP runs, segment files, camera and clock
// events) into the index, in batches: the first report after a flush opens a transaction,
// flush() commits it. The daemon flushes every second, so the index never lags the files
// on disk by more than that (PRODUCT.md §2). A batch the index cannot take (its disk full,
// read-only or failing: SQLITE_FULL, IOERR, BUSY) is rolled back whole and its reports kept,
// in order, to be applied again by the next flush, so a full disk never leaves a segment file
// without its row or a row half written. Lives on the daemon's loop thread (the one writer);
// not thread-safe. Decides nothing about retention or coverage.
#pragma once

#include <functional>
#include <map>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <variant>

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

  // What a recorder reports (recorder/sink.hpp); each converts implicitly.
  using Report = std::variant<recorder::RunStarted, recorder::RunEnded, recorder::ConnectFailed, recorder::SegmentOpened,
                              recorder::SegmentProgress, recorder::SegmentClosed, recorder::SegmentDiscarded, recorder::ClockStep>;
  // Applies one report inside the current batch. Errors are returned for the caller to log;
  // a failed report never stops the others. A failure the index's disk may get over
  // (retryable()) abandons the batch and keeps its reports and this one for the next flush;
  // while reports wait, new ones queue behind them (ok is returned: nothing failed yet).
  Status apply(Report report);

  // While the clock guard does not trust the wall clock (the daemon sets this before each
  // report), segments opened or closed are marked suspect_clock: their times may be far off,
  // and such footage must never become evidence of the time (issue 15).
  void set_clock_suspect(bool suspect) { clock_suspect_ = suspect; }

  // A reload brings a new schedule: segments closed from now on are protected under it.
  void set_protection(ProtectionPolicy protection) { protection_ = std::move(protection); }

  // Applies again what a failed batch left (in order), then commits the batch (no-op when
  // nothing is pending). Blocks for one WAL fsync. A failed commit keeps the batch's reports.
  Status flush();
  // Commits the open batch alone, without applying again what waits: for a writer that must
  // not ride in the batch (an alert, which the index has to keep even when the batch is
  // refused). A refused commit keeps the batch's reports waiting, as flush() does.
  Status commit_batch();
  bool pending() const { return batch_.has_value() || !waiting_.empty(); }
  // Reports kept from batches the index could not take, waiting for the next flush.
  std::size_t waiting() const { return waiting_.size(); }
  // The disk fault of the index's last refusal (sqlite::last_disk_fault), while reports wait.
  DiskFault waiting_fault() const { return waiting_.empty() ? DiskFault::None : waiting_fault_; }
  // At most this many wait (an index disk full for hours while cameras retry every second);
  // beyond it the oldest are dropped, and logged.
  static constexpr std::size_t kMaxWaiting = 50'000;

 private:
  // Right after an index call failed: whether the failure may pass by itself or once an
  // operator frees space (the disk full or read-only, an I/O error, another connection holding
  // the lock), judged by SQLite's own result code, not by the Error's kind (the index also
  // returns FailedPrecondition for a row that is not open, which retrying cannot mend).
  bool retryable() const;
  // What the maps said when the batch began: a rolled-back batch puts them back.
  struct Snapshot {
    std::map<std::pair<std::string, std::uint64_t>, index::RunId> runs;
    std::map<std::pair<std::string, std::string>, index::SegmentId> open;
    std::optional<std::pair<UtcTime, Micros>> last_clock_step;
  };
  Status apply_one(const Report& report);
  Status do_apply(const recorder::RunStarted& report);
  Status do_apply(const recorder::RunEnded& report);
  Status do_apply(const recorder::ConnectFailed& report);
  Status do_apply(const recorder::SegmentOpened& report);
  Status do_apply(const recorder::SegmentProgress& report);
  Status do_apply(const recorder::SegmentClosed& report);
  Status do_apply(const recorder::SegmentDiscarded& report);
  Status do_apply(const recorder::ClockStep& report);
  Status ensure_batch();
  // Rolls the batch back, restores the maps and puts its reports first in waiting_.
  void abandon_batch(const Error& why);
  void keep_waiting(Report report);

  index::Index& index_;
  index::DaemonRunId daemon_run_;
  ProtectionPolicy protection_;
  std::optional<sqlite::Transaction> batch_;
  std::map<std::pair<std::string, std::uint64_t>, index::RunId> runs_;       // (camera, run_key)
  std::map<std::pair<std::string, std::string>, index::SegmentId> open_;     // (camera, path)
  std::optional<std::pair<UtcTime, Micros>> last_clock_step_;
  bool clock_suspect_ = false;
  Snapshot snapshot_;              // as the open batch began
  std::vector<Report> journal_;    // applied in the open batch, in order
  std::deque<Report> waiting_;     // kept from failed batches, to apply first
  bool dropped_logged_ = false;
  bool kept_logged_ = false;
  DiskFault waiting_fault_ = DiskFault::None;
};

}  // namespace carekeep::catalog
