// export: a signed evidence export (PRODUCT.md §6, issue #6). For each camera one MP4
// remuxed from its segments (export/remux), manifest.json describing the request, the
// footage actually exported, gaps, clock steps, every source segment with its hash and
// chain position and every output file's SHA-256, manifest.sig (Ed25519 by the box key)
// and README.txt. Built in a hidden folder next to the output and renamed into place, so
// an interrupted or failed export leaves nothing that looks complete. The footage is held
// (an index hold) while it is read. Blocking; runs on the caller's thread (the CLI).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "export/actor.hpp"
#include "index/index.hpp"
#include "signing/signing.hpp"

namespace carekeep::exports {

inline constexpr std::string_view kManifestFile = "manifest.json";
inline constexpr std::string_view kSignatureFile = "manifest.sig";
inline constexpr std::string_view kReadmeFile = "README.txt";
inline constexpr std::string_view kPublicKeyFile = "public_key.pem";
inline constexpr std::string_view kManifestFormat = "carekeep-export/1";

struct ExportCamera {
  std::string id;
  std::string name;
};

struct ExportRequest {
  std::optional<std::string> camera_id;  // exactly one of camera_id and zone_id, as asked
  std::optional<std::string> zone_id;
  std::vector<ExportCamera> cameras;     // resolved: the camera, or the zone's cameras
  std::vector<std::string> gap_zones;    // zones whose zone_gap rows the manifest lists
  UtcTime from;
  UtcTime to;
  std::filesystem::path out;
  bool timestamps = false;
  std::string site_name;
  TimeZone zone = TimeZone::utc();
  std::string version;
  Actor actor;
};

struct Progress {
  std::string camera;
  std::uint64_t bytes_done = 0;   // source bytes read so far (all cameras)
  std::uint64_t bytes_total = 0;  // source bytes to read (all cameras)
};

struct CameraOutcome {
  std::string id;
  std::string file;               // "<camera>.mp4", or "" when the camera had no footage
  std::optional<UtcTime> actual_from;
  std::optional<UtcTime> actual_to;
  std::int64_t segments = 0;
  std::uint64_t size_bytes = 0;
};

struct ExportOutcome {
  std::filesystem::path out;
  std::vector<CameraOutcome> cameras;
  std::string manifest_sha256;
  std::uint64_t source_bytes = 0;
  std::uint64_t output_bytes = 0;
};

// Errors: InvalidArgument (from not before to), FailedPrecondition (the output folder
// exists and is not empty), NotFound (no footage of any requested camera in the range),
// DataLoss (a source segment differs from its index row: run carekeep verify),
// ResourceExhausted (disk full), Cancelled (`cancel` was set). On any error the temporary
// folder is removed and the hold released; nothing is left at `out`.
// `index` must be a writer (hold, access log is the caller's).
Result<ExportOutcome> run_export(index::Index& index, const std::filesystem::path& storage,
                                 const signing::KeyPair& key, const ExportRequest& request,
                                 const std::function<void(const Progress&)>& progress,
                                 const std::atomic<bool>* cancel);

// The canonical text the signature covers is manifest.json's bytes exactly as written.
std::string readme_text(const std::string& fingerprint);

}  // namespace carekeep::exports
