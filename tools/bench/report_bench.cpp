// report_bench: how long a 90-day audit report takes on a box with 16 cameras and 8 zones
// (issue 7: target <= 2 s for all formats together; PRODUCT.md §9).
//
// Builds the synthetic site of synthetic_site.hpp in a temporary directory: C cameras (two per
// zone) x D days of 60 s segments with one outage per camera a day and a zone gap every third
// day, plus access-log rows, alerts and clock events.
//
// Then measures gather() (index reads + coverage) and each renderer, and write_report() for all
// formats, which is what `carekeep report` does after opening the index.
//
//   report_bench [--cameras 16] [--days 90] [--dir /var/tmp] [--keep] [--reuse DIR]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "index/index.hpp"
#include "report/document.hpp"
#include "report/render.hpp"
#include "report/report.hpp"
#include "signing/signing.hpp"
#include "synthetic_site.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;
using bench::cpu_ms;
using bench::must;

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

double ms_since(Steady::time_point t) { return std::chrono::duration<double, std::milli>(Steady::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  std::string pattern = opt.reuse.empty() ? (opt.dir / "carekeep-report-bench-XXXXXX").string() : opt.reuse.string();
  if (opt.reuse.empty() && ::mkdtemp(pattern.data()) == nullptr) {
    std::perror("report_bench: mkdtemp");
    return 1;
  }
  const std::filesystem::path root = pattern;

  auto gen_start = Steady::now();
  const bench::Site site = bench::make_site(root, opt.cameras, opt.days, !opt.reuse.empty());
  const double gen_ms = ms_since(gen_start);
  const config::Config& config = site.config;
  const care::CareCalendar& calendar = site.calendar;
  const TimeZone& zone = calendar.zone();
  const UtcTime first = site.first;
  const UtcTime last = site.last;
  std::printf("report_bench: %d cameras, %d zones, %d days of 60 s segments (%lld rows), Asia/Shanghai, care Mon-Fri "
              "07:30-18:30; in %s\n",
              opt.cameras, opt.cameras / 2, opt.days, static_cast<long long>(site.rows), root.c_str());
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
