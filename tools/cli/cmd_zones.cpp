// carekeep zones: each configured zone, whether a camera covers it now (as far as the index
// shows), which cameras do and why the others do not, and how much of today's care time so
// far was covered. Reads the index read-only.
// carekeep zones --plan: coverage in space (issue 18): per zone of the [floorplan], the share of
// its child area some camera sees, the parts and which cameras see each, the unseen parts as
// polygons, and the plan's findings; --svg writes the picture.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "base/fs.hpp"
#include "care/calendar.hpp"
#include "history/history.hpp"
#include "command.hpp"
#include "coverage/compute.hpp"
#include "floorplan/floorplan.hpp"
#include "inspect.hpp"
#include "report/report.hpp"
#include "report/text.hpp"

namespace carekeep::cli {

namespace {

constexpr int kExitPlanFindings = 4;  // as verify's findings: the check ran and found something

struct ZonesOptions {
  bool json = false;
  bool plan = false;
  std::string svg;
  std::string lang;
};

std::string reason_text(const std::optional<coverage::Reason>& reason) {
  if (!reason) return "";
  std::string out = reason->cause;
  if (!reason->sub.empty()) out += " (" + reason->sub + ")";
  return out;
}

// Polygons as [[[x, y], ...], ...] per polygon: the outer ring then its holes, in metres
// rounded to the centimetre (the plan's own precision).
Json polygons_json(const floorplan::MultiPolygon& shape) {
  auto cm = [](double v) { return std::round(v * 100) / 100; };
  auto ring_json = [&](const auto& ring) {
    Json out = Json::array();
    for (const auto& p : ring) out.push_back(Json::array({cm(p.x()), cm(p.y())}));
    return out;
  };
  Json out = Json::array();
  for (const auto& polygon : shape) {
    if (config::geometry::bg::area(polygon) < floorplan::kSliverM2) continue;
    Json rings = Json::array({ring_json(polygon.outer())});
    for (const auto& hole : polygon.inners()) rings.push_back(ring_json(hole));
    out.push_back(std::move(rings));
  }
  return out;
}

std::string one_decimal(double v) { return report::fixed(v, 1); }

// The picture width of each placed camera without a configured range, from its newest
// finished segment (the default range rule needs it); cameras never recorded keep the plan's
// default_width_px.
floorplan::Widths recorded_widths(const Context& context, UtcTime now) {
  floorplan::Widths widths;
  std::error_code ec;
  if (!std::filesystem::exists(context.config.site.database, ec)) return widths;  // never recorded
  auto index = index::Index::open_reader(context.config.site.database);
  if (!index) return widths;  // no index yet: the plan alone still answers
  auto cameras = index->cameras();
  if (!cameras) return widths;
  for (const auto& placed : context.config.floorplan->cameras) {
    if (placed.range_m) continue;
    for (const auto& row : *cameras) {
      if (row.id != placed.camera_id) continue;
      if (auto last = last_finished_segment(*index, row, now); last && last->width > 0)
        widths[placed.camera_id] = last->width;
    }
  }
  return widths;
}

int run_plan(const ZonesOptions& options, Context& context) {
  const config::Config& config = context.config;
  if (!config.floorplan) {
    throw CommandError("no [floorplan] in " + context.config_path.string() +
                       ": draw the rooms, walls and camera positions first (docs/coverage.md \"Floor plan\")");
  }
  auto chosen = report::lang_option(options.lang, config.site.timezone);
  if (!chosen) throw UsageError("unknown --lang \"" + options.lang + "\"; use zh or en");
  UtcTime now = SystemClock{}.now();
  floorplan::Widths widths = recorded_widths(context, now);
  floorplan::PlanCoverage coverage = floorplan::compute(config, widths);
  std::vector<floorplan::Finding> found = floorplan::findings(config, coverage);

  if (!options.svg.empty()) {
    std::string picture = floorplan::svg(config, coverage, *chosen == report::Lang::Zh ? "zh" : "en");
    if (auto written = fs::write_file_atomic(options.svg, picture); !written) {
      throw CommandError("writing " + options.svg + ": " + written.error().message);
    }
  }

  if (options.json) {
    Json zones = Json::array();
    for (const auto& z : coverage.zones) {
      const auto* conf = config.find_zone(z.zone_id);
      Json parts = Json::array();
      floorplan::MultiPolygon unseen;
      for (const auto& part : z.parts) {
        if (part.area_m2 < floorplan::kSliverM2) continue;
        parts.push_back({{"area_m2", part.area_m2}, {"cameras", part.cameras}, {"polygons", polygons_json(part.area)}});
        if (part.cameras.empty()) unseen.insert(unseen.end(), part.area.begin(), part.area.end());
      }
      double share = z.covered_percent();
      zones.push_back({{"zone", z.zone_id},
                       {"name", conf != nullptr ? conf->name : z.zone_id},
                       {"area_m2", z.area_m2},
                       {"covered_percent", share},
                       {"uncovered_m2", z.uncovered_m2()},
                       {"below_min", floorplan::below_minimum(config, share)},
                       {"cameras", z.cameras},
                       {"unplaced", z.unplaced},
                       {"parts", parts},
                       {"uncovered", polygons_json(unseen)}});
    }
    Json cameras = Json::array();
    for (const auto& c : coverage.cameras) {
      cameras.push_back({{"camera", c.camera_id},
                         {"range_m", c.range_m},
                         {"range_from_picture", c.range_from_picture},
                         {"width_px", c.range_from_picture ? Json(c.width_px) : Json(nullptr)},
                         {"visible_m2", c.visible_m2}});
    }
    Json findings = Json::array();
    for (const auto& f : found) {
      findings.push_back({{"kind", floorplan::to_string(f.kind)}, {"subject", f.subject}, {"text", f.text}});
    }
    Json out = {{"min_area_percent", config.coverage.min_area_percent},
                {"zones", zones},
                {"cameras", cameras},
                {"findings", findings}};
    if (!options.svg.empty()) out["svg"] = options.svg;
    std::printf("%s\n", out.dump(2).c_str());
    return found.empty() ? kExitOk : kExitPlanFindings;
  }

  Table table({"ZONE", "NAME", "AREA", "SEEN", "UNSEEN", "CAMERAS"}, {false, false, true, true, true, false});
  for (const auto& z : coverage.zones) {
    const auto* conf = config.find_zone(z.zone_id);
    std::string cams;
    for (const auto& c : z.cameras) cams += (cams.empty() ? "" : ", ") + c;
    for (const auto& c : z.unplaced) cams += (cams.empty() ? "" : ", ") + c + " (not on the plan)";
    table.add({z.zone_id, conf != nullptr ? conf->name : z.zone_id, one_decimal(z.area_m2) + " m²",
               one_decimal(z.covered_percent()) + "%", one_decimal(z.uncovered_m2()) + " m²", cams.empty() ? "-" : cams});
  }
  table.print();
  for (const auto& z : coverage.zones) {
    for (const auto& part : z.parts) {
      if (part.area_m2 < 0.01) continue;  // below 100 cm²: nothing to point at in a room
      std::string who;
      for (const auto& c : part.cameras) who += (who.empty() ? "" : "+") + c;
      // Where, as each piece's bounding box: the corners of an arc are many; --json has them.
      std::string where;
      for (const auto& polygon : part.area) {
        if (config::geometry::bg::area(polygon) < 0.01) continue;
        auto box = config::geometry::bg::return_envelope<config::geometry::bg::model::box<floorplan::Point>>(polygon);
        where += (where.empty() ? "" : "; ") + std::string("x ") + one_decimal(box.min_corner().x()) + "–" +
                 one_decimal(box.max_corner().x()) + " y " + one_decimal(box.min_corner().y()) + "–" +
                 one_decimal(box.max_corner().y());
      }
      std::printf("  %s: %s m² seen by %s (%s)\n", z.zone_id.c_str(), one_decimal(part.area_m2).c_str(),
                  who.empty() ? "NO CAMERA" : who.c_str(), where.c_str());
    }
  }
  for (const auto& c : coverage.cameras) {
    if (c.range_from_picture) {
      std::printf("%s: range %s m from its %d px wide picture (pixels_per_metre %s)\n", c.camera_id.c_str(),
                  one_decimal(c.range_m).c_str(), c.width_px, one_decimal(config.floorplan->pixels_per_metre).c_str());
    }
  }
  if (found.empty()) {
    std::printf("every child area is in a zone and at least %s%% of each zone is seen\n",
                one_decimal(config.coverage.min_area_percent - floorplan::kAreaTolerancePercent).c_str());
  }
  for (const auto& f : found) std::printf("FINDING %s\n", f.text.c_str());
  if (!options.svg.empty()) std::printf("plan written to %s\n", options.svg.c_str());
  return found.empty() ? kExitOk : kExitPlanFindings;
}

int run_zones(const ZonesOptions& options, Context& context) {
  if (options.plan) return run_plan(options, context);
  if (!options.svg.empty()) throw UsageError("--svg FILE goes with --plan");
  auto index = open_index(context);
  UtcTime now = SystemClock{}.now();
  auto hours = context.config.care_hours;
  hours.adhoc = must(history::adhoc_care(index, {now - std::chrono::days{2}, UtcTime::max()}), "reading the index");
  care::CareCalendar calendar{hours, context.zone};
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
  app->add_flag("--plan", options->plan,
                "coverage in space from [floorplan]: per zone the share of its child area some camera sees, "
                "the parts and their cameras, the unseen parts as polygons; exit 4 when a zone is below "
                "min_area_percent, a child room is in no zone or a zone has no camera on the plan");
  app->add_option("--svg", options->svg, "with --plan: write the plan as SVG to FILE");
  app->add_option("--lang", options->lang, "with --svg: labels in zh or en (default: the site's language)");
  return Command{app, [options](Context& context) { return run_zones(*options, context); }};
}

}  // namespace carekeep::cli
