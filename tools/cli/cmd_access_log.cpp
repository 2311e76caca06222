// carekeep access-log: who did what (exports, verifications, holds, key requests, ...), from
// the hash-chained access_log table, with the chain checked as it is shown. Read-only.
#include <cstdio>
#include <memory>

#include "base/text.hpp"
#include "command.hpp"
#include "inspect.hpp"

namespace carekeep::cli {
namespace {

struct AccessLogOptions {
  std::string from;
  std::string to;
  bool json = false;
};

int run_access_log(const AccessLogOptions& o, Context& context) {
  if (o.from.empty() != o.to.empty()) throw UsageError("give both --from and --to, or neither (the whole log)");
  index::TimeRange range{UtcTime{}, from_us(INT64_MAX / 2)};
  if (!o.from.empty()) range = parse_range(o.from, o.to, context.zone);
  auto index = open_index(context);
  auto rows = must(index.access_log(range), "reading the access log");
  auto findings = must(index.verify_access_log(), "checking the access log chain");
  if (o.json) {
    Json out = Json::array();
    for (const auto& r : rows) {
      out.push_back({{"id", r.id},
                     {"time", format_local_iso(r.time, context.zone)},
                     {"uid", r.uid},
                     {"user", r.user},
                     {"action", r.action},
                     {"arguments", Json::parse(r.arguments, nullptr, false)},
                     {"result", r.result},
                     {"hash", hex(r.hash)}});
    }
    Json problems = Json::array();
    for (const auto& f : findings) problems.push_back({{"id", f.id}, {"problem", f.problem}});
    std::printf("%s\n", Json{{"rows", out}, {"chain_intact", findings.empty()}, {"problems", problems}}.dump(2).c_str());
  } else {
    Table table({"ID", "TIME", "USER", "ACTION", "RESULT", "ARGUMENTS"}, {true, false, false, false, false, false});
    for (const auto& r : rows) {
      table.add({std::to_string(r.id), format_local_iso(r.time, context.zone), r.user + " (" + std::to_string(r.uid) + ")",
                 r.action, r.result, r.arguments});
    }
    if (table.empty()) std::printf("no access log rows in the range\n");
    else table.print();
    for (const auto& f : findings)
      std::printf("CHAIN BROKEN at row %lld: %s\n", static_cast<long long>(f.id), text::printable(f.problem).c_str());
    if (findings.empty()) std::printf("access log chain intact\n");
  }
  return findings.empty() ? kExitOk : 4;
}

}  // namespace

Command add_access_log(CLI::App& parent) {
  auto o = std::make_shared<AccessLogOptions>();
  CLI::App* app = parent.add_subcommand("access-log", "who exported, verified, held or released footage, and when");
  app->add_option("--from", o->from, "rows from this time (site local time, offset or date)");
  app->add_option("--to", o->to, "rows before this time");
  app->add_flag("--json", o->json, "{rows: [...], chain_intact, problems}");
  app->footer("Exit codes: 0 ok, 2 bad arguments, 3 failed, 4 the log's hash chain is broken.");
  return Command{app, [o](Context& context) { return run_access_log(*o, context); }};
}

}  // namespace carekeep::cli
