// status: what carekeepd says about itself every 5 s (status.json beside the index): cameras,
// zones covered now, storage, open alerts, the console's address. One struct and ONE
// to_json/from_json for its keys: the daemon writes it, /metrics, the web console, the CLI and
// doctor read it. Pure values; no threads, never blocks. Sections other modules own
// ("retention", "forecast", "disk_health", each camera's "content") are added to the JSON by
// their owners and pass through from_json untouched (they are not typed here).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "alerts/alerts.hpp"
#include "base/error.hpp"
#include "base/time.hpp"

namespace carekeep::status {

// What a camera's recorder reports while it exists (an enabled camera).
struct CameraLive {
  std::optional<UtcTime> since;      // when the camera went up or down; unset before the first change
  std::string cause;                 // ingest::to_string(DownCause) while down, empty while up
  std::string reason;                // ingest::describe(cause), plain words; empty while up
  std::string detail;                // the last error, URLs redacted
  std::string disk_fault;            // cause disk_error: to_string(DiskFault); empty otherwise
  std::int64_t bitrate_bps = 0;      // received bits per second over the last 5 s
  double fps = 0;                    // video frames per second over the last 5 s (one decimal)
  std::uint64_t bytes = 0;           // media bytes written since the daemon started
  std::uint64_t frames = 0;
  std::uint64_t reconnects = 0;
  std::string codec;                 // "h264", "hevc"; empty before the first connection
  int width = 0;
  int height = 0;
  std::string last_segment;          // relative to storage; empty before the first closed segment
};

struct Camera {
  std::string camera;  // id
  std::string name;
  bool enabled = true;
  bool up = false;
  std::optional<CameraLive> live;  // unset for a disabled camera (no recorder)
};

// A zone is covered now unless its zone_uncovered alert is open (the coverage task raises it
// within 5 s during care hours).
struct Zone {
  std::string zone;
  bool covered = true;
};

struct Disk {
  std::uint64_t total_bytes = 0;
  std::uint64_t free_bytes = 0;  // what an unprivileged writer may still use (f_bavail)
};

// [web] listen (issue 16): where the console answers, and the certificate a browser sees.
struct Web {
  std::string listen;               // as configured
  std::uint16_t port = 0;           // bound (listen may say 0)
  bool https = true;
  std::string fingerprint_sha256;   // of the certificate's DER, "AB:CD:..."; empty over plain HTTP
};

struct DaemonStatus {
  std::int64_t pid = 0;
  std::int64_t daemon_run = 0;
  UtcTime updated;
  bool running = false;
  std::vector<Camera> cameras;  // configuration order
  std::vector<Zone> zones;      // configuration order
  std::optional<Disk> disk;     // unset when statvfs on the storage failed
  std::optional<double> forecast_care_days;  // unset before there is a rate to forecast from
  std::vector<alerts::Alert> alerts;         // open, by id
  std::optional<Web> web;                    // unset while the console is off

  const Camera* find_camera(std::string_view id) const;
};

// Writes the typed keys into `out` (an object; other sections in it are kept). Times as local
// ISO 8601 in `zone` and as *_us microseconds.
void to_json(const DaemonStatus& status, const TimeZone& zone, nlohmann::json& out);
// The typed keys of a status object. InvalidArgument naming the key for a wrong type; a key
// a newer daemon added is ignored, a key an older one lacked takes its default.
Result<DaemonStatus> from_json(const nlohmann::json& in);
// status.json's text; InvalidArgument when it is not JSON.
Result<DaemonStatus> parse(std::string_view text);

// zones[] from the configured zone ids and the open alerts.
std::vector<Zone> zones_covered(const std::vector<std::string>& zone_ids, const std::vector<alerts::Alert>& open);

// status.json beside the index `database`.
std::filesystem::path status_path(const std::filesystem::path& database);

}  // namespace carekeep::status
