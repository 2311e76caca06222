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
using bench::must;

namespace {

[[noreturn]] void usage(int code) {
  std::fprintf(code == 0 ? stdout : stderr,
               "usage: report_bench [--cameras N] [--days N] [--dir DIR] [--keep] [--reuse DIR]\n%s",
               bench::kSiteOptionsHelp);
  std::exit(code);
}

bench::SiteOptions parse(int argc, char** argv) {
  bench::SiteOptions o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (bench::parse_site_option(argc, argv, i, o, usage)) continue;
    if (a == "--help" || a == "-h") usage(0);
    usage(2);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const bench::SiteOptions opt = parse(argc, argv);
  const std::filesystem::path root = bench::site_dir(opt, "carekeep-report-bench");

  auto gen_start = Steady::now();
  const bench::Site site = bench::make_site(root, opt.cameras, opt.days, !opt.reuse.empty());
  const double gen_ms = std::chrono::duration<double, std::milli>(Steady::now() - gen_start).count();
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

  report::ReportData data;
  std::string json;
  report::Document doc;
  std::string html;
  report::CsvFiles csv;
  auto gather_t = bench::timed([&] { data = must(report::gather(index, config, calendar, range, options), "gather"); });
  auto json_t = bench::timed([&] { json = report::render_json(data, zone); });
  auto doc_t = bench::timed([&] { doc = report::build_document(data, zone, {report::sha256_hex(json), key.fingerprint()}); });
  auto html_t = bench::timed([&] { html = report::render_html(doc, data); });
  auto pdf_t = bench::timed([&] { must(report::render_pdf(doc, data, root / "probe.pdf"), "pdf"); });
  auto csv_t = bench::timed([&] { csv = report::render_csv(data, zone); });

  // What `carekeep report --format html,pdf,json,csv` does after opening the index.
  auto total_t = bench::timed([&] {
    auto again = must(report::gather(index, config, calendar, range, options), "gather");
    must(report::write_report(again, zone,
                              {report::Format::Json, report::Format::Html, report::Format::Pdf, report::Format::Csv},
                              root / "out", key),
         "write_report");
  });

  auto line = [](const char* what, bench::Phase p, const std::string& note) {
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

  bench::remove_site_dir(opt, root);
  return 0;
}
