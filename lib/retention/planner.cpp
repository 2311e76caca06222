#include "retention/planner.hpp"

#include <algorithm>
#include <chrono>

#include "index/hold_range.hpp"

namespace carekeep::retention {
namespace {

// Disjoint, sorted by begin (so by end too); overlapping sessions merged, keeping the later
// keep_until (sessions do not overlap unless a clock stepped between them).
std::vector<AdhocKeep> merged_keeps(std::span<const AdhocKeep> keeps) {
  std::vector<AdhocKeep> sorted(keeps.begin(), keeps.end());
  std::sort(sorted.begin(), sorted.end(), [](const AdhocKeep& a, const AdhocKeep& b) { return a.begin < b.begin; });
  std::vector<AdhocKeep> out;
  for (const auto& k : sorted) {
    if (!(k.begin < k.end)) continue;
    if (!out.empty() && k.begin < out.back().end) {
      out.back().end = std::max(out.back().end, k.end);
      out.back().keep_until = std::max(out.back().keep_until, k.keep_until);
    } else {
      out.push_back(k);
    }
  }
  return out;
}

// The keep_until of the session [start, end) overlaps, if any. The same overlap rule as
// CareOverlap: a row of no length counts as its start instant.
std::optional<UtcTime> adhoc_keep_until(const std::vector<AdhocKeep>& merged, UtcTime start, UtcTime end) {
  // The first session ending after `start`; the merged list's ends increase with its begins.
  auto it = std::upper_bound(merged.begin(), merged.end(), start,
                             [](UtcTime t, const AdhocKeep& k) { return t < k.end; });
  if (it == merged.end()) return std::nullopt;
  bool overlaps = end > start ? it->begin < end : it->begin <= start;
  return overlaps ? std::optional<UtcTime>(it->keep_until) : std::nullopt;
}

bool is_live(index::SegmentState state) {
  return state == index::SegmentState::Closed || state == index::SegmentState::Recovered ||
         state == index::SegmentState::Damaged;
}

// A damaged row may say 0 bytes (nothing kept); a negative size would be a corrupt row and
// frees nothing either.
std::uint64_t bytes_of(std::int64_t size_bytes) { return size_bytes > 0 ? static_cast<std::uint64_t>(size_bytes) : 0; }

// ceil(total * percent / 100) without overflowing 64 bits for any disk size.
std::uint64_t percent_of(std::uint64_t total, int percent) {
  auto p = static_cast<std::uint64_t>(std::clamp(percent, 0, 100));
  return total / 100 * p + (total % 100 * p + 99) / 100;
}

// A row the plan may take, small enough to sort by the hundred thousand.
struct Pick {
  UtcTime start;
  index::SegmentId id = 0;
  std::size_t row = 0;  // index into PlanInput::segments
  DeletionReason reason = DeletionReason::Expired;
  std::optional<UtcTime> protect_until;
};

// Oldest first: by start, then by id (the order segments were opened) for equal starts.
bool oldest_first(const Pick& a, const Pick& b) {
  if (a.start != b.start) return a.start < b.start;
  return a.id < b.id;
}

}  // namespace

std::vector<AdhocKeep> adhoc_keeps(std::span<const index::CareSessionRow> sessions, int care_days,
                                   const TimeZone& zone) {
  std::vector<AdhocKeep> out;
  out.reserve(sessions.size());
  for (const auto& s : sessions) {
    out.push_back({s.started, s.care_end(), care_protect_until(s.care_end(), care_days, zone)});
  }
  return out;
}

std::string_view to_string(DeletionReason reason) {
  switch (reason) {
    case DeletionReason::Expired:
      return "expired";
    case DeletionReason::ExpiredProtected:
      return "expired_protected";
    case DeletionReason::DiskPressure:
      return "disk_pressure";
  }
  return "expired";
}

std::vector<HeldRange> resolve_holds(std::span<const index::HoldRow> holds, const ZoneCameras& zones) {
  std::vector<HeldRange> out;
  for (const auto& hold : holds) {
    if (hold.released) continue;
    if (hold.camera_id) {
      out.push_back({hold.id, hold.camera_id, hold.from, hold.to});
      continue;
    }
    auto zone = hold.zone_id ? zones.find(*hold.zone_id) : zones.end();
    if (zone == zones.end()) {
      out.push_back({hold.id, std::nullopt, hold.from, hold.to});
      continue;
    }
    for (const auto& camera : zone->second) out.push_back({hold.id, camera, hold.from, hold.to});
  }
  return out;
}

bool holds_segment(const HeldRange& held, std::string_view camera, UtcTime start, UtcTime end) {
  if (held.camera_id && *held.camera_id != camera) return false;
  return index::hold_range_keeps(held.from, held.to, start, end);
}

std::uint64_t bytes_needed(const StorageState& storage, const config::Retention& retention) {
  std::uint64_t target_free = percent_of(storage.total_bytes, retention.min_free_percent);
  std::uint64_t for_free = target_free > storage.free_bytes ? target_free - storage.free_bytes : 0;
  std::uint64_t for_quota = 0;
  if (retention.max_bytes && storage.footage_bytes > *retention.max_bytes) {
    for_quota = storage.footage_bytes - *retention.max_bytes;
  }
  return std::max(for_free, for_quota);
}

Plan plan(const PlanInput& input) {
  Plan result;
  PlanSummary& summary = result.summary;
  summary.bytes_needed = bytes_needed(input.storage, input.retention);
  summary.under_pressure = summary.bytes_needed > 0;

  // Invariant 5: "expired" means nothing when the clock that says so jumped.
  if (!input.clock.trusted) {
    result.paused = true;
    result.paused_reason = input.clock.reason.empty() ? "the wall clock is not trusted" : input.clock.reason;
    summary.shortfall_bytes = summary.bytes_needed;
    summary.stop_recording_outside_care = summary.shortfall_bytes > 0;
    return result;
  }

  // Ad-hoc care sessions, sorted and merged once: a row looks its overlap up by binary search
  // (a box under pressure plans a million rows against a few hundred sessions).
  const auto sessions = merged_keeps(input.adhoc);
  // Rows are classified into small sortable picks; Deletions (with their strings) are built
  // only for what the plan takes, in its final order.
  const Micros other_retention = std::chrono::days{input.retention.other_days};
  std::vector<Pick> expired;
  std::vector<Pick> early;  // unprotected, not expired: may go under pressure
  for (std::size_t i = 0; i < input.segments.size(); ++i) {
    const auto& row = input.segments[i];
    if (!is_live(row.state)) {
      if (row.state != index::SegmentState::Deleted) ++summary.kept_unfinished;
      continue;
    }
    bool held = std::any_of(input.holds.begin(), input.holds.end(),
                            [&](const HeldRange& h) { return holds_segment(h, row.camera_id, row.start, row.end); });
    if (held) {
      ++summary.kept_held;
      continue;
    }
    std::optional<UtcTime> protect_until = row.protect_until;
    if (!protect_until && input.protection) protect_until = input.protection(row.camera_id, row.start, row.end);
    if (auto keep = adhoc_keep_until(sessions, row.start, row.end)) {
      protect_until = std::max(protect_until.value_or(*keep), *keep);
    }
    if (protect_until) {
      if (*protect_until <= input.now) {
        expired.push_back({row.start, row.id, i, DeletionReason::ExpiredProtected, protect_until});
      } else {
        ++summary.kept_protected;
      }
    } else if (row.end + other_retention <= input.now) {
      expired.push_back({row.start, row.id, i, DeletionReason::Expired, std::nullopt});
    } else {
      early.push_back({row.start, row.id, i, DeletionReason::DiskPressure, std::nullopt});
    }
  }
  auto take = [&](const Pick& pick) {
    const auto& row = input.segments[pick.row];
    result.deletions.push_back(
        Deletion{row.id, row.camera_id, row.start, row.end, row.path, row.size_bytes, pick.reason, pick.protect_until});
    summary.bytes_freed += bytes_of(row.size_bytes);
  };
  std::sort(expired.begin(), expired.end(), oldest_first);
  result.deletions.reserve(expired.size());
  for (const auto& pick : expired) {
    take(pick);
    ++(pick.reason == DeletionReason::Expired ? summary.expired : summary.expired_protected);
  }

  // Pressure: what the expired footage does not cover comes from unprotected footage outside
  // care hours, oldest first, and only as much as needed.
  std::uint64_t missing = summary.bytes_needed > summary.bytes_freed ? summary.bytes_needed - summary.bytes_freed : 0;
  if (missing > 0) {
    std::sort(early.begin(), early.end(), oldest_first);
    for (const auto& pick : early) {
      if (missing == 0) break;
      missing -= std::min(missing, bytes_of(input.segments[pick.row].size_bytes));
      take(pick);
      ++summary.disk_pressure;
    }
  }
  summary.shortfall_bytes = missing;
  summary.stop_recording_outside_care = missing > 0;
  return result;
}

}  // namespace carekeep::retention
