#include "health/disk_low.hpp"

#include <cmath>
#include <cstdio>

#include "base/text.hpp"

namespace carekeep::health {
namespace {

std::string one_decimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

std::vector<AlertAction> DiskLowWatch::check(const DiskSpace& space, const DiskLowThresholds& t, bool held) {
  if (space.total_bytes > 0) {
    double percent = 100.0 * static_cast<double>(space.free_bytes) / static_cast<double>(space.total_bytes);
    if (t.free_percent <= 0) {
      free_low_ = false;
    } else if (!free_low_) {
      free_low_ = percent < t.free_percent;
    } else {
      free_low_ = percent < t.free_percent + kDiskLowFreeHysteresisPoints;
    }
  }
  if (space.forecast_care_days) {
    double days = *space.forecast_care_days;
    if (days < t.care_days) {
      forecast_low_ = false;  // capacity_short says it, with the figures of the forecast
    } else if (!forecast_low_) {
      forecast_low_ = days < t.forecast_days;
    } else {
      forecast_low_ = days < t.forecast_days + kDiskLowForecastHysteresisDays;
    }
  }
  if (!free_low_ && !forecast_low_) {
    raised_ = false;
    if (held) return {{AlertAction::Op::Resolve, std::string(alerts::kDiskLow), "", alerts::Severity::Warning, ""}};
    return {};
  }
  if (held && raised_ && raised_free_ == free_low_ && raised_forecast_ == forecast_low_) return {};
  raised_ = true;
  raised_free_ = free_low_;
  raised_forecast_ = forecast_low_;
  std::string message;
  if (free_low_) {
    double percent = 100.0 * static_cast<double>(space.free_bytes) / static_cast<double>(space.total_bytes);
    message = "only " + one_decimal(percent) + "% of the storage is free (" +
              text::human_bytes(static_cast<double>(space.free_bytes)) + " of " +
              text::human_bytes(static_cast<double>(space.total_bytes)) + "), below [alerts] disk_low_free_percent = " +
              std::to_string(t.free_percent) + ": retention cannot free more, protected care footage or other files fill the disk";
  }
  if (forecast_low_) {
    if (!message.empty()) message += "; ";
    message += "the disk holds about " + std::to_string(static_cast<long>(std::floor(*space.forecast_care_days))) +
               " days of care footage at the recent rate, below [alerts] disk_low_forecast_days = " +
               std::to_string(t.forecast_days) + " (the rule asks for " + std::to_string(t.care_days) + ")";
  }
  message += ". Add a larger disk, lower the cameras' bitrate or frame rate, or move other files off this disk";
  return {{AlertAction::Op::Raise, std::string(alerts::kDiskLow), "", alerts::Severity::Warning, message}};
}

}  // namespace carekeep::health
