// export/source_hasher: a second thread for an export's source files. It reads each file it is
// handed front to back and hashes it, one file after the other in the order they were handed
// in, so that SHA-256 runs beside the remux instead of after it. A file the remux demuxes
// (read()) is read by this thread only: its bytes reach the demuxer through a Feed, from the
// very buffers they were hashed from, so the digest is of the bytes that were remuxed. A
// file nobody demuxes (hash()) is only hashed. Calls from one thread (the remux's); Feed::read
// from that same thread; the worker is internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "segment/hash.hpp"

namespace carekeep::exports {

class SourceHasher {
 public:
  struct State;    // shared by the hasher, its worker and the feeds
  struct Channel;  // one file's handed-over buffers

  // The demuxer's end of a file the worker reads: the file's bytes in order, as they are read.
  class Feed {
   public:
    Feed(std::shared_ptr<State> state, std::shared_ptr<Channel> channel)
        : state_(std::move(state)), channel_(std::move(channel)) {}
    ~Feed();
    Feed(const Feed&) = delete;
    Feed& operator=(const Feed&) = delete;
    // Copies up to `size` of the next bytes into `buf` (blocks until the worker has read them).
    // Returns how many; AVERROR_EOF at the end of the file; a negative AVERROR on a read error
    // or when the hasher is gone. An AVIOContext read callback; noexcept.
    int read(std::uint8_t* buf, int size) noexcept;
    // The demuxer is done: the worker hashes the rest of the file without handing it over.
    void close() noexcept;
    // The file is not needed after all (it is opened again another way): the worker stops
    // reading it and its digest does not count.
    void abandon() noexcept;

   private:
    void release_all();  // with the state's mutex held
    std::shared_ptr<State> state_;
    std::shared_ptr<Channel> channel_;
    int current_ = -1;          // the buffer being copied out of, or -1
    std::size_t offset_ = 0;    // in it
    bool done_ = false;         // closed or abandoned
  };

  // `slots`: how many digests finish() returns (one per source segment).
  static Result<std::unique_ptr<SourceHasher>> start(std::size_t slots);
  ~SourceHasher();  // stops the worker; what it had not done is dropped
  SourceHasher(const SourceHasher&) = delete;
  SourceHasher& operator=(const SourceHasher&) = delete;

  // Reads `fd` (from offset 0 to its end) into the digest of `slot` and hands its bytes to the
  // returned feed. A later job for the same slot replaces this one's digest.
  std::unique_ptr<Feed> read(std::size_t slot, fs::UniqueFd fd, std::string name);
  // Hashes `fd` whole into the digest of `slot`.
  void hash(std::size_t slot, fs::UniqueFd fd, std::string name);
  // Waits for every job and returns the digest of each slot, or the first read error.
  Result<std::vector<segment::Sha256>> finish();

 private:
  SourceHasher() = default;
  void submit(std::size_t slot, fs::UniqueFd fd, std::string name, std::shared_ptr<Channel> channel);

  std::shared_ptr<State> state_;
};

}  // namespace carekeep::exports
