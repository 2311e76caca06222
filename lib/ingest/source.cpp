#include "ingest/source.hpp"

#include <cctype>

#include "ingest/native_source.hpp"
#include "ingest/rtsp_source.hpp"

namespace carekeep::ingest {

std::string_view to_string(DownCause cause) {
  switch (cause) {
    case DownCause::Refused: return "refused";
    case DownCause::Unreachable: return "unreachable";
    case DownCause::AuthFailed: return "auth_failed";
    case DownCause::NotFound: return "not_found";
    case DownCause::Timeout: return "timeout";
    case DownCause::Stalled: return "stalled";
    case DownCause::StreamEnded: return "stream_ended";
    case DownCause::CodecChanged: return "codec_changed";
    case DownCause::Unsupported: return "unsupported";
    case DownCause::DiskError: return "disk_error";
    case DownCause::LimitExceeded: return "limit_exceeded";
    case DownCause::TlsUntrusted: return "tls_untrusted";
    case DownCause::Protocol: return "protocol";
  }
  return "protocol";
}

std::string_view describe(DownCause cause) {
  switch (cause) {
    case DownCause::Refused: return "the camera refused the connection (is it powered on, is the port right?)";
    case DownCause::Unreachable: return "the camera cannot be reached on the network (cable, Wi-Fi, address?)";
    case DownCause::AuthFailed: return "the camera rejected the user name or password in the URL";
    case DownCause::NotFound: return "the camera has no stream at that path (check the URL's path)";
    case DownCause::Timeout: return "the camera did not answer in time";
    case DownCause::Stalled: return "the camera stopped sending video while the connection stayed open";
    case DownCause::StreamEnded: return "the camera ended the stream";
    case DownCause::CodecChanged: return "the camera changed codec or resolution; recording restarts with the new settings";
    case DownCause::Unsupported: return "the camera sends no H.264 or H.265 video";
    case DownCause::DiskError: return "writing the recording to disk failed";
    case DownCause::LimitExceeded:
      return "the camera sent more than carekeep accepts (an oversized frame, header or bitrate); the detail names the limit";
    case DownCause::TlsUntrusted:
      return "the camera's TLS certificate is not trusted (unknown CA, expired, another name, or not the pinned fingerprint); "
             "the detail says which and shows the certificate's fingerprint";
    case DownCause::Protocol: return "the RTSP session failed";
  }
  return "the RTSP session failed";
}

std::optional<DownCause> parse_down_cause(std::string_view word) {
  for (int i = 0; i <= static_cast<int>(DownCause::Protocol); ++i) {
    auto candidate = static_cast<DownCause>(i);
    if (to_string(candidate) == word) return candidate;
  }
  return std::nullopt;
}

std::string_view to_string(Client client) {
  switch (client) {
    case Client::Native: return "native";
    case Client::Libavformat: return "libavformat";
  }
  return "native";
}

tl::expected<std::unique_ptr<Source>, Failure> open_source(const std::string& url, const SourceOptions& options,
                                                           std::stop_token stop) {
  std::string scheme = url.substr(0, url.find("://") == std::string::npos ? 0 : url.find("://"));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // The native client speaks interleaved RTP over TCP, plain or TLS (rtsps always is TCP).
  bool native = options.client == Client::Native && (options.transport == "tcp" || scheme == "rtsps");
  if (native) {
    auto source = NativeSource::open(url, options, stop);
    if (!source) return tl::unexpected(std::move(source.error()));
    return std::unique_ptr<Source>(std::move(*source));
  }
  if (scheme == "rtsps" && options.tls.verify) {
    // FFmpeg's RTSP demuxer opens its TLS connection without options: no CA, no verification.
    return tl::unexpected(Failure{DownCause::TlsUntrusted,
                                  "libavformat's RTSP client cannot check a camera's certificate; use client = \"native\" for "
                                  "rtsps:// (or accept unverified TLS with tls_verify = false)"});
  }
  if (scheme == "rtsp" && !options.allow_basic_auth) {
    // FFmpeg would answer a Basic challenge with the password in clear: ask the camera first.
    if (auto st = NativeSource::check_authentication(url, options, stop); !st) return tl::unexpected(std::move(st.error()));
  }
  auto source = RtspSource::open(url, options, std::move(stop));
  if (!source) return tl::unexpected(std::move(source.error()));
  return std::unique_ptr<Source>(std::move(*source));
}

}  // namespace carekeep::ingest
