#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

#include <nlohmann/json.hpp>

namespace carekeep::cli {

ProgressBar::ProgressBar(std::string label, bool json)
    : label_(std::move(label)),
      json_(json),
      tty_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_(start_ - std::chrono::seconds(1)) {}

void ProgressBar::update(std::uint64_t done, std::uint64_t total, const std::string& what) {
  if (!json_ && !tty_) return;
  auto now = std::chrono::steady_clock::now();
  bool final = total > 0 && done >= total;
  if (!final && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  double eta = rate > 0 && total > done ? static_cast<double>(total - done) / rate : 0;
  double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0;
  if (json_) {
    nlohmann::ordered_json line{{"event", "progress"},      {"task", label_},
                                {"item", what},             {"bytes_done", done},
                                {"bytes_total", total},     {"fraction", fraction},
                                {"rate_bytes_per_s", rate}, {"eta_s", eta}};
    std::printf("%s\n", line.dump().c_str());
    std::fflush(stdout);
    return;
  }
  constexpr int kWidth = 28;
  int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kWidth - filled), '.');
  std::fprintf(stderr, "\r%s [%s] %5.1f%%  %7.1f MB/s  ETA %4.0fs  %-16.16s", label_.c_str(), bar.c_str(),
               fraction * 100, rate / 1e6, eta, what.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (drawn_ && tty_ && !json_) {
    std::fprintf(stderr, "\r%*s\r", 100, "");
    std::fflush(stderr);
  }
}

}  // namespace carekeep::cli
