// retention_bench: how fast a retention pass is on a box that has recorded for months
// (PRODUCT.md §9: "retention queries stay fast at 90 days × 16 cameras of 60 s segments").
//
// Builds a synthetic index in a temporary directory: C cameras × D days of 60 s segments in
// Asia/Shanghai, care hours Monday to Friday 07:30-18:30, protect_until from the real policy,
// and the steady state retention would have left at the end: rows whose retention ended are
// tombstones ('deleted'), the rest 'closed'. Rows written straight with SQL (the index's
// statements would do the same work, slower). Tiny files are created for the rows that expire
// during the following day, so that deleting them includes real unlinks.
//
// Then measures: the index size; a pass with nothing to delete (load candidates + plan, plus
// measure() = statvfs + footage sum); a pass under disk pressure; one day later, a pass that
// deletes a day's worth of footage of all cameras, unlinks included; complete_interrupted()
// with nothing to do. Prints a table.
//
//   retention_bench [--cameras 16] [--days 120] [--file-bytes 1024] [--dir /var/tmp] [--keep]
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "care/calendar.hpp"
#include "config/config.hpp"
#include "index/index.hpp"
#include "retention/deleter.hpp"
#include "retention/planner.hpp"
#include "retention/protection.hpp"
#include "retention/storage.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

namespace {

struct Options {
  int cameras = 16;
  int days = 120;
  int file_bytes = 1024;
  std::filesystem::path dir = "/var/tmp";
  bool keep = false;
};

[[noreturn]] void usage(int code) {
  std::fprintf(code == 0 ? stdout : stderr,
               "usage: retention_bench [--cameras N] [--days N] [--file-bytes N] [--dir DIR] [--keep]\n"
               "  --cameras     cameras of 60 s segments (default 16)\n"
               "  --days        days of footage (default 120)\n"
               "  --file-bytes  size of the files made for the segments deleted in the one-day step\n"
               "                (default 1024; 0: no files, unlinks find nothing)\n"
               "  --dir         where to make the temporary index and storage (default /var/tmp)\n"
               "  --keep        leave them there\n");
  std::exit(code);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(2);
      return argv[++i];
    };
    if (a == "--cameras") o.cameras = std::stoi(value());
    else if (a == "--days") o.days = std::stoi(value());
    else if (a == "--file-bytes") o.file_bytes = std::stoi(value());
    else if (a == "--dir") o.dir = value();
    else if (a == "--keep") o.keep = true;
    else if (a == "--help" || a == "-h") usage(0);
    else usage(2);
  }
  if (o.cameras < 1 || o.days < 2 || o.file_bytes < 0) usage(2);
  return o;
}

double ms_since(Steady::time_point t) { return std::chrono::duration<double, std::milli>(Steady::now() - t).count(); }

template <class T>
T must(Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "retention_bench: %s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(*r);
}
void must(Status s, const char* what) {
  if (!s) {
    std::fprintf(stderr, "retention_bench: %s: %s\n", what, s.error().message.c_str());
    std::exit(1);
  }
}

// Fastest of `n` runs and the first one, in ms.
struct Timing {
  double first = 0;
  double best = 0;
};
Timing time_runs(int n, const std::function<void()>& f) {
  Timing t;
  for (int i = 0; i < n; ++i) {
    auto start = Steady::now();
    f();
    double ms = ms_since(start);
    if (i == 0) t.first = t.best = ms;
    t.best = std::min(t.best, ms);
  }
  return t;
}

void row(const char* what, const std::string& value, const std::string& note = "") {
  std::printf("  %-44s %16s  %s\n", what, value.c_str(), note.c_str());
}
std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}
std::string count(std::int64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

constexpr std::string_view kInsertSql = R"sql(
  insert into segment (id, camera_id, run_id, seq, start_us, duration_us, end_us, path, size_bytes, frames, keyframes,
                       video_codec, width, height, sha256, chain_sha256, state, state_detail, protect_until_us,
                       created_us, closed_us, deleted_us)
  values (:id, :camera_id, :run_id, :seq, :start_us, 60000000, :end_us, :path, :size_bytes, 1500, 60, 'h264', 1920,
          1080, :sha256, :chain_sha256, :state, :state_detail, :protect_until_us, :start_us, :end_us, :deleted_us)
)sql";

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  const TimeZone zone = must(TimeZone::locate("Asia/Shanghai"), "time zone");
  config::CareHours hours;
  for (int d = 0; d < 5; ++d)
    hours.weekly[static_cast<std::size_t>(d)] = {must(config::parse_hour_range("07:30-18:30"), "hours")};
  care::CareCalendar calendar(hours, zone);
  config::Retention retention;  // care_days 90, other_days 7, min_free_percent 5
  auto policy = retention::make_protection_policy(retention, calendar);

  std::string pattern = (opt.dir / "carekeep-retention-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::perror("retention_bench: mkdtemp");
    return 1;
  }
  const std::filesystem::path root = pattern;
  const std::filesystem::path storage = root / "media";
  std::filesystem::create_directories(storage);
  auto index = must(index::Index::open_writer(root / "index.db"), "opening the index");

  const LocalDays first_day = must(parse_date("2026-03-02"), "date");  // a Monday
  const UtcTime first = zone.to_utc(LocalTime{first_day});
  const UtcTime now = first + date::days{opt.days};
  const UtcTime tomorrow = now + date::days{1};
  const Micros other = date::days{retention.other_days};

  // ---- generate ----------------------------------------------------------------------------
  auto gen_start = Steady::now();
  std::vector<index::ConfiguredCamera> cameras;
  for (int c = 0; c < opt.cameras; ++c) {
    char id[16];
    std::snprintf(id, sizeof id, "cam-%02d", c);
    cameras.push_back({id, id});
  }
  must(index.sync_cameras(cameras, first), "cameras");
  auto daemon = must(index.begin_daemon_run({first, "bench", 1, "bench"}), "daemon run");
  std::mt19937_64 rng(7);
  std::vector<index::RetentionRow> doomed_tomorrow;  // rows whose files the bench makes
  std::int64_t rows_total = 0;
  std::int64_t rows_live = 0;
  std::int64_t id = 0;
  {
    std::optional<sqlite::Transaction> tx;
    tx.emplace(must(index.transaction(), "begin"));
    auto insert = must(index.connection().prepare(kInsertSql), "prepare");
    std::array<std::uint8_t, 32> hash{};
    std::array<std::uint8_t, 32> chain{};
    for (int d = 0; d < opt.days; ++d) {
      const LocalDays local_day = first_day + date::days{d};
      const std::string date_text = format_date(local_day);
      const UtcTime day_start = zone.to_utc(LocalTime{local_day});
      const UtcTime day_end = zone.to_utc(LocalTime{local_day + date::days{1}});
      for (int c = 0; c < opt.cameras; ++c) {
        const std::string& camera = cameras[static_cast<std::size_t>(c)].id;
        auto run = must(index.begin_run(camera, daemon, day_start), "run");
        std::int64_t seq = 0;
        for (UtcTime start = day_start + Micros{c * 1'700'000}; start < day_end; start += 60s, ++seq) {
          const UtcTime end = start + 60s;
          auto protect = policy(camera, start, end);
          const bool gone = protect ? *protect <= now : end + other <= now;
          for (auto& b : hash) b = static_cast<std::uint8_t>(rng());
          for (auto& b : chain) b = static_cast<std::uint8_t>(rng());
          auto local = zone.to_local(start);
          auto tod = date::make_time(local - date::floor<date::days>(local));
          char name[64];
          std::snprintf(name, sizeof name, "/%02d%02d%02d-%lld.mp4", static_cast<int>(tod.hours().count()),
                        static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()),
                        static_cast<long long>(seq));
          std::string path = camera + "/" + date_text + name;
          const std::int64_t size = 14'000'000 + static_cast<std::int64_t>(rng() % 2'000'000);  // ≈ 2 Mbit/s
          insert.bind(":id", ++id)
              .bind(":camera_id", camera)
              .bind(":run_id", run)
              .bind(":seq", seq)
              .bind(":start_us", to_us(start))
              .bind(":end_us", to_us(end))
              .bind(":path", path)
              .bind(":size_bytes", size)
              .bind(":sha256", sqlite::Blob(hash))
              .bind(":chain_sha256", sqlite::Blob(chain))
              .bind(":state", gone ? "deleted" : "closed")
              .bind(":state_detail", gone ? (protect ? "deleted by retention (expired_protected): care-hours "
                                                       "protection ended 2026-06-01T00:00:00Z"
                                                     : "deleted by retention (expired): outside care hours, older "
                                                       "than other_days")
                                          : "")
              .bind(":protect_until_us", protect ? std::optional<std::int64_t>(to_us(*protect)) : std::nullopt)
              .bind(":deleted_us", gone ? std::optional<std::int64_t>(to_us(now)) : std::nullopt);
          must(insert.run(), "insert");
          insert.reset();
          ++rows_total;
          if (gone) continue;
          ++rows_live;
          const bool goes_tomorrow = protect ? *protect <= tomorrow : end + other <= tomorrow;
          if (goes_tomorrow)
            doomed_tomorrow.push_back({id, camera, start, end, path, size, index::SegmentState::Closed, protect});
        }
        must(index.end_run(run, day_end, "shutdown"), "run end");
      }
      if (d % 10 == 9) {  // commit now and then: bounded WAL
        must(tx->commit(), "commit");
        tx.reset();
        tx.emplace(must(index.transaction(), "begin"));
      }
    }
    must(tx->commit(), "commit");
  }
  must(index.connection().exec("pragma wal_checkpoint(truncate)"), "checkpoint");
  const double gen_ms = ms_since(gen_start);
  auto file_start = Steady::now();
  if (opt.file_bytes > 0) {
    const std::string content(static_cast<std::size_t>(opt.file_bytes), 'v');
    for (const auto& r : doomed_tomorrow) {
      auto path = storage / r.path;
      std::filesystem::create_directories(path.parent_path());
      std::ofstream(path, std::ios::binary) << content;
    }
  }
  const double files_ms = ms_since(file_start);
  const auto db_bytes = std::filesystem::file_size(root / "index.db");

  std::printf(
      "retention_bench: %d cameras x %d days of 60 s segments, Asia/Shanghai, care Mon-Fri 07:30-18:30,\n"
      "care_days %d, other_days %d; index and files in %s\n\n",
      opt.cameras, opt.days, retention.care_days, retention.other_days, root.c_str());
  row("segments (rows)", count(rows_total),
      count(rows_live) + " live, " + count(rows_total - rows_live) + " tombstones");
  row("generate the index", fmt("%.1f s", gen_ms / 1000), "(not a target: bulk SQL inserts)");
  row("make files for tomorrow's deletions", fmt("%.1f s", files_ms / 1000),
      count(static_cast<std::int64_t>(doomed_tomorrow.size())) + " files of " + std::to_string(opt.file_bytes) + " B");
  row("index size", fmt("%.0f MB", static_cast<double>(db_bytes) / 1e6),
      fmt("%.0f MB per million segments",
          static_cast<double>(db_bytes) / 1e6 / (static_cast<double>(rows_total) / 1e6)));

  // ---- a pass with nothing to delete ----------------------------------------------------------
  retention::StorageState roomy;
  std::size_t candidates = 0;
  std::size_t planned = 0;
  auto measured = time_runs(5, [&] { roomy = must(retention::measure(storage, index), "measure"); });
  // The test disk's real free space is what it is; the plan gets a roomy one.
  roomy.total_bytes = roomy.footage_bytes * 2;
  roomy.free_bytes = roomy.footage_bytes;
  std::vector<index::RetentionRow> rows;
  std::vector<retention::HeldRange> holds;
  auto load = time_runs(5, [&] {
    rows = must(retention::load_candidates(index, retention, roomy, now), "candidates");
    holds = retention::resolve_holds(must(index.active_holds(), "holds"), {});
    candidates = rows.size();
  });
  retention::PlanInput input;
  input.retention = retention;
  input.now = now;
  input.protection = policy;
  auto plan_time = time_runs(5, [&] {
    input.segments = rows;
    input.holds = holds;
    input.storage = roomy;
    planned = retention::plan(input).deletions.size();
  });
  std::printf("\n  pass with nothing to delete (target <= 100 ms for candidates + plan)\n");
  row("  load candidates + holds", fmt("%.2f ms", load.best),
      fmt("first %.2f ms; ", load.first) + count(static_cast<std::int64_t>(candidates)) + " rows");
  row("  plan", fmt("%.3f ms", plan_time.best), count(static_cast<std::int64_t>(planned)) + " deletions");
  row("  measure(): statvfs + footage sum", fmt("%.1f ms", measured.best),
      fmt("first %.1f ms (covering index scan of live rows)", measured.first));
  auto interrupted = time_runs(5, [&] { must(retention::complete_interrupted(index, storage, now), "complete"); });
  row("  complete_interrupted(), nothing left", fmt("%.2f ms", interrupted.best), "");

  // ---- a pass under disk pressure (planned, not executed) ----------------------------------------
  retention::StorageState pressed = roomy;
  pressed.free_bytes = 0;  // 5 % of the total must be freed, i.e. 10 % of the footage
  std::size_t pressure_rows = 0;
  retention::Plan pressure_plan;
  auto pressure_load = time_runs(3, [&] {
    rows = must(retention::load_candidates(index, retention, pressed, now), "candidates");
    pressure_rows = rows.size();
  });
  auto pressure_plan_time = time_runs(3, [&] {
    input.segments = rows;
    input.storage = pressed;
    pressure_plan = retention::plan(input);
  });
  std::printf("\n  pass under disk pressure (every unprotected row is a candidate)\n");
  row("  load candidates", fmt("%.1f ms", pressure_load.best),
      count(static_cast<std::int64_t>(pressure_rows)) + " rows");
  row("  plan", fmt("%.1f ms", pressure_plan_time.best),
      count(static_cast<std::int64_t>(pressure_plan.deletions.size())) + " deletions, shortfall " +
          fmt("%.0f GB", static_cast<double>(pressure_plan.summary.shortfall_bytes) / 1e9));

  // ---- one day later: delete a day of footage --------------------------------------------------
  auto day_start = Steady::now();
  rows = must(retention::load_candidates(index, retention, roomy, tomorrow), "candidates");
  input.segments = rows;
  input.storage = roomy;
  input.now = tomorrow;
  auto day_plan = retention::plan(input);
  const double day_plan_ms = ms_since(day_start);
  // Batch by batch, as the daemon does (one loop turn each): the longest batch is the longest
  // the daemon's loop waits for retention while the day is deleted.
  auto exec_start = Steady::now();
  retention::Execution execution{day_plan, tomorrow};
  double longest_batch_ms = 0;
  std::size_t batches = 0;
  while (!execution.done()) {
    auto batch_start = Steady::now();
    must(execution.step(index, storage), "execute");
    longest_batch_ms = std::max(longest_batch_ms, ms_since(batch_start));
    ++batches;
  }
  const double exec_ms = ms_since(exec_start);
  auto report = execution.take_report();
  std::printf("\n  one day later: delete what expired (target <= 5 s, unlinks included)\n");
  row("  load candidates + plan", fmt("%.1f ms", day_plan_ms),
      count(static_cast<std::int64_t>(day_plan.deletions.size())) + " deletions (" +
          count(day_plan.summary.expired_protected) + " care, " + count(day_plan.summary.expired) + " other)");
  row("  execute (mark, unlink, fsync dirs, mark)", fmt("%.2f s", exec_ms / 1000),
      count(report.deleted) + " rows, " + count(report.files_removed) + " files, " +
          fmt("%.0f rows/s", static_cast<double>(report.deleted) / (exec_ms / 1000)));
  row("  longest batch (one loop turn in the daemon)", fmt("%.0f ms", longest_batch_ms),
      count(static_cast<std::int64_t>(batches)) + " batches of up to 1,000 rows");
  if (!report.findings.empty())
    std::printf("  findings: %zu, first: %s\n", report.findings.size(), report.findings[0].message.c_str());

  if (!opt.keep) std::filesystem::remove_all(root);
  return 0;
}
