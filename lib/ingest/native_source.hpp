// ingest/native_source: carekeep's own RTSP client (RTP interleaved over the RTSP TCP
// connection). Connects with Boost.Asio (resolve + connect under a deadline), then reads
// the socket in large batches (poll + recv into a 128 KiB buffer with SO_RCVLOWAT) and
// depacketizes RTP straight into packet buffers, so a 4 Mbit/s camera costs tens of
// system calls per second instead of thousands. Owned by one camera's ingest thread;
// open() and read() block up to their deadline and return when `stop` is requested.
#pragma once

#include <memory>
#include <stop_token>
#include <string>

#include "ingest/source.hpp"

namespace carekeep::ingest {

class NativeSource final : public Source {
 public:
  // OPTIONS, DESCRIBE (Basic/Digest auth when the URL has credentials), SETUP of the video
  // (H.264/H.265) and AAC audio tracks, PLAY; then reads up to the first keyframe so the
  // video parameters (avcC/hvcC extradata, picture size) are complete when it returns.
  static tl::expected<std::unique_ptr<NativeSource>, Failure> open(const std::string& url, const SourceOptions& options,
                                                                   std::stop_token stop);
  // Pre-flight for libavformat's client, which would answer a Basic challenge over plain
  // RTSP: connects, sends OPTIONS and DESCRIBE without credentials and fails with AuthFailed
  // when the camera offers only Basic and options.allow_basic_auth is false. Succeeds at once
  // for a URL without credentials. (A peer that answers this differently from the session
  // that follows is not caught: docs/recording.md.)
  static tl::expected<void, Failure> check_authentication(const std::string& url, const SourceOptions& options,
                                                          std::stop_token stop);
  ~NativeSource() override;  // sends TEARDOWN (best effort) and closes the connection

  tl::expected<Kind, Failure> read(AVPacket* packet) override;
  StreamInfo video() const override;
  StreamInfo audio() const override;
  const std::string& dropped_audio_codec() const override;
  SourceStats stats() const override;

  struct Session;

 private:
  explicit NativeSource(std::unique_ptr<Session> session);
  std::unique_ptr<Session> session_;
};

}  // namespace carekeep::ingest
