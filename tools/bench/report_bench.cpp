// report_bench: how long a 90-day audit report takes on a box with 16 cameras and 8 zones
// (issue 7: target <= 2 s for all formats together; PRODUCT.md §9).
//
// Builds a synthetic index in a temporary directory: C cameras (two per zone) x D days of 60 s
// segments in Asia/Shanghai, care hours Monday to Friday 07:30-18:30, protect_until 90 days after
// the end for care footage. Every camera has one outage a day (a run ended "refused", a down and
// an up event) of 2-10 minutes at a random time; on every third day both cameras of a zone are
// down together, so that zone has a gap. Plus 300 access-log rows, 200 alerts and a few clock
// events and holds. Rows written straight with SQL (the index's statements would do the same
// work, slower).
//
// Then measures gather() (index reads + coverage) and each renderer, and write_report() for all
// formats, which is what `carekeep report` does after opening the index.
//
//   report_bench [--cameras 16] [--days 90] [--dir /var/tmp] [--keep]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "care/calendar.hpp"
#include "config/load.hpp"
#include "index/index.hpp"
#include "report/document.hpp"
#include "report/render.hpp"
#include "report/report.hpp"
#include "signing/signing.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

namespace {

struct Options {
  int cameras = 16;
  int days = 90;
  std::filesystem::path dir = "/var/tmp";
  bool keep = false;
  std::filesystem::path reuse;  // an index a --keep run left behind: skip generating
};

[[noreturn]] void usage(int code) {
  std::fprintf(code == 0 ? stdout : stderr,
               "usage: report_bench [--cameras N] [--days N] [--dir DIR] [--keep] [--reuse DIR]\n"
               "  --cameras  cameras of 60 s segments, two per zone (default 16, even)\n"
               "  --days     days of footage and of the report's period (default 90)\n"
               "  --dir      where to make the temporary index and report (default /var/tmp)\n"
               "  --keep     leave them there\n"
               "  --reuse    use the index a --keep run left in DIR (same --cameras and --days)\n");
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
    else if (a == "--dir") o.dir = value();
    else if (a == "--keep") o.keep = true;
    else if (a == "--reuse") o.reuse = value();
    else if (a == "--help" || a == "-h") usage(0);
    else usage(2);
  }
  if (o.cameras < 2 || o.cameras % 2 != 0 || o.days < 1) usage(2);
  return o;
}

template <class T>
T must(Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "report_bench: %s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(*r);
}
void must(Status s, const char* what) {
  if (!s) {
    std::fprintf(stderr, "report_bench: %s: %s\n", what, s.error().message.c_str());
    std::exit(1);
  }
}

double ms_since(Steady::time_point t) { return std::chrono::duration<double, std::milli>(Steady::now() - t).count(); }

// CPU time of this process in ms: on a shared machine wall time measures the neighbours too.
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

constexpr std::string_view kInsertSql = R"sql(
  insert into segment (camera_id, run_id, seq, start_us, duration_us, end_us, path, size_bytes, frames, keyframes,
                       video_codec, width, height, sha256, chain_sha256, state, protect_until_us, created_us, closed_us)
  values (:camera_id, :run_id, :seq, :start_us, :duration_us, :end_us, :path, 15000000, 1500, 60, 'h264', 1920, 1080,
          :sha256, :sha256, 'closed', :protect_until_us, :start_us, :end_us)
)sql";

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  std::string pattern = opt.reuse.empty() ? (opt.dir / "carekeep-report-bench-XXXXXX").string() : opt.reuse.string();
  if (opt.reuse.empty() && ::mkdtemp(pattern.data()) == nullptr) {
    std::perror("report_bench: mkdtemp");
    return 1;
  }
  const std::filesystem::path root = pattern;
  std::filesystem::create_directories(root / "media");

  std::string toml = "[site]\nname = \"阳光家庭托育点\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" +
                     (root / "media").string() + "\"\ndatabase = \"" + (root / "index.db").string() +
                     "\"\naddress = \"北京市朝阳区\"\n[care_hours]\n";
  for (const char* d : {"monday", "tuesday", "wednesday", "thursday", "friday"}) toml += std::string(d) + " = [\"07:30-18:30\"]\n";
  std::vector<index::ConfiguredCamera> cameras;
  for (int c = 0; c < opt.cameras; ++c) {
    char id[16];
    std::snprintf(id, sizeof id, "cam-%02d", c);
    cameras.push_back({id, "摄像头 " + std::to_string(c + 1)});
    toml += "[[camera]]\nid = \"" + std::string(id) + "\"\nname = \"" + cameras.back().name +
            "\"\nurl = \"rtsp://10.0.0." + std::to_string(c + 10) + "/stream1\"\n";
  }
  static const char* kRooms[] = {"午睡室", "游戏区", "餐厅", "盥洗室", "活动室", "阅读角", "门厅", "户外"};
  for (int z = 0; z < opt.cameras / 2; ++z) {
    toml += "[[zone]]\nid = \"zone-" + std::to_string(z) + "\"\nname = \"" + kRooms[z % 8] + (z >= 8 ? std::to_string(z) : "") +
            "\"\ncameras = [\"" + cameras[2 * z].id + "\", \"" + cameras[2 * z + 1].id + "\"]\n";
  }
  auto parsed = config::parse(toml, "bench.toml");
  if (!parsed.ok()) {
    std::fprintf(stderr, "report_bench: bad generated config\n");
    return 1;
  }
  const config::Config config = *parsed.config;
  const TimeZone zone = must(TimeZone::locate("Asia/Shanghai"), "time zone");
  care::CareCalendar calendar(config.care_hours, zone);

  const LocalDays first_day = must(parse_date("2026-03-02"), "date");  // a Monday
  const UtcTime first = zone.to_utc(LocalTime{first_day});
  const UtcTime last = first + date::days{opt.days};

  auto gen_start = Steady::now();
  std::int64_t rows = 0;
  if (opt.reuse.empty()) {
    auto index = must(index::Index::open_writer(root / "index.db"), "opening the index");
    must(index.sync_cameras(cameras, first - 24h), "cameras");
    auto tx = must(index.transaction(), "begin");
    auto daemon = must(index.begin_daemon_run({first, "bench", 1, "bench"}), "daemon run");
    auto insert = must(index.connection().prepare(kInsertSql), "prepare");
    std::mt19937_64 rng(11);
    std::array<std::uint8_t, 32> hash{};
    auto care = calendar.care_intervals(first, last);
    auto in_care = [&](UtcTime s, UtcTime e) {
      auto it = std::lower_bound(care.begin(), care.end(), s, [](const care::Interval& iv, UtcTime t) { return iv.end <= t; });
      return it != care.end() && it->begin < e;
    };
    for (int d = 0; d < opt.days; ++d) {
      const UtcTime day_start = first + date::days{d};
      const UtcTime day_end = day_start + date::days{1};
      // One outage per camera per day; every third day both cameras of a zone together (a gap).
      std::vector<std::pair<UtcTime, UtcTime>> outage(static_cast<std::size_t>(opt.cameras));
      for (int c = 0; c < opt.cameras; ++c) {
        auto at = day_start + 7h + std::chrono::minutes(rng() % 660);
        if (c % 2 == 1 && d % 3 == 0) at = outage[static_cast<std::size_t>(c - 1)].first + 1min;
        outage[static_cast<std::size_t>(c)] = {at, at + std::chrono::minutes(2 + rng() % 9)};
      }
      for (int c = 0; c < opt.cameras; ++c) {
        const std::string& camera = cameras[static_cast<std::size_t>(c)].id;
        auto [down, up] = outage[static_cast<std::size_t>(c)];
        for (auto [from, to, cause] : {std::tuple{day_start, down, "refused"}, std::tuple{up, day_end, "shutdown"}}) {
          auto run = must(index.begin_run(camera, daemon, from), "run");
          std::int64_t seq = 0;
          for (UtcTime s = from; s < to; s += 60s, ++seq) {
            UtcTime e = std::min(to, s + 60s);
            for (auto& b : hash) b = static_cast<std::uint8_t>(rng());
            std::optional<std::int64_t> protect;
            if (in_care(s, e)) protect = to_us(e + date::days{90});
            insert.bind(":camera_id", camera)
                .bind(":run_id", run)
                .bind(":seq", seq)
                .bind(":start_us", to_us(s))
                .bind(":duration_us", (e - s).count())
                .bind(":end_us", to_us(e))
                .bind(":path", camera + "/" + std::to_string(to_us(s)) + ".mp4")
                .bind(":sha256", sqlite::Blob(hash))
                .bind(":protect_until_us", protect);
            must(insert.run(), "insert");
            insert.reset();
            ++rows;
          }
          must(index.end_run(run, to, cause), "run end");
        }
        must(index.insert_camera_event({0, camera, down, index::CameraEventKind::Down, "refused", "connection refused"}),
             "event");
        must(index.insert_camera_event({0, camera, up, index::CameraEventKind::Up, "", ""}), "event");
      }
    }
    must(index.end_daemon_run(daemon, last, "signal"), "daemon end");
    for (int i = 0; i < 300; ++i) {
      must(index.append_access_log({first + std::chrono::minutes(i * 400), 0, "root", i % 3 == 0 ? "export" : "verify",
                                    R"({"camera":"cam-01","from":"2026-03-05T08:00:00+08:00"})", "ok"}),
           "access log");
    }
    for (int i = 0; i < 200; ++i) {
      auto t = first + std::chrono::minutes(i * 600);
      must(index.connection().exec("insert into alert (kind, subject, severity, message, raised_us, last_seen_us, "
                                   "resolved_us) values ('camera_down', 'cam-0" + std::to_string(i % 10) +
                                   "', 'critical', 'camera down: refused', " + std::to_string(to_us(t)) + ", " +
                                   std::to_string(to_us(t + 5min)) + ", " + std::to_string(to_us(t + 6min)) + ")"),
           "alert");
    }
    for (int i = 0; i < 5; ++i) {
      must(index.insert_clock_event({0, first + date::days{i * 17}, 3s, true, "segment split"}), "clock");
    }
    must(tx.commit(), "commit");
    must(index.connection().exec("pragma wal_checkpoint(truncate)"), "checkpoint");
  }
  const double gen_ms = ms_since(gen_start);
  std::printf("report_bench: %d cameras, %d zones, %d days of 60 s segments (%lld rows), Asia/Shanghai, care Mon-Fri "
              "07:30-18:30; in %s\n",
              opt.cameras, opt.cameras / 2, opt.days, static_cast<long long>(rows), root.c_str());
  std::printf("  %-40s %9.1f s  (not a target)\n", "generate the index", gen_ms / 1000);

  auto index = must(index::Index::open_reader(root / "index.db"), "opening the index read-only");
  auto key = must(signing::KeyPair::load_or_create(root), "key");
  report::GatherOptions options{report::Lang::Zh, "bench", "bench", last + 1h, true};
  const index::TimeRange range{first, last};

  struct Phase {
    double wall = 0;
    double cpu = 0;
  };
  auto timed = [](auto&& f) {
    auto w = Steady::now();
    double c = cpu_ms();
    f();
    return Phase{ms_since(w), cpu_ms() - c};
  };
  report::ReportData data;
  std::string json;
  report::Document doc;
  std::string html;
  report::CsvFiles csv;
  auto gather_t = timed([&] { data = must(report::gather(index, config, calendar, range, options), "gather"); });
  auto json_t = timed([&] { json = report::render_json(data, zone); });
  auto doc_t = timed([&] { doc = report::build_document(data, zone, {report::sha256_hex(json), key.fingerprint()}); });
  auto html_t = timed([&] { html = report::render_html(doc, data); });
  auto pdf_t = timed([&] { must(report::render_pdf(doc, data, root / "probe.pdf"), "pdf"); });
  auto csv_t = timed([&] { csv = report::render_csv(data, zone); });

  // What `carekeep report --format html,pdf,json,csv` does after opening the index.
  auto total_t = timed([&] {
    auto again = must(report::gather(index, config, calendar, range, options), "gather");
    must(report::write_report(again, zone,
                              {report::Format::Json, report::Format::Html, report::Format::Pdf, report::Format::Csv},
                              root / "out", key),
         "write_report");
  });

  auto line = [](const char* what, Phase p, const std::string& note) {
    std::printf("  %-40s %8.0f ms %8.0f ms  %s\n", what, p.wall, p.cpu, note.c_str());
  };
  auto kb = [&](std::initializer_list<const char*> names) {
    double total = 0;
    for (const char* n : names) total += static_cast<double>(std::filesystem::file_size(root / "out" / n)) / 1e3;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f kB", total);
    return std::string(buf);
  };
  std::printf("  %-40s %11s %11s\n", "", "wall", "CPU");
  line("gather (index + coverage)", gather_t,
       std::to_string(data.coverage.gaps.size()) + " gaps, " + std::to_string(data.coverage.days.size()) +
           " zone-days, " + std::to_string(data.access.size()) + " access rows");
  line("render JSON", json_t, kb({"report.json"}));
  line("lay out the document", doc_t, "");
  line("render HTML", html_t, kb({"report.html"}));
  line("render PDF (two passes)", pdf_t, kb({"report.pdf"}));
  line("render CSV", csv_t, kb({"coverage.csv", "gaps.csv", "access.csv"}));
  line("ALL: gather + write_report(all formats)", total_t, "target <= 2000 ms");

  if (!opt.keep && opt.reuse.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
  return 0;
}
