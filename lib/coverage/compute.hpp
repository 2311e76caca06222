// coverage/compute: the coverage checker over the index. Loads the evidence of each zone's
// cameras for a range, runs the pure core (gaps.hpp) and optionally stores the result in
// zone_gap, replacing what an earlier computation stored for that range. Called by the CLI
// (reader; store = false) and the daemon's loop thread (writer). Blocks on SQLite reads; a
// range longer than 2 days is read on up to 4 read-only connections to the same file, on
// threads of its own that end before the call returns (compute.cpp, kParallelFrom).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "care/calendar.hpp"
#include "care/in_force.hpp"
#include "config/config.hpp"
#include "coverage/gaps.hpp"
#include "index/index.hpp"

namespace carekeep::coverage {

// What the index knows over [range.from, min(range.to, now)) about the site and about each
// camera of the selected zones: each camera is read once, however many zones share it.
struct RangeEvidence {
  index::TimeRange range;  // already clipped to now
  UtcTime now;
  SiteEvidence site;
  std::map<std::string, CameraEvidence, std::less<>> cameras;  // by camera id
};
// The reads of compute_gaps (the whole SQLite part of it). NotFound for an unknown zone id.
Result<RangeEvidence> load_evidence(index::Index& index, const config::Config& config, index::TimeRange range,
                                    std::optional<std::string_view> zone, UtcTime now);
// The gaps of every zone (or of `zone`) from evidence loaded for it, sorted by zone, start:
// the pure part of compute_gaps.
Result<std::vector<Gap>> find_gaps(const RangeEvidence& evidence, const config::Config& config,
                                   const care::CareCalendar& calendar, std::optional<std::string_view> zone);

// The same over a history of configurations (care/in_force.hpp): each instant is judged by
// the care hours, zones and tolerance in force then, so a zone removed or a day marked closed
// afterwards keeps its past gaps. `zone` may be a zone only an older version had; the cameras
// read are those of every version in force over the range. A gap is cut where the
// configuration changes (each side is judged by its own version).
Result<RangeEvidence> load_evidence(index::Index& index, std::span<const care::ConfigSpan> spans,
                                    index::TimeRange range, std::optional<std::string_view> zone, UtcTime now);
Result<std::vector<Gap>> find_gaps(const RangeEvidence& evidence, std::span<const care::ConfigSpan> spans,
                                   std::optional<std::string_view> zone);
Result<std::vector<Gap>> compute_gaps(index::Index& index, std::span<const care::ConfigSpan> spans,
                                      index::TimeRange range, std::optional<std::string_view> zone, bool store,
                                      std::optional<UtcTime> now = std::nullopt);

// Recomputes the gaps of every zone (or of `zone`) over [range.from, min(range.to, now)) and
// returns them sorted by zone, start. With `store`, replaces the zone_gap rows overlapping that
// range: parts of older gaps outside it are kept, and a gap that continues across the range's
// edge with the same cause is stored as one row. NotFound for an unknown zone id.
Result<std::vector<Gap>> compute_gaps(index::Index& index, const config::Config& config,
                                      const care::CareCalendar& calendar, index::TimeRange range,
                                      std::optional<std::string_view> zone, bool store,
                                      std::optional<UtcTime> now = std::nullopt);

// Care time and covered care time of each zone on each local date that [range.from, range.to)
// touches (only the part inside the range and before now counts). covered = care minus gaps.
struct ZoneDay {
  std::string zone_id;
  std::string local_date;  // "2026-11-20" in the site's zone
  std::chrono::seconds care{0};
  std::chrono::seconds covered{0};
};
Result<std::vector<ZoneDay>> coverage_by_day(index::Index& index, const config::Config& config,
                                             const care::CareCalendar& calendar, index::TimeRange range,
                                             std::optional<std::string_view> zone, bool store,
                                             std::optional<UtcTime> now = std::nullopt);

// Whether each zone is covered at `now` as far as the index shows, and by which cameras. A
// camera counts as covering when its timeline is usable at now (allowing the index's commit
// lag of up to the gap tolerance). Cameras in zone order.
struct CameraNow {
  std::string camera_id;
  bool covering = false;
  std::optional<Reason> reason;  // why not, when not covering
};
struct ZoneNow {
  std::string zone_id;
  bool covered = false;
  std::vector<CameraNow> cameras;
};
Result<std::vector<ZoneNow>> zones_now(index::Index& index, const config::Config& config, UtcTime now);

}  // namespace carekeep::coverage
