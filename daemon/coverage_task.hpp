// daemon/coverage_task: zone coverage on the daemon's loop (docs/coverage.md, Coverage / In the
// daemon). Feeds the recorders' reports and the content checker's open faults (read from the
// index) into a coverage::LiveTracker, evaluates it every 5 s and raises or resolves the
// zone_uncovered alert; every hour and at shutdown it recomputes the past day's gaps from the
// index and stores them in zone_gap. Loop thread only; evaluations and stores block on SQLite.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "alerts/alerts.hpp"
#include "care/calendar.hpp"
#include "config/config.hpp"
#include "coverage/live.hpp"
#include "index/index.hpp"
#include "recorder/sink.hpp"

namespace carekeep::daemon {

class CoverageTask {
 public:
  // `flush_index` commits the catalog's open batch, so that stored gaps see every report.
  CoverageTask(boost::asio::io_context& io, index::Index& index, alerts::AlertCenter& alerts, const Clock& clock,
               std::function<void()> flush_index);

  // At start and on every reload: zones, cameras, tolerance and care hours.
  void configure(const config::Config& config);
  void start();  // evaluation every 5 s; gaps of the past day stored every hour
  // Stops the timers and stores the past day's gaps once more (call after the recorders'
  // last reports were applied and flushed).
  void stop();

  // Recorder reports, after the catalog applied them.
  void observe(const recorder::RunStarted& report);
  void observe(const recorder::RunEnded& report);
  void observe(const recorder::ConnectFailed& report);
  void observe(const recorder::SegmentClosed& report);
  template <class Report>
  void observe(const Report&) {}

  // Public for tests of the daemon only through its effects (alerts, zone_gap rows).
  void evaluate();
  void store_gaps(const char* trigger);

 private:
  void schedule_evaluate();
  void schedule_store();
  void poll_content_faults(UtcTime now);
  void evaluate_cameras(UtcTime now);

  boost::asio::io_context& io_;
  index::Index& index_;
  alerts::AlertCenter& alerts_;
  const Clock& clock_;
  std::function<void()> flush_index_;
  boost::asio::steady_timer evaluate_timer_;
  boost::asio::steady_timer store_timer_;
  bool stopped_ = false;

  config::Config config_;
  std::unique_ptr<care::CareCalendar> calendar_;
  std::unique_ptr<coverage::LiveTracker> tracker_;
  std::map<std::string, std::optional<std::string>> faults_;  // camera -> open content fault kind
};

}  // namespace carekeep::daemon
