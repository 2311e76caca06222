#include "export/remux.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <vector>

#include "av/av.hpp"
#include "av/fd_output.hpp"
#include "base/fs.hpp"
#include "export/output_hasher.hpp"
#include "export/source_reader.hpp"
#include "segment/box_scanner.hpp"
#include "segment/hash.hpp"

namespace carekeep::exports {
namespace {

constexpr AVRational kMicros{1, 1'000'000};
constexpr std::uint64_t kWritebackStretch = 32ull << 20;

// tx3g sample description (3GPP TS 26.245 §5.16): no display flags, centred at the bottom,
// transparent background, default box, one style record (font 1, 18 px, white) and a font
// table naming "Serif". It is what FFmpeg's own mov_text encoder writes by default; written
// here so that no encoder is opened for a track whose samples are plain text.
const std::uint8_t kTx3gHeader[] = {
    0, 0, 0, 0,              // display flags
    0x01, 0xff,              // horizontal centre, vertical bottom
    0, 0, 0, 0,              // background RGBA
    0, 0, 0, 0, 0, 0, 0, 0,  // box: top, left, bottom, right
    0, 0, 0, 0, 0, 1, 0, 0x12, 0xff, 0xff, 0xff, 0xff,  // style record
    0, 0, 0, 0x12, 'f', 't', 'a', 'b', 0, 1, 0, 1, 5, 'S', 'e', 'r', 'i', 'f'};

Error io_error(int code, const std::string& what) {
  Error e = av::from_averror(code, what);
  if (code == AVERROR(ENOSPC) || code == AVERROR(EDQUOT)) e.kind = ErrorKind::ResourceExhausted;
  return e;
}

std::int64_t packet_time(const AVPacket& p) { return p.pts != AV_NOPTS_VALUE ? p.pts : p.dts; }

// A dry run's muxer output: keeps what is written below `cap` (where the head is) and the
// size; the media itself goes nowhere.
// The dry run foretells files of up to this many packets (about 15 h of 25 fps video with
// 48 kHz AAC, 46 h without audio; 160 MiB of log); longer ones are written with faststart.
constexpr std::size_t kMaxLoggedPackets = std::size_t{4} << 20;

// Room in a captured head beyond the moov's: ftyp, free and mdat headers.
constexpr std::uint64_t kHeadRoom = 4096;

class CaptureOutput {
 public:
  static Result<std::unique_ptr<CaptureOutput>> attach(AVFormatContext* ctx, std::uint64_t cap) {
    std::unique_ptr<CaptureOutput> out{new CaptureOutput};
    out->cap_ = cap;
    constexpr int kBufferSize = 64 * 1024;
    auto* buffer = static_cast<unsigned char*>(av_malloc(kBufferSize));
    if (buffer == nullptr) return fail(ErrorKind::ResourceExhausted, "allocating an output buffer");
    out->pb_ = avio_alloc_context(buffer, kBufferSize, 1, out.get(), nullptr, &CaptureOutput::write, &CaptureOutput::seek);
    if (out->pb_ == nullptr) {
      av_free(buffer);
      return fail(ErrorKind::ResourceExhausted, "allocating an output context");
    }
    out->pb_->direct = 1;  // packets are not copied through the buffer on their way to nowhere
    out->ctx_ = ctx;
    ctx->pb = out->pb_;
    ctx->flags |= AVFMT_FLAG_CUSTOM_IO;
    return out;
  }
  ~CaptureOutput() {
    if (ctx_ != nullptr && ctx_->pb == pb_) ctx_->pb = nullptr;
    if (pb_ != nullptr) {
      av_freep(&pb_->buffer);
      avio_context_free(&pb_);
    }
  }
  CaptureOutput(const CaptureOutput&) = delete;
  CaptureOutput& operator=(const CaptureOutput&) = delete;

  void flush() { avio_flush(pb_); }
  const std::vector<std::uint8_t>& head() const { return head_; }
  std::uint64_t size() const { return size_; }

 private:
  CaptureOutput() = default;
  static int write(void* opaque, std::uint8_t* buf, int size) {
    auto* self = static_cast<CaptureOutput*>(opaque);
    const auto at = static_cast<std::uint64_t>(self->pos_);
    const std::uint64_t end = at + static_cast<std::uint64_t>(size);
    if (at < self->cap_) {
      const std::uint64_t keep = std::min(end, self->cap_);
      if (self->head_.size() < keep) self->head_.resize(keep);
      std::memcpy(self->head_.data() + at, buf, keep - at);
    }
    self->pos_ = static_cast<std::int64_t>(end);
    self->size_ = std::max(self->size_, end);
    return size;
  }
  static std::int64_t seek(void* opaque, std::int64_t offset, int whence) {
    auto* self = static_cast<CaptureOutput*>(opaque);
    if ((whence & AVSEEK_SIZE) != 0) return static_cast<std::int64_t>(self->size_);
    switch (whence & ~AVSEEK_FORCE) {
      case SEEK_SET: self->pos_ = offset; break;
      case SEEK_CUR: self->pos_ += offset; break;
      case SEEK_END: self->pos_ = static_cast<std::int64_t>(self->size_) + offset; break;
      default: return AVERROR(EINVAL);
    }
    return self->pos_;
  }

  AVFormatContext* ctx_ = nullptr;
  AVIOContext* pb_ = nullptr;
  std::uint64_t cap_ = 0;
  std::vector<std::uint8_t> head_;
  std::uint64_t size_ = 0;
  std::int64_t pos_ = 0;
};

// Where the mdat box of a head begins and where its payload (the media) begins and ends,
// walking the top-level boxes; nullopt if the head holds no whole mdat header.
struct MdatPlace {
  std::uint64_t start = 0;
  std::uint64_t payload = 0;
  std::uint64_t end = 0;
};
std::optional<MdatPlace> find_mdat(const std::vector<std::uint8_t>& head) {
  std::uint64_t at = 0;
  while (at < head.size()) {
    auto box = segment::read_box_header(std::span<const std::uint8_t>(head).subspan(at));
    if (!box) return std::nullopt;
    if (box->type == std::array<char, 4>{'m', 'd', 'a', 't'})
      return MdatPlace{at, at + box->header_size, at + box->size};
    if (box->size < box->header_size) return std::nullopt;
    at += box->size;
  }
  return std::nullopt;
}

// What a dry run of the remux foretells of an output file: its head (ftyp, the moov in the
// space reserved for it, the mdat header: every byte before the media) and its size.
struct HeadPrediction {
  std::vector<std::uint8_t> head;
  std::int64_t moov_reserve = 0;  // the mov muxer's moov_size
  std::uint64_t size = 0;
};

// A stream the output copies: its parameters, as the segment that starts the file has them.
struct CopiedStream {
  av::CodecParameters par;
  AVRational time_base{0, 1};
};

// A packet as the dry run handed it to the muxer (after its timestamps were set): enough to
// hand the same packet, with zeros for media, to a second muxer.
struct LoggedPacket {
  std::int64_t pts = 0;
  std::int64_t dts = 0;
  std::int64_t duration = 0;
  int size = 0;
  std::int16_t stream = 0;
  std::int16_t flags = 0;
  int text = -1;  // subtitle samples (their bytes matter): index into the log's texts
};

static_assert(sizeof(LoggedPacket) == 40);

class Writer {
 public:
  // Creates `name` in `dest` and writes through its descriptor: the file may be made by the
  // user's own carekeep (control/broker.hpp), which this process could not open by name.
  // With a prediction of the file's head, the moov goes into space reserved for it and the
  // file is hashed while it is written; without, the muxer moves the moov to the front at
  // the end (faststart) and the finished file is hashed.
  Status open(fs::Destination& dest, const std::string& name, const AVFormatContext* first, bool timestamps,
              const HeadPrediction* prediction) {
    if (auto st = build(name, first, timestamps); !st) return st;
    auto fd = dest.create(name);
    if (!fd) return tl::unexpected(fd.error());
    fd_ = std::move(*fd);
    auto io = av::FdOutput::attach(ctx_.get(), fd_.get());
    if (!io) return tl::unexpected(io.error());
    io_ = std::move(*io);
    av::Dictionary opts;
    if (prediction != nullptr) {
      prediction_ = *prediction;
      auto hasher = OutputHasher::start(fd_.get(), prediction_->head);
      if (!hasher) return tl::unexpected(hasher.error());
      hasher_ = std::move(*hasher);
      io_->observe([h = hasher_.get()](std::int64_t pos, std::size_t size) { h->wrote(pos, size); });
      opts.set("moov_size", std::to_string(prediction_->moov_reserve));
    } else {
      // faststart: moov before the media, so a player (or a browser) starts without reading
      // the whole file; costs one extra pass over the output at the end.
      opts.set("movflags", "+faststart");
    }
    if (int rc = avformat_write_header(ctx_.get(), opts.out()); rc < 0)
      return tl::unexpected(io_error(rc, "writing the header of " + name));
    return ok();
  }

  // The dry run: the same muxing into nowhere, each packet logged, to foretell the head.
  Status open_dry(const std::string& name, const AVFormatContext* first, bool timestamps,
                  std::int64_t moov_slack_per_video_packet) {
    if (auto st = build(name, first, timestamps); !st) return st;
    dry_ = true;
    moov_slack_per_video_packet_ = moov_slack_per_video_packet;
    // Muxed with the moov last, its head is ftyp and the mdat header (and a free box).
    auto out = CaptureOutput::attach(ctx_.get(), kHeadRoom);
    if (!out) return tl::unexpected(out.error());
    capture_ = std::move(*out);
    if (int rc = avformat_write_header(ctx_.get(), nullptr); rc < 0)
      return tl::unexpected(io_error(rc, "writing the header of " + name));
    return ok();
  }

  bool has_audio() const { return audio_ != nullptr; }
  bool has_text() const { return text_ != nullptr; }

  // `out_us`: the packet's time on the export's timeline (0 = first keyframe).
  Status write(AVPacket& pkt, AVRational in_tb, bool video, std::int64_t out_pts_us, std::int64_t out_dts_us) {
    AVStream* st = video ? video_ : audio_;
    std::int64_t& last = video ? last_video_dts_ : last_audio_dts_;
    std::int64_t duration = pkt.duration > 0 ? av_rescale_q(pkt.duration, in_tb, st->time_base) : 0;
    std::int64_t dts = av_rescale_q(out_dts_us, kMicros, st->time_base);
    std::int64_t pts = av_rescale_q(out_pts_us, kMicros, st->time_base);
    // Timestamps of stitched segments come from two clocks (media time within a segment,
    // wall clock across a break); MP4 needs strictly increasing dts, so never step back.
    if (last != AV_NOPTS_VALUE && dts <= last) dts = last + 1;
    pts = std::max(pts, dts);
    last = dts;
    pkt.stream_index = st->index;
    pkt.pts = pts;
    pkt.dts = dts;
    pkt.duration = duration;
    pkt.pos = -1;
    if (dry_) log(pkt, false);
    if (int rc = av_interleaved_write_frame(ctx_.get(), &pkt); rc < 0)
      return tl::unexpected(io_error(rc, "writing " + name_));
    return ok();
  }

  Status write_text(std::int64_t at_us, std::int64_t duration_us, const std::string& text) {
    std::vector<std::uint8_t> sample(2 + text.size());
    sample[0] = static_cast<std::uint8_t>(text.size() >> 8);
    sample[1] = static_cast<std::uint8_t>(text.size() & 0xff);
    std::memcpy(sample.data() + 2, text.data(), text.size());
    auto pkt = av::make_packet();
    if (!pkt || av_new_packet(pkt.get(), static_cast<int>(sample.size())) < 0)
      return fail(ErrorKind::ResourceExhausted, "allocating a subtitle packet");
    std::memcpy(pkt->data, sample.data(), sample.size());
    pkt->stream_index = text_->index;
    pkt->pts = pkt->dts = av_rescale_q(at_us, kMicros, text_->time_base);
    pkt->duration = av_rescale_q(duration_us, kMicros, text_->time_base);
    pkt->flags |= AV_PKT_FLAG_KEY;
    if (dry_) log(*pkt, true);
    if (int rc = av_interleaved_write_frame(ctx_.get(), pkt.get()); rc < 0)
      return tl::unexpected(io_error(rc, "writing " + name_));
    return ok();
  }

  // Ends the file, makes it durable and returns its SHA-256 and size, and whether the hash
  // was made while the file was written (the head came out as foretold).
  struct Finished {
    segment::Sha256 sha256{};
    std::uint64_t size = 0;
    bool hashed_as_written = false;
  };
  // A file whose moov did not fit the space reserved for it (the footage was not muxed as the
  // dry run foretold) is not finished: `overflowed` says so, and the file must be made again.
  Result<Finished> finish(bool& overflowed) {
    if (int rc = av_write_trailer(ctx_.get()); rc < 0) {
      overflowed = prediction_.has_value() && rc == AVERROR(EINVAL);
      return tl::unexpected(io_error(rc, "finishing " + name_));
    }
    if (int rc = io_->flush(); rc < 0) return tl::unexpected(io_error(rc, "writing " + name_));
    io_.reset();
    ctx_.reset();
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return tl::unexpected(fs::from_errno(errno, "reading the size of " + name_));
    const auto size = static_cast<std::uint64_t>(st.st_size);
    Finished done;
    done.size = size;
    if (hasher_) {
      auto digest = hasher_->finish(size);
      hasher_.reset();
      if (digest && size == prediction_->size && head_on_disk_is(prediction_->head)) {
        done.sha256 = *digest;
        done.hashed_as_written = true;
      }
    }
    if (!done.hashed_as_written) {
      auto digest = hash_from_disk(size);
      if (!digest) return tl::unexpected(digest.error());
      done.sha256 = *digest;
    }
    if (::fsync(fd_.get()) != 0) return tl::unexpected(fs::from_errno(errno, "fsync of " + name_));
    fd_.reset();
    return done;
  }

  // The dry run's end: the head the real file will have with its moov in reserved space, or
  // nullopt if it cannot be foretold (the real file is then written with faststart).
  std::optional<HeadPrediction> predict() {
    if (av_write_trailer(ctx_.get()) < 0) return std::nullopt;
    capture_->flush();
    // Muxed with its moov last: the moov is what follows the mdat.
    auto mdat = find_mdat(capture_->head());
    if (!mdat || mdat->end > capture_->size()) return std::nullopt;
    const std::uint64_t moov = capture_->size() - mdat->end;
    // The moov, a free box of 8 bytes and some slack fill the reserved space: room for a
    // moov that comes out larger in the real run (its parser judging more keyframes than the
    // files' sync flags: 4 bytes of stss each) without making the file again; and in case it
    // comes out larger in the replay (64-bit chunk offsets past 4 GiB), once more with more.
    const std::uint64_t slack = static_cast<std::uint64_t>(moov_slack_per_video_packet_ * logged_video_);
    for (std::uint64_t reserve : {moov + 8 + slack, 2 * moov + 65536 + slack}) {
      if (auto p = replay(static_cast<std::int64_t>(reserve))) return p;
    }
    return std::nullopt;
  }

 private:
  Status build(const std::string& name, const AVFormatContext* first, bool timestamps) {
    name_ = name;
    int in_video = av::find_stream(first, AVMEDIA_TYPE_VIDEO);
    int in_audio = av::find_stream(first, AVMEDIA_TYPE_AUDIO);
    if (in_video < 0) return fail(ErrorKind::DataLoss, "segment has no video stream");
    video_source_ = copied(first->streams[in_video]);
    if (in_audio >= 0) audio_source_ = copied(first->streams[in_audio]);
    timestamps_ = timestamps;
    auto ctx = make_muxer(video_, audio_, text_);
    if (!ctx) return tl::unexpected(ctx.error());
    ctx_ = std::move(*ctx);
    return ok();
  }

  static CopiedStream copied(const AVStream* in) { return {av::copy_parameters(in->codecpar), in->time_base}; }

  // An mp4 muxer with the output's streams, made from the copied ones.
  Result<av::OutputFormat> make_muxer(AVStream*& video, AVStream*& audio, AVStream*& text) const {
    AVFormatContext* raw = nullptr;
    if (int rc = avformat_alloc_output_context2(&raw, nullptr, "mp4", name_.c_str()); rc < 0 || raw == nullptr)
      return tl::unexpected(av::from_averror(rc, "creating " + name_));
    av::OutputFormat ctx(raw);
    video = add_copy(ctx.get(), video_source_);
    audio = audio_source_.par ? add_copy(ctx.get(), audio_source_) : nullptr;
    if (video == nullptr || (audio_source_.par && audio == nullptr))
      return fail(ErrorKind::ResourceExhausted, "allocating output streams");
    text = nullptr;
    if (timestamps_) {
      text = avformat_new_stream(ctx.get(), nullptr);
      if (text == nullptr) return fail(ErrorKind::ResourceExhausted, "allocating the subtitle stream");
      text->codecpar->codec_type = AVMEDIA_TYPE_SUBTITLE;
      text->codecpar->codec_id = AV_CODEC_ID_MOV_TEXT;
      text->time_base = AVRational{1, 1000};
      auto* extra = static_cast<std::uint8_t*>(av_mallocz(sizeof kTx3gHeader + AV_INPUT_BUFFER_PADDING_SIZE));
      if (extra == nullptr) return fail(ErrorKind::ResourceExhausted, "allocating the subtitle header");
      std::memcpy(extra, kTx3gHeader, sizeof kTx3gHeader);
      text->codecpar->extradata = extra;
      text->codecpar->extradata_size = sizeof kTx3gHeader;
      av_dict_set(&text->metadata, "language", "und", 0);
      av_dict_set(&text->metadata, "handler_name", "carekeep wall clock", 0);
    }
    return ctx;
  }

  static AVStream* add_copy(AVFormatContext* ctx, const CopiedStream& in) {
    AVStream* out = avformat_new_stream(ctx, nullptr);
    if (out == nullptr || avcodec_parameters_copy(out->codecpar, in.par.get()) < 0) return nullptr;
    // H.264: let the mp4 muxer pick avc1. H.265: hvc1 (parameter sets in the sample entry,
    // as the segments store them), which Apple players and browsers need; FFmpeg 5's
    // default would be hev1.
    out->codecpar->codec_tag = in.par->codec_id == AV_CODEC_ID_HEVC ? MKTAG('h', 'v', 'c', '1') : 0;
    out->time_base = in.time_base;
    return out;
  }

  void log(const AVPacket& pkt, bool text) {
    if (!replayable_) return;
    // Side data (rare in footage) could change what the muxer writes: not foretold. Nor is a
    // file longer than the log's bound (memory: 40 bytes a packet).
    if (pkt.side_data_elems > 0 || pkt.flags > INT16_MAX || pkt.stream_index > INT16_MAX ||
        log_.size() >= kMaxLoggedPackets) {
      replayable_ = false;
      log_ = {};
      texts_ = {};
      return;
    }
    LoggedPacket l{pkt.pts, pkt.dts, pkt.duration, pkt.size, static_cast<std::int16_t>(pkt.stream_index),
                   static_cast<std::int16_t>(pkt.flags), -1};
    if (text) {
      l.text = static_cast<int>(texts_.size());
      texts_.emplace_back(pkt.data, pkt.data + pkt.size);
    }
    if (pkt.stream_index == video_->index) ++logged_video_;
    max_packet_ = std::max(max_packet_, pkt.size);
    log_.push_back(l);
  }

  // The logged packets once more, with zeros for media, into a muxer that reserves
  // `reserve` bytes for the moov: the head it writes is the real file's.
  std::optional<HeadPrediction> replay(std::int64_t reserve) const {
    if (!replayable_) return std::nullopt;
    AVStream* video = nullptr;
    AVStream* audio = nullptr;
    AVStream* text = nullptr;
    auto ctx = make_muxer(video, audio, text);
    if (!ctx) return std::nullopt;
    auto out = CaptureOutput::attach(ctx->get(), static_cast<std::uint64_t>(reserve) + kHeadRoom);
    if (!out) return std::nullopt;
    av::Dictionary opts;
    opts.set("moov_size", std::to_string(reserve));
    if (avformat_write_header(ctx->get(), opts.out()) < 0) return std::nullopt;
    // The logged timestamps are in the dry muxer's time bases (set by its header).
    for (unsigned s = 0; s < (*ctx)->nb_streams; ++s)
      if (av_cmp_q((*ctx)->streams[s]->time_base, ctx_->streams[s]->time_base) != 0) return std::nullopt;
    AVBufferRef* zeros = av_buffer_allocz(static_cast<std::size_t>(max_packet_) + AV_INPUT_BUFFER_PADDING_SIZE);
    if (zeros == nullptr) return std::nullopt;
    auto pkt = av::make_packet();
    bool failed = false;
    for (const auto& l : log_) {
      if (l.text >= 0) {
        const auto& sample = texts_[static_cast<std::size_t>(l.text)];
        if (av_new_packet(pkt.get(), static_cast<int>(sample.size())) < 0) {
          failed = true;
          break;
        }
        std::memcpy(pkt->data, sample.data(), sample.size());
      } else {
        pkt->buf = av_buffer_ref(zeros);
        if (pkt->buf == nullptr) {
          failed = true;
          break;
        }
        pkt->data = pkt->buf->data;
        pkt->size = l.size;
      }
      pkt->stream_index = l.stream;
      pkt->pts = l.pts;
      pkt->dts = l.dts;
      pkt->duration = l.duration;
      pkt->flags = l.flags;
      if (av_interleaved_write_frame(ctx->get(), pkt.get()) < 0) {
        failed = true;
        break;
      }
    }
    av_packet_unref(pkt.get());
    av_buffer_unref(&zeros);
    if (failed || av_write_trailer(ctx->get()) < 0) return std::nullopt;
    (*out)->flush();
    auto mdat = find_mdat((*out)->head());
    if (!mdat || mdat->payload > (*out)->head().size()) return std::nullopt;
    HeadPrediction p;
    p.head.assign((*out)->head().begin(), (*out)->head().begin() + static_cast<std::ptrdiff_t>(mdat->payload));
    p.moov_reserve = reserve;
    p.size = (*out)->size();
    return p;
  }

  bool head_on_disk_is(const std::vector<std::uint8_t>& head) const {
    std::vector<std::uint8_t> disk(head.size());
    auto got = fs::read_at(fd_.get(), disk.data(), disk.size(), 0, "reading back " + name_);
    return got && *got == disk.size() && disk == head;
  }

  // Hashes the finished file while the disk writes it back: each stretch's write-back is
  // started one stretch ahead of the hash, so fsync then waits only for what is left (for 1 h
  // of 1080p it waited 1.3 s after the hash, tools/bench/export_bench). Starting it all at
  // once blocks as long as the write itself. Best effort: a filesystem without
  // sync_file_range is made durable by fsync alone.
  Result<segment::Sha256> hash_from_disk(std::uint64_t size) const {
    segment::Sha256Stream hash;
    (void)::sync_file_range(fd_.get(), 0, static_cast<off_t>(kWritebackStretch), SYNC_FILE_RANGE_WRITE);
    for (std::uint64_t at = 0; at < size; at += kWritebackStretch) {
      if (at + kWritebackStretch < size)
        (void)::sync_file_range(fd_.get(), static_cast<off_t>(at + kWritebackStretch),
                                static_cast<off_t>(kWritebackStretch), SYNC_FILE_RANGE_WRITE);
      auto fed = segment::hash_fd_from(hash, fd_.get(), at, name_, kWritebackStretch);
      if (!fed) return tl::unexpected(fed.error());
    }
    return hash.finish();
  }

  std::string name_;
  bool timestamps_ = false;
  bool dry_ = false;
  CopiedStream video_source_;
  CopiedStream audio_source_;  // par null: no audio
  fs::UniqueFd fd_;
  av::OutputFormat ctx_;
  std::optional<HeadPrediction> prediction_;
  std::unique_ptr<OutputHasher> hasher_;  // before io_: io_ (which calls it) is destroyed first
  std::unique_ptr<av::FdOutput> io_;      // after ctx_: destroyed first, while ctx_ still lives
  std::unique_ptr<CaptureOutput> capture_;
  std::vector<LoggedPacket> log_;
  std::vector<std::vector<std::uint8_t>> texts_;
  std::int64_t logged_video_ = 0;
  std::int64_t moov_slack_per_video_packet_ = 0;
  bool replayable_ = true;
  int max_packet_ = 0;
  AVStream* video_ = nullptr;
  AVStream* audio_ = nullptr;
  AVStream* text_ = nullptr;
  std::int64_t last_video_dts_ = AV_NOPTS_VALUE;
  std::int64_t last_audio_dts_ = AV_NOPTS_VALUE;
};

// Wall time of the last video keyframe at or before `from` in the segment (its first
// keyframe if all are later), in microseconds relative to the segment's first video pts.
Result<std::int64_t> find_start_keyframe(const SourceSegment& seg, UtcTime from) {
  auto reader = SourceReader::open(seg.file, SourceReader::Mode::Continue);  // timestamps and flags only
  if (!reader) return tl::unexpected(reader.error());
  AVFormatContext* input = (*reader)->format();
  int v = av::find_stream(input, AVMEDIA_TYPE_VIDEO);
  if (v < 0) return fail(ErrorKind::DataLoss, seg.file.string() + " has no video stream");
  AVRational tb = input->streams[v]->time_base;
  auto pkt = av::make_packet();
  std::optional<std::int64_t> base;
  std::optional<std::int64_t> chosen;
  std::optional<std::int64_t> first_key;
  std::int64_t want = to_us(from) - to_us(seg.row.start);
  while (av_read_frame(input, pkt.get()) >= 0) {
    if (pkt->stream_index == v && packet_time(*pkt) != AV_NOPTS_VALUE) {
      std::int64_t t = av_rescale_q(packet_time(*pkt), tb, kMicros);
      if (!base) base = t;
      std::int64_t rel = t - *base;
      if (pkt->flags & AV_PKT_FLAG_KEY) {
        if (!first_key) first_key = rel;
        if (rel <= want) chosen = rel;
        else {
          av_packet_unref(pkt.get());
          break;
        }
      }
    }
    av_packet_unref(pkt.get());
  }
  if (chosen) return *chosen;
  if (first_key) return *first_key;
  return fail(ErrorKind::DataLoss, seg.file.string() + " has no keyframe");
}

std::string wall_text(UtcTime t, const TimeZone& zone) {
  // "2026-11-20 08:15:03 +08:00": the site's local time with its offset, like the reports.
  std::string iso = format_local_iso(t, zone);
  if (iso.size() > 10 && iso[10] == 'T') iso[10] = ' ';
  if (iso.size() > 19) iso.insert(19, " ");
  return iso;
}

// What an MP4 sample description fixes for the whole file: footage that differs in any of
// it cannot continue the same track without a player misdecoding it.
struct Layout {
  AVCodecID video = AV_CODEC_ID_NONE;
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> video_extradata;  // avcC/hvcC: SPS, PPS (and VPS)
  AVCodecID audio = AV_CODEC_ID_NONE;         // NONE: no audio track
  int sample_rate = 0;
  int channels = 0;
  std::vector<std::uint8_t> audio_extradata;  // AudioSpecificConfig
  bool operator==(const Layout&) const = default;
};

std::vector<std::uint8_t> extradata_of(const AVCodecParameters* par) {
  if (par->extradata == nullptr || par->extradata_size <= 0) return {};
  return {par->extradata, par->extradata + par->extradata_size};
}

Layout layout_of(const AVFormatContext* input, int v, int a) {
  Layout l;
  const AVCodecParameters* video = input->streams[v]->codecpar;
  l.video = video->codec_id;
  l.width = video->width;
  l.height = video->height;
  l.video_extradata = extradata_of(video);
  if (a >= 0) {
    const AVCodecParameters* audio = input->streams[a]->codecpar;
    l.audio = audio->codec_id;
    l.sample_rate = audio->sample_rate;
    l.channels = audio->ch_layout.nb_channels;
    l.audio_extradata = extradata_of(audio);
  }
  return l;
}

// What the probe of a file's first segment completed in its streams' parameters (pixel or
// sample format, frame size, profile; the video frame rate libavformat estimated).
struct ProbedStreams {
  av::CodecParameters video;
  av::CodecParameters audio;  // null without audio
  AVRational video_rate{0, 1};

  static ProbedStreams of(const AVFormatContext* input, int v, int a) {
    ProbedStreams p;
    p.video = av::copy_parameters(input->streams[v]->codecpar);
    if (a >= 0) p.audio = av::copy_parameters(input->streams[a]->codecpar);
    p.video_rate = input->streams[v]->r_frame_rate;
    return p;
  }
  // Before the first av_read_frame, which hands the parameters to the demuxer's parsing.
  void apply(AVFormatContext* input, int v, int a) const {
    if (video && avcodec_parameters_copy(input->streams[v]->codecpar, video.get()) < 0) throw std::bad_alloc();
    input->streams[v]->r_frame_rate = video_rate;
    if (a >= 0 && audio && avcodec_parameters_copy(input->streams[a]->codecpar, audio.get()) < 0)
      throw std::bad_alloc();
  }
};

// The output file being written and its timeline (0 = its first keyframe).
struct Part {
  Layout layout;
  ProbedStreams probed;  // of the segment the file starts with
  Writer writer;
  RemuxFile file;
  bool opened = false;
  UtcTime origin{};               // wall time of the file's time 0
  std::int64_t next_text_us = 0;  // next whole second of the subtitle track
  std::optional<std::int64_t> previous_offset;
  const index::SegmentRow* previous = nullptr;
};

// The files a remux makes, through `inner`; a file asked for again (the run is made again) is
// the same file, emptied.
class RemakingDestination final : public fs::Destination {
 public:
  explicit RemakingDestination(fs::Destination& inner) : inner_(inner) {}
  Status open(const std::filesystem::path& out, fs::Layout layout) override { return inner_.open(out, layout); }
  Result<fs::UniqueFd> create(std::string_view name) override {
    for (const auto& [made, fd] : made_) {
      if (made != name) continue;
      fs::UniqueFd again(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
      if (!again || ::ftruncate(again.get(), 0) != 0)
        return tl::unexpected(fs::from_errno(errno, "emptying " + std::string(name) + " to write it again"));
      return again;
    }
    auto fd = inner_.create(name);
    if (!fd) return fd;
    fs::UniqueFd kept(::fcntl(fd->get(), F_DUPFD_CLOEXEC, 0));
    if (!kept) return tl::unexpected(fs::from_errno(errno, "keeping " + std::string(name)));
    made_.emplace_back(std::string(name), std::move(kept));
    return fd;
  }
  Status commit() override { return inner_.commit(); }
  void abort() noexcept override { inner_.abort(); }
  const std::vector<fs::Leftover>& leftovers() const override { return inner_.leftovers(); }

 private:
  fs::Destination& inner_;
  std::vector<std::pair<std::string, fs::UniqueFd>> made_;
};

// One run of the remux over the segments. The dry run (no destination) demuxes the
// segments skimming their media (export/source_reader) and muxes into nowhere, to foretell
// each output file's head; the real run writes the files, hashing the sources on the way
// (and each file as it is written, where its head was foretold).
struct Pass {
  const std::vector<SourceSegment>& segments;
  fs::Destination* dest = nullptr;  // null: the dry run
  std::string_view stem;
  const RemuxOptions& options;
  const std::function<void(std::uint64_t)>* progress = nullptr;
  const std::atomic<bool>* cancel = nullptr;
  std::int64_t start_rel = 0;
  SourceHasher* hasher = nullptr;                               // the real run
  const std::vector<std::optional<HeadPrediction>>* heads = nullptr;  // the real run: per file
  std::vector<std::optional<HeadPrediction>>* foretold = nullptr;     // the dry run: per file
  bool* overflowed = nullptr;  // the real run: a file's moov did not fit its foretold space
  bool dry() const { return dest == nullptr; }
};

Result<RemuxResult> run_pass(const Pass& pass) {
  const auto& segments = pass.segments;
  const auto& options = pass.options;
  const auto* cancel = pass.cancel;
  const bool dry = pass.dry();
  auto open_reader = [&](std::size_t i, SourceReader::Mode mode) {
    return dry ? SourceReader::open_skimming(segments[i].file, mode)
               : SourceReader::open(segments[i].file, mode, pass.hasher, i);
  };
  RemuxResult result;
  std::unique_ptr<Part> part;
  // A part that never got a packet has no file (it was never opened).
  auto finish_part = [&]() -> Status {
    if (part && part->opened) {
      if (dry) {
        pass.foretold->push_back(part->writer.predict());
      } else {
        auto written = part->writer.finish(*pass.overflowed);
        if (!written) return tl::unexpected(written.error());
        part->file.sha256 = written->sha256;
        part->file.size_bytes = written->size;
        part->file.hashed_as_written = written->hashed_as_written;
      }
      result.files.push_back(std::move(part->file));
    }
    part.reset();
    return ok();
  };
  bool done = false;

  std::size_t i = 0;
  for (; i < segments.size() && !done; ++i) {
    const auto& seg = segments[i];
    // A segment that continues the open file is read once, hashed on the way; one that
    // starts a file is opened as libavformat opens a file itself (export/source_reader).
    const bool continues = part && part->opened;
    auto reader = open_reader(i, continues ? SourceReader::Mode::Continue : SourceReader::Mode::Start);
    if (!reader) return tl::unexpected(reader.error());
    AVFormatContext* input = (*reader)->format();
    int v = av::find_stream(input, AVMEDIA_TYPE_VIDEO);
    int a = av::find_stream(input, AVMEDIA_TYPE_AUDIO);
    if (v < 0) return fail(ErrorKind::DataLoss, seg.file.string() + " has no video stream");
    Layout layout = layout_of(input, v, a);
    if (part && !(layout == part->layout)) {
      if (auto st = finish_part(); !st) return tl::unexpected(st.error());
      if (continues) {  // it starts the next file after all
        reader = open_reader(i, SourceReader::Mode::Start);
        if (!reader) return tl::unexpected(reader.error());
        input = (*reader)->format();
        v = av::find_stream(input, AVMEDIA_TYPE_VIDEO);
        a = av::find_stream(input, AVMEDIA_TYPE_AUDIO);
        if (v < 0) return fail(ErrorKind::DataLoss, seg.file.string() + " has no video stream");
        layout = layout_of(input, v, a);
      }
    }
    // The segment that starts a file starts it at a keyframe: the one chosen for `from` in
    // the first segment, the first one in a segment after a parameter change.
    const bool starts_part = !part || !part->opened;
    if (!part) {
      part = std::make_unique<Part>();
      part->layout = std::move(layout);
    }
    // The output tracks are made from the probed parameters of the segment that starts the
    // file. A segment that only continues it has the same layout (both as the headers say,
    // before any probe), so it takes those over instead of decoding frames again:
    // libavformat fills the durations the samples' table leaves out (with composition
    // offsets) from them, as its own probe would.
    if (starts_part) {
      if (auto st = (*reader)->probe(); !st) return tl::unexpected(st.error());
      part->probed = ProbedStreams::of(input, v, a);
    } else {
      part->probed.apply(input, v, a);
    }
    if (dry) (*reader)->skim();
    const std::int64_t min_start_rel = i == 0 ? pass.start_rel : 0;
    // Where this segment starts on the file's timeline (known once the file's first keyframe
    // is, for the segment that starts it). The next segment of the same run continues the
    // media clock exactly (no wall-clock jitter between segments); after a break the wall
    // clock says how long the break was, so time in the file stays time of day.
    std::int64_t offset = 0;
    if (!starts_part) {
      offset = to_us(seg.row.start) - to_us(part->origin);
      if (part->previous != nullptr && part->previous->run_id == seg.row.run_id &&
          seg.row.seq == part->previous->seq + 1 && part->previous_offset)
        offset = *part->previous_offset + part->previous->duration.count();
    }

    std::optional<std::int64_t> base;  // first video pts of the segment, in microseconds
    std::optional<std::int64_t> part_start_rel;  // the keyframe the file starts at, when it is this segment
    bool started = !starts_part;
    std::uint64_t reported = 0;
    auto pkt = av::make_packet();
    bool used = false;
    for (;;) {
      if (cancel != nullptr && cancel->load()) return fail(ErrorKind::Cancelled, "export interrupted");
      int rc = av_read_frame(input, pkt.get());
      if (rc == AVERROR_EOF) break;
      if (rc < 0) return tl::unexpected(av::from_averror(rc, "reading " + seg.file.string()));
      if (pass.progress != nullptr && *pass.progress && input->pb != nullptr) {
        auto pos = static_cast<std::uint64_t>(std::max<std::int64_t>(0, avio_tell(input->pb)));
        if (pos > reported) {
          (*pass.progress)(pos - reported);
          reported = pos;
        }
      }
      bool is_video = pkt->stream_index == v;
      bool is_audio = a >= 0 && pkt->stream_index == a;
      if ((!is_video && !is_audio) || packet_time(*pkt) == AV_NOPTS_VALUE) {
        av_packet_unref(pkt.get());
        continue;
      }
      AVRational tb = input->streams[pkt->stream_index]->time_base;
      std::int64_t pts_us = av_rescale_q(packet_time(*pkt), tb, kMicros);
      std::int64_t dts_us = pkt->dts != AV_NOPTS_VALUE ? av_rescale_q(pkt->dts, tb, kMicros) : pts_us;
      if (!base) {
        if (!is_video) {  // audio before the first video packet: nothing to align it with
          av_packet_unref(pkt.get());
          continue;
        }
        base = pts_us;
      }
      std::int64_t rel = pts_us - *base;
      if (!started) {
        if (!is_video || !(pkt->flags & AV_PKT_FLAG_KEY) || rel < min_start_rel) {
          av_packet_unref(pkt.get());
          continue;
        }
        started = true;
        part_start_rel = rel;
        part->origin = seg.row.start + Micros{rel};
        part->file.actual_from = part->file.actual_to = part->origin;
        offset = -rel;
      }
      if (part_start_rel && is_audio && rel < *part_start_rel) {
        av_packet_unref(pkt.get());
        continue;
      }
      UtcTime wall = seg.row.start + Micros{rel};
      if (wall >= options.to) {
        if (is_video) {
          done = true;
          av_packet_unref(pkt.get());
          break;
        }
        av_packet_unref(pkt.get());
        continue;
      }
      if (!part->opened) {
        part->file.name = part_file_name(pass.stem, result.files.size() + 1);
        const std::size_t k = result.files.size();
        const HeadPrediction* head =
            pass.heads != nullptr && k < pass.heads->size() && (*pass.heads)[k] ? &*(*pass.heads)[k] : nullptr;
        if (auto st = dry ? part->writer.open_dry(part->file.name, input, options.timestamps,
                                                     options.moov_slack_per_video_packet)
                          : part->writer.open(*pass.dest, part->file.name, input, options.timestamps, head);
            !st)
          return tl::unexpected(st.error());
        part->opened = true;
        part->file.video_codec = avcodec_get_name(part->layout.video);
        part->file.width = part->layout.width;
        part->file.height = part->layout.height;
        if (part->layout.audio != AV_CODEC_ID_NONE) part->file.audio_codec = avcodec_get_name(part->layout.audio);
      }
      std::int64_t out_pts = offset + rel;
      std::int64_t out_dts = offset + (dts_us - *base);
      std::int64_t dur_us = pkt->duration > 0 ? av_rescale_q(pkt->duration, tb, kMicros) : 0;
      while (part->writer.has_text() && part->next_text_us <= out_pts) {
        UtcTime at = part->origin + Micros{part->next_text_us};
        if (auto st = part->writer.write_text(part->next_text_us, 1'000'000, wall_text(at, *options.zone)); !st)
          return tl::unexpected(st.error());
        part->next_text_us += 1'000'000;
      }
      if (is_video) {
        ++part->file.video_packets;
        if (pkt->flags & AV_PKT_FLAG_KEY) ++part->file.keyframes;
        part->file.actual_to = std::max(part->file.actual_to, wall + Micros{dur_us});
      }
      if (auto st = part->writer.write(*pkt, tb, is_video, out_pts, out_dts); !st) return tl::unexpected(st.error());
      used = true;
      av_packet_unref(pkt.get());
    }
    if (pass.progress != nullptr && *pass.progress && seg.row.size_bytes > 0 &&
        static_cast<std::uint64_t>(seg.row.size_bytes) > reported)
      (*pass.progress)(static_cast<std::uint64_t>(seg.row.size_bytes) - reported);
    if (used) part->file.used.push_back(seg.row.id);
    if (started) {
      part->previous_offset = offset;
      part->previous = &seg.row;
    }
    (*reader)->close();
  }
  // Segments after the one that reached `to` (their first frame is at or after it) were not
  // read: hashed whole, so that every segment handed in is checked.
  for (; !dry && i < segments.size(); ++i) {
    fs::UniqueFd fd(::open(segments[i].file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      int err = errno;
      return fail(err == ENOENT ? ErrorKind::NotFound : ErrorKind::FailedPrecondition,
                  "reading " + segments[i].file.string() + ": " + std::strerror(err));
    }
    pass.hasher->hash(i, std::move(fd), segments[i].file.string());
  }
  // The last file is finished (its own hash) while the hasher may still be on the sources'
  // last bytes.
  if (auto st = finish_part(); !st) return tl::unexpected(st.error());
  if (result.files.empty()) return fail(ErrorKind::NotFound, "no video frame in the range");
  return result;
}

}  // namespace

std::string part_file_name(std::string_view stem, std::size_t part) {
  if (part <= 1) return std::string(stem) + ".mp4";
  return std::string(stem) + ".part" + std::to_string(part) + ".mp4";
}

Result<RemuxResult> remux_camera(const std::vector<SourceSegment>& segments, fs::Destination& dest,
                                 std::string_view stem, const RemuxOptions& options,
                                 const std::function<void(std::uint64_t)>& progress, const std::atomic<bool>* cancel) {
  if (segments.empty()) return fail(ErrorKind::NotFound, "no footage in the range");
  if (options.timestamps && options.zone == nullptr) return fail(ErrorKind::InvalidArgument, "timestamps need a zone");
  auto start_rel = find_start_keyframe(segments.front(), options.from);
  if (!start_rel) return tl::unexpected(start_rel.error());

  // The dry run first: what it cannot foretell is written with faststart, and any error it
  // meets is the real run's to report.
  std::vector<std::optional<HeadPrediction>> heads;
  if (options.foretell_heads) {
    Pass dry{segments, nullptr, stem, options, nullptr, cancel, *start_rel, nullptr, nullptr, &heads};
    if (auto ran = run_pass(dry); !ran) {
      if (ran.error().kind == ErrorKind::Cancelled) return tl::unexpected(ran.error());
      heads.clear();
    }
  }

  // A file whose moov outgrew the space foretold for it is made again from the start, the
  // whole run without foretold heads, into the same files.
  RemakingDestination files(dest);
  // A run made again reports only the bytes beyond what the first reported.
  std::uint64_t reported = 0;
  std::uint64_t repeated = 0;
  int attempt = 0;
  const std::function<void(std::uint64_t)> counted = [&](std::uint64_t n) {
    if (attempt == 0) {
      reported += n;
    } else {
      repeated += n;
      if (repeated <= reported) return;
      n = std::min(n, repeated - reported);
      reported = repeated;
    }
    if (progress) progress(n);
  };
  for (;; ++attempt) {
    // Source files are read and hashed on a second thread while this one remuxes.
    auto hasher = SourceHasher::start(segments.size());
    if (!hasher) return tl::unexpected(hasher.error());
    bool overflowed = false;
    Pass real{segments, &files, stem, options, &counted, cancel, *start_rel, hasher->get(), &heads, nullptr, &overflowed};
    auto result = run_pass(real);
    if (!result && overflowed && attempt == 0) {
      heads.clear();
      continue;
    }
    if (!result) return result;
    auto digests = (*hasher)->finish();
    if (!digests) return tl::unexpected(digests.error());
    result->source_sha256 = std::move(*digests);
    return result;
  }
}

}  // namespace carekeep::exports
