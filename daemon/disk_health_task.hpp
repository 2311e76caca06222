// daemon/disk_health_task: disk health on the daemon's loop (docs/retention.md, Disk health).
// Every 2 s: is the storage read-only (statvfs, then the mount table), and has carekeep-smart
// written a new smart.json; and at once whenever a recorder reports a segment write that failed
// with a typed disk fault. The decisions are health::DiskHealthMonitor's; this task reads the
// file system, logs, and raises or resolves the alerts. Runs on the loop thread only; a check
// blocks on statvfs and, when smart.json changed, on reading it.
#pragma once

#include <filesystem>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "alerts/alerts.hpp"
#include "config/config.hpp"
#include "health/disk_health.hpp"
#include "health/disk_reserve.hpp"
#include "recorder/sink.hpp"
#include "health/smart.hpp"

namespace carekeep::daemon {

class DiskHealthTask {
 public:
  DiskHealthTask(boost::asio::io_context& io, alerts::AlertCenter& alerts, const Clock& clock);

  void configure(const config::Config& config);  // storage, smart.json beside the index, zone
  void start();  // a first check at once, then every 2 s
  void stop();

  // Recorder reports, after the catalog applied them: a write that failed on the disk raises
  // its alert; a whole segment closed clears the camera's disk_error.
  void observe(const recorder::RunEnded& report);
  void observe(const recorder::ConnectFailed& report);
  void observe(const recorder::SegmentClosed& report);
  template <class Report>
  void observe(const Report&) {}

  // The catalog's commit (or retention's deletion) failed on the index's disk (the fault from
  // SQLite's errno), or succeeded again after failing. Out of space: the disk reserve beside
  // the index is given back at once, so retention's next pass can commit its deletions.
  void index_write_failed(DiskFault fault, const std::string& detail);
  void index_written();
  // An alert's own write was refused for want of space (alerts::AlertCenter::WriteHooks): the
  // reserve is given back so the index can still record why the disk is full. Returns whether
  // any space was freed.
  bool make_room_for_alert(DiskFault fault);

  // Adds "disk_health" (SMART, as smart.json says it) to status.json.
  void add_status(nlohmann::json& status) const;

 private:
  void schedule_tick();
  void check();
  void check_read_only();
  void check_smart();
  void check_reserve();
  void write_failed(const std::string& camera, DiskFault fault, const std::string& detail);
  void apply(const std::vector<health::AlertAction>& actions);
  bool release_reserve(const char* reason);

  alerts::AlertCenter& alerts_;
  const Clock& clock_;
  boost::asio::steady_timer tick_timer_;
  bool stopped_ = false;
  std::filesystem::path storage_;
  std::filesystem::path smart_path_;
  std::optional<TimeZone> zone_;
  health::DiskHealthMonitor monitor_{{}};
  std::optional<health::SmartState> smart_;
  std::optional<std::filesystem::file_time_type> smart_mtime_;
  std::optional<health::DiskReserve> reserve_;  // beside the index (health/disk_reserve.hpp)
  bool reserve_failed_logged_ = false;
};

}  // namespace carekeep::daemon
