// content/sampler on real H.264: clips encoded by the ffmpeg CLI (libx264), demuxed with
// libavformat and offered keyframe by keyframe as a recorder would; the sampler decodes them
// with libavcodec on its worker thread. Time is a FakeClock advanced by each keyframe's
// media time, so a 12 s clip stands for 12 s of a camera.
#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <thread>

#include "av/av.hpp"
#include "content/sampler.hpp"
#include "support/media.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using content::FaultKind;

namespace {

const UtcTime kT0 = from_us(1'795'000'000'000'000);

// Encodes `seconds` of a lavfi source (with filters) as 320x240 H.264, one keyframe a second.
std::filesystem::path clip(const test::TempDir& dir, const std::string& name, const std::string& source,
                           int seconds = 12) {
  auto path = dir / (name + ".mp4");
  std::string cmd = "ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i '" + source +
                    "' -t " + std::to_string(seconds) +
                    " -c:v libx264 -preset ultrafast -tune zerolatency -pix_fmt yuv420p -g 25 -keyint_min 25"
                    " -sc_threshold 0 -b:v 400k " + path.string();
  REQUIRE(test::run(cmd) == 0);
  return path;
}

struct Outcome {
  std::vector<content::Decision> decisions;
  std::vector<content::FaultEvent> events;
  content::SamplerStats stats;
  bool is(FaultKind kind) const {
    return std::any_of(events.begin(), events.end(),
                       [&](const content::FaultEvent& e) { return e.kind == kind && e.started; });
  }
};

// Offers every keyframe of `path` to a Sampler, waiting for each to be checked (so none is
// dropped), with the clock at the keyframe's media time.
Outcome sample(const std::filesystem::path& path, config::ContentChecks checks) {
  std::mutex m;
  Outcome out;
  FakeClock clock{kT0};
  content::Sampler sampler(
      [&](const std::string&, const content::Decision& d) {
        std::lock_guard lock(m);
        out.decisions.push_back(d);
        out.events.insert(out.events.end(), d.events.begin(), d.events.end());
      },
      &clock);
  sampler.set_camera("cam", checks);
  av::Interrupt interrupt;
  auto input = av::open_input(path.string(), {}, interrupt);
  REQUIRE(input);
  REQUIRE(avformat_find_stream_info(input->get(), nullptr) >= 0);
  int video = av::find_stream(input->get(), AVMEDIA_TYPE_VIDEO);
  REQUIRE(video >= 0);
  const AVStream* stream = (*input)->streams[video];
  auto packet = av::make_packet();
  Micros at{0};
  while (av_read_frame(input->get(), packet.get()) >= 0) {
    if (packet->stream_index == video && (packet->flags & AV_PKT_FLAG_KEY)) {
      Micros pts{av::to_micros(packet->pts, stream->time_base)};
      clock.advance(pts - at);
      at = pts;
      auto before = sampler.stats("cam");
      sampler.offer("cam", *stream->codecpar, *packet);
      auto after = sampler.stats("cam");
      if (after.due > before.due) {
        for (int i = 0; i < 500; ++i) {
          auto s = sampler.stats("cam");
          if (s.decoded + s.identical + s.failed >= after.due - after.dropped) break;
          std::this_thread::sleep_for(10ms);
        }
      }
    }
    av_packet_unref(packet.get());
  }
  out.stats = sampler.stats("cam");
  std::lock_guard lock(m);
  return out;
}

config::ContentChecks test_checks() {
  config::ContentChecks c;
  c.sample_seconds = 1;
  c.frozen_seconds = 8;
  return c;
}

}  // namespace

TEST_CASE("keyframes decoded from real H.264 clips are classified as live, black, covered and frozen", "[content]") {
  test::TempDir dir;
  SECTION("a moving test pattern: nothing") {
    test::ClipSpec spec;
    spec.gop = 25;
    spec.seconds = 12;
    auto path = dir / "live.mp4";
    test::make_clip(path, spec);
    auto out = sample(path, test_checks());
    CHECK(out.stats.decoded >= 11);
    CHECK(out.stats.failed == 0);
    CHECK(out.events.empty());
    REQUIRE_FALSE(out.decisions.empty());
    CHECK(out.decisions.back().measurement.mean > 40);
  }
  SECTION("black") {
    auto out = sample(clip(dir, "black", "color=c=black:size=320x240:rate=25"), test_checks());
    CHECK(out.is(FaultKind::Black));
    CHECK_FALSE(out.is(FaultKind::Covered));
    CHECK(out.decisions.back().measurement.mean < 20);
  }
  SECTION("a moving picture blurred beyond recognition: covered, not frozen") {
    auto out = sample(clip(dir, "covered", "testsrc2=size=320x240:rate=25,gblur=sigma=80:steps=4,eq=contrast=0.7:brightness=0.1"),
                      test_checks());
    CHECK(out.is(FaultKind::Covered));
    CHECK_FALSE(out.is(FaultKind::Black));
    CHECK_FALSE(out.is(FaultKind::Frozen));
    REQUIRE_FALSE(out.decisions.empty());
    CHECK_FALSE(out.decisions.back().flat);  // blurred, not flat: the gradient decides
    CHECK(out.decisions.back().blurred);
  }
  SECTION("a still picture with noise baked in: frozen") {
    // vf_noise without the t flag draws one noise pattern for all frames.
    auto out = sample(clip(dir, "frozen", "smptebars=size=320x240:rate=25,noise=alls=12"), test_checks());
    CHECK(out.is(FaultKind::Frozen));
    CHECK_FALSE(out.is(FaultKind::Black));
    CHECK_FALSE(out.is(FaultKind::Covered));
  }
  SECTION("the same still scene with fresh sensor noise in every frame: not frozen") {
    auto out = sample(clip(dir, "static", "smptebars=size=320x240:rate=25,noise=alls=12:allf=t"), test_checks());
    CHECK(out.events.empty());
    for (const auto& d : out.decisions) {
      if (!d.measurement.difference) continue;
      CAPTURE(*d.measurement.difference, d.measurement.noise, d.measurement.change_threshold);
      CHECK_FALSE(d.unchanged);
    }
  }
}

TEST_CASE("the sampler takes one keyframe per interval and drops samples when its queue is full", "[content]") {
  test::TempDir dir;
  test::ClipSpec spec;
  spec.gop = 5;  // five keyframes a second
  spec.seconds = 2;
  auto path = dir / "gop5.mp4";
  test::make_clip(path, spec);

  FakeClock clock{kT0};
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  int decisions = 0;
  content::SamplerOptions options;
  options.queue_per_camera = 2;
  // The listener blocks until released: the worker is as slow as a decoder can be.
  content::Sampler sampler(
      [&](const std::string&, const content::Decision&) {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return release; });
        ++decisions;
      },
      &clock, options);
  auto c = test_checks();
  c.sample_seconds = 1;
  sampler.set_camera("cam", c);

  av::Interrupt interrupt;
  auto input = av::open_input(path.string(), {}, interrupt);
  REQUIRE(input);
  REQUIRE(avformat_find_stream_info(input->get(), nullptr) >= 0);
  int video = av::find_stream(input->get(), AVMEDIA_TYPE_VIDEO);
  const AVStream* stream = (*input)->streams[video];
  auto packet = av::make_packet();
  auto last_key = av::make_packet();
  int keyframes = 0;
  auto started = std::chrono::steady_clock::now();
  while (av_read_frame(input->get(), packet.get()) >= 0) {
    if (packet->stream_index == video && (packet->flags & AV_PKT_FLAG_KEY)) {
      ++keyframes;
      av_packet_unref(last_key.get());
      REQUIRE(av_packet_ref(last_key.get(), packet.get()) == 0);
      sampler.offer("cam", *stream->codecpar, *packet);
      clock.advance(200ms);
      // Keyframes between samples are not due at all; offer also ignores unknown cameras.
      sampler.offer("other", *stream->codecpar, *packet);
    }
    av_packet_unref(packet.get());
  }
  // Offering never waited for the blocked worker.
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  for (int i = 0; i < 6; ++i) {  // 6 more seconds of a camera with the worker still stuck
    clock.advance(1s);
    sampler.offer("cam", *stream->codecpar, *last_key);
  }
  auto stuck = sampler.stats("cam");
  CHECK(keyframes == 10);
  // About one per second of camera time (a keyframe up to 250 ms early counts).
  CHECK(stuck.due >= 2 + 6);
  CHECK(stuck.due <= 3 + 6);
  CHECK(stuck.dropped == stuck.due - 2);  // one decoding, one waiting; the rest dropped
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  for (int i = 0; i < 300 && sampler.stats("cam").decoded + sampler.stats("cam").failed < 2; ++i)
    std::this_thread::sleep_for(10ms);
  auto done = sampler.stats("cam");
  CHECK(done.decoded + done.identical == 2);
  CHECK(done.cpu_seconds > 0);
}
