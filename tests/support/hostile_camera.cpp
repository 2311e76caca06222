#include "support/hostile_camera.hpp"

extern "C" {
#include <libavformat/avformat.h>
}

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <random>
#include <stdexcept>

#include "ingest/rtsp_protocol.hpp"

namespace carekeep::test {
namespace {

namespace rtsp = ingest::rtsp;

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

HostileCamera::Clip load(const std::filesystem::path& path) {
  HostileCamera::Clip clip;
  AVFormatContext* ctx = nullptr;
  if (avformat_open_input(&ctx, path.c_str(), nullptr, nullptr) != 0) throw std::runtime_error("cannot open " + path.string());
  avformat_find_stream_info(ctx, nullptr);
  const AVCodecParameters* par = ctx->streams[0]->codecpar;
  const std::uint8_t* x = par->extradata;
  if (par->codec_id != AV_CODEC_ID_H264 || par->extradata_size < 8 || (x[4] & 3) != 3) {
    avformat_close_input(&ctx);
    throw std::runtime_error(path.string() + " is not H.264 with 4-byte NAL lengths");
  }
  AVRational rate = ctx->streams[0]->avg_frame_rate;
  if (rate.num > 0 && rate.den > 0) clip.fps = std::max(1, rate.num / rate.den);
  std::size_t pos = 6;
  std::size_t len = (std::size_t{x[pos]} << 8) | x[pos + 1];
  clip.sps.assign(reinterpret_cast<const char*>(x + pos + 2), len);
  pos += 2 + len + 1;
  len = (std::size_t{x[pos]} << 8) | x[pos + 1];
  clip.pps.assign(reinterpret_cast<const char*>(x + pos + 2), len);
  AVPacket* pkt = av_packet_alloc();
  while (av_read_frame(ctx, pkt) >= 0) {
    if (pkt->stream_index == 0) {
      clip.frames.emplace_back(reinterpret_cast<const char*>(pkt->data), static_cast<std::size_t>(pkt->size));
      clip.keys.push_back((pkt->flags & AV_PKT_FLAG_KEY) != 0);
    }
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  avformat_close_input(&ctx);
  if (clip.frames.empty() || !clip.keys.front()) throw std::runtime_error(path.string() + " has no leading keyframe");
  return clip;
}

std::string length_prefixed(const std::string& nal) {
  std::string out(4, '\0');
  out[0] = static_cast<char>(nal.size() >> 24);
  out[1] = static_cast<char>(nal.size() >> 16);
  out[2] = static_cast<char>(nal.size() >> 8);
  out[3] = static_cast<char>(nal.size());
  return out + nal;
}

// One connection's RTP state and socket writes. Every write blocks until the client takes
// it (TCP flow control paces the floods) and fails once the client is gone.
class Wire {
 public:
  explicit Wire(int fd) : fd_(fd) {}
  bool alive() const { return alive_; }

  void raw(const std::string& bytes) {
    std::size_t done = 0;
    while (alive_ && done < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) {
        alive_ = false;
        return;
      }
      done += static_cast<std::size_t>(n);
    }
    if (playing) drain();
  }

  void rtp(int channel, bool marker, std::uint32_t ts, std::string_view prefix, std::string_view payload, int pt = 96) {
    std::string frame;
    std::size_t len = 12 + prefix.size() + payload.size();
    frame += '$';
    frame += static_cast<char>(channel);
    frame += static_cast<char>(len >> 8);
    frame += static_cast<char>(len & 0xff);
    std::uint16_t s = channel == 0 ? seq++ : other_seq++;  // each stream numbers its own packets
    const std::uint8_t header[12] = {0x80, static_cast<std::uint8_t>((marker ? 0x80 : 0) | pt), static_cast<std::uint8_t>(s >> 8),
                                     static_cast<std::uint8_t>(s), static_cast<std::uint8_t>(ts >> 24), static_cast<std::uint8_t>(ts >> 16),
                                     static_cast<std::uint8_t>(ts >> 8), static_cast<std::uint8_t>(ts), static_cast<std::uint8_t>(ssrc >> 24),
                                     static_cast<std::uint8_t>(ssrc >> 16), static_cast<std::uint8_t>(ssrc >> 8), static_cast<std::uint8_t>(ssrc)};
    frame.append(reinterpret_cast<const char*>(header), 12);
    frame += prefix;
    frame += payload;
    raw(frame);
  }

  // One access unit: NAL units up to 1,400 bytes as they are, longer ones as FU-A.
  void frame(const std::string& au, std::uint32_t ts) {
    std::vector<std::string_view> nals;
    for (std::size_t pos = 0; pos + 4 <= au.size();) {
      std::size_t len = (std::size_t{static_cast<std::uint8_t>(au[pos])} << 24) | (std::size_t{static_cast<std::uint8_t>(au[pos + 1])} << 16) |
                        (std::size_t{static_cast<std::uint8_t>(au[pos + 2])} << 8) | static_cast<std::uint8_t>(au[pos + 3]);
      if (len > au.size() - pos - 4) break;
      nals.emplace_back(au.data() + pos + 4, len);
      pos += 4 + len;
    }
    for (std::size_t i = 0; i < nals.size() && alive_; ++i) {
      std::string_view nal = nals[i];
      bool last = i + 1 == nals.size();
      if (nal.size() <= 1400) {
        rtp(0, last, ts, {}, nal);
        continue;
      }
      auto type = static_cast<std::uint8_t>(nal[0]);
      char indicator = static_cast<char>((type & 0xe0) | 28);
      for (std::size_t pos = 1; pos < nal.size() && alive_; pos += 1400) {
        std::size_t piece = std::min<std::size_t>(1400, nal.size() - pos);
        bool start = pos == 1, end = pos + piece == nal.size();
        char fu = static_cast<char>((start ? 0x80 : 0) | (end ? 0x40 : 0) | (type & 0x1f));
        rtp(0, last && end, ts, std::string{indicator, fu}, nal.substr(pos, piece));
      }
    }
  }

  // An RTCP sender report on the video's RTCP channel.
  void sender_report(std::uint32_t ts) {
    std::string sr(28, '\0');
    sr[0] = '\x80';
    sr[1] = static_cast<char>(200);
    sr[3] = 6;
    for (int i = 0; i < 4; ++i) sr[4 + i] = static_cast<char>(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 4; ++i) sr[16 + i] = static_cast<char>(ts >> (24 - 8 * i));
    std::string frame{'$', '\x01', '\0', static_cast<char>(sr.size())};
    raw(frame + sr);
  }

  std::uint16_t seq = 1000;
  std::uint32_t ssrc = 0x1234abcd;
  std::uint16_t other_seq = 7;
  bool playing = false;  // before PLAY the client's bytes are requests, read by serve()

 private:
  // The client's keepalives and receiver reports: read and dropped, so its sends never block.
  void drain() {
    char sink[4096];
    while (::recv(fd_, sink, sizeof sink, MSG_DONTWAIT) > 0) {
    }
  }
  int fd_;
  bool alive_ = true;
};

struct Pacer {
  explicit Pacer(int fps) : period(std::chrono::microseconds(1'000'000 / fps)) {}
  void wait(std::size_t frame) { std::this_thread::sleep_until(start + period * static_cast<std::int64_t>(frame)); }
  Steady::time_point start = Steady::now();
  std::chrono::microseconds period;
};

}  // namespace

std::string_view to_string(Hostility h) {
  switch (h) {
    case Hostility::Good: return "good";
    case Hostility::BadSdp: return "bad-sdp";
    case Hostility::EndlessAccessUnit: return "endless-au";
    case Hostility::HugeAccessUnit: return "huge-au";
    case Hostility::HugeHeader: return "huge-header";
    case Hostility::GarbageAfterPlay: return "garbage";
    case Hostility::Trickle: return "trickle";
    case Hostility::TimestampJumps: return "ts-jumps";
    case Hostility::SpsChange: return "sps-change";
    case Hostility::SsrcChange: return "ssrc-change";
    case Hostility::RtcpFlood: return "rtcp-flood";
    case Hostility::FrameFlood: return "frame-flood";
    case Hostility::AudioFlood: return "audio-flood";
    case Hostility::SilentAudio: return "silent-audio";
  }
  return "good";
}

std::vector<Hostility> all_hostilities() {
  return {Hostility::BadSdp,   Hostility::EndlessAccessUnit, Hostility::HugeAccessUnit, Hostility::HugeHeader,
          Hostility::GarbageAfterPlay, Hostility::Trickle, Hostility::TimestampJumps, Hostility::SpsChange,
          Hostility::SsrcChange, Hostility::RtcpFlood};
}

HostileCamera::HostileCamera(const std::filesystem::path& clip, const std::filesystem::path& other_clip)
    : clip_(load(clip)), other_(load(other_clip)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener_, 64) != 0) {
    ::close(listener_);
    throw std::runtime_error("HostileCamera: cannot listen on 127.0.0.1");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

HostileCamera::~HostileCamera() {
  done_ = true;
  acceptor_.join();
  ::close(listener_);
  std::vector<std::thread> sessions;
  {
    std::lock_guard lock(mutex_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);  // unblocks every send and recv
    sessions.swap(sessions_);
  }
  for (auto& t : sessions) t.join();
}

std::string HostileCamera::url(Hostility h) const {
  return "rtsp://127.0.0.1:" + std::to_string(port_) + "/" + std::string(to_string(h));
}

int HostileCamera::plays(Hostility h) const {
  std::lock_guard lock(mutex_);
  auto it = plays_.find(h);
  return it == plays_.end() ? 0 : it->second;
}

void HostileCamera::accept_loop() {
  while (!done_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    fds_.push_back(fd);
    sessions_.emplace_back([this, fd] { serve(fd); });
  }
}

void HostileCamera::serve(int fd) {
  Wire wire(fd);
  std::string buffer;
  std::optional<Hostility> mode;
  std::mt19937 rng(static_cast<std::uint32_t>(fd) * 7919u);
  bool playing = false;
  while (!done_ && wire.alive() && !playing) {
    rtsp::Response req;
    std::string request_line = buffer.substr(0, buffer.find("\r\n"));
    auto used = rtsp::parse_message(buffer, req);
    if (!used) break;
    if (*used == 0) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char chunk[4096];
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      buffer.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    buffer.erase(0, *used);
    if (buffer.size() > 0 && buffer[0] == '$') buffer.clear();
    std::string cseq(req.header("CSeq").value_or("0"));
    if (!mode) {
      // The first request (OPTIONS to the camera's URL) names the behaviour by its path.
      auto sp = request_line.find(' ');
      std::string uri = request_line.substr(sp + 1, request_line.find(' ', sp + 1) - sp - 1);
      std::string path = uri.substr(uri.rfind('/') + 1);
      mode = Hostility::Good;
      auto every = all_hostilities();
      every.insert(every.end(), {Hostility::FrameFlood, Hostility::AudioFlood, Hostility::SilentAudio});
      for (Hostility h : every) {
        if (to_string(h) == path) mode = h;
      }
    }
    std::string headers, body;
    if (req.reason == "OPTIONS") {
      headers = "Public: OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN\r\n";
    } else if (req.reason == "DESCRIBE") {
      if (mode == Hostility::HugeHeader) {
        std::string head = "RTSP/1.0 200 OK\r\nCSeq: " + cseq + "\r\n";
        for (int i = 0; head.size() < 20 * 1024; ++i) head += "X-Pad-" + std::to_string(i) + ": " + std::string(200, 'a') + "\r\n";
        head += "Content-Type: application/sdp\r\nContent-Length: 65536\r\n\r\n";
        wire.raw(head + std::string(65536, 'v'));
        continue;
      }
      body = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=hostile\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
             "a=fmtp:96 packetization-mode=1;sprop-parameter-sets=" +
             rtsp::base64_encode(clip_.sps) + "," + rtsp::base64_encode(clip_.pps) + "\r\na=control:track1\r\n";
      if (mode == Hostility::BadSdp) {
        body += "m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/16000/1\r\n"
                "a=fmtp:97 streamtype=5;profile-level-id=15;mode=AAC-hbr;config=1408;sizelength=13;indexlength=-13;"
                "indexdeltalength=3\r\na=control:track2\r\n";
      }
      if (mode == Hostility::AudioFlood || mode == Hostility::SilentAudio) {  // AAC-LC, 16 kHz, mono: valid
        body += "m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/16000/1\r\n"
                "a=fmtp:97 streamtype=5;profile-level-id=15;mode=AAC-hbr;config=1408;sizelength=13;indexlength=3;"
                "indexdeltalength=3\r\na=control:track2\r\n";
      }
      headers = "Content-Base: " + url(*mode) + "/\r\nContent-Type: application/sdp\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    } else if (req.reason == "SETUP") {
      std::string transport(req.header("Transport").value_or("RTP/AVP/TCP;unicast;interleaved=0-1"));
      headers = "Session: 5150;timeout=60\r\nTransport: " + transport + "\r\n";
    } else if (req.reason == "PLAY") {
      playing = true;
    }
    wire.raw("RTSP/1.0 200 OK\r\nCSeq: " + cseq + "\r\n" + headers + "\r\n" + body);
  }
  if (playing && mode) {
    {
      std::lock_guard lock(mutex_);
      ++plays_[*mode];
    }
    wire.playing = true;
    const Clip* clip = &clip_;
    Pacer pacer(clip->fps);
    const std::uint32_t step = 90000u / static_cast<std::uint32_t>(clip->fps);
    std::uint32_t ts = 0x10000000;
    std::uint32_t audio_ts = 0x20000000;
    std::size_t i = 0;  // frames sent
    auto send_good = [&](std::size_t frame_index, const Clip& c, bool inband_parameters) {
      std::string au = c.frames[frame_index % c.frames.size()];
      if (inband_parameters && c.keys[frame_index % c.frames.size()]) au = length_prefixed(c.sps) + length_prefixed(c.pps) + au;
      wire.frame(au, ts);
      ts += step;
    };
    switch (*mode) {
      case Hostility::EndlessAccessUnit:
      case Hostility::HugeAccessUnit: {
        for (; i < 2u * static_cast<std::size_t>(clip->fps) && wire.alive() && !done_; ++i) {
          pacer.wait(i);
          send_good(i, *clip, false);
        }
        const std::string piece(1400, '\x5a');
        const bool endless = *mode == Hostility::EndlessAccessUnit;
        while (wire.alive() && !done_) {
          // An IDR slice (type 5) in FU-A: a start, then middles; the huge one ends at 64 MiB.
          wire.rtp(0, false, ts, std::string{'\x7c', '\x85'}, piece);
          std::size_t sent = piece.size();
          auto began = Steady::now();
          while (wire.alive() && !done_ && (endless || sent < 64u * 1024 * 1024)) {
            bool end = !endless && sent + piece.size() >= 64u * 1024 * 1024;
            wire.rtp(0, end, ts, std::string{'\x7c', static_cast<char>(end ? 0x45 : 0x05)}, piece);
            sent += piece.size();
            // The endless one trickles 1 MB/s: a stall, not a size, must end it.
            if (endless && sent % (100 * 1400) == 0) std::this_thread::sleep_until(began + std::chrono::microseconds(sent));
          }
          ts += step;
        }
        break;
      }
      case Hostility::FrameFlood: {
        for (; i < static_cast<std::size_t>(clip->fps) && wire.alive() && !done_; ++i) {
          pacer.wait(i);
          send_good(i, *clip, false);
        }
        // Tiny non-IDR slices, each a whole access unit (marker set) one tick after the last:
        // far under any bitrate bound, and media time stays behind real time.
        auto began = Steady::now();
        for (std::size_t n = 1; wire.alive() && !done_; ++n) {
          wire.rtp(0, true, ts, std::string{'\x41'}, std::string(8, '\x9a'));
          ts += 1;
          if (n % 1000 == 0) std::this_thread::sleep_until(began + std::chrono::milliseconds(n / 10));
        }
        break;
      }
      case Hostility::GarbageAfterPlay: {
        std::string chunk(10'000, '\0');
        for (std::size_t n = 0; wire.alive() && !done_; ++n) {
          for (char& c : chunk) {
            c = static_cast<char>(rng() & 0xff);
            if (c == '$') c = '#';
          }
          wire.raw(chunk);
          std::this_thread::sleep_for(10ms);
        }
        break;
      }
      case Hostility::Trickle: {
        const std::string frame("$\0\x04\x00hello", 9);  // a frame announcing 1 KiB that never comes
        for (std::size_t n = 0; wire.alive() && !done_; ++n) {
          wire.raw(std::string(1, frame[n % frame.size()]));
          for (int k = 0; k < 10 && !done_; ++k) std::this_thread::sleep_for(100ms);
        }
        break;
      }
      default: {
        for (; wire.alive() && !done_; ++i) {
          pacer.wait(i);
          if (*mode == Hostility::TimestampJumps && i > 0 && i % (2 * static_cast<std::size_t>(clip->fps)) == 0) {
            ts += (i / (2 * static_cast<std::size_t>(clip->fps))) % 2 == 1 ? 3u * 3600 * 90000 : 0u - 3u * 3600 * 90000;
          }
          if (*mode == Hostility::SsrcChange && i > 0 && i % (2 * static_cast<std::size_t>(clip->fps)) == 0) {
            wire.ssrc = rng();
            wire.seq = static_cast<std::uint16_t>(rng());
            ts += 0x40000000u + rng() % 0x10000000u;  // a new base hours away, never a plausible step
          }
          bool switched = *mode == Hostility::SpsChange && i >= 3u * static_cast<std::size_t>(clip->fps);
          send_good(switched ? i - 3u * static_cast<std::size_t>(clip->fps) : i, switched ? other_ : *clip, switched);
          if (*mode == Hostility::RtcpFlood) {
            for (int k = 0; k < 200 && wire.alive(); ++k) wire.sender_report(ts);
          }
          if (*mode == Hostility::AudioFlood && i >= static_cast<std::size_t>(clip->fps)) {  // after a second
            // 200 whole AAC units per video frame (5,000 a second): one AU header (13-bit
            // size 8, index 0) and 8 bytes each, 1024 samples apart.
            for (int k = 0; k < 200 && wire.alive(); ++k) {
              wire.rtp(2, true, audio_ts, std::string{'\0', '\x10', '\x00', '\x40'}, std::string(8, '\x21'), 97);
              audio_ts += 1024;
            }
          }
          if (*mode == Hostility::BadSdp) {
            // AU headers the -13 indexlength would walk forever, on the audio's channel.
            wire.rtp(2, true, ts, std::string{'\0', '\x10', '\x01', '\x00'}, std::string(8, '\x21'), 97);
          }
        }
        break;
      }
    }
  }
  // Forgotten by the destructor before it is closed, so a number reused by a new connection is
  // never shut down by mistake.
  std::lock_guard lock(mutex_);
  std::erase(fds_, fd);
  ::close(fd);
}

}  // namespace carekeep::test
