// carekeep status: is the recorder running, is each camera up (and if not, why), how much disk
// is left, and what the newest footage is. Live numbers come from the status.json carekeepd
// rewrites every 5 s beside the index; the rest from the index, opened read-only. When the
// daemon is not running, says so first and shows what the index knows.
// The JSON is one object whose top-level keys (daemon, index, cameras, disk) later issues extend
// (zones, alerts, forecast); consumers should ignore keys they do not know.
#include <signal.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>

#include "alerts/alerts.hpp"
#include "care/calendar.hpp"
#include "history/history.hpp"
#include "base/text.hpp"
#include "status/status.hpp"
#include "command.hpp"
#include "inspect.hpp"
#include "retention/forecast.hpp"
#include "health/smart.hpp"
#include "retention/storage.hpp"

namespace carekeep::cli {

namespace {

using namespace std::chrono_literals;

// carekeepd rewrites status.json every 5 s; three missed rewrites mean it is gone or hung.
constexpr Micros kFreshFor = 15s;

struct StatusOptions {
  bool json = false;
};

// Where carekeepd writes it: beside the index (lib/status).
std::filesystem::path status_path(const config::Config& config) { return status::status_path(config.site.database); }

struct DaemonState {
  bool running = false;
  Json status;                              // the parsed status.json, or null (sections other modules own)
  status::DaemonStatus typed;               // its typed keys (lib/status), when status is not null
  std::string status_problem;               // why status.json was not usable, if it was not
  std::optional<std::int64_t> pid;          // from status.json
  bool process_exists = false;              // kill(pid, 0) found it
  std::optional<UtcTime> updated;           // from status.json
  std::optional<index::DaemonRunRow> last_run;  // the newest daemon run in the index
  std::optional<UtcTime> last_seen;         // the latest proof of life of either
};

Json get(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? Json(nullptr) : *it;
}

std::optional<std::string> get_string(const Json& object, const char* key) {
  auto value = get(object, key);
  if (!value.is_string()) return std::nullopt;
  return value.get<std::string>();
}

bool process_alive(std::int64_t pid) {
  if (pid <= 0 || pid > std::numeric_limits<pid_t>::max()) return false;
  // EPERM: the process exists but belongs to another user (carekeepd usually runs as its own).
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

DaemonState daemon_state(const Context& context, index::Index& index, UtcTime now) {
  DaemonState state;
  auto path = status_path(context.config);
  std::error_code ec;
  std::ifstream in(path);
  if (!std::filesystem::exists(path, ec)) {
    state.status_problem = "no " + path.string();
  } else if (!in) {
    state.status_problem = "cannot read " + path.string() + " (is this user in carekeepd's group?)";
  } else {
    std::stringstream text;
    text << in.rdbuf();
    state.status = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    auto typed = status::from_json(state.status);
    if (!typed || !get(state.status, "pid").is_number_integer() || !get(state.status, "updated_us").is_number_integer()) {
      state.status_problem = path.string() + " is not a carekeepd status file" + (typed ? "" : " (" + typed.error().message + ")");
      state.status = nullptr;
    } else {
      state.typed = std::move(*typed);
      state.pid = state.typed.pid;
      state.updated = state.typed.updated;
      // Both ways: after the wall clock steps back, the last update is briefly in the future.
      bool fresh = std::chrono::abs(now - *state.updated) <= kFreshFor;
      state.process_exists = process_alive(*state.pid);
      state.running = fresh && state.process_exists;
      if (fresh && !state.process_exists) {
        state.status_problem = "its process " + std::to_string(*state.pid) + " is gone";
      } else if (!fresh && state.process_exists) {
        state.status_problem = "process " + std::to_string(*state.pid) + " exists but stopped updating " +
                               path.string() + " (hung? or another program reuses the pid)";
      }
    }
  }
  const index::TimeRange all{from_us(std::numeric_limits<std::int64_t>::min()),
                             from_us(std::numeric_limits<std::int64_t>::max())};
  auto runs = must(index.daemon_runs(all), "reading the index");  // one row per daemon start: few
  if (!runs.empty()) state.last_run = runs.back();
  if (!state.pid && state.last_run && !state.last_run->stopped && process_alive(state.last_run->pid)) {
    state.process_exists = true;
    state.status_problem += "; process " + std::to_string(state.last_run->pid) +
                            " of its last run exists but has written no status (starting up, or hung?)";
  }
  if (state.updated) state.last_seen = state.updated;
  if (state.last_run) {
    UtcTime seen = state.last_run->stopped.value_or(state.last_run->alive);
    if (!state.last_seen || seen > *state.last_seen) state.last_seen = seen;
  }
  return state;
}

// The daemon's figures while it runs (it can always see the storage directory); otherwise
// this process's own statvfs, which may be refused to a user outside carekeepd's group.
Json disk_json(const Context& context, const DaemonState& daemon) {
  if (daemon.running) {
    const auto& disk = daemon.typed.disk;
    if (!disk) return nullptr;
    return {{"total_bytes", disk->total_bytes}, {"free_bytes", disk->free_bytes}};
  }
  struct statvfs vfs {};
  if (::statvfs(context.config.site.storage.c_str(), &vfs) != 0) return nullptr;
  return {{"total_bytes", static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize},
          {"free_bytes", static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize}};
}

Json segment_json(const std::optional<index::SegmentRow>& s, const TimeZone& zone) {
  if (!s) return nullptr;
  return {{"path", s->path},
          {"start", format_local_iso(s->start, zone)},
          {"end", format_local_iso(s->end, zone)},
          {"state", std::string(index::to_string(s->state))}};
}

Json event_json(const std::optional<index::CameraEventRow>& e, const TimeZone& zone) {
  if (!e) return nullptr;
  auto reason = plain_reason(e->cause);
  return {{"time", format_local_iso(e->time, zone)},
          {"kind", std::string(index::to_string(e->kind))},
          {"cause", e->cause.empty() ? Json(nullptr) : Json(e->cause)},
          {"reason", reason ? Json(*reason) : Json(nullptr)},
          {"detail", e->detail}};
}

// What the index knows of one camera: its newest finished segment and newest event.
struct Known {
  std::optional<index::SegmentRow> last_segment;
  std::optional<index::CameraEventRow> last_event;
};

Known known_of(index::Index& index, const std::vector<index::CameraRow>& cameras, const std::string& id,
               UtcTime now) {
  for (const auto& row : cameras) {
    if (row.id == id) return {last_finished_segment(index, row, now), last_camera_event(index, row, now)};
  }
  return {};  // configured, but the daemon has not run with it yet
}

Json camera_json(const std::string& id, const std::string& name, bool enabled, const Known& known,
                 const DaemonState& daemon, const status::Camera* camera, const TimeZone& zone) {
  Json out{{"camera", id}, {"name", name}, {"enabled", enabled}};
  if (daemon.running) {
    out["up"] = camera != nullptr && camera->up;  // disabled cameras have no recorder
    const status::CameraLive* live = camera != nullptr && camera->live ? &*camera->live : nullptr;
    auto text_or_null = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
    out["since"] = live ? local_or_null(live->since, zone) : Json(nullptr);
    out["cause"] = live ? text_or_null(live->cause) : Json(nullptr);
    out["reason"] = live ? text_or_null(live->reason) : Json(nullptr);
    out["detail"] = live ? Json(live->detail) : Json(nullptr);
    out["bitrate_bps"] = live ? Json(live->bitrate_bps) : Json(nullptr);
    out["fps"] = live ? Json(live->fps) : Json(nullptr);
    out["reconnects"] = live ? Json(live->reconnects) : Json(nullptr);
    // Before its first connection the daemon reports codec "" and size 0: unknown, as offline.
    out["codec"] = live ? text_or_null(live->codec) : Json(nullptr);
    out["width"] = live && live->width != 0 ? Json(live->width) : Json(nullptr);
    out["height"] = live && live->height != 0 ? Json(live->height) : Json(nullptr);
  } else {
    // Nothing records while the daemon is down: every camera is down for that reason.
    out["up"] = false;
    out["since"] = local_or_null(daemon.last_seen, zone);
    out["cause"] = "daemon_not_running";
    out["reason"] = "carekeepd is not running";
    out["detail"] = "";
    out["bitrate_bps"] = nullptr;
    out["fps"] = nullptr;
    out["reconnects"] = nullptr;
    const auto& s = known.last_segment;
    out["codec"] = s ? Json(s->video_codec) : Json(nullptr);
    out["width"] = s ? Json(s->width) : Json(nullptr);
    out["height"] = s ? Json(s->height) : Json(nullptr);
  }
  out["last_segment"] = segment_json(known.last_segment, zone);
  out["last_event"] = event_json(known.last_event, zone);
  return out;
}

// Open alerts from the index: the daemon keeps them there, so they show whether it runs or not.
Json alerts_json(index::Index& index, const TimeZone& zone) {
  auto open = must(alerts::list(index, false), "reading the index");
  Json out = Json::array();
  for (const auto& a : open) out.push_back(alerts::to_json(a, zone));
  return out;
}

// Days of care footage the storage holds at the observed rate: the daemon's figure while it
// runs (it refreshes it hourly), else computed here the same way (lib/retention/forecast).
Json forecast_json(const Context& context, const DaemonState& daemon, index::Index& index, UtcTime now) {
  if (daemon.running) {
    const auto& days = daemon.typed.forecast_care_days;
    return days ? Json(*days) : Json(nullptr);
  }
  auto storage = retention::measure(context.config.site.storage, index);
  auto rates = index.footage_rates({now - std::chrono::days(14), now});
  if (!storage || !rates) return nullptr;
  auto hours = context.config.care_hours;
  if (auto adhoc = history::adhoc_care(index, {now, UtcTime::max()})) hours.adhoc = std::move(*adhoc);
  care::CareCalendar calendar{hours, context.zone};
  auto f = retention::forecast(*rates, *storage, context.config.retention, calendar, now);
  if (!f.care_days) return nullptr;
  return std::floor(*f.care_days * 10) / 10;
}

// SMART health of the storage's disks: the daemon's view while it runs, else carekeep-smart's
// smart.json itself (readable to carekeepd's group). null when no probe has run.
Json disk_health_json(const Context& context, const DaemonState& daemon, UtcTime now) {
  if (daemon.running) {
    auto health = get(daemon.status, "disk_health");
    if (health.is_object() || health.is_null()) return health;
  }
  auto state = health::read_state(health::state_path(context.config.site.database));
  if (!state || !*state) return nullptr;
  return health::status_json(**state, now, health::kSmartStaleAfter);
}

// The web console while the daemon runs with [web] listen (lib/status's web); null otherwise.
Json web_json(const DaemonState& daemon) {
  if (!daemon.running || !daemon.typed.web) return nullptr;
  const auto& web = *daemon.typed.web;
  return {{"listen", web.listen},
          {"port", web.port},
          {"https", web.https},
          {"fingerprint_sha256", web.fingerprint_sha256.empty() ? Json(nullptr) : Json(web.fingerprint_sha256)}};
}

// ---- text ------------------------------------------------------------------------------

void print_disk_health(const Json& health, const TimeZone& zone) {
  if (!health.is_object()) {
    std::printf("disk health: not read (install smartmontools; systemctl enable --now carekeep-smart.timer)\n");
    return;
  }
  std::string when;
  if (auto us = get(health, "checked_us"); us.is_number_integer()) when = format_local_iso(from_us(us.get<std::int64_t>()), zone);
  std::string stale = get(health, "stale") == true ? " (stale: the hourly check has stopped)" : "";
  auto disks = get(health, "disks");
  if (!disks.is_array() || disks.empty()) {
    std::printf("disk health: %s (checked %s)%s\n", get_string(health, "reason").value_or("no disk").c_str(), when.c_str(),
                stale.c_str());
    return;
  }
  for (const auto& d : disks) {
    std::string line = "disk health: " + get_string(d, "device").value_or("?");
    auto model = get_string(d, "model").value_or("");
    if (!model.empty()) line += " (" + model + ")";
    auto verdict = get_string(d, "verdict").value_or("unknown");
    line += " " + (verdict == "failing" ? std::string("FAILING") : verdict);
    std::string said = get_string(d, "reason").value_or("");
    auto findings = get(d, "findings");
    if (findings.is_array()) {
      for (const auto& f : findings) {
        said += (said.empty() ? "" : "; ") + get_string(f, "attribute").value_or("") + ": " +
                get_string(f, "detail").value_or("");
      }
    }
    if (!said.empty()) line += ": " + said;
    std::printf("%s (checked %s)%s\n", line.c_str(), when.c_str(), stale.c_str());
  }
}

std::string daemon_line(const DaemonState& daemon, const TimeZone& zone) {
  if (daemon.running) {
    std::string line = "carekeepd is running (pid " + std::to_string(*daemon.pid) + "), status updated " +
                       format_local_iso(*daemon.updated, zone);
    if (!daemon.typed.running) line += "; it records no camera (stopping, or all disabled)";
    return line;
  }
  std::string line = "carekeepd is not running (";
  if (daemon.last_seen) {
    line += "last seen " + format_local_iso(*daemon.last_seen, zone);
  } else {
    line += "never seen: no daemon run in the index";
  }
  if (!daemon.status_problem.empty()) line += "; " + daemon.status_problem;
  if (daemon.last_run) {
    if (daemon.last_run->stop_reason) {
      line += "; its last run ended: " + *daemon.last_run->stop_reason;
    } else if (!daemon.process_exists) {
      line += "; its last run recorded no stop (crash or power loss?)";
    }
  }
  return line + ")";
}

std::string size_text(const Json& camera) {
  auto codec = get_string(camera, "codec");
  if (!codec || codec->empty()) return "";
  std::string text = *codec;
  auto width = get(camera, "width");
  auto height = get(camera, "height");
  if (width.is_number_integer() && height.is_number_integer() && width.get<int>() > 0) {
    text += " " + std::to_string(width.get<int>()) + "x" + std::to_string(height.get<int>());
  }
  return text;
}

void print_camera(const Json& camera, bool running) {
  std::string id = camera["camera"].get<std::string>();
  std::string name = camera["name"].is_string() ? camera["name"].get<std::string>() : id;
  std::printf("%s%s\n", id.c_str(), name == id ? "" : ("  " + name).c_str());
  if (camera["enabled"] == false) std::printf("  disabled in the configuration\n");
  if (running && camera["enabled"] != false) {
    auto since = get_string(camera, "since");
    if (camera["up"] == true) {
      std::printf("  up%s\n", since ? (" since " + *since).c_str() : "");
    } else {
      std::string line = "  DOWN";
      line += since ? " since " + *since : " (not connected yet)";
      auto cause = get_string(camera, "cause");
      auto reason = get_string(camera, "reason");
      if (cause) line += ": " + *cause;
      if (reason) line += (cause ? ", " : ": ") + *reason;
      std::printf("%s\n", text::printable(line).c_str());
      auto detail = get_string(camera, "detail");
      if (detail && !detail->empty()) std::printf("  detail: %s\n", text::printable(*detail).c_str());
    }
    std::string stats;
    auto bitrate = get(camera, "bitrate_bps");
    auto fps = get(camera, "fps");
    auto reconnects = get(camera, "reconnects");
    char buf[96];
    if (bitrate.is_number()) {
      std::snprintf(buf, sizeof buf, "%.0f kbit/s", bitrate.get<double>() / 1000);
      stats += buf;
    }
    if (fps.is_number()) {
      std::snprintf(buf, sizeof buf, "%s%.1f fps", stats.empty() ? "" : ", ", fps.get<double>());
      stats += buf;
    }
    if (reconnects.is_number_integer()) {
      auto n = reconnects.get<std::int64_t>();
      stats += (stats.empty() ? "" : ", ") + std::to_string(n) + (n == 1 ? " reconnect" : " reconnects");
    }
    if (auto size = size_text(camera); !size.empty()) stats += (stats.empty() ? "" : ", ") + size;
    if (!stats.empty()) std::printf("  %s\n", stats.c_str());
  }
  if (!running) {
    const auto& e = camera["last_event"];
    if (e.is_null()) {
      std::printf("  no event in the index\n");
    } else {
      std::string line = "  last event: " + e["kind"].get<std::string>() + " at " + e["time"].get<std::string>();
      if (e["cause"].is_string()) line += ": " + e["cause"].get<std::string>();
      if (e["reason"].is_string()) line += ", " + e["reason"].get<std::string>();
      if (!e["detail"].get<std::string>().empty()) line += " (" + e["detail"].get<std::string>() + ")";
      std::printf("%s\n", text::printable(line).c_str());
    }
  }
  const auto& s = camera["last_segment"];
  if (s.is_null()) {
    std::printf("  no finished segment in the index\n");
  } else {
    std::string line = "  last segment " + s["path"].get<std::string>() + ", ended " + s["end"].get<std::string>();
    if (s["state"] != "closed") line += " (" + s["state"].get<std::string>() + ")";
    if (!running) {
      if (auto size = size_text(camera); !size.empty()) line += ", " + size;
    }
    std::printf("%s\n", text::printable(line).c_str());
  }
}

void print_disk(const Json& disk) {
  auto total = get(disk, "total_bytes");
  auto free = get(disk, "free_bytes");
  if (!total.is_number() || !free.is_number() || total.get<double>() <= 0) {
    std::printf("disk: unknown\n");
    return;
  }
  double t = total.get<double>();
  double f = free.get<double>();
  std::printf("disk: %s free of %s (%.0f%%)\n", human_bytes(f).c_str(), human_bytes(t).c_str(), f / t * 100);
}

int run_status(const StatusOptions& options, Context& context) {
  auto index = open_index(context);
  UtcTime now = SystemClock{}.now();
  auto daemon = daemon_state(context, index, now);
  auto known_cameras = must(index.cameras(), "reading the index");

  Json cameras = Json::array();
  if (daemon.running) {
    // The daemon's own list: it is what it records now, whatever this copy of the config says.
    for (const auto& live : daemon.typed.cameras) {
      if (live.camera.empty()) continue;
      auto name = live.name.empty() ? live.camera : live.name;
      cameras.push_back(camera_json(live.camera, name, live.enabled, known_of(index, known_cameras, live.camera, now),
                                    daemon, &live, context.zone));
    }
  } else {
    for (const auto& c : context.config.cameras) {
      cameras.push_back(camera_json(c.id, c.name, c.enabled, known_of(index, known_cameras, c.id, now), daemon,
                                    nullptr, context.zone));
    }
  }
  Json disk = disk_json(context, daemon);
  Json open_alerts = alerts_json(index, context.zone);
  Json forecast = forecast_json(context, daemon, index, now);
  Json disk_health = disk_health_json(context, daemon, now);

  if (options.json) {
    Json out{{"daemon",
              {{"running", daemon.running},
               {"pid", daemon.running ? Json(*daemon.pid) : Json(nullptr)},
               {"updated", local_or_null(daemon.updated, context.zone)},
               {"last_seen", local_or_null(daemon.last_seen, context.zone)},
               {"daemon_run", daemon.running ? Json(daemon.typed.daemon_run)
                                             : daemon.last_run ? Json(daemon.last_run->id) : Json(nullptr)},
               {"stop_reason", !daemon.running && daemon.last_run && daemon.last_run->stop_reason
                                   ? Json(*daemon.last_run->stop_reason)
                                   : Json(nullptr)}}},
             {"index", {{"path", context.config.site.database.string()}, {"read_only", true}}},
             {"cameras", std::move(cameras)},
             {"disk", disk.is_object() ? disk : Json(nullptr)},
             {"forecast_care_days", forecast},
             {"disk_health", disk_health},
             {"alerts", open_alerts},
             {"web", web_json(daemon)}};
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }

  std::printf("%s\n", daemon_line(daemon, context.zone).c_str());
  if (!daemon.running) {
    std::printf("What the index knows (%s, opened read-only):\n", context.config.site.database.c_str());
  }
  std::printf("\n");
  for (const auto& camera : cameras) print_camera(camera, daemon.running);
  if (cameras.empty()) std::printf("no cameras\n");
  std::printf("\n");
  print_disk(disk);
  if (daemon.running) std::printf("index: %s (opened read-only)\n", context.config.site.database.c_str());
  print_disk_health(disk_health, context.zone);
  if (daemon.running && daemon.typed.web) {
    const auto& web = *daemon.typed.web;
    std::printf("web console: %s://%s (port %u)%s\n", web.https ? "https" : "http", web.listen.c_str(),
                static_cast<unsigned>(web.port),
                web.fingerprint_sha256.empty() ? "" : ("; certificate SHA-256 " + web.fingerprint_sha256).c_str());
  }
  if (forecast.is_number()) {
    std::printf("capacity: about %.0f days of care footage at the current rate (%d required)\n",
                std::floor(forecast.get<double>()), context.config.retention.care_days);
  }
  if (open_alerts.empty()) {
    std::printf("alerts: none open\n");
  } else {
    std::printf("\n%zu open alert%s (carekeep alerts):\n", open_alerts.size(), open_alerts.size() == 1 ? "" : "s");
    for (const auto& a : open_alerts) {
      std::printf("  #%lld %s %s: %s\n", static_cast<long long>(a["id"].get<std::int64_t>()),
                  a["severity"].get<std::string>().c_str(), a["kind"].get<std::string>().c_str(),
                  text::printable(a["message"].get<std::string>()).c_str());
    }
  }
  return kExitOk;
}

}  // namespace

Command add_status(CLI::App& parent) {
  auto options = std::make_shared<StatusOptions>();
  CLI::App* app = parent.add_subcommand(
      "status", "whether carekeepd is running, each camera up or down (and why), newest footage, disk space");
  app->add_flag("--json", options->json,
                "one JSON object {daemon: {running, pid, updated, ...}, index, cameras: [{camera, name, up, since, "
                "cause, reason, bitrate_bps, fps, reconnects, last_segment: {path, start, end} | null, ...}], "
                "disk: {total_bytes, free_bytes} | null, forecast_care_days: number | null, disk_health: {checked_us, "
                "stale, source, reason, disks: [{device, model, serial, verdict, reason, temperature_c, findings}]} "
                "| null, alerts: [{id, kind, "
                "subject, severity, message, raised, acknowledged, acknowledged_by}], web: {listen, port, https, "
                "fingerprint_sha256} | null}; more keys may be added");
  return Command{app, [options](Context& context) { return run_status(*options, context); }};
}

}  // namespace carekeep::cli
