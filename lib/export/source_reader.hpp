// export/source_reader: one source segment opened for libavformat, and its bytes handed to the
// export's source hasher (export/source_hasher) for the check against its index row, read
// once where that can be avoided.
//
// Continue (every segment but the first of each output file): the input is marked not
// seekable, so the mov demuxer reads the fragmented MP4 once, in file order (a seekable file
// is first walked moof by moof, then read again). The hasher's thread reads the file and
// hashes it, and the demuxer gets the bytes from the buffers they were hashed from; close()
// lets the hasher hash the rest of the file (what a remux stopping at --to left unread). The
// digest is of the bytes that were remuxed. No probe: the caller gives it the parameters of
// the file's first segment (same layout). Without a hasher (a look at timestamps only) it
// reads the file itself and nothing is hashed.
//
// Start (the segment an output file is created from): opened by path and seekable, exactly
// as libavformat opens a file by itself, then probed (avformat_find_stream_info decodes a
// few frames), because the output tracks are made from what it reports: the probe completes
// the codec parameters, and the walk over the fragments gives the streams' bit rates that
// the mp4 muxer writes into the sample descriptions. The hasher hashes the file in a read of
// its own, while the remux reads it.
//
// Blocking reads; the calling thread (and the hasher's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "av/av.hpp"
#include "base/error.hpp"
#include "base/fd.hpp"
#include "export/source_hasher.hpp"

namespace carekeep::exports {

class SourceReader {
 public:
  enum class Mode { Start, Continue };

  // Opens `file` and reads its header: the parameters are what the file's header says. With
  // `hasher`, the file's digest goes to its `slot`.
  static Result<std::unique_ptr<SourceReader>> open(const std::filesystem::path& file, Mode mode,
                                                    SourceHasher* hasher = nullptr, std::size_t slot = 0);
  ~SourceReader();  // without close(): the hasher drops the file (it is opened again)
  SourceReader(const SourceReader&) = delete;
  SourceReader& operator=(const SourceReader&) = delete;

  Mode mode() const { return mode_; }
  AVFormatContext* format() const { return format_.get(); }
  // Start: completes the parameters (before the first av_read_frame).
  Status probe();
  // Closes the demuxer; the hasher hashes what it did not read.
  void close();

 private:
  SourceReader() = default;
  static int read(void* opaque, std::uint8_t* buf, int size);

  std::filesystem::path file_;
  Mode mode_ = Mode::Continue;
  fs::UniqueFd fd_;                              // Continue without a hasher
  std::unique_ptr<SourceHasher::Feed> feed_;     // Continue with a hasher
  int errno_ = 0;
  AVIOContext* pb_ = nullptr;  // Continue only
  av::InputFormat format_;     // declared after pb_: closed first
};

}  // namespace carekeep::exports
