// The content checks' gate (issue 19): which due samples are decoded, from the stream's sizes.
#include <catch2/catch.hpp>

#include "content/gate.hpp"

using namespace carekeep;
using content::GateReason;
using content::SampleGate;
using content::StreamSizes;

namespace {

const UtcTime kT0 = from_us(1'795'000'000'000'000);
UtcTime at(int seconds) { return kT0 + Micros{std::int64_t{seconds} * 1'000'000}; }

// A detailed 1080p scene: 300 KB keyframes, 20 KB inter frames (2 s GOP at 25 fps).
constexpr StreamSizes kLive{300'000, 49 * 20'000, 49};

// Learns a baseline of three clean decodes at 0, 5 and 10 s.
SampleGate learned() {
  SampleGate gate;
  for (int t = 0; t <= 10; t += 5) {
    auto choice = gate.choose(at(t), kLive, false);
    CHECK(choice.decode);
    CHECK(choice.reason == GateReason::Learning);
    gate.decoded(at(t), kLive, true);
  }
  return gate;
}

}  // namespace

TEST_CASE("a steady stream is decoded only while learning and then every two minutes", "[content][gate]") {
  auto gate = learned();
  int decodes = 0;
  for (int t = 15; t < 15 + 300; t += 5) {
    // Real streams wobble by a few percent from GOP to GOP.
    StreamSizes sizes = kLive;
    sizes.keyframe_bytes += (t % 3 - 1) * 15'000;
    sizes.inter_bytes += (t % 7 - 3) * 20'000;
    auto choice = gate.choose(at(t), sizes, false);
    if (choice.decode) {
      CHECK(choice.reason == GateReason::Regular);
      gate.decoded(at(t), sizes, true);
      ++decodes;
    } else {
      CHECK(choice.reason == GateReason::Steady);
    }
  }
  CHECK(decodes == 2);  // 300 s with a safety-net decode every 2 minutes (130 s, 250 s), instead of 60
}

TEST_CASE("the signals of a black, covered or frozen picture make the gate decode at once", "[content][gate]") {
  auto gate = learned();
  CHECK_FALSE(gate.choose(at(15), kLive, false).decode);
  // Black or covered: the keyframe shrinks to a fraction.
  StreamSizes black{9'000, 49 * 300, 49};
  CHECK(gate.choose(at(15), black, false).reason == GateReason::KeyframeSmaller);
  // Frozen: the keyframe is as before (the same picture, encoded again), the inter frames are empty.
  StreamSizes frozen{290'000, 49 * 150, 49};
  CHECK(gate.choose(at(15), frozen, false).reason == GateReason::MotionDropped);
  // A scene that changed its nature (lights on, much more detail).
  StreamSizes brighter{600'000, 49 * 22'000, 49};
  CHECK(gate.choose(at(15), brighter, false).reason == GateReason::KeyframeLarger);
  // Whatever the sizes, a suspicious detector gets every sample.
  CHECK(gate.choose(at(15), kLive, true).reason == GateReason::Suspect);
}

TEST_CASE("a faulty picture never becomes the baseline, a slowly changing clean one does", "[content][gate]") {
  auto gate = learned();
  // A black picture decoded (not clean): the baseline stays, so black keeps being decoded.
  StreamSizes black{9'000, 49 * 300, 49};
  for (int t = 15; t < 60; t += 5) {
    REQUIRE(gate.choose(at(t), black, false).decode);
    gate.decoded(at(t), black, false);
  }
  CHECK(gate.choose(at(60), black, false).reason == GateReason::KeyframeSmaller);
  // Dusk: the clean scene's sizes halve; decoded (clean) until the baseline has followed.
  StreamSizes dusk{150'000, 49 * 9'000, 49};
  int decodes = 0;
  for (int t = 65; t < 200; t += 5) {
    auto choice = gate.choose(at(t), dusk, false);
    if (!choice.decode) continue;
    ++decodes;
    gate.decoded(at(t), dusk, true);
  }
  CHECK(decodes >= 2);
  CHECK(decodes <= 6);
  CHECK_FALSE(gate.choose(at(200), dusk, false).decode);
}

TEST_CASE("an all-intra stream gives no motion signal and is decoded at every sample", "[content][gate]") {
  SampleGate gate;
  StreamSizes intra{300'000, 0, 0};
  for (int t = 0; t < 100; t += 5) {
    auto choice = gate.choose(at(t), intra, false);
    REQUIRE(choice.decode);
    gate.decoded(at(t), intra, true);
    if (t >= 15) CHECK(choice.reason == GateReason::NoMotionSignal);
  }
}
