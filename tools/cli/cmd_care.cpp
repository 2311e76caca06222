// carekeep care start|stop|list: ad-hoc care sessions (issue 17; docs/retention.md, Ad-hoc care).
// Hourly and temporary care happen outside the weekly schedule; the operator says when they
// begin and end, and that time is care: its footage is protected care_days, its zones'
// coverage is checked and alerted, and reports count it. start and stop write the index (as
// the daemon's user, through carekeepd: operator role) and the access log; carekeepd sees the
// change within a second and ends a session nobody stopped at [care_hours] adhoc_max_hours.
// Sessions are never edited or removed afterwards (the schema refuses it, the chain shows it).
#include <cstdio>
#include <memory>
#include <string>

#include "command.hpp"
#include "evidence.hpp"
#include "inspect.hpp"

namespace carekeep::cli {
namespace {

struct CareOptions {
  CLI::App* start = nullptr;
  CLI::App* stop = nullptr;
  CLI::App* list = nullptr;
  std::string note;
  bool json = false;
  bool all = false;
};

std::string describe(const index::CareSessionRow& s, const TimeZone& zone) {
  std::string out = "care session " + std::to_string(s.id) + " from " + format_local_iso(s.started, zone);
  if (s.open()) return out + " (open; ends by itself at " + format_local_iso(s.limit, zone) + ")";
  out += " to " + format_local_iso(*s.ended, zone);
  if (s.end_reason == index::CareSessionEnd::Limit) out += " (ended at its limit)";
  return out;
}

Json to_json(const index::CareSessionRow& s, const TimeZone& zone) {
  return {{"id", s.id},
          {"start", format_local_iso(s.started, zone)},
          {"limit", format_local_iso(s.limit, zone)},
          {"end", local_or_null(s.ended, zone)},
          {"open", s.open()},
          {"end_reason", s.end_reason ? Json(std::string(index::to_string(*s.end_reason))) : Json(nullptr)},
          {"note", s.note},
          {"started_by", s.started_user},
          {"stopped_by", s.ended_user ? Json(*s.ended_user) : Json(nullptr)}};
}

int run_start(const CareOptions& options, Context& context) {
  if (options.note.size() > 1000) throw UsageError("--note is longer than 1000 characters; keep it to a line or two");
  auto index = open_writer(context, "starting a care session");
  auto who = acting_user(context);
  const auto now = SystemClock{}.now();
  index::NewCareSession session{now, now + std::chrono::hours{context.config.care_hours.adhoc_max_hours},
                                options.note, who.uid, who.user};
  Json args{{"note", options.note}, {"limit", format_local_iso(session.limit, context.zone)}};
  auto started = index.start_care_session(session);
  if (!started) {
    std::string why = "starting a care session: " + started.error().message;
    if (started.error().kind == ErrorKind::FailedPrecondition) {
      // The open one, in the site's time like every other line here.
      if (auto open = index.open_care_session(); open && *open)
        why = describe(**open, context.zone) + ", started by " + (*open)->started_user +
              ", is still open; stop it first with `carekeep care stop`";
    }
    record(index, who, "care_start", args.dump(), "refused: " + why);
    throw CommandError(why);
  }
  record(index, who, "care_start", args.dump(), "ok: session " + std::to_string(started->id));
  if (options.json) {
    std::printf("%s\n", to_json(*started, context.zone).dump(2).c_str());
    return kExitOk;
  }
  std::printf("%s started by %s: its footage is care footage, kept %d days\n",
              describe(*started, context.zone).c_str(), who.user.c_str(), context.config.retention.care_days);
  std::printf("stop it with `carekeep care stop` when the children have gone home\n");
  return kExitOk;
}

int run_stop(const CareOptions& options, Context& context) {
  auto index = open_writer(context, "stopping a care session");
  auto who = acting_user(context);
  auto open = must(index.open_care_session(), "reading the index");
  if (!open) {
    record(index, who, "care_stop", "{}", "no open session");
    throw CommandError("no care session is open; start one with `carekeep care start`");
  }
  const auto now = SystemClock{}.now();
  Json args{{"id", open->id}, {"at", format_local_iso(now, context.zone)}};
  auto ended = index.end_care_session(open->id, now, index::CareSessionEnd::Stopped, who.uid, who.user);
  record(index, who, "care_stop", args.dump(),
         ended ? "ok: ended " + format_local_iso(*ended->ended, context.zone) : "refused: " + ended.error().message);
  if (!ended) throw CommandError("stopping care session " + std::to_string(open->id) + ": " + ended.error().message);
  if (options.json) {
    std::printf("%s\n", to_json(*ended, context.zone).dump(2).c_str());
    return kExitOk;
  }
  std::printf("%s stopped by %s\n", describe(*ended, context.zone).c_str(), who.user.c_str());
  return kExitOk;
}

int run_list(const CareOptions& options, Context& context) {
  auto index = open_index(context);
  auto now = SystemClock{}.now();
  // Without --all: the sessions whose footage is still protected, and the open one.
  auto rows = options.all ? must(index.all_care_sessions(), "reading the index")
                          : must(index.care_sessions({now - std::chrono::days{context.config.retention.care_days},
                                                      UtcTime::max()}),
                                 "reading the index");
  if (options.json) {
    Json out = Json::array();
    for (const auto& s : rows) out.push_back(to_json(s, context.zone));
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  if (rows.empty()) {
    std::printf("no care session%s\n", options.all ? "" : " in the last care_days (--all lists every one)");
    return kExitOk;
  }
  Table table({"ID", "START", "END", "BY", "NOTE"}, {true, false, false, false, false});
  for (const auto& s : rows) {
    std::string end = s.open() ? "open (limit " + format_local_iso(s.limit, context.zone) + ")"
                               : format_local_iso(*s.ended, context.zone) +
                                     (s.end_reason == index::CareSessionEnd::Limit ? " (limit)" : "");
    std::string by = s.started_user + (s.ended_user ? " / " + *s.ended_user : "");
    table.add({std::to_string(s.id), format_local_iso(s.started, context.zone), end, by, s.note});
  }
  table.print();
  return kExitOk;
}

}  // namespace

Command add_care(CLI::App& parent) {
  auto options = std::make_shared<CareOptions>();
  CLI::App* app = parent.add_subcommand("care", "ad-hoc care sessions: care time outside the weekly schedule");
  app->require_subcommand(1);
  options->start = app->add_subcommand("start", "children are in care now (hourly or temporary care)");
  options->start->add_option("--note", options->note,
                             "why, in a few words; no names or health details (kept for good with the session and "
                             "in the access log, which reports copy)");
  options->start->add_flag("--json", options->json, "print the session as JSON");
  options->stop = app->add_subcommand("stop", "the care session that is open ends now");
  options->stop->add_flag("--json", options->json, "print the session as JSON");
  options->list = app->add_subcommand("list", "sessions of the last care_days, and the open one");
  options->list->add_flag("--all", options->all, "every session ever recorded");
  options->list->add_flag("--json", options->json,
                          "JSON array of {id, start, limit, end, open, end_reason, note, started_by, stopped_by}");
  return {app, [options](Context& context) {
            if (options->start->parsed()) return run_start(*options, context);
            if (options->stop->parsed()) return run_stop(*options, context);
            return run_list(*options, context);
          }};
}

}  // namespace carekeep::cli
