#include "evidence.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "control/broker.hpp"
#include "inspect.hpp"

namespace carekeep::cli {

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return s.str();
}

exports::Actor acting_user(const Context& context) {
  if (context.on_behalf) return exports::Actor{context.on_behalf->uid, context.on_behalf->user};
  return exports::Actor::current();
}

std::filesystem::path user_path(const Context& context, const std::string& given) {
  std::filesystem::path path(given);
  if (path.is_absolute()) return path.lexically_normal();
  std::error_code ec;
  auto base = context.on_behalf ? context.on_behalf->cwd : std::filesystem::current_path(ec);
  return (base / path).lexically_normal();
}

std::unique_ptr<fs::Destination> make_destination(const Context& context) {
  if (context.on_behalf && context.on_behalf->broker >= 0)
    return std::make_unique<control::RemoteDestination>(context.on_behalf->broker,
                                                        std::chrono::seconds(context.config.access.broker_timeout_s));
  return std::make_unique<fs::LocalDestination>();
}

std::optional<std::string> broker_refusal(const fs::Destination& dest) {
  if (const auto* remote = dynamic_cast<const control::RemoteDestination*>(&dest)) return remote->refusal();
  return std::nullopt;
}

bool record_peer_refusal(index::Index& index, const Context& context, std::string_view command,
                         const std::string& reason) {
  Json arguments{{"command", std::string(command)}};
  if (context.on_behalf) arguments["on_behalf"] = true;
  return record(index, acting_user(context), "refused", arguments.dump(), reason);
}

std::filesystem::path state_dir(const Context& context) { return context.config.site.database.parent_path(); }

index::Index open_writer(const Context& context, std::string_view why) {
  { auto checked = open_index(context); }
  const auto& path = context.config.site.database;
  auto opened = index::Index::open_writer(path);
  if (!opened) {
    throw CommandError("cannot write to the index " + path.string() + ": " + opened.error().message + "; " +
                       std::string(why) + " needs write access to carekeepd's data directory (run as its user)");
  }
  return std::move(*opened);
}

bool record(index::Index& index, const exports::Actor& actor, std::string_view action, const std::string& arguments,
            std::string_view result) {
  auto row = exports::record_access(index, actor, action, arguments, result);
  if (row) return true;
  std::fprintf(stderr, "carekeep: warning: %s was not recorded in the access log: %s\n", std::string(action).c_str(),
               row.error().message.c_str());
  return false;
}

signing::KeyPair load_key(const Context& context) {
  auto file = state_dir(context) / signing::kKeyFileName;
  auto key = signing::KeyPair::load(file);
  if (!key) {
    if (key.error().kind == ErrorKind::NotFound)
      throw CommandError("no signing key at " + file.string() + "; carekeepd creates it at its first start");
    throw CommandError(key.error().message + "; signing needs carekeepd's user (or root)");
  }
  return std::move(*key);
}

std::optional<signing::PublicKey> local_public_key(const std::filesystem::path& dir, std::string* error) {
  for (const auto* name : {"signing.pub", "signing.key"}) {
    std::ifstream in(dir / name);
    if (!in) continue;
    std::stringstream buf;
    buf << in.rdbuf();
    auto key = signing::PublicKey::from_pem(buf.str());
    if (key) return std::move(*key);
    if (error != nullptr) *error = (dir / name).string() + ": " + key.error().message;
  }
  if (error != nullptr && error->empty()) *error = "no readable signing.pub or signing.key in " + dir.string();
  return std::nullopt;
}

std::filesystem::path pinned_fingerprint_file(const Context& context) {
  std::error_code ec;
  auto config = std::filesystem::absolute(context.config_path, ec);
  return (ec ? context.config_path : config).parent_path() / signing::kFingerprintFileName;
}

signing::KeyChoice choose_trusted_key(const Context& context, const std::string& pubkey_file,
                                      const std::string& fingerprint) {
  std::optional<std::string> pem;
  if (!pubkey_file.empty()) {
    pem = read_file(pubkey_file);
    if (!pem) throw CommandError("cannot read --pubkey " + pubkey_file);
  }
  std::optional<std::string> fp;
  if (!fingerprint.empty()) fp = fingerprint;
  auto choice = signing::choose_key(pem, fp, pinned_fingerprint_file(context), local_public_key(state_dir(context)));
  if (!choice) {
    if (choice.error().kind == ErrorKind::InvalidArgument) throw UsageError(choice.error().message);
    throw CommandError(choice.error().message);
  }
  return std::move(*choice);
}

}  // namespace carekeep::cli
