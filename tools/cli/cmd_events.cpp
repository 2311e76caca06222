// carekeep events: what happened to the cameras (up, down with its cause, warnings) and to the
// wall clock (steps) in a time range, merged by time, so odd timestamps and missing footage
// are explained next to each other. Reads the index read-only.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <variant>

#include "command.hpp"
#include "inspect.hpp"

namespace carekeep::cli {

namespace {

struct EventsOptions {
  std::string camera;
  std::string from;
  std::string to;
  bool json = false;
};

using Event = std::variant<index::CameraEventRow, index::ClockEventRow>;

UtcTime time_of(const Event& e) {
  return std::visit([](const auto& row) { return row.time; }, e);
}

// "+3600.0 s", "-0.5 s"
std::string signed_seconds(Micros step) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%+.1f s", seconds(step));
  return buf;
}

Json json_event(const Event& e, const TimeZone& zone) {
  if (const auto* c = std::get_if<index::CameraEventRow>(&e)) {
    auto reason = plain_reason(c->cause);
    return {{"camera", c->camera_id},
            {"time", format_local_iso(c->time, zone)},
            {"kind", std::string(index::to_string(c->kind))},
            {"cause", c->cause.empty() ? Json(nullptr) : Json(c->cause)},
            {"reason", reason ? Json(*reason) : Json(nullptr)},
            {"detail", c->detail}};
  }
  const auto& k = std::get<index::ClockEventRow>(e);
  return {{"camera", nullptr},
          {"time", format_local_iso(k.time, zone)},
          {"kind", "clock_step"},
          {"cause", "clock_step"},
          {"detail", k.detail},
          {"step_s", seconds(k.step)},
          {"ntp_synced", k.ntp_synced ? Json(*k.ntp_synced) : Json(nullptr)}};
}

std::vector<std::string> text_event(const Event& e, const TimeZone& zone) {
  if (const auto* c = std::get_if<index::CameraEventRow>(&e)) {
    std::string detail = c->detail;
    if (auto reason = plain_reason(c->cause)) detail += (detail.empty() ? "" : "; ") + *reason;
    return {format_local_iso(c->time, zone), c->camera_id, std::string(index::to_string(c->kind)), c->cause,
            detail};
  }
  const auto& k = std::get<index::ClockEventRow>(e);
  std::string detail = "wall clock stepped " + signed_seconds(k.step);
  if (k.ntp_synced) detail += *k.ntp_synced ? " (NTP synchronized)" : " (NTP not synchronized)";
  if (!k.detail.empty()) detail += "; " + k.detail;
  return {format_local_iso(k.time, zone), "-", "clock_step", "clock_step", detail};
}

int run_events(const EventsOptions& options, Context& context) {
  auto range = parse_range(options.from, options.to, context.zone);
  auto index = open_index(context);
  std::optional<std::string_view> camera;
  if (!options.camera.empty()) {
    require_camera(options.camera, context, must(index.cameras(), "reading the index"));
    camera = options.camera;
  }
  std::vector<Event> events;
  for (auto& row : must(index.camera_events(range, camera), "reading the index")) events.emplace_back(std::move(row));
  // Clock steps concern every camera, so they are listed with --camera too.
  for (auto& row : must(index.clock_events(range), "reading the index")) events.emplace_back(std::move(row));
  // Both lists come sorted by time; at equal times the clock step comes first, since it
  // explains the timestamps after it.
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (time_of(a) != time_of(b)) return time_of(a) < time_of(b);
    return a.index() > b.index();
  });

  if (options.json) {
    Json out = Json::array();
    for (const auto& e : events) out.push_back(json_event(e, context.zone));
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  if (events.empty()) {
    std::printf("no events%s%s from %s to %s\n", camera ? " of camera " : "", camera ? options.camera.c_str() : "",
                format_local_iso(range.from, context.zone).c_str(), format_local_iso(range.to, context.zone).c_str());
    return kExitOk;
  }
  Table table({"TIME", "CAMERA", "KIND", "CAUSE", "DETAIL"}, {});
  for (const auto& e : events) table.add(text_event(e, context.zone));
  table.print();
  return kExitOk;
}

}  // namespace

Command add_events(CLI::App& parent) {
  auto options = std::make_shared<EventsOptions>();
  CLI::App* app = parent.add_subcommand(
      "events", "camera events (up, down with cause, warnings) and wall-clock steps in a time range, by time");
  app->add_option("--camera", options->camera, "only this camera's events (clock steps are always shown)");
  app->add_option("--from", options->from,
                  "start: 2026-11-20T08:00 (site local time), with an offset (+08:00, Z), or a date alone")
      ->required();
  app->add_option("--to", options->to, "end, excluded; a date alone includes that whole day")->required();
  app->add_flag("--json", options->json,
                "JSON array of {camera, time, kind, cause, reason, detail}; clock steps have camera null, kind "
                "and cause \"clock_step\", step_s and ntp_synced");
  return Command{app, [options](Context& context) { return run_events(*options, context); }};
}

}  // namespace carekeep::cli
