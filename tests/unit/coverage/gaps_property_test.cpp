// The gap finder against a deliberately naive reference: random evidence on whole seconds,
// evaluated second by second with the rules of gaps.hpp spelled out directly. Both must agree
// on every gap, its cause and its detail.
#include <algorithm>
#include <map>
#include <random>

#include <catch2/catch.hpp>

#include "coverage/gaps.hpp"
#include "helpers.hpp"

using namespace carekeep;
using namespace carekeep::test;
using coverage::CameraEvidence;
using coverage::Gap;
using coverage::Reason;
using coverage::SiteEvidence;
using index::SegmentState;

namespace {

constexpr int kSpan = 400;  // seconds of evidence per case

struct Case {
  std::vector<care::Interval> care;
  int tolerance = 2;
  int now = 0;
  SiteEvidence site;
  std::vector<CameraEvidence> cameras;
};

class Generator {
 public:
  explicit Generator(std::uint32_t seed) : rng_(seed) {}

  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[static_cast<std::size_t>(uniform(0, static_cast<int>(v.size()) - 1))]; }

  // Sorted, disjoint, non-touching intervals in [lo, hi).
  std::vector<std::pair<int, int>> intervals(int lo, int hi, int max_count, int gap_min) {
    std::vector<std::pair<int, int>> out;
    int t = lo + uniform(0, 30);
    int count = uniform(1, max_count);
    for (int i = 0; i < count && t < hi - 1; ++i) {
      int end = std::min(hi, t + uniform(1, (hi - lo) / max_count + 20));
      out.emplace_back(t, end);
      t = end + uniform(gap_min, 40);
    }
    return out;
  }

  Case make() {
    Case c;
    for (auto [a, b] : intervals(0, kSpan, 3, 1)) c.care.push_back(care_between(a, b));
    c.tolerance = uniform(0, 5);
    c.now = uniform(kSpan / 2, kSpan + 50);
    auto daemons = intervals(0, kSpan, 3, 1);
    for (std::size_t i = 0; i < daemons.size(); ++i) {
      bool last = i + 1 == daemons.size();
      c.site.daemon_runs.push_back(
          daemon_run(daemons[i].first, last && chance(0.5) ? std::nullopt : std::optional<double>(daemons[i].second)));
    }
    for (int i = 0, n = uniform(0, 2); i < n; ++i) {
      c.site.clock_events.push_back(clock_step(uniform(0, kSpan), chance(0.7) ? uniform(1, 60) : -uniform(1, 60)));
    }
    int cameras = uniform(1, 3);
    for (int i = 0; i < cameras; ++i) c.cameras.push_back(camera("cam-" + std::to_string(i), c));
    return c;
  }

 private:
  CameraEvidence camera(const std::string& id, const Case& c) {
    static const std::vector<std::string> kCauses{"refused", "stalled", "disk_error", "timeout", "stream_ended"};
    static const std::vector<std::string> kKinds{"black", "frozen", "covered"};
    CameraEvidence e;
    e.camera_id = id;
    index::RunId next_run = 1;
    for (const auto& d : c.site.daemon_runs) {
      int d_begin = static_cast<int>((d.started - kOrigin) / std::chrono::seconds(1));
      int d_end = d.stopped ? static_cast<int>((*d.stopped - kOrigin) / std::chrono::seconds(1)) : kSpan;
      if (chance(0.3)) e.events.push_back(down(id, uniform(d_begin, d_end), pick(kCauses)));
      for (auto [a, b] : intervals(d_begin, std::max(d_begin + 2, d_end), 3, 0)) {
        bool live = chance(0.2) && !d.stopped;
        auto r = run(next_run++, id, a, live ? std::nullopt : std::optional<double>(b), pick(kCauses));
        if (chance(0.8)) e.events.push_back(up(id, a));
        if (r.ended && chance(0.7)) e.events.push_back(down(id, b, *r.end_cause));
        // Segments: consecutive pieces with small holes, a few in bad states, maybe one open.
        int t = a;
        while (t < b) {
          int len = uniform(1, 40);
          int end = std::min(b, t + len);
          SegmentState state = SegmentState::Closed;
          int roll = uniform(0, 19);
          if (roll == 0) state = SegmentState::Damaged;
          if (roll == 1) state = SegmentState::Deleted;
          if (roll == 2) state = SegmentState::Recovered;
          if (roll == 3) state = SegmentState::Deleting;
          bool open = live && end >= b;
          bool file_missing = state == SegmentState::Damaged && chance(0.5);
          if (chance(0.9)) e.segments.push_back(segment(t, end, open ? SegmentState::Open : state, file_missing, r.id));
          t = end + (chance(0.3) ? uniform(0, 4) : 0);
        }
        e.runs.push_back(r);
      }
    }
    for (int i = 0, n = uniform(0, 2); i < n; ++i) {
      int start = uniform(0, kSpan);
      e.content_faults.push_back(
          {pick(kKinds), at(start), chance(0.8) ? std::optional<UtcTime>(at(start + uniform(1, 60))) : std::nullopt});
    }
    if (chance(0.3)) {
      auto& s = e.segments;
      if (!s.empty()) s.push_back(s[static_cast<std::size_t>(uniform(0, static_cast<int>(s.size()) - 1))]);
    }
    return e;
  }

  std::mt19937 rng_;
};

// ---- the reference: every rule evaluated at one whole second ----------------------------

bool holds(UtcTime begin, UtcTime end, UtcTime t) { return begin <= t && t < end; }

// Among intervals holding t, the one that starts first (the first listed on a tie).
template <class T, class Begin, class End>
const T* first_holding(const std::vector<T>& items, UtcTime t, Begin begin, End end) {
  const T* best = nullptr;
  for (const auto& item : items) {
    if (!holds(begin(item), end(item), t)) continue;
    if (best == nullptr || begin(item) < begin(*best)) best = &item;
  }
  return best;
}

const index::DaemonRunRow* daemon_at(const SiteEvidence& site, UtcTime t, UtcTime now) {
  for (const auto& d : site.daemon_runs)
    if (holds(d.started, d.stopped.value_or(now), t)) return &d;
  return nullptr;
}

std::optional<Reason> reference_status(const CameraEvidence& e, const SiteEvidence& site, UtcTime t, UtcTime now) {
  auto usable_end = [&](const index::SegmentSpan& s) {
    if (s.state != SegmentState::Open) return s.end;
    UtcTime end = now;
    for (const auto& r : e.runs)
      if (r.id == s.run_id && r.ended) end = std::min(end, *r.ended);
    const auto* d = daemon_at(site, s.start, now);
    end = d ? std::min(end, d->stopped.value_or(now)) : s.start;
    return std::max(end, s.start);
  };
  for (const auto& s : e.segments) {
    bool usable = s.state == SegmentState::Closed || s.state == SegmentState::Recovered || s.state == SegmentState::Open;
    if (!usable || !holds(s.start, usable_end(s), t)) continue;
    const auto* f = first_holding(
        e.content_faults, t, [](const auto& x) { return x.start; }, [&](const auto& x) { return x.end.value_or(now); });
    if (f != nullptr) return Reason{"content", f->kind};
    return std::nullopt;
  }
  std::vector<const index::SegmentSpan*> bad;
  for (const auto& s : e.segments)
    if (s.state == SegmentState::Damaged || s.state == SegmentState::Deleted || s.state == SegmentState::Deleting)
      bad.push_back(&s);
  const index::SegmentSpan* const* b = first_holding(
      bad, t, [](const auto* s) { return s->start; }, [](const auto* s) { return s->end; });
  if (b != nullptr) {
    const auto& s = **b;
    if (s.state == SegmentState::Damaged)
      return s.file_missing ? Reason{"footage_missing", "file_missing"}
                                                        : Reason{"footage_damaged", ""};
    return Reason{"deleted", ""};
  }
  for (const auto& c : site.clock_events)
    if (c.step > Micros{0} && holds(c.time - c.step, c.time, t)) return Reason{"clock_step", ""};
  const auto* d = daemon_at(site, t, now);
  if (d == nullptr) return Reason{"recorder_not_running", ""};
  for (const auto& r : e.runs)
    if (holds(r.started, r.ended.value_or(now), t)) return Reason{"footage_missing", "no_segment"};
  // The last marker in this daemon run at or before t; down beats a run end at the same time.
  std::optional<std::pair<std::pair<UtcTime, int>, std::string>> last;  // ((time, rank), cause or "" = clear)
  auto consider = [&](UtcTime time, int rank, std::string cause, bool clear) {
    if (time < d->started || time > t) return;
    if (d->stopped && time >= *d->stopped) return;
    std::pair<UtcTime, int> key{time, rank};
    if (!last || key >= last->first) last = {{key, clear ? std::string("\x01") : cause}};
  };
  for (const auto& r : e.runs) {
    consider(r.started, 1, "", true);
    if (r.ended) consider(*r.ended, 0, r.end_cause.value_or(""), false);
  }
  for (const auto& ev : e.events) {
    if (ev.kind == index::CameraEventKind::Down) consider(ev.time, 2, ev.cause, false);
    if (ev.kind == index::CameraEventKind::Up) consider(ev.time, 1, "", true);
  }
  if (!last || last->second == "\x01") return Reason{"camera_offline", "not_connected"};
  const std::string& cause = last->second;
  return Reason{std::string(coverage::cause_for_down(cause)), cause.empty() ? "unknown" : cause};
}

int rank(const std::string& c) {
  static const std::vector<std::string> order{"recorder_not_running", "clock_step",     "deleted",
                                              "footage_damaged",      "footage_missing", "content",
                                              "recording_error",      "stream_stalled", "camera_offline"};
  return static_cast<int>(std::find(order.begin(), order.end(), c) - order.begin());
}

std::vector<Gap> reference_gaps(const Case& c) {
  std::vector<Gap> gaps;
  UtcTime now = at(c.now);
  for (const auto& care : c.care) {
    std::optional<Gap> open;
    std::vector<std::map<Reason, Micros>> shares(c.cameras.size());
    auto finish = [&] {
      if (open && open->end - open->start > std::chrono::seconds(c.tolerance)) {
        std::map<std::string, Micros> by_cause;
        std::vector<coverage::CameraShare> detail;
        for (std::size_t i = 0; i < c.cameras.size(); ++i) {
          coverage::CameraShare share{c.cameras[i].camera_id, {}};
          for (const auto& [reason, length] : shares[i]) {
            by_cause[reason.cause] += length;
            share.reasons.emplace_back(reason, length);
          }
          detail.push_back(share);
        }
        auto best = std::max_element(by_cause.begin(), by_cause.end(), [](const auto& a, const auto& b) {
          if (a.second != b.second) return a.second < b.second;
          return rank(a.first) > rank(b.first);
        });
        open->cause = best->first;
        open->detail = coverage::format_detail(detail);
        gaps.push_back(*open);
      }
      open.reset();
      for (auto& s : shares) s.clear();
    };
    for (UtcTime t = care.begin; t < std::min(care.end, now); t += std::chrono::seconds(1)) {
      std::vector<std::optional<Reason>> status;
      bool covered = false;
      for (const auto& e : c.cameras) {
        status.push_back(reference_status(e, c.site, t, now));
        if (!status.back()) covered = true;
      }
      if (covered) {
        finish();
        continue;
      }
      if (!open) open = Gap{"zone", t, t, "", ""};
      open->end = t + std::chrono::seconds(1);
      for (std::size_t i = 0; i < status.size(); ++i) shares[i][*status[i]] += std::chrono::seconds(1);
    }
    finish();
  }
  return gaps;
}

std::string show(const Gap& g) {
  return std::to_string((g.start - kOrigin) / std::chrono::seconds(1)) + "-" +
         std::to_string((g.end - kOrigin) / std::chrono::seconds(1)) + " " + g.cause + " [" + g.detail + "]";
}

}  // namespace

TEST_CASE("gaps agree with a second-by-second reference on random evidence", "[coverage]") {
  int with_gaps = 0;
  int causes_seen = 0;
  std::map<std::string, int> by_cause;
  for (std::uint32_t seed = 1; seed <= 1500; ++seed) {
    Generator gen(seed);
    Case c = gen.make();
    coverage::ZoneQuery query{"zone", c.care, std::chrono::seconds(c.tolerance), at(c.now)};
    auto got = coverage::find_gaps(query, c.cameras, c.site);
    auto want = reference_gaps(c);
    std::vector<std::string> got_text;
    std::vector<std::string> want_text;
    for (const auto& g : got) got_text.push_back(show(g));
    for (const auto& g : want) want_text.push_back(show(g));
    INFO("seed " << seed);
    REQUIRE(got_text == want_text);
    if (!got.empty()) ++with_gaps;
    for (const auto& g : got) ++by_cause[g.cause];
  }
  causes_seen = static_cast<int>(by_cause.size());
  // The generator must exercise the rules, not only produce empty results.
  CHECK(with_gaps > 500);
  CHECK(causes_seen == 9);
}
