// content/analyzer on synthetic luma planes: what black, covered and frozen mean, that a
// static but noisy room is not frozen, the noise estimate, and the start/end rules of faults.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "content/analyzer.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using content::Detector;
using content::FaultKind;

namespace {

const UtcTime kT0 = from_us(1'795'000'000'000'000);

struct Plane {
  int width = 320;
  int height = 240;
  std::vector<std::uint8_t> pixels = std::vector<std::uint8_t>(static_cast<std::size_t>(width * height));
  std::uint8_t& at(int x, int y) { return pixels[static_cast<std::size_t>(y * width + x)]; }
  content::LumaView view() const { return {pixels.data(), width, height, width}; }
};

// A room: a wall gradient, a floor, a window and a cot (edges of 60-150 luma levels).
Plane room() {
  Plane p;
  for (int y = 0; y < p.height; ++y) {
    for (int x = 0; x < p.width; ++x) {
      int v = y < 150 ? 170 - 40 * y / 150 : 95 - 20 * (y - 150) / 90;
      if (x > 200 && x < 280 && y > 24 && y < 100) v = 225;
      if (x > 24 && x < 130 && y > 120 && y < 190) v = 60;
      p.at(x, y) = static_cast<std::uint8_t>(v);
    }
  }
  return p;
}

Plane filled(std::uint8_t value) {
  Plane p;
  std::fill(p.pixels.begin(), p.pixels.end(), value);
  return p;
}

// Adds Gaussian noise of `sigma`, different for each seed (a sensor's fresh noise per frame).
Plane noisy(Plane p, double sigma, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, sigma);
  for (auto& v : p.pixels) v = static_cast<std::uint8_t>(std::clamp(std::lround(v + noise(rng)), 0L, 255L));
  return p;
}

// A hand on the lens: warm light, a faint vignette, nothing in focus.
Plane covered() {
  Plane p;
  for (int y = 0; y < p.height; ++y) {
    for (int x = 0; x < p.width; ++x) {
      double dx = (2.0 * x - p.width) / p.width;
      double dy = (2.0 * y - p.height) / p.height;
      p.at(x, y) = static_cast<std::uint8_t>(130 - 12 * (dx * dx + dy * dy));
    }
  }
  return p;
}

content::Picture measure(const Plane& p) { return content::measure(p.view()); }

config::ContentChecks checks() {
  config::ContentChecks c;
  c.sample_seconds = 5;
  c.frozen_seconds = 60;
  return c;
}

}  // namespace

TEST_CASE("measure reports brightness, flatness, blur and sensor noise of a picture", "[content]") {
  auto black = measure(filled(16));
  CHECK(black.mean == Approx(16));
  CHECK(black.stddev == Approx(0).margin(1e-9));
  CHECK(black.gradient == Approx(0).margin(1e-9));
  CHECK(black.noise == Approx(0).margin(1e-9));

  auto scene = measure(room());
  CHECK(scene.stddev > 30);
  CHECK(scene.gradient > 3);
  CHECK(scene.noise < 0.3);  // the scene's edges are not mistaken for noise

  // The robust estimate recovers the noise added to the room within 25 %.
  for (double sigma : {1.5, 3.0, 6.0}) {
    CAPTURE(sigma);
    auto n = measure(noisy(room(), sigma, 7));
    CHECK(n.noise == Approx(sigma).epsilon(0.25));
  }

  auto hand = measure(covered());
  CHECK(hand.mean > 100);
  CHECK(hand.gradient < 1.0);
}

TEST_CASE("black is dark and flat, covered is flat or blurred but not dark, a room is neither", "[content]") {
  struct Case {
    const char* name;
    Plane plane;
    bool black;
    bool covered;
  };
  std::vector<Case> cases{
      {"black", noisy(filled(16), 1.0, 1), true, false},
      {"covered", noisy(covered(), 1.0, 2), false, true},
      {"grey card", filled(128), false, true},
      {"room", noisy(room(), 2.0, 3), false, false},
      {"dark room", noisy(Plane{[] {
                               auto p = room();
                               for (auto& v : p.pixels) v = static_cast<std::uint8_t>(v / 5 + 4);
                               return p;
                             }()},
                             1.0, 4),
       false, false},
  };
  for (auto& c : cases) {
    CAPTURE(c.name);
    Detector detector{checks()};
    auto d = detector.observe(kT0, measure(c.plane), 1);
    CHECK(d.black == c.black);
    CHECK(d.covered == c.covered);
  }
}

TEST_CASE("black starts after two samples in a row, at the first, and ends the same way", "[content]") {
  Detector detector{checks()};
  auto t = kT0;
  unsigned seed = 0;
  auto live = [&] {
    ++seed;
    return detector.observe(t, measure(noisy(room(), 2.0, seed)), seed);
  };
  auto dark = [&] {
    ++seed;
    return detector.observe(t, measure(noisy(filled(16), 0.5, seed)), seed);
  };
  CHECK(live().events.empty());
  t += 5s;
  CHECK(dark().events.empty());  // one odd keyframe is not a fault
  t += 5s;
  CHECK(live().events.empty());
  t += 5s;
  CHECK(dark().events.empty());
  const auto first_dark = t;
  t += 5s;
  auto started = dark();
  REQUIRE(started.events.size() == 1);
  CHECK(started.events[0].kind == FaultKind::Black);
  CHECK(started.events[0].started);
  CHECK(started.events[0].at == first_dark);
  auto detail = nlohmann::json::parse(started.events[0].detail);
  CHECK(detail["mean"].get<double>() < 20);
  CHECK(detail["thresholds"]["black_max_mean"].get<double>() == 40);
  CHECK(detector.is_open(FaultKind::Black));
  t += 5s;
  const auto first_live = t;
  CHECK(live().events.empty());
  t += 5s;
  auto ended = live();
  REQUIRE(ended.events.size() == 1);
  CHECK_FALSE(ended.events[0].started);
  CHECK(ended.events[0].at == first_live);
}

TEST_CASE("a still picture is frozen after frozen_seconds, a noisy empty room never", "[content]") {
  const auto still = noisy(room(), 2.0, 99);  // noise frozen into the picture
  Detector frozen{checks()};
  Detector room_cam{checks()};
  std::vector<content::FaultEvent> frozen_events;
  std::vector<content::FaultEvent> room_events;
  for (int i = 0; i <= 36; ++i) {  // 180 s, a sample every 5 s
    auto t = kT0 + i * 5s;
    auto a = frozen.observe(t, measure(still), static_cast<std::uint64_t>(1000 + i));
    auto b = room_cam.observe(t, measure(noisy(room(), 2.0, static_cast<unsigned>(i))), static_cast<std::uint64_t>(i));
    frozen_events.insert(frozen_events.end(), a.events.begin(), a.events.end());
    room_events.insert(room_events.end(), b.events.begin(), b.events.end());
    CHECK_FALSE(b.unchanged);
    if (i > 0) {
      REQUIRE(b.measurement.difference_vs_noise);
      CHECK(*b.measurement.difference_vs_noise > 0.8);  // fresh noise: about 1
      CHECK(*a.measurement.difference == Approx(0).margin(1e-9));
    }
    if (i == 11) CHECK_FALSE(frozen.is_open(FaultKind::Frozen));  // 55 s unchanged
    if (i == 12) CHECK(frozen.is_open(FaultKind::Frozen));        // 60 s
  }
  CHECK(room_events.empty());
  REQUIRE(frozen_events.size() == 1);
  CHECK(frozen_events[0].kind == FaultKind::Frozen);
  CHECK(frozen_events[0].at == kT0);  // the stretch began with the first sample
  auto detail = nlohmann::json::parse(frozen_events[0].detail);
  CHECK(detail["seconds_unchanged"].get<double>() == 60);
  CHECK(detail["difference"].get<double>() == 0);

  // The first change ends it, at that sample.
  auto moved = still;
  for (int y = 100; y < 140; ++y)
    for (int x = 150; x < 190; ++x) moved.at(x, y) = 200;  // a child walks in: one tile changes
  auto end = frozen.observe(kT0 + 185s, measure(moved), 5);
  REQUIRE(end.events.size() == 1);
  CHECK_FALSE(end.events[0].started);
  CHECK(end.events[0].at == kT0 + 185s);
}

TEST_CASE("identical keyframes count as unchanged without decoding", "[content]") {
  Detector detector{checks()};
  auto picture = measure(noisy(room(), 2.0, 5));
  detector.observe(kT0, picture, 42);
  REQUIRE(detector.previous_hash() == 42u);
  std::vector<content::FaultEvent> events;
  for (int i = 1; i <= 12; ++i) {
    auto d = detector.observe_identical(kT0 + i * 5s);
    CHECK(d.unchanged);
    CHECK(d.measurement.identical_keyframe);
    events.insert(events.end(), d.events.begin(), d.events.end());
  }
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == FaultKind::Frozen);
}

TEST_CASE("a hole in the samples ends a frozen stretch, close() ends every open fault", "[content]") {
  auto c = checks();
  c.frozen_seconds = 10;
  Detector detector{c};
  auto still = measure(filled(16));
  for (int i = 0; i <= 3; ++i) detector.observe(kT0 + i * 5s, still, static_cast<std::uint64_t>(i));
  REQUIRE(detector.is_open(FaultKind::Frozen));
  REQUIRE(detector.is_open(FaultKind::Black));
  // The stream was down for a minute: nothing is known about that time.
  auto after = detector.observe(kT0 + 75s, still, 9);
  REQUIRE(after.events.size() == 1);
  CHECK(after.events[0].kind == FaultKind::Frozen);
  CHECK_FALSE(after.events[0].started);
  CHECK(after.events[0].at == kT0 + 15s);
  CHECK(detector.is_open(FaultKind::Black));
  auto closed = detector.close(kT0 + 80s);
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].kind == FaultKind::Black);
  CHECK(closed[0].at == kT0 + 80s);
  CHECK_FALSE(detector.is_open(FaultKind::Black));
}
