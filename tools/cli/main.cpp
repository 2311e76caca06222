// carekeep: the inspector CLI (PRODUCT.md §6). Thin main over lib/: parses the global options,
// loads and validates the configuration, dispatches to one subcommand, and turns errors into
// one line on stderr and an exit code. Subcommands are in cmd_<name>.cpp (see command.hpp).
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "base/text.hpp"
#include "config/load.hpp"
#include "command.hpp"

namespace {

using namespace carekeep;

// Where the client looks for carekeepd when the configuration does not say (it is readable
// only by root and the daemon's group on an installed box, because of camera passwords).
constexpr const char* kInstalledSocket = "/run/carekeep/control.sock";

struct Selected {
  const cli::Command* command = nullptr;
  std::vector<std::string> argv;  // from the command name on, as typed
  control::CommandNeeds needs;
};

Selected select(const std::vector<cli::Command>& commands, int argc, char** argv) {
  Selected s;
  for (const auto& command : commands) {
    if (command.app->parsed()) s.command = &command;
  }
  if (s.command == nullptr) return s;
  const std::string name = s.command->app->get_name();
  // Global options come first; skip their values ("--config status" names a file).
  int first = 1;
  while (first < argc && argv[first] != name) {
    std::string_view arg = argv[first];
    first += (arg == "--config" || arg == "--socket") ? 2 : 1;
  }
  for (int i = first; i < argc; ++i) s.argv.emplace_back(argv[i]);
  auto needs = control::needs(s.argv);
  // Every registered command has a rule; a missing one is a programming error caught by the
  // policy test, so treat it as needing the daemon's own rights.
  s.needs = needs ? *needs : control::CommandNeeds{name, control::Role::Admin, true, false};
  return s;
}

std::optional<config::Config> parse_quietly(const std::string& config_path) {
  auto outcome = config::parse_file(config_path);
  if (!outcome.ok()) return std::nullopt;
  return std::move(*outcome.config);
}

int run_here(const Selected& selected, const std::string& config_path, std::optional<control::OnBehalf> on_behalf) {
  if (selected.command->run_before_config) return selected.command->run_before_config(config_path);
  config::ParseOutcome outcome = config::parse_file(config_path);
  if (!outcome.ok()) {
    for (const auto& d : outcome.diagnostics) {
      if (d.severity == config::Severity::Error) std::fprintf(stderr, "%s\n", config::format(d).c_str());
    }
    std::fprintf(stderr, "carekeep: %s; check it with carekeepd --check-config --config %s\n",
                 config::summary(outcome).c_str(), config_path.c_str());
    return cli::kExitConfig;
  }
  auto zone = TimeZone::locate(outcome.config->site.timezone);
  if (!zone) {  // validation located it already; only a tzdata change underneath could do this
    std::fprintf(stderr, "carekeep: %s\n", zone.error().message.c_str());
    return cli::kExitConfig;
  }
  cli::Context context{config_path, std::move(*outcome.config), *zone, std::move(on_behalf)};
  return selected.command->run(context);
}

std::atomic<int> g_cancels{0};
extern "C" void on_cancel(int) { g_cancels.fetch_add(1); }

// The command runs in carekeepd (as its user, with the daemon's configuration); this process
// lends it the terminal and makes its output files. Ctrl-C is passed on as a cancel.
int run_in_daemon(int connection, const Selected& selected) {
  struct sigaction sa {};
  sa.sa_handler = on_cancel;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  auto request = control::request_from_environment(selected.argv);
  std::filesystem::path root;
  if (selected.command->output_folder) root = control::output_root(request.cwd, selected.command->output_folder());
  auto status = control::run(connection, request, &g_cancels, root);
  if (!status) {
    std::fprintf(stderr, "carekeep: %s\n", status.error().message.c_str());
    return cli::kExitFailure;
  }
  return *status;
}

// Commands go to carekeepd when it runs: it checks who may do what, records it, and reads
// what this user may not. When it does not run, commands that only read use the index
// read-only (saying so); those that change it refuse (issue #6, Access).
int run_selected(const Selected& selected, const std::string& config_path, const std::string& socket_option) {
  if (selected.command == nullptr) return cli::kExitUsage;  // CLI11 requires one; defensive only
  if (auto on_behalf = control::on_behalf_from_env()) {
    // carekeepd checked the role already; checking again here costs nothing and holds even if
    // the daemon's reading of the argv and CLI11's ever disagreed.
    if (on_behalf->role < selected.needs.role) {
      std::fprintf(stderr, "carekeep: user %s may not run %s\n", on_behalf->user.c_str(), selected.needs.path.c_str());
      return cli::kExitNotPermitted;
    }
    // A user's export or report must never slow recording down.
    (void)::setpriority(PRIO_PROCESS, 0, 10);
    return run_here(selected, config_path, std::move(on_behalf));
  }
  if (selected.needs.local_only) return run_here(selected, config_path, std::nullopt);

  std::filesystem::path socket = socket_option;
  if (socket.empty()) {
    auto config = parse_quietly(config_path);
    socket = config ? config->access.socket : std::filesystem::path(kInstalledSocket);
  }
  auto connection = control::connect(socket);
  if (connection) return run_in_daemon(connection->get(), selected);
  if (connection.error().kind != ErrorKind::NotFound) {
    std::fprintf(stderr, "carekeep: %s\n", connection.error().message.c_str());
    return connection.error().kind == ErrorKind::FailedPrecondition ? cli::kExitNotPermitted : cli::kExitFailure;
  }
  if (selected.needs.changes_index) {
    std::fprintf(stderr,
                 "carekeep: %s; %s goes through the daemon, which checks and records it: start it "
                 "(systemctl start carekeepd) and try again\n",
                 connection.error().message.c_str(), selected.needs.path.c_str());
    return cli::kExitFailure;
  }
  int status = run_here(selected, config_path, std::nullopt);
  std::fflush(stdout);
  // Said after the output, and only when there was some; a bad argument stays the one line it
  // is. Audited commands open a writer for the access log themselves (root or the daemon's
  // user only); status says it itself, and the calendar reads no index.
  if (status == cli::kExitOk && !selected.needs.audited && selected.needs.path != "calendar" &&
      selected.needs.path != "status") {
    std::fprintf(stderr, "carekeep: %s; this was read from the index read-only\n", connection.error().message.c_str());
  } else if ((status == cli::kExitFailure || status == cli::kExitConfig) && ::geteuid() != 0) {
    // A file this user may not read is the usual reason here: say why they were on their own
    // (root may read everything, so for root the command's own message is the whole story).
    std::fprintf(stderr, "carekeep: %s, so this ran with this user's own access to the files\n",
                 connection.error().message.c_str());
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"carekeep: inspect a home childcare point's recordings and care hours"};
  app.footer("Exit codes: 0 ok, 1 configuration invalid, 2 bad arguments, 3 command failed, 5 not permitted for this user; "
             "4 verify/verify-export/verify-report found a problem; export: 10-15 and 130 (see carekeep export --help).");
  std::string config_path = "/etc/carekeep/carekeep.toml";
  app.add_option("--config", config_path, "configuration file")
      ->envname("CAREKEEP_CONFIG")
      ->capture_default_str();
  std::string socket_path;
  app.add_option("--socket", socket_path,
                 "carekeepd's control socket (default: [access] socket of the configuration, or " +
                     std::string(kInstalledSocket) + " when it is not readable)")
      ->envname("CAREKEEP_SOCKET");
  app.set_version_flag("--version", std::string(CAREKEEP_VERSION));
  app.require_subcommand(1);

  const std::vector<cli::Command> commands{
      cli::add_status(app),
      cli::add_segments(app),
      cli::add_events(app),
      cli::add_calendar(app),
      cli::add_retention(app),
      cli::add_hold(app),
      cli::add_care(app),
      cli::add_alerts(app),
      cli::add_key(app),
      cli::add_export(app),
      cli::add_verify_export(app),
      cli::add_verify(app),
      cli::add_digest(app),
      cli::add_access_log(app),
      cli::add_doctor(app),
      cli::add_report(app),
      cli::add_verify_report(app),
      cli::add_summary(app),
      cli::add_gaps(app),
      cli::add_zones(app),
      cli::add_web(app),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "carekeep: %s; see carekeep --help\n", e.what());
    return cli::kExitUsage;
  }

  try {
    return run_selected(select(commands, argc, argv), config_path, socket_path);
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr, "carekeep: %s\n", e.what());
    return cli::kExitUsage;
  } catch (const cli::CommandError& e) {
    std::fprintf(stderr, "carekeep: %s\n", text::redact_urls_in(e.what()).c_str());
    return cli::kExitFailure;
  } catch (const std::exception& e) {
    // The dispatcher is the boundary no exception crosses (STYLE.md §6).
    std::fprintf(stderr, "carekeep: %s\n", text::redact_urls_in(e.what()).c_str());
    return cli::kExitFailure;
  }
}
