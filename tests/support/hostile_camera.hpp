// tests/support: HostileCamera, an RTSP server on 127.0.0.1 (real TCP, RTP interleaved) that
// misbehaves on demand the way a broken or hostile camera would (issue 14). It serves every
// behaviour at once, one per path: rtsp://127.0.0.1:PORT/<name of the Hostility>. Video is a
// real H.264 clip (ffmpeg-encoded by the test) sent at real time, so a behaviour that a client
// tolerates records real footage. Each connection has its own thread; the destructor ends them.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace carekeep::test {

enum class Hostility {
  Good,                // a polite camera (the control)
  BadSdp,              // an AAC track with sizelength=13;indexlength=-13 beside good video
  EndlessAccessUnit,   // after a keyframe: FU-A middles of one timestamp that never end
  HugeAccessUnit,      // after a keyframe: 64 MiB access units, as fast as TCP takes them
  HugeHeader,          // DESCRIBE answered with a 20 KiB head and Content-Length 65536
  GarbageAfterPlay,    // after PLAY: random bytes (never '$') at 1 MB/s
  Trickle,             // after PLAY: one byte a second (slowloris)
  TimestampJumps,      // good video whose RTP timestamps jump by ±3 hours every 2 s
  SpsChange,           // after 3 s: another resolution, new SPS/PPS in band
  SsrcChange,          // every 2 s: a new SSRC with new sequence and timestamp bases
  RtcpFlood,           // good video plus 5,000 RTCP sender reports a second
  // Not in all_hostilities() (the all-at-once daemon test keeps its ten):
  FrameFlood,          // after a second of good video: 10,000 tiny video frames a second
  AudioFlood,          // good video, a valid AAC track flooded with 5,000 units a second after 1 s
  SilentAudio,         // good video; the SDP declares a valid AAC track that never sends
};
std::string_view to_string(Hostility h);
std::vector<Hostility> all_hostilities();  // every one but Good and the three after RtcpFlood

class HostileCamera {
 public:
  // `clip`: an MP4 of H.264 with 4-byte NAL lengths (test::make_clip); `other_clip`: the
  // same at another picture size, for SpsChange.
  HostileCamera(const std::filesystem::path& clip, const std::filesystem::path& other_clip);
  ~HostileCamera();
  HostileCamera(const HostileCamera&) = delete;
  HostileCamera& operator=(const HostileCamera&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url(Hostility h) const;
  // RTSP sessions that reached PLAY, per behaviour.
  int plays(Hostility h) const;

  struct Clip {
    std::string sps, pps;
    std::vector<std::string> frames;  // length-prefixed access units
    std::vector<bool> keys;
    int fps = 25;
  };

 private:
  void accept_loop();
  void serve(int fd);

  Clip clip_, other_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> done_{false};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<std::thread> sessions_;
  std::vector<int> fds_;
  std::map<Hostility, int> plays_;
};

}  // namespace carekeep::test
