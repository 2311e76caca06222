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
// Skimming (open_skimming, for the export's dry run that predicts each output file's head,
// export/remux): the same demuxing, seekable for Start and not for Continue, over the file's
// own boxes, except that once skim() is called the payload of every mdat box reads as zeros
// without touching the disk. Packets keep their sizes, timestamps and flags; the probe runs
// on the real bytes first. No hasher.
//
// Blocking reads; the calling thread (and the hasher's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

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
  static Result<std::unique_ptr<SourceReader>> open_skimming(const std::filesystem::path& file, Mode mode);
  ~SourceReader();  // without close(): the hasher drops the file (it is opened again)
  SourceReader(const SourceReader&) = delete;
  SourceReader& operator=(const SourceReader&) = delete;

  Mode mode() const { return mode_; }
  AVFormatContext* format() const { return format_.get(); }
  // Start: completes the parameters (before the first av_read_frame).
  Status probe();
  // Skimming: media payload reads as zeros from now on (after probe()).
  void skim() { skim_ = true; }
  // Closes the demuxer; the hasher hashes what it did not read.
  void close();

 private:
  SourceReader() = default;
  static int read(void* opaque, std::uint8_t* buf, int size);
  static int read_skimming(void* opaque, std::uint8_t* buf, int size);
  static std::int64_t seek_skimming(void* opaque, std::int64_t offset, int whence);
  // The top-level box holding `pos` (scanning box headers up to it), or null past the boxes.
  struct Box {
    std::uint64_t start = 0;
    std::uint64_t payload = 0;  // first byte after the box header
    std::uint64_t end = 0;
    bool mdat = false;
  };
  const Box* box_at(std::uint64_t pos);

  std::filesystem::path file_;
  Mode mode_ = Mode::Continue;
  fs::UniqueFd fd_;                              // Continue without a hasher
  std::unique_ptr<SourceHasher::Feed> feed_;     // Continue with a hasher
  int errno_ = 0;
  bool skimming_ = false;  // opened by open_skimming
  bool skim_ = false;
  std::uint64_t pos_ = 0;   // skimming: the read position
  std::uint64_t size_ = 0;  // skimming: the file's size
  std::vector<Box> boxes_;  // skimming: the top-level boxes scanned so far
  bool boxes_end_ = false;  // skimming: no box after the last one (or a header that is not one)
  AVIOContext* pb_ = nullptr;  // Continue, and skimming
  av::InputFormat format_;     // declared after pb_: closed first
};

}  // namespace carekeep::exports
