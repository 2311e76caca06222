#include "ingest/native_source.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <random>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/mathematics.h>
}

#include "base/text.hpp"
#include "ingest/depacketizer.hpp"
#include "ingest/parameters.hpp"
#include "ingest/rtsp_protocol.hpp"
#include "ingest/tcp.hpp"
#include "ingest/tls.hpp"

namespace carekeep::ingest {
namespace {

using SteadyClock = std::chrono::steady_clock;

// 128 KiB: a frame burst of a 4 Mbit/s camera plus room for a whole 64 KiB interleaved
// frame; the kernel keeps the rest in the socket buffer until the next recv.
constexpr std::size_t kBufferSize = 128 * 1024;
// poll() reports the socket readable only once this much is queued (or after kSlice), so
// one recv takes dozens of RTP packets at once.
constexpr int kLowWater = 32 * 1024;
// Longest sleep between checks of the stop token; also bounds the delivery delay of a
// slow stream whose data stays under kLowWater.
constexpr std::chrono::milliseconds kSlice{100};
constexpr std::chrono::seconds kReceiverReportInterval{5};
constexpr std::chrono::seconds kFirstKeyframeWait{30};
// process() hands the recorder what it has once this many packets wait, so one buffer of
// tiny packets never turns into an unbounded queue.
constexpr std::size_t kReadyBatch = 64;
// Window over which max_bitrate is measured.
constexpr std::chrono::seconds kBitrateWindow{2};
// Media time may run ahead of real time by this much (and kMaxClockRatioPercent of the time
// elapsed) before the session ends: a camera clock faster than real time would make segments
// claim footage that was never shot. Frames arrive late, never early, so lateness (a cached
// GOP at connect, a disk that held the recorder up) only ever looks like media *behind*, which
// is not judged: a slow clock undercounts, it cannot invent footage.
constexpr std::chrono::seconds kMaxMediaAhead{30};
constexpr std::int64_t kMaxClockRatioPercent = 10;
// After a lost packet the depacketizer drops frames until the next keyframe; complete frames
// dropped that way still show the camera is sending, up to this long (cameras with 10 s and
// longer GOPs exist).
constexpr std::chrono::seconds kKeyframeWaitAfterLoss{30};

struct Track {
  std::string control_url;
  int rtp_channel = -1;
  int rtcp_channel = -1;
  std::uint32_t last_sr = 0;  // middle 32 bits of the NTP time of the last sender report
  SteadyClock::time_point last_sr_at{};
  std::uint32_t reported_expected = 0;
  std::uint64_t reported_received = 0;
};

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
void put32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

std::string dropped_audio_name(const rtsp::SdpMedia& m) {
  if (m.encoding == "PCMU") return "pcm_mulaw";
  if (m.encoding == "PCMA") return "pcm_alaw";
  if (m.encoding == "MP4A-LATM") return "aac_latm";
  if (m.encoding.rfind("G726", 0) == 0) return "adpcm_g726";
  std::string name = m.encoding.empty() ? "unknown" : m.encoding;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// The protocol parsers say ResourceExhausted when the camera crossed one of ingest::Limits.
DownCause cause_of_parse_error(const Error& error) {
  return error.kind == ErrorKind::ResourceExhausted ? DownCause::LimitExceeded : DownCause::Protocol;
}

int fmtp_int(const rtsp::SdpMedia& m, const std::string& key, int fallback) {
  auto it = m.fmtp.find(key);
  if (it == m.fmtp.end()) return fallback;
  try {
    return std::stoi(it->second);
  } catch (...) {
    return fallback;
  }
}

}  // namespace

struct NativeSource::Session {
  SourceOptions options;
  std::stop_token stop;
  rtsp::Url url;
  std::string shown_url;  // redacted
  int fd = -1;
  std::unique_ptr<tls::Stream> tls;  // rtsps://: every byte goes through it; destroyed before fd closes
  std::unique_ptr<std::uint8_t[]> buffer{new std::uint8_t[kBufferSize]};
  std::size_t begin = 0;
  std::size_t end = 0;

  int cseq = 0;
  std::string session_id;
  std::chrono::seconds session_timeout{60};
  std::optional<rtsp::Challenge> challenge;
  std::uint32_t nonce_count = 0;
  std::string cnonce;
  bool get_parameter = false;
  std::string aggregate_url;
  bool playing = false;
  // Pre-flight for libavformat (check_authentication): a 401 is an answer, not a failure,
  // once its challenge passed the Basic rule; no credentials are sent.
  bool preflight = false;

  AVCodecID video_codec = AV_CODEC_ID_NONE;
  av::CodecParameters video_par{avcodec_parameters_alloc()};
  AVRational frame_rate{0, 1};
  std::unique_ptr<rtp::VideoDepacketizer> video;
  std::optional<rtp::ParameterSets> params;
  Track video_track;
  bool first_key_seen = false;
  av::Packet held_first;  // the first keyframe, until the next frame shows whether its time is stale
  std::int64_t last_video_pts = 0;

  av::CodecParameters audio_par;
  int audio_clock = 0;
  std::unique_ptr<rtp::AacDepacketizer> audio;
  Track audio_track;
  std::optional<std::int64_t> audio_offset;
  std::string dropped_audio;
  std::string audio_problem;  // why an AAC track was not taken, for dropped_audio

  std::deque<std::pair<Kind, av::Packet>> ready;
  std::optional<Failure> pending;
  SteadyClock::time_point last_media{};  // the last video access unit (media progress)
  SteadyClock::time_point rate_window_start{};
  std::uint64_t rate_window_bytes = 0;
  std::size_t rate_window_frames = 0;       // video access units in the window
  std::size_t rate_window_audio_units = 0;  // audio access units in the window
  SteadyClock::time_point rtcp_window_start{};
  std::size_t rtcp_in_window = 0;
  std::optional<std::pair<std::int64_t, SteadyClock::time_point>> media_anchor;  // first live frame: pts, arrival
  std::chrono::microseconds offset_max{0};  // max over frames since the anchor of (arrival - media)
  SteadyClock::time_point last_dropped{};  // the last complete frame dropped while waiting for a keyframe
  SteadyClock::time_point last_keepalive{};
  SteadyClock::time_point last_report{};
  std::uint32_t our_ssrc = 0;
  SourceStats stats;

  ~Session() {
    if (fd < 0) return;
    if (!session_id.empty()) {
      // Best effort and without waiting: the camera frees the session at once instead of
      // after its timeout. A full socket buffer just drops it.
      std::string req = "TEARDOWN " + aggregate_url + " RTSP/1.0\r\nCSeq: " + std::to_string(++cseq) +
                        "\r\nUser-Agent: carekeep\r\nSession: " + session_id + "\r\n" + auth_header("TEARDOWN", aggregate_url) +
                        "\r\n";
      [[maybe_unused]] auto n = tls ? tls->write(req.data(), req.size()) : ::send(fd, req.data(), req.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    tls.reset();
    ::close(fd);
  }

  Failure failure(DownCause cause, const std::string& detail) const {
    return Failure{cause, text::redact_urls_in(detail)};
  }
  Failure stopped() const { return Failure{DownCause::Protocol, "stopped"}; }

  std::string auth_header(std::string_view method, std::string_view uri) {
    if (!challenge || !url.has_credentials) return {};
    return "Authorization: " + rtsp::authorization(*challenge, url.user, url.password, method, uri, ++nonce_count, cnonce) +
           "\r\n";
  }

  tl::expected<void, Failure> connect(SteadyClock::time_point deadline) {
    auto socket = tcp::connect(url.host, url.port, deadline, options.connect_timeout, stop, shown_url);
    if (!socket) return tl::unexpected(std::move(socket.error()));
    fd = *socket;
    if (url.tls) {
      // The certificate is checked before the first RTSP byte: credentials never reach a
      // camera that fails it.
      auto stream = tls::Stream::connect(fd, url.host, options.tls, deadline, stop, shown_url);
      if (!stream) return tl::unexpected(std::move(stream.error()));
      tls = std::move(*stream);
    }
    return {};
  }

  ssize_t send_some(std::string_view data) {
    if (tls) return tls->write(data.data(), data.size());
    return ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
  }
  ssize_t recv_some(std::uint8_t* into, std::size_t size) {
    if (tls) return tls->read(into, size);
    return ::recv(fd, into, size, MSG_DONTWAIT);
  }
  // A socket error in words; TLS errors (EPROTO) say what OpenSSL reported.
  std::string io_error(int err) const {
    if (tls && err == EPROTO && !tls->error_text().empty()) return tls->error_text();
    return std::strerror(err);
  }

  DownCause cause_of_errno(int err) const {
    switch (err) {
      case EHOSTUNREACH:
      case ENETUNREACH:
      case EHOSTDOWN: return DownCause::Unreachable;
      case ETIMEDOUT: return playing ? DownCause::Stalled : DownCause::Timeout;
      case ECONNREFUSED: return DownCause::Refused;
      default: return playing ? DownCause::StreamEnded : DownCause::Refused;
    }
  }

  tl::expected<void, Failure> send_all(std::string_view data, SteadyClock::time_point deadline) {
    while (!data.empty()) {
      ssize_t n = send_some(data);
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        int err = errno;
        return tl::unexpected(failure(cause_of_errno(err), "sending to " + shown_url + ": " + io_error(err)));
      }
      if (stop.stop_requested()) return tl::unexpected(stopped());
      auto now = SteadyClock::now();
      if (now >= deadline) return tl::unexpected(failure(playing ? DownCause::Stalled : DownCause::Timeout, "sending to " + shown_url + " timed out"));
      pollfd p{fd, tls ? tls->poll_events(POLLOUT) : short{POLLOUT}, 0};
      ::poll(&p, 1, static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(std::min<SteadyClock::duration>(kSlice, deadline - now)).count()) + 1);
    }
    return {};
  }

  enum class Fill { Data, Timeout, Stopped, Closed, Error, Full };
  // Waits for bytes until `deadline` and takes everything the socket holds (up to the
  // free buffer space) in one recv.
  Fill fill(SteadyClock::time_point deadline, int& err) {
    if (begin == end) {
      begin = end = 0;
    } else if (begin > 0) {
      std::memmove(buffer.get(), buffer.get() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
    // process() consumes every whole frame and message, and both are bounded below the
    // buffer's size: a buffer still full here holds nothing that can ever complete.
    if (end == kBufferSize) return Fill::Full;
    for (;;) {
      if (stop.stop_requested()) return Fill::Stopped;
      auto now = SteadyClock::now();
      if (now >= deadline) return Fill::Timeout;
      // Records TLS decrypted already are not in the socket: poll would not report them.
      if (!tls || !tls->buffered()) {
        pollfd p{fd, tls ? tls->poll_events(POLLIN) : short{POLLIN}, 0};
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(std::min<SteadyClock::duration>(kSlice, deadline - now));
        int r = ::poll(&p, 1, static_cast<int>(wait.count()) + 1);
        if (r < 0 && errno != EINTR) {
          err = errno;
          return Fill::Error;
        }
      }
      // Readable, or a slice passed: take what is there even if under the low-water mark.
      ssize_t n = recv_some(buffer.get() + end, kBufferSize - end);
      if (n > 0) {
        end += static_cast<std::size_t>(n);
        stats.bytes_received += static_cast<std::uint64_t>(n);
        if (playing) count_rate(static_cast<std::uint64_t>(n), SteadyClock::now());
        return Fill::Data;
      }
      if (n == 0) return Fill::Closed;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      err = errno;
      return Fill::Error;
    }
  }

  // The bitrate bound keeps what a camera can make the muxer buffer (one fragment, about a
  // second) bounded too.
  void roll_rate_window(SteadyClock::time_point now) {
    if (now - rate_window_start < kBitrateWindow) return;
    rate_window_start = now;
    rate_window_bytes = 0;
    rate_window_frames = 0;
    rate_window_audio_units = 0;
  }

  void count_rate(std::uint64_t bytes, SteadyClock::time_point now) {
    roll_rate_window(now);
    rate_window_bytes += bytes;
    auto window_bits = options.limits.max_bitrate * static_cast<std::uint64_t>(kBitrateWindow.count());
    if (rate_window_bytes * 8 > window_bits && !pending) {
      pending = failure(DownCause::LimitExceeded,
                        "the camera sent over " + std::to_string(rate_window_bytes * 8 / 1'000'000 / kBitrateWindow.count()) +
                            " Mbit/s, over the limit of " + std::to_string(options.limits.max_bitrate / 1'000'000) +
                            " Mbit/s (max_bitrate)");
    }
  }

  // The unit-rate bounds (Limits::max_frame_rate, max_audio_unit_rate): a camera flooding
  // tiny frames ends its own session, limit_exceeded, and is retried like any other.
  void count_unit(bool is_video) {
    if (pending) return;
    roll_rate_window(SteadyClock::now());
    std::size_t& counted = is_video ? rate_window_frames : rate_window_audio_units;
    std::size_t limit = is_video ? options.limits.max_frame_rate : options.limits.max_audio_unit_rate;
    if (++counted <= limit * static_cast<std::size_t>(kBitrateWindow.count())) return;
    pending = failure(DownCause::LimitExceeded,
                      std::string("the camera sent ") + std::to_string(counted) + (is_video ? " video frames" : " audio units") +
                          " within " + std::to_string(kBitrateWindow.count()) + " s, over the limit of " + std::to_string(limit) +
                          (is_video ? " a second (max_frame_rate)" : " a second (max_audio_unit_rate)"));
  }

  Failure fill_failure(Fill f, int err, std::string_view waiting_for) const {
    switch (f) {
      case Fill::Stopped: return stopped();
      case Fill::Full:
        return failure(DownCause::LimitExceeded, "the receive buffer filled with " + std::to_string(kBufferSize) +
                                                     " bytes that are neither an RTSP message nor an interleaved frame");
      case Fill::Timeout:
        if (playing) return failure(DownCause::Stalled, "no video frame for " + std::to_string(options.stall_timeout.count() / 1000) + " s");
        return failure(DownCause::Timeout, "no answer to " + std::string(waiting_for) + " from " + shown_url + " in time");
      case Fill::Closed:
        return failure(playing ? DownCause::StreamEnded : DownCause::Refused,
                       std::string(playing ? "the camera closed the connection" : "the camera closed the connection during ") +
                           (playing ? "" : std::string(waiting_for)));
      case Fill::Error:
      case Fill::Data: break;
    }
    return failure(cause_of_errno(err), "reading from " + shown_url + ": " + io_error(err));
  }

  // Consumes whole interleaved frames and RTSP messages from the buffer. A response with
  // CSeq `want` is returned (and processing stops there).
  tl::expected<std::optional<rtsp::Response>, Failure> process(int want) {
    // While a response is awaited (open), everything buffered is taken: the PLAY reply may sit
    // behind the first media.
    while (begin < end && !pending && (want > 0 || ready.size() < kReadyBatch)) {
      std::uint8_t* p = buffer.get() + begin;
      std::size_t avail = end - begin;
      if (p[0] == '$') {
        if (avail < 4) break;
        std::size_t len = be16(p + 2);
        if (avail < 4 + len) break;
        on_interleaved(p[1], {p + 4, len});
        begin += 4 + len;
        continue;
      }
      if (p[0] >= 'A' && p[0] <= 'Z') {
        rtsp::Response message;
        auto used = rtsp::parse_message({reinterpret_cast<const char*>(p), avail}, message, options.limits.max_rtsp_header,
                                        options.limits.max_rtsp_body);
        if (!used) {
          auto cause = cause_of_parse_error(used.error());
          return tl::unexpected(failure(cause, (cause == DownCause::LimitExceeded ? "RTSP message from " : "malformed RTSP message from ") +
                                                   shown_url + ": " + used.error().message));
        }
        if (*used == 0) break;
        begin += *used;
        if (message.status == 0) continue;  // a request from the camera: nothing we must answer
        auto seq = message.header("CSeq");
        if (want > 0 && seq && std::atoi(std::string(*seq).c_str()) == want) return message;
        if (playing && message.status == 454) {  // keepalive answered "session not found"
          pending = failure(DownCause::StreamEnded, "the camera forgot the session (454 Session Not Found)");
        }
        continue;
      }
      // Not a frame and not a message: skip to the next '$' (a broken camera, or a frame
      // we misread). The depacketizers see the sequence gap.
      auto* next = static_cast<std::uint8_t*>(std::memchr(p + 1, '$', avail - 1));
      begin = next == nullptr ? end : static_cast<std::size_t>(next - buffer.get());
    }
    return std::optional<rtsp::Response>{};
  }

  void on_interleaved(int channel, std::span<const std::uint8_t> data) {
    if (channel == video_track.rtp_channel && video) {
      auto rtp = rtp::parse(data);
      if (!rtp) return;
      const auto dropped_before = video->counters().dropped;
      video->push(*rtp);
      if (video->counters().dropped != dropped_before) last_dropped = SteadyClock::now();
      if (const auto& violation = video->violation(); violation && !pending) {
        pending = failure(DownCause::LimitExceeded, *violation);
      }
      while (video->ready()) {
        last_media = SteadyClock::now();  // progress is frames, not bytes: a trickle of fragments is a stall
        on_video(video->pop());
      }
    } else if (channel == audio_track.rtp_channel && audio) {
      auto rtp = rtp::parse(data);
      if (!rtp) return;
      audio->push(*rtp);
      while (audio->ready()) on_audio(audio->pop());
    } else if (channel == video_track.rtcp_channel || channel == audio_track.rtcp_channel) {
      // Receiver reports need a sender report now and then; a flood is skipped unread.
      auto now = SteadyClock::now();
      if (now - rtcp_window_start >= std::chrono::seconds(1)) {
        rtcp_window_start = now;
        rtcp_in_window = 0;
      }
      if (++rtcp_in_window > options.limits.max_rtcp_per_second) {
        ++stats.rtcp_skipped;
        return;
      }
      on_rtcp(channel == video_track.rtcp_channel ? video_track : audio_track, data);
    }
    if (ready.size() > options.limits.max_queued_packets && !pending) {
      pending = failure(DownCause::LimitExceeded, std::to_string(ready.size()) + " packets waiting for the recorder, over the limit of " +
                                                      std::to_string(options.limits.max_queued_packets) + " (max_queued_packets)");
    }
  }

  // Media time against real time (see kMaxMediaAhead). offset = arrival − media: lateness
  // raises it, a clock running fast lowers it. Only a fall below the highest offset seen
  // (media ahead of every arrival) beyond the allowance ends the session.
  void check_media_clock(std::int64_t pts) {
    auto now = SteadyClock::now();
    if (!media_anchor) {
      media_anchor.emplace(pts, now);
      return;
    }
    auto media = std::chrono::microseconds(av_rescale(pts - media_anchor->first, 1'000'000, 90000));
    auto real = std::chrono::duration_cast<std::chrono::microseconds>(now - media_anchor->second);
    auto offset = real - media;
    offset_max = std::max(offset_max, offset);
    auto ahead = offset_max - offset;
    auto allowed = std::max<std::chrono::microseconds>(kMaxMediaAhead, real * kMaxClockRatioPercent / 100);
    if (ahead > allowed && !pending) {
      auto ms = [](std::chrono::microseconds d) { return std::to_string(d.count() / 1000); };
      pending = failure(DownCause::Protocol, "the camera's video timestamps ran " + ms(ahead) + " ms ahead of real time over " +
                                                 ms(real) + " ms (its RTP clock runs faster than real time)");
    }
  }

  // When the session is stalled: no video frame for stall_timeout, or, while frames are being
  // dropped waiting for a keyframe after a loss, no frame at all for stall_timeout and no
  // keyframe for kKeyframeWaitAfterLoss.
  SteadyClock::time_point progress_deadline() const {
    auto deadline = last_media + options.stall_timeout;
    if (last_dropped > last_media) {
      deadline = std::max(deadline, std::min(last_dropped + options.stall_timeout,
                                             last_media + std::max<SteadyClock::duration>(kKeyframeWaitAfterLoss, options.stall_timeout)));
    }
    return deadline;
  }

  void on_rtcp(Track& track, std::span<const std::uint8_t> data) {
    std::size_t pos = 0;
    while (pos + 4 <= data.size()) {
      const std::uint8_t* p = data.data() + pos;
      std::size_t len = (std::size_t{be16(p + 2)} + 1) * 4;
      if (pos + len > data.size()) break;
      if (p[1] == 200 && len >= 20) {  // sender report: remember it for the receiver report's LSR
        track.last_sr = (be32(p + 8) << 16) | (be32(p + 12) >> 16);
        track.last_sr_at = SteadyClock::now();
      } else if (p[1] == 203 && &track == &video_track && first_key_seen) {  // BYE on the video track
        pending = failure(DownCause::StreamEnded, "the camera ended the stream (RTCP BYE)");
      }
      pos += len;
    }
  }

  void on_video(av::Packet packet) {
    count_unit(true);
    std::span<const std::uint8_t> au{packet->data, static_cast<std::size_t>(packet->size)};
    if (!first_key_seen) {
      // Until the first keyframe nothing is recorded; its parameter sets (if any) win over
      // the SDP's, and describe the stream from here on.
      if (!(packet->flags & AV_PKT_FLAG_KEY)) return;
      params->take_from_au(au);
      auto record = params->configuration_record();
      if (!record) {
        pending = failure(DownCause::Unsupported, record.error().message);
        return;
      }
      av_freep(&video_par->extradata);
      video_par->extradata = static_cast<std::uint8_t*>(av_mallocz(record->size() + AV_INPUT_BUFFER_PADDING_SIZE));
      if (video_par->extradata == nullptr) throw std::bad_alloc();
      std::memcpy(video_par->extradata, record->data(), record->size());
      video_par->extradata_size = static_cast<int>(record->size());
      if (auto size = params->picture_size()) {
        video_par->width = size->first;
        video_par->height = size->second;
      } else if (auto st = complete_parameters(video_par.get(), packet.get()); !st) {
        pending = failure(DownCause::Unsupported, st.error().message);
        return;
      }
      first_key_seen = true;
      held_first = std::move(packet);
      return;
    }
    if (params->differs(au)) {
      pending = failure(DownCause::CodecChanged, "new parameter sets in the stream (resolution or profile changed)");
      return;
    }
    if (held_first) {
      // Servers that join a client on a cached keyframe send it with the time it was
      // encoded, up to a GOP before the live frames that follow (gst-rtsp-server does).
      // Date it one frame before the next, as if it had been sent on time, so the first
      // segment has no hole; libavformat's client gives it no time at all, which the
      // segment writer resolves the same way.
      std::int64_t frame = frame_rate.num > 0 ? av_rescale_q(1, av_inv_q(frame_rate), AVRational{1, 90000}) : 3600;
      std::int64_t step = packet->pts - held_first->pts;
      if ((step > frame || step <= 0) && packet->pts - frame > 0) {
        held_first->pts = held_first->dts = packet->pts - frame;
      }
      last_video_pts = held_first->pts;
      ++stats.video_frames;
      ready.emplace_back(Kind::Video, std::move(held_first));
      held_first.reset();
    }
    last_video_pts = packet->pts;
    check_media_clock(packet->pts);
    ++stats.video_frames;
    ready.emplace_back(Kind::Video, std::move(packet));
  }

  void on_audio(av::Packet packet) {
    count_unit(false);
    if (!first_key_seen) return;
    // RTP clocks of two streams start at random values; place the first audio packet at
    // the video time it arrived (within network jitter; RTCP SR mapping is not used).
    std::int64_t video_now = av_rescale_q(last_video_pts, AVRational{1, 90000}, AVRational{1, audio_clock});
    // Re-anchored when it strays over 2 s from the video (one stream's clock jumped and the
    // other's did not): the muxer must not see hours of audio in a one-minute segment.
    if (!audio_offset || std::llabs(packet->pts + *audio_offset - video_now) > 2 * static_cast<std::int64_t>(audio_clock)) {
      audio_offset = video_now - packet->pts;
    }
    packet->pts += *audio_offset;
    packet->dts = packet->pts;
    if (packet->pts < 0) return;
    ready.emplace_back(Kind::Audio, std::move(packet));
  }

  tl::expected<rtsp::Response, Failure> request(std::string_view method, const std::string& uri, const std::string& headers,
                                                SteadyClock::time_point deadline) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      int seq = ++cseq;
      std::string req = std::string(method) + " " + uri + " RTSP/1.0\r\nCSeq: " + std::to_string(seq) +
                        "\r\nUser-Agent: carekeep\r\n" + headers + auth_header(method, uri) + "\r\n";
      if (auto st = send_all(req, deadline); !st) return tl::unexpected(st.error());
      std::optional<rtsp::Response> response;
      while (!response) {
        auto got = process(seq);
        if (!got) return tl::unexpected(got.error());
        if (pending) return tl::unexpected(*pending);
        if (*got) {
          response = std::move(**got);
          break;
        }
        int err = 0;
        auto f = fill(deadline, err);
        if (f != Fill::Data) return tl::unexpected(fill_failure(f, err, method));
      }
      if (response->status != 401) return std::move(*response);
      if (!url.has_credentials) {
        return tl::unexpected(failure(DownCause::AuthFailed, std::string(method) + " " + shown_url +
                                                                  ": the camera asks for a user name and password; put them in the URL"));
      }
      auto offered = rtsp::parse_challenge(response->headers_named("WWW-Authenticate"));
      if (!offered) {
        return tl::unexpected(failure(DownCause::AuthFailed, std::string(method) + " " + shown_url +
                                                                  ": the camera offers no authentication scheme carekeep supports (Basic, Digest MD5)"));
      }
      if (offered->scheme == rtsp::Challenge::Scheme::Basic && !options.allow_basic_auth) {
        return tl::unexpected(failure(DownCause::AuthFailed,
                                      std::string(method) + " " + shown_url +
                                          ": the camera offers only Basic authentication, which would send the password in clear; "
                                          "enable Digest on the camera, or set allow_basic_auth = true for this camera to accept it"));
      }
      // The pre-flight learns only what the camera would accept; it never answers a challenge.
      if (preflight) return std::move(*response);
      bool retry = !challenge || offered->stale;
      challenge = std::move(offered);
      nonce_count = 0;
      if (!retry) break;
    }
    return tl::unexpected(failure(DownCause::AuthFailed, std::string(method) + " " + shown_url + ": 401 Unauthorized"));
  }

  Failure status_failure(std::string_view method, const rtsp::Response& r) const {
    std::string detail = std::string(method) + " " + shown_url + ": " + std::to_string(r.status) + " " + r.reason;
    if (r.status == 401 || r.status == 403) return failure(DownCause::AuthFailed, detail);
    if (r.status == 404) return failure(DownCause::NotFound, detail);
    return failure(DownCause::Protocol, detail);
  }

  tl::expected<void, Failure> setup(Track& track, int channel, SteadyClock::time_point deadline) {
    std::string headers = "Transport: RTP/AVP/TCP;unicast;interleaved=" + std::to_string(channel) + "-" +
                          std::to_string(channel + 1) + "\r\n";
    if (!session_id.empty()) headers += "Session: " + session_id + "\r\n";
    auto r = request("SETUP", track.control_url, headers, deadline);
    if (!r) return tl::unexpected(r.error());
    if (r->status == 461 || r->status == 454) {
      return tl::unexpected(failure(DownCause::Protocol, "SETUP " + shown_url + ": " + std::to_string(r->status) + " " + r->reason +
                                                              " (the camera refuses RTP over TCP; try client = \"libavformat\" with transport = \"udp\")"));
    }
    if (r->status != 200) return tl::unexpected(status_failure("SETUP", *r));
    if (auto s = r->header("Session")) {
      std::string_view v = *s;
      auto semi = v.find(';');
      session_id = std::string(v.substr(0, semi));
      if (semi != std::string_view::npos) {
        auto t = v.find("timeout=", semi);
        if (t != std::string_view::npos) {
          int seconds = std::atoi(std::string(v.substr(t + 8)).c_str());
          if (seconds >= 2) session_timeout = std::chrono::seconds(seconds);
        }
      }
    }
    track.rtp_channel = channel;
    track.rtcp_channel = channel + 1;
    if (auto t = r->header("Transport")) {
      auto i = t->find("interleaved=");
      if (i != std::string_view::npos) {
        std::string spec(t->substr(i + 12));
        int a = -1, b = -1;
        if (std::sscanf(spec.c_str(), "%d-%d", &a, &b) >= 1 && a >= 0) {
          track.rtp_channel = a;
          track.rtcp_channel = b >= 0 ? b : a + 1;
        }
      }
    }
    return {};
  }

  void housekeeping() {
    auto now = SteadyClock::now();
    if (now - last_keepalive >= session_timeout / 2) {
      last_keepalive = now;
      std::string_view method = get_parameter ? "GET_PARAMETER" : "OPTIONS";
      std::string req = std::string(method) + " " + aggregate_url + " RTSP/1.0\r\nCSeq: " + std::to_string(++cseq) +
                        "\r\nUser-Agent: carekeep\r\nSession: " + session_id + "\r\n" + auth_header(method, aggregate_url) + "\r\n";
      if (auto st = send_all(req, now + options.stall_timeout); !st) pending = st.error();
    }
    if (now - last_report >= kReceiverReportInterval) {
      last_report = now;
      std::string frames;
      if (video) add_receiver_report(frames, video_track, video->sequence(), now);
      if (audio) add_receiver_report(frames, audio_track, audio->sequence(), now);
      if (!frames.empty()) {
        if (auto st = send_all(frames, now + options.stall_timeout); !st) pending = st.error();
      }
    }
  }

  // RFC 3550 §6.4.2 receiver report plus the SDES CNAME a compound RTCP packet must carry,
  // framed for the track's interleaved RTCP channel.
  void add_receiver_report(std::string& out, Track& track, const rtp::SequenceState& seq, SteadyClock::time_point now) {
    if (!seq.started || track.rtcp_channel < 0) return;
    std::string rtcp;
    rtcp += '\x81';
    rtcp += static_cast<char>(201);
    rtcp += '\0';
    rtcp += '\x07';
    put32(rtcp, our_ssrc);
    put32(rtcp, seq.ssrc);
    std::uint32_t expected_total = seq.extended_max() - seq.base_seq + 1;
    std::uint32_t expected = expected_total - track.reported_expected;
    std::uint64_t received = seq.received - track.reported_received;
    track.reported_expected = expected_total;
    track.reported_received = seq.received;
    std::uint32_t fraction = expected > received && expected > 0 ? static_cast<std::uint32_t>(((expected - received) << 8) / expected) : 0;
    std::uint32_t cumulative = static_cast<std::uint32_t>(std::min<std::uint64_t>(seq.lost, 0x7fffff));
    put32(rtcp, (fraction << 24) | cumulative);
    put32(rtcp, seq.extended_max());
    put32(rtcp, 0);  // jitter: not measured
    put32(rtcp, track.last_sr);
    std::uint32_t dlsr = 0;
    if (track.last_sr != 0) {
      dlsr = static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - track.last_sr_at).count() * 65536 / 1000000);
    }
    put32(rtcp, dlsr);
    std::string cname = "carekeep";
    std::string sdes;
    put32(sdes, our_ssrc);
    sdes += '\x01';
    sdes += static_cast<char>(cname.size());
    sdes += cname;
    sdes += '\0';
    while (sdes.size() % 4 != 0) sdes += '\0';
    std::size_t words = sdes.size() / 4;
    rtcp += '\x81';
    rtcp += static_cast<char>(202);
    rtcp += static_cast<char>((words >> 8) & 0xff);
    rtcp += static_cast<char>(words & 0xff);
    rtcp += sdes;
    out += '$';
    out += static_cast<char>(track.rtcp_channel);
    out += static_cast<char>((rtcp.size() >> 8) & 0xff);
    out += static_cast<char>(rtcp.size() & 0xff);
    out += rtcp;
  }

  // Processes what is buffered and, when that yields nothing, waits for more bytes (at
  // most until the stall deadline). Returns a failure only when nothing is ready.
  tl::expected<void, Failure> pump() {
    auto got = process(0);
    if (!got) return tl::unexpected(got.error());
    if (!ready.empty() || pending) return {};
    housekeeping();
    if (pending) return {};
    int err = 0;
    auto f = fill(progress_deadline(), err);
    if (f != Fill::Data) return tl::unexpected(fill_failure(f, err, "PLAY"));
    return {};
  }

  // What libavformat's client would be asked for: the challenges of OPTIONS and DESCRIBE
  // (FFmpeg answers the strongest one offered, Digest before Basic, and sends no credentials
  // before a challenge). Refuses as AuthFailed when only Basic is offered and not allowed.
  tl::expected<void, Failure> check_authentication(SteadyClock::time_point deadline) {
    preflight = true;
    if (auto st = connect(deadline); !st) return st;
    for (std::string_view method : {"OPTIONS", "DESCRIBE"}) {
      auto reply = request(method, url.request_url, method == "DESCRIBE" ? "Accept: application/sdp\r\n" : "", deadline);
      if (!reply) return tl::unexpected(reply.error());
    }
    return {};
  }

  tl::expected<void, Failure> open(SteadyClock::time_point deadline) {
    if (auto st = connect(deadline); !st) return st;
    auto options_reply = request("OPTIONS", url.request_url, {}, deadline);
    if (!options_reply) return tl::unexpected(options_reply.error());
    if (options_reply->status == 200) {
      if (auto pub = options_reply->header("Public")) get_parameter = pub->find("GET_PARAMETER") != std::string_view::npos;
    }
    auto described = request("DESCRIBE", url.request_url, "Accept: application/sdp\r\n", deadline);
    if (!described) return tl::unexpected(described.error());
    if (described->status != 200) return tl::unexpected(status_failure("DESCRIBE", *described));
    std::string base = url.request_url;
    if (auto b = described->header("Content-Base")) base = std::string(*b);
    else if (auto l = described->header("Content-Location")) base = std::string(*l);
    auto parsed_sdp = rtsp::parse_sdp(described->body, options.limits.max_sdp_lines, options.limits.max_tracks);
    if (!parsed_sdp) {
      return tl::unexpected(failure(cause_of_parse_error(parsed_sdp.error()), "the session description from " + shown_url + ": " + parsed_sdp.error().message));
    }
    const rtsp::Sdp& sdp = *parsed_sdp;
    aggregate_url = sdp.control.empty() ? base : rtsp::resolve_control(base, sdp.control);

    const rtsp::SdpMedia* video_media = nullptr;
    const rtsp::SdpMedia* audio_media = nullptr;
    for (const auto& m : sdp.media) {
      if (m.type == "video" && video_media == nullptr && (m.encoding == "H264" || m.encoding == "H265")) video_media = &m;
      if (m.type == "audio" && audio_media == nullptr) audio_media = &m;
    }
    if (video_media == nullptr) {
      return tl::unexpected(failure(DownCause::Unsupported, "no H.264 or H.265 video stream at " + shown_url));
    }
    video_codec = video_media->encoding == "H265" ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264;
    video_par->codec_type = AVMEDIA_TYPE_VIDEO;
    video_par->codec_id = video_codec;
    if (video_media->frame_rate > 0) frame_rate = av_d2q(video_media->frame_rate, 1000);
    params.emplace(video_codec);
    params->add_from_fmtp(video_media->fmtp);
    video_track.control_url = rtsp::resolve_control(base, video_media->control);
    video = std::make_unique<rtp::VideoDepacketizer>(video_codec, options.limits.max_access_unit);

    bool aac = false;
    if (audio_media != nullptr) {
      auto mode = audio_media->fmtp.find("mode");
      auto config = audio_media->fmtp.find("config");
      aac = audio_media->encoding == "MPEG4-GENERIC" && audio_media->clock_rate > 0 && config != audio_media->fmtp.end() &&
            (mode == audio_media->fmtp.end() || mode->second.find("AAC") != std::string::npos ||
             mode->second.find("aac") != std::string::npos);
      int size_length = fmtp_int(*audio_media, "sizelength", 13);
      int index_length = fmtp_int(*audio_media, "indexlength", 3);
      int index_delta_length = fmtp_int(*audio_media, "indexdeltalength", 3);
      if (aac) {
        // The picture is what the regulation asks for: audio the client cannot parse safely is
        // dropped with a reason, and the video is recorded.
        if (auto problem = rtp::AacDepacketizer::check_parameters(size_length, index_length, index_delta_length)) {
          aac = false;
          audio_problem = *problem;
        }
      }
      if (aac) {
        auto bytes = rtsp::hex_decode(config->second);
        if (!bytes || bytes->empty()) aac = false;
        else {
          audio_par.reset(avcodec_parameters_alloc());
          if (!audio_par) throw std::bad_alloc();
          audio_par->codec_type = AVMEDIA_TYPE_AUDIO;
          audio_par->codec_id = AV_CODEC_ID_AAC;
          audio_par->sample_rate = audio_media->clock_rate;
          av_channel_layout_default(&audio_par->ch_layout, audio_media->channels > 0 ? audio_media->channels : 1);
          audio_par->extradata = static_cast<std::uint8_t*>(av_mallocz(bytes->size() + AV_INPUT_BUFFER_PADDING_SIZE));
          if (audio_par->extradata == nullptr) throw std::bad_alloc();
          std::memcpy(audio_par->extradata, bytes->data(), bytes->size());
          audio_par->extradata_size = static_cast<int>(bytes->size());
          audio_clock = audio_media->clock_rate;
          audio_track.control_url = rtsp::resolve_control(base, audio_media->control);
          audio = std::make_unique<rtp::AacDepacketizer>(size_length, index_length, index_delta_length, audio_clock,
                                                         options.limits.max_audio_units_per_packet);
        }
      }
      if (!aac) dropped_audio = dropped_audio_name(*audio_media) + (audio_problem.empty() ? "" : " (" + audio_problem + ")");
    }

    if (auto st = setup(video_track, 0, deadline); !st) return st;
    if (audio) {
      if (auto st = setup(audio_track, 2, deadline); !st) {
        // A camera that will not send its audio is still recorded, as video only.
        if (st.error().cause != DownCause::Protocol && st.error().cause != DownCause::NotFound) return st;
        audio.reset();
        audio_par.reset();
        dropped_audio = "aac";
      }
    }
    std::string play_headers = "Session: " + session_id + "\r\nRange: npt=0.000-\r\n";
    auto played = request("PLAY", aggregate_url, play_headers, deadline);
    if (!played) return tl::unexpected(played.error());
    if (played->status != 200) return tl::unexpected(status_failure("PLAY", *played));
    playing = true;
    // From here on poll() wakes only for a batch of data (or after kSlice).
    int low_water = kLowWater;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &low_water, sizeof low_water);
    auto now = SteadyClock::now();
    last_media = last_keepalive = last_report = rate_window_start = rtcp_window_start = now;
    std::random_device random;
    our_ssrc = random();

    // Complete the video parameters from the first keyframe; it stays queued for read().
    auto key_deadline = now + std::max<SteadyClock::duration>(kFirstKeyframeWait, options.stall_timeout);
    while (!first_key_seen || held_first) {
      if (auto st = pump(); !st) return st;
      if (pending) return tl::unexpected(*pending);
      if (SteadyClock::now() >= key_deadline) {
        return tl::unexpected(failure(DownCause::Protocol, "no keyframe from " + shown_url + " within " +
                                                               std::to_string(kFirstKeyframeWait.count()) + " s"));
      }
    }
    return {};
  }
};

NativeSource::NativeSource(std::unique_ptr<Session> session) : session_(std::move(session)) {}
NativeSource::~NativeSource() = default;

tl::expected<std::unique_ptr<NativeSource>, Failure> NativeSource::open(const std::string& url, const SourceOptions& options,
                                                                        std::stop_token stop) {
  auto session = std::make_unique<Session>();
  session->options = options;
  session->stop = std::move(stop);
  session->shown_url = text::redact_url(url);
  auto parsed = rtsp::parse_url(url);
  if (!parsed) return tl::unexpected(Failure{DownCause::Protocol, parsed.error().message + ": " + session->shown_url});
  session->url = std::move(*parsed);
  if (!session->video_par) throw std::bad_alloc();
  std::random_device random;
  session->cnonce = rtsp::md5_hex(std::to_string(random()) + std::to_string(random())).substr(0, 16);
  auto deadline = SteadyClock::now() + options.connect_timeout;
  if (auto st = session->open(deadline); !st) {
    if (session->stop.stop_requested()) return tl::unexpected(session->stopped());
    return tl::unexpected(st.error());
  }
  return std::unique_ptr<NativeSource>(new NativeSource(std::move(session)));
}

tl::expected<void, Failure> NativeSource::check_authentication(const std::string& url, const SourceOptions& options,
                                                               std::stop_token stop) {
  Session session;
  session.options = options;
  session.stop = std::move(stop);
  session.shown_url = text::redact_url(url);
  auto parsed = rtsp::parse_url(url);
  if (!parsed) return tl::unexpected(Failure{DownCause::Protocol, parsed.error().message + ": " + session.shown_url});
  session.url = std::move(*parsed);
  if (!session.url.has_credentials) return {};
  auto st = session.check_authentication(SteadyClock::now() + options.connect_timeout);
  if (!st && session.stop.stop_requested()) return tl::unexpected(session.stopped());
  return st;
}

tl::expected<Source::Kind, Failure> NativeSource::read(AVPacket* packet) {
  Session& s = *session_;
  while (s.ready.empty()) {
    if (s.pending) return tl::unexpected(*s.pending);
    if (auto st = s.pump(); !st) return tl::unexpected(st.error());
  }
  auto [kind, p] = std::move(s.ready.front());
  s.ready.pop_front();
  av_packet_move_ref(packet, p.get());
  return kind;
}

StreamInfo NativeSource::video() const { return StreamInfo{session_->video_par.get(), AVRational{1, 90000}, session_->frame_rate}; }

StreamInfo NativeSource::audio() const {
  if (!session_->audio_par) return StreamInfo{nullptr, AVRational{1, 48000}, AVRational{0, 1}};
  return StreamInfo{session_->audio_par.get(), AVRational{1, session_->audio_clock}, AVRational{0, 1}};
}

const std::string& NativeSource::dropped_audio_codec() const { return session_->dropped_audio; }

SourceStats NativeSource::stats() const {
  SourceStats out = session_->stats;
  if (session_->video) {
    out.sequence_gaps = session_->video->sequence().gaps + (session_->audio ? session_->audio->sequence().gaps : 0);
    out.frames_dropped = session_->video->counters().dropped;
    out.timestamp_jumps = session_->video->counters().timestamp_jumps + (session_->audio ? session_->audio->timestamp_jumps() : 0);
  }
  return out;
}

}  // namespace carekeep::ingest
