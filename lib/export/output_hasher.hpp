// export/output_hasher: the SHA-256 of an output file, computed while the muxer writes it, for
// a file whose head (everything before the media: ftyp, moov in the space reserved for it,
// the mdat header) is known before the media is written (export/remux foretells it with a dry
// run). A second thread hashes the foretold head, then reads back and hashes the media as it
// is written (from the page cache, where it has just gone), starting each stretch's
// write-back behind it so that the final fsync has little left to wait for.
//
// It relies on the mp4 muxer writing the media once, in order, after the head; a write there
// out of order, or a read error, spoils the digest: finish() then says so and the caller
// hashes the finished file from disk. What the muxer writes into the head itself is not seen
// here: the caller compares it with the foretold head once the file is finished.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "segment/hash.hpp"

namespace carekeep::exports {

class OutputHasher {
 public:
  // `fd`: the output file, open for reading (the caller keeps it open until finish()).
  static Result<std::unique_ptr<OutputHasher>> start(int fd, std::vector<std::uint8_t> head);
  ~OutputHasher();  // stops the thread; the digest is dropped
  OutputHasher(const OutputHasher&) = delete;
  OutputHasher& operator=(const OutputHasher&) = delete;

  const std::vector<std::uint8_t>& head() const;
  // The muxer wrote [pos, pos + size) (an av::FdOutput observer; the muxer's thread).
  void wrote(std::int64_t pos, std::size_t size);
  // Everything is written and the file is `size` bytes long: waits for the thread and returns
  // the digest, or nullopt if it was spoiled (the media was not written once and in order up
  // to `size`, or reading it back failed).
  std::optional<segment::Sha256> finish(std::uint64_t size);

 private:
  struct State;
  OutputHasher() = default;
  std::shared_ptr<State> state_;
};

}  // namespace carekeep::exports
