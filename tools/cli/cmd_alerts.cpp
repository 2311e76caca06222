// carekeep alerts [--all] [--json] | alerts ack ID: the conditions carekeepd wants an operator
// to see (disk full, clock untrusted, capacity short, camera down, ...), from the index's
// alert table (lib/alerts). Listing reads only; `ack` records who acknowledged an alert and
// when, in one short write beside the daemon (needs write access to its data directory).
// Acknowledging does not close an alert: it stays open until its condition is gone. One
// exception, said in the alert itself: acknowledging clock_untrusted confirms the date.
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "alerts/alerts.hpp"
#include "base/text.hpp"
#include "command.hpp"
#include "evidence.hpp"
#include "inspect.hpp"

namespace carekeep::cli {

namespace {

struct AlertsOptions {
  bool all = false;
  bool json = false;
  CLI::App* ack = nullptr;
  std::int64_t ack_id = 0;
};

int run_list(const AlertsOptions& options, Context& context) {
  auto index = open_index(context);
  auto list = must(alerts::list(index, options.all), "reading the index");
  if (options.json) {
    Json out = Json::array();
    for (const auto& a : list) out.push_back(alerts::to_json(a, context.zone));
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  if (list.empty()) {
    std::printf(options.all ? "no alerts\n" : "no open alerts\n");
    return kExitOk;
  }
  for (const auto& a : list) {
    std::string state = a.resolved ? "resolved " + format_local_iso(*a.resolved, context.zone) : "open";
    if (a.acknowledged) state += ", acknowledged by " + a.acknowledged_by;
    std::printf("#%lld %s %s%s%s since %s (%s)\n  %s\n", static_cast<long long>(a.id),
                std::string(alerts::to_string(a.severity)).c_str(), a.kind.c_str(), a.subject.empty() ? "" : " ",
                text::printable(a.subject).c_str(), format_local_iso(a.raised, context.zone).c_str(),
                text::printable(state).c_str(), text::printable(a.message).c_str());
  }
  return kExitOk;
}

int run_ack(const AlertsOptions& options, Context& context) {
  { auto checked = open_index(context); }  // existence and schema, with the usual messages
  const auto& path = context.config.site.database;
  auto index = index::Index::open_writer(path);
  if (!index) {
    throw CommandError("cannot write to the index " + path.string() + ": " + index.error().message +
                       "; acknowledging an alert needs write access to carekeepd's data directory");
  }
  auto actor = acting_user(context);
  auto who = actor.user;
  // For clock_untrusted this confirms the date, and the access log records it (acknowledge_as).
  auto st = alerts::acknowledge_as(*index, options.ack_id, SystemClock{}.now(), actor.uid, who);
  if (!st) throw CommandError(st.error().message);
  std::printf("alert %lld acknowledged by %s\n", static_cast<long long>(options.ack_id), who.c_str());
  return kExitOk;
}

}  // namespace

Command add_alerts(CLI::App& parent) {
  auto options = std::make_shared<AlertsOptions>();
  CLI::App* app = parent.add_subcommand("alerts", "conditions an operator must see: open alerts, or all of them");
  app->require_subcommand(0, 1);
  app->add_flag("--all", options->all, "resolved alerts too");
  app->add_flag("--json", options->json,
                "JSON array of {id, kind, subject, severity, message, raised, last_seen, resolved, acknowledged, "
                "acknowledged_by}; times in ISO 8601 with offset");
  options->ack = app->add_subcommand("ack", "acknowledge an alert (records who and when; it stays open until fixed)");
  options->ack->add_option("id", options->ack_id, "alert id, from carekeep alerts")->required();
  return Command{app, [options](Context& context) {
                   if (options->ack->parsed()) return run_ack(*options, context);
                   return run_list(*options, context);
                 }};
}

}  // namespace carekeep::cli
