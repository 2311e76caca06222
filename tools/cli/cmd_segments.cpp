// carekeep segments: the segment files of one camera overlapping a time range, as the index
// records them (every state, deleted tombstones included), so an inspector can see what footage
// exists, how big it is and which hash each file must have. Reads the index read-only.
#include <cstdio>
#include <memory>
#include <string>

#include "command.hpp"
#include "inspect.hpp"

namespace carekeep::cli {

namespace {

struct SegmentsOptions {
  std::string camera;
  std::string from;
  std::string to;
  bool json = false;
};

bool is_open(const index::SegmentRow& s) { return s.state == index::SegmentState::Open; }

Json json_segment(const index::SegmentRow& s, const TimeZone& zone) {
  bool open = is_open(s);
  return {{"camera", s.camera_id},
          {"start", format_local_iso(s.start, zone)},
          {"end", open ? Json(nullptr) : Json(format_local_iso(s.end, zone))},
          {"duration_s", open ? Json(nullptr) : Json(seconds(s.duration))},
          {"path", s.path},
          {"bytes", s.size_bytes},
          {"sha256", hex_or_null(s.sha256)},
          {"state", std::string(index::to_string(s.state))},
          {"state_detail", s.state_detail},
          {"frames", s.frames},
          {"keyframes", s.keyframes},
          {"codec", s.video_codec},
          {"width", s.width},
          {"height", s.height},
          {"audio_codec", s.audio_codec ? Json(*s.audio_codec) : Json(nullptr)},
          {"chain_sha256", hex_or_null(s.chain_sha256)},
          {"run_id", s.run_id},
          {"seq", s.seq},
          {"protect_until", local_or_null(s.protect_until, zone)},
          {"deleted", local_or_null(s.deleted, zone)},
          // Recorded while carekeepd did not trust the wall clock: start and end may be far off.
          {"suspect_clock", s.suspect_clock}};
}

int run_segments(const SegmentsOptions& options, Context& context) {
  auto range = parse_range(options.from, options.to, context.zone);
  auto index = open_index(context);
  auto cameras = must(index.cameras(), "reading the index");
  require_camera(options.camera, context, cameras);
  auto rows = must(index.segments(options.camera, range), "reading the index");

  if (options.json) {
    Json out = Json::array();
    for (const auto& s : rows) out.push_back(json_segment(s, context.zone));
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  if (rows.empty()) {
    std::printf("no segments of camera %s from %s to %s\n", options.camera.c_str(),
                format_local_iso(range.from, context.zone).c_str(), format_local_iso(range.to, context.zone).c_str());
    return kExitOk;
  }
  Table table({"START", "END", "DURATION", "SIZE", "FRAMES", "STATE", "PATH"},
              {false, false, true, true, true, false, false});
  Micros total{0};
  std::int64_t bytes = 0;
  for (const auto& s : rows) {
    bool open = is_open(s);
    std::string path = s.path;
    if (!s.state_detail.empty()) path += "  (" + s.state_detail + ")";
    if (s.suspect_clock) path += "  (recorded on an untrusted clock: times may be wrong)";
    table.add({format_local_iso(s.start, context.zone), open ? "(recording)" : format_local_iso(s.end, context.zone),
               open ? "-" : human_seconds(s.duration), human_bytes(static_cast<double>(s.size_bytes)),
               std::to_string(s.frames), std::string(index::to_string(s.state)), path});
    total += s.duration;
    bytes += s.size_bytes;
  }
  table.print();
  std::printf("%zu segment%s, %s, %s; paths are relative to %s\n", rows.size(), rows.size() == 1 ? "" : "s",
              human_seconds(total).c_str(), human_bytes(static_cast<double>(bytes)).c_str(),
              context.config.site.storage.c_str());
  return kExitOk;
}

}  // namespace

Command add_segments(CLI::App& parent) {
  auto options = std::make_shared<SegmentsOptions>();
  CLI::App* app = parent.add_subcommand(
      "segments", "segment files of one camera overlapping a time range, as the index records them");
  app->add_option("--camera", options->camera, "camera id from the configuration")->required();
  app->add_option("--from", options->from,
                  "start: 2026-11-20T08:00 (site local time), with an offset (+08:00, Z), or a date alone")
      ->required();
  app->add_option("--to", options->to, "end, excluded; a date alone includes that whole day")->required();
  app->add_flag("--json", options->json,
                "JSON array of {camera, start, end, path, bytes, sha256, state, ...}; times in ISO 8601 with "
                "offset; end, duration_s, sha256 and chain_sha256 are null while a segment is open");
  return Command{app, [options](Context& context) { return run_segments(*options, context); }};
}

}  // namespace carekeep::cli
