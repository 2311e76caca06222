// ingest/tcp: the TCP connect every camera session starts with (Boost.Asio's resolver and
// connect under a deadline, checking the stop token every 100 ms), handing back a plain
// non-blocking socket, so Asio stays inside this file and callers poll/recv themselves.
#pragma once

#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>

#include "ingest/source.hpp"

namespace carekeep::ingest::tcp {

// A connected, non-blocking, close-on-exec socket the caller owns, or the failure classified
// (refused, unreachable, timeout; "stopped" when `stop` was requested). `timeout` is only
// quoted in the timeout's detail; `shown_url` is the redacted URL for details.
tl::expected<int, Failure> connect(const std::string& host, std::uint16_t port, std::chrono::steady_clock::time_point deadline,
                                   std::chrono::milliseconds timeout, const std::stop_token& stop, const std::string& shown_url);

}  // namespace carekeep::ingest::tcp
