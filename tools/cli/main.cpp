// carekeep: the inspector CLI (PRODUCT.md §6). Thin main over lib/: parses the global options,
// loads and validates the configuration, dispatches to one subcommand, and turns errors into
// one line on stderr and an exit code. Subcommands are in cmd_<name>.cpp (see command.hpp).
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "base/text.hpp"
#include "config/load.hpp"
#include "command.hpp"

namespace {

using namespace carekeep;

int run_selected(const std::vector<cli::Command>& commands, const std::string& config_path) {
  const cli::Command* selected = nullptr;
  for (const auto& command : commands) {
    if (command.app->parsed()) selected = &command;
  }
  if (selected == nullptr) return cli::kExitUsage;  // CLI11 requires one; defensive only
  if (selected->run_before_config) return selected->run_before_config(config_path);

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
  cli::Context context{config_path, std::move(*outcome.config), *zone};
  return selected->run(context);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"carekeep: inspect a home childcare point's recordings and care hours"};
  app.footer("Exit codes: 0 ok, 1 configuration invalid, 2 bad arguments, 3 command failed; "
             "4 verify/verify-export/verify-report found a problem; export: 10-15 and 130 (see carekeep export --help).");
  std::string config_path = "/etc/carekeep/carekeep.toml";
  app.add_option("--config", config_path, "configuration file")
      ->envname("CAREKEEP_CONFIG")
      ->capture_default_str();
  app.set_version_flag("--version", std::string(CAREKEEP_VERSION));
  app.require_subcommand(1);

  const std::vector<cli::Command> commands{
      cli::add_status(app),
      cli::add_segments(app),
      cli::add_events(app),
      cli::add_calendar(app),
      cli::add_retention(app),
      cli::add_hold(app),
      cli::add_alerts(app),
      cli::add_key(app),
      cli::add_export(app),
      cli::add_verify_export(app),
      cli::add_verify(app),
      cli::add_access_log(app),
      cli::add_doctor(app),
      cli::add_report(app),
      cli::add_verify_report(app),
      cli::add_gaps(app),
      cli::add_zones(app),
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
    return run_selected(commands, config_path);
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
