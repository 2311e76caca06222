// carekeepd: the daemon's thin main (STYLE.md §1): parses its arguments, validates the
// configuration, and hands over to daemon::run (daemon.cpp), the composition root.
// Exit codes: 0 clean stop or config valid (--check-config), 1 config invalid or the daemon
// could not start, 2 usage error, 3 internal failure.
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "base/log.hpp"
#include "config/load.hpp"
#include "daemon.hpp"

namespace {

constexpr int kConfigInvalid = 1;
constexpr int kUsage = 2;
constexpr int kInternal = 3;

int run(const std::string& config_path, bool check_only) {
  using namespace carekeep;
  config::ParseOutcome outcome = config::parse_file(config_path);
  for (const auto& diagnostic : outcome.diagnostics) {
    std::fprintf(stderr, "%s\n", config::format(diagnostic).c_str());
  }
  std::string summary = config::summary(outcome);
  if (!outcome.ok()) {
    std::fprintf(stderr, "%s\n", summary.c_str());
    return kConfigInvalid;
  }
  if (check_only) {
    std::printf("%s\n", summary.c_str());
    return 0;
  }
  return daemon::run(config_path);
}

}  // namespace

int main(int argc, char** argv) {
  // glibc's own mmap threshold, on purpose: fixing it (256 KiB, to hand content-check pictures
  // back to the system) made every fragment's mdat buffer in FFmpeg's muxer a fresh mapping,
  // faulted in page by page and unmapped with a TLB shootdown across the cameras' threads:
  // 2.4x the recording's CPU (tools/bench/record.sh, 16 streams: 0.390 against 0.160 CPU-s
  // per stream-minute) for 0.5-0.8 MiB less resident per stream. The content gate now
  // decodes a picture rarely, on one worker thread, so what the heap keeps of it is bounded.
  CLI::App app{"carekeepd: records a home childcare point's cameras and keeps care-hours footage"};
  std::string config_path = "/etc/carekeep/carekeep.toml";
  bool check_only = false;
  app.add_option("--config", config_path, "configuration file")->capture_default_str();
  app.add_flag("--check-config", check_only,
               "validate the configuration, print every problem found and exit (0 valid, 1 not)");
  app.set_version_flag("--version", std::string(CAREKEEP_VERSION));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "carekeepd: %s; see carekeepd --help\n", e.what());
    return kUsage;
  }
  try {
    return run(config_path, check_only);
  } catch (const std::exception& e) {
    // Nothing below main may let an exception escape unlogged (STYLE.md §6).
    carekeep::log::critical("daemon_failed", {{"error", e.what()}});
    return kInternal;
  }
}
