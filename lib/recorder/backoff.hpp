// recorder/backoff: exponential reconnect delays with jitter (PRODUCT.md §2: 1 s to 30 s).
// Jitter spreads reconnects of many cameras after a shared outage (a switch reboot).
#pragma once

#include <chrono>
#include <random>

namespace carekeep::recorder {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap, std::uint32_t seed = std::random_device{}())
      : initial_(initial), cap_(cap), next_(initial), rng_(seed) {}

  // The delay before the next attempt: the current step ±20 %, never above the cap;
  // the step doubles after each call.
  std::chrono::milliseconds next() {
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    auto delay = std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(next_.count()) * jitter(rng_)));
    next_ = std::min(cap_, next_ * 2);
    return std::min(delay, cap_);
  }
  void reset() { next_ = initial_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds cap_;
  std::chrono::milliseconds next_;
  std::mt19937 rng_;
};

}  // namespace carekeep::recorder
