#include "fleet_metrics.hpp"

#include <map>
#include <utility>

#include "alerts/alerts.hpp"
#include "base/log.hpp"

namespace carekeep::daemon {
namespace {

double unix_seconds(UtcTime t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

}  // namespace

void add_fleet_metrics(Exposition& out, index::Index& index, const config::Config& config,
                       const status::DaemonStatus& status, const FleetFacts& facts, UtcTime now) {
  out.family("carekeep_site_info",
             "Always 1; the labels say which point this is: [site] id and name, carekeepd's version and the "
             "fingerprint of the key that signs its reports and digests.",
             "gauge");
  out.sample("carekeep_site_info",
             {{"site_id", config.site.id},
              {"site_name", config.site.name},
              {"version", CAREKEEP_VERSION},
              {"key_fingerprint", facts.key_fingerprint}},
             1);
  out.family("carekeep_retention_care_period_seconds",
             "How long care footage is kept ([retention] care_days, at least 90 days), in seconds.", "gauge");
  out.sample("carekeep_retention_care_period_seconds", config.retention.care_days * 86400.0);

  if (auto care = index.care_footage(now); !care) {
    log::warn("metrics_care_footage_failed", {{"error", care.error().message}});
  } else {
    if (care->oldest_start) {
      out.family("carekeep_care_footage_oldest_timestamp_seconds",
                 "Start of the oldest care footage the box still holds (unix time).", "gauge");
      out.sample("carekeep_care_footage_oldest_timestamp_seconds", unix_seconds(*care->oldest_start));
      // Seconds, Prometheus' base unit (promtool's lint); the rules' recording of it is in days.
      out.family("carekeep_care_footage_held_seconds", "Seconds from the oldest care footage held to now.", "gauge");
      out.sample("carekeep_care_footage_held_seconds",
                 std::max(0.0, std::chrono::duration<double>(now - *care->oldest_start).count()));
    }
    if (care->newest_end) {
      out.family("carekeep_care_footage_newest_timestamp_seconds",
                 "End of the newest closed care footage (unix time).", "gauge");
      out.sample("carekeep_care_footage_newest_timestamp_seconds", unix_seconds(*care->newest_end));
      out.family("carekeep_care_footage_age_seconds", "Seconds since the end of the newest closed care footage.",
                 "gauge");
      out.sample("carekeep_care_footage_age_seconds",
                 std::max(0.0, std::chrono::duration<double>(now - *care->newest_end).count()));
    }
    out.family("carekeep_care_footage_deleted_early_segments",
               "Care footage segments whose file went before their protection ended (must be 0).", "gauge");
    out.sample("carekeep_care_footage_deleted_early_segments", static_cast<double>(care->deleted_early));
  }

  // Open alerts by kind and severity: only the pairs open now (carekeep_alerts_open{kind} shows
  // every kind, zeros included).
  std::map<std::pair<std::string, std::string>, double> open;
  for (const auto& alert : status.alerts) open[{alert.kind, std::string(alerts::to_string(alert.severity))}] += 1;
  if (!open.empty())
    out.family("carekeep_alerts_open_by_severity", "Alerts open now, by kind and severity (pairs with none absent).",
               "gauge");
  for (const auto& [key, count] : open)
    out.sample("carekeep_alerts_open_by_severity", {{"kind", key.first}, {"severity", key.second}}, count);

  if (facts.digest) {
    out.family("carekeep_digest_last_timestamp_seconds", "When the newest signed daily digest was made (unix time).",
               "gauge");
    out.sample("carekeep_digest_last_timestamp_seconds", unix_seconds(facts.digest->made));
    out.family("carekeep_digest_last_seq", "Number of the newest signed daily digest.", "gauge");
    out.sample("carekeep_digest_last_seq", static_cast<double>(facts.digest->seq));
  }
}

}  // namespace carekeep::daemon
