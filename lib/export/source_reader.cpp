#include "export/source_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "segment/box_scanner.hpp"

namespace carekeep::exports {
namespace {

// Packets larger than this bypass the buffer (libavformat reads them straight into the packet).
constexpr int kBufferSize = 256 * 1024;
// Skimming: most video packets are larger, so libavformat zeroes them in place (read_skimming
// into the packet) instead of through the buffer.
constexpr int kSkimBufferSize = 8 * 1024;

}  // namespace

Result<std::unique_ptr<SourceReader>> SourceReader::open(const std::filesystem::path& file, Mode mode,
                                                         SourceHasher* hasher, std::size_t slot) {
  std::unique_ptr<SourceReader> r{new SourceReader};
  r->file_ = file;
  r->mode_ = mode;
  r->fd_ = fs::UniqueFd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!r->fd_) {
    int err = errno;
    return fail(err == ENOENT ? ErrorKind::NotFound : ErrorKind::FailedPrecondition,
                "opening " + file.string() + ": " + std::strerror(err));
  }
  ::posix_fadvise(r->fd_.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  if (hasher != nullptr) {
    if (mode == Mode::Continue) r->feed_ = hasher->read(slot, std::move(r->fd_), file.string());
    else hasher->hash(slot, std::move(r->fd_), file.string());
  }
  AVFormatContext* raw = nullptr;
  if (mode == Mode::Continue) {
    auto* buffer = static_cast<unsigned char*>(av_malloc(kBufferSize));
    if (buffer == nullptr) return fail(ErrorKind::ResourceExhausted, "allocating a read buffer");
    // No seek callback: not seekable, so the demuxer never goes back or skips ahead.
    r->pb_ = avio_alloc_context(buffer, kBufferSize, 0, r.get(), &SourceReader::read, nullptr, nullptr);
    if (r->pb_ == nullptr) {
      av_free(buffer);
      return fail(ErrorKind::ResourceExhausted, "allocating a read context");
    }
    raw = avformat_alloc_context();
    if (raw == nullptr) return fail(ErrorKind::ResourceExhausted, "allocating a demuxer");
    raw->pb = r->pb_;  // makes it AVFMT_FLAG_CUSTOM_IO: closing the input leaves pb to us
  }
  // Start: as libavformat opens a path by itself. Continue: segments are MP4, and naming the
  // demuxer saves probing the first bytes for the format. avformat_open_input frees `raw`
  // itself on failure.
  const bool start = mode == Mode::Start;
  if (int rc = avformat_open_input(&raw, start ? file.c_str() : nullptr, start ? nullptr : av_find_input_format("mp4"),
                                   nullptr);
      rc < 0) {
    Error e = av::from_averror(rc, "opening " + file.string());
    if (r->errno_ != 0) e.message = "reading " + file.string() + ": " + std::strerror(r->errno_);
    return tl::unexpected(e);
  }
  r->format_.reset(raw);
  return r;
}

Result<std::unique_ptr<SourceReader>> SourceReader::open_skimming(const std::filesystem::path& file, Mode mode) {
  std::unique_ptr<SourceReader> r{new SourceReader};
  r->file_ = file;
  r->mode_ = mode;
  r->skimming_ = true;
  r->fd_ = fs::UniqueFd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!r->fd_ || ::fstat(r->fd_.get(), &st) != 0) {
    int err = errno;
    return fail(err == ENOENT ? ErrorKind::NotFound : ErrorKind::FailedPrecondition,
                "opening " + file.string() + ": " + std::strerror(err));
  }
  r->size_ = static_cast<std::uint64_t>(st.st_size);
  auto* buffer = static_cast<unsigned char*>(av_malloc(kSkimBufferSize));
  if (buffer == nullptr) return fail(ErrorKind::ResourceExhausted, "allocating a read buffer");
  // Seekable for Start and not for Continue, as the real reading is: the demuxer's walk differs.
  r->pb_ = avio_alloc_context(buffer, kSkimBufferSize, 0, r.get(), &SourceReader::read_skimming, nullptr,
                              mode == Mode::Start ? &SourceReader::seek_skimming : nullptr);
  if (r->pb_ == nullptr) {
    av_free(buffer);
    return fail(ErrorKind::ResourceExhausted, "allocating a read context");
  }
  AVFormatContext* raw = avformat_alloc_context();
  if (raw == nullptr) return fail(ErrorKind::ResourceExhausted, "allocating a demuxer");
  raw->pb = r->pb_;
  // No parser: the real reading's H.264/H.265 parser would judge keyframes from the zeros (it
  // decides the keyframe flag whenever it sees a picture); without it the flags are the
  // file's own sync samples, which are the same frames.
  raw->flags |= AVFMT_FLAG_NOPARSE;
  if (int rc = avformat_open_input(&raw, nullptr, av_find_input_format("mp4"), nullptr); rc < 0) {
    Error e = av::from_averror(rc, "opening " + file.string());
    if (r->errno_ != 0) e.message = "reading " + file.string() + ": " + std::strerror(r->errno_);
    return tl::unexpected(e);
  }
  r->format_.reset(raw);
  return r;
}

const SourceReader::Box* SourceReader::box_at(std::uint64_t pos) {
  while (!boxes_end_ && (boxes_.empty() || boxes_.back().end <= pos)) {
    const std::uint64_t start = boxes_.empty() ? 0 : boxes_.back().end;
    std::array<std::uint8_t, 16> bytes{};
    auto n = fs::read_at(fd_.get(), bytes.data(), bytes.size(), start, "reading " + file_.string());
    auto header = n ? segment::read_box_header(std::span<const std::uint8_t>(bytes.data(), *n)) : std::nullopt;
    // A header that is cut short or is not one (or runs past the file) ends the map: the rest
    // reads as it is.
    if (!header) {
      boxes_end_ = true;
      break;
    }
    const std::uint64_t size = header->size == 0 ? size_ - start : header->size;  // 0: to the end of the file
    if (size < header->header_size || size > size_ - start) {
      boxes_end_ = true;
      break;
    }
    boxes_.push_back(Box{start, start + header->header_size, start + size,
                         header->type == std::array<char, 4>{'m', 'd', 'a', 't'}});
  }
  if (boxes_.empty() || boxes_.back().end <= pos) return nullptr;
  // Boxes are scanned in file order, mostly read in it too.
  auto it = std::upper_bound(boxes_.begin(), boxes_.end(), pos, [](std::uint64_t p, const Box& b) { return p < b.end; });
  return it == boxes_.end() ? nullptr : &*it;
}

int SourceReader::read_skimming(void* opaque, std::uint8_t* buf, int size) {
  auto* self = static_cast<SourceReader*>(opaque);
  if (self->pos_ >= self->size_) return AVERROR_EOF;
  int done = 0;
  while (done < size && self->pos_ < self->size_) {
    auto want = static_cast<std::uint64_t>(size - done);
    const Box* box = self->skim_ ? self->box_at(self->pos_) : nullptr;
    if (box != nullptr && box->mdat && self->pos_ >= box->payload) {
      auto n = std::min(want, box->end - self->pos_);
      std::memset(buf + done, 0, n);
      self->pos_ += n;
      done += static_cast<int>(n);
      continue;
    }
    if (box != nullptr) want = std::min(want, (box->mdat ? box->payload : box->end) - self->pos_);
    ssize_t n = ::pread(self->fd_.get(), buf + done, want, static_cast<off_t>(self->pos_));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      self->errno_ = errno;
      return done > 0 ? done : AVERROR(errno);
    }
    if (n == 0) break;
    self->pos_ += static_cast<std::uint64_t>(n);
    done += static_cast<int>(n);
  }
  return done > 0 ? done : AVERROR_EOF;
}

std::int64_t SourceReader::seek_skimming(void* opaque, std::int64_t offset, int whence) {
  auto* self = static_cast<SourceReader*>(opaque);
  const auto size = static_cast<std::int64_t>(self->size_);
  if ((whence & AVSEEK_SIZE) != 0) return size;
  std::int64_t to = 0;
  switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET: to = offset; break;
    case SEEK_CUR: to = static_cast<std::int64_t>(self->pos_) + offset; break;
    case SEEK_END: to = size + offset; break;
    default: return AVERROR(EINVAL);
  }
  if (to < 0) return AVERROR(EINVAL);
  self->pos_ = static_cast<std::uint64_t>(to);
  return to;
}

Status SourceReader::probe() {
  if (int rc = avformat_find_stream_info(format_.get(), nullptr); rc < 0)
    return tl::unexpected(av::from_averror(rc, "reading streams of " + file_.string()));
  return ok();
}

SourceReader::~SourceReader() {
  format_.reset();
  feed_.reset();  // abandons the file unless close() came first
  if (pb_ != nullptr) {
    av_freep(&pb_->buffer);
    avio_context_free(&pb_);
  }
}

int SourceReader::read(void* opaque, std::uint8_t* buf, int size) {
  auto* self = static_cast<SourceReader*>(opaque);
  if (self->feed_) {
    int n = self->feed_->read(buf, size);
    if (n < 0 && n != AVERROR_EOF) self->errno_ = AVUNERROR(n);
    return n;
  }
  for (;;) {
    ssize_t n = ::read(self->fd_.get(), buf, static_cast<std::size_t>(size));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      self->errno_ = errno;
      return AVERROR(errno);
    }
    if (n == 0) return AVERROR_EOF;
    return static_cast<int>(n);
  }
}

void SourceReader::close() {
  format_.reset();
  if (feed_) feed_->close();
}

}  // namespace carekeep::exports
