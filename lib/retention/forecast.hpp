// retention/forecast: how many days of care footage the storage can hold at the rate the
// cameras actually record (PRODUCT.md §4; docs/retention.md, Retention / Capacity forecast). Pure:
// footage rates from the index, the storage measurement, the retention settings and the care
// calendar go in, a forecast comes out. Any thread; never blocks. It warns; it changes nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "care/calendar.hpp"
#include "config/config.hpp"
#include "index/rows.hpp"
#include "retention/planner.hpp"

namespace carekeep::retention {

struct CameraForecast {
  std::string camera_id;
  double bytes_per_care_day = 0;   // bytes one average care day (its care hours) of this camera takes
  double bytes_per_second = 0;     // observed rate of its care footage (of all footage, lacking any)
};

struct Forecast {
  // Usable for footage: footage already stored + free space - the min_free_percent headroom,
  // capped by max_bytes.
  std::uint64_t capacity_bytes = 0;
  // Non-care footage kept for other_days at the observed rate: what care footage cannot use.
  std::uint64_t other_reserve_bytes = 0;
  double care_seconds_per_day = 0;     // calendar average over the next care_days
  double care_bytes_per_day = 0;       // all cameras, per calendar day
  // Calendar days of care footage that fit; nullopt while nothing has been recorded (or the
  // schedule has no care hours), since there is no rate to divide by.
  std::optional<double> care_days;
  std::vector<CameraForecast> cameras;
};

// `rates`: Index::footage_rates over a recent window (the daemon uses the last 14 days).
Forecast forecast(std::span<const index::FootageRate> rates, const StorageState& storage,
                  const config::Retention& retention, const care::CareCalendar& calendar, UtcTime now);

// One line for logs and the capacity_short alert: "the storage holds about 61 days of care
// footage at the current rate (2 cameras, 9.6 GB per day); 90 are required: add storage,
// lower the cameras' bitrate or raise max_bytes".
std::string describe(const Forecast& forecast, const config::Retention& retention);


}  // namespace carekeep::retention
