// carekeep export: a signed evidence export of one camera or one zone over a time range
// (PRODUCT.md §6, issue #6; lib/export does the work). This file parses and checks the
// request (each kind of bad input has its own exit code, evidence.hpp), turns SIGINT and
// SIGTERM into a cancellation, shows progress and records the export in the access log.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>

#include "base/text.hpp"
#include "command.hpp"
#include "evidence.hpp"
#include "export/export.hpp"
#include "base/leftover.hpp"
#include "inspect.hpp"
#include "progress.hpp"

namespace carekeep::cli {
namespace {

struct ExportOptions {
  std::string camera;
  std::string zone;
  std::string from;
  std::string to;
  std::string out;
  bool timestamps = false;
  bool json = false;
};

std::atomic<bool> g_cancel{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void on_cancel_signal(int) { g_cancel.store(true); }

// Restores the previous handlers when the command ends.
class CancelOnSignal {
 public:
  CancelOnSignal() {
    struct sigaction sa {};
    sa.sa_handler = on_cancel_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
  }
  ~CancelOnSignal() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  CancelOnSignal(const CancelOnSignal&) = delete;
  CancelOnSignal& operator=(const CancelOnSignal&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

[[noreturn]] void bad_input(int code, const std::string& message) {
  std::fprintf(stderr, "carekeep: %s\n", message.c_str());
  std::fflush(stderr);
  std::exit(code);
}

std::string unknown(std::string_view kind, std::string_view wrong, const std::vector<std::string>& ids) {
  std::string message = "unknown " + std::string(kind) + " \"" + std::string(wrong) + "\"";
  if (auto suggestion = text::closest(wrong, ids)) return message + "; did you mean \"" + *suggestion + "\"?";
  if (ids.empty()) return message + "; none is configured";
  message += "; configured:";
  for (std::size_t i = 0; i < ids.size(); ++i) message += (i == 0 ? " " : ", ") + ids[i];
  return message;
}

// One line per build folder a killed export left next to the output (and removed now).
void report_leftovers(const std::vector<fs::Leftover>& leftovers, bool json) {
  for (const auto& l : leftovers) {
    if (l.removed)
      std::fprintf(stderr, "carekeep: removed %s, left by an interrupted export (%s)\n", l.path.c_str(), l.why.c_str());
    else
      std::fprintf(stderr, "carekeep: could not remove %s, left by an interrupted export (%s): %s\n", l.path.c_str(),
                   l.why.c_str(), l.error.c_str());
    if (json)
      std::printf("%s\n", Json{{"event", "leftover"},
                               {"path", l.path.string()},
                               {"why", l.why},
                               {"removed", l.removed},
                               {"error", l.removed ? Json(nullptr) : Json(l.error)}}
                              .dump()
                              .c_str());
  }
  std::fflush(stdout);
}

Json file_json(const exports::OutputFile& f, const TimeZone& zone) {
  return {{"file", f.name},
          {"actual_from", format_local_iso(f.actual_from, zone)},
          {"actual_to", format_local_iso(f.actual_to, zone)},
          {"video_codec", f.video_codec},
          {"width", f.width},
          {"height", f.height},
          {"frames", f.frames},
          {"segments", f.segments},
          {"size_bytes", f.size_bytes},
          {"sha256", f.sha256}};
}

int run_export_command(const ExportOptions& o, Context& context) {
  if (o.camera.empty() == o.zone.empty()) throw UsageError("export needs exactly one of --camera and --zone");
  auto from = parse_cli_time(o.from, context.zone, DateBoundary::StartOfDay);
  if (!from) throw UsageError("--from: " + from.error().message);
  auto to = parse_cli_time(o.to, context.zone, DateBoundary::EndOfDay);
  if (!to) throw UsageError("--to: " + to.error().message);
  if (*from >= *to)
    bad_input(kExitBadRange, "--from (" + format_local_iso(*from, context.zone) + ") must be before --to (" +
                                 format_local_iso(*to, context.zone) + ")");

  const auto& config = context.config;
  exports::ExportRequest request;
  if (!o.camera.empty()) {
    std::vector<std::string> ids;
    for (const auto& c : config.cameras) ids.push_back(c.id);
    const auto* camera = config.find_camera(o.camera);
    if (camera == nullptr) bad_input(kExitUnknownTarget, unknown("camera", o.camera, ids));
    request.camera_id = camera->id;
    request.cameras.push_back({camera->id, camera->name});
    for (const auto& z : config.zones) {
      if (std::find(z.cameras.begin(), z.cameras.end(), camera->id) != z.cameras.end()) request.gap_zones.push_back(z.id);
    }
  } else {
    std::vector<std::string> ids;
    for (const auto& z : config.zones) ids.push_back(z.id);
    const auto* zone = config.find_zone(o.zone);
    if (zone == nullptr) bad_input(kExitUnknownTarget, unknown("zone", o.zone, ids));
    request.zone_id = zone->id;
    request.gap_zones.push_back(zone->id);
    for (const auto& id : zone->cameras) {
      const auto* camera = config.find_camera(id);
      request.cameras.push_back({id, camera != nullptr ? camera->name : id});
    }
  }
  request.from = *from;
  request.to = *to;
  request.out = user_path(context, o.out);
  if (request.out.filename().empty()) request.out = request.out.parent_path();
  request.timestamps = o.timestamps;
  request.site_name = config.site.name;
  request.zone = context.zone;
  request.version = CAREKEEP_VERSION;
  request.actor = acting_user(context);

  Json arguments{{"camera", o.camera.empty() ? Json(nullptr) : Json(o.camera)},
                 {"zone", o.zone.empty() ? Json(nullptr) : Json(o.zone)},
                 {"from", format_local_iso(*from, context.zone)},
                 {"to", format_local_iso(*to, context.zone)},
                 {"out", request.out.string()},
                 {"timestamps", o.timestamps}};
  auto index = open_writer(context, "exporting (it holds the footage and records the export)");
  auto key = load_key(context);

  CancelOnSignal signals;
  g_cancel.store(false);
  ProgressBar bar("export", o.json);
  auto dest = make_destination(context);
  auto outcome = exports::run_export(
      index, config.site.storage, key, request, *dest,
      [&](const exports::Progress& p) { bar.update(p.bytes_done, p.bytes_total, p.camera); }, &g_cancel);
  bar.finish();
  report_leftovers(dest->leftovers(), o.json);
  if (!outcome) {
    const auto& e = outcome.error();
    // The user's carekeep refused a file outside its --out: the daemon's side misbehaved, and
    // that is recorded as the refusal it is (issue 14), not as an ordinary failed export.
    if (auto refused = broker_refusal(*dest)) record_peer_refusal(index, context, "export", *refused);
    else record(index, request.actor, "export", arguments.dump(), e.message);
    int code = kExitFailure;
    switch (e.kind) {
      case ErrorKind::InvalidArgument: code = kExitBadRange; break;
      case ErrorKind::NotFound: code = kExitNoFootage; break;
      case ErrorKind::FailedPrecondition: code = kExitOutputExists; break;
      case ErrorKind::ResourceExhausted: code = kExitDiskFull; break;
      case ErrorKind::DataLoss: code = kExitSourceAltered; break;
      case ErrorKind::Cancelled: code = kExitInterrupted; break;
      default: break;
    }
    std::string hint;
    if (code == kExitDiskFull) hint = "; nothing was written to " + request.out.string() + ", free space and retry";
    if (code == kExitInterrupted) hint = "; nothing was left at " + request.out.string();
    if (o.json) std::printf("%s\n", Json{{"event", "error"}, {"exit_code", code}, {"message", e.message}}.dump().c_str());
    std::fprintf(stderr, "carekeep: %s%s\n", e.message.c_str(), hint.c_str());
    return code;
  }
  arguments["manifest_sha256"] = outcome->manifest_sha256;
  record(index, request.actor, "export", arguments.dump(), "ok");
  if (o.json) {
    Json cams = Json::array();
    for (const auto& c : outcome->cameras) {
      Json files = Json::array();
      for (const auto& f : c.files) files.push_back(file_json(f, context.zone));
      cams.push_back({{"id", c.id},
                      {"files", std::move(files)},
                      {"actual_from", c.actual_from ? Json(format_local_iso(*c.actual_from, context.zone)) : Json(nullptr)},
                      {"actual_to", c.actual_to ? Json(format_local_iso(*c.actual_to, context.zone)) : Json(nullptr)},
                      {"segments", c.segments},
                      {"size_bytes", c.size_bytes}});
    }
    std::printf("%s\n", Json{{"event", "done"},
                             {"out", outcome->out.string()},
                             {"manifest_sha256", outcome->manifest_sha256},
                             {"cameras", cams}}
                            .dump()
                            .c_str());
    return kExitOk;
  }
  std::printf("exported to %s (manifest SHA-256 %s)\n", outcome->out.c_str(), outcome->manifest_sha256.c_str());
  for (const auto& c : outcome->cameras) {
    if (c.files.empty()) {
      std::printf("  %s: no footage in the range\n", c.id.c_str());
      continue;
    }
    for (const auto& f : c.files) {
      std::printf("  %s: %s, %s to %s, %s %dx%d, %lld segments, %s\n", c.id.c_str(), f.name.c_str(),
                  format_local_iso(f.actual_from, context.zone).c_str(),
                  format_local_iso(f.actual_to, context.zone).c_str(), f.video_codec.c_str(), f.width, f.height,
                  static_cast<long long>(f.segments), human_bytes(static_cast<double>(f.size_bytes)).c_str());
    }
    if (c.files.size() > 1)
      std::printf("  %s: its codec or picture settings changed inside the range, so its video is in %zu files\n",
                  c.id.c_str(), c.files.size());
  }
  std::printf("verify with: carekeep verify-export %s --pubkey <box public key>\n", outcome->out.c_str());
  return kExitOk;
}

}  // namespace

Command add_export(CLI::App& parent) {
  auto o = std::make_shared<ExportOptions>();
  CLI::App* app = parent.add_subcommand("export", "signed export of a camera or zone over a time range");
  auto* camera = app->add_option("--camera", o->camera, "camera id from the configuration");
  auto* zone = app->add_option("--zone", o->zone, "zone id from the configuration (all its cameras)");
  camera->excludes(zone);
  app->add_option("--from", o->from, "start: 2026-11-20T08:00 (site local time), with an offset, or a date")->required();
  app->add_option("--to", o->to, "end, excluded; a date alone includes that whole day")->required();
  app->add_option("--out", o->out, "output folder: must not exist or be empty")->required();
  app->add_flag("--timestamps", o->timestamps, "add a subtitle track showing the wall-clock time each second");
  app->add_flag("--json", o->json, "progress and result as JSON lines on stdout");
  app->footer(
      "Exit codes: 0 ok, 2 bad arguments, 3 failed, 10 --from not before --to, 11 unknown camera or zone, "
      "12 no footage in the range, 13 output folder not empty, 14 disk full, 15 source footage altered, "
      "130 interrupted.");
  Command command{app, [o](Context& context) { return run_export_command(*o, context); }};
  command.output_folder = [o] { return o->out; };
  return command;
}

}  // namespace carekeep::cli
