// history/history: the configuration's history (issue 15; docs/evidence.md, Configuration
// history). The daemon records every configuration it loads (record_load: a new version when
// the redacted text differs from the latest, an access-log entry always); `carekeep gaps`,
// the coverage store and reports ask which versions were in force over a range (in_force).
// Runs on the caller's index connection; blocks on SQLite.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "care/in_force.hpp"
#include "config/config.hpp"
#include "config/history.hpp"
#include "index/index.hpp"

namespace carekeep::history {

// Who made the daemon load a configuration.
struct Loader {
  index::ConfigLoadSource source = index::ConfigLoadSource::Start;
  std::optional<std::int64_t> uid; // start: the daemon's own; reload: the SIGHUP sender's
  std::string user;                // that uid's name; "unknown" when the sender is not known
  std::optional<std::int64_t> pid; // reload: the SIGHUP sender's process, when known
};

struct LoadOutcome {
  std::int64_t version = 0;        // the config_version in force after this load
  bool stored = false;             // false: same content as the latest version, none added
  Sha256 sha256{};                 // of the redacted text
  std::optional<config::ConfigChanges> changes;  // against the previous version; none for the first
};

// Records that the daemon now runs `loaded` (a validated configuration; its source_text is the
// file's bytes): stores config::redacted_for_history(source_text) as a new version unless the
// latest has the same hash, and appends one "config_load" row to the access log with the
// version, hash, source, whether it is new and what changed. One transaction (the caller's if
// it holds one).
Result<LoadOutcome> record_load(index::Index& index, const config::Config& loaded, const Loader& loader, UtcTime now);

// One stored version that started inside a range, with what it changed.
struct VersionChange {
  std::int64_t version = 0;
  UtcTime loaded;
  std::string source;              // start | reload
  std::optional<std::string> user;
  std::string sha256_hex;
  config::ConfigChanges changes;   // against the version before it
  bool first = false;              // the first stored version: nothing to compare with
};

struct InForce {
  std::vector<care::ConfigSpan> spans;  // sorted; the first governs everything before it too
  // Part of the range lies before the first stored version (or none is stored: an index older
  // than migration 0007, or a daemon not started since): that part is judged by `current`.
  bool current_file_used = false;
  std::optional<UtcTime> first_version;  // when the first stored version was loaded, if any
  std::vector<VersionChange> changes;   // versions loaded inside the range, in order
  std::vector<std::string> notes;       // a stored version that no longer parses, and why
};

// The ad-hoc care sessions (index care_session) whose care time meets `range`, as
// CareHours::adhoc wants them: [start, end), an open session until its limit.
Result<std::vector<config::CareHours::Adhoc>> adhoc_care(index::Index& index, index::TimeRange range);
// Sets config.care_hours.adhoc to adhoc_care(index, range): what the daemon and the CLI do
// after opening the index, so every calendar they build from the configuration counts them.
Status add_adhoc_care(index::Index& index, config::Config& config, index::TimeRange range);

// The versions in force over `range`, each parsed from its stored text; `current` (the file
// the caller loaded) stands in before the first one. Every span's care hours carry the ad-hoc
// sessions of the range (adhoc_care).
Result<InForce> in_force(index::Index& index, const config::Config& current, index::TimeRange range);

// The cameras of a zone by the version in force at an instant (the first span's before it), for
// judging a zone hold at the time of a deletion (`verify`, export/legal.hpp); nullopt when that
// version has no such zone.
std::function<std::optional<std::vector<std::string>>(std::string_view zone, UtcTime at)> zone_cameras_at(InForce versions);

}  // namespace carekeep::history
