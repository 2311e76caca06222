// integrity/fragments: finds where a fragmented MP4 left behind by a crash can be cut so that
// what remains is whole: ftyp + moov + complete (moof, mdat) pairs [+ a complete mfra].
// Reads the file front to back with segment::BoxScanner; never writes. Blocking file I/O,
// any thread. It judges box structure only; whether the samples play is probe's business.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "base/error.hpp"

namespace carekeep::integrity {

struct FragmentScan {
  std::uint64_t file_size = 0;
  std::uint64_t header_end = 0;  // end of moov; 0 when ftyp + moov are not both complete
  std::uint64_t clean_end = 0;   // end of the last complete fragment (or mfra); header_end if none
  std::int64_t fragments = 0;    // complete moof + mdat pairs before clean_end
  bool has_trailer = false;      // a complete mfra ends the kept part (the writer closed it)
  std::string problem;           // why nothing usable was found, when fragments == 0

  bool usable() const { return fragments > 0; }
  std::uint64_t bytes_after_cut() const { return file_size - clean_end; }
};

// Scans `path`. Errors only for I/O (NotFound, DataLoss on EIO, ...); a file that is not an
// MP4 at all scans fine with fragments == 0 and a problem in words.
Result<FragmentScan> scan_fragments(const std::filesystem::path& path);

}  // namespace carekeep::integrity
