// base/boot: which boot of the kernel this is (/proc/sys/kernel/random/boot_id) and how long
// since it started (CLOCK_BOOTTIME, which keeps counting across a process restart and during
// suspend). Two processes of one boot can tell real time elapsed between them from these, even
// when the wall clock was stepped meanwhile. Thread-safe; reads /proc once per call, never blocks
// beyond that. Does not interpret them: the clock guard (retention/clock_guard) does.
#pragma once

#include <string>

#include "base/time.hpp"

namespace carekeep {

// The kernel's boot id ("0b3a…-…", without the newline); empty when it cannot be read (no /proc).
std::string boot_id();

// A boot and the time since it started, read together by the caller that hands them to pure
// code (the clock guard takes one as a value, the way it takes the NTP state).
struct BootStamp {
  std::string id;           // boot_id(); empty: unknown
  Micros since_boot{0};     // CLOCK_BOOTTIME now
};

// This machine's boot id and CLOCK_BOOTTIME now.
BootStamp read_boot();

}  // namespace carekeep
