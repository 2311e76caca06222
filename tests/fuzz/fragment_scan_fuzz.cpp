// Fuzzes crash recovery's walk of a damaged segment file (integrity::scan_fragments, which
// recovery runs on every segment a crash left open): the input is written to a file, scanned,
// and the result checked against FragmentScan's contract. Recovery then cuts the file at
// clean_end; a second scan of the cut file must keep exactly what the first one promised, or
// a second crash during recovery would lose more (or keep different) footage.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "fuzz_input.hpp"
#include "integrity/fragments.hpp"

using namespace carekeep;

namespace {

std::string scratch_file() {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/carekeep-fuzz-fragments-" +
         std::to_string(::getpid()) + ".mp4.partial";
}

void write_file(const std::string& path, const std::uint8_t* data, std::size_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  FUZZ_CHECK(fd >= 0);
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    FUZZ_CHECK(n > 0);
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = scratch_file();
  write_file(path, data, size);
  auto scan = integrity::scan_fragments(path);
  FUZZ_CHECK(scan.has_value());
  FUZZ_CHECK(scan->file_size == size);
  FUZZ_CHECK(scan->clean_end <= scan->file_size);
  FUZZ_CHECK(scan->header_end <= scan->clean_end);
  FUZZ_CHECK(scan->fragments >= 0);
  FUZZ_CHECK(scan->usable() == (scan->fragments > 0));
  FUZZ_CHECK(scan->usable() || !scan->problem.empty());
  FUZZ_CHECK(scan->header_end > 0 || (scan->fragments == 0 && !scan->has_trailer));
  if (scan->usable()) {
    FUZZ_CHECK(::truncate(path.c_str(), static_cast<off_t>(scan->clean_end)) == 0);
    auto again = integrity::scan_fragments(path);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->file_size == scan->clean_end);
    FUZZ_CHECK(again->clean_end == scan->clean_end);
    FUZZ_CHECK(again->header_end == scan->header_end);
    FUZZ_CHECK(again->fragments == scan->fragments);
    FUZZ_CHECK(again->has_trailer == scan->has_trailer);
  }
  return 0;
}
