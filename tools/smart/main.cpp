// carekeep-smart: reads the SMART health of the disks under [site] storage with smartctl and
// writes it to smart.json beside the index, atomically, for carekeepd (which cannot open raw
// disks) to turn into alerts. Run as root by carekeep-smart.service; by hand it prints the
// same one line per disk. Exit codes: 0 written (whatever the disks' health: the daemon
// alerts, not the unit), 1 configuration invalid or the file could not be written, 2 usage.
// It writes as root into a directory carekeepd's user owns, so it follows no symlink it did
// not create (health::write_state; issue 14).
#include <pwd.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "config/load.hpp"
#include "health/smart.hpp"
#include "health/smart_probe.hpp"

namespace {

using namespace carekeep;

int run(const std::string& config_path, std::chrono::seconds timeout, const std::string& daemon_user) {
  auto config = config::load(config_path);
  if (!config) {
    std::fprintf(stderr, "carekeep-smart: %s: %s\n", config_path.c_str(), config.error().message.c_str());
    return 1;
  }
  auto path = health::state_path(config->site.database);
  // A previous file tells whether SMART was ever readable; an unreadable one counts as none.
  auto previous = health::read_state(path);
  if (!previous) std::fprintf(stderr, "carekeep-smart: ignoring %s\n", previous.error().message.c_str());
  health::ProbeOptions options;
  options.timeout = timeout;
  auto state = health::probe_smart(config->site.storage, previous ? *previous : std::nullopt, SystemClock{}.now(),
                                      options);
  if (!state.reason.empty()) std::printf("%s: %s\n", state.storage.c_str(), state.reason.c_str());
  for (const auto& d : state.disks) {
    std::string line = d.device + " " + std::string(health::to_string(d.verdict));
    if (!d.model.empty()) line += " (" + d.model + ")";
    if (!d.reason.empty()) line += ": " + d.reason;
    for (const auto& f : d.findings) line += "; " + f.attribute + ": " + f.detail;
    std::printf("%s\n", line.c_str());
  }
  // The state directory is the daemon's (StateDirectory=, owned by its user): trusted, like
  // root's own, and nobody else's.
  std::vector<uid_t> owners;
  if (const passwd* pw = ::getpwnam(daemon_user.c_str()); pw != nullptr) owners.push_back(pw->pw_uid);
  if (auto st = health::write_state(path, state, owners); !st) {
    std::fprintf(stderr, "carekeep-smart: %s\n", st.error().message.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"carekeep-smart: reads the SMART health of the footage disk for carekeepd (run as root)"};
  std::string config_path = "/etc/carekeep/carekeep.toml";
  int timeout_seconds = 60;
  std::string daemon_user = "carekeep";
  app.add_option("--config", config_path, "configuration file")->capture_default_str();
  app.add_option("--timeout", timeout_seconds, "seconds each smartctl, findmnt or lsblk run may take")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_option("--user", daemon_user, "the user carekeepd runs as (may own the state directory)")
      ->capture_default_str();
  app.set_version_flag("--version", std::string(CAREKEEP_VERSION));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "carekeep-smart: %s; see carekeep-smart --help\n", e.what());
    return 2;
  }
  try {
    return run(config_path, std::chrono::seconds(timeout_seconds), daemon_user);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "carekeep-smart: %s\n", e.what());
    return 1;
  }
}
