// carekeep zones: each configured zone, whether a camera covers it now (as far as the index
// shows), which cameras do and why the others do not, and how much of today's care time so
// far was covered. Reads the index read-only.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "care/calendar.hpp"
#include "command.hpp"
#include "coverage/compute.hpp"
#include "inspect.hpp"

namespace carekeep::cli {

namespace {

struct ZonesOptions {
  bool json = false;
};

std::string reason_text(const std::optional<coverage::Reason>& reason) {
  if (!reason) return "";
  std::string out = reason->cause;
  if (!reason->sub.empty()) out += " (" + reason->sub + ")";
  return out;
}

int run_zones(const ZonesOptions& options, Context& context) {
  auto index = open_index(context);
  care::CareCalendar calendar{context.config.care_hours, context.zone};
  UtcTime now = SystemClock{}.now();
  LocalDays today = date::floor<date::days>(context.zone.to_local(now));
  index::TimeRange day{context.zone.to_utc(LocalTime{today}), context.zone.to_utc(LocalTime{today + date::days{1}})};
  auto current = must(coverage::zones_now(index, context.config, now), "reading the index");
  auto days = must(coverage::coverage_by_day(index, context.config, calendar, day, std::nullopt, false, now),
                   "computing today's coverage");
  auto today_of = [&](const std::string& zone) -> const coverage::ZoneDay* {
    for (const auto& d : days)
      if (d.zone_id == zone) return &d;
    return nullptr;
  };
  auto percent = [](const coverage::ZoneDay* d) -> std::optional<double> {
    if (d == nullptr || d->care.count() == 0) return std::nullopt;
    return std::round(1000.0 * static_cast<double>(d->covered.count()) / static_cast<double>(d->care.count())) / 10;
  };

  if (options.json) {
    Json out = Json::array();
    for (const auto& z : current) {
      const auto* conf = context.config.find_zone(z.zone_id);
      Json covering = Json::array();
      Json not_covering = Json::array();
      for (const auto& c : z.cameras) {
        if (c.covering) {
          covering.push_back(c.camera_id);
        } else {
          not_covering.push_back({{"camera", c.camera_id},
                                  {"cause", c.reason ? Json(c.reason->cause) : Json(nullptr)},
                                  {"reason", c.reason && !c.reason->sub.empty() ? Json(c.reason->sub) : Json(nullptr)}});
        }
      }
      const auto* d = today_of(z.zone_id);
      auto pct = percent(d);
      out.push_back({{"zone", z.zone_id},
                     {"name", conf != nullptr ? conf->name : z.zone_id},
                     {"cameras", conf != nullptr ? Json(conf->cameras) : Json::array()},
                     {"covered", z.covered},
                     {"covering", covering},
                     {"not_covering", not_covering},
                     {"today", {{"date", format_date(today)},
                                {"care_s", d != nullptr ? d->care.count() : 0},
                                {"covered_s", d != nullptr ? d->covered.count() : 0},
                                {"coverage_percent", pct ? Json(*pct) : Json(nullptr)}}}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  if (current.empty()) {
    std::printf("no zones configured; add [[zone]] tables to %s\n", context.config_path.c_str());
    return kExitOk;
  }
  Table table({"ZONE", "NAME", "NOW", "COVERED BY", "TODAY", "NOT COVERING"}, {false, false, false, false, true, false});
  for (const auto& z : current) {
    const auto* conf = context.config.find_zone(z.zone_id);
    std::string by;
    std::string others;
    for (const auto& c : z.cameras) {
      if (c.covering) {
        by += (by.empty() ? "" : ", ") + c.camera_id;
      } else {
        others += (others.empty() ? "" : "; ") + c.camera_id + ": " + reason_text(c.reason);
      }
    }
    auto pct = percent(today_of(z.zone_id));
    char today_text[32] = "-";
    if (pct) std::snprintf(today_text, sizeof today_text, "%.1f%%", *pct);
    table.add({z.zone_id, conf != nullptr ? conf->name : z.zone_id, z.covered ? "covered" : "NOT COVERED",
               by.empty() ? "-" : by, today_text, others});
  }
  table.print();
  std::printf("TODAY: share of %s's care time so far that was covered (- when there was none)\n",
              format_date(today).c_str());
  return kExitOk;
}

}  // namespace

Command add_zones(CLI::App& parent) {
  auto options = std::make_shared<ZonesOptions>();
  CLI::App* app = parent.add_subcommand(
      "zones", "each zone: covered now or not, by which cameras, and the share of today's care time covered");
  app->add_flag("--json", options->json,
                "JSON array of {zone, name, cameras, covered, covering, not_covering: [{camera, cause, reason}], "
                "today: {date, care_s, covered_s, coverage_percent}}");
  return Command{app, [options](Context& context) { return run_zones(*options, context); }};
}

}  // namespace carekeep::cli
