// carekeep-fakecam, end to end: cameras served by the RtspTestServer fixture (the same server
// code as the binary) are read back with libavformat/libavcodec as a recorder would, and the
// faults are checked by what a client sees. One test runs the real binary as a child process.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "av/av.hpp"
#include "fakecam/picture.hpp"
#include "fakecam/server.hpp"
#include "support/rtsp_test_server.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

using namespace carekeep;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using fakecam::Fault;
using test::RtspTestServer;

namespace {

// A libavformat RTSP client over TCP. The Interrupt outlives the input that points at it.
struct Client {
  std::unique_ptr<av::Interrupt> interrupt = std::make_unique<av::Interrupt>();
  av::InputFormat input;
  int video = -1;

  const AVCodecParameters& par() const { return *input->streams[video]->codecpar; }
  AVRational time_base() const { return input->streams[video]->time_base; }

  bool timed_out = false;  // the last failed read() ended at its deadline

  // One packet of the video stream within `deadline`; the AVERROR otherwise.
  int read(AVPacket* packet, std::chrono::milliseconds deadline = 3000ms) {
    for (;;) {
      av_packet_unref(packet);
      interrupt->arm(deadline);
      int rc = av_read_frame(input.get(), packet);
      timed_out = rc < 0 && interrupt->expired();
      interrupt->disarm();
      if (rc < 0 || packet->stream_index == video) return rc;
    }
  }
};

Result<Client> connect(const std::string& url, bool probe = true) {
  Client client;
  av::InputOptions options;
  options.probe_streams = probe;  // find_stream_info: width/height come from the bitstream
  options.io_timeout = 4000ms;
  auto input = av::open_input(url, options, *client.interrupt);
  if (!input) return tl::unexpected(input.error());
  client.input = std::move(*input);
  client.video = av::find_stream(client.input.get(), AVMEDIA_TYPE_VIDEO);
  if (client.video < 0) return fail(ErrorKind::NotFound, "no video stream in " + url);
  return client;
}

Client must_connect(const std::string& url) {
  auto client = connect(url);
  if (!client) FAIL("connecting to " << url << ": " << client.error().message);
  return std::move(*client);
}

struct Arrival {
  Clock::time_point at;
  std::int64_t pts_us;
  bool key;
  std::string camera;  // from the identity SEI fakecam puts in every access unit
};

// "carekeep.fakecam" UUID followed by "camera=<id>" (tools/fakecam/camera.cpp).
std::string camera_in(const AVPacket& packet) {
  const std::string_view data(reinterpret_cast<const char*>(packet.data), static_cast<std::size_t>(packet.size));
  const std::string_view tag = "carekeep.fakecamcamera=";
  const auto at = data.find(tag);
  if (at == std::string_view::npos) return {};
  const auto begin = at + tag.size();
  const auto end = data.find('\x80', begin);  // the SEI's trailing bits
  return std::string(data.substr(begin, end == std::string_view::npos ? 0 : end - begin));
}

std::vector<Arrival> read_for(Client& client, Clock::duration how_long) {
  std::vector<Arrival> got;
  auto packet = av::make_packet();
  const auto end = Clock::now() + how_long;
  while (Clock::now() < end) {
    if (client.read(packet.get()) < 0) break;
    got.push_back({Clock::now(), av::to_micros(packet->pts, client.time_base()),
                   (packet->flags & AV_PKT_FLAG_KEY) != 0, camera_in(*packet)});
  }
  return got;
}

// Decoded luma planes (width × height bytes each) of a camera.
class Decoder {
 public:
  explicit Decoder(Client& client) : client_(client) {
    const AVCodec* codec = avcodec_find_decoder(client.par().codec_id);
    REQUIRE(codec != nullptr);
    context_.reset(avcodec_alloc_context3(codec));
    REQUIRE(avcodec_parameters_to_context(context_.get(), &client.par()) >= 0);
    REQUIRE(avcodec_open2(context_.get(), codec, nullptr) >= 0);
  }

  // The next `count` decoded frames; fewer if the stream ends or stalls.
  std::vector<std::vector<std::uint8_t>> frames(int count) {
    std::vector<std::vector<std::uint8_t>> out;
    auto packet = av::make_packet();
    auto frame = av::make_frame();
    while (static_cast<int>(out.size()) < count) {
      if (client_.read(packet.get()) < 0) break;
      if (avcodec_send_packet(context_.get(), packet.get()) < 0) continue;  // e.g. no key frame yet
      while (avcodec_receive_frame(context_.get(), frame.get()) == 0) {
        std::vector<std::uint8_t> luma(static_cast<std::size_t>(frame->width * frame->height));
        for (int y = 0; y < frame->height; ++y) {
          std::memcpy(luma.data() + static_cast<std::size_t>(y * frame->width),
                      frame->data[0] + static_cast<std::ptrdiff_t>(y) * frame->linesize[0],
                      static_cast<std::size_t>(frame->width));
        }
        out.push_back(std::move(luma));
        av_frame_unref(frame.get());
      }
    }
    return out;
  }

  // Decodes and discards frames for a while, e.g. those sent before a fault took effect.
  void skip(Clock::duration how_long) {
    const auto end = Clock::now() + how_long;
    while (Clock::now() < end && !frames(1).empty()) {
    }
  }

 private:
  Client& client_;
  av::CodecContext context_;
};

double mean(const std::vector<std::uint8_t>& luma) {
  double sum = 0;
  for (auto v : luma) sum += v;
  return sum / static_cast<double>(luma.size());
}

double stddev(const std::vector<std::uint8_t>& luma) {
  const double m = mean(luma);
  double sum = 0;
  for (auto v : luma) sum += (v - m) * (v - m);
  return std::sqrt(sum / static_cast<double>(luma.size()));
}

struct Difference {
  double mean_abs = 0;    // average |a - b| over all pixels
  std::size_t large = 0;  // pixels that differ by more than 24 levels: an object moved
};

Difference difference(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  REQUIRE(a.size() == b.size());
  Difference d;
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const int diff = std::abs(static_cast<int>(a[i]) - static_cast<int>(b[i]));
    sum += diff;
    if (diff > 24) ++d.large;
  }
  d.mean_abs = sum / static_cast<double>(a.size());
  return d;
}

fakecam::CameraSpec camera(std::string id, fakecam::Codec codec = fakecam::Codec::H264) {
  auto spec = RtspTestServer::camera(std::move(id));
  spec.codec = codec;
  return spec;
}

// Runs tools/fakecam/make-clip.sh into `dir`; returns the clip's path.
std::filesystem::path make_clip(const test::TempDir& dir, const std::string& name, const std::string& args) {
  auto path = dir / name;
  const std::string command = std::string("'") + CAREKEEP_SOURCE_DIR + "/tools/fakecam/make-clip.sh' " + args +
                              " '" + path.string() + "' > /dev/null";
  REQUIRE(std::system(command.c_str()) == 0);
  return path;
}

}  // namespace

TEST_CASE("camera specs parse with defaults and name bad parts", "[rtsp][fakecam]") {
  fakecam::CameraSpec defaults;
  auto spec = fakecam::parse_camera("nap-1:h265:1280x720:2000:fps=15:gop=1.5", defaults);
  REQUIRE(spec);
  CHECK(spec->id == "nap-1");
  CHECK(spec->codec == fakecam::Codec::H265);
  CHECK(spec->width == 1280);
  CHECK(spec->height == 720);
  CHECK(spec->kbps == 2000);
  CHECK(spec->fps == 15);
  CHECK(spec->gop_seconds == 1.5);

  auto plain = fakecam::parse_camera("hall", defaults);
  REQUIRE(plain);
  CHECK(plain->codec == defaults.codec);
  CHECK(plain->width == defaults.width);

  auto odd = fakecam::parse_camera("hall:641x360", defaults);
  REQUIRE_FALSE(odd);
  CHECK(odd.error().message.find("641x360") != std::string::npos);
  CHECK_FALSE(fakecam::parse_camera("bad/id", defaults));
  CHECK_FALSE(fakecam::parse_camera("hall:vp9", defaults));

  auto command = fakecam::parse_command("  stall nap-1\n");
  REQUIRE(command);
  CHECK(command->fault == Fault::Stall);
  CHECK(command->camera == "nap-1");
  CHECK_FALSE(fakecam::parse_command("melt nap-1"));
  CHECK_FALSE(fakecam::parse_command("down"));
}

TEST_CASE("painting only the changed regions gives the same picture as painting it all", "[rtsp][fakecam]") {
  // The pacing thread reuses frame buffers and repaints only what changed since the buffer's
  // last paint; any region it forgets would show as a stale smear. Compare with fresh paints.
  fakecam::Layout layout;
  layout.width = 320;
  layout.height = 240;
  layout.stride = {320, 160, 160};
  layout.offset = {0, 320 * 240, 320 * 240 + 160 * 120};
  layout.size = 320 * 240 * 3 / 2;
  fakecam::Painter incremental(layout);
  fakecam::Painter fresh(layout);
  std::vector<std::uint8_t> reused(layout.size);
  std::vector<std::uint8_t> full(layout.size);
  std::optional<fakecam::Scene> shown;
  for (std::int64_t i = 0; i < 200; i += 7) {
    auto scene = i == 98 ? fakecam::Painter::black_scene() : incremental.live_scene(i, 25, 1000 + i / 25);
    incremental.paint(reused.data(), shown, scene);
    shown = scene;
    fresh.paint(full.data(), std::nullopt, scene);
    REQUIRE(reused == full);
  }
}

TEST_CASE("each camera serves its codec, size, frame rate and GOP", "[rtsp]") {
  auto a = camera("a");
  auto b = camera("b", fakecam::Codec::H265);
  auto a2 = camera("a2");  // same settings as "a": shares its encoder
  auto c = camera("c");
  c.width = 640;
  c.height = 360;
  c.fps = 15;
  c.gop_seconds = 0.6;  // 9 frames
  RtspTestServer server({a, b, c, a2});

  struct Seen {
    AVCodecID codec;
    int width, height;
    std::vector<Arrival> packets;
  };
  auto watch = [&](const std::string& id) {
    Client client = must_connect(server.url(id));
    Seen seen{client.par().codec_id, client.par().width, client.par().height, {}};
    seen.packets = read_for(client, 2500ms);
    return seen;
  };
  // Read all three at once: the server encodes them concurrently anyway.
  auto fa = std::async(std::launch::async, watch, "a");
  auto fb = std::async(std::launch::async, watch, "b");
  auto fc = std::async(std::launch::async, watch, "c");
  auto fa2 = std::async(std::launch::async, watch, "a2");
  const struct {
    std::string id;
    Seen seen;
    AVCodecID codec;
    int width, height, fps;
    double gop_seconds;
  } cases[] = {
      {"a", fa.get(), AV_CODEC_ID_H264, 320, 240, 25, 1.0},
      {"b", fb.get(), AV_CODEC_ID_HEVC, 320, 240, 25, 1.0},
      {"c", fc.get(), AV_CODEC_ID_H264, 640, 360, 15, 0.6},
      {"a2", fa2.get(), AV_CODEC_ID_H264, 320, 240, 25, 1.0},
  };
  for (const auto& k : cases) {
    INFO("camera " << k.id);
    CHECK(k.seen.codec == k.codec);
    CHECK(k.seen.width == k.width);
    CHECK(k.seen.height == k.height);
    // Frames that arrive in the last 2 s of the read: packets buffered while probing come
    // out at once at the start and would inflate a count over the whole read.
    REQUIRE_FALSE(k.seen.packets.empty());
    const auto from = k.seen.packets.back().at - 2s;
    auto arrived = std::count_if(k.seen.packets.begin(), k.seen.packets.end(),
                                 [&](const Arrival& p) { return p.at > from; });
    CHECK(arrived >= 2 * (k.fps - 3));
    CHECK(arrived <= 2 * (k.fps + 3));
    std::vector<std::int64_t> keys;
    for (const auto& p : k.seen.packets) {
      // The first frame of a new media may lack a timestamp in FFmpeg (NOTES).
      if (p.key && p.pts_us != AV_NOPTS_VALUE) keys.push_back(p.pts_us);
    }
    REQUIRE(keys.size() >= 2);
    for (std::size_t i = 1; i < keys.size(); ++i) {
      CHECK(std::abs(static_cast<double>(keys[i] - keys[i - 1]) / 1e6 - k.gop_seconds) < 0.05);
    }
    // Every access unit names its camera, also when cameras share an encoder.
    for (const auto& p : k.seen.packets) CHECK(p.camera == k.id);
  }
}

TEST_CASE("down drops the camera's sessions and refuses new ones, and up restores it", "[rtsp]") {
  RtspTestServer server({camera("cam"), camera("other")});
  Client watching = must_connect(server.url("cam"));
  Client bystander = must_connect(server.url("other"));
  auto packet = av::make_packet();
  REQUIRE(watching.read(packet.get()) >= 0);

  server.set_fault("cam", Fault::Down);
  // The open session ends with an error or EOF, not a timeout: the connection was closed.
  const auto start = Clock::now();
  int rc = 0;
  while (rc >= 0 && Clock::now() - start < 5s) rc = watching.read(packet.get(), 4000ms);
  CHECK(rc < 0);
  CHECK_FALSE(watching.timed_out);
  CHECK(Clock::now() - start < 3s);
  auto refused = connect(server.url("cam"), false);
  CHECK_FALSE(refused);
  // Other cameras are unaffected.
  CHECK(bystander.read(packet.get()) >= 0);

  server.set_fault("cam", Fault::Up);
  Client back = must_connect(server.url("cam"));
  CHECK(back.read(packet.get()) >= 0);
}

TEST_CASE("the fixture's stop() and start() take every camera down and up", "[rtsp]") {
  RtspTestServer server;
  REQUIRE(connect(server.url(), false));
  server.stop();
  CHECK_FALSE(connect(server.url(), false));
  server.start();
  CHECK(connect(server.url(), false));
}

TEST_CASE("stall keeps the session open but a read times out", "[rtsp]") {
  RtspTestServer server;
  Client client = must_connect(server.url());
  auto packet = av::make_packet();
  REQUIRE(client.read(packet.get()) >= 0);

  server.set_fault("cam", Fault::Stall);
  const auto start = Clock::now();
  auto last_packet = start;
  int rc = 0;
  // Frames already on their way come out first. The first read that hits its deadline then
  // still returns one frame: libavformat's H.264 parser holds the last frame until the next
  // one starts, and flushes it when the read is interrupted. The read after that fails.
  while (Clock::now() - start < 8s) {
    rc = client.read(packet.get(), 2000ms);
    if (rc < 0) break;
    last_packet = Clock::now();
  }
  CHECK(rc < 0);
  CHECK(client.timed_out);  // the deadline ended the read: no EOF, no error
  CHECK(Clock::now() - last_packet < 3000ms);
  CHECK(Clock::now() - start < 4500ms);

  server.set_fault("cam", Fault::Live);
  Client again = must_connect(server.url());
  CHECK(again.read(packet.get()) >= 0);
}

TEST_CASE("black is dark and flat, from the start or while running", "[rtsp]") {
  auto spec = camera("cam");
  spec.faults = {Fault::Black};
  RtspTestServer server({spec, camera("other")});
  auto check_black = [](Decoder& decoder) {
    auto frames = decoder.frames(8);
    REQUIRE(frames.size() == 8);
    for (const auto& f : frames) {
      CHECK(mean(f) < 20);
      CHECK(stddev(f) < 3);
    }
  };
  Client client = must_connect(server.url("cam"));
  Decoder decoder(client);
  check_black(decoder);

  // "other" now joins the encoder "cam" already uses for black: the picture changes at that
  // encoder's next key frame (GOP 1 s), and the stream does not pause meanwhile.
  Client other = must_connect(server.url("other"));
  Decoder other_decoder(other);
  other_decoder.skip(500ms);  // what probing buffered; from here on frames arrive live
  REQUIRE(mean(other_decoder.frames(1).at(0)) > 60);
  server.set_fault("other", Fault::Black);
  const auto start = Clock::now();
  auto meanwhile = other_decoder.frames(30);  // more than a GOP: the switch is in there
  CHECK(Clock::now() - start < 1600ms);       // ... and frames kept coming at 25 fps
  REQUIRE(meanwhile.size() == 30);
  CHECK(mean(meanwhile.back()) < 20);
  check_black(other_decoder);
}

TEST_CASE("live moves, frozen repeats, static is noise over a still scene, covered is a blur", "[rtsp]") {
  auto spec = camera("cam");
  spec.kbps = 1500;  // enough bits that the encoder keeps the sensor noise
  RtspTestServer server({spec});
  Client client = must_connect(server.url());
  Decoder decoder(client);

  auto live = decoder.frames(6);
  REQUIRE(live.size() == 6);
  for (std::size_t i = 1; i < live.size(); ++i) {
    CHECK(difference(live[i - 1], live[i]).large > 50);  // the object moved
  }

  server.set_fault("cam", Fault::Frozen);
  decoder.skip(400ms);
  auto frozen = decoder.frames(12);
  REQUIRE(frozen.size() == 12);
  for (std::size_t i = 1; i < frozen.size(); ++i) {
    auto d = difference(frozen[i - 1], frozen[i]);
    CHECK(d.large == 0);
    CHECK(d.mean_abs < 0.5);
  }

  server.set_fault("cam", Fault::Static);
  decoder.skip(400ms);
  auto still = decoder.frames(8);
  REQUIRE(still.size() == 8);
  for (std::size_t i = 1; i < still.size(); ++i) {
    CHECK(mean(still[i]) > 60);  // a lit room, not black
    auto d = difference(still[i - 1], still[i]);
    CHECK(d.mean_abs > 0.3);                       // noise changes every frame ...
    CHECK(d.mean_abs < 4);                         // ... by a few levels
    CHECK(d.large < still[i].size() / 1000);       // and nothing moves
  }

  server.set_fault("cam", Fault::Covered);
  decoder.skip(400ms);
  auto hand = decoder.frames(4);
  REQUIRE(hand.size() == 4);
  for (std::size_t i = 0; i < hand.size(); ++i) {
    CHECK(mean(hand[i]) > 95);    // light through a hand, not black ...
    CHECK(mean(hand[i]) < 130);
    CHECK(stddev(hand[i]) < 8);   // ... a faint vignette, nothing in focus
    if (i > 0) CHECK(difference(hand[i - 1], hand[i]).large == 0);
  }

  server.set_fault("cam", Fault::Live);
  decoder.skip(400ms);
  auto again = decoder.frames(2);
  REQUIRE(again.size() == 2);
  CHECK(difference(again[0], again[1]).large > 50);
}

TEST_CASE("a looped H.264 MP4 clip keeps its timestamps increasing across the loop point", "[rtsp]") {
  test::TempDir dir;
  // One GOP of 25 frames: the clip loops every second.
  auto clip = make_clip(dir, "loop.mp4", "--codec h264 --size 320x240 --fps 25 --gop 1 --seconds 1 --kbps 300");
  RtspTestServer server({camera("a"), camera("b")}, clip);
  Client client = must_connect(server.url("b"));
  CHECK(client.par().codec_id == AV_CODEC_ID_H264);
  CHECK(client.par().width == 320);
  CHECK(client.par().height == 240);
  auto packets = read_for(client, 3000ms);
  REQUIRE(packets.size() >= 60);  // more than two loops
  // The first frame of a new media may lack a timestamp in FFmpeg (NOTES): skip it.
  int keys = 0;
  for (std::size_t i = 2; i < packets.size(); ++i) {
    INFO("packet " << i);
    CHECK(packets[i].pts_us - packets[i - 1].pts_us == Approx(40000).margin(100));
    keys += packets[i].key ? 1 : 0;
  }
  CHECK(keys >= 2);
  // A clip camera cannot draw: picture faults are refused, stream faults work.
  CHECK_THROWS_WITH(server.set_fault("a", Fault::Black), Catch::Contains("clip"));
  CHECK_NOTHROW(server.set_fault("a", Fault::Stall));
}

TEST_CASE("a looped H.265 MKV clip plays at its own frame rate", "[rtsp]") {
  test::TempDir dir;
  auto clip = make_clip(dir, "loop.mkv", "--codec h265 --size 320x240 --fps 20 --gop 0.5 --seconds 1 --kbps 300");
  RtspTestServer server({camera("a")}, clip);
  Client client = must_connect(server.url("a"));
  CHECK(client.par().codec_id == AV_CODEC_ID_HEVC);
  CHECK(client.par().width == 320);
  auto packets = read_for(client, 2500ms);
  REQUIRE(packets.size() >= 40);
  for (std::size_t i = 2; i < packets.size(); ++i) {
    CHECK(packets[i].pts_us - packets[i - 1].pts_us == Approx(50000).margin(100));
  }
}

namespace {

// The real carekeep-fakecam as a child process with its stdin and stdout on pipes.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    int in[2];
    int out[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    REQUIRE(rc == 0);
  }

  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(stdin_);
    ::close(stdout_);
  }

  std::optional<std::string> read_line(Clock::duration timeout) {
    const auto end = Clock::now() + timeout;
    for (;;) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{stdout_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char buf[1024];
      const ssize_t n = ::read(stdout_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

  void write(const std::string& text) { REQUIRE(::write(stdin_, text.data(), text.size()) == static_cast<ssize_t>(text.size())); }

  // SIGTERM, then the exit status (or -1 if it did not exit in time).
  int terminate(Clock::duration timeout) {
    ::kill(pid_, SIGTERM);
    const auto end = Clock::now() + timeout;
    while (Clock::now() < end) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string buffer_;
};

}  // namespace

TEST_CASE("the carekeep-fakecam binary serves cameras and takes faults on stdin", "[rtsp]") {
  Child child({CAREKEEP_FAKECAM_BIN, "--port", "0", "--camera", "cam:320x240:300:gop=1", "--camera",
               "hall:h264:160x120:200", "--log-level", "warn"});
  std::string cam_url;
  std::string hall_url;
  while (cam_url.empty() || hall_url.empty()) {
    auto line = child.read_line(10s);
    REQUIRE(line);
    REQUIRE(line->starts_with("fakecam ready rtsp://127.0.0.1:"));
    (line->ends_with("/cam") ? cam_url : hall_url) = line->substr(std::string("fakecam ready ").size());
  }
  Client client = must_connect(cam_url);
  CHECK(client.par().width == 320);
  auto packet = av::make_packet();
  REQUIRE(client.read(packet.get()) >= 0);

  child.write("down cam\n");
  auto reply = child.read_line(5s);
  REQUIRE(reply);
  CHECK(*reply == "fakecam ok down cam");
  int rc = 0;
  const auto start = Clock::now();
  while (rc >= 0 && Clock::now() - start < 5s) rc = client.read(packet.get());
  CHECK(rc < 0);
  CHECK_FALSE(connect(cam_url, false));
  CHECK(connect(hall_url, false));

  child.write("melt cam\n");
  reply = child.read_line(5s);
  REQUIRE(reply);
  CHECK(reply->starts_with("fakecam error unknown fault 'melt'"));

  CHECK(child.terminate(10s) == 0);
}
