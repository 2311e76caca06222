// The one translation unit with Beast's HTTP and SSL headers for the console (they cost
// seconds of compile time in each file that includes them).
#include "web_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <type_traits>
#include <variant>

#include "base/log.hpp"
#include "tcp_listener.hpp"
#include "web/password.hpp"

namespace carekeep::daemon {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {
std::string text(beast::string_view s) { return std::string(s.data(), s.size()); }
constexpr int kMaxPendingChecks = 32;  // password checks queued for the hashing thread
constexpr std::size_t kMaxHeader = 8 * 1024;
constexpr std::size_t kMaxRequestBuffer = 2 * (kMaxHeader + web::kMaxBody);
}  // namespace

struct WebServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& context, config::Web web_config, std::unique_ptr<web::Console> c)
      : io(context), refusals(context), tls(ssl::context::tls_server), web(std::move(web_config)), console(std::move(c)) {}

  asio::io_context& io;
  std::unique_ptr<TcpListener> listener;
  asio::steady_timer refusals;  // writes the refused logins' counts every minute
  ssl::context tls;
  config::Web web;
  std::string fingerprint;
  std::unique_ptr<web::Console> console;
  asio::thread_pool hashing{1};  // scrypt, off the loop
  int pending_checks = 0;
  bool stopped = false;

  void connected(tcp::socket socket, Admission admission);
  void flush_refusals_every_minute() {
    refusals.expires_after(1min);
    refusals.async_wait([weak = weak_from_this()](beast::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopped) return;
      self->console->flush_refusals();
      self->flush_refusals_every_minute();
    });
  }
};

namespace {

template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(Stream stream, std::shared_ptr<WebServer::Impl> server, Admission admission)
      : stream_(std::move(stream)), server_(std::move(server)), admission_(std::move(admission)) {}

  void run() {
    // At stop the listener closes the socket: pending reads and writes end, and so does this.
    admission_.on_stop([weak = this->weak_from_this()] {
      if (auto self = weak.lock()) beast::get_lowest_layer(self->stream_).close();
    });
    beast::get_lowest_layer(stream_).expires_after(10s);
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read();
    } else {
      stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (!ec) self->read();
      });
    }
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(kMaxHeader);
    parser_->body_limit(web::kMaxBody);
    http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit || ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      web::Response r;
      r.status = 413;
      r.content_type = "text/plain; charset=utf-8";
      r.body = "request too large\n";
      return write(r);
    }
    if (ec) return;  // the client went away, timed out or sent something that is not HTTP
    if (server_->stopped) return;
    const auto& req = parser_->get();
    web::Request request;
    request.method = text(req.method_string());
    request.target = text(req.target());
    request.cookie = text(req[http::field::cookie]);
    request.content_type = text(req[http::field::content_type]);
    request.body = req.body();
    request.source = admission_.source();
    head_ = req.method() == http::verb::head;
    version_ = req.version();
    auto outcome = server_->console->handle(request);
    if (auto* response = std::get_if<web::Response>(&outcome)) return write(*response);
    auto check = std::get<web::Console::PasswordCheck>(std::move(outcome));
    if (server_->pending_checks >= kMaxPendingChecks) {
      web::Response busy;
      busy.status = 503;
      busy.content_type = "text/plain; charset=utf-8";
      busy.body = "busy; try again in a moment\n";
      busy.headers.emplace_back("Retry-After", "5");
      return write(busy);
    }
    ++server_->pending_checks;
    asio::post(server_->hashing, [self = this->shared_from_this(), check = std::move(check)]() mutable {
      bool matched = web::verify_password(check.password, check.stored_hash);
      asio::post(self->server_->io, [self, check = std::move(check), matched] {
        --self->server_->pending_checks;
        if (self->server_->stopped) return;
        self->write(self->server_->console->finish_login(check, matched));
      });
    });
  }

  void write(const web::Response& r) {
    response_.version(version_);
    response_.keep_alive(false);
    response_.result(static_cast<unsigned>(r.status));
    response_.set(http::field::server, "carekeepd");
    response_.set(http::field::content_type, r.content_type);
    response_.set(http::field::cache_control, "no-store");
    response_.set("X-Content-Type-Options", "nosniff");
    response_.set("X-Frame-Options", "DENY");
    response_.set("Referrer-Policy", "no-referrer");
    response_.set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'");
    if (server_->web.https) response_.set(http::field::strict_transport_security, "max-age=31536000");
    for (const auto& [name, value] : r.headers) response_.insert(name, value);
    response_.body() = head_ ? std::string() : r.body;
    response_.prepare_payload();
    if (head_) response_.content_length(r.body.size());
    http::async_write(stream_, response_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->close(ec);
    });
  }

  void close(beast::error_code) {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    } else {
      beast::get_lowest_layer(stream_).expires_after(2s);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    }
  }

  Stream stream_;
  std::shared_ptr<WebServer::Impl> server_;
  Admission admission_;
  // Bounded: Beast bounds the header and the body, not a chunk's extensions, which it keeps
  // whole in this buffer (one chunked request with a 384 MiB extension took the daemon's RSS
  // from 36 to 418 MiB). Everything a request may hold fits in it.
  beast::flat_buffer buffer_{kMaxRequestBuffer};
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  bool head_ = false;
  unsigned version_ = 11;
};

}  // namespace

void WebServer::Impl::connected(tcp::socket socket, Admission admission) {
  if (web.https) {
    std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
        beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), tls), shared_from_this(),
        std::move(admission))
        ->run();
  } else {
    std::make_shared<Connection<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), shared_from_this(),
                                                    std::move(admission))
        ->run();
  }
}

Result<std::unique_ptr<WebServer>> WebServer::start(asio::io_context& io, const config::Web& web,
                                                    std::optional<web::Certificate> certificate,
                                                    std::unique_ptr<web::Console> console) {
  auto address = config::parse_listen(web.listen);
  if (!address) return fail(ErrorKind::InvalidArgument, "web listen address " + web.listen + " is not IP:port");
  if (!web.https && !address->loopback)
    return fail(ErrorKind::InvalidArgument, "plain HTTP for the console only on loopback");
  auto impl = std::make_shared<Impl>(io, web, std::move(console));
  if (web.https) {
    if (!certificate) return fail(ErrorKind::FailedPrecondition, "the console needs its certificate for HTTPS");
    beast::error_code ec;
    impl->tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                          ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    impl->tls.use_certificate_chain(asio::buffer(certificate->certificate_pem), ec);
    if (!ec) impl->tls.use_private_key(asio::buffer(certificate->key_pem), ssl::context::pem, ec);
    if (ec) return fail(ErrorKind::FailedPrecondition, "loading the console's certificate: " + ec.message());
    impl->fingerprint = certificate->fingerprint_sha256;
  }
  // The listener holds the server weakly: the server owns the listener.
  auto listener = TcpListener::start(io, web.listen, "web", ListenLimits{},
                                     [weak = std::weak_ptr<Impl>(impl)](tcp::socket socket, Admission admission) {
                                       if (auto self = weak.lock()) self->connected(std::move(socket), std::move(admission));
                                     });
  if (!listener) return tl::unexpected(std::move(listener.error()));
  impl->listener = std::move(*listener);
  impl->flush_refusals_every_minute();
  return std::unique_ptr<WebServer>(new WebServer(std::move(impl)));
}

WebServer::WebServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebServer::~WebServer() {
  stop();
  impl_->hashing.join();
}

std::uint16_t WebServer::port() const { return impl_->listener->port(); }

status::Web WebServer::status() const { return {impl_->web.listen, port(), impl_->web.https, impl_->fingerprint}; }

web::Console& WebServer::console() { return *impl_->console; }

void WebServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->refusals.cancel();
  impl_->console->flush_refusals(true);
  impl_->listener->stop();
}

}  // namespace carekeep::daemon
