#include "ingest/tcp.hpp"

#include <fcntl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cerrno>
#include <cstring>

namespace carekeep::ingest::tcp {

tl::expected<int, Failure> connect(const std::string& host, std::uint16_t port, std::chrono::steady_clock::time_point deadline,
                                   std::chrono::milliseconds timeout, const std::stop_token& stop, const std::string& shown_url) {
  namespace asio = boost::asio;
  using tcp = asio::ip::tcp;
  using SteadyClock = std::chrono::steady_clock;
  constexpr std::chrono::milliseconds kSlice{100};
  asio::io_context io;
  tcp::resolver resolver(io);
  tcp::socket socket(io);
  boost::system::error_code result = asio::error::timed_out;
  bool done = false;
  resolver.async_resolve(host, std::to_string(port), tcp::resolver::numeric_service,
                         [&](const boost::system::error_code& ec, const tcp::resolver::results_type& results) {
                           if (ec) {
                             result = ec;
                             done = true;
                             return;
                           }
                           asio::async_connect(socket, results, [&](const boost::system::error_code& ec2, const tcp::endpoint&) {
                             result = ec2;
                             done = true;
                           });
                         });
  while (!done && !stop.stop_requested()) {
    auto now = SteadyClock::now();
    if (now >= deadline) break;
    io.run_for(std::min<SteadyClock::duration>(kSlice, deadline - now));
    if (io.stopped() && !done) io.restart();
  }
  if (!done) {
    resolver.cancel();
    boost::system::error_code ignored;
    socket.close(ignored);
    if (stop.stop_requested()) return tl::unexpected(Failure{DownCause::Protocol, "stopped"});
    return tl::unexpected(
        Failure{DownCause::Timeout, "connecting to " + shown_url + ": no answer within " + std::to_string(timeout.count()) + " ms"});
  }
  if (result) {
    std::string detail = "connecting to " + shown_url + ": " + result.message();
    if (result == asio::error::connection_refused) return tl::unexpected(Failure{DownCause::Refused, detail});
    if (result == asio::error::host_unreachable || result == asio::error::network_unreachable ||
        result == asio::error::host_not_found || result == asio::error::host_not_found_try_again || result == asio::error::no_data) {
      return tl::unexpected(Failure{DownCause::Unreachable, detail});
    }
    if (result == asio::error::timed_out) return tl::unexpected(Failure{DownCause::Timeout, detail});
    return tl::unexpected(Failure{DownCause::Protocol, detail});
  }
  int fd = ::fcntl(socket.native_handle(), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return tl::unexpected(Failure{DownCause::Protocol, std::string("duplicating the socket: ") + std::strerror(errno)});
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

}  // namespace carekeep::ingest::tcp
