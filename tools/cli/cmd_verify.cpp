// carekeep verify: re-checks the footage against the index and its hash chains, the signed
// anchors and the access log, and with --digest that the chains extend digests kept outside the
// box (issues #6 and 15; lib/export/verify and export/digest do the work). Exit 0 when
// nothing is wrong and the anchors are signed by a key trusted from outside the box, 4 when
// anything is wrong (every finding is listed), 16 when nothing is wrong but the only key was
// the one beside the data. Reads the index (a reader connection); only the access-log row
// recording the run needs a writer, best effort.
#include <cstdio>
#include <memory>

#include "base/text.hpp"
#include "command.hpp"
#include "evidence.hpp"
#include "export/verify.hpp"
#include "history/history.hpp"
#include "inspect.hpp"
#include "progress.hpp"

namespace carekeep::cli {
namespace {

struct VerifyOptions {
  std::string camera;
  std::string from;
  std::string to;
  std::string pubkey;
  std::string fingerprint;
  std::vector<std::string> digests;
  bool quick = false;
  bool json = false;
};

int run_verify(const VerifyOptions& o, Context& context) {
  if (o.from.empty() != o.to.empty()) throw UsageError("give both --from and --to, or neither (all footage)");
  exports::VerifyOptions options;
  if (!o.from.empty()) options.range = parse_range(o.from, o.to, context.zone);
  auto index = open_index(context);
  if (!o.camera.empty()) {
    require_camera(o.camera, context, must(index.cameras(), "reading the index"));
    options.cameras.push_back(o.camera);
  }  // else every camera the evidence names, with or without a camera row (verify.hpp)
  options.quick = o.quick;
  options.zone = &context.zone;
  options.key = choose_trusted_key(context, o.pubkey, o.fingerprint);
  // Zone holds judged by the zones in force when footage was deleted; an inspector's hold
  // released only by root or the inspector group (export/legal.hpp).
  options.zone_cameras = history::zone_cameras_at(must(
      history::in_force(index, context.config, {UtcTime{}, UtcTime::max()}), "reading the configuration history"));
  if (auto group = control::resolve_group(context.config.access.inspector_group))
    options.is_inspector = [gid = *group](std::int64_t uid) { return control::user_in_group(static_cast<uid_t>(uid), gid); };
  for (const auto& file : o.digests) {
    auto text = read_file(user_path(context, file));
    if (!text) throw UsageError("cannot read --digest " + file);
    auto digest = exports::digest_from_json(*text);
    if (!digest) throw UsageError("--digest " + file + ": " + digest.error().message);
    options.digests.push_back(std::move(*digest));
  }

  ProgressBar bar(o.quick ? "verify (quick)" : "verify", o.json);
  auto report = exports::verify_footage(index, context.config.site.storage, options,
                                        [&](const exports::VerifyProgress& p) { bar.update(p.bytes_done, p.bytes_total); });
  bar.finish();
  if (!report) throw CommandError("verifying: " + report.error().message);

  Json args{{"camera", o.camera.empty() ? Json(nullptr) : Json(o.camera)},
            {"from", options.range ? Json(format_local_iso(options.range->from, context.zone)) : Json(nullptr)},
            {"to", options.range ? Json(format_local_iso(options.range->to, context.zone)) : Json(nullptr)},
            {"quick", o.quick},
            {"digests", o.digests}};
  std::string result = report->clean() ? "ok" : std::to_string(report->findings.size()) + " finding(s)";
  {
    auto writer = index::Index::open_writer(context.config.site.database);
    if (writer) record(*writer, acting_user(context), "verify", args.dump(), result);
    else std::fprintf(stderr, "carekeep: note: this run is not in the access log (%s)\n", writer.error().message.c_str());
  }

  if (o.json) {
    Json findings = Json::array();
    auto as_json = [](const exports::Finding& f) {
      return Json{{"kind", f.kind},
                  {"camera", f.camera},
                  {"segment_id", f.segment_id == 0 ? Json(nullptr) : Json(f.segment_id)},
                  {"path", f.path},
                  {"detail", f.detail}};
    };
    for (const auto& f : report->findings) findings.push_back(as_json(f));
    Json notes = Json::array();
    for (const auto& f : report->notes) notes.push_back(as_json(f));
    std::printf("%s\n", Json{{"event", "done"},
                             {"clean", report->clean()},
                             {"segments_checked", report->segments_checked},
                             {"links_checked", report->links_checked},
                             {"anchors_checked", report->anchors_checked},
                             {"access_log_rows", report->access_log_rows},
                             {"bytes_hashed", report->bytes_hashed},
                             {"chain_entries_checked", report->chain_entries_checked},
                             {"digests_checked", report->digests_checked},
                             {"key", options.key.key ? Json(options.key.key->fingerprint()) : Json(nullptr)},
                             {"key_trust", std::string(signing::to_string(options.key.trust))},
                             {"key_detail", options.key.detail},
                             {"findings", findings},
                             {"notes", notes}}
                            .dump()
                            .c_str());
  } else {
    auto print = [](const char* kind, const exports::Finding& f) {
      std::string where = f.camera.empty() ? "" : "camera " + f.camera + ": ";
      if (f.segment_id != 0) where += "segment " + std::to_string(f.segment_id) + " ";
      if (!f.path.empty()) where += "(" + f.path + ") ";
      // Paths, details and ids come from the index and the disk, which the attacker writes.
      std::printf("%-13s %s\n", kind, text::printable(where + f.detail).c_str());
    };
    for (const auto& f : report->findings) print(f.kind.c_str(), f);
    // Notes (footage dated by a clock the guard distrusted, which its rows record) are listed
    // but do not fail the check.
    for (const auto& f : report->notes) print("note", f);
    std::printf("%s: %lld segment files %s, %lld chain links, %lld chain entries, %lld anchors%s, %lld access log "
                "rows, %lld digests; %zu finding(s)%s\n",
                report->clean() ? (report->signatures_trusted ? "verified" : "UNTRUSTED KEY") : "PROBLEMS FOUND",
                static_cast<long long>(report->segments_checked), o.quick ? "present with the right size" : "re-hashed",
                static_cast<long long>(report->links_checked), static_cast<long long>(report->chain_entries_checked),
                static_cast<long long>(report->anchors_checked),
                options.key.key ? "" : " (signatures not checked: no key)",
                static_cast<long long>(report->access_log_rows), static_cast<long long>(report->digests_checked),
                report->findings.size(),
                report->notes.empty()
                    ? ""
                    : (", " + std::to_string(report->notes.size()) + " note(s) on footage recorded on a suspect clock")
                          .c_str());
    // The fingerprint and where the key came from, always: an inspector compares it with the
    // one registered at installation, whatever the verdict (review scenario L: a replaced key
    // and pin verified "clean" without ever showing which key that was).
    std::printf("key: %s (%s): %s\n",
                options.key.key ? options.key.key->fingerprint().c_str() : "none",
                std::string(signing::to_string(options.key.trust)).c_str(), text::printable(options.key.detail).c_str());
  }
  if (!report->clean()) return kExitFindings;
  if (!report->signatures_trusted) {
    // Everything matches, but the signatures were checked (if at all) with a key from the box,
    // which whoever runs it could have replaced together with everything it signs.
    std::fprintf(stderr,
                 "carekeep: the anchors are consistent, but no key from outside the box vouches for them: %s. Compare "
                 "the fingerprint with the one recorded at installation and run again with --fingerprint HEX or "
                 "--pubkey FILE.\n",
                 options.key.detail.c_str());
    return kExitUntrustedKey;
  }
  return kExitOk;
}

}  // namespace

Command add_verify(CLI::App& parent) {
  auto o = std::make_shared<VerifyOptions>();
  CLI::App* app = parent.add_subcommand("verify", "check footage against the index, hash chains, anchors and access log");
  app->add_option("--camera", o->camera, "only this camera (default: all)");
  app->add_option("--from", o->from, "only segments overlapping [from, to); site local time, offset or date");
  app->add_option("--to", o->to, "end of that range, excluded");
  app->add_flag("--quick", o->quick, "presence and size only, no re-hashing");
  app->add_option("--pubkey", o->pubkey, "the box's public key (PEM), obtained outside the box");
  app->add_option("--fingerprint", o->fingerprint,
                  "SHA-256 fingerprint of the box's key (64 hex digits), obtained outside the box; default: the one "
                  "pinned in signing.fingerprint beside the configuration");
  app->add_option("--digest", o->digests,
                  "signed digest file(s) kept outside the box (sent by the daemon's webhooks, or from digests/): the "
                  "chains must extend each; checked with the same trusted key")
      ->expected(1, -1);
  app->add_flag("--json", o->json, "progress lines and the result as JSON on stdout");
  app->footer("Exit codes: 0 nothing wrong, 2 bad arguments (an unreadable or malformed --digest file too), 3 could not "
              "check, 4 findings (listed; with --digest also a digest by another key or a history rewritten after a "
              "digest), 16 nothing wrong "
              "but the only key was the one beside the data (no --pubkey, --fingerprint or pinned fingerprint).");
  return Command{app, [o](Context& context) { return run_verify(*o, context); }};
}

}  // namespace carekeep::cli
