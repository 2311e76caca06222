// daemon/web_server: the operator's console on the network (issue 16; docs/console.md, `[web]
// listen`). Only the socket binding: Boost.Beast over TCP, with TLS (the self-signed
// certificate of lib/web/certificate) unless the config allows plain HTTP on loopback. Every
// request goes to web::Console on the loop thread; the one slow step, checking a password
// (scrypt, ~50 ms and 16 MiB), runs on a thread of its own and posts the answer back, so
// nothing here blocks the loop or the recorders. One request per connection, 10 s deadline
// from accept to the last byte (the TLS handshake included), bounded header and body sizes,
// at most 256 connections and 16 from one source (daemon/tcp_listener).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "base/error.hpp"
#include "config/config.hpp"
#include "status/status.hpp"
#include "web/certificate.hpp"
#include "web/console.hpp"

namespace carekeep::daemon {

class WebServer {
 public:
  // Binds `web.listen` and starts accepting. `certificate` must be set when web.https.
  static Result<std::unique_ptr<WebServer>> start(boost::asio::io_context& io, const config::Web& web,
                                                  std::optional<web::Certificate> certificate,
                                                  std::unique_ptr<web::Console> console);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  std::uint16_t port() const;
  status::Web status() const;
  web::Console& console();
  // Stops accepting and closes every connection still open (SIGTERM does not wait for a slow
  // client); a password check in flight finishes on its thread and is dropped.
  void stop();

  struct Impl;

 private:
  explicit WebServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace carekeep::daemon
