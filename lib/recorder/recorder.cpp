#include "recorder/recorder.hpp"

#include <condition_variable>
#include <cstdio>

#include "base/log.hpp"
#include "base/text.hpp"
#include "ingest/parameters.hpp"

namespace carekeep::recorder {
namespace {

const SystemClock kSystemClock;

// Wall-clock jitter of a segment's first packet that is still taken as contiguous with the
// previous segment of the same run (a real clock step is over 1 s and handled apart).
constexpr Micros kContiguityTolerance{500'000};

// How late a segment's first packet may have been read before its start is corrected at
// close (docs/recording.md, Segment start times): below this it is ordinary jitter.
constexpr Micros kLateStartThreshold{100'000};

// realtime − monotonic: constant unless someone (NTP, an operator, a missing RTC) steps
// the wall clock.
Micros wall_minus_monotonic(const Clock& clock) {
  // Read in a fixed order, one right after the other (operands of `-` are unsequenced).
  auto wall = clock.now().time_since_epoch();
  auto monotonic = std::chrono::duration_cast<Micros>(clock.steady_now().time_since_epoch());
  return wall - monotonic;
}

// Sleeps for `delay` unless stop is requested first. Returns false when stopping.
bool sleep_unless_stopped(std::chrono::milliseconds delay, std::stop_token stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  return !cv.wait_for(lock, stop, delay, [] { return false; });
}

std::string codec_name(const AVCodecParameters* par) {
  if (par == nullptr) return {};
  return avcodec_get_name(par->codec_id);
}

// Containment (issue 14): nothing a camera sends may end the daemon. Whatever escapes a call
// into the camera's session (an allocation failure, a parser's exception) becomes a failure
// of that session with cause protocol, and the camera is retried; the others never notice.
template <class Call>
auto contained(Call&& call) -> decltype(call()) {
  auto failed = [](std::string_view what) {
    return tl::unexpected(ingest::Failure{ingest::DownCause::Protocol, "internal error in this camera's session (" +
                                                                           text::redact_urls_in(what) + "); the camera is retried"});
  };
  try {
    return call();
  } catch (const std::exception& e) {
    return failed(e.what());
  } catch (...) {
    return failed("unknown exception");
  }
}

// A run at least this long proves the camera works: the reconnect delays start over.
constexpr std::chrono::seconds kHealthyRun{30};

}  // namespace

Backoff::Pace pace_after(ingest::DownCause cause, bool in_care) {
  switch (cause) {
    case ingest::DownCause::AuthFailed:     // cameras lock accounts after repeated bad logins
    case ingest::DownCause::NotFound:       // a wrong path stays wrong
    case ingest::DownCause::Unsupported:    // so does a codec we do not record
    case ingest::DownCause::LimitExceeded:  // a camera breaking our bounds costs us each time
    case ingest::DownCause::TlsUntrusted:   // a certificate does not become trusted by asking again
      return Backoff::Pace::Escalate;
    default:
      return in_care ? Backoff::Pace::Steady : Backoff::Pace::Escalate;
  }
}

Recorder::Recorder(CameraSettings settings, RecorderEnv env) : settings_(std::move(settings)), env_(std::move(env)) {
  if (env_.clock == nullptr) env_.clock = &kSystemClock;
}

Recorder::~Recorder() { stop(); }

void Recorder::start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void Recorder::request_stop() {
  if (thread_.joinable()) thread_.request_stop();
}

void Recorder::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

void Recorder::pause(std::string reason) {
  {
    std::lock_guard lock(mutex_);
    pause_reason_ = std::move(reason);
    paused_ = true;
  }
  pause_changed_.notify_all();
}

void Recorder::resume() {
  {
    std::lock_guard lock(mutex_);
    paused_ = false;
  }
  pause_changed_.notify_all();
}

RecorderSnapshot Recorder::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

void Recorder::set_state(bool up, UtcTime since, std::optional<ingest::DownCause> cause, std::string detail,
                         DiskFault disk_fault) {
  std::lock_guard lock(mutex_);
  snapshot_.up = up;
  snapshot_.since = since;
  snapshot_.cause = cause;
  snapshot_.detail = std::move(detail);
  snapshot_.disk_fault = disk_fault;
}

std::filesystem::path Recorder::next_segment_path(UtcTime start) {
  auto local = std::chrono::floor<std::chrono::seconds>(env_.zone.to_local(start));
  auto day = std::chrono::floor<date::days>(local);
  date::hh_mm_ss hms{local - day};
  char name[64];
  // The counter keeps names unique when two segments start within the same second
  // (a reconnect, a clock step); SegmentFile also refuses to overwrite (O_EXCL).
  std::uint64_t n = file_counter_++;
  std::snprintf(name, sizeof name, "%02d%02d%02d-%llu.mp4", static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<unsigned long long>(n));
  return std::filesystem::path(settings_.id) / format_date(LocalDays{day}) / name;
}

void Recorder::report_connect_failure(const Failed& failed, bool& down_reported, std::uint64_t attempts,
                                      std::chrono::steady_clock::time_point& last_summary) {
  const ingest::Failure& failure = failed.failure;
  auto now = env_.clock->now();
  bool cause_changed;
  {
    std::lock_guard lock(mutex_);
    cause_changed = snapshot_.cause != failure.cause;
  }
  if (!down_reported || cause_changed) {
    // Log once per outage (or when the reason changes), then a summary about once a minute.
    log::warn("camera_down", {{"camera", settings_.id},
                              {"cause", std::string(ingest::to_string(failure.cause))},
                              {"reason", std::string(ingest::describe(failure.cause))},
                              {"detail", failure.detail}});
    set_state(false, now, failure.cause, failure.detail, failed.disk_fault);
    env_.sink->connect_failed(
        {settings_.id, now, failure.cause, failure.detail, !down_reported, failed.disk_fault, failed.paused});
    down_reported = true;
    last_summary = env_.clock->steady_now();
  } else if (env_.clock->steady_now() - last_summary >= std::chrono::minutes(1)) {
    log::warn("camera_still_down", {{"camera", settings_.id},
                                    {"cause", std::string(ingest::to_string(failure.cause))},
                                    {"attempts", std::to_string(attempts)}});
    last_summary = env_.clock->steady_now();
  }
}

void Recorder::run(std::stop_token stop) {
  Backoff backoff{settings_.backoff_initial, settings_.backoff_cap};
  bool down_reported = false;  // one down event per outage, however many attempts fail
  std::uint64_t failures_in_outage = 0;
  auto last_summary = env_.clock->steady_now();
  ingest::SourceOptions options;
  options.transport = settings_.transport;
  options.client = settings_.client;
  options.stall_timeout = settings_.stall_timeout;
  options.connect_timeout = settings_.connect_timeout;
  options.limits = settings_.limits;
  options.allow_basic_auth = settings_.allow_basic_auth;
  options.tls = settings_.tls;
  auto pace = [&](ingest::DownCause cause) {
    bool care = true;
    if (env_.in_care) {
      try {
        care = env_.in_care(env_.clock->now());
      } catch (...) {  // a calendar that cannot answer must not slow a reconnect
        care = true;
      }
    }
    return pace_after(cause, care);
  };

  while (!stop.stop_requested()) {
    if (paused_) {
      std::unique_lock lock(mutex_);
      log::warn("recording_paused", {{"camera", settings_.id}, {"reason", pause_reason_}});
      snapshot_.up = false;
      snapshot_.since = env_.clock->now();
      snapshot_.cause = ingest::DownCause::DiskError;
      snapshot_.detail = pause_reason_;
      snapshot_.disk_fault = DiskFault::None;  // nothing failed: retention paused it
      if (!pause_changed_.wait(lock, stop, [this] { return !paused_; })) break;
      log::info("recording_resumed", {{"camera", settings_.id}});
      backoff.reset();
      continue;
    }
    auto source = contained([&] { return ingest::open_source(settings_.url, options, stop); });
    if (stop.stop_requested()) break;
    if (!source) {
      report_connect_failure({source.error()}, down_reported, ++failures_in_outage, last_summary);
      if (!sleep_unless_stopped(backoff.next(pace(source.error().cause)), stop)) break;
      continue;
    }
    if (!(*source)->dropped_audio_codec().empty() && !audio_warned_) {
      audio_warned_ = true;
      log::warn("audio_dropped", {{"camera", settings_.id}, {"codec", (*source)->dropped_audio_codec()},
                                  {"reason", "only AAC audio with RFC 3640 parameters is recorded; the video is recorded without it"}});
    }
    std::uint64_t run_key = 0;
    Failed failed;
    const ingest::Failure& failure = failed.failure;
    const auto session_began = env_.clock->steady_now();
    auto end = record_session(**source, stop, run_key, failed);
    source->reset();  // TEARDOWN and close before sleeping
    if (end == SessionEnd::Stopped) break;
    if (end == SessionEnd::FailedBeforeStart) {
      report_connect_failure(failed, down_reported, ++failures_in_outage, last_summary);
    } else {
      failures_in_outage = 0;
      down_reported = true;  // record_session reported why the run ended
      // A camera that sends one keyframe and then breaks a bound would otherwise be retried
      // every second forever, each time with a run, a file and an index commit: only a run
      // that recorded a while, or ended for a cheap cause, starts the delays over.
      if (env_.clock->steady_now() - session_began >= kHealthyRun || pace(failure.cause) == Backoff::Pace::Steady) {
        backoff.reset();
      }
    }
    if (!sleep_unless_stopped(backoff.next(pace(failure.cause)), stop)) break;
  }
}

namespace {
ingest::DownCause cause_of_write_error(const segment::WriteError& error) {
  if (error.disk != DiskFault::None) return ingest::DownCause::DiskError;
  switch (error.kind) {
    case ErrorKind::ResourceExhausted:
    case ErrorKind::FailedPrecondition:
    case ErrorKind::DataLoss:
    case ErrorKind::Unavailable:
      return ingest::DownCause::DiskError;
    default:
      return ingest::DownCause::Protocol;
  }
}
}  // namespace

Recorder::SessionEnd Recorder::record_session(ingest::Source& source, std::stop_token stop, std::uint64_t& run_key,
                                              Failed& failed) {
  const ingest::StreamInfo video = source.video();
  const ingest::StreamInfo audio = source.audio();
  // Our own copy: the SDP may lack the picture size or parameter sets, which the first
  // keyframe then supplies (ingest::complete_parameters).
  av::CodecParameters video_par = av::copy_parameters(video.parameters);
  RunStarted started{settings_.id, 0, {}, codec_name(video.parameters), 0, 0, codec_name(audio.parameters)};
  bool run_started = false;

  segment::StreamLayout layout;
  layout.video = video_par.get();
  layout.video_time_base = video.time_base;
  if (video.frame_rate.num > 0 && video.frame_rate.den > 0) layout.frame_rate = video.frame_rate;
  if (audio.parameters != nullptr) {
    layout.audio = audio.parameters;
    layout.audio_time_base = audio.time_base;
  }

  std::unique_ptr<segment::SegmentFile> current;
  SegmentOpened current_info;
  // Packets arrive late, never early: the earliest (wall clock at read − media time) over the
  // open segment's video packets estimates when its first packet really happened.
  UtcTime earliest_start{};
  previous_end_.reset();  // a new run starts on its own wall clock
  std::uint64_t seq = 0;
  GopSizes gop;  // inter frames since the last keyframe, for the keyframe observer
  Micros clock_baseline = wall_minus_monotonic(*env_.clock);
  av::Packet packet = av::make_packet();

  auto close_current = [&]() -> bool {
    if (!current) return true;
    auto closed = current->close();
    auto info = current_info;
    current.reset();
    if (!closed) {
      log::error("segment_discarded", {{"camera", settings_.id}, {"path", info.path.string()},
                                       {"error", closed.error().message}});
      env_.sink->segment_discarded({settings_.id, info.path, closed.error().message, closed.error().disk});
      return false;
    }
    {
      std::lock_guard lock(mutex_);
      snapshot_.last_segment = info.path;
    }
    // A first packet that came late (a cached GOP sent on connect, a loaded machine) stamped
    // the segment late; the rest of it dates the start better. Never before the previous
    // segment of the run ended (previous_end_ is still that segment's end here).
    UtcTime corrected = previous_end_ ? std::max(earliest_start, *previous_end_) : earliest_start;
    if (closed->start - corrected > kLateStartThreshold) {
      log::info("segment_start_corrected",
                {{"camera", settings_.id}, {"path", info.path.string()},
                 {"late_ms", std::to_string((closed->start - corrected).count() / 1000)}});
      closed->start = corrected;
    }
    previous_end_ = closed->truncated ? std::nullopt : std::optional<UtcTime>(closed->start + closed->duration);
    env_.sink->segment_closed({settings_.id, run_key, info.seq, info.path, *closed, started.video_codec,
                               started.width, started.height, started.audio_codec});
    return !closed->truncated;
  };

  // After each write: a sync inside it may have made a new prefix durable.
  auto report_checkpoint = [&] {
    if (auto checkpoint = current->take_checkpoint()) {
      env_.sink->segment_progress({settings_.id, run_key, current_info.seq, current_info.path, *checkpoint,
                                   env_.clock->now()});
    }
  };

  auto end_run = [&](std::optional<ingest::DownCause> cause, std::string detail, DiskFault disk = DiskFault::None,
                     bool paused = false) {
    close_current();
    auto now = env_.clock->now();
    if (cause) {
      log::warn("camera_down", {{"camera", settings_.id}, {"cause", std::string(ingest::to_string(*cause))},
                                {"reason", std::string(ingest::describe(*cause))}, {"detail", detail},
                                {"disk_fault", std::string(to_string(disk))}});
      set_state(false, now, cause, detail, disk);
      failed = {ingest::Failure{*cause, detail}, disk, paused};  // the caller paces the reconnect by it
    }
    env_.sink->run_ended({settings_.id, run_key, now, cause, detail, disk, paused});
  };
  // A segment that could not be created or written: its disk fault goes with the run's end.
  auto end_run_on_write_error = [&](const segment::WriteError& error) {
    if (error.disk != DiskFault::None)
      log::error("segment_write_failed", {{"camera", settings_.id}, {"disk_fault", std::string(to_string(error.disk))},
                                          {"error", error.message}});
    end_run(cause_of_write_error(error), error.message, error.disk);
  };

  // Before the first keyframe nothing was recorded: a failure then is a failed connection.
  auto fail_session = [&](ingest::DownCause cause, std::string detail, bool paused = false) {
    if (run_started) {
      end_run(cause, std::move(detail), DiskFault::None, paused);
      return SessionEnd::Ended;
    }
    failed = {ingest::Failure{cause, std::move(detail)}, DiskFault::None, paused};
    return SessionEnd::FailedBeforeStart;
  };

  while (!stop.stop_requested()) {
    if (paused_) {
      std::string reason;
      {
        std::lock_guard lock(mutex_);
        reason = pause_reason_;
      }
      return fail_session(ingest::DownCause::DiskError, "recording paused: " + reason, true);
    }
    auto kind = contained([&] { return source.read(packet.get()); });
    if (!kind) {
      av_packet_unref(packet.get());  // a read that threw may have left a partial packet
      if (stop.stop_requested()) break;
      return fail_session(kind.error().cause, kind.error().detail);
    }
    if (*kind == ingest::Source::Kind::Other) {
      av_packet_unref(packet.get());
      continue;
    }
    if (*kind == ingest::Source::Kind::Video) {
      bool key = (packet->flags & AV_PKT_FLAG_KEY) != 0;
      if (!run_started) {
        if (!key) {
          av_packet_unref(packet.get());
          continue;
        }
        if (auto st = ingest::complete_parameters(video_par.get(), packet.get()); !st) {
          av_packet_unref(packet.get());
          return fail_session(ingest::DownCause::Unsupported, st.error().message);
        }
        run_key = next_run_key_++;
        run_started = true;
        started.run_key = run_key;
        started.time = env_.clock->now();
        started.width = video_par->width;
        started.height = video_par->height;
        log::info("camera_up", {{"camera", settings_.id}, {"codec", started.video_codec},
                                {"size", std::to_string(started.width) + "x" + std::to_string(started.height)}});
        set_state(true, started.time, std::nullopt, {});
        {
          std::lock_guard lock(mutex_);
          if (run_key > 1) ++snapshot_.reconnects;
          snapshot_.video_codec = started.video_codec;
          snapshot_.width = started.width;
          snapshot_.height = started.height;
        }
        env_.sink->run_started(started);
      }
      // New in-band parameter sets mean a new resolution or profile: the open segment's
      // header no longer describes the stream. Reconnecting starts over with fresh ones.
      std::size_t side_size = 0;
      if (av_packet_get_side_data(packet.get(), AV_PKT_DATA_NEW_EXTRADATA, &side_size) != nullptr && current) {
        av_packet_unref(packet.get());
        end_run(ingest::DownCause::CodecChanged, "new parameter sets in the stream");
        return SessionEnd::Ended;
      }
      Micros drift = wall_minus_monotonic(*env_.clock) - clock_baseline;
      auto arrived = env_.clock->now();  // after a step below, the packet is on the new clock
      if (std::chrono::abs(drift) > settings_.clock_step_threshold) {
        clock_baseline += drift;
        log::warn("clock_step", {{"camera", settings_.id}, {"step_ms", std::to_string(drift.count() / 1000)}});
        env_.sink->clock_stepped({settings_.id, env_.clock->now(), drift});
        // A segment's start and duration must agree with one wall clock: cut here, and
        // start the next one on the new wall clock.
        close_current();
        previous_end_.reset();
      }
      // Cut at the first keyframe at or after the target length; live timestamps jitter by
      // a few milliseconds, so a keyframe a hair early still counts as on time.
      constexpr Micros kCutTolerance{100'000};
      if (current && key && current->media_duration() + kCutTolerance >= settings_.segment_length) close_current();
      if (!current) {
        if (!key) {  // a segment starts on a keyframe so it plays from its first byte
          av_packet_unref(packet.get());
          continue;
        }
        auto start = arrived;
        // Within a run, a segment begins where the previous one ended by the media clock;
        // the wall clock at its first packet differs from that only by network and encoder
        // jitter (tens of ms). Keeping the exact end makes consecutive segments contiguous.
        // A larger difference is real (a stream that skipped time) and the wall clock wins.
        if (previous_end_ && std::chrono::abs(start - *previous_end_) <= kContiguityTolerance) start = *previous_end_;
        auto relative = next_segment_path(start);
        auto file = segment::SegmentFile::create(env_.storage / relative, layout, start);
        if (!file) {
          av_packet_unref(packet.get());
          log::error("segment_create_failed", {{"camera", settings_.id}, {"error", file.error().message}});
          end_run_on_write_error(file.error());
          return SessionEnd::Ended;
        }
        current = std::move(*file);
        current_info = SegmentOpened{settings_.id, run_key, seq++, relative, start};
        earliest_start = start;
        env_.sink->segment_opened(current_info);
      }
      if (key) {
        if (env_.keyframe_observer) env_.keyframe_observer(settings_.id, *video_par, *packet, gop);
        gop = {};
      } else {
        gop.inter_bytes += packet->size;
        ++gop.inter_frames;
      }
      auto before = current->bytes_written();
      if (auto st = current->write(packet.get(), 0); !st) {
        av_packet_unref(packet.get());
        end_run_on_write_error(st.error());
        return SessionEnd::Ended;
      }
      if (auto media = current->last_video_time()) earliest_start = std::min(earliest_start, arrived - *media);
      report_checkpoint();
      std::lock_guard lock(mutex_);
      snapshot_.frames += 1;
      snapshot_.bytes += current->bytes_written() - before;
    } else {
      if (!current) {
        av_packet_unref(packet.get());
        continue;
      }
      if (auto st = current->write(packet.get(), 1); !st) {
        av_packet_unref(packet.get());
        end_run_on_write_error(st.error());
        return SessionEnd::Ended;
      }
      report_checkpoint();
    }
  }
  if (run_started) end_run(std::nullopt, "stopped");
  return SessionEnd::Stopped;
}

}  // namespace carekeep::recorder
