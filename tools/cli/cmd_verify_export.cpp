// carekeep verify-export DIR [--pubkey FILE | --fingerprint HEX]: checks an export offline
// (issues #6, 15). Needs no configuration and no index: with --pubkey it runs on any machine.
// Without it, the box's own key is used when the configuration is readable and its fingerprint
// is the one the manifest names; that key is trusted only if --fingerprint or the fingerprint
// pinned beside the configuration names it (signing/trust.hpp). Exit 0 valid with a trusted
// key, 4 any mismatch (each named on stderr), 3 not an export, 16 valid but signed by a key
// nothing outside the box vouches for. On the box, the check is also recorded in the access log.
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "command.hpp"
#include "config/load.hpp"
#include "evidence.hpp"
#include "export/verify_export.hpp"
#include "inspect.hpp"

namespace carekeep::cli {
namespace {

struct VerifyExportOptions {
  std::string dir;
  std::string pubkey;
  std::string fingerprint;
  bool json = false;
};

int run_verify_export(const VerifyExportOptions& o, const std::filesystem::path& config_path) {
  std::filesystem::path dir = o.dir;
  auto claimed = exports::manifest_key_fingerprint(dir);
  if (!claimed) throw CommandError(claimed.error().message);

  // The configuration is optional here: on an inspector's laptop there is none.
  std::optional<Context> context;
  auto outcome = config::parse_file(config_path);
  if (outcome.ok()) {
    if (auto zone = TimeZone::locate(outcome.config->site.timezone))
      context = Context{config_path, std::move(*outcome.config), *zone};
  }

  std::optional<std::string> pem;
  if (!o.pubkey.empty()) {
    std::ifstream in(o.pubkey);
    if (!in) throw UsageError("cannot read --pubkey " + o.pubkey);
    std::stringstream buf;
    buf << in.rdbuf();
    pem = buf.str();
  }
  std::string why;
  std::optional<signing::PublicKey> local;
  if (context) local = local_public_key(state_dir(*context), &why);
  auto pin = context ? pinned_fingerprint_file(*context) : config_path.parent_path() / signing::kFingerprintFileName;
  auto choice = signing::choose_key(pem, o.fingerprint.empty() ? std::nullopt : std::optional<std::string>(o.fingerprint),
                                    pin, std::move(local));
  if (!choice) {
    if (choice.error().kind == ErrorKind::InvalidArgument) throw UsageError(choice.error().message);
    throw CommandError(choice.error().message);
  }
  if (choice->trust == signing::KeyTrust::Mismatch) {
    std::fprintf(stderr, "MISMATCH  %s\n", choice->detail.c_str());
    return kExitFindings;
  }
  if (!choice->key)
    throw UsageError("no --pubkey given and no local box key (" + (context ? why : "no configuration") +
                     "); pass the box's public key (from `carekeep key`) with --pubkey FILE");
  auto key = std::move(choice->key);
  if (!pem && key->fingerprint() != *claimed)
    throw UsageError("the export was signed by key " + *claimed + ", not by this box (" + key->fingerprint() +
                     "); pass that box's public key with --pubkey FILE");

  auto check = exports::verify_export(dir, *key);
  if (!check) throw CommandError(check.error().message);
  std::string result = check->valid() ? "ok" : std::to_string(check->problems.size()) + " problem(s): " + check->problems.front();
  std::error_code ec;
  if (context && std::filesystem::exists(context->config.site.database, ec)) {
    // Best effort: on the box the check is part of the audit trail; elsewhere there is no log.
    auto writer = index::Index::open_writer(context->config.site.database);
    if (writer) {
      Json args{{"dir", std::filesystem::absolute(dir).string()}, {"key", key->fingerprint()}};
      record(*writer, exports::Actor::current(), "verify_export", args.dump(), result);
    }
  }
  if (o.json) {
    Json out{{"valid", check->valid()},
             {"key_fingerprint", key->fingerprint()},
             {"key_trusted", choice->trusted()},
             {"verified", check->verified},
             {"problems", check->problems}};
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    for (const auto& f : check->verified) std::printf("ok        %s\n", f.c_str());
    for (const auto& p : check->problems) std::fprintf(stderr, "MISMATCH  %s\n", p.c_str());
    if (check->valid()) {
      std::printf("export %s is intact: signature by key %s verified, %zu files match the manifest\n", o.dir.c_str(),
                  key->fingerprint().c_str(), check->verified.size());
    } else {
      std::fprintf(stderr, "carekeep: export %s FAILED verification: %zu problem(s)\n", o.dir.c_str(),
                   check->problems.size());
    }
  }
  if (!check->valid()) return kExitFindings;
  if (!choice->trusted()) {
    std::fprintf(stderr,
                 "carekeep: the export is intact, but no key from outside the box vouches for its signature: %s. "
                 "Compare the fingerprint with the one recorded at installation and pass --fingerprint HEX or "
                 "--pubkey FILE.\n",
                 choice->detail.c_str());
    return kExitUntrustedKey;
  }
  return kExitOk;
}

}  // namespace

Command add_verify_export(CLI::App& parent) {
  auto o = std::make_shared<VerifyExportOptions>();
  CLI::App* app = parent.add_subcommand("verify-export", "check an export's signature and file hashes (offline)");
  app->add_option("dir", o->dir, "the export folder")->required();
  app->add_option("--pubkey", o->pubkey, "the box's public key (PEM, from `carekeep key`); default: this box's key");
  app->add_option("--fingerprint", o->fingerprint,
                  "fingerprint of the box's key (64 hex digits), obtained outside the box; default: the pinned one");
  app->add_flag("--json", o->json, "result as JSON: {valid, key_fingerprint, verified, problems}");
  app->footer("Exit codes: 0 intact, 2 bad arguments or no usable key, 3 not an export, 4 mismatch found, 16 intact "
              "but the key is this box's own, neither given nor pinned.");
  Command command{app, {}};
  command.run = [](Context&) { return kExitUsage; };  // never used: runs before the configuration
  command.run_before_config = [o](const std::filesystem::path& config_path) {
    return run_verify_export(*o, config_path);
  };
  return command;
}

}  // namespace carekeep::cli
