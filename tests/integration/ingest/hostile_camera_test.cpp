// The native client against every behaviour of test::HostileCamera (issue 14): a real TCP
// peer on 127.0.0.1 that breaks the rules. Each session must end in bounded time with a cause
// and a detail that names what went wrong, or, where the fault is survivable, record real
// frames whose media time keeps pace with real time.
#include <catch2/catch.hpp>

#include <thread>

#include "ingest/source.hpp"
#include "support/hostile_camera.hpp"
#include "support/media.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using test::Hostility;

namespace {

struct Clips {
  test::TempDir dir;
  std::filesystem::path main = dir / "main.mp4";
  std::filesystem::path other = dir / "other.mp4";
  Clips() {
    test::make_clip(main, {.codec = "h264", .width = 320, .height = 240, .fps = 25, .gop = 25, .seconds = 4});
    test::make_clip(other, {.codec = "h264", .width = 176, .height = 144, .fps = 25, .gop = 25, .seconds = 4});
  }
};

ingest::SourceOptions options() {
  ingest::SourceOptions o;
  o.client = ingest::Client::Native;
  o.stall_timeout = 2000ms;
  o.connect_timeout = 3000ms;
  return o;
}

struct Outcome {
  std::optional<ingest::Failure> failure;  // of open or of a read
  bool opened = false;
  std::vector<std::int64_t> video_pts;
  std::chrono::milliseconds elapsed{};
  ingest::SourceStats stats;
  std::string dropped_audio;
  bool audio = false;
};

// Opens and reads for at most `budget`; stops at the first failure.
Outcome run(const std::string& url, std::chrono::milliseconds budget, ingest::SourceOptions o = options()) {
  Outcome out;
  std::stop_source stop;
  auto began = std::chrono::steady_clock::now();
  auto source = ingest::open_source(url, o, stop.get_token());
  if (!source) {
    out.failure = source.error();
  } else {
    out.opened = true;
    out.audio = (*source)->audio().parameters != nullptr;
    out.dropped_audio = (*source)->dropped_audio_codec();
    av::Packet packet = av::make_packet();
    while (std::chrono::steady_clock::now() - began < budget) {
      auto kind = (*source)->read(packet.get());
      if (!kind) {
        out.failure = kind.error();
        break;
      }
      if (*kind == ingest::Source::Kind::Video) out.video_pts.push_back(packet->pts);
      av_packet_unref(packet.get());
    }
    out.stats = (*source)->stats();
  }
  out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
  return out;
}

std::string describe(const Outcome& o) {
  std::string text = std::string(o.opened ? "opened" : "not opened") + ", " + std::to_string(o.video_pts.size()) +
                     " video frames in " + std::to_string(o.elapsed.count()) + " ms";
  if (o.failure) text += "; failed: " + std::string(ingest::to_string(o.failure->cause)) + ": " + o.failure->detail;
  return text;
}

// Video media time spanned, in seconds.
double media_seconds(const Outcome& o) {
  return o.video_pts.size() < 2 ? 0 : static_cast<double>(o.video_pts.back() - o.video_pts.front()) / 90000.0;
}

}  // namespace

TEST_CASE("a hostile camera ends its own session with a named cause in bounded time", "[rtsp][hostile]") {
  Clips clips;
  test::HostileCamera camera{clips.main, clips.other};

  SECTION("a polite camera records (the control)") {
    auto o = run(camera.url(Hostility::Good), 3s);
    INFO(describe(o));
    CHECK_FALSE(o.failure);
    CHECK(o.video_pts.size() >= 50);
  }
  SECTION("an AAC track with indexlength=-13 is dropped with the reason, and the video is recorded") {
    auto o = run(camera.url(Hostility::BadSdp), 3s);
    INFO(describe(o));
    CHECK_FALSE(o.failure);
    CHECK_FALSE(o.audio);
    CHECK(o.dropped_audio.find("indexlength=-13") != std::string::npos);
    CHECK(o.video_pts.size() >= 50);
  }
  SECTION("64 MiB access units end the session at the 8 MiB limit, naming it") {
    auto o = run(camera.url(Hostility::HugeAccessUnit), 20s);
    INFO(describe(o));
    REQUIRE(o.failure);
    CHECK(o.failure->cause == ingest::DownCause::LimitExceeded);
    CHECK(o.failure->detail.find("max_frame_mib") != std::string::npos);
    CHECK(o.elapsed < 10s);
  }
  SECTION("a per-camera max_frame_mib applies") {
    auto opts = options();
    opts.limits.max_access_unit = 1024 * 1024;
    auto o = run(camera.url(Hostility::HugeAccessUnit), 20s, opts);
    INFO(describe(o));
    REQUIRE(o.failure);
    CHECK(o.failure->detail.find(std::to_string(1024 * 1024)) != std::string::npos);
  }
  SECTION("an access unit that trickles on without end is a stall: frames, not bytes, are progress") {
    auto o = run(camera.url(Hostility::EndlessAccessUnit), 20s);
    INFO(describe(o));
    REQUIRE(o.failure);
    CHECK(o.failure->cause == ingest::DownCause::Stalled);
    CHECK(o.elapsed < 2s + 2s + 3s);  // two seconds of video, the stall timeout, slack
  }
  SECTION("a 20 KiB RTSP head is refused at DESCRIBE, naming max_rtsp_header") {
    auto o = run(camera.url(Hostility::HugeHeader), 10s);
    INFO(describe(o));
    REQUIRE(o.failure);
    CHECK_FALSE(o.opened);
    CHECK(o.failure->cause == ingest::DownCause::LimitExceeded);
    CHECK(o.failure->detail.find("max_rtsp_header") != std::string::npos);
    CHECK(o.elapsed < 3s);
  }
  SECTION("garbage after PLAY never opens a run and ends within the stall timeout") {
    auto o = run(camera.url(Hostility::GarbageAfterPlay), 60s);
    INFO(describe(o));
    REQUIRE(o.failure);
    CHECK_FALSE(o.opened);
    // Garbage that starts like a message hits the head bound; the rest is skipped, no frame.
    CHECK((o.failure->cause == ingest::DownCause::LimitExceeded || o.failure->cause == ingest::DownCause::Stalled));
    CHECK(o.elapsed < 2s + 4s);
  }
  SECTION("one byte a second after PLAY is a stall, not a session kept alive forever") {
    auto o = run(camera.url(Hostility::Trickle), 60s);
    INFO(describe(o));
    REQUIRE(o.failure);
    CHECK(o.failure->cause == ingest::DownCause::Stalled);
    CHECK(o.elapsed < 2s + 4s);
  }
  SECTION("RTP timestamps jumping by ±3 hours are rebased: media time keeps pace with real time") {
    auto o = run(camera.url(Hostility::TimestampJumps), 7s);
    INFO(describe(o));
    CHECK_FALSE(o.failure);
    REQUIRE(o.video_pts.size() >= 100);
    CHECK(o.stats.timestamp_jumps >= 2);
    CHECK(media_seconds(o) == Approx(7.0).margin(2.0));
    for (std::size_t i = 1; i < o.video_pts.size(); ++i) REQUIRE(o.video_pts[i] > o.video_pts[i - 1]);
  }
  SECTION("a mid-stream SPS change ends the session as codec_changed") {
    auto o = run(camera.url(Hostility::SpsChange), 15s);
    INFO(describe(o));
    REQUIRE(o.failure);
    CHECK(o.failure->cause == ingest::DownCause::CodecChanged);
    CHECK(o.video_pts.size() >= 50);
  }
  SECTION("SSRC, sequence and timestamp bases changing every 2 s: frames keep coming, time stays real") {
    auto o = run(camera.url(Hostility::SsrcChange), 7s);
    INFO(describe(o));
    CHECK_FALSE(o.failure);
    CHECK(o.video_pts.size() >= 80);
    CHECK(media_seconds(o) == Approx(7.0).margin(2.0));
  }
  SECTION("a flood of tiny video frames ends the session at max_frame_rate, naming it") {
    // 10,000 frames of 9 bytes a second: under a Mbit/s, so only the frame rate can tell.
    auto o = run(camera.url(Hostility::FrameFlood), 15s);
    INFO(describe(o));
    REQUIRE(o.failure);
    CHECK(o.failure->cause == ingest::DownCause::LimitExceeded);
    CHECK(o.failure->detail.find("max_frame_rate") != std::string::npos);
    CHECK(o.elapsed < 6s);
  }
  SECTION("a flood of AAC units ends the session at max_audio_unit_rate, naming it") {
    auto o = run(camera.url(Hostility::AudioFlood), 15s);
    INFO(describe(o));
    CHECK(o.audio);  // the track itself is valid
    REQUIRE(o.failure);
    CHECK(o.failure->cause == ingest::DownCause::LimitExceeded);
    CHECK(o.failure->detail.find("max_audio_unit_rate") != std::string::npos);
    CHECK(o.elapsed < 6s);
  }
  SECTION("a declared AAC track that never sends: video goes on, the track stays declared") {
    auto o = run(camera.url(Hostility::SilentAudio), 3s);
    INFO(describe(o));
    CHECK_FALSE(o.failure);
    CHECK(o.audio);
    CHECK(o.video_pts.size() >= 50);
  }
  SECTION("an RTCP flood is skipped unread and the video goes on") {
    auto o = run(camera.url(Hostility::RtcpFlood), 4s);
    INFO(describe(o));
    CHECK_FALSE(o.failure);
    CHECK(o.video_pts.size() >= 70);
    CHECK(o.stats.rtcp_skipped > 1000);
  }
}
