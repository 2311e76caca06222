// carekeep gaps: the stretches of care time in a range in which a zone was not covered by any of
// its cameras, each with its cause and every camera's reason (PRODUCT.md §5.1), recomputed from
// the index on demand, each instant by the configuration in force then (the daemon's stored
// versions, history/history.hpp). Reads the index read-only unless --store asks to keep the
// result; a store is recorded in the access log.
#include <cstdio>
#include <memory>
#include <string>

#include "base/text.hpp"
#include "care/calendar.hpp"
#include "command.hpp"
#include "coverage/compute.hpp"
#include "evidence.hpp"
#include "history/history.hpp"
#include "inspect.hpp"

namespace carekeep::cli {

namespace {

struct GapsOptions {
  std::string zone;
  std::string from;
  std::string to;
  bool json = false;
  bool store = false;
};

// UsageError naming the closest zone, unless the current file or a configuration in force
// over the range (a zone removed since) has it.
void require_zone(const std::string& zone, const Context& context, const history::InForce& versions) {
  std::vector<std::string> ids;
  for (const auto& span : versions.spans) {
    for (const auto& z : span.config->zones) {
      if (z.id == zone) return;
      ids.push_back(z.id);
    }
  }
  if (context.config.find_zone(zone) != nullptr) return;
  std::string message = "unknown zone \"" + zone + "\"";
  if (auto near = text::closest(zone, ids)) message += "; did you mean \"" + *near + "\"?";
  else message += "; the configured zones are listed by carekeep zones";
  throw UsageError(message);
}

int run_gaps(const GapsOptions& options, Context& context) {
  auto range = parse_range(options.from, options.to, context.zone);
  std::optional<std::string_view> zone;
  if (!options.zone.empty()) zone = options.zone;
  UtcTime now = SystemClock{}.now();
  std::vector<coverage::Gap> gaps;
  auto index = open_index(context);
  auto versions = must(history::in_force(index, context.config, range), "reading the configuration history");
  if (zone) require_zone(options.zone, context, versions);
  for (const auto& note : versions.notes) std::fprintf(stderr, "carekeep: note: %s\n", note.c_str());
  if (versions.current_file_used && versions.first_version) {
    std::fprintf(stderr,
                 "carekeep: note: before %s (the first stored configuration) care hours and zones are those of %s\n",
                 format_local_iso(*versions.first_version, context.zone).c_str(), context.config_path.string().c_str());
  } else if (versions.current_file_used) {
    std::fprintf(stderr, "carekeep: note: the index holds no stored configuration; care hours and zones are those of %s\n",
                 context.config_path.string().c_str());
  }
  if (options.store) {
    // Storing needs the writer connection; SQLite's lock lets it share the file with the daemon.
    auto writer = open_writer(context, "--store writes the zone_gap table");
    auto stored = coverage::compute_gaps(writer, versions.spans, range, zone, true, now);
    Json args{{"from", format_utc_iso(range.from)}, {"to", format_utc_iso(std::min(range.to, now))},
              {"zone", options.zone.empty() ? Json(nullptr) : Json(options.zone)}};
    if (stored) args["gaps"] = stored->size();
    record(writer, acting_user(context), "gaps_store", args.dump(), stored ? "ok" : stored.error().message);
    gaps = must(std::move(stored), "computing gaps");
  } else {
    gaps = must(coverage::compute_gaps(index, versions.spans, range, zone, false, now), "computing gaps");
  }

  if (options.json) {
    Json out = Json::array();
    for (const auto& g : gaps) {
      const auto* z = context.config.find_zone(g.zone_id);
      for (auto it = versions.spans.rbegin(); z == nullptr && it != versions.spans.rend(); ++it)
        z = it->config->find_zone(g.zone_id);  // a zone removed since
      out.push_back({{"zone", g.zone_id},
                     {"zone_name", z != nullptr ? z->name : g.zone_id},
                     {"start", format_local_iso(g.start, context.zone)},
                     {"end", format_local_iso(g.end, context.zone)},
                     {"start_us", to_us(g.start)},
                     {"end_us", to_us(g.end)},
                     {"duration_s", seconds(g.end - g.start)},
                     {"cause", g.cause},
                     {"detail", g.detail}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::string scope = zone ? "zone " + options.zone : std::string("any zone");
  std::string span = format_local_iso(range.from, context.zone) + " to " +
                     format_local_iso(std::min(range.to, now), context.zone);
  if (gaps.empty()) {
    std::printf("no gaps in %s's care hours from %s\n", scope.c_str(), span.c_str());
    return kExitOk;
  }
  Table table({"ZONE", "START", "END", "DURATION", "CAUSE", "DETAIL"}, {false, false, false, true, false, false});
  Micros total{0};
  for (const auto& g : gaps) {
    table.add({g.zone_id, format_local_iso(g.start, context.zone), format_local_iso(g.end, context.zone),
               human_seconds(g.end - g.start), g.cause, g.detail});
    total += g.end - g.start;
  }
  table.print();
  std::printf("%zu gap%s, %s uncovered care time, from %s\n", gaps.size(), gaps.size() == 1 ? "" : "s",
              human_seconds(total).c_str(), span.c_str());
  return kExitOk;
}

}  // namespace

Command add_gaps(CLI::App& parent) {
  auto options = std::make_shared<GapsOptions>();
  CLI::App* app = parent.add_subcommand(
      "gaps", "care time in a range when a zone was not covered by any of its cameras, with each gap's cause");
  app->add_option("--zone", options->zone, "only this zone (default: every zone)");
  app->add_option("--from", options->from,
                  "start: 2026-11-20T08:00 (site local time), with an offset (+08:00, Z), or a date alone")
      ->required();
  app->add_option("--to", options->to, "end, excluded; a date alone includes that whole day (never after now)")
      ->required();
  app->add_flag("--store", options->store,
                "also store the result in the index's zone_gap table, replacing that range (needs write access)");
  app->add_flag("--json", options->json,
                "JSON array of {zone, zone_name, start, end, start_us, end_us, duration_s, cause, detail}; cause is "
                "camera_offline | stream_stalled | recording_error | recorder_not_running | clock_step | "
                "footage_missing | footage_damaged | deleted | content");
  return Command{app, [options](Context& context) { return run_gaps(*options, context); }};
}

}  // namespace carekeep::cli
