#include "base/boot.hpp"

#include <time.h>

#include <fstream>
#include <sstream>

namespace carekeep {

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id", std::ios::binary);
  if (!in) return {};
  std::stringstream buf;
  buf << in.rdbuf();
  auto id = buf.str();
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id;
}

BootStamp read_boot() {
  BootStamp boot{boot_id(), Micros::zero()};
  // CLOCK_BOOTTIME, not CLOCK_MONOTONIC: it counts suspended time too, so the time it says has
  // passed is real time. libfaketime with FAKETIME_DONT_FAKE_MONOTONIC=1 leaves it alone, as
  // the kernel's clock steps do.
  timespec ts{};
  if (::clock_gettime(CLOCK_BOOTTIME, &ts) != 0) return {std::string(), Micros::zero()};
  boot.since_boot = std::chrono::duration_cast<Micros>(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
  return boot;
}

}  // namespace carekeep
