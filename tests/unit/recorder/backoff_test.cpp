#include <catch2/catch.hpp>

#include "recorder/recorder.hpp"

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

TEST_CASE("during care hours cheap failures retry every second however long the outage, costly ones escalate",
          "[recorder]") {
  using carekeep::ingest::DownCause;
  // The 35 s outage: after 15 fast attempts the old backoff waited 2, 4, 8 s, so the
  // camera recorded 12 s after it answered again.
  Backoff backoff{1000ms, 30000ms, 15, 7};
  for (int i = 0; i < 200; ++i) {
    auto d = backoff.next(pace_after(DownCause::Refused, true));
    REQUIRE(d >= 400ms);
    REQUIRE(d <= 600ms);
  }
  for (auto cause : {DownCause::Unreachable, DownCause::Timeout, DownCause::Stalled, DownCause::StreamEnded,
                     DownCause::Protocol, DownCause::CodecChanged}) {
    CHECK(pace_after(cause, true) == Backoff::Pace::Steady);
    CHECK(pace_after(cause, false) == Backoff::Pace::Escalate);
  }
  // A refused password retried every second locks many cameras' accounts.
  for (auto cause : {DownCause::AuthFailed, DownCause::NotFound, DownCause::Unsupported, DownCause::LimitExceeded,
                     DownCause::TlsUntrusted}) {
    CHECK(pace_after(cause, true) == Backoff::Pace::Escalate);
  }
  Backoff costly{1000ms, 30000ms, 15, 7};
  std::chrono::milliseconds last{};
  for (int i = 0; i < 25; ++i) last = costly.next(pace_after(DownCause::AuthFailed, true));
  CHECK(last >= 24000ms);
}
