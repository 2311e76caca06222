// fakecam/pacer: the frame clock of a simulated camera or encoder. Runs on the caller's
// pacing thread and blocks until stop is requested.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>

namespace carekeep::fakecam {

// Calls on_frame(n) for n = first_frame, first_frame + 1, ... with frame n due at
// epoch + n / fps, until stop is requested. A thread more than 200 ms behind skips the
// frames it missed (logged on the 1st, 101st, ... time) instead of sending a burst: a real
// camera drops frames, it does not speed up. `who` names the pacer in that log line.
void pace_frames(std::stop_token stop, std::chrono::steady_clock::time_point epoch, std::int64_t first_frame, int fps,
                 std::string_view who_key, const std::string& who, const std::function<void(std::int64_t)>& on_frame);

}  // namespace carekeep::fakecam
