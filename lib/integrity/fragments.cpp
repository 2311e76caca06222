#include "integrity/fragments.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "base/fd.hpp"
#include "segment/box_scanner.hpp"

namespace carekeep::integrity {
namespace {

using Type = std::array<char, 4>;
constexpr Type kFtyp{'f', 't', 'y', 'p'};
constexpr Type kMoov{'m', 'o', 'o', 'v'};
constexpr Type kMoof{'m', 'o', 'o', 'f'};
constexpr Type kMdat{'m', 'd', 'a', 't'};
constexpr Type kMfra{'m', 'f', 'r', 'a'};

Error io_error(int err, std::string what) {
  ErrorKind kind = err == ENOENT ? ErrorKind::NotFound
                   : err == EIO  ? ErrorKind::DataLoss
                                 : ErrorKind::FailedPrecondition;
  return Error{kind, std::move(what) + ": " + std::strerror(err)};
}

// The size of the box whose header starts at `offset`, from its 8- or 16-byte header;
// nullopt when the header is cut short or says "to the end of the file" (size 0), which a
// writer that was interrupted cannot be trusted to mean.
Result<std::optional<std::uint64_t>> box_size_at(int fd, std::uint64_t offset, const std::filesystem::path& path) {
  std::array<std::uint8_t, 16> h{};
  ssize_t n = -1;
  do {
    n = ::pread(fd, h.data(), h.size(), static_cast<off_t>(offset));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return tl::unexpected(io_error(errno, "reading " + path.string()));
  auto header = segment::read_box_header(std::span<const std::uint8_t>(h.data(), static_cast<std::size_t>(n)));
  if (!header || header->size == 0) return std::optional<std::uint64_t>{};
  return std::optional<std::uint64_t>{header->size};
}

}  // namespace

Result<FragmentScan> scan_fragments(const std::filesystem::path& path) {
  auto opened = fs::open_regular_file(path);  // a FIFO here would block recovery forever
  if (!opened) return tl::unexpected(std::move(opened.error()));
  fs::UniqueFd fd = std::move(*opened);
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);

  segment::BoxScanner scanner;
  std::vector<segment::BoxScanner::Boundary> boxes;
  std::vector<std::uint8_t> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(io_error(errno, "reading " + path.string()));
    }
    if (n == 0) break;
    scanner.feed(std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n)),
                 [&](const segment::BoxScanner::Boundary& b) { boxes.push_back(b); });
    if (!scanner.ok()) break;  // a malformed header: nothing after it can be trusted
  }

  FragmentScan scan;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return tl::unexpected(io_error(errno, "reading the size of " + path.string()));
  scan.file_size = static_cast<std::uint64_t>(st.st_size);

  // Every box but the last ends where the next begins; the last one is whole only if its
  // header's size fits inside the file (a few bytes of the next header may follow it).
  std::size_t complete = boxes.size();
  std::uint64_t last_end = scan.file_size;
  if (!boxes.empty()) {
    auto size = box_size_at(fd.get(), boxes.back().offset, path);
    if (!size) return tl::unexpected(size.error());
    if (!*size || boxes.back().offset + **size > scan.file_size) --complete;
    else last_end = boxes.back().offset + **size;
  }
  auto end_of = [&](std::size_t i) {  // only for complete boxes
    return i + 1 < boxes.size() ? boxes[i + 1].offset : last_end;
  };

  if (boxes.empty() || boxes[0].type != kFtyp || complete == 0) {
    scan.problem = "not an MP4 file (no complete ftyp box at the start)";
    return scan;
  }
  bool moof_pending = false;
  for (std::size_t i = 1; i < complete; ++i) {
    const auto& type = boxes[i].type;
    if (scan.header_end == 0) {
      if (type == kMoov) {
        scan.header_end = scan.clean_end = end_of(i);
      } else if (type == kMoof || type == kMdat || type == kMfra) {
        scan.problem = "media data before the movie header (not a fragmented MP4 with an empty moov)";
        return scan;
      }
      continue;  // free, uuid, ... between ftyp and moov are harmless
    }
    if (type == kMoof) {
      moof_pending = true;
    } else if (type == kMdat && moof_pending) {
      moof_pending = false;
      ++scan.fragments;
      scan.clean_end = end_of(i);
    } else if (type == kMfra && !moof_pending) {
      scan.has_trailer = true;
      scan.clean_end = end_of(i);
      break;  // the writer's last box: anything after it was not written by it
    } else {
      // Anything else (an mdat without its moof, a box the writer never emits) ends the
      // trustworthy part.
      break;
    }
  }
  if (scan.header_end == 0) {
    scan.problem = "no complete movie header (moov)";
  } else if (scan.fragments == 0) {
    scan.problem = "no complete fragment after the movie header (" + std::to_string(scan.file_size) + " bytes)";
  }
  return scan;
}

}  // namespace carekeep::integrity
