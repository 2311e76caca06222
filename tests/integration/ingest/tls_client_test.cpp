// rtsps:// with the native client against a real fakecam serving TLS on 127.0.0.1
// (gst-rtsp-server over GLib's TLS backend), with certificates made at test time: a CA file,
// a pinned fingerprint, an expired certificate, another host's certificate, tls_verify =
// false, and what libavformat may not do. Every refusal must name its reason and show the
// fingerprint seen, and never the password in the URL.
#include <catch2/catch.hpp>

#include "ingest/source.hpp"
#include "ingest/tls.hpp"
#include "support/rtsp_test_server.hpp"
#include "support/temp_dir.hpp"
#include "support/test_certs.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {

constexpr const char* kPassword = "s3cret-Pw";

// A TLS fakecam serving `served`; its URL carries credentials (fakecam ignores them) so every
// detail can be checked for the password.
struct TlsCamera {
  explicit TlsCamera(const test::IssuedCertificate& served)
      : server({test::RtspTestServer::camera("cam")}, [&] {
          fakecam::ServerOptions options;
          options.tls_cert = served.cert;
          options.tls_key = served.key;
          return options;
        }()) {}
  std::string url() const {
    std::string plain = server.url("cam");
    REQUIRE(plain.rfind("rtsps://", 0) == 0);
    return "rtsps://admin:" + std::string(kPassword) + "@" + plain.substr(8);
  }
  test::RtspTestServer server;
};

ingest::SourceOptions options_with(ingest::TlsOptions tls) {
  ingest::SourceOptions o;
  o.client = ingest::Client::Native;
  o.connect_timeout = 5s;
  o.tls = std::move(tls);
  return o;
}

// Opens and reads `frames` video frames; REQUIREs success.
void records(const std::string& url, const ingest::SourceOptions& options, int frames = 30) {
  std::stop_source stop;
  auto source = ingest::open_source(url, options, stop.get_token());
  if (!source) FAIL_CHECK(std::string(ingest::to_string(source.error().cause)) + ": " + source.error().detail);
  REQUIRE(source);
  auto video = (*source)->video();
  REQUIRE(video.parameters != nullptr);
  CHECK(video.parameters->width == 320);
  auto packet = av::make_packet();
  int seen = 0;
  std::int64_t last = -1;
  while (seen < frames) {
    auto kind = (*source)->read(packet.get());
    REQUIRE(kind);
    if (*kind == ingest::Source::Kind::Video) {
      CHECK(packet->pts > last);
      last = packet->pts;
      ++seen;
    }
    av_packet_unref(packet.get());
  }
  CHECK((*source)->stats().bytes_received > static_cast<std::uint64_t>(frames) * 100);  // frames came through TLS
}

ingest::Failure refused(const std::string& url, const ingest::SourceOptions& options) {
  std::stop_source stop;
  auto source = ingest::open_source(url, options, stop.get_token());
  REQUIRE_FALSE(source);
  INFO(source.error().detail);
  CHECK(source.error().detail.find(kPassword) == std::string::npos);
  return source.error();
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("rtsps records when the camera's CA is tls_ca_file and is refused with another CA or the system store", "[rtsp][tls]") {
  test::TempDir dir;
  auto ca = test::make_ca(dir.path(), "ca");
  auto other_ca = test::make_ca(dir.path(), "other");
  auto leaf = test::make_certificate(dir.path(), "cam", {}, &ca);
  TlsCamera camera(leaf);

  records(camera.url(), options_with({true, ca.cert.string(), std::nullopt}));

  auto wrong = refused(camera.url(), options_with({true, other_ca.cert.string(), std::nullopt}));
  CHECK(wrong.cause == ingest::DownCause::TlsUntrusted);
  CHECK(has(wrong.detail, "unknown CA"));
  CHECK(has(wrong.detail, to_fingerprint(leaf.fingerprint)));  // what to pin, or to compare with the camera
  CHECK(has(wrong.detail, "rtsps://***@127.0.0.1"));

  auto system = refused(camera.url(), options_with({}));
  CHECK(system.cause == ingest::DownCause::TlsUntrusted);
  CHECK(has(system.detail, "system's CA store"));
}

TEST_CASE("rtsps with a pinned fingerprint records the pinned certificate and refuses any other, showing the one seen", "[rtsp][tls]") {
  test::TempDir dir;
  auto self_signed = test::make_certificate(dir.path(), "cam", {});
  auto impostor = test::make_certificate(dir.path(), "impostor", {});
  TlsCamera camera(self_signed);

  // The pin replaces the CA and name checks: a self-signed camera certificate records.
  records(camera.url(), options_with({true, "", self_signed.fingerprint}));

  auto wrong = refused(camera.url(), options_with({true, "", impostor.fingerprint}));
  CHECK(wrong.cause == ingest::DownCause::TlsUntrusted);
  CHECK(has(wrong.detail, "fingerprint is " + to_fingerprint(self_signed.fingerprint)));
  CHECK(has(wrong.detail, "not the pinned tls_fingerprint " + to_fingerprint(impostor.fingerprint)));

  // Without a pin or a CA the self-signed certificate is refused, with the line to pin it.
  auto unpinned = refused(camera.url(), options_with({}));
  CHECK(unpinned.cause == ingest::DownCause::TlsUntrusted);
  CHECK(has(unpinned.detail, "self-signed"));
  CHECK(has(unpinned.detail, to_fingerprint(self_signed.fingerprint)));

  // tls_verify = false: the explicit opt-out records whatever the camera presents.
  records(camera.url(), options_with({false, "", std::nullopt}), 10);
}

TEST_CASE("rtsps refuses an expired certificate whether it is trusted by CA or by pin, and another host's certificate", "[rtsp][tls]") {
  test::TempDir dir;
  auto ca = test::make_ca(dir.path(), "ca");
  test::CertificateSpec old;
  old.not_before = -std::chrono::hours(48);
  old.not_after = -std::chrono::hours(24);
  auto expired = test::make_certificate(dir.path(), "expired", old, &ca);
  {
    TlsCamera camera(expired);
    auto by_ca = refused(camera.url(), options_with({true, ca.cert.string(), std::nullopt}));
    CHECK(by_ca.cause == ingest::DownCause::TlsUntrusted);
    CHECK(has(by_ca.detail, "expired on"));
    auto by_pin = refused(camera.url(), options_with({true, "", expired.fingerprint}));
    CHECK(by_pin.cause == ingest::DownCause::TlsUntrusted);
    CHECK(has(by_pin.detail, "expired on"));
  }
  test::CertificateSpec elsewhere;
  elsewhere.ip = "192.0.2.7";
  auto other_host = test::make_certificate(dir.path(), "elsewhere", elsewhere, &ca);
  TlsCamera camera(other_host);
  auto name = refused(camera.url(), options_with({true, ca.cert.string(), std::nullopt}));
  CHECK(name.cause == ingest::DownCause::TlsUntrusted);
  CHECK(has(name.detail, "not for the URL's host"));
}

TEST_CASE("rtsps failures that are not the certificate keep their own cause", "[rtsp][tls]") {
  test::TempDir dir;
  auto leaf = test::make_certificate(dir.path(), "cam", {});
  // A plain RTSP camera asked for TLS: a protocol failure that says so.
  test::RtspTestServer plain;
  std::string url = "rtsps://127.0.0.1:" + std::to_string(plain.port()) + "/cam";
  auto not_tls = refused(url, options_with({true, "", leaf.fingerprint}));
  CHECK(not_tls.cause == ingest::DownCause::Protocol);
  CHECK(has(not_tls.detail, "TLS handshake"));

  // A CA file that is not PEM: nothing can be trusted, said as such.
  test::write_text(dir / "junk.pem", "not a certificate\n");
  TlsCamera camera(leaf);
  auto junk = refused(camera.url(), options_with({true, (dir / "junk.pem").string(), std::nullopt}));
  CHECK(junk.cause == ingest::DownCause::TlsUntrusted);
  CHECK(has(junk.detail, "tls_ca_file"));

  // libavformat would connect without checking anything: refused unless tls_verify = false.
  auto options = options_with({true, "", leaf.fingerprint});
  options.client = ingest::Client::Libavformat;
  auto ffmpeg = refused(camera.url(), options);
  CHECK(ffmpeg.cause == ingest::DownCause::TlsUntrusted);
  CHECK(has(ffmpeg.detail, "libavformat"));
}

TEST_CASE("tls::inspect shows the certificate a camera presents and whether the settings trust it", "[rtsp][tls]") {
  test::TempDir dir;
  auto self_signed = test::make_certificate(dir.path(), "cam", {});
  TlsCamera camera(self_signed);
  auto seen = ingest::tls::inspect(camera.url(), {}, 5s);
  REQUIRE(seen);
  CHECK(seen->certificate.fingerprint == self_signed.fingerprint);
  CHECK(seen->certificate.self_signed);
  CHECK(has(seen->certificate.subject, "carekeep test camera"));
  CHECK(has(seen->problem, "self-signed"));
  auto pinned = ingest::tls::inspect(camera.url(), {true, "", self_signed.fingerprint}, 5s);
  REQUIRE(pinned);
  CHECK(pinned->problem.empty());
}

TEST_CASE("an rtsps camera that drops the connection mid-stream ends the session as stream_ended, and comes back", "[rtsp][tls]") {
  test::TempDir dir;
  auto leaf = test::make_certificate(dir.path(), "cam", {});
  TlsCamera camera(leaf);
  auto options = options_with({true, "", leaf.fingerprint});
  std::stop_source stop;
  auto source = ingest::open_source(camera.url(), options, stop.get_token());
  REQUIRE(source);
  auto packet = av::make_packet();
  for (int i = 0; i < 10; ++i) {
    REQUIRE((*source)->read(packet.get()));
    av_packet_unref(packet.get());
  }
  camera.server.set_fault("cam", fakecam::Fault::Down);  // closes the TLS connection
  tl::expected<ingest::Source::Kind, ingest::Failure> kind;
  do {
    kind = (*source)->read(packet.get());
    av_packet_unref(packet.get());
  } while (kind);
  CHECK(kind.error().cause == ingest::DownCause::StreamEnded);
  source->reset();  // TEARDOWN and close_notify into a closed connection: no SIGPIPE, no hang
  camera.server.set_fault("cam", fakecam::Fault::Up);
  records(camera.url(), options, 10);
}
