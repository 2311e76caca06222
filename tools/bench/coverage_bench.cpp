// coverage_bench: the coverage checker at the issue's scale, SQLite read included (issue 5:
// 90 days x 16 cameras x 8 zones from a synthetic index, target <= 1 s).
//
// Builds the synthetic site of synthetic_site.hpp (the same index report_bench measures: 2.07 M
// minute segments at the defaults), opens it read-only as `carekeep gaps` does, and measures,
// --runs times each:
//   - the segment span read alone (Index::segment_spans of every camera over the period);
//   - coverage::load_evidence: every read compute_gaps makes (spans, runs, events, faults);
//   - coverage::find_gaps over that evidence: the pure part;
//   - coverage::compute_gaps for all zones: the two together, the number the target is about.
// With --migration, then measures migration 0004 on a copy of the index: the copy is taken back
// to schema version 3 (0004's indexes dropped, segment_by_camera_start rebuilt, user_version 3,
// checkpointed), then Index::open_writer migrates it, as carekeepd does before READY.
//
//   coverage_bench [--cameras 16] [--days 90] [--runs 3] [--dir /var/tmp] [--keep] [--reuse DIR]
//                  [--migration]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "coverage/compute.hpp"
#include "index/index.hpp"
#include "synthetic_site.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;
using bench::must;

namespace {

struct Options {
  bench::SiteOptions site;
  int runs = 3;
  bool migration = false;
};

[[noreturn]] void usage(int code) {
  std::fprintf(code == 0 ? stdout : stderr,
               "usage: coverage_bench [--cameras N] [--days N] [--runs N] [--dir DIR] [--keep] [--reuse DIR]\n"
               "                      [--migration]\n%s"
               "  --runs       times each phase is measured (default 3)\n"
               "  --migration  also time migration 0004 on a copy taken back to version 3\n",
               bench::kSiteOptionsHelp);
  std::exit(code);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (bench::parse_site_option(argc, argv, i, o.site, usage)) continue;
    if (a == "--runs" && i + 1 < argc) o.runs = std::stoi(argv[++i]);
    else if (a == "--migration") o.migration = true;
    else if (a == "--help" || a == "-h") usage(0);
    else usage(2);
  }
  if (o.runs < 1) usage(2);
  return o;
}

using bench::Phase;
using bench::timed;

void line(const char* what, Phase p, const std::string& note) {
  std::printf("  %-44s %8.0f ms %8.0f ms  %s\n", what, p.wall, p.cpu, note.c_str());
}

// Schema version 3 as far as 0004 changed it (lib/index/migrations/0004_read_indexes.sql).
constexpr std::string_view kBackToVersion3Sql = R"sql(
  drop index segment_span;
  drop index segment_unusual;
  drop index segment_early_deletion;
  create index segment_by_camera_start on segment (camera_id, start_us);
  pragma user_version = 3;
)sql";

double megabytes(const std::filesystem::path& p) {
  std::error_code ec;
  auto size = std::filesystem::file_size(p, ec);
  return ec ? 0.0 : static_cast<double>(size) / 1e6;
}

void measure_migration(const std::filesystem::path& index_path) {
  const auto copy = index_path.parent_path() / "migration.db";
  std::filesystem::remove(copy);
  std::filesystem::remove(copy.string() + "-wal");
  std::filesystem::remove(copy.string() + "-shm");
  std::filesystem::copy_file(index_path, copy);
  std::int64_t pages_v3 = 0;
  {
    auto db = must(sqlite::Connection::open_writer(copy), "opening the copy");
    must(db.exec(kBackToVersion3Sql), "taking the copy back to version 3");
    // VACUUM: a file of version 3 has no free pages where 0004's indexes were.
    must(db.exec("vacuum"), "vacuum");
    must(db.exec("pragma wal_checkpoint(truncate)"), "checkpoint");
    pages_v3 = must(db.query_int64("pragma page_count"), "page count") -
               must(db.query_int64("pragma freelist_count"), "freelist");
  }
  const double before = megabytes(copy);
  std::int64_t pages_v4 = 0;
  auto t = timed([&] {
    auto index = must(index::Index::open_writer(copy), "migrating the copy");
    pages_v4 = must(index.connection().query_int64("pragma page_count"), "page count") -
               must(index.connection().query_int64("pragma freelist_count"), "freelist");
  });
  const double wal = megabytes(copy.string() + "-wal");
  char note[160];
  std::snprintf(note, sizeof note, "file %.1f -> %.1f MB, used pages %+.1f %%, WAL %.1f MB after", before,
                megabytes(copy), 100.0 * static_cast<double>(pages_v4 - pages_v3) / static_cast<double>(pages_v3),
                wal);
  line("migration 0004 (Index::open_writer, v3 copy)", t, note);
  std::filesystem::remove(copy);
  std::filesystem::remove(copy.string() + "-wal");
  std::filesystem::remove(copy.string() + "-shm");
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  const std::filesystem::path root = bench::site_dir(opt.site, "carekeep-coverage-bench");
  auto gen_start = Steady::now();
  const bench::Site site = bench::make_site(root, opt.site.cameras, opt.site.days, !opt.site.reuse.empty());
  const double gen_s = std::chrono::duration<double>(Steady::now() - gen_start).count();
  std::printf("coverage_bench: %d cameras, %d zones, %d days of 60 s segments (%lld rows written), care Mon-Fri "
              "07:30-18:30; in %s\n",
              opt.site.cameras, opt.site.cameras / 2, opt.site.days, static_cast<long long>(site.rows), root.c_str());
  std::printf("  %-44s %9.1f s  (not a target)\n", "generate the index", gen_s);
  std::printf("  %-44s %11s %11s\n", "", "wall", "CPU");

  // Opening runs the same schema checks as `carekeep gaps`; the index was written (or checked
  // by a previous run) just before, so its pages are in the page cache: a warm read.
  auto index = must(index::Index::open_reader(site.index_path()), "opening the index read-only");
  const index::TimeRange range{site.first, site.last};
  const UtcTime now = site.last + 1h;
  for (int run = 0; run < opt.runs; ++run) {
    std::size_t spans = 0;
    auto spans_t = timed([&] {
      for (const auto& c : site.config.cameras) spans += must(index.segment_spans(c.id, range), "spans").size();
    });
    coverage::RangeEvidence evidence;
    auto load_t = timed([&] { evidence = must(coverage::load_evidence(index, site.config, range, std::nullopt, now), "load"); });
    std::size_t found = 0;
    auto find_t = timed([&] {
      found = must(coverage::find_gaps(evidence, site.config, site.calendar, std::nullopt), "find").size();
    });
    evidence = {};
    std::size_t computed = 0;
    auto compute_t = timed([&] {
      computed =
          must(coverage::compute_gaps(index, site.config, site.calendar, range, std::nullopt, false, now), "compute")
              .size();
    });
    std::printf(" run %d\n", run + 1);
    line("read segment spans (all cameras)", spans_t, std::to_string(spans) + " spans");
    line("load_evidence (every read of compute_gaps)", load_t, "");
    line("find_gaps over the loaded evidence", find_t, std::to_string(found) + " gaps");
    line("compute_gaps, all zones (read + find)", compute_t, std::to_string(computed) + " gaps; target <= 1000 ms");
  }
  if (opt.migration) measure_migration(site.index_path());

  bench::remove_site_dir(opt.site, root);
  return 0;
}
