// carekeep digest: has carekeepd sign a digest of every chain now (issue 15; export/digest.hpp,
// daemon/digest_task.hpp). carekeepd makes it itself, on its loop, because the digest leaves
// the box through its webhooks' queue; this process only asks and prints the answer (the
// file in <data>/digests/ and the digest). Without the daemon it refuses, as hold add does.
#include "command.hpp"

namespace carekeep::cli {

Command add_digest(CLI::App& parent) {
  CLI::App* app = parent.add_subcommand(
      "digest", "have carekeepd sign a digest of every hash chain now, keep it in digests/ and send it to the webhooks");
  app->footer("The daemon also makes one daily at [evidence] digest_time. Keep what the webhooks deliver: carekeep "
              "verify --digest FILE checks that no history before it was rewritten. Exit codes: 0 made, 3 failed "
              "(or carekeepd is not running), 5 not permitted.");
  return Command{app, [](Context&) -> int {
                   // The daemon answers `digest` itself and never spawns this command for it.
                   throw CommandError("the digest is made by carekeepd; run carekeep digest while it runs");
                 }};
}

}  // namespace carekeep::cli
