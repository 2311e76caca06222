// A whole native RTSP session against a loopback stub that serves a real H.264 clip as
// interleaved RTP (single NAL units and FU-A, sequence numbers and timestamps that wrap):
// the access units read back must be the clip's packets byte for byte, and the client must
// keep the session alive, send RTCP receiver reports and tear the session down.
#include <catch2/catch.hpp>

extern "C" {
#include <libavformat/avformat.h>
}

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "ingest/rtsp_protocol.hpp"
#include "ingest/source.hpp"
#include "support/media.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace carekeep::ingest;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

namespace {

struct Clip {
  Bytes sps, pps;
  std::vector<Bytes> frames;  // length-prefixed access units, as MP4 stores them
  std::vector<bool> keys;
};

Clip load_clip(const std::filesystem::path& path) {
  Clip clip;
  AVFormatContext* ctx = nullptr;
  REQUIRE(avformat_open_input(&ctx, path.c_str(), nullptr, nullptr) == 0);
  const AVCodecParameters* par = ctx->streams[0]->codecpar;
  const std::uint8_t* x = par->extradata;
  REQUIRE(par->extradata_size > 8);
  REQUIRE((x[4] & 3) == 3);  // 4-byte lengths
  std::size_t pos = 6;
  std::size_t len = (x[pos] << 8) | x[pos + 1];
  clip.sps.assign(x + pos + 2, x + pos + 2 + len);
  pos += 2 + len + 1;
  len = (x[pos] << 8) | x[pos + 1];
  clip.pps.assign(x + pos + 2, x + pos + 2 + len);
  AVPacket* pkt = av_packet_alloc();
  while (av_read_frame(ctx, pkt) >= 0) {
    clip.frames.emplace_back(pkt->data, pkt->data + pkt->size);
    clip.keys.push_back((pkt->flags & AV_PKT_FLAG_KEY) != 0);
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  avformat_close_input(&ctx);
  return clip;
}

class SessionStub {
 public:
  explicit SessionStub(const Clip& clip) : clip_(clip) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(listener_, 1);
    thread_ = std::thread([this] { serve(); });
  }
  ~SessionStub() {
    done_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  std::string url() const { return "rtsp://127.0.0.1:" + std::to_string(port_) + "/s"; }

  std::atomic<int> keepalives{0};
  std::atomic<int> receiver_reports{0};
  std::atomic<bool> teardown{false};
  std::atomic<bool> setup_url_right{false};

 private:
  void send_all(int fd, const std::string& data) {
    std::lock_guard lock(send_mutex_);
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }

  void send_rtp(int fd, bool marker, std::uint32_t ts, const std::uint8_t* payload, std::size_t size,
                const Bytes& prefix = {}) {
    std::string frame;
    std::size_t len = 12 + prefix.size() + size;
    frame += '$';
    frame += '\0';
    frame += static_cast<char>(len >> 8);
    frame += static_cast<char>(len & 0xff);
    std::uint16_t seq = seq_++;
    std::uint8_t header[12] = {0x80, static_cast<std::uint8_t>((marker ? 0x80 : 0) | 96), static_cast<std::uint8_t>(seq >> 8),
                               static_cast<std::uint8_t>(seq), static_cast<std::uint8_t>(ts >> 24), static_cast<std::uint8_t>(ts >> 16),
                               static_cast<std::uint8_t>(ts >> 8), static_cast<std::uint8_t>(ts), 1, 2, 3, 4};
    frame.append(reinterpret_cast<const char*>(header), 12);
    frame.append(prefix.begin(), prefix.end());
    frame.append(reinterpret_cast<const char*>(payload), size);
    send_all(fd, frame);
  }

  // One access unit: NAL units up to 1,000 bytes as they are, longer ones as FU-A.
  void send_frame(int fd, const Bytes& au, std::uint32_t ts) {
    std::vector<std::pair<const std::uint8_t*, std::size_t>> nals;
    for (std::size_t pos = 0; pos + 4 <= au.size();) {
      std::size_t len = (std::size_t{au[pos]} << 24) | (au[pos + 1] << 16) | (au[pos + 2] << 8) | au[pos + 3];
      nals.emplace_back(au.data() + pos + 4, len);
      pos += 4 + len;
    }
    for (std::size_t i = 0; i < nals.size(); ++i) {
      auto [nal, size] = nals[i];
      bool last_nal = i + 1 == nals.size();
      if (size <= 1000) {
        send_rtp(fd, last_nal, ts, nal, size);
        continue;
      }
      std::uint8_t indicator = static_cast<std::uint8_t>((nal[0] & 0xe0) | 28);
      for (std::size_t pos = 1; pos < size; pos += 1000) {
        std::size_t piece = std::min<std::size_t>(1000, size - pos);
        bool start = pos == 1, end = pos + piece == size;
        std::uint8_t fu = static_cast<std::uint8_t>((start ? 0x80 : 0) | (end ? 0x40 : 0) | (nal[0] & 0x1f));
        send_rtp(fd, last_nal && end, ts, nal + pos, piece, {indicator, fu});
      }
    }
  }

  void serve() {
    int fd = ::accept(listener_, nullptr, nullptr);
    if (fd < 0) return;
    std::thread sender;
    std::string buffer;
    char chunk[4096];
    std::string base = url() + "/";
    while (!done_) {
      // Interleaved RTCP from the client.
      while (!buffer.empty() && buffer[0] == '$' && buffer.size() >= 4) {
        std::size_t len = (static_cast<std::uint8_t>(buffer[2]) << 8) | static_cast<std::uint8_t>(buffer[3]);
        if (buffer.size() < 4 + len) break;
        if (buffer[1] == 1 && len >= 8 && static_cast<std::uint8_t>(buffer[5]) == 201) ++receiver_reports;
        buffer.erase(0, 4 + len);
      }
      rtsp::Response req;
      auto used = rtsp::parse_message(buffer, req);
      if (!buffer.empty() && buffer[0] != '$' && used && *used > 0) {
        buffer.erase(0, *used);
        std::string cseq(req.header("CSeq").value_or("0"));
        std::string headers, body;
        if (req.reason == "OPTIONS") {
          headers = "Public: OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN\r\n";
        } else if (req.reason == "DESCRIBE") {
          std::string sps(clip_.sps.begin(), clip_.sps.end()), pps(clip_.pps.begin(), clip_.pps.end());
          body = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=stub\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
                 "a=fmtp:96 packetization-mode=1;sprop-parameter-sets=" + rtsp::base64_encode(sps) + "," +
                 rtsp::base64_encode(pps) + "\r\na=control:track1\r\n";
          headers = "Content-Base: " + base + "\r\nContent-Type: application/sdp\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n";
        } else if (req.reason == "SETUP") {
          setup_url_right = req.header("Transport").value_or("").find("interleaved=0-1") != std::string_view::npos;
          headers = "Session: 12345678;timeout=2\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n";
        } else if (req.reason == "PLAY") {
          sender = std::thread([this, fd] {
            std::uint32_t ts0 = 0xffffffffu - 20 * 3600;  // the 90 kHz clock wraps after 20 frames
            for (std::size_t i = 0; !done_ && !teardown; ++i) {
              send_frame(fd, clip_.frames[i % clip_.frames.size()], ts0 + static_cast<std::uint32_t>(i * 3600));
              std::this_thread::sleep_for(20ms);
            }
          });
        } else if (req.reason == "GET_PARAMETER") {
          ++keepalives;
        } else if (req.reason == "TEARDOWN") {
          teardown = true;
        }
        send_all(fd, "RTSP/1.0 200 OK\r\nCSeq: " + cseq + "\r\n" + headers + "\r\n" + body);
        continue;
      }
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    done_ = true;
    if (sender.joinable()) sender.join();
    ::close(fd);
  }

  const Clip& clip_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t seq_ = 65500;  // wraps within the first second
  std::mutex send_mutex_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("a native session returns the served access units byte for byte, keeps alive, reports and tears down",
          "[ingest]") {
  test::TempDir dir;
  test::ClipSpec spec;
  spec.width = 320;
  spec.height = 240;
  spec.gop = 25;
  spec.seconds = 2;
  test::make_clip(dir / "clip.mp4", spec);
  Clip clip = load_clip(dir / "clip.mp4");
  REQUIRE(clip.frames.size() == 50);
  SessionStub stub(clip);
  {
    SourceOptions options;
    options.client = Client::Native;
    std::stop_source stop;
    auto source = open_source(stub.url(), options, stop.get_token());
    REQUIRE(source);
    auto video = (*source)->video();
    CHECK(video.parameters->width == 320);
    CHECK(video.parameters->height == 240);
    CHECK(stub.setup_url_right);
    auto packet = av::make_packet();
    std::size_t i = 0;
    auto until = std::chrono::steady_clock::now() + 5500ms;  // past one 5 s receiver report
    while (std::chrono::steady_clock::now() < until) {
      auto kind = (*source)->read(packet.get());
      REQUIRE(kind);
      const Bytes& served = clip.frames[i % clip.frames.size()];
      INFO("frame " << i);
      REQUIRE(packet->size == static_cast<int>(served.size()));
      CHECK(std::equal(served.begin(), served.end(), packet->data));
      CHECK(((packet->flags & AV_PKT_FLAG_KEY) != 0) == clip.keys[i % clip.keys.size()]);
      CHECK(packet->pts == static_cast<std::int64_t>(i) * 3600);
      av_packet_unref(packet.get());
      ++i;
    }
    CHECK(i > 200);
    CHECK((*source)->stats().sequence_gaps == 0);
  }
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (!stub.teardown && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  CHECK(stub.teardown);
  CHECK(stub.keepalives >= 4);  // every second with a 2 s session timeout
  CHECK(stub.receiver_reports >= 1);
}
