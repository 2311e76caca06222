// carekeep key: prints the box's public key (PEM) and its fingerprint (SHA-256 of the raw
// 32-byte Ed25519 key), what an inspector needs to verify exports offline. Reads signing.pub
// (written by carekeepd at start) or the private key file when allowed; never prints the
// private key. The request is recorded in the access log when the index is writable.
// `--pin` (for the installer, as root) writes the fingerprint to signing.fingerprint beside
// the configuration, where `verify` takes it as the trusted key (signing/trust.hpp); an
// existing pin is never overwritten.
#include <cstdio>
#include <memory>

#include "command.hpp"
#include "evidence.hpp"
#include "inspect.hpp"

namespace carekeep::cli {
namespace {

int run_key(bool json, bool pin, Context& context) {
  std::string why;
  auto key = local_public_key(state_dir(context), &why);
  if (!key) throw CommandError("cannot read the box key: " + why + "; carekeepd creates it at its first start");
  // The PEM of the public half, whichever file it came from.
  std::string pem;
  {
    auto pair = signing::KeyPair::load(state_dir(context) / signing::kKeyFileName);
    if (pair) pem = pair->public_key_pem();
  }
  if (pem.empty()) {
    std::FILE* f = std::fopen((state_dir(context) / "signing.pub").c_str(), "r");
    if (f != nullptr) {
      char buf[512];
      std::size_t n = 0;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) pem.append(buf, n);
      std::fclose(f);
    }
  }
  std::error_code ec;
  if (std::filesystem::exists(context.config.site.database, ec)) {
    auto writer = index::Index::open_writer(context.config.site.database);
    if (writer) record(*writer, acting_user(context), "key", "{}", "ok");
  }
  if (pin) {
    auto file = pinned_fingerprint_file(context);
    if (auto st = signing::pin_fingerprint(file, key->fingerprint()); !st) throw CommandError(st.error().message);
    std::fprintf(stderr, "carekeep: fingerprint pinned in %s\n", file.c_str());
  }
  if (json) {
    std::printf("%s\n", Json{{"fingerprint", key->fingerprint()}, {"algorithm", "Ed25519"}, {"public_key_pem", pem}}
                            .dump(2)
                            .c_str());
  } else {
    std::printf("%sfingerprint (SHA-256 of the Ed25519 public key): %s\n", pem.c_str(), key->fingerprint().c_str());
  }
  return kExitOk;
}

}  // namespace

Command add_key(CLI::App& parent) {
  auto json = std::make_shared<bool>(false);
  auto pin = std::make_shared<bool>(false);
  CLI::App* app = parent.add_subcommand("key", "print the box's public signing key and its fingerprint");
  app->add_flag("--json", *json, "{fingerprint, algorithm, public_key_pem}");
  app->add_flag("--pin", *pin,
                "also pin the fingerprint in signing.fingerprint beside the configuration (installation, as root); "
                "never overwrites a pin");
  return Command{app, [json, pin](Context& context) { return run_key(*json, *pin, context); }};
}

}  // namespace carekeep::cli
