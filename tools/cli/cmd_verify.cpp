// carekeep verify: re-checks the footage against the index and its hash chains, the signed
// daily anchors and the access log (issue #6; lib/export/verify does the work). Exit 0 when
// nothing is wrong, 4 when anything is (every finding is listed). Reads the index (a reader
// connection); only the access-log row recording the run needs a writer, best effort.
#include <cstdio>
#include <memory>

#include "command.hpp"
#include "evidence.hpp"
#include "export/verify.hpp"
#include "inspect.hpp"
#include "progress.hpp"

namespace carekeep::cli {
namespace {

struct VerifyOptions {
  std::string camera;
  std::string from;
  std::string to;
  bool quick = false;
  bool json = false;
};

int run_verify(const VerifyOptions& o, Context& context) {
  if (o.from.empty() != o.to.empty()) throw UsageError("give both --from and --to, or neither (all footage)");
  exports::VerifyOptions options;
  if (!o.from.empty()) options.range = parse_range(o.from, o.to, context.zone);
  auto index = open_index(context);
  auto cameras = must(index.cameras(), "reading the index");
  if (!o.camera.empty()) {
    require_camera(o.camera, context, cameras);
    options.cameras.push_back(o.camera);
  } else {
    for (const auto& c : cameras) options.cameras.push_back(c.id);
  }
  options.quick = o.quick;
  options.zone = &context.zone;
  options.key = local_public_key(state_dir(context));

  ProgressBar bar(o.quick ? "verify (quick)" : "verify", o.json);
  auto report = exports::verify_footage(index, context.config.site.storage, options,
                                        [&](const exports::VerifyProgress& p) { bar.update(p.bytes_done, p.bytes_total); });
  bar.finish();
  if (!report) throw CommandError("verifying: " + report.error().message);

  Json args{{"camera", o.camera.empty() ? Json(nullptr) : Json(o.camera)},
            {"from", options.range ? Json(format_local_iso(options.range->from, context.zone)) : Json(nullptr)},
            {"to", options.range ? Json(format_local_iso(options.range->to, context.zone)) : Json(nullptr)},
            {"quick", o.quick}};
  std::string result = report->clean() ? "ok" : std::to_string(report->findings.size()) + " finding(s)";
  {
    auto writer = index::Index::open_writer(context.config.site.database);
    if (writer) record(*writer, acting_user(context), "verify", args.dump(), result);
    else std::fprintf(stderr, "carekeep: note: this run is not in the access log (%s)\n", writer.error().message.c_str());
  }

  if (o.json) {
    Json findings = Json::array();
    for (const auto& f : report->findings) {
      findings.push_back({{"kind", f.kind},
                          {"camera", f.camera},
                          {"segment_id", f.segment_id == 0 ? Json(nullptr) : Json(f.segment_id)},
                          {"path", f.path},
                          {"detail", f.detail}});
    }
    std::printf("%s\n", Json{{"event", "done"},
                             {"clean", report->clean()},
                             {"segments_checked", report->segments_checked},
                             {"links_checked", report->links_checked},
                             {"anchors_checked", report->anchors_checked},
                             {"access_log_rows", report->access_log_rows},
                             {"bytes_hashed", report->bytes_hashed},
                             {"key", options.key ? Json(options.key->fingerprint()) : Json(nullptr)},
                             {"findings", findings}}
                            .dump()
                            .c_str());
  } else {
    for (const auto& f : report->findings) {
      std::string where = f.camera.empty() ? "" : "camera " + f.camera + ": ";
      if (f.segment_id != 0) where += "segment " + std::to_string(f.segment_id) + " ";
      if (!f.path.empty()) where += "(" + f.path + ") ";
      std::printf("%-13s %s%s\n", f.kind.c_str(), where.c_str(), f.detail.c_str());
    }
    std::printf("%s: %lld segment files %s, %lld chain links, %lld anchors%s, %lld access log rows; %zu finding(s)\n",
                report->clean() ? "verified" : "PROBLEMS FOUND", static_cast<long long>(report->segments_checked),
                o.quick ? "present with the right size" : "re-hashed",
                static_cast<long long>(report->links_checked), static_cast<long long>(report->anchors_checked),
                options.key ? "" : " (signatures not checked: no readable box key)",
                static_cast<long long>(report->access_log_rows), report->findings.size());
  }
  return report->clean() ? kExitOk : kExitFindings;
}

}  // namespace

Command add_verify(CLI::App& parent) {
  auto o = std::make_shared<VerifyOptions>();
  CLI::App* app = parent.add_subcommand("verify", "check footage against the index, hash chains, anchors and access log");
  app->add_option("--camera", o->camera, "only this camera (default: all)");
  app->add_option("--from", o->from, "only segments overlapping [from, to); site local time, offset or date");
  app->add_option("--to", o->to, "end of that range, excluded");
  app->add_flag("--quick", o->quick, "presence and size only, no re-hashing");
  app->add_flag("--json", o->json, "progress lines and the result as JSON on stdout");
  app->footer("Exit codes: 0 nothing wrong, 2 bad arguments, 3 could not check, 4 findings (listed).");
  return Command{app, [o](Context& context) { return run_verify(*o, context); }};
}

}  // namespace carekeep::cli
