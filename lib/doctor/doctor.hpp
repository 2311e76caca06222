// doctor: the checks behind `carekeep doctor` (issue #8): is this box fit to be left alone?
// Each check reads the real system (mount table, statvfs, adjtimex, file modes, status.json,
// the cameras over RTSP) and returns a verdict with plain-words advice. Runs on the CLI's
// thread; probe_cameras() blocks for about `probe` seconds (cameras are probed in parallel).
// Changes nothing on the box and never prints camera credentials.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/mounts.hpp"
#include "base/time.hpp"
#include "config/config.hpp"
#include "ingest/tls.hpp"
#include "health/smart.hpp"

namespace carekeep::doctor {

enum class Verdict { Pass, Warn, Fail, Skip };
std::string_view to_string(Verdict verdict);

struct Check {
  std::string name;     // stable id: "storage", "capacity", "camera", "clock", ...
  std::string subject;  // what was checked: a path, a camera id; may be empty
  Verdict verdict = Verdict::Pass;
  std::string finding;  // what was seen, in plain words
  std::string advice;   // what to do about it; empty when nothing is needed
};

// Fit to be left alone: no check failed (warnings are allowed).
bool fit(const std::vector<Check>& checks);

// --- storage -------------------------------------------------------------------------------
// The mount table's parser lives in base (the daemon tells its sandbox from a read-only disk
// with it too, retention/storage.hpp).
using mounts::Mount;
using mounts::find_mount;
using mounts::mount_of;

struct Space {
  std::uint64_t total_bytes = 0;
  std::uint64_t free_bytes = 0;  // what an unprivileged writer may still use (f_bavail)
};
std::optional<Space> space_of(const std::filesystem::path& path);

// Storage on a real disk (not tmpfs/ramfs, not the root file system of an SD card), present,
// with room beyond the configured free-space reserve.
Check check_storage(const config::Config& config, const std::optional<Mount>& mount, const std::optional<Space>& space);

// --- sandbox (issue 14) ----------------------------------------------------------------------
// carekeepd.service has ProtectSystem=strict: it may write only under ReadWritePaths= (and
// its StateDirectory=). Storage elsewhere needs one drop-in, which doctor prints and
// --fix-storage writes.
inline constexpr std::string_view kUnitName = "carekeepd.service";
inline constexpr std::string_view kStorageDropIn = "/etc/systemd/system/carekeepd.service.d/storage.conf";

struct UnitSandbox {
  std::vector<std::filesystem::path> files;       // the unit file, then its drop-ins, as applied
  bool strict = false;                            // ProtectSystem=strict
  std::vector<std::filesystem::path> writable;    // ReadWritePaths= and /var/lib/<StateDirectory=>
  std::vector<std::filesystem::path> mounts_for;  // RequiresMountsFor=
};
// Applies one unit file's or drop-in's text, as systemd does: later assignments add to the
// lists, an empty one ("ReadWritePaths=") empties it; "-" and "+" prefixes are dropped. Pure.
void apply_unit_text(UnitSandbox& sandbox, std::string_view text);
// Reads carekeepd.service and its drop-ins from systemd's system unit directories under
// `root` ("/" on a box; a test's tree otherwise): /etc, /run, /usr/local/lib, /usr/lib, /lib
// in that order of precedence, drop-ins sorted by file name with a name in an earlier
// directory hiding the same name in a later one. nullopt when the unit is not installed.
std::optional<UnitSandbox> read_unit_sandbox(const std::filesystem::path& root);

// The drop-in that makes `storage` writable for carekeepd and orders it after its mount.
std::string storage_drop_in(const std::filesystem::path& storage);

// Pass when the storage is writable under the unit's sandbox (Warn when it is on a mount of
// its own that the unit does not wait for: RequiresMountsFor=), Fail with the exact drop-in
// when it is not, Skip when the unit is not installed.
Check check_sandbox(const config::Config& config, const std::optional<UnitSandbox>& sandbox,
                    const std::optional<Mount>& mount);

// --fix-storage, as root: creates the storage directory if missing (owned by `owner`, the
// daemon's user, when that user exists) and writes storage_drop_in() to `root`/kStorageDropIn
// atomically, mode 0644. Returns the file written. Does not reload systemd.
Result<std::filesystem::path> write_storage_drop_in(const std::filesystem::path& root,
                                                    const std::filesystem::path& storage, std::string_view owner);

// --- capacity ------------------------------------------------------------------------------
// Average seconds of care per day from the weekly hours (exceptions left out).
double care_seconds_per_day(const config::CareHours& hours);
struct CapacityInput {
  double bitrate_bps = 0;           // all enabled cameras together, as measured
  std::uint64_t total_bytes = 0;    // the storage file system
  std::uint64_t free_bytes = 0;
  std::uint64_t footage_bytes = 0;  // footage already on it (the index's sum; 0 if unknown)
  int cameras_measured = 0;
  int cameras_enabled = 0;
};
struct Capacity {
  double usable_bytes = 0;    // what footage may occupy: disk less reserve, other data, max_bytes
  double needed_bytes = 0;    // care_days of care-hours footage + other_days of the rest
  double days_of_care = 0;    // care_days the disk can hold at this rate
};
Capacity forecast(const config::Config& config, const CapacityInput& input);
Check check_capacity(const config::Config& config, const CapacityInput& input);

// --- cameras -------------------------------------------------------------------------------
struct Probe {
  std::string camera;
  bool connected = false;
  std::string cause;   // ingest's DownCause name when not connected
  std::string reason;  // plain words for it
  std::string codec;   // "h264", "hevc"
  int width = 0;
  int height = 0;
  double seconds = 0;  // how long packets were read
  std::uint64_t bytes = 0;
  std::uint64_t frames = 0;
  std::vector<double> keyframe_gaps;  // seconds between successive key frames seen
  double bitrate_bps() const { return seconds > 0 ? static_cast<double>(bytes) * 8 / seconds : 0; }
  // Frames after the first over the time since it arrived.
  double fps() const { return seconds > 0 && frames > 1 ? static_cast<double>(frames - 1) / seconds : 0; }
};
// Connects to every enabled camera at once and reads for `duration` (at least two key frames
// are needed to measure their interval). Blocks about duration + connect time.
std::vector<Probe> probe_cameras(const config::Config& config, std::chrono::milliseconds duration);
// Reachable, credentials accepted, H.264/H.265, key frames at a sane interval.
Check check_camera(const config::Camera& camera, const Probe& probe);
// Warn while the camera may log in with Basic over plain rtsp:// or unverified rtsps://
// (allow_basic_auth): anyone on the LAN can read its password. Pass otherwise.
Check check_camera_auth(const config::Camera& camera);

// rtsps:// cameras: the certificate the camera presents (its fingerprint, to pin) and whether
// the camera's tls_ca_file / tls_fingerprint / tls_verify trust it, as recording will.
struct TlsSeen {
  std::optional<ingest::tls::Inspection> inspection;
  std::string error;  // why nothing was seen (unreachable, not TLS); redacted
};
// One TLS handshake, no RTSP request, no credentials; blocks up to `timeout`.
TlsSeen inspect_camera_tls(const config::Camera& camera, std::chrono::milliseconds timeout);
// "camera_tls": Warn for tls_verify = false (with the fingerprint to pin), Fail for a
// certificate the settings refuse (with the line to add when it is self-signed), Pass with
// the fingerprint otherwise, Skip when the camera could not be reached.
Check check_camera_tls(const config::Camera& camera, const TlsSeen& seen);
bool uses_tls(const config::Camera& camera);

// --- clock ---------------------------------------------------------------------------------
struct ClockState {
  std::optional<bool> synchronized;     // kernel NTP state (adjtimex); nullopt = unreadable
  std::optional<std::string> system_zone;  // /etc/localtime's zone name, or $TZ
};
ClockState read_clock();
Check check_clock(const ClockState& state);
Check check_timezone(const config::Config& config, const ClockState& state);

// --- permissions ---------------------------------------------------------------------------
// The state directory (the database's), the database and status.json: owned by `daemon_user`
// when it exists on this box, and closed to other users; the config file (camera passwords)
// not world-readable.
std::vector<Check> check_permissions(const config::Config& config, const std::filesystem::path& config_path,
                                     std::string_view daemon_user);

// --- disk health ----------------------------------------------------------------------------
// The SMART health of the storage's disks (retention/smart_probe: doctor runs as root and
// probes them itself; otherwise it reads carekeep-smart's smart.json). One check per disk,
// "disk_health": Fail for a disk failing by its own SMART data, Warn for early signs, for
// SMART that cannot be read (a VM's disk, a USB adapter, smartctl missing) and for a result
// older than `stale_after`; Pass for a healthy disk.
std::vector<Check> check_disk_health(const health::SmartState& state, UtcTime now, Micros stale_after);

// --- daemon --------------------------------------------------------------------------------
// status.json beside the database: written by a live carekeepd within the last `max_age`,
// and every enabled camera recording.
Check check_daemon(const config::Config& config, UtcTime now, std::chrono::seconds max_age);

// The control socket ([access] socket) of the running daemon: it answers, other users can
// reach it (every folder above it searchable by others, the socket writable by them), and the
// inspector and operator groups exist, so that somebody but root can inspect the box.
std::vector<Check> check_control(const config::Config& config);

// --- floor plan (issue 18) -------------------------------------------------------------------
// With a [floorplan]: one check per finding of floorplan::findings (a zone below
// min_area_percent, a child room in no zone, a zone with no camera on the plan), all Fail; one
// Pass naming each zone's seen share when there is none; Skip without a plan. `widths` are the
// probed picture widths by camera (for the default range rule); cameras not in it use the plan's
// default_width_px. In plan.cpp: Boost.Geometry stays out of the other checks' compile.
std::vector<Check> check_floorplan(const config::Config& config, const std::map<std::string, int, std::less<>>& widths);

// --- the box key ---------------------------------------------------------------------------
// "signing_key": the key's fingerprint, to be registered with the health commission when the
// point registers (issue 15), and whether it is pinned in `pin_file`. `fingerprint`: of the key
// beside the data (nullopt: none yet, the daemon creates it at its first start); `pinned`: what
// `pin_file` says (nullopt: no pin). Fail when the pin names another key (it was replaced),
// Warn when there is no key or no pin, Pass otherwise.
Check check_signing_key(const std::optional<std::string>& fingerprint, const std::optional<std::string>& pinned,
                        const std::string& pin_file);

}  // namespace carekeep::doctor
