#include "segment/segment_file.hpp"

extern "C" {
#include <libavutil/mathematics.h>
#include <libavutil/mem.h>
}

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/fd.hpp"
#include "base/fs.hpp"
#include "segment/box_scanner.hpp"

namespace carekeep::segment {
namespace {

constexpr bool is_fragment_start(const std::array<char, 4>& type) {
  return (type == std::array<char, 4>{'m', 'o', 'o', 'f'}) || (type == std::array<char, 4>{'m', 'f', 'r', 'a'});
}

// A call on the segment's own file failed: every errno there is a disk fault of some kind.
tl::unexpected<WriteError> file_error(int err, std::string what) {
  return tl::unexpected(WriteError{fs::from_errno(err, std::move(what)), disk_fault_from_errno(err)});
}

constexpr int kAvioBufferSize = 256 * 1024;  // one write(2) per ~256 KiB at 4 Mbit/s ≈ 0.5 s

}  // namespace

// The custom AVIO sink: every byte FFmpeg writes goes to the file and into the hash, in
// one pass. At each fragment start it remembers the offset and a copy of the hash state,
// so a write error can be undone down to a playable file with a correct hash.
struct SegmentFile::Sink {
  int fd = -1;
  Sha256Stream hash;
  Sha256Stream clean_hash;                 // hash state at clean_offset
  std::uint64_t clean_offset = 0;          // end of the last complete fragment (or of moov)
  std::uint64_t fragments = 0;             // moof boxes begun
  std::uint64_t written = 0;
  BoxScanner scanner;
  int error = 0;                           // errno of the first failed write
  // The fragment boundary and hash state the last successful fdatasync made durable, for
  // take_checkpoint(); fresh until taken.
  std::uint64_t durable_offset = 0;
  Sha256Stream durable_hash;
  bool durable_fresh = false;
  std::chrono::steady_clock::time_point last_sync = std::chrono::steady_clock::now();
  std::chrono::milliseconds sync_interval{1000};
  AVIOContext* avio = nullptr;

  ~Sink() {
    if (avio != nullptr) {
      av_freep(&avio->buffer);
      avio_context_free(&avio);
    }
    if (fd >= 0) ::close(fd);
  }

  bool write_all(const std::uint8_t* data, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
      ssize_t n = ::write(fd, data + done, size - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        error = errno;
        return false;
      }
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Hash `bytes`, taking a snapshot of the hash at every fragment boundary inside them.
  void absorb(std::span<const std::uint8_t> bytes) {
    std::vector<std::uint64_t> boundaries;
    scanner.feed(bytes, [&](const BoxScanner::Boundary& b) {
      if (is_fragment_start(b.type)) boundaries.push_back(b.offset);
    });
    std::uint64_t base = written;
    std::size_t pos = 0;
    for (std::uint64_t boundary : boundaries) {
      std::size_t upto = static_cast<std::size_t>(boundary - base);
      hash.update(bytes.data() + pos, upto - pos);
      pos = upto;
      clean_hash = hash;
      clean_offset = boundary;
      ++fragments;
    }
    hash.update(bytes.data() + pos, bytes.size() - pos);
    written += bytes.size();
  }

  void maybe_sync() {
    auto now = std::chrono::steady_clock::now();
    if (now - last_sync < sync_interval) return;
    last_sync = now;
    if (::fdatasync(fd) != 0) {
      if (error == 0) error = errno;
      return;
    }
    // Every byte up to `written` went to write(2) before the sync, so the boundary snapshot
    // is durable now. Two fragment starts at least: one whole fragment of footage before it.
    if (error == 0 && fragments >= 2 && clean_offset > durable_offset) {
      durable_offset = clean_offset;
      durable_hash = clean_hash;
      durable_fresh = true;
    }
  }

  static int write_packet(void* opaque, std::uint8_t* buf, int size) noexcept {
    auto* self = static_cast<Sink*>(opaque);
    if (self->error != 0) return AVERROR(self->error);
    if (!self->write_all(buf, static_cast<std::size_t>(size))) return AVERROR(self->error);
    self->absorb({buf, static_cast<std::size_t>(size)});
    self->maybe_sync();
    return size;
  }
};

WriteResult<std::unique_ptr<SegmentFile>> SegmentFile::create(const std::filesystem::path& final_path,
                                                         const StreamLayout& layout, UtcTime start,
                                                         const WriterOptions& options) {
  std::unique_ptr<SegmentFile> file{new SegmentFile()};
  file->final_path_ = final_path;
  file->partial_path_ = final_path;
  file->partial_path_ += ".partial";
  file->start_ = start;
  if (auto st = file->open(layout, options); !st) return tl::unexpected(st.error());
  return file;
}

WriteResult<void> SegmentFile::open(const StreamLayout& layout, const WriterOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(final_path_.parent_path(), ec);
  if (ec) return (file_error(ec.value(), "creating directory " + final_path_.parent_path().string()));
  sink_ = std::make_unique<Sink>();
  sink_->sync_interval = options.sync_interval;
  // O_EXCL: an existing segment is evidence and is never overwritten.
  sink_->fd = ::open(partial_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (sink_->fd < 0) return (file_error(errno, "creating " + partial_path_.string()));

  AVFormatContext* raw = nullptr;
  int rc = avformat_alloc_output_context2(&raw, nullptr, "mp4", nullptr);
  if (rc < 0) return tl::unexpected(av::from_averror(rc, "allocating mp4 muxer"));
  output_.reset(raw);

  auto* buffer = static_cast<unsigned char*>(av_malloc(kAvioBufferSize));
  if (buffer == nullptr) return fail(ErrorKind::ResourceExhausted, "allocating muxer buffer");
  sink_->avio = avio_alloc_context(buffer, kAvioBufferSize, 1, sink_.get(), nullptr, &Sink::write_packet, nullptr);
  if (sink_->avio == nullptr) {
    av_free(buffer);
    return fail(ErrorKind::ResourceExhausted, "allocating muxer I/O context");
  }
  sink_->avio->seekable = 0;
  output_->pb = sink_->avio;
  output_->flags |= AVFMT_FLAG_CUSTOM_IO;
  // av_interleaved_write_frame holds each packet until every stream has one queued, or until
  // what it holds spans max_interleave_delta (libavformat's default: 10 s). A camera that
  // declares an audio track and never sends on it (muted, or a microphone that is not fitted)
  // would then keep 10 s of video in memory, none of it durable, and a crash would lose it
  // all. Half a second still interleaves a camera's real audio (it arrives within network
  // jitter of the video) and keeps fragments durable within max_fragment plus that.
  output_->max_interleave_delta = 500'000;  // AV_TIME_BASE units

  auto add_stream = [&](const AVCodecParameters* par, AVRational tb) -> WriteResult<void> {
    AVStream* st = avformat_new_stream(output_.get(), nullptr);
    if (st == nullptr) return fail(ErrorKind::ResourceExhausted, "adding stream");
    if (int r = avcodec_parameters_copy(st->codecpar, par); r < 0)
      return tl::unexpected(av::from_averror(r, "copying codec parameters"));
    // The RTSP demuxer's tag means nothing to MP4; let the muxer choose, except for H.265
    // where players (Safari, QuickTime, browsers) need `hvc1`, not the default `hev1`.
    st->codecpar->codec_tag = par->codec_id == AV_CODEC_ID_HEVC ? MKTAG('h', 'v', 'c', '1') : 0;
    st->time_base = tb;
    return {};
  };
  if (layout.video == nullptr) return fail(ErrorKind::InvalidArgument, "a segment needs a video stream");
  if (auto st = add_stream(layout.video, layout.video_time_base); !st) return st;
  in_time_base_[0] = layout.video_time_base;
  if (layout.frame_rate.num > 0 && layout.frame_rate.den > 0) frame_rate_ = layout.frame_rate;
  if (layout.audio != nullptr) {
    if (auto st = add_stream(layout.audio, layout.audio_time_base); !st) return st;
    in_time_base_[1] = layout.audio_time_base;
    has_audio_ = true;
  }

  av::Dictionary opts;
  // empty_moov: the header is complete before the first sample, so a file cut anywhere
  // after a fragment boundary plays. frag_keyframe: every GOP starts a fragment;
  // frag_duration bounds fragments of long-GOP cameras so data is durable within ~2 s.
  opts.set("movflags", "frag_keyframe+empty_moov+default_base_moof");
  opts.set("frag_duration", std::to_string(options.max_fragment.count()));
  rc = avformat_write_header(output_.get(), opts.out());
  if (rc < 0) {
    failed_ = true;
    failure_ = av::from_averror(rc, "writing mp4 header").message;
    failure_fault_ = disk_fault_from_errno(sink_->error);
    if (sink_->error != 0) return (file_error(sink_->error, "writing the mp4 header of " + partial_path_.string()));
    return fail(ErrorKind::Internal, failure_);
  }
  avio_flush(output_->pb);
  return {};
}

WriteResult<void> SegmentFile::write(AVPacket* packet, int stream) {
  if (failed_) return fail(ErrorKind::FailedPrecondition, "segment already failed: " + failure_);
  if (stream == 1 && !has_audio_) {
    av_packet_unref(packet);
    return {};
  }
  if (packet->dts == AV_NOPTS_VALUE) packet->dts = packet->pts;
  if (stream == 0 && first_dts_[0] == AV_NOPTS_VALUE) {
    // The first frame a client gets from a freshly joined stream may lack a timestamp
    // (NOTES-rtsp-test-server.md); it is the keyframe the segment must start with, so keep
    // it until the next frame dates it: one frame interval earlier.
    if (packet->dts == AV_NOPTS_VALUE) {
      if (!held_) held_ = av::make_packet();
      av_packet_unref(held_.get());
      av_packet_move_ref(held_.get(), packet);
      return {};
    }
    if (held_ && held_->data != nullptr) {
      std::int64_t frame = av_rescale_q(1, av_inv_q(frame_rate_), in_time_base_[0]);
      held_->dts = held_->pts = packet->dts - std::max<std::int64_t>(frame, 1);
      if (auto st = write_timed(held_.get(), 0); !st) return st;
    }
  }
  return write_timed(packet, stream);
}

WriteResult<void> SegmentFile::write_timed(AVPacket* packet, int stream) {
  const AVRational tb = in_time_base_[stream];
  if (packet->dts == AV_NOPTS_VALUE) {
    if (last_dts_[stream] == AV_NOPTS_VALUE) {  // audio before any timed video: nothing to anchor it to
      av_packet_unref(packet);
      return {};
    }
    packet->dts = last_dts_[stream] + std::max<std::int64_t>(typical_frame_, 1) - shift_[stream];
    packet->pts = AV_NOPTS_VALUE;
  }
  if (packet->pts == AV_NOPTS_VALUE) packet->pts = packet->dts;

  // Both streams share one origin (the first video packet) so audio stays in sync.
  if (first_dts_[0] == AV_NOPTS_VALUE) {
    if (stream != 0) {
      av_packet_unref(packet);
      return {};
    }
    first_dts_[0] = packet->dts;
  }
  if (stream == 1 && first_dts_[1] == AV_NOPTS_VALUE) {
    std::int64_t origin_us = av_rescale_q(first_dts_[0], in_time_base_[0], AVRational{1, 1000000});
    first_dts_[1] = av_rescale_q(origin_us, AVRational{1, 1000000}, tb);
  }

  std::int64_t dts = packet->dts - first_dts_[stream] + shift_[stream];
  std::int64_t pts = packet->pts - first_dts_[stream] + shift_[stream];
  if (stream == 1 && last_dts_[1] == AV_NOPTS_VALUE && dts < 0) {  // audio from before the cut
    av_packet_unref(packet);
    return {};
  }
  if (last_dts_[stream] != AV_NOPTS_VALUE) {
    std::int64_t delta = dts - last_dts_[stream];
    std::int64_t jump_limit = av_rescale_q(10, AVRational{1, 1}, tb);
    if (delta <= 0 || delta > jump_limit) {
      // A camera clock jump or non-monotonic DTS: re-anchor so this packet follows the
      // previous one by one typical frame. The file stays playable; wall time is kept
      // by the index, not by these timestamps.
      std::int64_t step = stream == 0 ? std::max<std::int64_t>(typical_frame_, 1) : 1;
      std::int64_t fixed = last_dts_[stream] + step;
      shift_[stream] += fixed - dts;
      pts += fixed - dts;
      dts = fixed;
    } else if (stream == 0) {
      typical_frame_ = delta;
    }
  }
  if (pts < dts) pts = dts;
  last_dts_[stream] = dts;

  packet->dts = dts;
  packet->pts = pts;
  if (stream == 0) {
    if (packet->duration <= 0) packet->duration = typical_frame_ > 0 ? typical_frame_ : 0;
    last_video_pts_end_ = std::max(last_video_pts_end_, pts + packet->duration);
    ++frames_;
    if (packet->flags & AV_PKT_FLAG_KEY) ++keyframes_;
  }
  bool key = stream == 0 && (packet->flags & AV_PKT_FLAG_KEY);
  packet->stream_index = stream;
  av_packet_rescale_ts(packet, tb, output_->streams[stream]->time_base);
  // The muxer takes the packet's reference; the payload is not copied here.
  int rc = av_interleaved_write_frame(output_.get(), packet);
  // A keyframe closes a fragment, and frag_duration closes one at least every second on
  // long-GOP cameras; push whatever the muxer has written to the file at those points (at
  // most once a second otherwise), so finished fragments never wait in the I/O buffer.
  auto now = std::chrono::steady_clock::now();
  if (rc >= 0 && (key || now - last_flush_ >= std::chrono::seconds(1))) {
    last_flush_ = now;
    avio_flush(output_->pb);
    if (output_->pb->error < 0) rc = output_->pb->error;
  }
  if (rc < 0 || sink_->error != 0) {
    failed_ = true;
    int err = sink_->error;
    failure_ = err != 0 ? std::string(std::strerror(err)) : av::from_averror(rc, "muxing").message;
    failure_fault_ = disk_fault_from_errno(err);
    if (err != 0) return (file_error(err, "writing " + partial_path_.string()));
    return fail(ErrorKind::Unavailable, "writing " + partial_path_.string() + ": " + failure_);
  }
  return {};
}

Micros SegmentFile::media_duration() const {
  return Micros{av_rescale_q(last_video_pts_end_, in_time_base_[0], AVRational{1, 1000000})};
}

std::optional<Micros> SegmentFile::last_video_time() const {
  if (last_dts_[0] == AV_NOPTS_VALUE) return std::nullopt;
  return Micros{av_rescale_q(last_dts_[0], in_time_base_[0], AVRational{1, 1000000})};
}

std::uint64_t SegmentFile::bytes_written() const { return sink_ ? sink_->written : 0; }

std::optional<Checkpoint> SegmentFile::take_checkpoint() {
  if (!sink_ || !sink_->durable_fresh || failed_ || closed_) return std::nullopt;
  sink_->durable_fresh = false;
  Sha256Stream copy = sink_->durable_hash;  // finish() spends the stream
  return Checkpoint{sink_->durable_offset, copy.finish()};
}

WriteResult<ClosedSegment> SegmentFile::close() {
  if (closed_) return fail(ErrorKind::FailedPrecondition, "segment already closed");
  closed_ = true;
  ClosedSegment result;
  result.start = start_;
  result.duration = media_duration();
  result.frames = frames_;
  result.keyframes = keyframes_;

  if (!failed_) {
    int rc = av_write_trailer(output_.get());
    if (rc >= 0) avio_flush(output_->pb);
    if (rc < 0 || sink_->error != 0) {
      failed_ = true;
      failure_ = sink_->error != 0 ? std::string(std::strerror(sink_->error))
                                   : av::from_averror(rc, "writing trailer").message;
      failure_fault_ = disk_fault_from_errno(sink_->error);
    }
  }
  output_.reset();  // custom I/O: the sink still owns the AVIO context and the fd

  std::uint64_t size = sink_->written;
  Sha256 digest{};
  if (failed_) {
    // Cut back to the end of the last complete fragment: what is left plays, and the
    // hash snapshot taken there is exactly the hash of what is left.
    if (sink_->fragments < 2) {
      ::close(sink_->fd);
      sink_->fd = -1;
      ::unlink(partial_path_.c_str());
      Error e{out_of_space(failure_fault_) ? ErrorKind::ResourceExhausted : ErrorKind::DataLoss,
              "segment " + final_path_.string() + " failed before its first complete fragment (" + failure_ +
                  "); nothing kept"};
      return tl::unexpected(WriteError{std::move(e), failure_fault_});
    }
    size = sink_->clean_offset;
    if (::ftruncate(sink_->fd, static_cast<off_t>(size)) != 0)
      return (file_error(errno, "truncating " + partial_path_.string()));
    digest = sink_->clean_hash.finish();
    result.truncated = true;
    result.truncation_reason = failure_;
    result.truncation_fault = failure_fault_;
    // Duration is no longer known exactly; the last fragment was dropped.
  } else {
    digest = sink_->hash.finish();
  }
  if (::fdatasync(sink_->fd) != 0) return (file_error(errno, "fsync of " + partial_path_.string()));
  ::close(sink_->fd);
  sink_->fd = -1;
  if (::rename(partial_path_.c_str(), final_path_.c_str()) != 0)
    return (file_error(errno, "renaming " + partial_path_.string()));
  if (auto st = fs::fsync_parent(final_path_); !st) {
    // The directory's fsync makes the rename durable: its failure is the disk's.
    return tl::unexpected(WriteError{st.error(), failure_fault_ != DiskFault::None ? failure_fault_ : DiskFault::Other});
  }
  result.path = final_path_;
  result.size_bytes = size;
  result.sha256 = digest;
  return result;
}

SegmentFile::~SegmentFile() {
  if (!closed_ && sink_ && sink_->fd >= 0) {
    failed_ = true;
    if (failure_.empty()) failure_ = "abandoned";
    (void)close();
  }
}

}  // namespace carekeep::segment
