#include <catch2/catch.hpp>

#include "recorder/backoff.hpp"

using namespace carekeep::recorder;
using namespace std::chrono_literals;

TEST_CASE("backoff retries every second at first, then doubles to the cap, with jitter", "[recorder]") {
  Backoff backoff{1000ms, 30000ms, 3, 42};
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 12; ++i) delays.push_back(backoff.next());
  for (int i = 0; i < 3; ++i) {
    CHECK(delays[i] >= 800ms);
    CHECK(delays[i] <= 1200ms);
  }
  CHECK(delays[3] >= 1600ms);
  CHECK(delays[3] <= 2400ms);
  CHECK(delays[4] >= 3200ms);
  for (auto d : delays) CHECK(d <= 30000ms);
  CHECK(delays.back() >= 24000ms);  // at the cap (30 s -20 %)
  backoff.reset();
  CHECK(backoff.next() <= 1200ms);
}

TEST_CASE("backoff jitter differs between cameras", "[recorder]") {
  Backoff a{1000ms, 30000ms, 15, 1};
  Backoff b{1000ms, 30000ms, 15, 2};
  int same = 0;
  for (int i = 0; i < 10; ++i) same += a.next() == b.next() ? 1 : 0;
  CHECK(same < 10);
}
