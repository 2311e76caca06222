// report/summary: the daily summary an operator reads on her phone (issue 17): cameras
// recording now, yesterday's care coverage per zone, days of footage held and the capacity
// forecast, open alerts, the signing key's fingerprint. Built from the same gathered ReportData
// as the audit report for that day, so the two never disagree; rendered as one short message in
// the site's language. summarize, render and plan_summary are pure; gather_summary reads the
// index (what `carekeep summary` and carekeepd's daily message both call).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>  // the full header only where JSON is built (~3.5 s per file)

#include "base/error.hpp"
#include "base/time.hpp"
#include "config/config.hpp"
#include "index/index.hpp"
#include "report/report.hpp"

namespace carekeep::report {

struct SummaryZone {
  std::string zone_id;
  std::string name;
  std::optional<double> covered_percent;  // none: no care time in the day
  std::int64_t gaps = 0;
  double gap_seconds = 0;
};

struct SummaryAlert {
  std::string kind;
  std::string subject;
  std::string severity;
};

struct DailySummary {
  std::string site;
  std::string date;                    // the local day summarised, YYYY-MM-DD
  UtcTime generated;
  std::optional<std::int64_t> sequence;  // the daemon's running number; none from the CLI
  std::optional<UtcTime> next;           // when the next one is due; none from the CLI
  std::vector<std::string> cameras;      // configured and enabled
  std::vector<std::string> cameras_down; // of those, not recording at `generated`
  std::vector<SummaryZone> zones;        // config order
  std::optional<double> days_held;       // the least continuous care footage over the cameras
  std::optional<double> days_capacity;   // forecast care days the disk can hold
  int care_days = 0;                     // the retention the rule asks for
  std::vector<SummaryAlert> open_alerts;
  std::string key_fingerprint;           // hex; "" when the box has no key yet
};

// `day` is ReportData gathered for one local day. `recording_now`: the cameras with a live RTSP
// run at `generated`. `open_alerts`: as the index has them at `generated`.
DailySummary summarize(const ReportData& day, const std::vector<std::string>& recording_now,
                       std::vector<SummaryAlert> open_alerts, std::string key_fingerprint, UtcTime generated);

// One message: "阳光托育点：4路摄像头正常；昨日照护时段覆盖100%；已保存96天，可存112天；无未处理告警…".
std::string render_summary(const DailySummary& summary, Lang lang, const TimeZone& zone);

nlohmann::ordered_json to_json(const DailySummary& summary, const TimeZone& zone);

// The summary of local `day` as the index has it at `now`: the day's ReportData (gather), the
// cameras with a live run at `now`, the open alerts. Errors: the index's, with context.
Result<DailySummary> gather_summary(index::Index& index, const config::Config& config, const TimeZone& zone,
                                    LocalDays day, UtcTime now, std::string key_fingerprint, Lang lang,
                                    std::string version);

// When the daemon sends the daily summary (docs/alerts.md, Daily summary): at `time_of_day`
// local every day. `last_sent`: when the newest one went out (the access log), none on a box
// that never sent one. A scheduled time passed while the daemon was down is made up once, at
// once (send_now), however many days were missed; a box that never sent one waits for its time.
struct SummaryPlan {
  bool send_now = false;
  UtcTime next;  // the next scheduled time after `now`
};
SummaryPlan plan_summary(UtcTime now, std::optional<UtcTime> last_sent, std::chrono::seconds time_of_day,
                         const TimeZone& zone);

}  // namespace carekeep::report
