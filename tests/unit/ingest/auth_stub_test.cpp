// Authentication of the native client against a tiny loopback RTSP stub (fakecam has no
// authentication): the stub challenges DESCRIBE with Digest (or Basic), checks the answer
// independently, and replies 404 when it is right, so "not_found" proves the login worked.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <thread>

#include "ingest/rtsp_protocol.hpp"
#include "ingest/source.hpp"

using namespace carekeep;
using namespace carekeep::ingest;

namespace {

class AuthStub {
 public:
  explicit AuthStub(bool digest) : digest_(digest) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(listener_, 4);
    thread_ = std::thread([this] { serve(); });
  }
  ~AuthStub() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  std::string url(const std::string& credentials) const {
    return "rtsp://" + credentials + "127.0.0.1:" + std::to_string(port_) + "/stream";
  }
  int accepted() const { return accepted_.load(); }
  std::string last_authorization() const { return last_authorization_; }

 private:
  void serve() {
    for (;;) {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      std::string buffer;
      char chunk[4096];
      for (;;) {
        rtsp::Response req;
        auto used = rtsp::parse_message(buffer, req);
        if (used && *used > 0) {
          buffer.erase(0, *used);
          std::string reply = answer(req);
          (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
          continue;
        }
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      ::close(fd);
    }
  }

  std::string answer(const rtsp::Response& req) {
    std::string cseq = std::string(req.header("CSeq").value_or("0"));
    auto reply = [&](const std::string& status, const std::string& headers) {
      return "RTSP/1.0 " + status + "\r\nCSeq: " + cseq + "\r\n" + headers + "\r\n";
    };
    if (req.reason == "OPTIONS") return reply("200 OK", "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n");
    if (req.reason != "DESCRIBE") return reply("405 Method Not Allowed", "");
    ++accepted_;
    auto auth = req.header("Authorization");
    std::string challenge = digest_ ? "WWW-Authenticate: Digest realm=\"stub\", nonce=\"n0nce\", qop=\"auth\"\r\n"
                                    : "WWW-Authenticate: Basic realm=\"stub\"\r\n";
    if (!auth) return reply("401 Unauthorized", challenge);
    last_authorization_ = std::string(*auth);
    if (!digest_) {
      bool right = *auth == "Basic " + rtsp::base64_encode("admin:s3cret");
      return right ? reply("404 Not Found", "") : reply("401 Unauthorized", challenge);
    }
    // Digest username="admin", realm="stub", nonce="n0nce", uri="...", response="...", qop=auth, nc=..., cnonce="..."
    std::map<std::string, std::string> params;
    std::string_view rest = *auth;
    rest.remove_prefix(7);
    while (!rest.empty()) {
      auto eq = rest.find('=');
      if (eq == std::string_view::npos) break;
      std::string key(rest.substr(0, eq));
      while (!key.empty() && (key.front() == ' ' || key.front() == ',')) key.erase(0, 1);
      rest.remove_prefix(eq + 1);
      std::string value;
      if (!rest.empty() && rest.front() == '"') {
        auto close = rest.find('"', 1);
        value = std::string(rest.substr(1, close - 1));
        rest.remove_prefix(close + 1);
      } else {
        auto comma = rest.find(',');
        value = std::string(rest.substr(0, comma));
        rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma);
      }
      params[key] = value;
    }
    std::string ha1 = rtsp::md5_hex("admin:stub:s3cret");
    std::string ha2 = rtsp::md5_hex("DESCRIBE:" + params["uri"]);
    std::string expected = rtsp::md5_hex(ha1 + ":n0nce:" + params["nc"] + ":" + params["cnonce"] + ":auth:" + ha2);
    bool right = params["username"] == "admin" && params["response"] == expected && params["uri"] == url("") &&
                 params["qop"] == "auth" && !params["cnonce"].empty();
    return right ? reply("404 Not Found", "") : reply("401 Unauthorized", challenge);
  }

  bool digest_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<int> accepted_{0};
  std::string last_authorization_;
};

Failure open_failure(const std::string& url, bool allow_basic = false, Client client = Client::Native) {
  SourceOptions options;
  options.client = client;
  options.allow_basic_auth = allow_basic;
  options.connect_timeout = std::chrono::milliseconds(3000);
  std::stop_source stop;
  auto source = open_source(url, options, stop.get_token());
  REQUIRE_FALSE(source);
  return source.error();
}

}  // namespace

TEST_CASE("the native client logs in with Digest MD5 and reports a wrong password as auth_failed", "[ingest]") {
  AuthStub stub(true);
  auto right = open_failure(stub.url("admin:s3cret@"));
  CHECK(right.cause == DownCause::NotFound);  // past the login
  CHECK(stub.last_authorization().rfind("Digest ", 0) == 0);
  CHECK(stub.last_authorization().find("s3cret") == std::string::npos);

  auto wrong = open_failure(stub.url("admin:wrong@"));
  CHECK(wrong.cause == DownCause::AuthFailed);
  CHECK(wrong.detail.find("wrong") == std::string::npos);

  auto none = open_failure(stub.url(""));
  CHECK(none.cause == DownCause::AuthFailed);
  CHECK(none.detail.find("user name and password") != std::string::npos);
}

TEST_CASE("Basic authentication over plain RTSP is refused unless the camera allows it, then it logs in", "[ingest]") {
  AuthStub stub(false);
  auto refused = open_failure(stub.url("admin:s3cret@"));
  CHECK(refused.cause == DownCause::AuthFailed);
  CHECK(refused.detail.find("allow_basic_auth") != std::string::npos);
  CHECK(refused.detail.find("s3cret") == std::string::npos);
  CHECK(stub.last_authorization().empty());  // the password never went out
  CHECK(open_failure(stub.url("admin:s3cret@"), true).cause == DownCause::NotFound);
  CHECK(open_failure(stub.url("admin:nope@"), true).cause == DownCause::AuthFailed);
}

TEST_CASE("libavformat's client is refused a camera that offers only Basic over plain RTSP, before it sends the password", "[ingest]") {
  for (const char* transport : {"tcp", "udp"}) {
    INFO(transport);
    AuthStub stub(false);
    SourceOptions options;
    options.client = Client::Libavformat;
    options.transport = transport;
    options.connect_timeout = std::chrono::milliseconds(3000);
    std::stop_source stop;
    auto refused = open_source(stub.url("admin:s3cret@"), options, stop.get_token());
    REQUIRE_FALSE(refused);
    CHECK(refused.error().cause == DownCause::AuthFailed);
    CHECK(refused.error().detail.find("allow_basic_auth") != std::string::npos);
    CHECK(refused.error().detail.find("s3cret") == std::string::npos);
    CHECK(stub.last_authorization().empty());  // the pre-flight asked, FFmpeg never connected
  }
  // Allowed: FFmpeg logs in with Basic and reaches the stub's 404.
  AuthStub stub(false);
  CHECK(open_failure(stub.url("admin:s3cret@"), true, Client::Libavformat).cause == DownCause::NotFound);
  CHECK(stub.last_authorization() == "Basic " + rtsp::base64_encode("admin:s3cret"));
}

TEST_CASE("libavformat's client still logs in with Digest after the pre-flight", "[ingest]") {
  AuthStub stub(true);
  CHECK(open_failure(stub.url("admin:s3cret@"), false, Client::Libavformat).cause == DownCause::NotFound);
  CHECK(stub.last_authorization().rfind("Digest ", 0) == 0);
  CHECK(open_failure(stub.url("admin:wrong@"), false, Client::Libavformat).cause == DownCause::AuthFailed);
}
