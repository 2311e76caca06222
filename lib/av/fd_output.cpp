#include "av/fd_output.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace carekeep::av {
namespace {

constexpr int kBufferSize = 256 * 1024;

int read_at(void* opaque, std::uint8_t* buf, int size) {
  auto* c = static_cast<FdOutput::Cursor*>(opaque);
  for (;;) {
    ssize_t n = ::pread(c->fd, buf, static_cast<std::size_t>(size), static_cast<off_t>(c->pos));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return AVERROR(errno);
    if (n == 0) return AVERROR_EOF;
    c->pos += n;
    return static_cast<int>(n);
  }
}

int write_at(void* opaque, std::uint8_t* buf, int size) {
  auto* c = static_cast<FdOutput::Cursor*>(opaque);
  const std::int64_t at = c->pos;
  int done = 0;
  while (done < size) {
    ssize_t n = ::pwrite(c->fd, buf + done, static_cast<std::size_t>(size - done), static_cast<off_t>(c->pos));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return AVERROR(errno);  // ENOSPC reaches the muxer, and the caller as disk full
    c->pos += n;
    done += static_cast<int>(n);
  }
  if (c->observer != nullptr && *c->observer) (*c->observer)(at, static_cast<std::size_t>(done));
  return done;
}

std::int64_t seek_to(void* opaque, std::int64_t offset, int whence) {
  auto* c = static_cast<FdOutput::Cursor*>(opaque);
  struct stat st {};
  if ((whence & AVSEEK_SIZE) != 0) return ::fstat(c->fd, &st) == 0 ? st.st_size : AVERROR(errno);
  switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET: c->pos = offset; break;
    case SEEK_CUR: c->pos += offset; break;
    case SEEK_END:
      if (::fstat(c->fd, &st) != 0) return AVERROR(errno);
      c->pos = st.st_size + offset;
      break;
    default: return AVERROR(EINVAL);
  }
  return c->pos;
}

AVIOContext* make_context(FdOutput::Cursor* cursor, bool write) {
  auto* buffer = static_cast<unsigned char*>(av_malloc(kBufferSize));
  if (buffer == nullptr) return nullptr;
  AVIOContext* pb = avio_alloc_context(buffer, kBufferSize, write ? 1 : 0, cursor, write ? nullptr : read_at,
                                       write ? write_at : nullptr, seek_to);
  if (pb == nullptr) av_free(buffer);
  return pb;
}

void free_context(AVIOContext*& pb) {
  if (pb == nullptr) return;
  av_freep(&pb->buffer);
  avio_context_free(&pb);
}

}  // namespace

Result<std::unique_ptr<FdOutput>> FdOutput::attach(AVFormatContext* ctx, int fd) {
  std::unique_ptr<FdOutput> out{new FdOutput};
  out->ctx_ = ctx;
  out->writer_.fd = fd;
  out->writer_.observer = &out->observer_;
  out->pb_ = make_context(&out->writer_, true);
  if (out->pb_ == nullptr) return fail(ErrorKind::ResourceExhausted, "allocating an output buffer");
  out->pb_->direct = 1;  // packets go to pwrite as they are, not copied through the buffer
  ctx->pb = out->pb_;
  ctx->flags |= AVFMT_FLAG_CUSTOM_IO;
  ctx->opaque = out.get();
  ctx->io_open = &FdOutput::open_reader;
  ctx->io_close2 = &FdOutput::close_reader;
  return out;
}

FdOutput::~FdOutput() {
  for (auto& [pb, cursor] : readers_) free_context(pb);
  if (ctx_ != nullptr && ctx_->pb == pb_) ctx_->pb = nullptr;
  free_context(pb_);
}

int FdOutput::flush() {
  if (pb_ == nullptr) return 0;
  avio_flush(pb_);
  return pb_->error;
}

// The mov muxer's faststart pass reopens the output by its URL to read it back while it
// shifts the media behind the moov box. Only that read is served; any other open fails.
int FdOutput::open_reader(AVFormatContext* s, AVIOContext** pb, const char*, int flags, AVDictionary**) {
  auto* self = static_cast<FdOutput*>(s->opaque);
  if (self == nullptr || (flags & AVIO_FLAG_WRITE) != 0) return AVERROR(EPERM);
  auto cursor = std::make_unique<Cursor>(Cursor{self->writer_.fd, 0});
  AVIOContext* reader = make_context(cursor.get(), false);
  if (reader == nullptr) return AVERROR(ENOMEM);
  self->readers_.emplace_back(reader, std::move(cursor));
  *pb = reader;
  return 0;
}

int FdOutput::close_reader(AVFormatContext* s, AVIOContext* pb) {
  auto* self = static_cast<FdOutput*>(s->opaque);
  if (self == nullptr) return 0;
  for (auto it = self->readers_.begin(); it != self->readers_.end(); ++it) {
    if (it->first != pb) continue;
    free_context(it->first);
    self->readers_.erase(it);
    return 0;
  }
  return 0;
}

}  // namespace carekeep::av
