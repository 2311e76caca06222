// carekeep CLI: progress of long commands (export, verify). On a terminal, one redrawn line
// on stderr: a bar, percent, rate and ETA; with --json, one JSON object per line on stdout
// ({"event":"progress",...}), at most a few per second; otherwise nothing. CLI thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace carekeep::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, bool json);
  // bytes_done of bytes_total; `what` is shown (camera id, ...). Throttled to ~5 per second.
  void update(std::uint64_t done, std::uint64_t total, const std::string& what = {});
  // Clears the terminal line (or prints nothing in JSON mode).
  void finish();

 private:
  std::string label_;
  bool json_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  bool drawn_ = false;
};

}  // namespace carekeep::cli
