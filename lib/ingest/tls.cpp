#include "ingest/tls.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <ctime>

#include "base/text.hpp"
#include "ingest/rtsp_protocol.hpp"
#include "ingest/tcp.hpp"

namespace carekeep::ingest::tls {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kSlice{100};  // longest wait between checks of the stop token

struct CtxFree {
  void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const noexcept { SSL_free(s); }
};
struct X509Free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct BioFree {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};

// OpenSSL's socket BIO writes with write(), not send(MSG_NOSIGNAL): a camera that closes the
// connection while a record goes out would raise SIGPIPE and end the whole daemon (its
// default action). SIGPIPE is blocked on this thread around each OpenSSL call that may write,
// and one raised meanwhile is taken off the thread's pending set (unless one was pending
// before, which is someone else's).
class NoSigpipe {
 public:
  NoSigpipe() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    pending_before_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~NoSigpipe() {
    if (!pending_before_) {
      int saved = errno;  // the caller reads errno of the OpenSSL call
      timespec zero{};
      while (sigtimedwait(&pipe_, nullptr, &zero) > 0) {
      }
      errno = saved;
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  NoSigpipe(const NoSigpipe&) = delete;
  NoSigpipe& operator=(const NoSigpipe&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool pending_before_ = false;
};

// The last OpenSSL error of this thread in words, and the queue emptied (it is per thread and
// would otherwise leak into the next session's messages).
std::string openssl_error() {
  unsigned long code = ERR_peek_last_error();
  std::string text;
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    text = buf;
  }
  ERR_clear_error();
  return text;
}

std::string name_line(const X509_NAME* name) {
  std::unique_ptr<BIO, BioFree> bio{BIO_new(BIO_s_mem())};
  if (!bio || name == nullptr) return {};
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string{};
}

std::string time_line(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return "?";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

Sha256 fingerprint_of(X509* cert) {
  Sha256 out{};
  unsigned int size = 0;
  X509_digest(cert, EVP_sha256(), out.data(), &size);
  return out;
}

PeerCertificate certificate_of(X509* cert) {
  PeerCertificate c;
  c.fingerprint = fingerprint_of(cert);
  c.subject = name_line(X509_get_subject_name(cert));
  c.issuer = name_line(X509_get_issuer_name(cert));
  c.not_before = time_line(X509_get0_notBefore(cert));
  c.not_after = time_line(X509_get0_notAfter(cert));
  c.self_signed = X509_self_signed(cert, 1) == 1;
  return c;
}

// What the verify callback saw and decided; attached to the SSL object as its app data.
struct Check {
  const TlsOptions* options = nullptr;
  bool enforce = true;  // false for inspect(): record the verdict, finish the handshake anyway
  std::optional<PeerCertificate> leaf;
  std::string problem;  // the first reason the certificate is not trusted
};

std::string reason_for(int error, int depth, X509* cert, const Check& check) {
  const std::string store =
      check.options->ca_file.empty() ? std::string("the system's CA store") : "tls_ca_file " + check.options->ca_file;
  std::string which = depth == 0 ? "the camera's certificate" : "a CA certificate in its chain (depth " + std::to_string(depth) + ")";
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return which + " expired on " + time_line(cert != nullptr ? X509_get0_notAfter(cert) : nullptr);
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return which + " is not valid before " + time_line(cert != nullptr ? X509_get0_notBefore(cert) : nullptr) +
             " (or this box's clock is wrong)";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return "the camera's certificate is self-signed and not in " + store +
             "; pin it with tls_fingerprint, or give its CA as tls_ca_file";
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return "the certificate was issued by a CA that is not in " + store + " (unknown CA)";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "the certificate is not for the URL's host (another name or address)";
    default: return std::string(X509_verify_cert_error_string(error)) + " (" + which + ")";
  }
}

int verify_callback(int ok, X509_STORE_CTX* store) noexcept {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* check = ssl == nullptr ? nullptr : static_cast<Check*>(SSL_get_app_data(ssl));
  if (check == nullptr) return 0;
  try {
    int depth = X509_STORE_CTX_get_error_depth(store);
    X509* cert = X509_STORE_CTX_get_current_cert(store);
    int error = X509_STORE_CTX_get_error(store);
    if (depth == 0 && cert != nullptr && !check->leaf) check->leaf = certificate_of(cert);
    if (!check->options->verify) return 1;
    if (const auto& pin = check->options->fingerprint) {
      // The pin is the trust: the chain and the name do not matter, the certificate's own
      // dates do (an expired certificate is refused however it is trusted).
      bool time_error = error == X509_V_ERR_CERT_HAS_EXPIRED || error == X509_V_ERR_CERT_NOT_YET_VALID;
      ok = (depth == 0 && !ok && time_error) ? 0 : 1;
      if (!ok && check->problem.empty()) check->problem = reason_for(error, depth, cert, *check);
      if (depth == 0 && cert != nullptr && fingerprint_of(cert) != *pin) {
        ok = 0;
        if (check->problem.empty()) {
          check->problem = "the certificate's fingerprint is " + to_fingerprint(fingerprint_of(cert)) +
                           ", not the pinned tls_fingerprint " + to_fingerprint(*pin) +
                           " (another device answers at this address, the camera's certificate was replaced, or someone "
                           "is in between); if the camera's certificate was renewed on purpose, pin the new one";
        }
      }
    } else if (!ok && check->problem.empty()) {
      check->problem = reason_for(error, depth, cert, *check);
    }
    return check->enforce ? ok : 1;
  } catch (...) {
    return 0;  // an allocation failure inside a C callback: refuse rather than throw through OpenSSL
  }
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

struct Stream::Handle {
  std::unique_ptr<SSL_CTX, CtxFree> ctx;
  std::unique_ptr<SSL, SslFree> ssl;
  Check check;
};

std::string describe(const PeerCertificate& c) {
  return to_fingerprint(c.fingerprint) + ", subject " + (c.subject.empty() ? "(none)" : c.subject) +
         (c.self_signed ? ", self-signed" : ", issued by " + c.issuer) + ", valid " + c.not_before + " to " + c.not_after;
}

Stream::Stream(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}

Stream::~Stream() {
  if (handle_ && handle_->ssl) {
    // close_notify, best effort: the socket is non-blocking and nobody waits for the answer.
    NoSigpipe guard;
    SSL_shutdown(handle_->ssl.get());
    ERR_clear_error();
  }
}

namespace {

tl::expected<std::unique_ptr<Stream::Handle>, Failure> make_handle(int fd, const std::string& host, const TlsOptions& options,
                                                                   bool enforce, const std::string& shown_url) {
  auto handle = std::make_unique<Stream::Handle>();
  auto fail_setup = [&](const std::string& what) {
    return tl::unexpected(Failure{DownCause::Protocol, "TLS with " + shown_url + ": " + what + ": " + openssl_error()});
  };
  handle->ctx.reset(SSL_CTX_new(TLS_client_method()));
  if (!handle->ctx) return fail_setup("creating the TLS context");
  SSL_CTX_set_min_proto_version(handle->ctx.get(), TLS1_2_VERSION);
  // Larger socket reads per record batch: fewer system calls for a 4 Mbit/s stream.
  SSL_CTX_set_read_ahead(handle->ctx.get(), 1);
  SSL_CTX_set_mode(handle->ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (options.verify && !options.fingerprint) {
    int loaded = options.ca_file.empty() ? SSL_CTX_set_default_verify_paths(handle->ctx.get())
                                         : SSL_CTX_load_verify_locations(handle->ctx.get(), options.ca_file.c_str(), nullptr);
    if (loaded != 1) {
      // Nothing to trust the camera with: the same escalating failure as an untrusted
      // certificate, since retrying cannot help until the file is fixed.
      return tl::unexpected(Failure{DownCause::TlsUntrusted, "tls_ca_file " + options.ca_file + " for " + shown_url +
                                                                 " cannot be used as a PEM CA bundle: " + openssl_error()});
    }
  }
  handle->ssl.reset(SSL_new(handle->ctx.get()));
  if (!handle->ssl) return fail_setup("creating the TLS session");
  SSL* ssl = handle->ssl.get();
  if (SSL_set_fd(ssl, fd) != 1) return fail_setup("attaching the socket");
  handle->check.options = &options;
  handle->check.enforce = enforce;
  SSL_set_app_data(ssl, &handle->check);
  // Verification runs in the callback in every mode (it also records the certificate seen);
  // with verify = false the callback accepts everything.
  SSL_set_verify(ssl, SSL_VERIFY_PEER, &verify_callback);
  bool ip = is_ip_literal(host);
  if (!ip) SSL_set_tlsext_host_name(ssl, host.c_str());
  if (options.verify && !options.fingerprint) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    if (set != 1) return fail_setup("setting the host name to check");
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  }
  return handle;
}

// Runs the handshake under the deadline. On failure the handle's check says whether the
// certificate was the reason.
tl::expected<void, Failure> handshake(Stream::Handle& handle, Stream::Deadline deadline, const std::stop_token& stop,
                                      const std::string& shown_url) {
  SSL* ssl = handle.ssl.get();
  for (;;) {
    ERR_clear_error();
    int ret = 0;
    int error = SSL_ERROR_NONE;
    {
      NoSigpipe guard;
      ret = SSL_connect(ssl);
      if (ret != 1) error = SSL_get_error(ssl, ret);
    }
    if (ret == 1) return {};
    short events = 0;
    if (error == SSL_ERROR_WANT_READ) events = POLLIN;
    else if (error == SSL_ERROR_WANT_WRITE) events = POLLOUT;
    if (events == 0) {
      if (!handle.check.problem.empty()) {
        std::string seen = handle.check.leaf ? "; it presents " + describe(*handle.check.leaf) : std::string{};
        return tl::unexpected(Failure{DownCause::TlsUntrusted,
                                      "the TLS certificate of " + shown_url + " is not trusted: " + handle.check.problem + seen});
      }
      std::string why = openssl_error();
      if (why.empty()) why = error == SSL_ERROR_SYSCALL || error == SSL_ERROR_ZERO_RETURN ? "the camera closed the connection" : "failed";
      return tl::unexpected(Failure{DownCause::Protocol, "TLS handshake with " + shown_url + ": " + why +
                                                             " (does the camera serve rtsps:// on this port?)"});
    }
    if (stop.stop_requested()) return tl::unexpected(Failure{DownCause::Protocol, "stopped"});
    auto now = SteadyClock::now();
    if (now >= deadline) return tl::unexpected(Failure{DownCause::Timeout, "TLS handshake with " + shown_url + ": no answer in time"});
    pollfd p{SSL_get_fd(ssl), events, 0};
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(std::min<SteadyClock::duration>(kSlice, deadline - now));
    ::poll(&p, 1, static_cast<int>(wait.count()) + 1);
  }
}

}  // namespace

tl::expected<std::unique_ptr<Stream>, Failure> Stream::connect(int fd, const std::string& host, const TlsOptions& options,
                                                               Deadline deadline, const std::stop_token& stop,
                                                               const std::string& shown_url) {
  auto handle = make_handle(fd, host, options, true, shown_url);
  if (!handle) return tl::unexpected(std::move(handle.error()));
  if (auto st = handshake(**handle, deadline, stop, shown_url); !st) return tl::unexpected(std::move(st.error()));
  std::unique_ptr<Stream> stream{new Stream(std::move(*handle))};
  // The callback saw the leaf unless the server sent none, which a TLS 1.2+ server cannot.
  if (stream->handle_->check.leaf) stream->peer_ = *stream->handle_->check.leaf;
  return stream;
}

long Stream::failed(int ret, const char* what) {
  int error = SSL_get_error(handle_->ssl.get(), ret);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      want_ = POLLIN;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_WRITE:
      want_ = POLLOUT;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN: return 0;  // close_notify: the camera ended the session
    case SSL_ERROR_SYSCALL:
      ERR_clear_error();
      if (errno == 0) return 0;  // EOF without close_notify: the connection closed
      return -1;                 // errno from the socket
    default:
      error_text_ = std::string("TLS error while ") + what + ": " + openssl_error();
      errno = EPROTO;
      return -1;
  }
}

long Stream::read(void* data, std::size_t size) {
  NoSigpipe guard;  // reading may answer a key update
  auto* out = static_cast<char*>(data);
  std::size_t total = 0;
  while (total < size) {
    ERR_clear_error();
    errno = 0;
    std::size_t got = 0;
    int ret = SSL_read_ex(handle_->ssl.get(), out + total, size - total, &got);
    if (ret == 1) {
      total += got;
      continue;
    }
    if (total > 0) {
      // Hand over what arrived; a close or an error shows again on the next call.
      if (SSL_get_error(handle_->ssl.get(), ret) == SSL_ERROR_WANT_WRITE) want_ = POLLOUT;
      ERR_clear_error();
      break;
    }
    return failed(ret, "reading");
  }
  return static_cast<long>(total);
}

long Stream::write(const void* data, std::size_t size) {
  NoSigpipe guard;
  ERR_clear_error();
  errno = 0;
  std::size_t written = 0;
  int ret = SSL_write_ex(handle_->ssl.get(), data, size, &written);
  if (ret == 1) return static_cast<long>(written);
  long r = failed(ret, "writing");
  if (r == 0) {
    errno = EPIPE;
    return -1;
  }
  return r;
}

bool Stream::buffered() const { return SSL_has_pending(handle_->ssl.get()) == 1; }

short Stream::poll_events(short wanted) const { return want_ != 0 ? want_ : wanted; }

tl::expected<Inspection, Failure> inspect(const std::string& url, const TlsOptions& options, std::chrono::milliseconds timeout,
                                          std::stop_token stop) {
  std::string shown = text::redact_url(url);
  auto parsed = rtsp::parse_url(url);
  if (!parsed) return tl::unexpected(Failure{DownCause::Protocol, parsed.error().message + ": " + shown});
  if (!parsed->tls) return tl::unexpected(Failure{DownCause::Protocol, "not an rtsps:// URL: " + shown});
  auto deadline = SteadyClock::now() + timeout;
  auto fd = tcp::connect(parsed->host, parsed->port, deadline, timeout, stop, shown);
  if (!fd) return tl::unexpected(std::move(fd.error()));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{*fd};
  auto handle = make_handle(*fd, parsed->host, options, false, shown);
  if (!handle) return tl::unexpected(std::move(handle.error()));
  if (auto st = handshake(**handle, deadline, stop, shown); !st) return tl::unexpected(std::move(st.error()));
  Inspection out;
  if (!(*handle)->check.leaf) return tl::unexpected(Failure{DownCause::Protocol, "TLS with " + shown + ": no certificate"});
  out.certificate = *(*handle)->check.leaf;
  out.problem = (*handle)->check.problem;
  {
    NoSigpipe guard;
    SSL_shutdown((*handle)->ssl.get());
  }
  ERR_clear_error();
  return out;
}

}  // namespace carekeep::ingest::tls
