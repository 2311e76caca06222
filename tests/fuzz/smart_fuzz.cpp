// Fuzzes the SMART readers of lib/retention/smart: smart.json as the daemon reads it
// (parse_state; root's carekeep-smart writes it, the daemon must survive whatever is in the
// file) and smartctl's --json output as carekeep-smart reads it (parse_smartctl). What either
// accepts is then used the way the daemon and the helper use it: written back (to_json_text,
// which must read back the same), put into status.json (status_json) and assessed for alerts
// (assess) at a fixed "now", in UTC and in a site zone.
#include <nlohmann/json.hpp>

#include "fuzz_input.hpp"
#include "health/smart.hpp"

using namespace carekeep;
using namespace carekeep::health;

namespace {

void use(const SmartState& state) {
  static const TimeZone zone = TimeZone::locate("Asia/Shanghai").value();
  const UtcTime now = from_us(1'796'601'600'000'000);  // 2026-12-07T00:00:00Z
  (void)status_json(state, now, kSmartStaleAfter).dump();
  for (const TimeZone* z : {static_cast<const TimeZone*>(nullptr), &zone}) {
    for (bool seen : {false, true}) {
      auto concerns = assess({&state, now, seen, kSmartStaleAfter, z});
      for (const auto& c : concerns) FUZZ_CHECK(!c.message.empty());
    }
  }
  auto again = parse_state(to_json_text(state));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->checked == state.checked);
  FUZZ_CHECK(again->storage == state.storage && again->source == state.source && again->reason == state.reason);
  FUZZ_CHECK(again->last_available == state.last_available);
  FUZZ_CHECK(again->disks.size() == state.disks.size());
  for (std::size_t i = 0; i < state.disks.size(); ++i) {
    const auto& a = state.disks[i];
    const auto& b = again->disks[i];
    FUZZ_CHECK(a.device == b.device && a.model == b.model && a.serial == b.serial && a.protocol == b.protocol);
    FUZZ_CHECK(a.verdict == b.verdict && a.reason == b.reason && a.exit_status == b.exit_status);
    FUZZ_CHECK(a.temperature_c == b.temperature_c && a.power_on_hours == b.power_on_hours);
    FUZZ_CHECK(a.findings.size() == b.findings.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  if (auto state = parse_state(text)) use(*state);
  if (auto disk = parse_smartctl(text, "/dev/sda")) {
    SmartState state;
    state.checked = from_us(1'796'598'000'000'000);
    state.storage = "/srv/carekeep";
    state.source = "/dev/sda1";
    state.disks.push_back(std::move(*disk));
    use(state);
  }
  return 0;
}
