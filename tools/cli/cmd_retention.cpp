// carekeep retention --dry-run: what the daemon's next retention pass would delete at a given
// time, and why, without deleting anything (deletion is carekeepd's job alone). Opens the index
// read-only, measures the disk, loads the candidates and runs the same pure planner as the
// daemon (PRODUCT.md §4), with the configuration's retention and care calendar, the index's
// active holds and a trusted clock; then shows what stays protected, and until when.
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "care/calendar.hpp"
#include "command.hpp"
#include "inspect.hpp"
#include "retention/planner.hpp"
#include "retention/protection.hpp"
#include "retention/storage.hpp"

namespace carekeep::cli {

namespace {

struct RetentionOptions {
  bool dry_run = false;
  std::string now;
  bool json = false;
};

struct Protected {
  std::int64_t segments = 0;
  UtcTime earliest;
  UtcTime latest;
};

// Live segments whose stored protection is still in force at `now`, per camera. The planner
// never loads them (load_candidates leaves them out), so they are counted here; the query is a
// range of the partial index segment_retention.
constexpr std::string_view kProtectedSql = R"sql(
  select camera_id, count(*), min(protect_until_us), max(protect_until_us) from segment
  where state in ('closed', 'recovered', 'damaged') and protect_until_us > :now_us
  group by camera_id order by camera_id
)sql";

std::map<std::string, Protected> protected_by_camera(index::Index& index, UtcTime now) {
  const std::string what = "counting protected segments";
  auto q = index.connection().cached(kProtectedSql);
  if (!q) throw CommandError(what + ": " + q.error().message);
  (*q)->bind(":now_us", to_us(now));
  std::map<std::string, Protected> out;
  for (;;) {
    auto row = (*q)->step();
    if (!row) throw CommandError(what + ": " + row.error().message);
    if (!*row) break;
    out[(*q)->column<std::string>(0)] = {(*q)->column<std::int64_t>(1), from_us((*q)->column<std::int64_t>(2)),
                                         from_us((*q)->column<std::int64_t>(3))};
  }
  (*q)->reset();
  return out;
}

int run_retention(const RetentionOptions& options, Context& context) {
  if (!options.dry_run) {
    throw UsageError("retention deletes footage only inside carekeepd; use --dry-run to see what it would delete");
  }
  UtcTime now = SystemClock{}.now();
  if (!options.now.empty()) {
    auto parsed = parse_cli_time(options.now, context.zone, DateBoundary::StartOfDay);
    if (!parsed) throw UsageError("--now: " + parsed.error().message);
    now = *parsed;
  }
  const auto& retention_config = context.config.retention;
  auto index = open_index(context);
  auto storage = must(retention::measure(context.config.site.storage, index), "measuring the storage");
  auto candidates = must(retention::load_candidates(index, retention_config, storage, now), "reading the index");
  auto hold_rows = must(index.active_holds(), "reading the index");
  retention::ZoneCameras zones;
  for (const auto& z : context.config.zones) zones[z.id] = z.cameras;
  auto held = retention::resolve_holds(hold_rows, zones);
  // Ad-hoc care sessions (`carekeep care`): every one that care footage still on disk could
  // overlap, i.e. of the last care_days and then some.
  const index::TimeRange session_range{now - std::chrono::days{retention_config.care_days + 2}, UtcTime::max()};
  auto sessions = must(index.care_sessions(session_range), "reading the index");
  auto hours = context.config.care_hours;
  for (const auto& s : sessions) hours.adhoc.push_back({s.started, s.care_end()});
  care::CareCalendar calendar(hours, context.zone);
  auto keeps = retention::adhoc_keeps(sessions, retention_config.care_days, context.zone);

  retention::PlanInput input;
  input.segments = candidates;
  input.holds = held;
  input.storage = storage;
  input.retention = retention_config;
  input.now = now;
  input.protection = retention::make_protection_policy(retention_config, calendar);
  input.adhoc = keeps;
  input.clock = retention::ClockTrust{true, ""};
  auto plan = retention::plan(input);
  auto protection = protected_by_camera(index, now);
  const auto& s = plan.summary;
  const auto& zone = context.zone;

  if (options.json) {
    Json deletions = Json::array();
    for (const auto& d : plan.deletions) {
      deletions.push_back({{"camera", d.camera_id},
                           {"start", format_local_iso(d.start, zone)},
                           {"end", format_local_iso(d.end, zone)},
                           {"path", d.path},
                           {"reason", std::string(retention::to_string(d.reason))},
                           {"bytes", d.size_bytes},
                           {"protect_until", local_or_null(d.protect_until, zone)}});
    }
    Json cameras = Json::object();
    for (const auto& [camera, p] : protection) {
      cameras[camera] = {{"segments", p.segments},
                         {"earliest_protect_until", format_local_iso(p.earliest, zone)},
                         {"latest_protect_until", format_local_iso(p.latest, zone)}};
    }
    Json holds = Json::array();
    for (const auto& h : hold_rows) {
      holds.push_back({{"id", h.id},
                       {"camera", h.camera_id ? Json(*h.camera_id) : Json(nullptr)},
                       {"zone", h.zone_id ? Json(*h.zone_id) : Json(nullptr)},
                       {"from", format_local_iso(h.from, zone)},
                       {"to", format_local_iso(h.to, zone)},
                       {"reason", h.reason}});
    }
    Json care_sessions = Json::array();
    for (std::size_t i = 0; i < sessions.size(); ++i) {
      care_sessions.push_back({{"id", sessions[i].id},
                               {"start", format_local_iso(sessions[i].started, zone)},
                               {"end", format_local_iso(sessions[i].care_end(), zone)},
                               {"open", sessions[i].open()},
                               {"keep_until", format_local_iso(keeps[i].keep_until, zone)}});
    }
    Json out = {{"now", format_local_iso(now, zone)},
                {"delete", deletions},
                {"summary",
                 {{"total_bytes", storage.total_bytes},
                  {"free_bytes", storage.free_bytes},
                  {"footage_bytes", storage.footage_bytes},
                  {"under_pressure", s.under_pressure},
                  {"bytes_needed", s.bytes_needed},
                  {"bytes_freed", s.bytes_freed},
                  {"shortfall_bytes", s.shortfall_bytes},
                  {"stop_recording_outside_care", s.stop_recording_outside_care},
                  {"expired", s.expired},
                  {"expired_protected", s.expired_protected},
                  {"disk_pressure", s.disk_pressure},
                  {"kept_protected", s.kept_protected},
                  {"kept_held", s.kept_held},
                  {"kept_unfinished", s.kept_unfinished}}},
                {"protected", {{"cameras", cameras}, {"holds", holds}, {"care_sessions", care_sessions}}}};
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }

  std::printf("retention at %s (dry run: nothing is deleted)\n", format_local_iso(now, zone).c_str());
  if (plan.deletions.empty()) {
    std::printf("\nnothing would be deleted\n");
  } else {
    std::printf("\nwould delete:\n");
    Table table({"CAMERA", "START", "END", "SIZE", "REASON", "PATH"}, {false, false, false, true, false, false});
    for (const auto& d : plan.deletions) {
      std::string reason(retention::to_string(d.reason));
      if (d.protect_until) reason += " (protected until " + format_local_iso(*d.protect_until, zone) + ")";
      table.add({d.camera_id, format_local_iso(d.start, zone), format_local_iso(d.end, zone),
                 human_bytes(static_cast<double>(d.size_bytes)), reason, d.path});
    }
    table.print();
  }
  std::printf("\ndisk: %s free of %s, footage %s\n", human_bytes(static_cast<double>(storage.free_bytes)).c_str(),
              human_bytes(static_cast<double>(storage.total_bytes)).c_str(),
              human_bytes(static_cast<double>(storage.footage_bytes)).c_str());
  std::printf("%zu segment%s, %s freed (%lld expired, %lld expired_protected, %lld disk_pressure)\n",
              plan.deletions.size(), plan.deletions.size() == 1 ? "" : "s",
              human_bytes(static_cast<double>(s.bytes_freed)).c_str(), static_cast<long long>(s.expired),
              static_cast<long long>(s.expired_protected), static_cast<long long>(s.disk_pressure));
  if (s.under_pressure) {
    std::printf("disk pressure: %s needed, shortfall %s\n", human_bytes(static_cast<double>(s.bytes_needed)).c_str(),
                human_bytes(static_cast<double>(s.shortfall_bytes)).c_str());
  } else {
    std::printf("no disk pressure\n");
  }
  std::printf("recording outside care hours would %s\n",
              s.stop_recording_outside_care ? "STOP (protected and held footage cannot make room)" : "continue");

  std::printf("\nprotected (kept whatever the disk needs):\n");
  if (protection.empty()) {
    std::printf("no segment is protected at %s\n", format_local_iso(now, zone).c_str());
  } else {
    Table table({"CAMERA", "SEGMENTS", "EARLIEST PROTECT_UNTIL", "LATEST PROTECT_UNTIL"}, {false, true, false, false});
    for (const auto& [camera, p] : protection) {
      table.add({camera, std::to_string(p.segments), format_local_iso(p.earliest, zone),
                 format_local_iso(p.latest, zone)});
    }
    table.print();
  }
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    std::printf("ad-hoc care session #%lld %s to %s%s: its footage is kept until %s\n",
                static_cast<long long>(sessions[i].id), format_local_iso(sessions[i].started, zone).c_str(),
                format_local_iso(sessions[i].care_end(), zone).c_str(), sessions[i].open() ? " (open)" : "",
                format_local_iso(keeps[i].keep_until, zone).c_str());
  }
  if (hold_rows.empty()) {
    std::printf("no active hold\n");
  } else {
    std::printf("%zu active hold%s (kept until released; %lld candidate segment%s kept by them):\n", hold_rows.size(),
                hold_rows.size() == 1 ? "" : "s", static_cast<long long>(s.kept_held), s.kept_held == 1 ? "" : "s");
    for (const auto& h : hold_rows) {
      std::printf("  #%lld %s %s to %s: %s\n", static_cast<long long>(h.id), hold_target(h).c_str(),
                  format_local_iso(h.from, zone).c_str(), format_local_iso(h.to, zone).c_str(), h.reason.c_str());
    }
  }
  return kExitOk;
}

}  // namespace

Command add_retention(CLI::App& parent) {
  auto options = std::make_shared<RetentionOptions>();
  CLI::App* app = parent.add_subcommand(
      "retention", "what carekeepd's retention would delete, and why; with --dry-run only (nothing is deleted)");
  app->add_flag("--dry-run", options->dry_run, "required: plan only; carekeepd alone deletes footage");
  app->add_option("--now", options->now,
                  "plan as of this time: 2026-11-20T08:00 (site local time), with an offset, or a date; default now");
  app->add_flag("--json", options->json,
                "JSON object {delete: [{camera, start, end, path, reason, bytes}], summary, protected}; times in "
                "ISO 8601 with offset");
  return Command{app, [options](Context& context) { return run_retention(*options, context); }};
}

}  // namespace carekeep::cli
