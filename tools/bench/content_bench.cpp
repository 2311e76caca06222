// content_bench: CPU cost of the content checks (docs/coverage.md, Content checks; issue 5).
// Offers the keyframes of a clip to one content::Sampler as N cameras would, one sample per
// camera every --interval seconds of simulated time, waits for each to be checked (so none is
// dropped), and reports the worker thread's CPU time per sample and per camera-minute. Each
// keyframe carries the sizes of the GOP it ends, as the recorder passes them, so the gate
// (content/gate.hpp) decides as it would live; --no-gate decodes every sample.
//   cmake --build <dir> --target content_bench
//   <dir>/tools/bench/content_bench --cameras 16 --minutes 2 [--no-gate] clip.mp4
#include <cstdio>
#include <string>
#include <thread>

#include "av/av.hpp"
#include "content/sampler.hpp"

using namespace carekeep;

int main(int argc, char** argv) {
  int cameras = 16;
  int minutes = 1;
  int interval = 5;
  bool gate = true;
  std::string clip;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--cameras" && i + 1 < argc) cameras = std::stoi(argv[++i]);
    else if (arg == "--minutes" && i + 1 < argc) minutes = std::stoi(argv[++i]);
    else if (arg == "--interval" && i + 1 < argc) interval = std::stoi(argv[++i]);
    else if (arg == "--no-gate") gate = false;
    else if (arg.rfind("--", 0) != 0) clip = arg;
    else {
      std::fprintf(stderr, "usage: content_bench [--cameras N] [--minutes M] [--interval S] [--no-gate] clip.mp4\n");
      return 2;
    }
  }
  if (clip.empty() || cameras < 1 || minutes < 1 || interval < 1) {
    std::fprintf(stderr, "usage: content_bench [--cameras N] [--minutes M] [--interval S] [--no-gate] clip.mp4\n");
    return 2;
  }
  // The clip's keyframes, with their stream's parameters.
  av::Interrupt interrupt;
  auto input = av::open_input(clip, {}, interrupt);
  if (!input || avformat_find_stream_info(input->get(), nullptr) < 0) {
    std::fprintf(stderr, "cannot read %s\n", clip.c_str());
    return 1;
  }
  int video = av::find_stream(input->get(), AVMEDIA_TYPE_VIDEO);
  if (video < 0) {
    std::fprintf(stderr, "%s has no video\n", clip.c_str());
    return 1;
  }
  const AVCodecParameters* par = (*input)->streams[video]->codecpar;
  std::vector<av::Packet> keyframes;
  std::vector<std::pair<std::int64_t, std::int64_t>> gops;  // inter bytes and frames of the GOP each keyframe ends
  std::pair<std::int64_t, std::int64_t> gop{0, 0};
  for (auto packet = av::make_packet(); av_read_frame(input->get(), packet.get()) >= 0; av_packet_unref(packet.get())) {
    if (packet->stream_index != video) continue;
    if (packet->flags & AV_PKT_FLAG_KEY) {
      keyframes.push_back(av::make_packet());
      av_packet_ref(keyframes.back().get(), packet.get());
      gops.push_back(gop);
      gop = {0, 0};
    } else {
      gop.first += packet->size;
      gop.second += 1;
    }
  }
  if (gops.size() > 1) gops.front() = gops[1];  // the clip loops: its first GOP follows its last
  if (keyframes.size() < 2) {
    std::fprintf(stderr, "%s has fewer than 2 keyframes\n", clip.c_str());
    return 1;
  }

  FakeClock clock{from_us(1'795'000'000'000'000)};
  content::SamplerOptions options;
  options.gate = gate;
  content::Sampler sampler([](const std::string&, const content::Decision&) {}, &clock, options);
  config::ContentChecks checks;
  checks.sample_seconds = interval;
  for (int c = 0; c < cameras; ++c) sampler.set_camera("cam" + std::to_string(c), checks);
  const int rounds = minutes * 60 / interval;
  auto wall0 = std::chrono::steady_clock::now();
  for (int r = 0; r < rounds; ++r) {
    clock.advance(std::chrono::seconds(interval));
    for (int c = 0; c < cameras; ++c) {
      std::string id = "cam" + std::to_string(c);
      // Each camera walks the clip from its own offset, as a camera's own stream would.
      const std::size_t k = (static_cast<std::size_t>(c) * 7 + static_cast<std::size_t>(r)) % keyframes.size();
      sampler.offer(id, *par, *keyframes[k], gops[k].first, gops[k].second);
      for (;;) {  // one at a time: measure the work, not the queue
        auto s = sampler.stats(id);
        if (s.decoded + s.identical + s.skipped + s.failed + s.dropped >= s.due) break;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  auto total = sampler.total();
  const double samples = static_cast<double>(total.decoded + total.identical + total.skipped);
  const double per_sample_ms = samples > 0 ? total.cpu_seconds / samples * 1000 : 0;
  const double per_decode_ms = total.decoded > 0 ? total.cpu_seconds / static_cast<double>(total.decoded) * 1000 : 0;
  const double per_camera_minute = total.cpu_seconds / (cameras * minutes);
  std::printf("clip %s: %dx%d %s, %zu keyframes\n", clip.c_str(), par->width, par->height,
              avcodec_get_name(par->codec_id), keyframes.size());
  std::printf("%d cameras x %d min, one sample per %d s, gate %s: %.0f samples (%llu decoded, %llu skipped, "
              "%llu identical, %llu failed), %.1f s wall\n",
              cameras, minutes, interval, gate ? "on" : "off", samples, static_cast<unsigned long long>(total.decoded),
              static_cast<unsigned long long>(total.skipped), static_cast<unsigned long long>(total.identical),
              static_cast<unsigned long long>(total.failed), wall);
  std::printf("worker CPU %.3f s: %.2f ms per sample, %.2f ms per decode, %.4f CPU-s per camera-minute = %.3f %% of "
              "one core per camera\n",
              total.cpu_seconds, per_sample_ms, per_decode_ms, per_camera_minute, per_camera_minute / 60 * 100);
  return total.failed == 0 ? 0 : 1;
}
