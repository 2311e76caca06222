// daemon/tcp_listener: the accept loop the console (web_server) and /metrics (metrics_server)
// share. Binds an `IP:port`, accepts on the loop thread, waits a second after a failed accept
// (out of descriptors) instead of spinning, and admits at most `max_connections` at once and
// `max_per_source` from one source (web::source_key: an address, an IPv6 /64), so that one
// device holding slow connections open cannot take every slot. stop() closes every admitted
// connection still open: a slow client must not hold SIGTERM up until its deadline. Loop
// thread only; never blocks. What a connection does is the caller's (Accepted).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "base/cidr.hpp"
#include "base/error.hpp"

namespace carekeep::daemon {

struct ListenLimits {
  int max_connections = 256;  // beyond this, new connections are closed at once
  int max_per_source = 16;    // a browser opens at most 6 per host; 16 leaves room for tabs
};

// A connection's place in its listener: counted while it lives. Move-only.
class Admission {
 public:
  struct State;
  Admission(std::shared_ptr<State> state, IpAddress source, std::string key, std::uint64_t id);
  Admission(Admission&& other) noexcept;
  Admission& operator=(Admission&&) = delete;
  Admission(const Admission&) = delete;
  ~Admission();
  const IpAddress& source() const { return source_; }
  // How the listener ends this connection at stop(): close its socket. Hold the connection
  // weakly in it, or it never ends.
  void on_stop(std::function<void()> close);

 private:
  std::shared_ptr<State> state_;
  IpAddress source_;
  std::string key_;
  std::uint64_t id_ = 0;
};

class TcpListener {
 public:
  using Accepted = std::function<void(boost::asio::ip::tcp::socket, Admission)>;
  // `what` names the listener in the journal ("web", "metrics"). Unavailable when the
  // address cannot be bound; InvalidArgument when it is not IP:port.
  static Result<std::unique_ptr<TcpListener>> start(boost::asio::io_context& io, std::string_view listen,
                                                    std::string what, ListenLimits limits, Accepted accepted);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  std::uint16_t port() const;
  int connections() const;
  // Stops accepting and closes every admitted connection.
  void stop();

 private:
  explicit TcpListener(std::shared_ptr<Admission::State> state);
  std::shared_ptr<Admission::State> state_;
};

IpAddress address_of(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace carekeep::daemon
