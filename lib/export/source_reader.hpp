// export/source_reader: one source segment opened for libavformat, and the SHA-256 of the
// file for the check against its index row, without reading it twice where that can be
// avoided.
//
// Continue (every segment but the first of each output file): the input is marked not
// seekable, so the mov demuxer reads the fragmented MP4 once, in file order (a seekable file
// is first walked moof by moof, then read again); every byte passes through SHA-256 on its
// way to the demuxer, and finish() hashes the rest of the file (what a remux stopping at --to
// left unread) from the same descriptor. The digest is of the bytes that were remuxed. No
// probe: the caller gives it the parameters of the file's first segment (same layout).
//
// Start (the segment an output file is created from): opened by path and seekable, exactly
// as libavformat opens a file by itself, then probed (avformat_find_stream_info decodes a
// few frames), because the output tracks are made from what it reports: the probe completes
// the codec parameters, and the walk over the fragments gives the streams' bit rates that
// the mp4 muxer writes into the sample descriptions. finish() hashes the file in a separate
// read.
//
// Blocking reads; one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "av/av.hpp"
#include "base/error.hpp"
#include "base/fd.hpp"
#include "segment/hash.hpp"

namespace carekeep::exports {

class SourceReader {
 public:
  enum class Mode { Start, Continue };

  // Opens `file` and reads its header: the parameters are what the file's header says.
  static Result<std::unique_ptr<SourceReader>> open(const std::filesystem::path& file, Mode mode);
  ~SourceReader();
  SourceReader(const SourceReader&) = delete;
  SourceReader& operator=(const SourceReader&) = delete;

  Mode mode() const { return mode_; }
  AVFormatContext* format() const { return format_.get(); }
  // Start: completes the parameters (before the first av_read_frame).
  Status probe();
  // Closes the demuxer, hashes what it did not read, and returns the SHA-256 of the file.
  Result<segment::Sha256> finish();

 private:
  SourceReader() = default;
  static int read(void* opaque, std::uint8_t* buf, int size);

  std::filesystem::path file_;
  Mode mode_ = Mode::Continue;
  fs::UniqueFd fd_;
  std::uint64_t pos_ = 0;  // Continue: bytes read so far, all of them hashed
  int errno_ = 0;
  segment::Sha256Stream hash_;
  AVIOContext* pb_ = nullptr;  // Continue only
  av::InputFormat format_;     // declared after pb_: closed first
};

}  // namespace carekeep::exports
