#include "tcp_listener.hpp"

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <optional>

#include "base/log.hpp"
#include "config/config.hpp"
#include "web/guard.hpp"

namespace carekeep::daemon {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

struct Admission::State : std::enable_shared_from_this<Admission::State> {
  State(asio::io_context& io, std::string name, ListenLimits l, TcpListener::Accepted a)
      : acceptor(io), retry(io), what(std::move(name)), limits(l), accepted(std::move(a)) {}

  tcp::acceptor acceptor;
  asio::steady_timer retry;
  std::string what;
  ListenLimits limits;
  TcpListener::Accepted accepted;
  int connections = 0;
  std::map<std::string, int, std::less<>> per_source;
  std::map<std::uint64_t, std::function<void()>> closers;
  std::uint64_t next_id = 1;
  bool stopped = false;
  // Refused connections, said in the journal once a minute with their count, not one by one.
  int refused_unlogged = 0;
  std::optional<std::chrono::steady_clock::time_point> refused_logged;

  void accept();
  void refuse(const std::string& source, const char* reason);
};

Admission::Admission(std::shared_ptr<State> state, IpAddress source, std::string key, std::uint64_t id)
    : state_(std::move(state)), source_(source), key_(std::move(key)), id_(id) {
  ++state_->connections;
  ++state_->per_source[key_];
}

Admission::Admission(Admission&& other) noexcept
    : state_(std::move(other.state_)), source_(other.source_), key_(std::move(other.key_)), id_(other.id_) {}

Admission::~Admission() {
  if (!state_) return;
  --state_->connections;
  if (auto it = state_->per_source.find(key_); it != state_->per_source.end() && --it->second <= 0)
    state_->per_source.erase(it);
  state_->closers.erase(id_);
}

void Admission::on_stop(std::function<void()> close) {
  if (state_) state_->closers[id_] = std::move(close);
}

IpAddress address_of(const tcp::endpoint& endpoint) {
  IpAddress a;
  auto address = endpoint.address();
  if (address.is_v4()) {
    auto bytes = address.to_v4().to_bytes();
    std::copy(bytes.begin(), bytes.end(), a.bytes.begin());
  } else {
    a.v6 = true;
    auto bytes = address.to_v6().to_bytes();
    std::copy(bytes.begin(), bytes.end(), a.bytes.begin());
  }
  return a;
}

void Admission::State::refuse(const std::string& source, const char* reason) {
  auto now = std::chrono::steady_clock::now();
  if (refused_logged && now - *refused_logged < 1min) {
    ++refused_unlogged;
    return;
  }
  log::warn(what + "_connection_refused", {{"source", source},
                                           {"reason", reason},
                                           {"refused_since_last_line", std::to_string(refused_unlogged)}});
  refused_unlogged = 0;
  refused_logged = now;
}

void Admission::State::accept() {
  acceptor.async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
    if (self->stopped || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors and the like: wait instead of spinning on the loop thread.
      log::warn(self->what + "_accept_failed", {{"error", ec.message()}});
      self->retry.expires_after(1s);
      self->retry.async_wait([self](boost::system::error_code wait_ec) {
        if (!wait_ec && !self->stopped) self->accept();
      });
      return;
    }
    boost::system::error_code peer_ec;
    auto peer = socket.remote_endpoint(peer_ec);
    if (peer_ec) {
      socket.close(peer_ec);
      return self->accept();
    }
    auto source = address_of(peer);
    auto key = web::source_key(source);
    auto it = self->per_source.find(key);
    if (self->connections >= self->limits.max_connections) {
      self->refuse(source.to_string(), "too many connections");
      socket.close(peer_ec);
    } else if (it != self->per_source.end() && it->second >= self->limits.max_per_source) {
      self->refuse(source.to_string(), "too many connections from this source");
      socket.close(peer_ec);
    } else {
      self->accepted(std::move(socket), Admission(self, source, std::move(key), self->next_id++));
    }
    self->accept();
  });
}

Result<std::unique_ptr<TcpListener>> TcpListener::start(asio::io_context& io, std::string_view listen, std::string what,
                                                        ListenLimits limits, Accepted accepted) {
  auto address = config::parse_listen(listen);
  if (!address)
    return fail(ErrorKind::InvalidArgument, what + " listen address " + std::string(listen) + " is not IP:port");
  auto state = std::make_shared<Admission::State>(io, what, limits, std::move(accepted));
  boost::system::error_code ec;
  tcp::endpoint endpoint{asio::ip::make_address(address->host, ec), address->port};
  if (!ec) state->acceptor.open(endpoint.protocol(), ec);
  if (!ec) state->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) state->acceptor.bind(endpoint, ec);
  if (!ec) state->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ErrorKind::Unavailable, "listening for " + what + " on " + std::string(listen) + ": " + ec.message());
  state->accept();
  return std::unique_ptr<TcpListener>(new TcpListener(std::move(state)));
}

TcpListener::TcpListener(std::shared_ptr<Admission::State> state) : state_(std::move(state)) {}

TcpListener::~TcpListener() { stop(); }

std::uint16_t TcpListener::port() const {
  boost::system::error_code ec;
  auto endpoint = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

int TcpListener::connections() const { return state_->connections; }

void TcpListener::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  state_->retry.cancel();
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  // A copy: closing may end a connection (and its Admission) at once.
  auto closers = state_->closers;
  for (auto& [id, close] : closers) close();
}

}  // namespace carekeep::daemon
