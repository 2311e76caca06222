#include "zone_metrics.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "base/log.hpp"
#include "care/calendar.hpp"
#include "coverage/compute.hpp"

namespace carekeep::daemon {

void add_zone_metrics(Exposition& out, index::Index& index, const config::Config& config, const status::DaemonStatus& status,
                      UtcTime now) {
  std::set<std::string> uncovered;
  for (const auto& zone : status.zones)
    if (!zone.covered) uncovered.insert(zone.zone);
  out.family("carekeep_zone_covered", "1 unless the zone is uncovered during care hours now (zone_uncovered alert).",
             "gauge");
  for (const auto& zone : config.zones) {
    out.sample("carekeep_zone_covered", {{"zone", zone.id}}, uncovered.count(zone.id) != 0 ? 0 : 1);
  }

  auto tz = TimeZone::locate(config.site.timezone);
  if (!tz) return;
  auto midnight = tz->to_utc(LocalTime{date::floor<date::days>(tz->to_local(now))});
  care::CareCalendar calendar{config.care_hours, *tz};
  double care_seconds = 0;
  for (const auto& interval : calendar.care_intervals(midnight, now))
    care_seconds += std::chrono::duration<double>(interval.length()).count();
  out.family("carekeep_care_active", "1 while now is in care hours (the schedule or an ad-hoc care session), else 0.",
             "gauge");
  out.sample("carekeep_care_active", calendar.in_care(now) ? 1 : 0);
  out.family("carekeep_care_seconds_today", "Seconds of care hours from local midnight (site time) to now.", "gauge");
  out.sample("carekeep_care_seconds_today", care_seconds);
  auto gaps = coverage::compute_gaps(index, config, calendar, {midnight, now}, std::nullopt, false, now);
  if (!gaps) {
    log::warn("metrics_coverage_failed", {{"error", gaps.error().message}});
    return;
  }
  std::map<std::string, double> seconds;
  for (const auto& zone : config.zones) seconds[zone.id] = 0;
  for (const auto& gap : *gaps) seconds[gap.zone_id] += std::chrono::duration<double>(gap.end - gap.start).count();
  out.family("carekeep_zone_gap_seconds_today", "Seconds of today's care hours (site time) the zone was not covered.",
             "gauge");
  for (const auto& [zone, s] : seconds) out.sample("carekeep_zone_gap_seconds_today", {{"zone", zone}}, s);
  // Absent before today's care began: a share of nothing is no figure (and 1 would hide a
  // zone that was never covered once care starts).
  if (care_seconds > 0) {
    out.family("carekeep_zone_care_coverage_ratio_today",
               "Share of today's care hours so far (site time) the zone was covered, 0 to 1.", "gauge");
    for (const auto& [zone, s] : seconds)
      out.sample("carekeep_zone_care_coverage_ratio_today", {{"zone", zone}}, std::clamp(1.0 - s / care_seconds, 0.0, 1.0));
  }
}

}  // namespace carekeep::daemon
