#include "ingest/depacketizer.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include "ingest/rtsp_protocol.hpp"

namespace carekeep::ingest::rtp {
namespace {

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

// Reads bits MSB first; reading past the end yields zeros and sets `overrun`.
class BitReader {
 public:
  explicit BitReader(std::string_view data) : data_(data) {}
  std::uint32_t bits(int n) {
    std::uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 1) | bit();
    return v;
  }
  std::uint32_t bit() {
    if (pos_ >= data_.size() * 8) {
      overrun = true;
      return 0;
    }
    std::uint32_t b = (static_cast<std::uint8_t>(data_[pos_ / 8]) >> (7 - pos_ % 8)) & 1;
    ++pos_;
    return b;
  }
  void skip(std::size_t n) { pos_ += n; if (pos_ > data_.size() * 8) overrun = true; }
  std::uint32_t ue() {
    int zeros = 0;
    while (bit() == 0) {
      if (++zeros > 31 || overrun) {
        overrun = true;
        return 0;
      }
    }
    return ((1u << zeros) - 1) + bits(zeros);
  }
  std::int32_t se() {
    std::uint32_t v = ue();
    return (v & 1) ? static_cast<std::int32_t>((v + 1) / 2) : -static_cast<std::int32_t>(v / 2);
  }
  bool overrun = false;

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void put16(std::string& out, std::size_t v) {
  out += static_cast<char>((v >> 8) & 0xff);
  out += static_cast<char>(v & 0xff);
}

struct H265Profile {
  std::uint8_t space_tier_idc = 0;  // profile_space(2) tier(1) profile_idc(5)
  std::uint32_t compatibility = 0;
  std::uint64_t constraints = 0;    // 48 bits
  std::uint8_t level = 0;
  int sub_layers = 1;
  bool temporal_id_nested = false;
  int chroma_format = 1;
  int bit_depth_luma = 8;
  int bit_depth_chroma = 8;
  int width = 0;
  int height = 0;
};

// Larger than any real picture (8K is 7680x4320), small enough that sizes stay in int.
constexpr std::int64_t kMaxPictureSide = 16384;

std::optional<H265Profile> parse_h265_sps(const std::string& nal) {
  if (nal.size() < 4) return std::nullopt;
  std::string rbsp = unescape_rbsp(as_bytes(nal));
  BitReader r(std::string_view(rbsp).substr(2));
  H265Profile p;
  r.bits(4);  // sps_video_parameter_set_id
  int max_sub_layers_minus1 = static_cast<int>(r.bits(3));
  p.sub_layers = max_sub_layers_minus1 + 1;
  p.temporal_id_nested = r.bit() != 0;
  p.space_tier_idc = static_cast<std::uint8_t>(r.bits(8));
  p.compatibility = r.bits(32);
  p.constraints = (std::uint64_t{r.bits(16)} << 32) | r.bits(32);
  p.level = static_cast<std::uint8_t>(r.bits(8));
  std::vector<std::pair<bool, bool>> present(static_cast<std::size_t>(max_sub_layers_minus1));
  for (auto& [profile, level] : present) {
    profile = r.bit() != 0;
    level = r.bit() != 0;
  }
  if (max_sub_layers_minus1 > 0) {
    for (int i = max_sub_layers_minus1; i < 8; ++i) r.bits(2);
  }
  for (auto [profile, level] : present) {
    if (profile) r.skip(88);
    if (level) r.skip(8);
  }
  r.ue();  // sps_seq_parameter_set_id
  p.chroma_format = static_cast<int>(r.ue());
  if (p.chroma_format == 3) r.bit();  // separate_colour_plane_flag
  // 64-bit: every field is a camera's ue(v) of up to 32 bits (fuzzing found int overflows).
  std::int64_t width = r.ue();
  std::int64_t height = r.ue();
  if (r.bit() != 0) {  // conformance_window_flag
    std::int64_t sub_w = (p.chroma_format == 1 || p.chroma_format == 2) ? 2 : 1;
    std::int64_t sub_h = p.chroma_format == 1 ? 2 : 1;
    std::int64_t left = r.ue(), right = r.ue();
    std::int64_t top = r.ue(), bottom = r.ue();
    width -= sub_w * (left + right);
    height -= sub_h * (top + bottom);
  }
  std::uint32_t luma = r.ue();
  std::uint32_t chroma = r.ue();
  if (r.overrun || width <= 0 || height <= 0 || width > kMaxPictureSide || height > kMaxPictureSide || p.chroma_format > 3 ||
      luma > 8 || chroma > 8) {
    return std::nullopt;
  }
  p.bit_depth_luma = 8 + static_cast<int>(luma);
  p.bit_depth_chroma = 8 + static_cast<int>(chroma);
  p.width = static_cast<int>(width);
  p.height = static_cast<int>(height);
  return p;
}

void skip_scaling_list(BitReader& r, int size) {
  int last = 8, next = 8;
  for (int j = 0; j < size; ++j) {
    if (next != 0) next = (last + r.se() + 256) % 256;
    last = next == 0 ? last : next;
  }
}

std::optional<std::pair<int, int>> parse_h264_size(const std::string& nal) {
  if (nal.size() < 4) return std::nullopt;
  std::string rbsp = unescape_rbsp(as_bytes(nal));
  BitReader r(std::string_view(rbsp).substr(1));
  int profile = static_cast<int>(r.bits(8));
  r.bits(16);  // constraint flags, level_idc
  r.ue();      // seq_parameter_set_id
  int chroma = 1;
  bool separate_planes = false;
  switch (profile) {
    case 100: case 110: case 122: case 244: case 44: case 83: case 86: case 118: case 128: case 138: case 139:
    case 134: case 135:
      chroma = static_cast<int>(std::min<std::uint32_t>(r.ue(), 4));
      if (chroma > 3) return std::nullopt;
      if (chroma == 3) separate_planes = r.bit() != 0;
      r.ue();   // bit_depth_luma_minus8
      r.ue();   // bit_depth_chroma_minus8
      r.bit();  // qpprime_y_zero_transform_bypass_flag
      if (r.bit() != 0) {  // seq_scaling_matrix_present_flag
        for (int i = 0; i < (chroma != 3 ? 8 : 12); ++i) {
          if (r.bit() != 0) skip_scaling_list(r, i < 6 ? 16 : 64);
        }
      }
      break;
    default:
      break;
  }
  r.ue();  // log2_max_frame_num_minus4
  std::uint32_t poc_type = r.ue();
  if (poc_type == 0) {
    r.ue();
  } else if (poc_type == 1) {
    r.bit();
    r.se();
    r.se();
    std::uint32_t n = r.ue();
    if (n > 255) return std::nullopt;
    for (std::uint32_t i = 0; i < n; ++i) r.se();
  }
  r.ue();   // max_num_ref_frames
  r.bit();  // gaps_in_frame_num_value_allowed_flag
  // 64-bit: every field is a camera's ue(v) of up to 32 bits (fuzzing found int overflows).
  std::int64_t width = (std::int64_t{r.ue()} + 1) * 16;
  std::int64_t map_units = std::int64_t{r.ue()} + 1;
  std::int64_t frame_mbs_only = r.bit();
  if (!frame_mbs_only) r.bit();  // mb_adaptive_frame_field_flag
  r.bit();                        // direct_8x8_inference_flag
  std::int64_t height = (2 - frame_mbs_only) * map_units * 16;
  if (r.bit() != 0) {  // frame_cropping_flag
    int array_type = separate_planes ? 0 : chroma;
    std::int64_t crop_x = array_type == 0 ? 1 : (array_type == 3 ? 1 : 2);
    std::int64_t crop_y = (array_type == 0 ? 1 : (array_type == 1 ? 2 : 1)) * (2 - frame_mbs_only);
    std::int64_t left = r.ue(), right = r.ue();
    std::int64_t top = r.ue(), bottom = r.ue();
    width -= crop_x * (left + right);
    height -= crop_y * (top + bottom);
  }
  if (r.overrun || width <= 0 || height <= 0 || width > kMaxPictureSide || height > kMaxPictureSide) return std::nullopt;
  return std::pair{static_cast<int>(width), static_cast<int>(height)};
}

}  // namespace

std::optional<Packet> parse(std::span<const std::uint8_t> data) {
  if (data.size() < 12 || (data[0] >> 6) != 2) return std::nullopt;
  Packet p;
  bool padding = (data[0] & 0x20) != 0;
  bool extension = (data[0] & 0x10) != 0;
  std::size_t csrc = data[0] & 0x0f;
  p.marker = (data[1] & 0x80) != 0;
  p.payload_type = data[1] & 0x7f;
  p.seq = be16(&data[2]);
  p.timestamp = be32(&data[4]);
  p.ssrc = be32(&data[8]);
  std::size_t pos = 12 + 4 * csrc;
  if (pos > data.size()) return std::nullopt;
  if (extension) {
    if (pos + 4 > data.size()) return std::nullopt;
    pos += 4 + 4 * std::size_t{be16(&data[pos + 2])};
    if (pos > data.size()) return std::nullopt;
  }
  std::size_t end = data.size();
  if (padding) {
    std::size_t pad = data[end - 1];
    if (pad == 0 || pad > end - pos) return std::nullopt;
    end -= pad;
  }
  p.payload = data.subspan(pos, end - pos);
  return p;
}

std::int64_t TimestampUnwrapper::unwrap(std::uint32_t ts) {
  if (!started_) {
    started_ = true;
    last_ = ts;
    extended_ = 0;
    return 0;
  }
  extended_ += static_cast<std::int32_t>(ts - last_);
  last_ = ts;
  return extended_;
}

bool SequenceState::accept(std::uint16_t seq) {
  ++received;
  if (!started) {
    started = true;
    base_seq = seq;
    max_seq = seq;
    expected = static_cast<std::uint16_t>(seq + 1);
    return true;
  }
  auto ahead = static_cast<std::uint16_t>(seq - expected);
  bool in_order = ahead == 0;
  if (!in_order) {
    ++gaps;
    // Forward jumps are losses; a packet from the past (duplicate, reordering) counts as a
    // gap too, and the stream resynchronises on it.
    if (ahead < 0x8000) lost += ahead;
  }
  if (seq < max_seq && static_cast<std::uint16_t>(max_seq - seq) > 0x8000) cycles += 65536;
  max_seq = seq;
  expected = static_cast<std::uint16_t>(seq + 1);
  return in_order;
}

VideoDepacketizer::VideoDepacketizer(AVCodecID codec, std::size_t max_access_unit)
    : codec_(codec), header_size_(codec == AV_CODEC_ID_HEVC ? 2 : 1), max_access_unit_(max_access_unit) {}

VideoDepacketizer::~VideoDepacketizer() { av_buffer_unref(&buf_); }

bool VideoDepacketizer::reserve(std::size_t extra) {
  if (violation_) return false;
  if (size_ + extra > max_access_unit_) {
    violation_ = "an access unit grew past " + std::to_string(size_ + extra) + " bytes without ending, over the limit of " +
                 std::to_string(max_access_unit_) + " (max_frame_mib)";
    discard_au();
    av_buffer_unref(&buf_);
    return false;
  }
  std::size_t need = size_ + extra + AV_INPUT_BUFFER_PADDING_SIZE;
  if (buf_ != nullptr && static_cast<std::size_t>(buf_->size) >= need) return true;
  std::size_t capacity = buf_ == nullptr ? std::max(need, typical_size_) : std::max(need, static_cast<std::size_t>(buf_->size) * 2);
  // Doubling stops at the limit: a unit at the limit never holds twice its size.
  capacity = std::min(capacity, max_access_unit_ + AV_INPUT_BUFFER_PADDING_SIZE);
  // A reallocatable buffer grows in place (mremap for large ones) instead of copying.
  if (av_buffer_realloc(&buf_, capacity) < 0) throw std::bad_alloc();
  return true;
}

void VideoDepacketizer::append_nal(std::span<const std::uint8_t> nal) {
  if (nal.size() < header_size_) return;
  if (fragment_at_ != SIZE_MAX) {  // a fragmented NAL never ended: it is incomplete
    size_ = fragment_at_;
    fragment_at_ = SIZE_MAX;
    au_damaged_ = true;
  }
  if (!reserve(4 + nal.size())) return;
  std::uint8_t* p = buf_->data + size_;
  p[0] = static_cast<std::uint8_t>(nal.size() >> 24);
  p[1] = static_cast<std::uint8_t>(nal.size() >> 16);
  p[2] = static_cast<std::uint8_t>(nal.size() >> 8);
  p[3] = static_cast<std::uint8_t>(nal.size());
  std::memcpy(p + 4, nal.data(), nal.size());
  if (is_key_nal(nal.data())) au_key_ = true;
  size_ += 4 + nal.size();
}

void VideoDepacketizer::begin_fragment(const std::uint8_t* header, std::size_t header_size) {
  if (fragment_at_ != SIZE_MAX) {
    size_ = fragment_at_;
    au_damaged_ = true;
  }
  if (!reserve(4 + header_size)) return;
  fragment_at_ = size_;
  std::memcpy(buf_->data + size_ + 4, header, header_size);
  if (is_key_nal(header)) au_key_ = true;
  size_ += 4 + header_size;
}

void VideoDepacketizer::append_fragment(std::span<const std::uint8_t> data) {
  if (!reserve(data.size())) return;
  std::memcpy(buf_->data + size_, data.data(), data.size());
  size_ += data.size();
}

void VideoDepacketizer::end_fragment() {
  std::size_t len = size_ - fragment_at_ - 4;
  std::uint8_t* p = buf_->data + fragment_at_;
  p[0] = static_cast<std::uint8_t>(len >> 24);
  p[1] = static_cast<std::uint8_t>(len >> 16);
  p[2] = static_cast<std::uint8_t>(len >> 8);
  p[3] = static_cast<std::uint8_t>(len);
  fragment_at_ = SIZE_MAX;
}

bool VideoDepacketizer::is_key_nal(const std::uint8_t* nal) const {
  if (codec_ == AV_CODEC_ID_HEVC) {
    int type = (nal[0] >> 1) & 0x3f;
    return type >= 16 && type <= 21;  // BLA, IDR, CRA: intra random access points
  }
  return (nal[0] & 0x1f) == 5;  // IDR slice
}

void VideoDepacketizer::discard_au() {
  size_ = 0;
  fragment_at_ = SIZE_MAX;
  au_open_ = false;
  au_key_ = false;
  au_damaged_ = false;
}

void VideoDepacketizer::finish_au() {
  if (!au_open_) return;
  std::int64_t pts = clock_.unwrap(au_timestamp_) + shift_;
  if (last_pts_ >= 0) {
    std::int64_t step = pts - last_pts_;
    if (step > kMaxTimestampStepSeconds * 90000 || step < -kMaxTimestampBackStepSeconds * 90000) {
      // A jump, not elapsed time: go on one frame after the last unit.
      shift_ += last_pts_ + frame_step_ - pts;
      pts = last_pts_ + frame_step_;
      ++counters_.timestamp_jumps;
    } else if (step > 0 && step <= 90000) {
      frame_step_ = step;
    }
  }
  if (fragment_at_ != SIZE_MAX) au_damaged_ = true;  // the last NAL's end never came
  if (size_ == 0) {
    if (au_damaged_) {
      need_key_ = true;
      ++counters_.dropped;
    }
    discard_au();
    return;
  }
  if (au_damaged_ || (need_key_ && !au_key_)) {
    need_key_ = true;
    ++counters_.dropped;
    discard_au();
    return;
  }
  need_key_ = false;
  if (pts <= last_pts_) pts = last_pts_ + 1;  // a camera clock going back must not break DTS order
  last_pts_ = pts;
  std::memset(buf_->data + size_, 0, AV_INPUT_BUFFER_PADDING_SIZE);
  av::Packet packet = av::make_packet();
  packet->buf = buf_;
  packet->data = buf_->data;
  packet->size = static_cast<int>(size_);
  packet->pts = pts;
  packet->dts = pts;
  if (au_key_) packet->flags |= AV_PKT_FLAG_KEY;
  buf_ = nullptr;
  // Size the next buffer for a typical frame; keyframes grow theirs once or twice.
  typical_size_ = std::clamp<std::size_t>((typical_size_ * 7 + size_ * 2) / 8, 16 * 1024, 1024 * 1024);
  ++counters_.frames;
  out_.push_back(std::move(packet));
  discard_au();
}

void VideoDepacketizer::push(const Packet& rtp) {
  if (violation_) return;
  bool in_order = seq_.accept(rtp.seq);
  seq_.ssrc = rtp.ssrc;
  if (!in_order) {
    need_key_ = true;
    if (au_open_) au_damaged_ = true;
  }
  if (au_open_ && rtp.timestamp != au_timestamp_) finish_au();
  if (!au_open_) {
    au_open_ = true;
    au_timestamp_ = rtp.timestamp;
    au_damaged_ = !in_order;
  }
  auto p = rtp.payload;
  if (p.size() < header_size_) {
    if (rtp.marker) finish_au();
    return;
  }
  if (codec_ == AV_CODEC_ID_HEVC) {
    int type = (p[0] >> 1) & 0x3f;
    if (type < 48) {
      append_nal(p);
    } else if (type == 48) {  // aggregation packet (no DONL: sprop-max-don-diff = 0)
      std::size_t pos = 2;
      while (pos + 2 <= p.size()) {
        std::size_t len = be16(&p[pos]);
        pos += 2;
        if (len < 2 || pos + len > p.size()) {
          au_damaged_ = true;
          break;
        }
        append_nal(p.subspan(pos, len));
        pos += len;
      }
    } else if (type == 49 && p.size() >= 3) {  // fragmentation unit
      std::uint8_t fu = p[2];
      if (fu & 0x80) {
        std::uint8_t header[2] = {static_cast<std::uint8_t>((p[0] & 0x81) | ((fu & 0x3f) << 1)), p[1]};
        begin_fragment(header, 2);
      }
      if (fragment_at_ == SIZE_MAX) {
        au_damaged_ = true;  // a middle or end piece without its start
      } else {
        append_fragment(p.subspan(3));
        if (fu & 0x40) end_fragment();
      }
    } else {
      ++counters_.unsupported;
      au_damaged_ = true;
    }
  } else {
    int type = p[0] & 0x1f;
    if (type >= 1 && type <= 23) {
      append_nal(p);
    } else if (type == 24) {  // STAP-A
      std::size_t pos = 1;
      while (pos + 2 <= p.size()) {
        std::size_t len = be16(&p[pos]);
        pos += 2;
        if (len == 0 || pos + len > p.size()) {
          au_damaged_ = true;
          break;
        }
        append_nal(p.subspan(pos, len));
        pos += len;
      }
    } else if (type == 28 && p.size() >= 2) {  // FU-A
      std::uint8_t fu = p[1];
      if (fu & 0x80) {
        std::uint8_t header = static_cast<std::uint8_t>((p[0] & 0xe0) | (fu & 0x1f));
        begin_fragment(&header, 1);
      }
      if (fragment_at_ == SIZE_MAX) {
        au_damaged_ = true;
      } else {
        append_fragment(p.subspan(2));
        if (fu & 0x40) end_fragment();
      }
    } else {
      ++counters_.unsupported;
      au_damaged_ = true;
    }
  }
  if (rtp.marker) finish_au();
}

av::Packet VideoDepacketizer::pop() {
  av::Packet p = std::move(out_.front());
  out_.pop_front();
  return p;
}

std::optional<std::string> AacDepacketizer::check_parameters(int size_length, int index_length, int index_delta_length) {
  auto in = [](int v, int lo, int hi) { return v >= lo && v <= hi; };
  if (in(size_length, 1, 16) && in(index_length, 0, 16) && in(index_delta_length, 0, 16)) return std::nullopt;
  return "AAC fmtp sizelength=" + std::to_string(size_length) + ";indexlength=" + std::to_string(index_length) +
         ";indexdeltalength=" + std::to_string(index_delta_length) +
         " is outside RFC 3640's AAC modes (sizelength 1-16, indexlength and indexdeltalength 0-16)";
}

AacDepacketizer::AacDepacketizer(int size_length, int index_length, int index_delta_length, int clock_rate,
                                 std::size_t max_units_per_packet)
    : size_length_(size_length),
      index_length_(index_length),
      index_delta_length_(index_delta_length),
      clock_rate_(clock_rate),
      max_units_(max_units_per_packet),
      valid_(!check_parameters(size_length, index_length, index_delta_length) && clock_rate > 0) {}

void AacDepacketizer::push(const Packet& rtp) {
  if (!valid_) return;
  bool in_order = seq_.accept(rtp.seq);
  seq_.ssrc = rtp.ssrc;
  std::int64_t base = clock_.unwrap(rtp.timestamp) + shift_;
  if (last_base_ >= 0) {
    std::int64_t step = base - last_base_;
    if (step > kMaxTimestampStepSeconds * clock_rate_ || step < -kMaxTimestampBackStepSeconds * clock_rate_) {
      shift_ += last_base_ + 1024 - base;  // one AAC frame after the last packet
      base = last_base_ + 1024;
      ++timestamp_jumps_;
    }
  }
  last_base_ = base;
  if (!in_order) fragment_.clear();
  auto p = rtp.payload;
  if (p.size() < 2) return;
  std::size_t header_bits = be16(p.data());
  std::size_t header_bytes = (header_bits + 7) / 8;
  if (2 + header_bytes > p.size()) return;
  BitReader r(std::string_view(reinterpret_cast<const char*>(p.data() + 2), header_bytes));
  std::vector<std::size_t> sizes;
  std::size_t used = 0;
  while (used + static_cast<std::size_t>(size_length_) <= header_bits && sizes.size() < max_units_) {
    sizes.push_back(r.bits(size_length_));
    int index_bits = sizes.size() == 1 ? index_length_ : index_delta_length_;
    r.bits(index_bits);
    used += static_cast<std::size_t>(size_length_ + index_bits);
  }
  std::size_t pos = 2 + header_bytes;
  auto emit = [&](const std::uint8_t* data, std::size_t size, std::int64_t pts) {
    if (pts <= last_pts_) pts = last_pts_ + 1;
    last_pts_ = pts;
    av::Packet packet = av::make_packet();
    if (av_new_packet(packet.get(), static_cast<int>(size)) < 0) throw std::bad_alloc();
    std::memcpy(packet->data, data, size);
    packet->pts = packet->dts = pts;
    packet->duration = 1024;
    packet->flags |= AV_PKT_FLAG_KEY;
    out_.push_back(std::move(packet));
  };
  // One AU split over several packets: the header announces the whole size.
  if (sizes.size() == 1 && pos + sizes[0] > p.size()) {
    if (fragment_.empty()) {
      fragment_size_ = sizes[0];
      fragment_pts_ = base;
    }
    fragment_.append(reinterpret_cast<const char*>(p.data() + pos), p.size() - pos);
    if (fragment_.size() >= fragment_size_) {
      emit(reinterpret_cast<const std::uint8_t*>(fragment_.data()), fragment_size_, fragment_pts_);
      fragment_.clear();
    }
    return;
  }
  fragment_.clear();
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    if (pos + sizes[i] > p.size()) break;
    emit(p.data() + pos, sizes[i], base + static_cast<std::int64_t>(i) * 1024);
    pos += sizes[i];
  }
}

av::Packet AacDepacketizer::pop() {
  av::Packet p = std::move(out_.front());
  out_.pop_front();
  return p;
}

std::string unescape_rbsp(std::span<const std::uint8_t> nal) {
  std::string out;
  out.reserve(nal.size());
  int zeros = 0;
  for (std::uint8_t b : nal) {
    if (zeros >= 2 && b == 3) {
      zeros = 0;
      continue;
    }
    zeros = b == 0 ? zeros + 1 : 0;
    out += static_cast<char>(b);
  }
  return out;
}

int ParameterSets::nal_type(std::span<const std::uint8_t> nal) const {
  if (nal.empty()) return -1;
  if (codec_ == AV_CODEC_ID_HEVC) {
    int type = (nal[0] >> 1) & 0x3f;
    return type == 32 ? 0 : type == 33 ? 1 : type == 34 ? 2 : -1;
  }
  int type = nal[0] & 0x1f;
  return type == 7 ? 1 : type == 8 ? 2 : -1;
}

void ParameterSets::add(std::span<const std::uint8_t> nal) {
  int kind = nal_type(nal);
  if (kind < 0) return;
  auto& list = kind == 0 ? vps_ : kind == 1 ? sps_ : pps_;
  std::string bytes(reinterpret_cast<const char*>(nal.data()), nal.size());
  if (std::find(list.begin(), list.end(), bytes) == list.end()) list.push_back(std::move(bytes));
}

void ParameterSets::add_from_fmtp(const std::map<std::string, std::string>& fmtp) {
  auto add_list = [&](const std::string& key) {
    auto it = fmtp.find(key);
    if (it == fmtp.end()) return;
    std::string_view list = it->second;
    for (std::size_t i = 0; i <= list.size();) {
      std::size_t comma = list.find(',', i);
      if (comma == std::string_view::npos) comma = list.size();
      if (auto nal = rtsp::base64_decode(list.substr(i, comma - i)); nal && !nal->empty()) add(as_bytes(*nal));
      i = comma + 1;
    }
  };
  if (codec_ == AV_CODEC_ID_HEVC) {
    add_list("sprop-vps");
    add_list("sprop-sps");
    add_list("sprop-pps");
  } else {
    add_list("sprop-parameter-sets");
  }
}

void ParameterSets::take_from_au(std::span<const std::uint8_t> au) {
  ParameterSets fresh(codec_);
  for_each_nal(au, [&](std::span<const std::uint8_t> nal) { fresh.add(nal); });
  // The stream's own sets win over the SDP's (which some cameras never update).
  if (!fresh.vps_.empty()) vps_ = std::move(fresh.vps_);
  if (!fresh.sps_.empty()) sps_ = std::move(fresh.sps_);
  if (!fresh.pps_.empty()) pps_ = std::move(fresh.pps_);
}

bool ParameterSets::complete() const {
  return !sps_.empty() && !pps_.empty() && (codec_ != AV_CODEC_ID_HEVC || !vps_.empty());
}

bool ParameterSets::differs(std::span<const std::uint8_t> au) const {
  bool differ = false;
  for_each_nal(au, [&](std::span<const std::uint8_t> nal) {
    int kind = nal_type(nal);
    if (kind < 0) return;
    const auto& list = kind == 0 ? vps_ : kind == 1 ? sps_ : pps_;
    std::string_view bytes(reinterpret_cast<const char*>(nal.data()), nal.size());
    if (std::find(list.begin(), list.end(), bytes) == list.end()) differ = true;
  });
  return differ;
}

Result<std::string> ParameterSets::configuration_record() const {
  if (!complete()) return fail(ErrorKind::InvalidArgument, "the camera sent no SPS/PPS (in the SDP or before its first keyframe)");
  std::string out;
  if (codec_ != AV_CODEC_ID_HEVC) {
    const std::string& sps = sps_.front();
    if (sps.size() < 4) return fail(ErrorKind::InvalidArgument, "the camera's H.264 SPS is truncated");
    out += '\x01';
    out += sps[1];  // profile_idc
    out += sps[2];  // constraint flags
    out += sps[3];  // level_idc
    out += '\xff';  // lengthSizeMinusOne = 3
    out += static_cast<char>(0xe0 | std::min<std::size_t>(sps_.size(), 31));
    for (std::size_t i = 0; i < std::min<std::size_t>(sps_.size(), 31); ++i) {
      put16(out, sps_[i].size());
      out += sps_[i];
    }
    out += static_cast<char>(std::min<std::size_t>(pps_.size(), 255));
    for (std::size_t i = 0; i < std::min<std::size_t>(pps_.size(), 255); ++i) {
      put16(out, pps_[i].size());
      out += pps_[i];
    }
    return out;
  }
  auto p = parse_h265_sps(sps_.front());
  if (!p) return fail(ErrorKind::InvalidArgument, "the camera's H.265 SPS could not be read");
  out += '\x01';
  out += static_cast<char>(p->space_tier_idc);
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((p->compatibility >> shift) & 0xff);
  for (int shift = 40; shift >= 0; shift -= 8) out += static_cast<char>((p->constraints >> shift) & 0xff);
  out += static_cast<char>(p->level);
  put16(out, 0xf000);  // min_spatial_segmentation_idc = 0
  out += '\xfc';       // parallelismType = 0 (unknown)
  out += static_cast<char>(0xfc | p->chroma_format);
  out += static_cast<char>(0xf8 | (p->bit_depth_luma - 8));
  out += static_cast<char>(0xf8 | (p->bit_depth_chroma - 8));
  put16(out, 0);  // avgFrameRate unknown
  out += static_cast<char>((std::min(p->sub_layers, 7) << 3) | (p->temporal_id_nested ? 4 : 0) | 3);
  out += '\x03';  // arrays: VPS, SPS, PPS
  auto array = [&](int type, const std::vector<std::string>& list) {
    out += static_cast<char>(0x80 | type);  // array_completeness: all sets are here
    put16(out, list.size());
    for (const auto& nal : list) {
      put16(out, nal.size());
      out += nal;
    }
  };
  array(32, vps_);
  array(33, sps_);
  array(34, pps_);
  return out;
}

std::optional<std::pair<int, int>> ParameterSets::picture_size() const {
  if (sps_.empty()) return std::nullopt;
  if (codec_ == AV_CODEC_ID_HEVC) {
    auto p = parse_h265_sps(sps_.front());
    if (!p) return std::nullopt;
    return std::pair{p->width, p->height};
  }
  return parse_h264_size(sps_.front());
}

}  // namespace carekeep::ingest::rtp
