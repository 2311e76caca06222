// A real HTTP receiver on 127.0.0.1 (an ephemeral port) for webhook tests: Boost.Beast on its
// own thread, recording every request and answering with scripted statuses, a robot's refusal,
// or not at all (hang). Header-only. closed_port(): a port nothing listens on, for an endpoint
// that is down until a Receiver is started on it. accepted() and json_notices() read what a
// receiver got.
#pragma once

#include <atomic>
#include <cstdint>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace carekeep::test {

// A port nothing listens on: bound once by the kernel's choice, then released.
inline std::uint16_t closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

struct Received {
  std::string target;
  std::string body;
  unsigned status = 200;  // what the receiver answered
};

// An HTTP server answering each POST with the next scripted status (the `answer` status, 200
// unless set, once the script is used up), or never answering at all while `hang` is set.
class Receiver {
 public:
  // With `tls`, an https server presenting that context's certificate. `port` 0: an ephemeral
  // one; a given port lets a test bring up an endpoint that was down (connection refused).
  explicit Receiver(boost::asio::ssl::context* tls = nullptr, std::uint16_t port = 0)
      : tls_(tls), acceptor_(io_, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port)) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Receiver() {
    boost::asio::post(io_, [this] {
      acceptor_.close();
      for (auto& s : hung_) s->close();
    });
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port()) + path; }
  void script(std::vector<unsigned> statuses) {
    std::lock_guard lock(mutex_);
    statuses_.assign(statuses.begin(), statuses.end());
  }
  // The status of every request the script does not cover, e.g. 503 for an endpoint that
  // refuses everything until set back to 200.
  void answer(unsigned status) { default_status_ = status; }
  void hang(bool on) { hang_ = on; }
  // Answers 200 with a robot's refusal, as DingTalk does for a wrong signature.
  void refuse(bool on) { refuse_ = on; }
  std::vector<Received> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::size_t count() const { return received().size(); }
  int handshake_failures() const { return handshake_failures_; }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::beast::error_code ec, boost::asio::ip::tcp::socket socket) {
      if (ec) return;
      serve(std::move(socket));
      accept();
    });
  }
  // Synchronous on the receiver's own thread: requests come one at a time anyway.
  void serve(boost::asio::ip::tcp::socket socket) {
    if (tls_ == nullptr) return handle(socket);
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream(std::move(socket), *tls_);
    boost::beast::error_code ec;
    stream.handshake(boost::asio::ssl::stream_base::server, ec);
    if (ec) {
      ++handshake_failures_;
      return;
    }
    handle(stream);
  }
  template <class Stream>
  void handle(Stream& socket) {
    boost::beast::flat_buffer buffer;
    boost::beast::http::request<boost::beast::http::string_body> req;
    boost::beast::error_code ec;
    boost::beast::http::read(socket, buffer, req, ec);
    if (ec) return;
    unsigned status = default_status_;
    {
      std::lock_guard lock(mutex_);
      if (!statuses_.empty()) {
        status = statuses_.front();
        statuses_.pop_front();
      }
      received_.push_back({std::string(req.target()), req.body(), status});
    }
    if (hang_) {
      if constexpr (std::is_same_v<Stream, boost::asio::ip::tcp::socket>) {
        hung_.push_back(std::make_shared<boost::asio::ip::tcp::socket>(std::move(socket)));
      }
      return;
    }
    boost::beast::http::response<boost::beast::http::string_body> res{static_cast<boost::beast::http::status>(status), 11};
    res.body() = refuse_ ? R"({"errcode":310000,"errmsg":"sign not match"})" : R"({"errcode":0})";
    res.prepare_payload();
    boost::beast::http::write(socket, res, ec);
  }

  boost::asio::ssl::context* tls_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::deque<unsigned> statuses_;
  std::vector<Received> received_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> hung_;
  std::atomic<unsigned> default_status_{200};
  std::atomic<bool> hang_{false};
  std::atomic<bool> refuse_{false};
  std::atomic<int> handshake_failures_{0};
};

// The requests answered 2xx, in arrival order.
inline std::vector<Received> accepted(const std::vector<Received>& requests) {
  std::vector<Received> out;
  for (const auto& r : requests) {
    if (r.status >= 200 && r.status <= 299) out.push_back(r);
  }
  return out;
}

// The notices of json-format webhook bodies, in order, a coalesced message's unpacked.
inline std::vector<nlohmann::json> json_notices(const std::vector<Received>& requests) {
  std::vector<nlohmann::json> out;
  for (const auto& r : requests) {
    nlohmann::json body = nlohmann::json::parse(r.body);
    if (body["event"] == "coalesced") {
      for (const auto& n : body["notices"]) out.push_back(n);
    } else {
      out.push_back(body);
    }
  }
  return out;
}

}  // namespace carekeep::test
