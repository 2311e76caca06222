// retention/smart: the SMART health of the disks holding the storage (PRODUCT.md §4, disk
// health; docs/retention.md, Retention / Disk health). Reads the JSON `smartctl --json` prints
// for one device into plain findings, keeps the state file the root helper carekeep-smart
// writes beside the index (smart.json) and the daemon reads, and decides which concerns an
// operator must hear about. Pure apart from read_state (one small file); any thread. It runs
// no program (smart_probe.hpp does) and raises no alert (the daemon maps concerns to alerts).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>  // the full header only where JSON is built (~3.5 s per file)

#include "base/error.hpp"
#include "base/time.hpp"

namespace carekeep::health {

enum class SmartVerdict {
  Healthy,      // SMART data read, nothing wrong
  Warning,      // early signs: reallocated or pending sectors, media errors, wear, a past failure
  Failing,      // the disk says so itself: self-assessment FAILED, an attribute failing now,
                // an NVMe critical warning
  Unavailable,  // no SMART data: the disk offers none, or it could not be opened
};
// "healthy" | "warning" | "failing" | "unavailable" (stable: smart.json, status.json).
std::string_view to_string(SmartVerdict verdict);
std::optional<SmartVerdict> parse_verdict(std::string_view text);

struct SmartFinding {
  std::string attribute;  // "smart_status", "Reallocated_Sector_Ct", "critical_warning", "media_errors", ...
  std::string detail;     // plain words: what the value is and what it means
  bool failing = false;   // true: the disk reports a failure; false: worth watching
};

struct DiskHealth {
  std::string device;  // as given to smartctl: "/dev/sda", "/dev/nvme0n1"
  std::string model;
  std::string serial;
  std::string protocol;  // smartctl's device.protocol: "ATA", "NVMe", "SCSI"; "" when unknown
  SmartVerdict verdict = SmartVerdict::Unavailable;
  std::vector<SmartFinding> findings;  // Warning and Failing: at least one
  std::string reason;                  // Unavailable: why, in smartctl's words when it gave some
  int exit_status = 0;                 // smartctl's exit status (a bit mask, smartctl(8))
  std::optional<int> temperature_c;
  std::optional<std::int64_t> power_on_hours;
};

// The health of `device` from what `smartctl --json -H -A -i DEVICE` printed (any of
// smartctl's JSON outputs: -a, -x, -H). InvalidArgument when `text` is not smartctl's JSON
// (the caller records that as Unavailable with the error's message).
Result<DiskHealth> parse_smartctl(std::string_view text, std::string_view device);

// carekeep-smart runs hourly (carekeep-smart.timer): a result older than three missed runs is stale.
inline constexpr Micros kSmartStaleAfter = std::chrono::hours(3);

// smart.json: one probe of every whole disk under the storage's file system.
struct SmartState {
  UtcTime checked;                    // when the probe ran
  std::string storage;                // the directory whose disks were read
  std::string source;                 // its file system's device: "/dev/sda1", "/dev/mapper/vg-media", "tmpfs"
  std::vector<DiskHealth> disks;      // one per whole disk (two for a mirror); empty when none was found
  std::string reason;                 // why no disk could be read at all; "" otherwise
  // The last probe (this one or an earlier one) at which some disk gave SMART data: carried
  // from file to file, so "it was readable before" survives daemon restarts and reboots.
  std::optional<UtcTime> last_available;

  bool available() const;  // some disk gave SMART data in this probe
};

std::string to_json_text(const SmartState& state);
// InvalidArgument when `text` is not a smart.json (version 1).
Result<SmartState> parse_state(std::string_view text);
// nullopt when the file does not exist (no probe has run); errors when it cannot be read or parsed.
Result<std::optional<SmartState>> read_state(const std::filesystem::path& path);
// The "disk_health" object of status.json and `carekeep status --json`: {checked_us, stale,
// source, reason, disks: [{device, model, serial, protocol, verdict, reason, exit_status,
// temperature_c, power_on_hours, findings: [{attribute, detail, failing}]}]}.
nlohmann::json status_json(const SmartState& state, UtcTime now, Micros stale_after);
// Where the probe writes it and the daemon reads it: beside the index, like status.json.
std::filesystem::path state_path(const std::filesystem::path& database);

// What an operator must hear about. Failing and Warning are per disk (subject = device);
// Unavailable is about the storage as a whole (subject "").
struct SmartConcern {
  enum class Kind { Failing, Warning, Unavailable } kind;
  std::string subject;
  std::string message;  // plain words: which disk, which attribute, what to do
};

struct SmartAssessmentInput {
  const SmartState* state = nullptr;  // the newest smart.json read, or null when there is none
  UtcTime now;
  // SMART data was seen before (in this run of the daemon, or state->last_available): only
  // then do missing or stale data deserve an alert; a disk that never offered SMART (a VM's
  // virtio disk, a USB bridge) is not a problem to report again and again.
  bool seen_available = false;
  Micros stale_after = kSmartStaleAfter;
  const TimeZone* zone = nullptr;              // times in messages; UTC when null
};

std::vector<SmartConcern> assess(const SmartAssessmentInput& input);

}  // namespace carekeep::health
