// health/disk_low: the early warning that the storage is running out (issue 17; docs/alerts.md,
// disk_low). Two reasons, each with hysteresis so a value hovering at a threshold gives one
// alert, not one per check: free space below [alerts] disk_low_free_percent of the disk
// (retention keeps [retention] min_free_percent free by deleting old footage, so this means
// protected care footage or other files fill the disk), and the capacity forecast below
// disk_low_forecast_days while still at or above care_days (below it capacity_short speaks).
// Pure: observations and the open alerts in, alert actions out; remembers only which reasons
// hold. One thread (the daemon's loop).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alerts/alerts.hpp"
#include "health/disk_health.hpp"

namespace carekeep::health {

struct DiskSpace {
  std::uint64_t total_bytes = 0;
  std::uint64_t free_bytes = 0;
  std::optional<double> forecast_care_days;  // none: no forecast yet (too little footage)
};

struct DiskLowThresholds {
  int free_percent = 3;    // 0: this reason is off
  int forecast_days = 100;
  int care_days = 90;
};

// Once raised, a reason clears only this far past its threshold.
inline constexpr double kDiskLowFreeHysteresisPoints = 2.0;
inline constexpr double kDiskLowForecastHysteresisDays = 5.0;

class DiskLowWatch {
 public:
  // Raises disk_low (warning, subject "", words with the figures and what to do) when a reason
  // starts to hold or the set of reasons changes, resolves it when none holds (also one an
  // earlier run left open). A refresh with the same reasons is not repeated every check.
  // `open`: whether disk_low is open now (AlertCenter::is_open).
  std::vector<AlertAction> check(const DiskSpace& space, const DiskLowThresholds& thresholds, bool open);

 private:
  bool free_low_ = false;
  bool forecast_low_ = false;
  bool raised_ = false;  // by this process, with the reasons above
  bool raised_free_ = false;
  bool raised_forecast_ = false;
};

}  // namespace carekeep::health
