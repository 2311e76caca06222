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
#include "export/source_reader.hpp"
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

class Writer {
 public:
  // Creates `name` in `dest` and writes through its descriptor: the file may be made by the
  // user's own carekeep (control/broker.hpp), which this process could not open by name.
  Status open(fs::Destination& dest, const std::string& name, const AVFormatContext* first, bool timestamps) {
    name_ = name;
    auto fd = dest.create(name);
    if (!fd) return tl::unexpected(fd.error());
    fd_ = std::move(*fd);
    AVFormatContext* raw = nullptr;
    if (int rc = avformat_alloc_output_context2(&raw, nullptr, "mp4", name.c_str()); rc < 0 || raw == nullptr)
      return tl::unexpected(av::from_averror(rc, "creating " + name));
    ctx_.reset(raw);
    int in_video = av::find_stream(first, AVMEDIA_TYPE_VIDEO);
    int in_audio = av::find_stream(first, AVMEDIA_TYPE_AUDIO);
    if (in_video < 0) return fail(ErrorKind::DataLoss, "segment has no video stream");
    video_ = add_copy(first->streams[in_video]);
    if (in_audio >= 0) audio_ = add_copy(first->streams[in_audio]);
    if (video_ == nullptr || (in_audio >= 0 && audio_ == nullptr))
      return fail(ErrorKind::ResourceExhausted, "allocating output streams");
    if (timestamps) {
      text_ = avformat_new_stream(ctx_.get(), nullptr);
      if (text_ == nullptr) return fail(ErrorKind::ResourceExhausted, "allocating the subtitle stream");
      text_->codecpar->codec_type = AVMEDIA_TYPE_SUBTITLE;
      text_->codecpar->codec_id = AV_CODEC_ID_MOV_TEXT;
      text_->time_base = AVRational{1, 1000};
      auto* extra = static_cast<std::uint8_t*>(av_mallocz(sizeof kTx3gHeader + AV_INPUT_BUFFER_PADDING_SIZE));
      if (extra == nullptr) return fail(ErrorKind::ResourceExhausted, "allocating the subtitle header");
      std::memcpy(extra, kTx3gHeader, sizeof kTx3gHeader);
      text_->codecpar->extradata = extra;
      text_->codecpar->extradata_size = sizeof kTx3gHeader;
      av_dict_set(&text_->metadata, "language", "und", 0);
      av_dict_set(&text_->metadata, "handler_name", "carekeep wall clock", 0);
    }
    auto io = av::FdOutput::attach(ctx_.get(), fd_.get());
    if (!io) return tl::unexpected(io.error());
    io_ = std::move(*io);
    av::Dictionary opts;
    // faststart: moov before the media, so a player (or a browser) starts without reading
    // the whole file; costs one extra pass over the output at the end.
    opts.set("movflags", "+faststart");
    if (int rc = avformat_write_header(ctx_.get(), opts.out()); rc < 0)
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
    if (int rc = av_interleaved_write_frame(ctx_.get(), pkt.get()); rc < 0)
      return tl::unexpected(io_error(rc, "writing " + name_));
    return ok();
  }

  // Ends the file, makes it durable and returns its SHA-256 and size.
  Result<std::pair<segment::Sha256, std::uint64_t>> finish() {
    if (int rc = av_write_trailer(ctx_.get()); rc < 0) return tl::unexpected(io_error(rc, "finishing " + name_));
    if (int rc = io_->flush(); rc < 0) return tl::unexpected(io_error(rc, "writing " + name_));
    io_.reset();
    ctx_.reset();
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return tl::unexpected(fs::from_errno(errno, "reading the size of " + name_));
    // Hash the file while the disk writes it back: each stretch's write-back is started one
    // stretch ahead of the hash, so fsync then waits only for what is left (for 1 h of 1080p
    // it waited 1.3 s after the hash, tools/bench/export_bench). Starting it all at once
    // blocks as long as the write itself. Best effort: a filesystem without sync_file_range
    // is made durable by fsync alone.
    const auto size = static_cast<std::uint64_t>(st.st_size);
    segment::Sha256Stream hash;
    (void)::sync_file_range(fd_.get(), 0, static_cast<off_t>(kWritebackStretch), SYNC_FILE_RANGE_WRITE);
    for (std::uint64_t at = 0; at < size; at += kWritebackStretch) {
      if (at + kWritebackStretch < size)
        (void)::sync_file_range(fd_.get(), static_cast<off_t>(at + kWritebackStretch),
                                static_cast<off_t>(kWritebackStretch), SYNC_FILE_RANGE_WRITE);
      auto fed = segment::hash_fd_from(hash, fd_.get(), at, name_, kWritebackStretch);
      if (!fed) return tl::unexpected(fed.error());
    }
    const segment::Sha256 digest = hash.finish();
    if (::fsync(fd_.get()) != 0) return tl::unexpected(fs::from_errno(errno, "fsync of " + name_));
    fd_.reset();
    return std::pair{digest, static_cast<std::uint64_t>(st.st_size)};
  }

 private:
  AVStream* add_copy(const AVStream* in) {
    AVStream* out = avformat_new_stream(ctx_.get(), nullptr);
    if (out == nullptr || avcodec_parameters_copy(out->codecpar, in->codecpar) < 0) return nullptr;
    // H.264: let the mp4 muxer pick avc1. H.265: hvc1 (parameter sets in the sample entry,
    // as the segments store them), which Apple players and browsers need; FFmpeg 5's
    // default would be hev1.
    out->codecpar->codec_tag = in->codecpar->codec_id == AV_CODEC_ID_HEVC ? MKTAG('h', 'v', 'c', '1') : 0;
    out->time_base = in->time_base;
    return out;
  }

  std::string name_;
  fs::UniqueFd fd_;
  av::OutputFormat ctx_;
  std::unique_ptr<av::FdOutput> io_;  // after ctx_: destroyed first, while ctx_ still lives
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

  // Source files are read and hashed on a second thread while this one remuxes.
  auto hasher = SourceHasher::start(segments.size());
  if (!hasher) return tl::unexpected(hasher.error());

  RemuxResult result;
  std::unique_ptr<Part> part;
  // A part that never got a packet has no file (it was never opened).
  auto finish_part = [&]() -> Status {
    if (part && part->opened) {
      auto written = part->writer.finish();
      if (!written) return tl::unexpected(written.error());
      part->file.sha256 = written->first;
      part->file.size_bytes = written->second;
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
    auto reader = SourceReader::open(seg.file, continues ? SourceReader::Mode::Continue : SourceReader::Mode::Start,
                                     hasher->get(), i);
    if (!reader) return tl::unexpected(reader.error());
    AVFormatContext* input = (*reader)->format();
    int v = av::find_stream(input, AVMEDIA_TYPE_VIDEO);
    int a = av::find_stream(input, AVMEDIA_TYPE_AUDIO);
    if (v < 0) return fail(ErrorKind::DataLoss, seg.file.string() + " has no video stream");
    Layout layout = layout_of(input, v, a);
    if (part && !(layout == part->layout)) {
      if (auto st = finish_part(); !st) return tl::unexpected(st.error());
      if (continues) {  // it starts the next file after all
        reader = SourceReader::open(seg.file, SourceReader::Mode::Start, hasher->get(), i);
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
    const std::int64_t min_start_rel = i == 0 ? *start_rel : 0;
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
      if (progress && input->pb != nullptr) {
        auto pos = static_cast<std::uint64_t>(std::max<std::int64_t>(0, avio_tell(input->pb)));
        if (pos > reported) {
          progress(pos - reported);
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
        part->file.name = part_file_name(stem, result.files.size() + 1);
        if (auto st = part->writer.open(dest, part->file.name, input, options.timestamps); !st)
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
    if (progress && seg.row.size_bytes > 0 && static_cast<std::uint64_t>(seg.row.size_bytes) > reported)
      progress(static_cast<std::uint64_t>(seg.row.size_bytes) - reported);
    if (used) part->file.used.push_back(seg.row.id);
    if (started) {
      part->previous_offset = offset;
      part->previous = &seg.row;
    }
    (*reader)->close();
  }
  // Segments after the one that reached `to` (their first frame is at or after it) were not
  // read: hashed whole, so that every segment handed in is checked.
  for (; i < segments.size(); ++i) {
    fs::UniqueFd fd(::open(segments[i].file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      int err = errno;
      return fail(err == ENOENT ? ErrorKind::NotFound : ErrorKind::FailedPrecondition,
                  "reading " + segments[i].file.string() + ": " + std::strerror(err));
    }
    (*hasher)->hash(i, std::move(fd), segments[i].file.string());
  }
  // The last file is finished (faststart, its own hash) while the hasher may still be on the
  // sources' last bytes.
  if (auto st = finish_part(); !st) return tl::unexpected(st.error());
  auto digests = (*hasher)->finish();
  if (!digests) return tl::unexpected(digests.error());
  result.source_sha256 = std::move(*digests);
  if (result.files.empty()) return fail(ErrorKind::NotFound, "no video frame in the range");
  return result;
}

}  // namespace carekeep::exports
