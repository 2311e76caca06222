// carekeep CLI: what every subcommand shares. A subcommand lives in its own cmd_<name>.cpp as
// one add_<name>() that declares its CLI11 options and returns the function that runs it;
// main() lists the add_ functions, loads the configuration once into a Context and runs the
// chosen one. Adding a subcommand = one new file + one line in main.cpp and CMakeLists.txt.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>

#include <CLI/CLI.hpp>

#include "base/time.hpp"
#include "config/config.hpp"
#include "control/session.hpp"

namespace carekeep::cli {

// Exit codes of every subcommand (documented in `carekeep --help`).
inline constexpr int kExitOk = 0;
inline constexpr int kExitConfig = 1;   // the configuration file is missing or invalid
inline constexpr int kExitUsage = 2;    // bad arguments
inline constexpr int kExitFailure = 3;  // the command itself failed
inline constexpr int kExitNotPermitted = control::kExitNotPermitted;  // 5: this user may not do that

// The loaded, validated configuration, handed to the running subcommand.
struct Context {
  std::filesystem::path config_path;
  config::Config config;
  TimeZone zone;  // the site's zone: every local time shown is in it
  // Set when carekeepd runs this command for a user through its control socket: who acts, the
  // user's working directory, and the broker that makes the user's output files.
  std::optional<control::OnBehalf> on_behalf = std::nullopt;
};

// Bad input a subcommand notices after CLI11 has parsed (a malformed date, an empty range):
// main prints "carekeep: <message>" on one line and exits with kExitUsage.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A command that could not do its work (index missing or unreadable): main prints
// "carekeep: <message>" on one line and exits with kExitFailure.
class CommandError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Run = std::function<int(Context&)>;

struct Command {
  CLI::App* app;  // owned by the parent CLI::App
  Run run;
  // When set, runs instead of `run` before the configuration is loaded: for commands that
  // report an invalid configuration themselves (doctor).
  std::function<int(const std::filesystem::path& config_path)> run_before_config = {};
  // For commands that write files a person takes away (export, report): the output folder as
  // typed (--out). When carekeepd runs the command, this process makes its files, and only in
  // that folder (control::BrokerServer's root).
  std::function<std::string()> output_folder = {};
};

// One per subcommand, in cmd_<name>.cpp.
Command add_calendar(CLI::App& parent);
Command add_status(CLI::App& parent);
Command add_segments(CLI::App& parent);
Command add_events(CLI::App& parent);
Command add_retention(CLI::App& parent);
Command add_hold(CLI::App& parent);
Command add_care(CLI::App& parent);             // cmd_care.cpp: ad-hoc care sessions (issue 17)
Command add_alerts(CLI::App& parent);
Command add_key(CLI::App& parent);            // cmd_key.cpp .. cmd_access_log.cpp: evidence (issue #6)
Command add_export(CLI::App& parent);
Command add_verify_export(CLI::App& parent);
Command add_verify(CLI::App& parent);
Command add_digest(CLI::App& parent);           // cmd_digest.cpp: the signed digest, made by carekeepd
Command add_access_log(CLI::App& parent);
Command add_doctor(CLI::App& parent);
Command add_report(CLI::App& parent);
Command add_verify_report(CLI::App& parent);
Command add_summary(CLI::App& parent);        // cmd_summary.cpp: the daily summary (issue 17)
Command add_gaps(CLI::App& parent);             // cmd_gaps.cpp, cmd_zones.cpp: coverage (issue #5)
Command add_zones(CLI::App& parent);
Command add_web(CLI::App& parent);             // cmd_web.cpp: the web console's accounts (issue 16)

}  // namespace carekeep::cli
