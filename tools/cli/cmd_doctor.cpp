// carekeep doctor: is this box fit to be left alone? Runs every check of lib/doctor (config,
// storage, capacity at the cameras' measured bitrates, each camera, clock and time zone,
// permissions, the daemon) and prints each verdict with plain-words advice, or JSON with
// --json. Exit status 0: fit (warnings allowed); 1: at least one check failed (an invalid
// configuration is such a failure); 2: bad arguments. Reads the configuration itself, so
// an invalid file is reported as a failed check rather than stopping the command.
// --skip NAME leaves a check out (e.g. daemon before the first start, clock on a test box).
// --fix-storage (root) writes the drop-in the sandbox check asks for, then runs the checks.
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "command.hpp"
#include "config/load.hpp"
#include "doctor/doctor.hpp"
#include "evidence.hpp"
#include "index/index.hpp"
#include "inspect.hpp"
#include "health/smart.hpp"
#include "health/smart_probe.hpp"

namespace carekeep::cli {
namespace {

using doctor::Check;
using doctor::Verdict;

struct DoctorOptions {
  bool json = false;
  double probe_seconds = 5;
  std::vector<std::string> skip;  // check names
  std::string user = "carekeep";
  bool fix_storage = false;
  std::filesystem::path unit_root = "/";  // where systemd's unit directories are (tests: a tree)
};

const char* mark(Verdict v) {
  switch (v) {
    case Verdict::Pass: return "ok  ";
    case Verdict::Warn: return "WARN";
    case Verdict::Fail: return "FAIL";
    case Verdict::Skip: return "skip";
  }
  return "?   ";
}

// The names --skip accepts: every check run_doctor adds.
const std::vector<std::string> kCheckNames{"config",    "storage",   "sandbox",   "capacity",    "camera",      "disk_health",
                                           "clock",     "timezone",  "state_dir",   "database",    "status_file",
                                           "config_file", "daemon_user", "daemon",      "control",     "access_group"};

// As root the disks are asked directly (smartctl needs the raw device); otherwise what the
// hourly carekeep-smart last wrote beside the index is read.
std::vector<Check> disk_health_checks(const config::Config& config) {
  auto now = SystemClock{}.now();
  auto path = health::state_path(config.site.database);
  auto previous = health::read_state(path);
  if (::geteuid() == 0) {
    auto state = health::probe_smart(config.site.storage, previous ? *previous : std::nullopt, now);
    return doctor::check_disk_health(state, now, health::kSmartStaleAfter);
  }
  if (!previous || !*previous) {
    return {{"disk_health", config.site.storage.string(), Verdict::Warn,
             previous ? "no SMART result yet (" + path.string() + " does not exist) and not root to ask the disk"
                      : previous.error().message,
             "run carekeep doctor as root, and enable the hourly check: systemctl enable --now carekeep-smart.timer"}};
  }
  return doctor::check_disk_health(**previous, now, health::kSmartStaleAfter);
}

int report(std::vector<Check> checks, const DoctorOptions& options) {
  bool json = options.json;
  for (auto& c : checks) {
    if (c.name == "config") continue;  // nothing else means anything without a valid config
    if (std::find(options.skip.begin(), options.skip.end(), c.name) != options.skip.end()) {
      c.verdict = Verdict::Skip;
      c.finding = "skipped on request (--skip " + c.name + ")";
      c.advice.clear();
    }
  }
  bool fit = doctor::fit(checks);
  if (json) {
    Json out{{"fit", fit}, {"checks", Json::array()}};
    for (const auto& c : checks) {
      out["checks"].push_back({{"check", c.name},
                               {"subject", c.subject},
                               {"verdict", std::string(doctor::to_string(c.verdict))},
                               {"finding", c.finding},
                               {"advice", c.advice}});
    }
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    for (const auto& c : checks) {
      std::string head = c.name + (c.subject.empty() ? "" : " " + c.subject);
      std::printf("%s %s: %s\n", mark(c.verdict), head.c_str(), c.finding.c_str());
      if (!c.advice.empty()) {
        // Multi-line advice (a file to create) stays indented under its arrow.
        std::string advice;
        for (char ch : c.advice) advice += ch == '\n' ? std::string("\n        ") : std::string(1, ch);
        std::printf("     -> %s\n", advice.c_str());
      }
    }
    int failed = 0;
    int warned = 0;
    for (const auto& c : checks) {
      failed += c.verdict == Verdict::Fail ? 1 : 0;
      warned += c.verdict == Verdict::Warn ? 1 : 0;
    }
    if (fit) {
      std::printf("\nfit to be left alone%s\n",
                  warned > 0 ? (" (" + std::to_string(warned) + " warning(s) worth a look)").c_str() : "");
    } else {
      std::printf("\nNOT fit to be left alone: %d check(s) failed; fix them and run carekeep doctor again\n", failed);
    }
  }
  return fit ? kExitOk : 1;
}

int run_doctor(const std::filesystem::path& config_path, const DoctorOptions& options) {
  std::vector<Check> checks;
  config::ParseOutcome outcome = config::parse_file(config_path);
  if (!outcome.ok()) {
    std::string problems;
    for (const auto& d : outcome.diagnostics) {
      if (d.severity == config::Severity::Error) problems += (problems.empty() ? "" : "; ") + config::format(d);
    }
    checks.push_back({"config", config_path.string(), Verdict::Fail, config::summary(outcome) + ": " + problems,
                      "fix the file (carekeepd --check-config --config " + config_path.string() +
                          " lists every problem), then run carekeep doctor again"});
    return report(std::move(checks), options);
  }
  const config::Config& config = *outcome.config;
  checks.push_back({"config", config_path.string(), Verdict::Pass, config::summary(outcome), ""});

  if (options.fix_storage) {
    // Before the checks, so that they judge the result.
    if (::geteuid() != 0) {
      std::fprintf(stderr, "carekeep doctor --fix-storage writes %s: run it as root (sudo)\n",
                   std::string(doctor::kStorageDropIn).c_str());
      return 1;
    }
    auto written = doctor::write_storage_drop_in(options.unit_root, config.site.storage, options.user);
    if (!written) {
      std::fprintf(stderr, "carekeep doctor --fix-storage: %s\n", written.error().message.c_str());
      return 1;
    }
    // On stderr under --json, which keeps stdout one JSON document.
    std::fprintf(options.json ? stderr : stdout, "wrote %s; now run: systemctl daemon-reload && systemctl restart carekeepd\n\n",
                 written->string().c_str());
  }
  auto mount = doctor::mount_of(config.site.storage);
  auto space = doctor::space_of(config.site.storage);
  checks.push_back(doctor::check_storage(config, mount, space));
  checks.push_back(doctor::check_sandbox(config, doctor::read_unit_sandbox(options.unit_root), mount));

  bool probing = options.probe_seconds > 0 &&
               std::find(options.skip.begin(), options.skip.end(), "camera") == options.skip.end();
  std::vector<doctor::Probe> probes;
  if (probing) {
    probes = doctor::probe_cameras(config, std::chrono::milliseconds(static_cast<long>(options.probe_seconds * 1000)));
  }
  doctor::CapacityInput capacity;
  if (space) {
    capacity.total_bytes = space->total_bytes;
    capacity.free_bytes = space->free_bytes;
  }
  if (auto index = index::Index::open_reader(config.site.database)) {
    if (auto bytes = index->footage_bytes()) capacity.footage_bytes = static_cast<std::uint64_t>(*bytes);
  }
  std::vector<Check> camera_checks;
  std::size_t next = 0;
  for (const auto& camera : config.cameras) {
    if (!camera.enabled) {
      camera_checks.push_back({"camera", camera.id, Verdict::Skip, "disabled in the configuration", ""});
      continue;
    }
    ++capacity.cameras_enabled;
    if (!probing) {
      camera_checks.push_back({"camera", camera.id, Verdict::Skip, "not probed (--probe-seconds 0)", ""});
      continue;
    }
    const auto& probe = probes[next++];
    if (probe.connected && probe.cause.empty() && probe.bitrate_bps() > 0) {
      capacity.bitrate_bps += probe.bitrate_bps();
      ++capacity.cameras_measured;
    }
    camera_checks.push_back(doctor::check_camera(camera, probe));
  }
  for (const auto& camera : config.cameras) {
    if (camera.enabled && camera.allow_basic_auth) camera_checks.push_back(doctor::check_camera_auth(camera));
    if (camera.enabled && doctor::uses_tls(camera)) {
      // One TLS handshake each: shows the fingerprint to pin even with --probe-seconds 0.
      camera_checks.push_back(doctor::check_camera_tls(camera, doctor::inspect_camera_tls(camera, std::chrono::seconds(5))));
    }
  }
  if (space) {
    checks.push_back(doctor::check_capacity(config, capacity));
  }
  checks.insert(checks.end(), camera_checks.begin(), camera_checks.end());
  {
    std::map<std::string, int, std::less<>> widths;
    for (const auto& probe : probes)
      if (probe.width > 0) widths[probe.camera] = probe.width;
    for (auto& c : doctor::check_floorplan(config, widths)) checks.push_back(std::move(c));
  }
  if (std::find(options.skip.begin(), options.skip.end(), "disk_health") == options.skip.end()) {
    for (auto& c : disk_health_checks(config)) checks.push_back(std::move(c));
  } else {
    checks.push_back({"disk_health", "", Verdict::Skip, "", ""});
  }

  auto clock = doctor::read_clock();
  checks.push_back(doctor::check_clock(clock));
  checks.push_back(doctor::check_timezone(config, clock));
  for (auto& c : doctor::check_permissions(config, config_path, options.user)) checks.push_back(std::move(c));
  {
    std::error_code ec;
    auto absolute = std::filesystem::absolute(config_path, ec);
    auto pin_file = (ec ? config_path : absolute).parent_path() / signing::kFingerprintFileName;
    auto key = local_public_key(config.site.database.parent_path());
    auto pinned = signing::read_pinned_fingerprint(pin_file);
    checks.push_back(doctor::check_signing_key(key ? std::optional(key->fingerprint()) : std::nullopt,
                                               pinned ? *pinned : std::nullopt, pin_file.string()));
  }
  bool skip_daemon = std::find(options.skip.begin(), options.skip.end(), "daemon") != options.skip.end();
  if (skip_daemon) {
    checks.push_back(Check{"daemon", "", Verdict::Skip, "", ""});
  } else {
    checks.push_back(doctor::check_daemon(config, SystemClock{}.now(), std::chrono::seconds(15)));
    // A stopped daemon removes its socket (that is the daemon check's finding already); one
    // that is there must answer.
    std::error_code ec;
    if (std::filesystem::exists(config.access.socket, ec)) {
      for (auto& c : doctor::check_control(config)) checks.push_back(std::move(c));
    }
  }
  return report(std::move(checks), options);
}

}  // namespace

Command add_doctor(CLI::App& parent) {
  auto options = std::make_shared<DoctorOptions>();
  auto* app = parent.add_subcommand(
      "doctor", "check that this box is fit to be left alone (exit 0) or say what to fix (exit 1)");
  app->add_flag("--json", options->json, "print the checks as JSON");
  app->add_option("--probe-seconds", options->probe_seconds,
                  "how long to read each camera to measure bitrate and key frames (0: do not connect)")
      ->check(CLI::Range(0.0, 60.0))
      ->capture_default_str();
  app->add_option("--skip", options->skip,
                  "leave a check out, repeatable: e.g. --skip daemon before carekeepd's first start")
      ->check(CLI::IsMember(kCheckNames));
  app->add_option("--user", options->user, "the user carekeepd runs as")->capture_default_str();
  app->add_flag("--fix-storage", options->fix_storage,
                "as root: write the systemd drop-in that lets carekeepd write [site] storage (the sandbox check's advice)");
  // Tests point this at a tree of their own; on a box it is "/".
  app->add_option("--unit-root", options->unit_root, "where systemd's unit directories are")->group("");
  Command command{app, [](Context&) { return kExitFailure; }};
  command.run_before_config = [options](const std::filesystem::path& config_path) {
    return run_doctor(config_path, *options);
  };
  return command;
}

}  // namespace carekeep::cli
