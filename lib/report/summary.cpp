#include "report/summary.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "alerts/alerts.hpp"
#include "care/calendar.hpp"
#include "report/text.hpp"

namespace carekeep::report {

namespace {

std::string whole(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f", std::floor(value));
  return text;
}

// 100 % only when nothing was missing; 99.97 % is not rounded up to look perfect.
std::string share(double percent) {
  if (percent >= 100.0) return "100%";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", std::floor(percent * 10) / 10);
  return text;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string short_fingerprint(const std::string& hex) { return hex.size() > 16 ? hex.substr(0, 16) : hex; }

}  // namespace

DailySummary summarize(const ReportData& day, const std::vector<std::string>& recording_now,
                       std::vector<SummaryAlert> open_alerts, std::string key_fingerprint, UtcTime generated) {
  DailySummary s;
  s.site = day.site.name;
  s.date = day.from_date;
  s.generated = generated;
  for (const auto& camera : day.site.cameras) {
    if (!camera.configured || !camera.enabled) continue;
    s.cameras.push_back(camera.id);
    if (std::find(recording_now.begin(), recording_now.end(), camera.id) == recording_now.end())
      s.cameras_down.push_back(camera.id);
  }
  for (const auto& zone : day.coverage.zones) {
    SummaryZone z;
    z.zone_id = zone.zone_id;
    z.name = zone.zone_id;
    for (const auto& info : day.site.zones)
      if (info.id == zone.zone_id && !info.name.empty()) z.name = info.name;
    if (zone.care_seconds > 0) z.covered_percent = 100.0 * zone.covered_seconds / zone.care_seconds;
    z.gaps = zone.gaps;
    z.gap_seconds = zone.gap_seconds;
    s.zones.push_back(std::move(z));
  }
  for (const auto& camera : day.retention.cameras) {
    if (std::find(s.cameras.begin(), s.cameras.end(), camera.camera_id) == s.cameras.end()) continue;
    if (!s.days_held || camera.continuous_days < *s.days_held) s.days_held = camera.continuous_days;
  }
  s.days_capacity = day.retention.capacity.days_capacity;
  s.care_days = day.site.care_days;
  s.open_alerts = std::move(open_alerts);
  s.key_fingerprint = std::move(key_fingerprint);
  return s;
}

std::string render_summary(const DailySummary& s, Lang lang, const TimeZone& zone) {
  const bool zh = lang == Lang::Zh;
  std::vector<std::string> parts;
  const auto total = s.cameras.size();
  const auto down = s.cameras_down.size();
  if (down == 0) {
    parts.push_back(zh ? std::to_string(total) + "路摄像头正常" : std::to_string(total) + " cameras recording");
  } else {
    parts.push_back(zh ? std::to_string(total - down) + "/" + std::to_string(total) + "路摄像头在录像，" +
                             join(s.cameras_down, "、") + "未在录像"
                       : std::to_string(total - down) + " of " + std::to_string(total) + " cameras recording, " +
                             join(s.cameras_down, ", ") + " not recording");
  }
  // Yesterday's care coverage: one figure when every zone was whole, else the zones that were not.
  std::vector<std::string> short_zones;
  bool any_care = false;
  double worst = 100;
  for (const auto& z : s.zones) {
    if (!z.covered_percent) continue;
    any_care = true;
    worst = std::min(worst, *z.covered_percent);
    if (*z.covered_percent >= 100.0) continue;
    short_zones.push_back(z.name + " " + share(*z.covered_percent) +
                          (zh ? "（" + std::to_string(z.gaps) + "处缺口，共" + duration(lang, z.gap_seconds) + "）"
                              : " (" + std::to_string(z.gaps) + " gap" + (z.gaps == 1 ? "" : "s") + ", " +
                                    duration(lang, z.gap_seconds) + ")"));
  }
  if (!any_care) {
    parts.push_back(zh ? s.date + "无照护时段" : "no care hours on " + s.date);
  } else if (short_zones.empty()) {
    parts.push_back(zh ? s.date + "照护时段覆盖100%" : "care hours of " + s.date + " covered 100%");
  } else {
    parts.push_back(zh ? s.date + "照护时段覆盖" + share(worst) + "：" + join(short_zones, "；")
                       : "care hours of " + s.date + " covered " + share(worst) + ": " + join(short_zones, "; "));
  }
  std::string held = s.days_held ? whole(*s.days_held) : std::string("-");
  std::string capacity = s.days_capacity ? whole(*s.days_capacity) : std::string("-");
  std::string retention = zh ? "已保存" + held + "天，可存" + capacity + "天" : held + " days held, room for " + capacity;
  if (s.days_capacity && *s.days_capacity < s.care_days)
    retention += zh ? "（少于规定的" + std::to_string(s.care_days) + "天，请更换更大的硬盘）"
                    : " (below the " + std::to_string(s.care_days) + " days required: fit a larger disk)";
  parts.push_back(retention);
  if (s.open_alerts.empty()) {
    parts.push_back(zh ? "无未处理告警" : "no open alerts");
  } else {
    std::vector<std::string> names;
    for (const auto& a : s.open_alerts)
      names.push_back(word(lang, a.kind) + (a.subject.empty() ? "" : (zh ? "（" + a.subject + "）" : " (" + a.subject + ")")));
    parts.push_back(zh ? std::to_string(s.open_alerts.size()) + "条未处理告警：" + join(names, "、")
                       : std::to_string(s.open_alerts.size()) + " open alert" + (s.open_alerts.size() == 1 ? "" : "s") +
                             ": " + join(names, ", "));
  }
  if (!s.key_fingerprint.empty())
    parts.push_back(zh ? "签名密钥 " + short_fingerprint(s.key_fingerprint) : "signing key " + short_fingerprint(s.key_fingerprint));
  if (s.sequence) {
    std::string next = s.next ? local_time(*s.next, zone) : std::string("-");
    parts.push_back(zh ? "第" + std::to_string(*s.sequence) + "份日报，下一份 " + next
                       : "summary no. " + std::to_string(*s.sequence) + ", next at " + next);
  }
  std::string out = s.site + (zh ? "：" : ": ");
  out += join(parts, zh ? "；" : "; ");
  return out;
}

nlohmann::ordered_json to_json(const DailySummary& s, const TimeZone& zone) {
  nlohmann::ordered_json zones = nlohmann::ordered_json::array();
  for (const auto& z : s.zones) {
    zones.push_back({{"zone", z.zone_id},
                     {"name", z.name},
                     {"covered_percent", z.covered_percent ? nlohmann::ordered_json(*z.covered_percent) : nullptr},
                     {"gaps", z.gaps},
                     {"gap_seconds", z.gap_seconds}});
  }
  nlohmann::ordered_json alerts = nlohmann::ordered_json::array();
  for (const auto& a : s.open_alerts) alerts.push_back({{"kind", a.kind}, {"subject", a.subject}, {"severity", a.severity}});
  auto opt = [](const std::optional<double>& v) { return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr); };
  return {{"site", s.site},
          {"date", s.date},
          {"generated", format_local_iso(s.generated, zone)},
          {"sequence", s.sequence ? nlohmann::ordered_json(*s.sequence) : nullptr},
          {"next", s.next ? nlohmann::ordered_json(format_local_iso(*s.next, zone)) : nullptr},
          {"cameras", s.cameras},
          {"cameras_down", s.cameras_down},
          {"zones", zones},
          {"days_held", opt(s.days_held)},
          {"days_capacity", opt(s.days_capacity)},
          {"care_days", s.care_days},
          {"open_alerts", alerts},
          {"key_fingerprint", s.key_fingerprint}};
}

Result<DailySummary> gather_summary(index::Index& index, const config::Config& config, const TimeZone& zone,
                                    LocalDays day, UtcTime now, std::string key_fingerprint, Lang lang,
                                    std::string version) {
  index::TimeRange range{zone.to_utc(LocalTime{day}), zone.to_utc(LocalTime{day + date::days{1}})};
  GatherOptions options{lang, std::move(version), "", now, true};
  auto data = gather(index, config, care::CareCalendar(config.care_hours, zone), range, options);
  if (!data) return tl::unexpected(std::move(data.error()).with_context("gathering the day"));
  std::vector<std::string> recording;
  for (const auto& camera : config.cameras) {
    auto runs = index.runs(camera.id, {now, now + Micros{1}});
    if (!runs) return tl::unexpected(std::move(runs.error()).with_context("reading the index"));
    for (const auto& run : *runs)
      if (!run.ended) recording.push_back(camera.id);
  }
  auto open = alerts::list(index, false);
  if (!open) return tl::unexpected(std::move(open.error()).with_context("reading the open alerts"));
  std::vector<SummaryAlert> alerts;
  for (const auto& a : *open) alerts.push_back({a.kind, a.subject, std::string(alerts::to_string(a.severity))});
  return summarize(*data, recording, std::move(alerts), std::move(key_fingerprint), now);
}

SummaryPlan plan_summary(UtcTime now, std::optional<UtcTime> last_sent, std::chrono::seconds time_of_day,
                         const TimeZone& zone) {
  SummaryPlan plan;
  plan.next = next_time_of_day(now, time_of_day, zone);
  plan.send_now = last_sent && *last_sent < previous_time_of_day(now, time_of_day, zone);
  return plan;
}

}  // namespace carekeep::report
