// Fuzzes the configuration loader (lib/config/load): carekeep.toml text through config::parse,
// which must report every problem as a diagnostic (never throw, never crash), set the config
// exactly when there is no error, and summarise the outcome.
#include "config/load.hpp"
#include "fuzz_input.hpp"

using namespace carekeep;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto outcome = config::parse(fuzz::as_text(data, size), "fuzz.toml");
  FUZZ_CHECK(outcome.ok() == (outcome.error_count() == 0));
  FUZZ_CHECK(outcome.error_count() + outcome.warning_count() == outcome.diagnostics.size());
  for (const auto& d : outcome.diagnostics) FUZZ_CHECK(!d.message.empty());
  FUZZ_CHECK(!config::summary(outcome).empty());
  return 0;
}
