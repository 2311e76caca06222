// carekeep summary: the daily summary the operator's phone receives (issue 17), on demand:
// cameras recording now, a day's care coverage per zone (yesterday by default), days of footage
// held and the capacity forecast, open alerts, the key's fingerprint. The same gathering as the
// audit report for that day (lib/report), so both say the same; read-only.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "alerts/alerts.hpp"
#include "care/calendar.hpp"
#include "command.hpp"
#include "evidence.hpp"
#include "inspect.hpp"
#include "report/summary.hpp"

namespace carekeep::cli {

namespace {

struct SummaryOptions {
  std::string date;
  std::string lang;
  bool json = false;
};

int run_summary(const SummaryOptions& options, Context& context) {
  auto chosen = report::lang_option(options.lang, context.config.site.timezone);
  if (!chosen) throw UsageError("unknown --lang \"" + options.lang + "\"; use zh or en");
  const report::Lang lang = *chosen;
  SystemClock clock;
  const UtcTime now = clock.now();
  LocalDays day;
  if (options.date.empty()) {
    day = std::chrono::floor<date::days>(context.zone.to_local(now)) - date::days{1};  // yesterday
  } else {
    auto parsed = parse_date(options.date);
    if (!parsed) throw UsageError("--date: " + parsed.error().message);
    day = *parsed;
  }
  index::TimeRange range{context.zone.to_utc(LocalTime{day}), context.zone.to_utc(LocalTime{day + date::days{1}})};

  auto index = open_index(context);
  report::GatherOptions gather{lang, CAREKEEP_VERSION, "", now, true};
  auto data = must(report::gather(index, context.config, care::CareCalendar(context.config.care_hours, context.zone),
                                  range, gather),
                   "gathering the day");
  std::vector<std::string> recording;
  for (const auto& camera : context.config.cameras) {
    auto runs = must(index.runs(camera.id, {now, now + Micros{1}}), "reading the index");
    for (const auto& run : runs)
      if (!run.ended) recording.push_back(camera.id);
  }
  std::vector<report::SummaryAlert> open;
  for (const auto& a : must(alerts::list(index, false), "reading the index"))
    open.push_back({a.kind, a.subject, std::string(alerts::to_string(a.severity))});
  auto key = local_public_key(state_dir(context));
  auto summary = report::summarize(data, recording, std::move(open),
                                   key ? key->fingerprint() : std::string(), now);
  if (options.json) {
    auto out = report::to_json(summary, context.zone);
    out["text"] = report::render_summary(summary, lang, context.zone);
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("%s\n", report::render_summary(summary, lang, context.zone).c_str());
  }
  return kExitOk;
}

}  // namespace

Command add_summary(CLI::App& parent) {
  auto options = std::make_shared<SummaryOptions>();
  CLI::App* app = parent.add_subcommand(
      "summary", "the daily summary the webhooks receive: cameras, a day's care coverage, days held, alerts");
  app->add_option("--date", options->date, "the local day to summarise, YYYY-MM-DD (default: yesterday)");
  app->add_option("--lang", options->lang, "zh or en (default: zh when the site's time zone is in China)");
  app->add_flag("--json", options->json, "the summary's figures as JSON, with the message as \"text\"");
  return {app, [options](Context& context) { return run_summary(*options, context); }};
}

}  // namespace carekeep::cli
