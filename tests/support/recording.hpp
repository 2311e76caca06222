// tests/support/recording: helpers for recording tests — a SegmentSink that commits to a
// real index on the test thread (no event loop), a poll-until helper, and a carekeepd child
// process with its stderr captured to a file.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "catalog/catalog.hpp"
#include "index/index.hpp"
#include "recorder/sink.hpp"

namespace carekeep::test {

// Polls `done` every 100 ms until it holds or `timeout` passes; returns its last value.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

// Applies every report to the index at once (flushing after each), under a lock, so tests
// read a current index without a daemon. Also keeps the reports for assertions.
class CommittingSink final : public recorder::SegmentSink {
 public:
  CommittingSink(index::Index& index, index::DaemonRunId run) : catalog_(index, run) {}
  void run_started(const recorder::RunStarted& r) override { apply(r); }
  void run_ended(const recorder::RunEnded& r) override { apply(r); }
  void connect_failed(const recorder::ConnectFailed& r) override { apply(r); }
  void segment_opened(const recorder::SegmentOpened& r) override { apply(r); }
  void segment_progress(const recorder::SegmentProgress& r) override { apply(r); }
  void segment_closed(const recorder::SegmentClosed& r) override { apply(r); }
  void segment_discarded(const recorder::SegmentDiscarded& r) override { apply(r); }
  void clock_stepped(const recorder::ClockStep& r) override { apply(r); }

  std::vector<std::string> errors() const;
  // Runs `read` under the sink's lock, so it does not race the recorder's commits.
  void with_lock(const std::function<void()>& read);

 private:
  template <class Report>
  void apply(const Report& report) {
    std::lock_guard lock(mutex_);
    auto st = catalog_.apply(report);
    if (st) st = catalog_.flush();
    if (!st) errors_.push_back(st.error().message);
  }
  mutable std::mutex mutex_;
  catalog::Catalog catalog_;
  std::vector<std::string> errors_;
};

// carekeepd as a child process: `carekeepd --config <config>` with stdout+stderr appended
// to <log>. Killed with SIGKILL at destruction if still running.
class DaemonProcess {
 public:
  DaemonProcess(std::filesystem::path binary, std::filesystem::path config, std::filesystem::path log);
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  void start();
  // Waits until the log shows `count` occurrences of `needle` in total.
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout, int count = 1) const;
  void signal(int signo) const;
  // Waits for the process to exit; returns its exit status (128+signal when killed), or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  std::string log_text() const;

 private:
  std::filesystem::path binary_;
  std::filesystem::path config_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

// A carekeepd configuration for `cameras` (id, URL): storage and index under `dir`, care all
// day every day, 10 s segments, one zone "all" with every camera.
std::string daemon_config(const std::filesystem::path& dir, const std::vector<std::pair<std::string, std::string>>& cameras);

// A wrapper script that runs carekeepd (`binary`) on a clock faked by libfaketime, and only
// carekeepd: this process and the commands the daemon starts see the real time. The clock is
// the text of `dir`/faketime ("+3652d", "@2026-11-20 01:00:00"), re-read every second, so a
// test moves it by rewriting that file. The monotonic clock stays real. FAILs when libfaketime
// is missing (tools/install-deps.sh installs it).
std::filesystem::path daemon_on_faked_clock(const std::filesystem::path& binary, const std::filesystem::path& dir,
                                            const std::string& clock);

}  // namespace carekeep::test
