// carekeep report / verify-report: the audit report for a health-commission inspection
// (PRODUCT.md §7, issue 7). report gathers a period from the index (lib/report), writes the
// requested formats plus the signed report.json into --out, and records itself in the access
// log; it opens the index for writing first, so a report that could not be logged is never
// produced. verify-report checks a report.json against its signature offline, without a
// configuration or an index, on any machine.
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "care/calendar.hpp"
#include "command.hpp"
#include "evidence.hpp"
#include "inspect.hpp"
#include "report/render.hpp"
#include "report/report.hpp"
#include "signing/signing.hpp"
#include "signing/trust.hpp"

namespace carekeep::cli {

namespace {

struct ReportOptions {
  std::string from;
  std::string to;
  std::string formats = "html,pdf,json,csv";
  std::string lang;
  std::string out;
  std::string signing_key;
};

struct ReportVerifyOptions {
  std::string file;
  std::string signature;
  std::string pubkey;
  std::string fingerprint;
};

std::string hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

int run_report(const ReportOptions& options, Context& context) {
  auto range = parse_range(options.from, options.to, context.zone);
  auto formats = report::parse_formats(options.formats);
  if (!formats) throw UsageError(formats.error().message);
  auto chosen = report::lang_option(options.lang, context.config.site.timezone);
  if (!chosen) throw UsageError("unknown --lang \"" + options.lang + "\"; use zh or en");
  const report::Lang lang = *chosen;

  // The writer connection first: the report is recorded in the access log, and one that
  // cannot be recorded is not made. The read-only open checks the schema with its messages.
  { auto checked = open_index(context); }
  const auto& db = context.config.site.database;
  auto index = index::Index::open_writer(db);
  if (!index) {
    throw CommandError("cannot write to the index " + db.string() + ": " + index.error().message +
                       "; a report is recorded in the access log, so it needs write access to carekeepd's data "
                       "directory (run it as the carekeep user or root)");
  }

  // Run by carekeepd for a peer, a report signs with the box key only: the daemon refuses the
  // option before starting the command; this holds even if its reading of the argv and
  // CLI11's ever disagreed (issue 14).
  if (context.on_behalf && !options.signing_key.empty()) {
    control::Peer peer{0, static_cast<uid_t>(context.on_behalf->uid), 0, {}, context.on_behalf->user};
    auto why = control::option_refusal(peer, control::kSigningKeyOption);
    record_peer_refusal(*index, context, "report", why);
    std::fprintf(stderr, "carekeep: %s\n", why.c_str());
    return kExitNotPermitted;
  }
  bool key_created = false;
  auto key = options.signing_key.empty() ? signing::KeyPair::load_or_create(db.parent_path(), &key_created)
                                         : signing::KeyPair::load(options.signing_key);
  if (!key) throw CommandError("loading the signing key: " + key.error().message);
  // The report names the key it signs with against the pin (issue 15): a box key that is not
  // the pinned one was replaced, and a report signed with it would vouch for nothing.
  auto pin_file = pinned_fingerprint_file(context);
  if (key_created) (void)signing::pin_fingerprint(pin_file, key->fingerprint());  // as carekeepd does for a key it creates
  auto pinned = signing::read_pinned_fingerprint(pin_file);
  std::string key_note;
  if (pinned && *pinned && **pinned == key->fingerprint()) {
    key_note = ", the key pinned in " + pin_file.string();
  } else if (pinned && *pinned) {
    if (options.signing_key.empty())
      throw CommandError("the box key " + key->fingerprint() + " is not the one pinned in " + pin_file.string() + " (" +
                         **pinned + "): it was replaced, and a report signed with it would not verify against the pin");
    key_note = ", given with --signing-key: NOT the key pinned in " + pin_file.string();
  } else {
    key_note = ", not pinned: register it (carekeep key --pin, as root)";
  }

  auto who = acting_user(context);
  SystemClock clock;
  if (key_created) {  // a new key vouches for evidence from now on: its birth is a change (issue 15)
    index::NewAccessEntry entry{clock.now(), who.uid, who.user, "key_created",
                                Json{{"fingerprint", key->fingerprint()}, {"pinned", false}}.dump(), "ok"};
    if (auto logged = index->append_access_log(entry); !logged)
      throw CommandError("recording the new key in the access log: " + logged.error().message);
  }
  report::GatherOptions gather{lang, CAREKEEP_VERSION, hostname(), clock.now(), true};
  Json arguments{{"from", format_local_iso(range.from, context.zone)},
                 {"to", format_local_iso(range.to, context.zone)},
                 {"formats", options.formats},
                 {"lang", std::string(report::to_string(lang))},
                 {"out", user_path(context, options.out).string()}};

  auto record = [&](const std::string& result) {
    index::NewAccessEntry entry{clock.now(), who.uid, who.user, "report", arguments.dump(), result};
    auto logged = index->append_access_log(entry);
    if (!logged) throw CommandError("recording the report in the access log: " + logged.error().message);
  };

  auto data = report::gather(*index, context.config, care::CareCalendar(context.config.care_hours, context.zone),
                             range, gather);
  if (!data) {
    record(data.error().message);
    throw CommandError("gathering the report: " + data.error().message);
  }
  auto out = user_path(context, options.out);
  auto dest = make_destination(context);
  auto written = report::write_report(*data, context.zone, *formats, *dest, out, *key);
  if (!written) {
    if (auto refused = broker_refusal(*dest)) record_peer_refusal(*index, context, "report", *refused);
    else record(written.error().message);
    throw CommandError("writing the report to " + out.string() + ": " + written.error().message);
  }
  arguments["report_json_sha256"] = written->json_sha256;
  arguments["key_fingerprint"] = written->key_fingerprint;
  record("ok");

  std::int64_t gaps = static_cast<std::int64_t>(data->coverage.gaps.size());
  std::printf("report for %s – %s (%s) written to %s:\n", data->from_date.c_str(), data->to_date.c_str(),
              std::string(report::to_string(lang)).c_str(), out.c_str());
  for (const auto& f : written->files) std::printf("  %s\n", f.filename().c_str());
  std::printf("report.json SHA-256 %s, signed by key %s%s\n", written->json_sha256.c_str(),
              written->key_fingerprint.c_str(), key_note.c_str());
  std::printf("%lld gap%s in care time; %zu protected segment%s deleted early%s\n", static_cast<long long>(gaps),
              gaps == 1 ? "" : "s", data->retention.protected_deletions.size(),
              data->retention.protected_deletions.size() == 1 ? "" : "s",
              data->retention.protected_deletions.empty() ? "" : " (a breach of the retention rule: see the report)");
  return kExitOk;
}

int run_verify_report(const ReportVerifyOptions& options, const std::filesystem::path& config_path) {
  auto json = read_file(options.file);
  if (!json) {
    std::fprintf(stderr, "carekeep: cannot read %s; give the report.json of a carekeep report\n", options.file.c_str());
    return kExitUsage;
  }
  std::string sig_path = options.signature.empty() ? options.file + ".sig" : options.signature;
  auto sig = read_file(sig_path);
  if (!sig) {
    std::fprintf(stderr, "carekeep: cannot read the signature %s; it is written beside report.json (or pass --signature)\n",
                 sig_path.c_str());
    return kExitUsage;
  }
  std::optional<std::string> pem;
  if (!options.pubkey.empty()) {
    pem = read_file(options.pubkey);
    if (!pem) {
      std::fprintf(stderr, "carekeep: cannot read the public key %s\n", options.pubkey.c_str());
      return kExitUsage;
    }
  }
  auto verified = report::verify_report(*json, *sig, pem ? std::optional<std::string_view>(*pem) : std::nullopt);
  if (!verified) {
    std::fprintf(stderr, "carekeep: %s: NOT VERIFIED: %s\n", options.file.c_str(), verified.error().message.c_str());
    // A malformed signature file is bad input; a mismatch is a finding, as for verify-export.
    return verified.error().kind == ErrorKind::InvalidArgument ? kExitUsage : kExitFindings;
  }
  std::printf("%s: signature OK\n  SHA-256 %s\n  key fingerprint %s\n", options.file.c_str(), verified->sha256.c_str(),
              verified->key_fingerprint.c_str());
  if (!verified->key_from_signature) return kExitOk;  // --pubkey: a key from outside
  // The key inside the signature file proves the file unchanged, not who signed it: trusted
  // only if a fingerprint from outside names it (issue 15, signing/trust.hpp).
  std::optional<std::string> wanted;
  std::string source = "--fingerprint";
  if (!options.fingerprint.empty()) {
    wanted = options.fingerprint;
  } else {
    auto pin_file = config_path.parent_path() / signing::kFingerprintFileName;
    auto pinned = signing::read_pinned_fingerprint(pin_file);
    if (pinned && *pinned) {
      wanted = **pinned;
      source = "the fingerprint pinned in " + pin_file.string();
    }
  }
  if (!wanted) {
    std::printf("  UNTRUSTED KEY: checked with the public key inside the signature file, which proves the file is\n"
                "  unchanged but not who signed it; compare the fingerprint with the point's, or pass --pubkey FILE\n"
                "  or --fingerprint HEX\n");
    return kExitUntrustedKey;
  }
  auto normalized = sha256_from_hex(*wanted);
  if (!normalized) {
    std::fprintf(stderr, "carekeep: --fingerprint takes the 64 hex digits `carekeep key` shows\n");
    return kExitUsage;
  }
  if (to_hex(*normalized) != verified->key_fingerprint) {
    std::fprintf(stderr, "carekeep: %s: signed by key %s, which is not the one named by %s\n", options.file.c_str(),
                 verified->key_fingerprint.c_str(), source.c_str());
    return kExitFindings;
  }
  std::printf("  key matches %s\n", source.c_str());
  return kExitOk;
}

}  // namespace

Command add_report(CLI::App& parent) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* app = parent.add_subcommand("report", "audit report for a period: HTML, PDF, signed JSON and CSV");
  app->add_option("--from", options->from, "first day: 2026-09-01, or a time (site local time or with an offset)")
      ->required();
  app->add_option("--to", options->to, "last day, included when a date alone; or an end time, excluded")->required();
  app->add_option("--format", options->formats, "comma-separated: html,pdf,json,csv (report.json is always written)")
      ->capture_default_str();
  app->add_option("--lang", options->lang, "zh or en (default: zh when the site's time zone is in China)");
  app->add_option("--out", options->out, "output directory (created if missing)")->required();
  app->add_option(std::string(control::kSigningKeyOption), options->signing_key,
                  "Ed25519 private key (PEM); default: signing.key beside the index, created if missing; "
                  "not when carekeepd runs the report");
  Command command{app, [options](Context& context) { return run_report(*options, context); }};
  command.output_folder = [options] { return options->out; };
  return command;
}

Command add_verify_report(CLI::App& parent) {
  auto options = std::make_shared<ReportVerifyOptions>();
  CLI::App* app = parent.add_subcommand("verify-report", "check a report.json against its signature, offline");
  app->add_option("file", options->file, "report.json")->required();
  app->add_option("--pubkey", options->pubkey, "the point's public key (signing.pub); default: the one in the signature");
  app->add_option("--signature", options->signature, "signature file (default: FILE.sig)");
  app->add_option("--fingerprint", options->fingerprint,
                  "the point's key fingerprint (64 hex digits), obtained outside the box; default: the pinned one");
  app->footer("Exit codes: 0 verified with a trusted key, 2 bad arguments, 4 not verified, 16 verified but only with "
              "the key inside the signature file (no --pubkey, --fingerprint or pinned fingerprint).");
  Command command{app, [](Context&) { return kExitUsage; }};
  command.run_before_config = [options](const std::filesystem::path& config_path) {
    return run_verify_report(*options, config_path);
  };
  return command;
}

}  // namespace carekeep::cli
