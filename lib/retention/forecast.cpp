#include "retention/forecast.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "base/text.hpp"

namespace carekeep::retention {
namespace {

double seconds(Micros d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

Forecast forecast(std::span<const index::FootageRate> rates, const StorageState& storage,
                  const config::Retention& retention, const care::CareCalendar& calendar, UtcTime now) {
  Forecast out;
  auto headroom = static_cast<std::uint64_t>(
      std::ceil(static_cast<double>(storage.total_bytes) * std::clamp(retention.min_free_percent, 0, 100) / 100.0));
  std::uint64_t usable = storage.footage_bytes + storage.free_bytes;
  out.capacity_bytes = usable > headroom ? usable - headroom : 0;
  if (retention.max_bytes) out.capacity_bytes = std::min(out.capacity_bytes, *retention.max_bytes);

  // The schedule ahead, not behind: the footage that must fit is the footage still to come.
  auto horizon = std::chrono::days(std::max(retention.care_days, 1));
  double care_total = 0;
  for (const auto& interval : calendar.care_intervals(now, now + horizon)) care_total += seconds(interval.length());
  out.care_seconds_per_day = care_total / static_cast<double>(horizon.count());
  double other_seconds_per_day = 86400.0 - out.care_seconds_per_day;

  double other_bytes_per_day = 0;
  for (const auto& rate : rates) {
    CameraForecast camera{rate.camera_id};
    double care_s = seconds(rate.care_duration);
    double other_s = seconds(rate.other_duration);
    // Care footage is what must fit; lacking any yet (a box installed on a Sunday), the
    // camera's rate outside care hours is the best guess: the same camera, the same bitrate.
    if (care_s > 0) camera.bytes_per_second = static_cast<double>(rate.care_bytes) / care_s;
    else if (other_s > 0) camera.bytes_per_second = static_cast<double>(rate.other_bytes) / other_s;
    double other_rate = other_s > 0 ? static_cast<double>(rate.other_bytes) / other_s : camera.bytes_per_second;
    camera.bytes_per_care_day = camera.bytes_per_second * out.care_seconds_per_day;
    out.care_bytes_per_day += camera.bytes_per_care_day;
    // The recorder records round the clock; footage outside care hours stays other_days.
    other_bytes_per_day += other_rate * other_seconds_per_day;
    out.cameras.push_back(std::move(camera));
  }
  out.other_reserve_bytes = static_cast<std::uint64_t>(other_bytes_per_day * retention.other_days);
  if (out.care_bytes_per_day > 0) {
    double room = static_cast<double>(out.capacity_bytes) - static_cast<double>(out.other_reserve_bytes);
    out.care_days = std::max(room, 0.0) / out.care_bytes_per_day;
  }
  return out;
}

std::string describe(const Forecast& forecast, const config::Retention& retention) {
  if (!forecast.care_days) {
    return "no capacity forecast yet: nothing recorded to measure the cameras' rate (or no care hours "
           "in the next " + std::to_string(retention.care_days) + " days)";
  }
  char days[32];
  std::snprintf(days, sizeof days, "%.0f", std::floor(*forecast.care_days));
  std::string text = "the storage holds about " + std::string(days) + " days of care footage at the current rate (" +
                     std::to_string(forecast.cameras.size()) + " camera" + (forecast.cameras.size() == 1 ? "" : "s") +
                     ", " + text::human_bytes(forecast.care_bytes_per_day) +
                     " of care footage per day, " + text::human_bytes(static_cast<double>(forecast.capacity_bytes)) + " usable)";
  if (*forecast.care_days < retention.care_days) {
    text += "; " + std::to_string(retention.care_days) +
            " are required: add storage, lower the cameras' bitrate" +
            (retention.max_bytes ? ", raise [retention] max_bytes" : "") + " or lower min_free_percent";
  } else {
    text += "; " + std::to_string(retention.care_days) + " are required";
  }
  return text;
}

}  // namespace carekeep::retention
