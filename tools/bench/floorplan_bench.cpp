// floorplan_bench: time to compute every camera's visible area and every zone's covered share
// and parts for a 10-room, 16-camera plan (issue 18 target: at most 50 ms). Two rows of five
// 5 x 4 m rooms along a 2 m corridor wall, a doorway into each room, a cupboard in each, 16
// cameras in the rooms' corners (range from the default 1920 px rule), 10 zones of one room.
//   floorplan_bench [--runs N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "config/load.hpp"
#include "floorplan/floorplan.hpp"

int main(int argc, char** argv) {
  int runs = 20;
  if (argc == 3 && std::strcmp(argv[1], "--runs") == 0) runs = std::atoi(argv[2]);
  std::ostringstream t;
  t << "[site]\nname = \"bench\"\ntimezone = \"UTC\"\nstorage = \"/s\"\ndatabase = \"/d.db\"\n[care_hours]\nmonday = "
       "[\"08:00-18:00\"]\n";
  for (int c = 0; c < 16; ++c) t << "[[camera]]\nid = \"cam-" << c << "\"\nurl = \"rtsp://127.0.0.1/" << c << "\"\n";
  for (int r = 0; r < 10; ++r) {
    t << "[[zone]]\nid = \"room-" << r << "\"\ncameras = [\"cam-" << r << "\"";
    if (r < 6) t << ", \"cam-" << r + 10 << "\"";
    t << "]\n";
  }
  t << "[floorplan]\n";
  for (int r = 0; r < 10; ++r) {
    double x = (r % 5) * 5.0, y = r < 5 ? 0.0 : 6.0;  // corridor y 4..6
    t << "[[floorplan.room]]\nid = \"room-" << r << "\"\nchildren = true\noutline = [[" << x << ", " << y << "], [" << x + 5
      << ", " << y << "], [" << x + 5 << ", " << y + 4 << "], [" << x << ", " << y + 4 << "]]\n";
    double wall_y = r < 5 ? y + 4 : y;
    t << "[[floorplan.wall]]\npoints = [[" << x << ", " << wall_y << "], [" << x + 2 << ", " << wall_y << "]]\n";
    t << "[[floorplan.wall]]\npoints = [[" << x + 3 << ", " << wall_y << "], [" << x + 5 << ", " << wall_y << "]]\n";
    t << "[[floorplan.wall]]\npoints = [[" << x + 5 << ", " << y << "], [" << x + 5 << ", " << y + 4 << "]]\n";
    t << "[[floorplan.furniture]]\noutline = [[" << x + 3.5 << ", " << y + 1 << "], [" << x + 4.5 << ", " << y + 1
      << "], [" << x + 4.5 << ", " << y + 2.5 << "], [" << x + 3.5 << ", " << y + 2.5 << "]]\n";
  }
  t << "[[floorplan.room]]\nid = \"corridor\"\noutline = [[0, 4], [25, 4], [25, 6], [0, 6]]\n";
  for (int c = 0; c < 16; ++c) {
    int r = c % 10;
    double x = (r % 5) * 5.0 + (c < 10 ? 0.1 : 4.9), y = (r < 5 ? 0.0 : 6.0) + (c < 10 ? 0.1 : 3.9);
    t << "[[floorplan.camera]]\ncamera = \"cam-" << c << "\"\nposition = [" << x << ", " << y << "]\ndirection = "
      << (c < 10 ? 45 : 225) << "\nfov = 100\n";
  }
  auto outcome = carekeep::config::parse(t.str(), "bench.toml");
  if (!outcome.ok()) {
    for (const auto& d : outcome.diagnostics) std::fprintf(stderr, "%s\n", carekeep::config::format(d).c_str());
    return 1;
  }
  std::vector<double> ms;
  double share = 0;
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto coverage = carekeep::floorplan::compute(*outcome.config);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    share = coverage.zones.front().covered_percent();
  }
  std::sort(ms.begin(), ms.end());
  std::printf("floorplan_bench: 10 rooms, 16 cameras, 10 zones, %d runs: min %.1f ms, median %.1f ms, max %.1f ms "
              "(room-0 covered %.1f %%)\n",
              runs, ms.front(), ms[ms.size() / 2], ms.back(), share);
  return 0;
}
