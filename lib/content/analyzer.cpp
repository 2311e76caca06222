#include "content/analyzer.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace carekeep::content {
namespace {

// The detail plane is at most about this wide: every k-th pixel of a 1080p picture (k = 4)
// is 480x270, enough for a stable noise median and cheap (decimation, not averaging, so the
// noise keeps the amplitude the decoder produced).
constexpr int kDetailTargetWidth = 480;
constexpr int kTilesX = 8;
constexpr int kTilesY = 6;

// E|a - b| for two independent samples of N(0, sigma²) is 2 sigma / sqrt(pi): the difference
// sensor noise alone makes between two pictures of an unchanged scene.
constexpr double kNoiseDifference = 1.1283791670955126;

// Immerkær's mask [1 -2 1; -2 4 -2; 1 -2 1] has sum of squares 36, so noise of sigma gives
// responses of sigma 6 sigma; the median of |N(0, s²)| is 0.6745 s. The median (rather than
// the mean of the original method) ignores the edges and texture of the scene.
constexpr double kMedianToSigma = 1.0 / (0.6744897501960817 * 6.0);

double round2(double v) { return std::round(v * 100.0) / 100.0; }

}  // namespace

std::string_view to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::Black: return "black";
    case FaultKind::Frozen: return "frozen";
    case FaultKind::Covered: return "covered";
  }
  return "black";
}

std::uint64_t hash_bytes(const std::uint8_t* data, std::size_t size) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < size; ++i) {
    h ^= data[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

Picture measure(const LumaView& luma) {
  Picture p;
  const int w = luma.width;
  const int h = luma.height;
  constexpr int tw = Picture::kThumbWidth;
  constexpr int th = Picture::kThumbHeight;

  // Thumbnail: the area average of each cell. Pixel x belongs to column x*64/w and row
  // y*36/h, so cells differ by at most one pixel in size when w, h are not multiples of 64,
  // 36, and each average divides by the cell's own pixel count.
  std::vector<double> thumb(static_cast<std::size_t>(tw * th), 0.0);
  std::vector<int> col_cell(static_cast<std::size_t>(w));
  std::vector<int> col_count(static_cast<std::size_t>(tw), 0);
  for (int x = 0; x < w; ++x) {
    col_cell[static_cast<std::size_t>(x)] = x * tw / w;
    ++col_count[static_cast<std::size_t>(x * tw / w)];
  }
  std::vector<double> row_sums(static_cast<std::size_t>(tw));
  for (int cy = 0; cy < th; ++cy) {
    const int y0 = (cy * h + th - 1) / th;  // first y with y*th/h == cy
    const int y1 = ((cy + 1) * h + th - 1) / th;
    std::fill(row_sums.begin(), row_sums.end(), 0.0);
    for (int y = y0; y < y1; ++y) {
      const std::uint8_t* row = luma.data + static_cast<std::ptrdiff_t>(y) * luma.stride;
      for (int x = 0; x < w; ++x) row_sums[static_cast<std::size_t>(col_cell[static_cast<std::size_t>(x)])] += row[x];
    }
    for (int cx = 0; cx < tw; ++cx) {
      const double area = static_cast<double>(col_count[static_cast<std::size_t>(cx)] * (y1 - y0));
      thumb[static_cast<std::size_t>(cy * tw + cx)] = area > 0 ? row_sums[static_cast<std::size_t>(cx)] / area : 0.0;
    }
  }
  double sum = 0;
  for (double v : thumb) sum += v;
  p.mean = sum / static_cast<double>(thumb.size());
  double var = 0;
  for (double v : thumb) var += (v - p.mean) * (v - p.mean);
  p.stddev = std::sqrt(var / static_cast<double>(thumb.size()));
  double grad = 0;
  int grad_n = 0;
  for (int y = 0; y < th; ++y) {
    for (int x = 0; x < tw; ++x) {
      double v = thumb[static_cast<std::size_t>(y * tw + x)];
      if (x + 1 < tw) grad += std::abs(thumb[static_cast<std::size_t>(y * tw + x + 1)] - v);
      if (y + 1 < th) grad += std::abs(thumb[static_cast<std::size_t>((y + 1) * tw + x)] - v);
      ++grad_n;
    }
  }
  p.gradient = grad / grad_n;

  // Detail plane.
  const int k = std::max(1, (w + kDetailTargetWidth - 1) / kDetailTargetWidth);
  p.detail_width = (w + k - 1) / k;
  p.detail_height = (h + k - 1) / k;
  p.detail.resize(static_cast<std::size_t>(p.detail_width) * static_cast<std::size_t>(p.detail_height));
  for (int y = 0; y < p.detail_height; ++y) {
    const std::uint8_t* row = luma.data + static_cast<std::ptrdiff_t>(y * k) * luma.stride;
    float* out = p.detail.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(p.detail_width);
    for (int x = 0; x < p.detail_width; ++x) out[x] = row[x * k];
  }

  // Noise: median |Immerkær response| over the interior of the detail plane.
  const int dw = p.detail_width;
  const int dh = p.detail_height;
  std::vector<float> responses;
  responses.reserve(static_cast<std::size_t>(std::max(0, (dw - 2) * (dh - 2))));
  for (int y = 1; y + 1 < dh; ++y) {
    const float* a = p.detail.data() + static_cast<std::size_t>(y - 1) * static_cast<std::size_t>(dw);
    const float* b = a + dw;
    const float* c = b + dw;
    for (int x = 1; x + 1 < dw; ++x) {
      float r = a[x - 1] - 2 * a[x] + a[x + 1] - 2 * b[x - 1] + 4 * b[x] - 2 * b[x + 1] + c[x - 1] - 2 * c[x] +
                c[x + 1];
      responses.push_back(std::abs(r));
    }
  }
  if (!responses.empty()) {
    auto mid = responses.begin() + static_cast<std::ptrdiff_t>(responses.size() / 2);
    std::nth_element(responses.begin(), mid, responses.end());
    p.noise = *mid * kMedianToSigma;
  }
  return p;
}

std::optional<Difference> compare(const Picture& reference, const Picture& current) {
  if (reference.detail_width != current.detail_width || reference.detail_height != current.detail_height ||
      reference.detail.empty()) {
    return std::nullopt;
  }
  const int w = current.detail_width;
  const int h = current.detail_height;
  Difference d;
  double total = 0;
  for (int ty = 0; ty < kTilesY; ++ty) {
    const int y0 = ty * h / kTilesY;
    const int y1 = (ty + 1) * h / kTilesY;
    for (int tx = 0; tx < kTilesX; ++tx) {
      const int x0 = tx * w / kTilesX;
      const int x1 = (tx + 1) * w / kTilesX;
      double tile = 0;
      for (int y = y0; y < y1; ++y) {
        const std::size_t row = static_cast<std::size_t>(y) * static_cast<std::size_t>(w);
        for (int x = x0; x < x1; ++x) {
          tile += std::abs(current.detail[row + static_cast<std::size_t>(x)] -
                           reference.detail[row + static_cast<std::size_t>(x)]);
        }
      }
      total += tile;
      const int n = (x1 - x0) * (y1 - y0);
      if (n > 0) d.max_tile = std::max(d.max_tile, tile / n);
    }
  }
  d.mean = total / static_cast<double>(current.detail.size());
  return d;
}

bool Detector::is_open(FaultKind kind) const {
  switch (kind) {
    case FaultKind::Black: return black_.on;
    case FaultKind::Covered: return covered_.on;
    case FaultKind::Frozen: return frozen_;
  }
  return false;
}

std::string Detector::detail_json(const Decision& d) const {
  const auto& m = d.measurement;
  nlohmann::json j{{"mean", round2(m.mean)},
                   {"stddev", round2(m.stddev)},
                   {"gradient", round2(m.gradient)},
                   {"noise", round2(m.noise)},
                   {"seconds_unchanged", round2(m.seconds_unchanged)},
                   {"identical_keyframe", m.identical_keyframe},
                   {"change_threshold", round2(m.change_threshold)}};
  j["difference"] = m.difference ? nlohmann::json(round2(*m.difference)) : nlohmann::json(nullptr);
  j["difference_vs_noise"] =
      m.difference_vs_noise ? nlohmann::json(round2(*m.difference_vs_noise)) : nlohmann::json(nullptr);
  j["thresholds"] = {{"black_max_mean", checks_.black_max_mean},
                     {"flat_max_stddev", checks_.flat_max_stddev},
                     {"covered_max_gradient", checks_.covered_max_gradient},
                     {"frozen_seconds", checks_.frozen_seconds},
                     {"frozen_noise_ratio", checks_.frozen_noise_ratio},
                     {"frozen_min_difference", checks_.frozen_min_difference}};
  return j.dump();
}

void Detector::step(Debounce& state, FaultKind kind, bool seen, UtcTime time, const std::string& detail,
                    std::vector<FaultEvent>& events) {
  if (seen == state.on) {
    state.streak = 0;
    return;
  }
  if (state.streak == 0) state.streak_start = time;
  if (++state.streak < kConfirmSamples) return;
  state.on = seen;
  state.streak = 0;
  events.push_back(FaultEvent{kind, seen, state.streak_start, detail});
}

Decision Detector::observe(UtcTime time, Picture picture, std::uint64_t keyframe_hash) {
  auto decision = decide(time, picture, false);
  previous_ = std::move(picture);
  previous_hash_ = keyframe_hash;
  return decision;
}

Decision Detector::observe_identical(UtcTime time) {
  // The same bytes decode to the same picture: its measurements again, difference zero.
  return decide(time, *previous_, true);
}

Decision Detector::decide(UtcTime time, const Picture& picture, bool identical) {
  Decision d;
  d.time = time;
  std::vector<FaultEvent> events;
  // A hole in the samples (the stream was down, the sampler was starved) breaks the
  // unchanged stretch: nothing is known about the picture in between.
  const auto max_hole = std::chrono::seconds(std::max(15, 3 * checks_.sample_seconds));
  if (last_time_ && time - *last_time_ > max_hole) {
    if (frozen_) {
      frozen_ = false;
      events.push_back(FaultEvent{FaultKind::Frozen, false, *last_time_,
                                  previous_decision_ ? detail_json(*previous_decision_) : std::string("{}")});
    }
    reference_.reset();
  }
  last_time_ = time;

  Measurement& m = d.measurement;
  m.mean = picture.mean;
  m.stddev = picture.stddev;
  m.gradient = picture.gradient;
  m.noise = picture.noise;
  m.identical_keyframe = identical;
  m.change_threshold = std::max(checks_.frozen_min_difference, checks_.frozen_noise_ratio * kNoiseDifference * picture.noise);

  bool changed = true;
  if (reference_) {
    if (identical) {
      m.difference = 0.0;
      changed = false;
    } else if (auto diff = compare(*reference_, picture)) {
      m.difference = diff->max_tile;
      changed = diff->max_tile > m.change_threshold;
    }
    if (m.difference && picture.noise > 0) m.difference_vs_noise = *m.difference / (kNoiseDifference * picture.noise);
  }
  if (changed) {
    reference_ = picture;
    reference_time_ = time;
  }
  d.unchanged = !changed;
  m.seconds_unchanged = std::chrono::duration<double>(time - reference_time_).count();

  d.dark = m.mean <= checks_.black_max_mean;
  d.flat = m.stddev <= checks_.flat_max_stddev;
  d.blurred = m.gradient <= checks_.covered_max_gradient;
  d.black = d.dark && d.flat;
  // A dark picture that is blurred but not flat is neither: a dim room at night has soft
  // edges, and a dark lens cover is flat enough to be black.
  d.covered = !d.dark && (d.flat || d.blurred);

  const std::string detail = detail_json(d);
  step(black_, FaultKind::Black, d.black, time, detail, events);
  step(covered_, FaultKind::Covered, d.covered, time, detail, events);
  const bool frozen_now = d.unchanged && m.seconds_unchanged >= checks_.frozen_seconds;
  if (frozen_now && !frozen_) {
    frozen_ = true;
    events.push_back(FaultEvent{FaultKind::Frozen, true, reference_time_, detail});
  } else if (!d.unchanged && frozen_) {
    frozen_ = false;
    events.push_back(FaultEvent{FaultKind::Frozen, false, time, detail});
  }
  d.events = std::move(events);
  previous_decision_ = d;
  return d;
}

std::vector<FaultEvent> Detector::close(UtcTime at) {
  std::vector<FaultEvent> events;
  const std::string detail = previous_decision_ ? detail_json(*previous_decision_) : std::string("{}");
  if (black_.on) events.push_back(FaultEvent{FaultKind::Black, false, at, detail});
  if (covered_.on) events.push_back(FaultEvent{FaultKind::Covered, false, at, detail});
  if (frozen_) events.push_back(FaultEvent{FaultKind::Frozen, false, at, detail});
  black_ = {};
  covered_ = {};
  frozen_ = false;
  reference_.reset();
  previous_.reset();
  previous_hash_.reset();
  previous_decision_.reset();
  last_time_.reset();
  return events;
}

bool Detector::suspect() const {
  if (black_.on || covered_.on || frozen_ || black_.streak > 0 || covered_.streak > 0) return true;
  if (!previous_decision_) return false;
  const Decision& d = *previous_decision_;
  return d.dark || d.flat || d.blurred || d.unchanged;
}

}  // namespace carekeep::content
