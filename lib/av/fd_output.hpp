// av/fd_output: a muxer writing to a file descriptor instead of a path, for output files that
// another process created (the user's carekeep, control/broker.hpp) and that this process may
// not open by name. The muxer's pb writes and seeks with pwrite at its own offset; a second
// pass that reopens the output for reading (the mov muxer's faststart) gets a reader on the
// same descriptor through io_open. One thread; the caller keeps the descriptor open.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>

#include "av/av.hpp"

namespace carekeep::av {

class FdOutput {
 public:
  // Installs pb, io_open, io_close2 and opaque in `ctx` and marks it AVFMT_FLAG_CUSTOM_IO.
  static Result<std::unique_ptr<FdOutput>> attach(AVFormatContext* ctx, int fd);
  ~FdOutput();
  FdOutput(const FdOutput&) = delete;
  FdOutput& operator=(const FdOutput&) = delete;

  // Flushes pb after av_write_trailer; the first write error seen, if any.
  int flush();

  // Called after each write the muxer's pb makes, with where it went and its length (the
  // muxer's thread).
  using Observer = std::function<void(std::int64_t pos, std::size_t size)>;
  void observe(Observer observer) { observer_ = std::move(observer); }

  struct Cursor {
    int fd = -1;
    std::int64_t pos = 0;
    const Observer* observer = nullptr;
  };

 private:
  FdOutput() = default;
  static int open_reader(AVFormatContext* s, AVIOContext** pb, const char* url, int flags, AVDictionary** options);
  static int close_reader(AVFormatContext* s, AVIOContext* pb);

  AVFormatContext* ctx_ = nullptr;
  AVIOContext* pb_ = nullptr;
  Observer observer_;
  Cursor writer_;
  std::list<std::pair<AVIOContext*, std::unique_ptr<Cursor>>> readers_;
};

}  // namespace carekeep::av
