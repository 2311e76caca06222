// carekeep hold add|list|release: evidence holds (PRODUCT.md §6). A hold keeps the footage of
// a camera or a zone in a time range past retention until it is released; who placed or
// released it (uid and user name) and when are recorded. add and release write to the index
// in one short statement each, alongside the daemon (SQLite's lock serializes the writers);
// the index is first opened read-only, which refuses any schema but the current one, so the
// writer connection that follows has nothing to migrate. list reads only.
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/text.hpp"
#include "command.hpp"
#include "evidence.hpp"
#include "inspect.hpp"

namespace carekeep::cli {

namespace {

struct HoldAddOptions {
  std::string camera;
  std::string zone;
  std::string from;
  std::string to;
  std::string reason;
  std::string case_number;
};

struct HoldListOptions {
  bool json = false;
};

struct HoldReleaseOptions {
  std::int64_t id = 0;
};

struct HoldOptions {
  CLI::App* add = nullptr;
  CLI::App* list = nullptr;
  CLI::App* release = nullptr;
  HoldAddOptions add_options;
  HoldListOptions list_options;
  HoldReleaseOptions release_options;
};

// A writer connection on the existing index. The read-only open checks that the file exists
// and has the current schema (with the usual messages), so open_writer migrates nothing.
index::Index open_index_writer(const Context& context) {
  { auto checked = open_index(context); }
  const auto& path = context.config.site.database;
  auto opened = index::Index::open_writer(path);
  if (!opened) {
    throw CommandError("cannot write to the index " + path.string() + ": " + opened.error().message +
                       "; placing or releasing a hold needs write access to carekeepd's data directory");
  }
  return std::move(*opened);
}

void require_zone(std::string_view zone, const Context& context) {
  std::vector<std::string> ids;
  for (const auto& z : context.config.zones) ids.push_back(z.id);
  if (std::find(ids.begin(), ids.end(), zone) != ids.end()) return;
  std::string message = "unknown zone \"" + std::string(zone) + "\"";
  if (auto suggestion = text::closest(zone, ids)) {
    message += "; did you mean \"" + *suggestion + "\"?";
  } else if (ids.empty()) {
    message += "; no zone is configured";
  } else {
    message += "; configured zones:";
    for (std::size_t i = 0; i < ids.size(); ++i) message += (i == 0 ? " " : ", ") + ids[i];
  }
  throw UsageError(message);
}

// The role the command acts with: the peer's, when carekeepd runs it (hold add and release
// always go through the daemon); whoever writes the index directly can do anything anyway.
control::Role acting_role(const Context& context) {
  return context.on_behalf ? context.on_behalf->role : control::Role::Admin;
}

// Says why on stderr, records the refusal as the action with its reason, and exits 5.
int refuse(index::Index& index, const Context& context, std::string_view action, const Json& args,
           const std::string& why) {
  record(index, acting_user(context), action, args.dump(), "refused: " + why);
  std::fprintf(stderr, "carekeep: %s\n", why.c_str());
  return kExitNotPermitted;
}

bool blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

int run_add(const HoldAddOptions& options, Context& context) {
  if (options.camera.empty() == options.zone.empty()) {
    throw UsageError("hold add needs exactly one of --camera and --zone");
  }
  if (blank(options.reason)) throw UsageError("--reason is empty; say why the footage must be kept (a case number, ...)");
  auto range = parse_range(options.from, options.to, context.zone);
  auto index = open_index_writer(context);
  index::NewHold hold;
  if (!options.camera.empty()) {
    auto cameras = must(index.cameras(), "reading the index");
    require_camera(options.camera, context, cameras);
    hold.camera_id = options.camera;
  } else {
    require_zone(options.zone, context);
    hold.zone_id = options.zone;
  }
  auto who = acting_user(context);
  auto role = acting_role(context);
  if (!options.case_number.empty()) {
    if (blank(options.case_number)) throw UsageError("--case is empty; give the case number the hold serves");
    hold.case_number = options.case_number;
  }
  // An inspector's hold is for a case and stays until an inspector (or root) releases it; root
  // naming a case places one too. An operator's hold may cite a case but stays an operator's.
  hold.by_inspector = role == control::Role::Inspector || (role == control::Role::Admin && hold.case_number);
  hold.from = range.from;
  hold.to = range.to;
  hold.reason = options.reason;
  hold.created = SystemClock{}.now();
  hold.created_uid = who.uid;
  hold.created_user = who.user;
  Json args{{"camera", hold.camera_id ? Json(*hold.camera_id) : Json(nullptr)},
            {"zone", hold.zone_id ? Json(*hold.zone_id) : Json(nullptr)},
            {"from", format_local_iso(hold.from, context.zone)},
            {"to", format_local_iso(hold.to, context.zone)},
            {"reason", hold.reason},
            {"case", hold.case_number ? Json(*hold.case_number) : Json(nullptr)},
            {"placed_as", hold.by_inspector ? "inspector" : "operator"}};
  if (role == control::Role::Inspector && !hold.case_number) {
    return refuse(index, context, "hold_add", args,
                  "an inspector places a hold for a case: give --case NUMBER (the case it serves) with --reason");
  }
  auto placed = index.insert_hold(hold);
  // The hold's id ties this row to the hold's chain entry (`verify`: hold_unaccounted).
  if (placed) args["id"] = *placed;
  record(index, who, "hold_add", args.dump(), placed ? "ok" : placed.error().message);
  auto id = must(std::move(placed), "placing the hold");
  std::printf("hold %lld placed on %s from %s to %s by %s%s: %s\n", static_cast<long long>(id),
              hold.camera_id ? ("camera " + *hold.camera_id).c_str() : ("zone " + *hold.zone_id).c_str(),
              format_local_iso(hold.from, context.zone).c_str(), format_local_iso(hold.to, context.zone).c_str(),
              who.user.c_str(), hold.case_number ? (" for case " + *hold.case_number).c_str() : "", hold.reason.c_str());
  if (hold.by_inspector)
    std::printf("an inspector's hold: only the %s group or root may release it\n",
                context.config.access.inspector_group.c_str());
  return kExitOk;
}

int run_list(const HoldListOptions& options, Context& context) {
  auto index = open_index(context);
  auto rows = must(index.holds(), "reading the index");
  const auto& zone = context.zone;
  if (options.json) {
    Json out = Json::array();
    for (const auto& r : rows) {
      const auto& h = r.hold;
      out.push_back({{"id", h.id},
                     {"camera", h.camera_id ? Json(*h.camera_id) : Json(nullptr)},
                     {"zone", h.zone_id ? Json(*h.zone_id) : Json(nullptr)},
                     {"from", format_local_iso(h.from, zone)},
                     {"to", format_local_iso(h.to, zone)},
                     {"reason", h.reason},
                     {"case", h.case_number ? Json(*h.case_number) : Json(nullptr)},
                     {"placed_as", h.by_inspector ? "inspector" : "operator"},
                     {"created", format_local_iso(h.created, zone)},
                     {"created_by", h.created_user},
                     {"released", local_or_null(h.released, zone)},
                     {"released_by", r.released_user ? Json(*r.released_user) : Json(nullptr)}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  if (rows.empty()) {
    std::printf("no holds\n");
    return kExitOk;
  }
  Table table({"ID", "TARGET", "FROM", "TO", "BY", "CASE", "CREATED", "RELEASED", "REASON"},
              {true, false, false, false, false, false, false, false, false});
  std::size_t active = 0;
  for (const auto& r : rows) {
    const auto& h = r.hold;
    std::string released = "-";
    if (h.released) {
      released = format_local_iso(*h.released, zone) + " by " + r.released_user.value_or("?");
    } else {
      ++active;
    }
    table.add({std::to_string(h.id), hold_target(h), format_local_iso(h.from, zone), format_local_iso(h.to, zone),
               h.created_user + (h.by_inspector ? " (inspector)" : ""), h.case_number.value_or("-"),
               format_local_iso(h.created, zone), released, h.reason});
  }
  table.print();
  std::printf("%zu hold%s, %zu active\n", rows.size(), rows.size() == 1 ? "" : "s", active);
  return kExitOk;
}

int run_release(const HoldReleaseOptions& options, Context& context) {
  auto index = open_index_writer(context);
  auto who = acting_user(context);
  auto role = acting_role(context);
  // The role it acted with: `verify` accepts the release of an inspector's hold only by root
  // or an inspector (release_unaccounted).
  Json args{{"id", options.id}, {"role", std::string(control::to_string(role))}};
  for (const auto& r : must(index.holds(), "reading the index")) {
    if (r.hold.id != options.id || r.hold.released) continue;
    const auto& h = r.hold;
    // An inspector's hold keeps evidence for a case: the box's operator, who may be the one
    // under inspection, cannot end it. Being in the operator group too does not make one an
    // inspector for this (role_of gives the operator role then).
    if (h.by_inspector && role != control::Role::Inspector && role != control::Role::Admin) {
      return refuse(index, context, "hold_release", args,
                    "hold " + std::to_string(h.id) + " was placed by inspector " + h.created_user + " for case " +
                        h.case_number.value_or("?") + "; only the " + context.config.access.inspector_group +
                        " group or root may release it");
    }
    if (!h.by_inspector && role == control::Role::Inspector) {
      return refuse(index, context, "hold_release", args,
                    "hold " + std::to_string(h.id) + " is an operator's hold; an inspector releases inspectors' holds "
                    "only (the " + context.config.access.operator_group + " group releases this one)");
    }
  }
  auto released = index.release_hold(options.id, SystemClock{}.now(), who.uid, who.user);
  record(index, who, "hold_release", args.dump(), released ? "ok" : released.error().message);
  if (released) {
    std::printf("hold %lld released by %s; retention may delete its footage once nothing else keeps it\n",
                static_cast<long long>(options.id), who.user.c_str());
    return kExitOk;
  }
  if (released.error().kind != ErrorKind::NotFound) {
    throw CommandError("releasing hold " + std::to_string(options.id) + ": " + released.error().message);
  }
  auto rows = must(index.holds(), "reading the index");
  for (const auto& r : rows) {
    if (r.hold.id != options.id || !r.hold.released) continue;
    throw CommandError("hold " + std::to_string(options.id) + " was already released at " +
                       format_local_iso(*r.hold.released, context.zone) + " by " + r.released_user.value_or("?"));
  }
  throw CommandError("no hold " + std::to_string(options.id) + "; see carekeep hold list");
}

}  // namespace

Command add_hold(CLI::App& parent) {
  auto options = std::make_shared<HoldOptions>();
  CLI::App* app = parent.add_subcommand("hold", "evidence holds: keep footage of a camera or zone past retention");
  app->require_subcommand(1);

  options->add = app->add_subcommand("add", "hold the footage of one camera or zone in a time range");
  auto& a = options->add_options;
  auto* camera = options->add->add_option("--camera", a.camera, "camera id from the configuration");
  auto* zone = options->add->add_option("--zone", a.zone, "zone id from the configuration (all its cameras)");
  camera->excludes(zone);
  options->add
      ->add_option("--from", a.from,
                   "start: 2026-11-20T08:00 (site local time), with an offset (+08:00, Z), or a date alone")
      ->required();
  options->add->add_option("--to", a.to, "end, excluded; a date alone includes that whole day")->required();
  options->add->add_option("--reason", a.reason, "why, in your words (a complaint, what is being looked into, ...)")->required();
  options->add->add_option("--case", a.case_number,
                           "the case number it serves; required of an inspector, whose hold only the inspector "
                           "group or root may release");

  options->list = app->add_subcommand("list", "every hold, released ones included");
  options->list->add_flag("--json", options->list_options.json,
                          "JSON array of {id, camera, zone, from, to, reason, case, placed_as, created, created_by, "
                          "released, released_by}; times in ISO 8601 with offset");

  options->release = app->add_subcommand("release", "release an active hold; its footage follows retention again");
  options->release->add_option("id", options->release_options.id, "hold id, from carekeep hold list")->required();

  return Command{app, [options](Context& context) {
                   if (options->add->parsed()) return run_add(options->add_options, context);
                   if (options->list->parsed()) return run_list(options->list_options, context);
                   return run_release(options->release_options, context);
                 }};
}

}  // namespace carekeep::cli
