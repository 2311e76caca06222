// ingest/depacketizer: RTP payloads to access units, for the native RTSP client. H.264
// (RFC 6184: single NAL, STAP-A, FU-A) and H.265 (RFC 7798: single, AP, FU) are written
// straight into the packet's buffer as 4-byte length-prefixed NAL units, the layout the MP4
// muxer stores as is with avcC/hvcC extradata (ParameterSets builds those); AAC
// (RFC 3640 AAC-hbr) becomes one packet per AU. Timestamps are unwrapped to 64 bits and
// start at 0. One instance per stream, on the camera's ingest thread; no I/O.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "av/av.hpp"
#include "base/error.hpp"

namespace carekeep::ingest::rtp {

struct Packet {
  bool marker = false;
  int payload_type = 0;
  std::uint16_t seq = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::span<const std::uint8_t> payload;
};
// Parses an RTP packet (RFC 3550): skips CSRCs, the header extension and padding.
std::optional<Packet> parse(std::span<const std::uint8_t> data);

// 32-bit RTP timestamps to a 64-bit count that starts at 0 and never goes backwards.
class TimestampUnwrapper {
 public:
  std::int64_t unwrap(std::uint32_t ts);

 private:
  bool started_ = false;
  std::uint32_t last_ = 0;
  std::int64_t extended_ = 0;  // relative to the first timestamp
};

// Sequence-number bookkeeping shared by the depacketizers (and RTCP receiver reports).
struct SequenceState {
  bool started = false;
  std::uint16_t expected = 0;
  std::uint32_t cycles = 0;        // wraps of the sequence number, for the extended highest seq
  std::uint16_t max_seq = 0;
  std::uint32_t base_seq = 0;
  std::uint64_t received = 0;
  std::uint64_t lost = 0;          // packets missing in the gaps
  std::uint64_t gaps = 0;          // discontinuities
  std::uint32_t ssrc = 0;
  // Accounts `seq`; returns false when packets before it were lost.
  bool accept(std::uint16_t seq);
  std::uint32_t extended_max() const { return cycles + max_seq; }
};

// Calls fn(nal) for each NAL unit of a 4-byte length-prefixed access unit; stops at a
// malformed length. Returns false if the buffer was malformed.
template <class Fn>
bool for_each_nal(std::span<const std::uint8_t> au, Fn&& fn) {
  std::size_t pos = 0;
  while (pos + 4 <= au.size()) {
    std::size_t len = (std::size_t{au[pos]} << 24) | (std::size_t{au[pos + 1]} << 16) | (std::size_t{au[pos + 2]} << 8) | au[pos + 3];
    pos += 4;
    if (len == 0 || len > au.size() - pos) return false;
    fn(au.subspan(pos, len));
    pos += len;
  }
  return pos == au.size();
}

struct VideoCounters {
  std::uint64_t frames = 0;          // access units delivered
  std::uint64_t dropped = 0;         // access units dropped (damaged by loss, or before the next keyframe)
  std::uint64_t unsupported = 0;     // RTP packets of payload formats we do not take (STAP-B, MTAP, PACI)
  std::uint64_t timestamp_jumps = 0; // discontinuities rebased (see kMaxTimestampStep)
};

// A step between consecutive access units' RTP times beyond this (forward), or backwards by
// more than kMaxTimestampBackStep, is not time that passed but a camera that reset or jumped
// its clock (a reboot behind a proxy, an SSRC change, a hostile peer). The depacketizer
// rebases its output so media time goes on by one frame instead, keeping segments' media
// durations honest; the session compares media time with real time for slower drifts.
inline constexpr std::int64_t kMaxTimestampStepSeconds = 10;
inline constexpr std::int64_t kMaxTimestampBackStepSeconds = 1;

class VideoDepacketizer {
 public:
  // `max_access_unit`: the largest access unit accepted (ingest::Limits::max_access_unit).
  explicit VideoDepacketizer(AVCodecID codec, std::size_t max_access_unit = 8 * 1024 * 1024);
  ~VideoDepacketizer();
  VideoDepacketizer(const VideoDepacketizer&) = delete;
  VideoDepacketizer& operator=(const VideoDepacketizer&) = delete;

  // Takes one RTP packet of this stream. Completed access units queue up for pop(): an
  // access unit ends at the marker bit or when the timestamp changes. After a sequence
  // gap the damaged access unit and everything up to the next keyframe are dropped.
  void push(const Packet& rtp);
  bool ready() const { return !out_.empty(); }
  // The oldest completed access unit: pts = dts in 1/90000 from the stream's first
  // timestamp, strictly increasing; AV_PKT_FLAG_KEY on IDR (H.264) / IRAP (H.265).
  av::Packet pop();

  const SequenceState& sequence() const { return seq_; }
  const VideoCounters& counters() const { return counters_; }
  // Set once an access unit grew past max_access_unit (that unit is discarded and so is
  // everything after): the session ends with this detail. The buffer never grows past the
  // limit, so a unit that never ends (fragments without an end bit) costs at most the limit.
  const std::optional<std::string>& violation() const { return violation_; }

 private:
  void append_nal(std::span<const std::uint8_t> nal);
  void begin_fragment(const std::uint8_t* header, std::size_t header_size);
  void append_fragment(std::span<const std::uint8_t> data);
  void end_fragment();
  bool reserve(std::size_t extra);  // false (and violation_ set) past the limit
  void finish_au();
  void discard_au();
  bool is_key_nal(const std::uint8_t* nal) const;

  AVCodecID codec_;
  std::size_t header_size_;  // 1 for H.264, 2 for H.265
  SequenceState seq_;
  TimestampUnwrapper clock_;
  AVBufferRef* buf_ = nullptr;   // the access unit being assembled
  std::size_t size_ = 0;
  std::size_t fragment_at_ = SIZE_MAX;  // where the length of the NAL being reassembled goes
  bool au_open_ = false;
  bool au_damaged_ = false;
  bool au_key_ = false;
  bool need_key_ = false;
  std::uint32_t au_timestamp_ = 0;
  std::int64_t last_pts_ = -1;
  std::size_t typical_size_ = 64 * 1024;
  std::size_t max_access_unit_;
  std::int64_t shift_ = 0;        // added to unwrapped RTP time after rebased jumps
  std::int64_t frame_step_ = 3600; // the last plausible step between units (1/90000 s)
  std::optional<std::string> violation_;
  std::deque<av::Packet> out_;
  VideoCounters counters_;
};

// RFC 3640 AAC-hbr/lbr: AU headers of sizelength + indexlength bits.
class AacDepacketizer {
 public:
  // Why these fmtp values cannot describe AAC-hbr/lbr AU headers (nullopt when they can):
  // sizelength 1–16 (an AAC frame is at most 8191 bytes: hbr uses 13, lbr 6), indexlength and
  // indexdeltalength 0–16. Values outside would make the header walk loop or allocate
  // without bound; the session drops such audio and records the video.
  static std::optional<std::string> check_parameters(int size_length, int index_length, int index_delta_length);
  // The parameters must pass check_parameters (otherwise every packet is ignored).
  AacDepacketizer(int size_length, int index_length, int index_delta_length, int clock_rate,
                  std::size_t max_units_per_packet = 64);
  void push(const Packet& rtp);
  bool ready() const { return !out_.empty(); }
  av::Packet pop();  // pts in 1/clock_rate from the stream's first timestamp
  const SequenceState& sequence() const { return seq_; }
  std::uint64_t timestamp_jumps() const { return timestamp_jumps_; }

 private:
  int size_length_, index_length_, index_delta_length_;
  int clock_rate_;
  std::size_t max_units_;
  bool valid_;
  std::int64_t shift_ = 0;
  std::int64_t last_base_ = -1;
  std::uint64_t timestamp_jumps_ = 0;
  SequenceState seq_;
  TimestampUnwrapper clock_;
  std::string fragment_;         // an AU split over packets (rare)
  std::size_t fragment_size_ = 0;
  std::int64_t fragment_pts_ = 0;
  std::int64_t last_pts_ = -1;
  std::deque<av::Packet> out_;
};

// The parameter sets of one video stream and the decoder configuration record built from
// them: avcC (ISO/IEC 14496-15 §5.3.3) or hvcC (§8.3.3), lengthSizeMinusOne = 3.
class ParameterSets {
 public:
  explicit ParameterSets(AVCodecID codec) : codec_(codec) {}
  // From the SDP: sprop-parameter-sets (H.264), sprop-vps/sps/pps (H.265).
  void add_from_fmtp(const std::map<std::string, std::string>& fmtp);
  // Parameter sets inside one length-prefixed access unit, in order of appearance.
  void take_from_au(std::span<const std::uint8_t> au);
  bool complete() const;
  // True when `au` carries a parameter set that is not one of ours (new resolution/profile).
  bool differs(std::span<const std::uint8_t> au) const;
  Result<std::string> configuration_record() const;
  // Picture size from the SPS (cropping applied); nullopt if the SPS cannot be read.
  std::optional<std::pair<int, int>> picture_size() const;

  const std::vector<std::string>& vps() const { return vps_; }
  const std::vector<std::string>& sps() const { return sps_; }
  const std::vector<std::string>& pps() const { return pps_; }

 private:
  void add(std::span<const std::uint8_t> nal);
  int nal_type(std::span<const std::uint8_t> nal) const;
  AVCodecID codec_;
  std::vector<std::string> vps_, sps_, pps_;
};

// Removes emulation prevention bytes (00 00 03) from a NAL unit's payload.
std::string unescape_rbsp(std::span<const std::uint8_t> nal);

}  // namespace carekeep::ingest::rtp
