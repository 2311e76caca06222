#include "fakecam/pacer.hpp"

#include <condition_variable>
#include <mutex>

#include "base/log.hpp"

namespace carekeep::fakecam {

void pace_frames(std::stop_token stop, std::chrono::steady_clock::time_point epoch, std::int64_t first_frame, int fps,
                 std::string_view who_key, const std::string& who, const std::function<void(std::int64_t)>& on_frame) {
  using namespace std::chrono;
  constexpr auto kMaxLateness = milliseconds(200);
  const std::int64_t rate = fps;
  auto due_of = [&](std::int64_t n) { return epoch + nanoseconds(n * 1'000'000'000 / rate); };
  std::mutex mutex;
  std::condition_variable_any wake;  // only ever woken by the stop request
  std::uint64_t skips = 0;
  for (std::int64_t index = first_frame; !stop.stop_requested(); ++index) {
    const auto due = due_of(index);
    {
      std::unique_lock lock(mutex);
      wake.wait_until(lock, stop, due, [] { return false; });
    }
    if (stop.stop_requested()) break;
    const auto late = steady_clock::now() - due;
    if (late > kMaxLateness) {
      const auto missed = duration_cast<nanoseconds>(late).count() * rate / 1'000'000'000;
      if (skips++ % 100 == 0) {
        log::warn("fakecam_frames_skipped", {{who_key, who}, {"frames", std::to_string(missed)}});
      }
      index += missed;
    }
    on_frame(index);
  }
}

}  // namespace carekeep::fakecam
