// Camera probes: one short RTSP session per camera through ingest, the same client the
// recorder uses, so what the doctor sees is what recording will see.
#include <thread>

#include "base/text.hpp"
#include "doctor/doctor.hpp"
#include "ingest/source.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
}

namespace carekeep::doctor {
namespace {

constexpr double kMinKeyframeGap = 0.2;  // seconds

std::string number(double value, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

ingest::TlsOptions tls_options(const config::Camera& camera) {
  return {camera.tls_verify, camera.tls_ca_file.string(), camera.tls_fingerprint};
}

Probe probe_one(const config::Camera& camera, std::chrono::milliseconds duration) {
  Probe probe;
  probe.camera = camera.id;
  ingest::SourceOptions options;
  options.transport = std::string(config::to_string(camera.transport));
  options.client = camera.client == config::Client::Libavformat ? ingest::Client::Libavformat : ingest::Client::Native;
  // As the daemon records it (daemon.cpp settings_for): the same bounds and auth rule.
  options.limits.max_access_unit = static_cast<std::size_t>(camera.max_frame_mib) * 1024 * 1024;
  options.allow_basic_auth = camera.allow_basic_auth;
  options.tls = tls_options(camera);
  // The client hands out nothing before the first key frame, which a camera with a long
  // interval sends only seconds later: that is a finding about key frames, not a stall.
  // The native client also waits for one (its parameter sets) before open returns.
  auto patience = std::max<std::chrono::milliseconds>(std::chrono::seconds(10), 2 * duration);
  options.stall_timeout = patience;
  options.connect_timeout = patience;
  auto source = ingest::open_source(camera.url, options, {});
  if (!source) {
    probe.cause = std::string(ingest::to_string(source.error().cause));
    probe.reason = std::string(ingest::describe(source.error().cause));
    return probe;
  }
  probe.connected = true;
  auto video = (*source)->video();
  if (video.parameters != nullptr) {
    probe.codec = avcodec_get_name(video.parameters->codec_id);
    probe.width = video.parameters->width;
    probe.height = video.parameters->height;
  }
  auto packet = av::make_packet();
  auto start = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> first_at;
  std::optional<double> last_key;  // media seconds of the previous key frame
  std::optional<double> first_media;
  double last_media = 0;
  while (std::chrono::steady_clock::now() - start < duration) {
    auto kind = (*source)->read(packet.get());
    if (!kind) {
      probe.cause = std::string(ingest::to_string(kind.error().cause));
      probe.reason = std::string(ingest::describe(kind.error().cause));
      break;
    }
    if (!first_at) first_at = std::chrono::steady_clock::now();
    probe.bytes += static_cast<std::uint64_t>(packet->size);
    if (*kind == ingest::Source::Kind::Video) {
      ++probe.frames;
      double at = packet->pts == AV_NOPTS_VALUE
                      ? last_media
                      : static_cast<double>(packet->pts) * av_q2d((*source)->video().time_base);
      if (!first_media) first_media = at;
      last_media = std::max(last_media, at);
      if ((packet->flags & AV_PKT_FLAG_KEY) != 0 && packet->pts != AV_NOPTS_VALUE) {
        // Back-to-back key frames (an encoder answering a new viewer's key frame request,
        // as gst-rtsp-server asks for) are not an interval.
        if (last_key && at - *last_key >= kMinKeyframeGap) probe.keyframe_gaps.push_back(at - *last_key);
        last_key = at;
      }
    }
    av_packet_unref(packet.get());
  }
  // Rates count from the first packet: connecting is not part of the stream's bitrate. Media
  // time rather than wall time when there is enough of it: a client that held frames back
  // until a key frame hands them over in a burst.
  auto from = first_at ? *first_at : start;
  probe.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - from).count();
  if (first_media && last_media - *first_media >= 0.5) probe.seconds = last_media - *first_media;
  return probe;
}

}  // namespace

TlsSeen inspect_camera_tls(const config::Camera& camera, std::chrono::milliseconds timeout) {
  TlsSeen seen;
  auto inspection = ingest::tls::inspect(camera.url, tls_options(camera), timeout);
  if (inspection) seen.inspection = std::move(*inspection);
  else seen.error = inspection.error().detail;
  return seen;
}

std::vector<Probe> probe_cameras(const config::Config& config, std::chrono::milliseconds duration) {
  std::vector<const config::Camera*> cameras;
  for (const auto& c : config.cameras) {
    if (c.enabled) cameras.push_back(&c);
  }
  std::vector<Probe> probes(cameras.size());
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < cameras.size(); ++i) {
      threads.emplace_back([&, i] { probes[i] = probe_one(*cameras[i], duration); });
    }
  }
  return probes;
}

Check check_camera(const config::Camera& camera, const Probe& probe) {
  Check c{"camera", camera.id, Verdict::Pass, "", ""};
  std::string where = camera.redacted_url();
  if (!probe.connected) {
    c.verdict = Verdict::Fail;
    c.finding = "cannot record " + where + ": " + probe.reason;
    if (probe.cause == "auth_failed") {
      c.advice = "the camera refused the user name or password: put the ones from the camera's web page "
                 "into the url (rtsp://user:password@host/...)";
    } else if (probe.cause == "not_found") {
      c.advice = "the camera has no stream at that path: copy the RTSP path from the camera's manual or web page";
    } else if (probe.cause == "stalled") {
      c.advice = "the camera answers but sends no video, or its key frames are very far apart: set its I-frame "
                 "(GOP) interval to 2 s or less, restart it, and check its stream settings";
    } else if (probe.cause == "tls_untrusted") {
      c.advice = "the camera's TLS certificate is not trusted: the camera_tls check says why and gives the "
                 "tls_fingerprint line to pin it";
    } else if (probe.cause == "unsupported") {
      c.advice = "set the camera's video codec to H.264 or H.265 in its web settings";
    } else {
      c.advice = "check the camera's power and network cable, and that its address and port are right";
    }
    return c;
  }
  c.finding = probe.codec + " " + std::to_string(probe.width) + "x" + std::to_string(probe.height) + ", " +
              number(probe.bitrate_bps() / 1e6, 2) + " Mbit/s, " + number(probe.fps(), 1) + " fps";
  if (probe.frames == 0) {
    c.verdict = Verdict::Fail;
    c.finding += "; no video frame arrived in " + number(probe.seconds, 1) + " s";
    c.advice = "the camera answers but sends no video, or its key frames are very far apart: set its I-frame "
               "(GOP) interval to 2 s or less, restart it, and check its stream settings";
    return c;
  }
  if (!probe.cause.empty()) {
    c.verdict = Verdict::Fail;
    c.finding += "; then: " + probe.reason;
    c.advice = "the stream broke off while being measured; check the camera's network (Wi-Fi signal, cable)";
    return c;
  }
  double longest = 0;
  for (double gap : probe.keyframe_gaps) longest = std::max(longest, gap);
  // Segments start on key frames, so the key frame interval bounds how exactly a file can be
  // cut and how much is lost after a reconnect. Cameras default to 1-4 s.
  double limit = std::min(5.0, camera.segment_seconds / 2.0);
  if (probe.keyframe_gaps.empty()) {
    c.verdict = Verdict::Warn;
    c.finding += "; fewer than two key frames in " + number(probe.seconds, 1) + " s";
    c.advice = "set the camera's key frame (I-frame / GOP) interval to 2 s or less, or run carekeep doctor "
               "with a longer --probe-seconds";
  } else {
    c.finding += ", key frame every " + number(longest, 1) + " s";
    if (longest > limit) {
      c.verdict = Verdict::Warn;
      c.advice = "key frames are far apart: set the camera's I-frame (GOP) interval to 2 s or less "
                 "(for example GOP = 2 × frame rate)";
    }
  }
  if (probe.codec != "h264" && probe.codec != "hevc" && c.verdict == Verdict::Pass) {
    c.verdict = Verdict::Fail;
    c.advice = "set the camera's video codec to H.264 or H.265";
  }
  return c;
}

}  // namespace carekeep::doctor
