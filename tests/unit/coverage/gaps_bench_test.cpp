// Cost of the pure gap finder at the scale: 90 days x 16 cameras x 8 zones (two cameras
// per zone), minute segments with a short outage every hour. Hidden tag: run it with
// `coverage_test "[.bench]"`; it prints the time (no timed assertion: the 1 s target,
// SQLite read included, is measured by tools/bench/coverage_bench).
#include <chrono>
#include <cstdio>

#include <catch2/catch.hpp>

#include "coverage/gaps.hpp"
#include "helpers.hpp"

using namespace carekeep;
using namespace carekeep::test;

TEST_CASE("gap finder over 90 days of 16 cameras in 8 zones", "[.bench]") {
  constexpr int kDays = 90;
  constexpr int kCameras = 16;
  const double day = 86400;
  coverage::SiteEvidence site;
  site.daemon_runs.push_back(daemon_run(0, std::nullopt));
  std::vector<coverage::CameraEvidence> cameras(kCameras);
  for (int c = 0; c < kCameras; ++c) {
    auto& e = cameras[static_cast<std::size_t>(c)];
    e.camera_id = "cam-" + std::to_string(c);
    index::RunId run_id = 1;
    // One run per hour; the camera is down for 5 s (+c s) at the start of each hour.
    for (int h = 0; h < kDays * 24; ++h) {
      double start = h * 3600.0 + 5 + c;
      e.runs.push_back(run(run_id, e.camera_id, start, h * 3600.0 + 3600, "stream_ended"));
      e.events.push_back(down(e.camera_id, h * 3600.0, "refused"));
      e.events.push_back(up(e.camera_id, start));
      for (double t = start; t < h * 3600.0 + 3600; t += 60)
        e.segments.push_back(segment(t, std::min(t + 60, h * 3600.0 + 3600), index::SegmentState::Closed,
                                     "", run_id));
      ++run_id;
    }
  }
  std::vector<care::Interval> care;
  for (int d = 0; d < kDays; ++d) care.push_back(care_between(d * day + 7.5 * 3600, d * day + 18.5 * 3600));

  auto begin = std::chrono::steady_clock::now();
  std::size_t gaps = 0;
  for (int z = 0; z < 8; ++z) {
    coverage::ZoneQuery query{"zone-" + std::to_string(z), care, std::chrono::seconds(2), at(kDays * day)};
    std::vector<const coverage::CameraEvidence*> pair{&cameras[static_cast<std::size_t>(2 * z)],
                                                      &cameras[static_cast<std::size_t>(2 * z + 1)]};
    gaps += coverage::find_gaps(query, pair, site).size();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  std::printf("coverage bench: %d days x %d cameras x 8 zones: %zu gaps in %.3f s\n", kDays, kCameras, gaps, seconds);
  // Both cameras of a zone are down together for 5 s every hour (cameras 2z and 2z+1 come
  // back 1 s apart): 11 care hours a day, minus the 07:30 start that falls mid-hour.
  CHECK(gaps == static_cast<std::size_t>(8 * kDays * 11));
}
