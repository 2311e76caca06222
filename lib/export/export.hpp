// export: a signed evidence export (PRODUCT.md §6, issue #6). For each camera one MP4
// remuxed from its segments (export/remux; one more per change of codec or parameters
// inside the range), manifest.json describing the request, the footage actually exported,
// gaps, clock steps, every source segment with its hash, chain position and output file,
// and every output file's SHA-256, manifest.sig (Ed25519 by the box key) and README.txt. Built in a hidden folder next to the output and renamed into place, so
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

#include "base/destination.hpp"
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
// 2: a camera lists "files" (one or more, each with its range, codec and hash) instead of
// one "file", and every source segment names the file it went into.
inline constexpr std::string_view kManifestFormat = "carekeep-export/2";

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

// One MP4 of a camera: footage with the same codec and parameters throughout.
struct OutputFile {
  std::string name;               // "<camera>.mp4", then "<camera>.part2.mp4", ... (remux.hpp)
  UtcTime actual_from;
  UtcTime actual_to;
  std::string video_codec;        // "h264" | "hevc"
  int width = 0;
  int height = 0;
  std::optional<std::string> audio_codec;
  std::int64_t frames = 0;        // video frames in the file
  std::int64_t segments = 0;      // source segments copied into it
  std::uint64_t size_bytes = 0;
  std::string sha256;             // hex
};

struct CameraOutcome {
  std::string id;
  // In time order; empty when the camera had no footage, more than one when the codec or
  // its parameters changed inside the range (an MP4 track cannot change them).
  std::vector<OutputFile> files;
  std::optional<UtcTime> actual_from;  // of the first file
  std::optional<UtcTime> actual_to;    // of the last file
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

// The export is built through `dest` (a NewFolder at request.out): here, or by the user's own
// carekeep when carekeepd runs the export for them; build folders of killed earlier exports
// beside it are removed on the way (dest.leftovers()). Errors: InvalidArgument (from not before to), FailedPrecondition (the output folder
// exists and is not empty), NotFound (no footage of any requested camera in the range),
// DataLoss (a source segment differs from its index row: run carekeep verify),
// ResourceExhausted (disk full), Cancelled (`cancel` was set). On any error `dest` is
// aborted and the hold released; nothing is left at `out`.
// `index` must be a writer (hold, access log is the caller's).
Result<ExportOutcome> run_export(index::Index& index, const std::filesystem::path& storage,
                                 const signing::KeyPair& key, const ExportRequest& request, fs::Destination& dest,
                                 const std::function<void(const Progress&)>& progress,
                                 const std::atomic<bool>* cancel);

// README.txt: what the export holds (every camera's files with their range and codec) and
// how to verify it. The signature covers manifest.json's bytes exactly as written.
std::string readme_text(const std::string& fingerprint, const std::vector<CameraOutcome>& cameras, const TimeZone& zone);

}  // namespace carekeep::exports
