// bench/synthetic_site: the site and index that report_bench and coverage_bench measure
// (issues 5 and 7: 16 cameras, 8 zones, 90 days). Single-threaded; writing the index blocks for
// about a minute at the default size. Exits the process on any failure (a benchmark has nobody
// to return an error to).
//
// C cameras (two per zone) x D days of 60 s segments in Asia/Shanghai, care hours Monday to
// Friday 07:30-18:30, protect_until 90 days after the end for care footage. Every camera has
// one outage a day (a run ended "refused", a down and an up event) of 2-10 minutes at a random
// time; on every third day both cameras of a zone are down together, so that zone has a gap.
// Plus 300 access-log rows, 200 alerts and 5 clock events. Rows are written straight with SQL
// (the index's statements would do the same work, slower).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>

#include "base/error.hpp"
#include "base/time.hpp"
#include "care/calendar.hpp"
#include "config/config.hpp"

namespace carekeep::bench {

struct Site {
  std::filesystem::path root;  // index.db and media/ inside
  config::Config config;
  care::CareCalendar calendar;
  UtcTime first;               // the first local midnight of the footage (a Monday)
  UtcTime last;                // first + days
  std::int64_t rows = 0;       // segment rows written (0 when an existing index was reused)

  std::filesystem::path index_path() const { return root / "index.db"; }
};

// The site's configuration and calendar for `cameras` (even, >= 2) and `days` in `root`;
// writes the index at root/index.db unless `reuse` (an index an earlier run left there).
Site make_site(const std::filesystem::path& root, int cameras, int days, bool reuse);

// Prints "bench: <what>: <message>" and exits 1 on failure.
[[noreturn]] void die(const char* what, const Error& error);
template <class T>
T must(Result<T> r, const char* what) {
  if (!r) die(what, r.error());
  return std::move(*r);
}
inline void must(Status s, const char* what) {
  if (!s) die(what, s.error());
}

// CPU time of this process in ms: on a shared machine wall time measures the neighbours too.
double cpu_ms();

// Wall and CPU time of one call, in ms.
struct Phase {
  double wall = 0;
  double cpu = 0;
};
template <class F>
Phase timed(F&& f) {
  auto w = std::chrono::steady_clock::now();
  double c = cpu_ms();
  f();
  return {std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - w).count(), cpu_ms() - c};
}

// The command-line options every bench of this site takes.
struct SiteOptions {
  int cameras = 16;
  int days = 90;
  std::filesystem::path dir = "/var/tmp";
  bool keep = false;
  std::filesystem::path reuse;  // an index a --keep run left behind: skip generating
};
// Their lines for --help.
extern const char* const kSiteOptionsHelp;
// If argv[i] is one of them, reads it (and its value, advancing i) and returns true. A flag
// without its value calls usage(2); so does a site that cannot be built (odd --cameras).
bool parse_site_option(int argc, char** argv, int& i, SiteOptions& options, void (*usage)(int));
// A new directory <dir>/<prefix>-XXXXXX, or the --reuse one; exits 1 if it cannot be made.
std::filesystem::path site_dir(const SiteOptions& options, const char* prefix);
// Removes what site_dir made, unless --keep or --reuse.
void remove_site_dir(const SiteOptions& options, const std::filesystem::path& root);

}  // namespace carekeep::bench
