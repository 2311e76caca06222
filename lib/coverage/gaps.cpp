#include "coverage/gaps.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

namespace carekeep::coverage {

namespace {

// Ties between causes of equal weight go to the one that explains the most: the box not
// recording explains every camera at once, a deleted file explains more than a camera fault.
constexpr std::array kCauseOrder{cause::kRecorderNotRunning, cause::kClockStep,      cause::kDeleted,
                                 cause::kFootageDamaged,     cause::kFootageMissing, cause::kContent,
                                 cause::kRecordingError,     cause::kStreamStalled,  cause::kCameraOffline};

constexpr Micros kSliver{50'000};

std::size_t cause_rank(std::string_view c) {
  auto it = std::find(kCauseOrder.begin(), kCauseOrder.end(), c);
  return static_cast<std::size_t>(it - kCauseOrder.begin());
}

// A labelled interval; label indexes the timeline's reason table (-1 = usable).
struct Labelled {
  UtcTime begin;
  UtcTime end;
  int label = -1;
};

// Sorted and disjoint: where intervals overlap the one that starts first keeps the overlap.
class IntervalList {
 public:
  void add(UtcTime begin, UtcTime end, int label = -1) {
    if (end > begin) items_.push_back({begin, end, label});
  }
  // add() for unlabelled lists that normalize(true) will merge: an interval starting inside or
  // at the end of the last one (segments arrive by start) extends it right away, so 90 days of
  // minute segments never become 130 k list items. The union, all normalize(true) keeps, is
  // the same either way.
  void add_merged(UtcTime begin, UtcTime end) {
    if (end <= begin) return;
    if (!items_.empty() && begin >= items_.back().begin && begin <= items_.back().end) {
      items_.back().end = std::max(items_.back().end, end);
      return;
    }
    items_.push_back({begin, end, -1});
  }
  // `merge`: for unlabelled lists, touching and overlapping intervals become one, so a day of
  // back-to-back minute segments is one interval and costs one boundary pair, not 1440.
  void normalize(bool merge = false) {
    auto by_begin = [](const Labelled& a, const Labelled& b) { return a.begin < b.begin; };
    if (!std::is_sorted(items_.begin(), items_.end(), by_begin)) std::stable_sort(items_.begin(), items_.end(), by_begin);
    std::vector<Labelled> out;
    out.reserve(items_.size());
    for (auto item : items_) {
      if (merge && !out.empty() && item.begin <= out.back().end) {
        out.back().end = std::max(out.back().end, item.end);
        continue;
      }
      if (!out.empty() && item.begin < out.back().end) item.begin = out.back().end;
      if (item.end <= item.begin) continue;
      out.push_back(item);
    }
    items_ = std::move(out);
  }
  // The interval holding t, if any (after normalize()).
  const Labelled* find(UtcTime t) const {
    auto it = std::upper_bound(items_.begin(), items_.end(), t,
                               [](UtcTime value, const Labelled& item) { return value < item.begin; });
    if (it == items_.begin()) return nullptr;
    --it;
    return t < it->end ? &*it : nullptr;
  }
  // find() for instants visited in increasing order: `cursor` (start at 0) only moves forward,
  // so a sweep over n boundaries costs O(n) instead of O(n log n) per list.
  const Labelled* find_forward(UtcTime t, std::size_t& cursor) const {
    while (cursor < items_.size() && items_[cursor].end <= t) ++cursor;
    return cursor < items_.size() && items_[cursor].begin <= t ? &items_[cursor] : nullptr;
  }
  void boundaries(UtcTime from, UtcTime to, std::vector<UtcTime>& out) const {
    for (const auto& item : items_) {
      if (item.begin > from && item.begin < to) out.push_back(item.begin);
      if (item.end > from && item.end < to) out.push_back(item.end);
    }
  }
  const std::vector<Labelled>& items() const { return items_; }

 private:
  std::vector<Labelled> items_;
};

bool usable_state(index::SegmentState s) {
  return s == index::SegmentState::Open || s == index::SegmentState::Closed || s == index::SegmentState::Recovered;
}

class Timeline {
 public:
  Timeline(const CameraEvidence& camera, const SiteEvidence& site, UtcTime now) {
    for (const auto& d : site.daemon_runs) daemons_.add_merged(d.started, d.stopped.value_or(now));
    daemons_.normalize(true);

    for (const auto& s : camera.segments) {
      if (usable_state(s.state)) {
        UtcTime end = s.end;
        if (s.state == index::SegmentState::Open) end = open_segment_end(s, camera, now);
        usable_.add_merged(s.start, end);
      } else if (s.state == index::SegmentState::Damaged) {
        bad_.add(s.start, s.end,
                 label(s.file_missing ? Reason{std::string(cause::kFootageMissing), "file_missing"}
                               : Reason{std::string(cause::kFootageDamaged), ""}));
      } else {
        bad_.add(s.start, s.end, label({std::string(cause::kDeleted), ""}));
      }
    }
    usable_.normalize(true);
    bad_.normalize();

    for (const auto& f : camera.content_faults) {
      content_.add(f.start, f.end.value_or(now),
                   label({std::string(cause::kContent), content_values(f.kind, f.detail)}));
    }
    content_.normalize();

    for (const auto& c : site.clock_events) {
      if (c.step > Micros{0}) clock_.add(c.time - c.step, c.time, label({std::string(cause::kClockStep), ""}));
    }
    clock_.normalize();

    for (const auto& r : camera.runs) runs_.add_merged(r.started, r.ended.value_or(now));
    runs_.normalize(true);

    build_offline(camera, now);
  }

  std::vector<Piece> pieces(UtcTime from, UtcTime to) const {
    std::vector<Piece> out;
    if (to <= from) return out;
    std::vector<UtcTime> cuts{from, to};
    for (const auto* list : {&usable_, &content_, &bad_, &clock_, &daemons_, &runs_, &offline_})
      list->boundaries(from, to, cuts);
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    Cursors cursors;
    for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
      std::optional<Reason> reason = status(cuts[i], cursors);
      if (!out.empty() && out.back().reason == reason) {
        out.back().end = cuts[i + 1];
      } else {
        out.push_back({cuts[i], cuts[i + 1], std::move(reason)});
      }
    }
    return out;
  }

 private:
  int label(Reason reason) {
    auto it = std::find(reasons_.begin(), reasons_.end(), reason);
    if (it != reasons_.end()) return static_cast<int>(it - reasons_.begin());
    reasons_.push_back(std::move(reason));
    return static_cast<int>(reasons_.size() - 1);
  }

  // An open segment grows until now, but no longer than its RTSP run or the daemon that wrote
  // it: a crashed daemon leaves rows open, and those must not count as footage.
  UtcTime open_segment_end(const index::SegmentSpan& s, const CameraEvidence& camera, UtcTime now) const {
    UtcTime end = now;
    for (const auto& r : camera.runs) {
      if (r.id == s.run_id && r.ended) end = std::min(end, *r.ended);
    }
    if (const auto* d = daemons_.find(s.start)) end = std::min(end, d->end);
    else end = s.start;
    return std::max(end, s.start);
  }

  // Rule 6: within each daemon run, the camera's state from its markers (down events, up events,
  // run starts and ends), the latest marker winning.
  void build_offline(const CameraEvidence& camera, UtcTime /*now*/) {
    enum class Kind { RunEnd, Clear, Down };  // at equal times a down event beats a run end
    struct Marker {
      UtcTime time;
      Kind kind;
      std::string cause;
    };
    std::vector<Marker> markers;
    for (const auto& e : camera.events) {
      if (e.kind == index::CameraEventKind::Down) markers.push_back({e.time, Kind::Down, e.cause});
      if (e.kind == index::CameraEventKind::Up) markers.push_back({e.time, Kind::Clear, ""});
    }
    for (const auto& r : camera.runs) {
      markers.push_back({r.started, Kind::Clear, ""});
      if (r.ended) markers.push_back({*r.ended, Kind::RunEnd, r.end_cause.value_or("")});
    }
    std::stable_sort(markers.begin(), markers.end(), [](const Marker& a, const Marker& b) {
      if (a.time != b.time) return a.time < b.time;
      return static_cast<int>(a.kind) < static_cast<int>(b.kind);
    });
    int not_connected = label({std::string(cause::kCameraOffline), "not_connected"});
    for (const auto& d : daemons_.items()) {
      UtcTime at = d.begin;
      int current = not_connected;
      for (const auto& m : markers) {
        if (m.time < d.begin) continue;
        if (m.time >= d.end) break;
        int next = not_connected;
        if (m.kind != Kind::Clear) {
          std::string sub = m.cause.empty() ? "unknown" : m.cause;
          next = label({std::string(cause_for_down(m.cause)), sub});
        }
        offline_.add(at, m.time, current);
        at = m.time;
        current = next;
      }
      offline_.add(at, d.end, current);
    }
    offline_.normalize();
  }

  struct Cursors {
    std::size_t usable = 0, content = 0, bad = 0, clock = 0, daemons = 0, runs = 0, offline = 0;
  };

  // Precondition: called with increasing t for one `cursors`.
  std::optional<Reason> status(UtcTime t, Cursors& k) const {
    if (usable_.find_forward(t, k.usable) != nullptr) {
      if (const auto* c = content_.find_forward(t, k.content)) return reasons_[static_cast<std::size_t>(c->label)];
      return std::nullopt;
    }
    if (const auto* b = bad_.find_forward(t, k.bad)) return reasons_[static_cast<std::size_t>(b->label)];
    if (const auto* c = clock_.find_forward(t, k.clock)) return reasons_[static_cast<std::size_t>(c->label)];
    if (daemons_.find_forward(t, k.daemons) == nullptr) return Reason{std::string(cause::kRecorderNotRunning), ""};
    if (runs_.find_forward(t, k.runs) != nullptr) return Reason{std::string(cause::kFootageMissing), "no_segment"};
    if (const auto* o = offline_.find_forward(t, k.offline)) return reasons_[static_cast<std::size_t>(o->label)];
    return Reason{std::string(cause::kCameraOffline), "not_connected"};
  }

  std::vector<Reason> reasons_;
  IntervalList daemons_;
  IntervalList usable_;
  IntervalList bad_;
  IntervalList content_;
  IntervalList clock_;
  IntervalList runs_;
  IntervalList offline_;
};

struct OpenGap {
  UtcTime start;
  UtcTime end;
  std::vector<std::map<Reason, Micros>> shares;  // per camera
};

Gap close_gap(const ZoneQuery& query, std::span<const CameraEvidence* const> cameras, const OpenGap& open) {
  std::map<std::string, Micros> by_cause;
  std::vector<CameraShare> shares;
  for (std::size_t i = 0; i < cameras.size(); ++i) {
    CameraShare share{cameras[i]->camera_id, {}};
    for (const auto& [reason, length] : open.shares[i]) {
      by_cause[reason.cause] += length;
      share.reasons.emplace_back(reason, length);
    }
    shares.push_back(std::move(share));
  }
  std::string best;
  Micros best_length{-1};
  for (const auto& [c, length] : by_cause) {
    if (length > best_length || (length == best_length && cause_rank(c) < cause_rank(best))) {
      best = c;
      best_length = length;
    }
  }
  return Gap{query.zone_id, open.start, open.end, best, format_detail(shares)};
}

}  // namespace

std::string content_values(std::string_view kind, std::string_view detail) {
  std::string out(kind);
  auto json = nlohmann::json::parse(detail, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return out;
  auto add = [&](const char* key, const char* name, const char* unit = "") {
    auto it = json.find(key);
    if (it == json.end() || !it->is_number()) return;
    char value[48];
    std::snprintf(value, sizeof value, " %s=%.1f%s", name, it->get<double>(), unit);
    out += value;
  };
  if (kind == "frozen") {
    add("seconds_unchanged", "unchanged", "s");
    if (json.value("identical_keyframe", false)) {
      out += " identical_keyframe";
    } else {
      add("difference", "difference");
      add("change_threshold", "threshold");
    }
    return out;
  }
  add("mean", "mean");
  add("stddev", "stddev");
  if (kind == "covered") add("gradient", "gradient");
  return out;
}

std::string_view cause_for_down(std::string_view event_cause) {
  if (event_cause == "stalled") return cause::kStreamStalled;
  if (event_cause == "disk_error") return cause::kRecordingError;
  return cause::kCameraOffline;
}

std::vector<Piece> camera_timeline(const CameraEvidence& camera, const SiteEvidence& site, UtcTime from,
                                   UtcTime to, UtcTime now) {
  return Timeline(camera, site, now).pieces(from, std::min(to, now));
}

std::vector<Gap> find_gaps(const ZoneQuery& query, std::span<const CameraEvidence> cameras,
                           const SiteEvidence& site) {
  std::vector<const CameraEvidence*> pointers;
  for (const auto& camera : cameras) pointers.push_back(&camera);
  return find_gaps(query, pointers, site);
}

std::vector<Gap> find_gaps(const ZoneQuery& query, std::span<const CameraEvidence* const> cameras,
                           const SiteEvidence& site) {
  std::vector<Gap> gaps;
  if (query.care.empty()) return gaps;
  UtcTime from = query.care.front().begin;
  UtcTime to = std::min(query.care.back().end, query.now);
  if (to <= from) return gaps;

  std::vector<std::vector<Piece>> timelines;
  timelines.reserve(cameras.size());
  for (const auto* camera : cameras) timelines.push_back(camera_timeline(*camera, site, from, to, query.now));

  std::vector<std::size_t> cursor(cameras.size(), 0);
  for (const auto& care : query.care) {
    UtcTime end = std::min(care.end, to);
    std::optional<OpenGap> open;
    auto finish = [&] {
      if (open && open->end - open->start > query.tolerance) gaps.push_back(close_gap(query, cameras, *open));
      open.reset();
    };
    for (UtcTime t = care.begin; t < end;) {
      UtcTime next = end;
      bool covered = false;
      for (std::size_t i = 0; i < timelines.size(); ++i) {
        const auto& pieces = timelines[i];
        while (cursor[i] < pieces.size() && pieces[cursor[i]].end <= t) ++cursor[i];
        // Timelines cover [from, to) without holes, so a piece always holds t.
        const Piece& piece = pieces[cursor[i]];
        next = std::min(next, piece.end);
        if (piece.usable()) covered = true;
      }
      if (covered) {
        finish();
      } else {
        if (!open) open = OpenGap{t, t, std::vector<std::map<Reason, Micros>>(cameras.size())};
        open->end = next;
        for (std::size_t i = 0; i < timelines.size(); ++i)
          open->shares[i][*timelines[i][cursor[i]].reason] += next - t;
      }
      t = next;
    }
    finish();
  }
  return gaps;
}

std::string format_detail(std::span<const CameraShare> shares) {
  std::string out;
  for (const auto& share : shares) {
    auto reasons = share.reasons;
    std::stable_sort(reasons.begin(), reasons.end(), [](const auto& a, const auto& b) {
      if (a.second != b.second) return a.second > b.second;
      return a.first < b.first;
    });
    if (!out.empty()) out += "; ";
    out += share.camera_id + ":";
    // Slivers (the moment between a run's start and its first segment) would print as
    // "0.0 s" and say nothing; a camera's only reason is always shown.
    if (reasons.size() > 1)
      reasons.erase(std::remove_if(reasons.begin() + 1, reasons.end(), [](const auto& r) { return r.second < kSliver; }),
                    reasons.end());
    bool first = true;
    for (const auto& [reason, length] : reasons) {
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%.1f s", std::chrono::duration<double>(length).count());
      out += first ? " " : ", ";
      out += reason.cause;
      if (!reason.sub.empty()) out += " (" + reason.sub + ")";
      out += " ";
      out += seconds;
      first = false;
    }
  }
  return out;
}

}  // namespace carekeep::coverage
