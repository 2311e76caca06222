#include "export/source_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace carekeep::exports {
namespace {

// Packets larger than this bypass the buffer (libavformat reads them straight into the packet).
constexpr int kBufferSize = 256 * 1024;

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
