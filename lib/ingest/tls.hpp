// ingest/tls: TLS for the native RTSP client (rtsps://) with OpenSSL, on the client's own
// non-blocking socket, and the certificate checks a camera's configuration asks for
// (TlsOptions): a CA bundle or the system store plus the host name, or a pinned SHA-256
// fingerprint of the camera's certificate; validity dates always. The checks run in
// OpenSSL's verify callback, during the handshake, so nothing (no RTSP request, no
// credentials) is sent to a camera that fails them. One Stream per session, owned by the
// camera's ingest thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "base/sha256.hpp"
#include "ingest/source.hpp"

namespace carekeep::ingest::tls {

// The certificate a camera presented (the leaf), in words an installer can compare with the
// camera's web page.
struct PeerCertificate {
  Sha256 fingerprint{};    // of the DER encoding: what tls_fingerprint pins
  std::string subject;     // "CN=cam-1,O=Vendor" (RFC 2253)
  std::string issuer;
  std::string not_before;  // "2026-12-07 10:00:00 UTC"
  std::string not_after;
  bool self_signed = false;  // issuer = subject and its own key verifies it
};
// "sha256:AB:…, subject CN=…, issued by …, valid 2026-… to 2027-…" (one line, for details).
std::string describe(const PeerCertificate& certificate);

class Stream {
 public:
  using Deadline = std::chrono::steady_clock::time_point;
  // Handshakes as a client over `fd` (connected and non-blocking; the caller keeps owning
  // it and closes it after this Stream is gone) under `deadline`, checking the certificate
  // as `options` says. `host` is the URL's host (IP literal or name: SNI and the name
  // check). Fails with TlsUntrusted and a detail naming what failed and the certificate
  // seen (expired, unknown CA, other name, fingerprint mismatch), Protocol when the peer
  // does not speak TLS, Timeout at the deadline; `shown_url` is redacted already.
  static tl::expected<std::unique_ptr<Stream>, Failure> connect(int fd, const std::string& host, const TlsOptions& options,
                                                                Deadline deadline, const std::stop_token& stop,
                                                                const std::string& shown_url);
  ~Stream();  // sends close_notify without waiting
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Like recv/send on a non-blocking socket: > 0 bytes moved; 0 from read: the camera
  // closed the TLS session; -1 with errno EAGAIN: wait for poll_events(), other errno: the
  // connection failed (EPROTO: a TLS error, error_text() says which). read() takes whole
  // records until `size` is full or nothing more is there.
  long read(void* data, std::size_t size);
  long write(const void* data, std::size_t size);
  // Bytes already decrypted and waiting: read before polling the socket.
  bool buffered() const;
  // The poll() events the last EAGAIN waits for (POLLIN, or POLLOUT during a renegotiation
  // or a full socket).
  short poll_events(short wanted) const;
  const std::string& error_text() const { return error_text_; }
  const PeerCertificate& peer() const { return peer_; }

  struct Handle;

 private:
  explicit Stream(std::unique_ptr<Handle> handle);
  long failed(int ret, const char* what);
  std::unique_ptr<Handle> handle_;
  PeerCertificate peer_;
  std::string error_text_;
  short want_ = 0;
};

// For `carekeep doctor`: connects to an rtsps:// URL, handshakes without enforcing anything,
// and says what the camera presents and whether `options` would trust it (problem is empty
// when it would). Sends no RTSP request and no credentials.
struct Inspection {
  PeerCertificate certificate;
  std::string problem;  // why the configured checks refuse it; empty: trusted
};
tl::expected<Inspection, Failure> inspect(const std::string& url, const TlsOptions& options,
                                          std::chrono::milliseconds timeout, std::stop_token stop = {});

}  // namespace carekeep::ingest::tls
