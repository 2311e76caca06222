// carekeep summary: the daily summary the operator's phone receives (issue 17), on demand:
// cameras recording now, a day's care coverage per zone (yesterday by default), days of footage
// held and the capacity forecast, open alerts, the key's fingerprint. The same gathering as the
// audit report for that day (lib/report), so both say the same; read-only.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

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
  auto index = open_index(context);
  auto key = local_public_key(state_dir(context));
  auto summary = must(report::gather_summary(index, context.config, context.zone, day, now,
                                             key ? key->fingerprint() : std::string(), lang, CAREKEEP_VERSION),
                      "making the summary");
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
