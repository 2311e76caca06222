#include "daemon.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/statvfs.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cmath>
#include <future>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "alerts/alerts.hpp"
#include "base/fs.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "catalog/catalog.hpp"
#include "config/load.hpp"
#include "control/policy.hpp"
#include "health/disk_reserve.hpp"
#include "history/history.hpp"
#include "index/index.hpp"
#include "integrity/recovery.hpp"
#include "recorder/recorder.hpp"
#include "care/calendar.hpp"
#include "retention/deleter.hpp"
#include "retention/protection.hpp"
#include "retention/storage.hpp"
#include "status/status.hpp"
#include "retention_task.hpp"
#include "disk_health_task.hpp"
#include "coverage_task.hpp"
#include "content_task.hpp"
#include "metrics_server.hpp"
#include "zone_metrics.hpp"
#include "fleet_metrics.hpp"
#include "anchor_task.hpp"
#include "digest_task.hpp"
#include "summary_task.hpp"
#include "signing/trust.hpp"
#include "webhook.hpp"
#include "web_server.hpp"
#include "web/certificate.hpp"
#include "web/console.hpp"
#include "control_server.hpp"
#include "export/digest.hpp"
#include "export/hold.hpp"

namespace carekeep::daemon {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

recorder::CameraSettings settings_for(const config::Camera& camera) {
  recorder::CameraSettings s;
  s.id = camera.id;
  s.url = camera.url;
  s.transport = std::string(config::to_string(camera.transport));
  s.client = camera.client == config::Client::Libavformat ? ingest::Client::Libavformat : ingest::Client::Native;
  s.segment_length = std::chrono::seconds(camera.segment_seconds);
  s.limits.max_access_unit = static_cast<std::size_t>(camera.max_frame_mib) * 1024 * 1024;
  s.allow_basic_auth = camera.allow_basic_auth;
  s.tls = {camera.tls_verify, camera.tls_ca_file.string(), camera.tls_fingerprint};
  return s;
}

bool same_recording(const config::Camera& a, const config::Camera& b) {
  return a.url == b.url && a.transport == b.transport && a.client == b.client && a.segment_seconds == b.segment_seconds &&
         a.max_frame_mib == b.max_frame_mib && a.allow_basic_auth == b.allow_basic_auth && a.enabled == b.enabled &&
         a.tls_verify == b.tls_verify && a.tls_ca_file == b.tls_ca_file && a.tls_fingerprint == b.tls_fingerprint;
}

// The camera table follows the configuration (ids and display names).
std::vector<index::ConfiguredCamera> configured_cameras(const config::Config& config) {
  std::vector<index::ConfiguredCamera> cameras;
  for (const auto& c : config.cameras) cameras.push_back({c.id, c.name});
  return cameras;
}

// protect_until for each closed segment under the schedule in force at its close.
retention::ProtectionPolicy protection_for(const config::Config& config) {
  care::CareCalendar calendar{config.care_hours, TimeZone::locate(config.site.timezone).value()};
  return retention::make_protection_policy(config.retention, calendar);
}

// The care sessions the daemon's calendars need: any that footage it may still protect or
// check could overlap (care_days back, and the open one, however far its limit).
index::TimeRange care_session_window(const config::Config& config, UtcTime now) {
  return {now - std::chrono::days{config.retention.care_days + 2}, UtcTime::max()};
}

// Stores the configuration now running (history/history.hpp) and says so in the journal.
// Failing to store it is logged, not fatal: recording matters more.
void record_config_load(index::Index& index, const config::Config& config, const history::Loader& loader) {
  auto outcome = history::record_load(index, config, loader, SystemClock{}.now());
  if (!outcome) {
    log::error("config_history_write_failed", {{"error", outcome.error().message}});
    return;
  }
  log::info("config_recorded", {{"version", std::to_string(outcome->version)},
                                {"sha256", to_hex(outcome->sha256)},
                                {"new_version", outcome->stored ? "yes" : "no"},
                                {"changes", outcome->changes ? outcome->changes->summary() : std::string("none")},
                                {"by", loader.user}});
}

// Recorder reports hop from ingest threads onto the loop thread, where the catalog owns
// the index connection. Posting copies the report; nothing here blocks the recorder.
class LoopSink final : public recorder::SegmentSink {
 public:
  LoopSink(asio::io_context& io, catalog::Catalog& catalog) : io_(io), catalog_(catalog) {}
  void set_retention(RetentionTask* retention) { retention_ = retention; }
  void set_disk_health(DiskHealthTask* health) { health_ = health; }
  void set_coverage(CoverageTask* coverage) { coverage_ = coverage; }
  void run_started(const recorder::RunStarted& r) override { post(r); }
  void run_ended(const recorder::RunEnded& r) override { post(r); }
  void connect_failed(const recorder::ConnectFailed& r) override { post(r); }
  // Committed at once, not with the next batch, and awaited: the open row must be durable
  // before the file holds its first complete fragment, so crash recovery can tell a file this
  // daemon recorded (it has an open row) from one put there by someone else (quarantined).
  // The recorder has written only the file's header so far. The wait is bounded: a loop busy
  // for longer than kOpenCommitWait costs that segment's guarantee (logged), not the camera's
  // frames, which queue in the socket meanwhile.
  void segment_opened(const recorder::SegmentOpened& r) override {
    auto done = std::make_shared<std::promise<void>>();
    auto committed = done->get_future();
    post(r, true, std::move(done));
    // A handler dropped unrun (the loop stopped) breaks the promise: the future is ready then too.
    if (committed.wait_for(kOpenCommitWait) == std::future_status::timeout)
      log::warn("segment_open_commit_late", {{"camera", r.camera}, {"path", r.path.string()},
                                              {"waited_ms", std::to_string(kOpenCommitWait.count())}});
  }
  // With the 1 s flush: the checkpoint only ever trails the file (its bytes were synced
  // before it was reported), so committing it late is safe, and early is impossible.
  void segment_progress(const recorder::SegmentProgress& r) override { post(r); }
  void segment_closed(const recorder::SegmentClosed& r) override { post(r); }
  void segment_discarded(const recorder::SegmentDiscarded& r) override { post(r); }
  void clock_stepped(const recorder::ClockStep& r) override { post(r); }

 private:
  static constexpr std::chrono::milliseconds kOpenCommitWait{500};

  template <class Report>
  void post(const Report& report, bool commit_now = false, std::shared_ptr<std::promise<void>> done = nullptr) {
    asio::post(io_, [this, report, commit_now, done = std::move(done)] {
      // Footage opened or closed while the clock guard distrusts the clock is marked
      // suspect_clock, and never becomes evidence of the time (issue 15).
      if (retention_ != nullptr) catalog_.set_clock_suspect(!retention_->clock_trusted());
      if (auto st = catalog_.apply(report); !st) {
        log::error("index_write_failed", {{"error", st.error().message}});
      } else if (commit_now) {
        // While reports wait for the index's disk, the daemon's 1 s flush says so (once).
        if (auto flushed = catalog_.flush(); !flushed && catalog_.waiting() == 0)
          log::error("index_commit_failed", {{"error", flushed.error().message}});
      }
      if (retention_ != nullptr) retention_->observe(report);
      if (health_ != nullptr) health_->observe(report);
      if (coverage_ != nullptr) coverage_->observe(report);
      if (done) done->set_value();
    });
  }
  asio::io_context& io_;
  catalog::Catalog& catalog_;
  RetentionTask* retention_ = nullptr;
  DiskHealthTask* health_ = nullptr;
  CoverageTask* coverage_ = nullptr;
};

struct CameraRates {
  std::uint64_t bytes = 0;
  std::uint64_t frames = 0;
  std::chrono::steady_clock::time_point at{};
  double bitrate_bps = 0;
  double fps = 0;
};

// The care calendar the cameras' threads ask when pacing reconnects (recorder::pace_after):
// the loop swaps it on reload while they read it.
class SharedCalendar {
 public:
  explicit SharedCalendar(const config::Config& config) { set(config); }
  void set(const config::Config& config) {
    auto next = std::make_shared<const care::CareCalendar>(config.care_hours, TimeZone::locate(config.site.timezone).value());
    std::lock_guard lock(mutex_);
    calendar_ = std::move(next);
  }
  bool in_care(UtcTime t) const {
    std::shared_ptr<const care::CareCalendar> calendar;
    {
      std::lock_guard lock(mutex_);
      calendar = calendar_;
    }
    return calendar->in_care(t);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const care::CareCalendar> calendar_;
};

std::string hostname();

class Daemon {
 public:
  Daemon(config::Config config, std::filesystem::path config_path, index::Index index, fs::LockFile lock,
         index::DaemonRunId run, retention::ProtectionPolicy protection)
      : config_(std::move(config)),
        config_path_(std::move(config_path)),
        index_(std::move(index)),
        lock_(std::move(lock)),
        daemon_run_(run),
        zone_(TimeZone::locate(config_.site.timezone).value()),
        catalog_(index_, run, std::move(protection)),
        sink_(io_, catalog_),
        alerts_(index_, clock_),
        retention_(io_, index_, alerts_, clock_, daemon_run_,
                   {[this] { flush(); }, [this](const std::string& reason) { pause_recording(reason); },
                    [this] { resume_recording(); }, {},
                    [this](DiskFault fault, const std::string& detail) { disk_health_.index_write_failed(fault, detail); }}),
        signals_(io_, SIGTERM, SIGINT),
        flush_timer_(io_),
        status_timer_(io_),
        watchdog_timer_(io_) {
    sink_.set_retention(&retention_);
    retention_.configure(config_);
    sink_.set_disk_health(&disk_health_);
    disk_health_.configure(config_);
    sink_.set_coverage(&coverage_);
    coverage_.configure(config_);
    // An alert commits on its own, never inside the catalog's batch that a full or failing
    // index disk rolls back; on a full disk the reserve beside the index makes room for it.
    // A refused commit is reported as the 1 s flush reports one, once this handler is done
    // (reporting raises alerts, and the center is in the middle of a write).
    alerts_.set_write_hooks({[this] {
                               if (auto st = catalog_.commit_batch(); !st) asio::post(io_, [this, st] { flushed(st); });
                             },
                             [this](DiskFault fault) { return disk_health_.make_room_for_alert(fault); }});
    webhooks_.configure(config_);  // [[alerts.webhook]]: alerts also go to people's phones
    alerts_.subscribe([this](const alerts::Change& change) { webhooks_.notify(change); });
    webhooks_.adopt(alerts_.open());
  }

  // Protected care footage whose file vanished while the daemon was not looking (recovery
  // marked the rows damaged): one critical alert per camera, through the center so that the
  // webhooks hear it too. Nothing resolves it; a person acknowledges it.
  void raise_lost_footage(const std::vector<index::SegmentRow>& rows) {
    std::map<std::string, std::vector<const index::SegmentRow*>> by_camera;
    for (const auto& row : rows) by_camera[row.camera_id].push_back(&row);
    for (const auto& [camera, lost] : by_camera) {
      std::string message = std::to_string(lost.size()) +
                            " protected care segment(s) found without their file at startup (removed outside "
                            "carekeep before their retention ended):";
      std::size_t shown = 0;
      for (const auto* row : lost) {
        if (++shown > 5) {
          message += " ...";
          break;
        }
        message += " " + std::to_string(row->id) + " " + row->path + " (recorded " + format_utc_iso(row->start) +
                   ", protected until " + format_utc_iso(*row->protect_until) + ")";
      }
      message += "; run carekeep verify and find out who removed them";
      if (auto st = alerts_.raise(alerts::kFootageMissing, camera, alerts::Severity::Critical, message); !st)
        log::error("alert_write_failed", {{"error", st.error().message}});
    }
  }

  // Files recovery refused as not recorded by carekeepd (issue 15, G and G2): one critical alert
  // per camera, through the center so that the webhooks hear it. Nothing resolves it.
  void raise_not_recorded(const std::vector<integrity::RefusedSegment>& refused) {
    std::map<std::string, std::vector<const integrity::RefusedSegment*>> by_camera;
    for (const auto& r : refused) by_camera[r.row.camera_id].push_back(&r);
    for (const auto& [camera, segments] : by_camera) {
      std::string message = std::to_string(segments.size()) +
                            " segment(s) found at startup with a file carekeepd did not record, quarantined:";
      std::size_t shown = 0;
      for (const auto* r : segments) {
        if (++shown > 3) {
          message += " ...";
          break;
        }
        message += " " + std::to_string(r->row.id) + " " + r->row.path + " (" + r->reason + ")";
      }
      message += "; run carekeep verify and find out who replaced them";
      if (auto st = alerts_.raise(alerts::kFootageNotRecorded, camera, alerts::Severity::Critical, message); !st)
        log::error("alert_write_failed", {{"error", st.error().message}});
    }
  }

  int run() {
    content_.recover();
    content_.configure(config_);
    for (const auto& camera : config_.cameras) start_camera(camera);
    wait_signal();
    watch_reload_signal();
    schedule_flush();
    schedule_status();
    schedule_watchdog();
    retention_.start();
    disk_health_.start();  // read-only storage, SMART; write faults as the recorders report them
    coverage_.start();  // zone_uncovered alerts; the past day's gaps stored hourly
    anchors_.start();  // the box key (created at first start) and the daily signed anchors
    digests_.configure(config_, config_file_sha256(config_path_));
    digests_.start();  // the daily signed digest that leaves the box ([evidence] digest_time)
    summaries_.configure(config_);
    summaries_.start();  // the daily summary to every webhook ([alerts] summary_time), a missed one now
    start_web();  // before the first status: it shows the console's address and fingerprint
    write_status();
    start_metrics();
    start_control();
    sd_notify(0, "READY=1");
    log::info("daemon_ready", {{"cameras", std::to_string(recorders_.size())},
                               {"storage", config_.site.storage.string()}});
    io_.run();
    return exit_code_;
  }

 private:
  void start_camera(const config::Camera& camera) {
    if (!camera.enabled) {
      log::info("camera_disabled", {{"camera", camera.id}});
      return;
    }
    recorder::RecorderEnv env{config_.site.storage, zone_, nullptr, &sink_};
    env.keyframe_observer = content_.observer();
    env.in_care = [calendar = calendar_](UtcTime t) { return calendar->in_care(t); };
    auto rec = std::make_unique<recorder::Recorder>(settings_for(camera), env);
    if (!recording_pause_reason_.empty()) rec->pause(recording_pause_reason_);
    rec->start();
    recorders_[camera.id] = std::move(rec);
  }

  // Retention's disk-full triage: every camera stops (outside care hours) or resumes.
  void pause_recording(const std::string& reason) {
    recording_pause_reason_ = reason;
    for (auto& [id, rec] : recorders_) rec->pause(reason);
  }
  void resume_recording() {
    recording_pause_reason_.clear();
    for (auto& [id, rec] : recorders_) rec->resume();
  }

  void stop_cameras(const std::vector<std::string>& ids) {
    // Ask all first, then wait: each one's stop is bounded by its read deadline, and
    // waiting in parallel keeps shutdown within ~2 s whatever the camera count.
    std::vector<std::unique_ptr<recorder::Recorder>> stopping;
    for (const auto& id : ids) {
      auto it = recorders_.find(id);
      if (it == recorders_.end()) continue;
      it->second->request_stop();
      stopping.push_back(std::move(it->second));
      recorders_.erase(it);
    }
    for (auto& rec : stopping) rec->stop();
  }

  void wait_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {  // only when the signalfd could not be made (watch_reload_signal)
        reload(std::nullopt);
        wait_signal();
        return;
      }
      shutdown(signo == SIGTERM ? "SIGTERM" : "SIGINT");
    });
  }

  // SIGHUP arrives through a signalfd, which says who sent it (ssi_uid, ssi_pid): every reload
  // is stored with its sender (docs/evidence.md, Configuration history). run() blocked SIGHUP
  // before any thread existed, so every thread inherits the block and none is killed by it.
  void watch_reload_signal() {
    if (!reload_fd_.is_open()) {
      sigset_t hup;
      sigemptyset(&hup);
      sigaddset(&hup, SIGHUP);
      int fd = ::signalfd(-1, &hup, SFD_NONBLOCK | SFD_CLOEXEC);
      if (fd < 0) {
        log::error("reload_signal_unwatched", {{"error", std::strerror(errno)},
                                               {"effect", "reloads are recorded without their sender"}});
        signals_.add(SIGHUP);
        pthread_sigmask(SIG_UNBLOCK, &hup, nullptr);
        return;
      }
      reload_fd_.assign(fd);
    }
    reload_fd_.async_wait(asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
      if (ec) return;
      signalfd_siginfo info{};
      std::optional<history::Loader> sender;
      while (::read(reload_fd_.native_handle(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        sender = history::Loader{index::ConfigLoadSource::Reload, static_cast<std::int64_t>(info.ssi_uid),
                                 control::user_name(info.ssi_uid), static_cast<std::int64_t>(info.ssi_pid)};
      }
      if (sender) reload(sender);
      watch_reload_signal();
    });
  }

  void reload(std::optional<history::Loader> sender) {
    sd_notify(0, "RELOADING=1");
    auto outcome = config::parse_file(config_path_);
    for (const auto& d : outcome.diagnostics) log::warn("config_diagnostic", {{"message", config::format(d)}});
    if (!outcome.ok()) {
      log::error("config_reload_rejected", {{"errors", std::to_string(outcome.error_count())},
                                            {"reason", "the new configuration is invalid; the old one keeps running"}});
      sd_notify(0, "READY=1");
      return;
    }
    config::Config next = std::move(*outcome.config);
    next.care_hours.adhoc = config_.care_hours.adhoc;  // from the index, not the file
    if (next.site.storage != config_.site.storage || next.site.database != config_.site.database ||
        next.site.timezone != config_.site.timezone) {
      log::warn("config_reload_partial", {{"reason", "site storage, database and timezone changes need a restart"}});
      next.site = config_.site;
    }
    std::vector<std::string> to_stop;
    std::vector<const config::Camera*> to_start;
    for (const auto& old_camera : config_.cameras) {
      const auto* now = next.find_camera(old_camera.id);
      if (now == nullptr || !same_recording(old_camera, *now)) to_stop.push_back(old_camera.id);
    }
    for (const auto& camera : next.cameras) {
      const auto* before = config_.find_camera(camera.id);
      if (before == nullptr || !same_recording(*before, camera)) to_start.push_back(&camera);
    }
    stop_cameras(to_stop);
    config_ = std::move(next);
    calendar_->set(config_);
    catalog_.set_protection(protection_for(config_));
    retention_.configure(config_);
    disk_health_.configure(config_);
    coverage_.configure(config_);
    content_.configure(config_);
    webhooks_.configure(config_);
    digests_.configure(config_, config_file_sha256(config_path_));
    summaries_.configure(config_);
    if (control_) control_->set_access(config_.access);
    for (const auto* camera : to_start) start_camera(*config_.find_camera(camera->id));
    sync_cameras();
    flush();  // the catalog's batch first: the load is committed on its own, at once
    record_config_load(index_, config_, sender.value_or(history::Loader{index::ConfigLoadSource::Reload, std::nullopt,
                                                                        "unknown", std::nullopt}));
    log::info("config_reloaded", {{"stopped", std::to_string(to_stop.size())},
                                  {"started", std::to_string(to_start.size())}});
    sd_notify(0, "READY=1");
  }

  void sync_cameras() {
    if (auto st = index_.sync_cameras(configured_cameras(config_), SystemClock{}.now()); !st)
      log::error("index_write_failed", {{"error", st.error().message}});
  }

  // [metrics] listen: the Prometheus endpoint (metrics_server.hpp); a change needs a restart.
  void start_metrics() {
    if (config_.metrics.listen.empty()) return;
    MetricsAccess access{web::AllowList::from_config(config_.metrics.allow), std::nullopt};
    if (!config_.metrics.bearer_token_file.empty()) {
      auto token = web::BearerToken::read(config_.metrics.bearer_token_file);
      if (!token) {  // never serve without the token asked for: no endpoint at all instead
        log::error("metrics_unavailable", {{"error", token.error().message}});
        return;
      }
      access.token = std::move(*token);
    }
    auto server = MetricsServer::start(io_, config_.metrics.listen, std::move(access));
    if (!server) {  // recording matters more than metrics: go on without them
      log::error("metrics_unavailable", {{"error", server.error().message}});
      return;
    }
    metrics_ = std::move(*server);
    metrics_->add_source([this](Exposition& out) {
      add_status_metrics(out, last_status_, last_status_json_, config_.site.storage, SystemClock{}.now());
      add_zone_metrics(out, index_, config_, last_status_, SystemClock{}.now());
      const auto* key = anchors_.key();
      add_fleet_metrics(out, index_, config_, last_status_, {key ? key->fingerprint() : "", digests_.last()},
                        SystemClock{}.now());
    });
    log::info("metrics_listening", {{"listen", config_.metrics.listen}, {"port", std::to_string(metrics_->port())}});
  }

  // What the console (lib/web) reads and changes, on the loop thread. Writes commit the
  // catalog's batch first, as alerts do: they must not ride in a batch the index may refuse.
  class ConsoleBackend final : public web::Backend {
   public:
    explicit ConsoleBackend(Daemon& d) : d_(d) {}
    status::DaemonStatus status() override {
      auto s = d_.last_status_;
      s.alerts = d_.alerts_.open();  // acknowledgements made a moment ago included
      std::vector<std::string> zone_ids;
      for (const auto& zone : d_.config_.zones) zone_ids.push_back(zone.id);
      s.zones = status::zones_covered(zone_ids, s.alerts);
      return s;
    }
    Result<std::optional<index::WebAccountRow>> account(std::string_view name) override {
      return d_.index_.web_account(name);
    }
    Status acknowledge_alert(std::int64_t id, std::string_view by) override {
      if (auto st = d_.catalog_.commit_batch(); !st) return st;
      return alerts::acknowledge_as(d_.index_, id, SystemClock{}.now(), static_cast<std::int64_t>(::getuid()), by);
    }
    void log_access(std::string_view action, std::string_view user, std::string_view arguments,
                    std::string_view result) override {
      index::NewAccessEntry entry;
      entry.time = SystemClock{}.now();
      entry.uid = static_cast<std::int64_t>(::getuid());
      entry.user = std::string(user);
      entry.action = std::string(action);
      entry.arguments = std::string(arguments);
      entry.result = std::string(result);
      if (auto committed = d_.catalog_.commit_batch(); !committed) {
        log::error("access_log_write_failed", {{"action", entry.action}, {"error", committed.error().message}});
        return;
      }
      if (auto logged = d_.index_.append_access_log(entry); !logged)
        log::error("access_log_write_failed", {{"action", entry.action}, {"error", logged.error().message}});
    }

   private:
    Daemon& d_;
  };

  // [web] listen: the operator's console (web_server.hpp, lib/web); a change needs a restart.
  void start_web() {
    if (config_.web.listen.empty()) return;
    std::optional<web::Certificate> certificate;
    if (config_.web.https) {
      auto made = web::load_or_create_certificate(config_.site.database.parent_path(), hostname());
      if (!made) {  // recording matters more than the console: go on without it
        log::error("web_unavailable", {{"error", made.error().message}});
        return;
      }
      certificate = std::move(*made);
    }
    web::ConsoleSettings settings;
    settings.language = web::parse_language(config_.web.language);
    settings.https = config_.web.https;
    settings.fingerprint_sha256 = certificate ? certificate->fingerprint_sha256 : std::string();
    settings.device_key = certificate ? web::device_cookie_key(*certificate) : std::string();
    settings.site_name = config_.site.name;
    settings.session_idle = std::chrono::minutes(config_.web.session_idle_minutes);
    settings.zone = zone_;
    auto console = std::make_unique<web::Console>(console_backend_, clock_, web::AllowList::from_config(config_.web.allow),
                                                  std::move(settings));
    auto server = WebServer::start(io_, config_.web, std::move(certificate), std::move(console));
    if (!server) {
      log::error("web_unavailable", {{"listen", config_.web.listen}, {"error", server.error().message}});
      return;
    }
    web_ = std::move(*server);
    auto st = web_->status();
    log::info("web_listening", {{"listen", config_.web.listen},
                                {"port", std::to_string(st.port)},
                                {"scheme", st.https ? "https" : "http"},
                                {"fingerprint_sha256", st.fingerprint_sha256}});
  }

  // [access] socket: the CLI of inspectors and operators reaches the daemon here
  // (control_server.hpp); a change of path needs a restart.
  void start_control() {
    auto cli = find_cli();
    if (!cli) {  // recording matters more than remote commands: go on without them
      log::error("control_unavailable", {{"error", cli.error().message}});
      return;
    }
    std::error_code ec;
    auto config_file = std::filesystem::absolute(config_path_, ec);
    auto server = ControlServer::start(io_, index_, config_.access, *cli, ec ? config_path_ : config_file);
    if (!server) {
      log::error("control_unavailable", {{"socket", config_.access.socket.string()}, {"error", server.error().message}});
      return;
    }
    control_ = std::move(*server);
    // `carekeep digest`: made here, on the loop, so that it goes out through the webhooks' queue.
    control_->set_digest_handler([this](const exports::Actor& actor) -> Result<std::string> {
      auto made = digests_.make("asked", actor);
      if (!made) return tl::unexpected(std::move(made.error()));
      return "digest no. " + std::to_string(made->seq) + " signed, kept in " + made->file.string() +
             " and queued for the webhooks\n" + made->json;
    });
    log::info("control_listening", {{"socket", config_.access.socket.string()}, {"cli", cli->string()}});
  }

  void shutdown(const std::string& reason) {
    log::info("daemon_stopping", {{"signal", reason}});
    sd_notify(0, "STOPPING=1");
    // Commands run for users (exports, reports) stop first: they only read footage, and the
    // recorders' last segments must close within TimeoutStopSec.
    if (control_) control_->stop(std::chrono::milliseconds(1000));
    std::vector<std::string> ids;
    for (const auto& [id, rec] : recorders_) ids.push_back(id);
    stop_cameras(ids);
    flush_timer_.cancel();
    status_timer_.cancel();
    watchdog_timer_.cancel();
    if (metrics_) metrics_->stop();
    if (web_) web_->stop();
    retention_.stop();
    disk_health_.stop();
    signals_.cancel();
    if (reload_fd_.is_open()) reload_fd_.close();
    io_.poll();  // the recorders' last reports (segments closed, runs ended)
    content_.stop();  // open content faults end now, before coverage stores its gaps
    flush();
    coverage_.stop();  // stores the past day's gaps with this run's last footage
    digests_.stop();
    summaries_.stop();
    anchors_.stop();  // a last anchor over the chains as they end
    webhooks_.stop();  // its timers and requests would keep the loop running
    if (auto st = index_.end_daemon_run(daemon_run_, SystemClock{}.now(), "stopped: " + reason); !st)
      log::error("index_write_failed", {{"error", st.error().message}});
    write_status();
    log::info("daemon_stopped");
  }

  void flush() { flushed(catalog_.flush()); }

  // What the catalog's flush (or a commit of its batch) came to: logged and handed to disk
  // health, once per stretch of refusals.
  void flushed(const Status& st) {
    if (!st && catalog_.waiting() > 0) {
      // The index's disk refuses (full, read-only, failing): the reports wait in memory and
      // every flush tries again; logged when it starts and when it ends, not every second.
      if (!index_waiting_)
        log::error("index_commit_failed", {{"error", st.error().message},
                                           {"disk_fault", std::string(to_string(catalog_.waiting_fault()))},
                                           {"waiting", std::to_string(catalog_.waiting())},
                                           {"effect", "reports kept in memory and written when the index can take them"}});
      index_waiting_ = true;
      disk_health_.index_write_failed(catalog_.waiting_fault(), st.error().message);
      return;
    }
    if (!st) log::error("index_commit_failed", {{"error", st.error().message}});
    if (st && index_waiting_) {
      log::info("index_commit_resumed", {});
      disk_health_.index_written();
    }
    index_waiting_ = !st && catalog_.waiting() > 0;
  }

  // Ad-hoc care sessions: `carekeep care start|stop` writes the index (through the control
  // socket, as the daemon's user); the daemon sees the change here within a second and
  // rebuilds every calendar, as a reload would. A segment closed in that second stored the
  // shorter protection; retention's plan keeps it anyway (PlanInput::adhoc). An open session
  // past its limit is ended here, with a warning.
  void check_care_sessions() {
    const auto now = SystemClock{}.now();
    auto open = index_.open_care_session();
    if (!open) {
      log::error("index_read_failed", {{"what", "care sessions"}, {"error", open.error().message}});
      return;
    }
    if (*open && (*open)->limit <= now) {
      const auto& s = **open;
      auto ended = index_.end_care_session(s.id, now, index::CareSessionEnd::Limit, std::nullopt, std::nullopt);
      if (!ended) {
        log::error("index_write_failed", {{"what", "ending a care session"}, {"error", ended.error().message}});
      } else {
        log::warn("care_session_limit", {{"session", std::to_string(s.id)}, {"started", format_utc_iso(s.started)},
                                         {"ended", format_utc_iso(s.limit)}});
        std::string message = "ad-hoc care session " + std::to_string(s.id) + " started " + format_utc_iso(s.started) +
                              " by " + s.started_user + " ended by itself at its limit (" +
                              std::to_string(std::chrono::duration_cast<std::chrono::hours>(s.limit - s.started).count()) +
                              " h after its start, [care_hours] adhoc_max_hours); if children are still in care, start "
                              "a new one with `carekeep care start`";
        if (auto st = alerts_.raise(alerts::kCareAutoStopped, "", alerts::Severity::Warning, message); !st)
          log::error("alert_write_failed", {{"error", st.error().message}});
      }
    } else if (*open && alerts_.is_open(alerts::kCareAutoStopped, "")) {
      if (auto st = alerts_.resolve(alerts::kCareAutoStopped, ""); !st)
        log::error("alert_write_failed", {{"error", st.error().message}});
    }
    auto adhoc = history::adhoc_care(index_, care_session_window(config_, now));
    if (!adhoc) {
      log::error("index_read_failed", {{"what", "care sessions"}, {"error", adhoc.error().message}});
      return;
    }
    if (*adhoc == config_.care_hours.adhoc) return;
    log::info("care_sessions_changed", {{"sessions", std::to_string(adhoc->size())},
                                        {"open", *open && (*open)->limit > now ? std::to_string((*open)->id) : ""}});
    config_.care_hours.adhoc = std::move(*adhoc);
    calendar_->set(config_);
    catalog_.set_protection(protection_for(config_));
    retention_.configure(config_);
    coverage_.configure(config_);
  }

  void schedule_flush() {
    // PRODUCT.md §2: the index never lags the files on disk by more than ~1-2 s.
    flush_timer_.expires_after(1s);
    flush_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      flush();
      check_care_sessions();
      schedule_flush();
    });
  }

  void schedule_status() {
    status_timer_.expires_after(5s);
    status_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto st = index_.mark_daemon_alive(daemon_run_, SystemClock{}.now()); !st)
        log::error("index_write_failed", {{"error", st.error().message}});
      write_status();
      schedule_status();
    });
  }

  void schedule_watchdog() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
    watchdog_timer_.expires_after(std::chrono::microseconds(usec / 2));
    watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      sd_notify(0, "WATCHDOG=1");
      schedule_watchdog();
    });
  }

  // status.json beside the index: what `carekeep status` shows about live cameras. The typed
  // part is lib/status's; retention, SMART and content add the sections they own.
  void write_status() {
    auto now = SystemClock{}.now();
    auto steady = std::chrono::steady_clock::now();
    status::DaemonStatus typed;
    int up = 0;
    for (const auto& camera : config_.cameras) {
      status::Camera entry{camera.id, camera.name, camera.enabled, false, std::nullopt};
      auto it = recorders_.find(camera.id);
      if (it != recorders_.end()) {
        auto snap = it->second->snapshot();
        auto& rates = rates_[camera.id];
        if (rates.at != std::chrono::steady_clock::time_point{}) {
          double seconds = std::chrono::duration<double>(steady - rates.at).count();
          if (seconds > 0) {
            rates.bitrate_bps = static_cast<double>(snap.bytes - rates.bytes) * 8 / seconds;
            rates.fps = static_cast<double>(snap.frames - rates.frames) / seconds;
          }
        }
        rates.bytes = snap.bytes;
        rates.frames = snap.frames;
        rates.at = steady;
        if (snap.up) ++up;
        entry.up = snap.up;
        status::CameraLive live;
        if (snap.since != UtcTime{}) live.since = snap.since;
        if (snap.cause) {
          live.cause = std::string(ingest::to_string(*snap.cause));
          live.reason = std::string(ingest::describe(*snap.cause));
        }
        live.detail = text::redact_urls_in(snap.detail);
        // cause disk_error: which fault the write met ("full", "read_only", ...), typed at the write.
        if (snap.cause == ingest::DownCause::DiskError && snap.disk_fault != DiskFault::None)
          live.disk_fault = std::string(to_string(snap.disk_fault));
        live.bitrate_bps = static_cast<std::int64_t>(rates.bitrate_bps);
        live.fps = std::round(rates.fps * 10) / 10;
        live.bytes = snap.bytes;
        live.frames = snap.frames;
        live.reconnects = snap.reconnects;
        live.codec = snap.video_codec;
        live.width = snap.width;
        live.height = snap.height;
        live.last_segment = snap.last_segment.string();
        entry.live = std::move(live);
      }
      typed.cameras.push_back(std::move(entry));
    }
    struct statvfs vfs{};
    if (::statvfs(config_.site.storage.c_str(), &vfs) == 0) {
      typed.disk = status::Disk{static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize,
                                static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize};
    }
    typed.pid = ::getpid();
    typed.daemon_run = daemon_run_;
    typed.updated = now;
    typed.running = !io_.stopped() && !recorders_.empty();
    typed.forecast_care_days = retention_.forecast_care_days();
    typed.alerts = alerts_.open();
    std::vector<std::string> zone_ids;
    for (const auto& zone : config_.zones) zone_ids.push_back(zone.id);
    typed.zones = status::zones_covered(zone_ids, typed.alerts);
    if (web_) typed.web = web_->status();
    nlohmann::json json = nlohmann::json::object();
    status::to_json(typed, zone_, json);
    // Sections their owners type: each camera's content checks, retention, forecast, SMART.
    for (auto& entry : json["cameras"]) {
      auto id = entry["camera"].get<std::string>();
      if (recorders_.count(id) != 0) entry["content"] = content_.status(id);
    }
    retention_.add_status(json);
    disk_health_.add_status(json);
    last_status_ = std::move(typed);
    last_status_json_ = json;
    auto path = status::status_path(config_.site.database);
    if (auto st = fs::write_file_atomic(path, json.dump(2) + "\n"); !st)
      log::warn("status_write_failed", {{"error", st.error().message}});
    std::string line = std::to_string(up) + "/" + std::to_string(config_.cameras.size()) + " cameras recording";
    sd_notifyf(0, "STATUS=%s", line.c_str());
  }

  config::Config config_;
  std::filesystem::path config_path_;
  index::Index index_;
  fs::LockFile lock_;
  index::DaemonRunId daemon_run_;
  TimeZone zone_;
  std::shared_ptr<SharedCalendar> calendar_ = std::make_shared<SharedCalendar>(config_);
  asio::io_context io_;
  catalog::Catalog catalog_;
  LoopSink sink_;
  SystemClock clock_;
  alerts::AlertCenter alerts_;  // every watcher in the daemon raises through this one
  // Sends alerts_' changes (daemon/webhook.hpp); undelivered ones wait in webhook-outbox.json.
  alerts::WebhookNotifier webhooks_{io_, clock_, {}, alerts::webhook_outbox_path(config_)};
  RetentionTask retention_;
  DiskHealthTask disk_health_{io_, alerts_, clock_};
  CoverageTask coverage_{io_, index_, alerts_, clock_, [this] { flush(); }};
  ContentTask content_{io_, index_, alerts_, clock_};  // black/frozen/covered pictures (content_task.hpp)
  std::string recording_pause_reason_;  // non-empty while retention has recording paused
  bool index_waiting_ = false;          // the catalog's reports wait for the index's disk
  asio::signal_set signals_;
  asio::posix::stream_descriptor reload_fd_{io_};  // SIGHUP's signalfd (watch_reload_signal)
  asio::steady_timer flush_timer_;
  asio::steady_timer status_timer_;
  asio::steady_timer watchdog_timer_;
  std::map<std::string, std::unique_ptr<recorder::Recorder>> recorders_;
  std::map<std::string, CameraRates> rates_;
  std::unique_ptr<MetricsServer> metrics_;  // [metrics] listen; renders last_status_
  std::unique_ptr<ControlServer> control_;  // [access] socket
  ConsoleBackend console_backend_{*this};
  std::unique_ptr<WebServer> web_;  // [web] listen
  status::DaemonStatus last_status_;  // what write_status wrote last, typed
  nlohmann::json last_status_json_;   // and as written (the sections other modules own)
  int exit_code_ = 0;
  AnchorTask anchors_{io_, index_, config_.site.database.parent_path(),
                     std::filesystem::absolute(config_path_).parent_path() / signing::kFingerprintFileName};
  DigestTask digests_{io_, index_, anchors_, webhooks_, config_.site.database.parent_path() / exports::kDigestDirName};
  SummaryTask summaries_{io_, index_, anchors_, webhooks_};
};

// Logs why, leaves the alert in the index (status, `carekeep alerts` and the next start see
// it; the index lives in the state directory, which the unit always makes writable) and
// returns the exit status the unit does not restart on (RestartPreventExitStatus=78):
// restarting cannot fix a drop-in, an owner or a disk.
int refuse_unwritable_storage(const config::Config& config, const retention::StorageAccess& access) {
  std::string message = access.message();
  log::critical("storage_not_writable", {{"storage", config.site.storage.string()},
                                         {"cause", std::string(retention::to_string(access.block))},
                                         {"error", access.detail},
                                         {"advice", message}});
  std::error_code ec;  // a first start: the state directory may be empty yet
  std::filesystem::create_directories(config.site.database.parent_path(), ec);
  auto index = index::Index::open_writer(config.site.database);
  if (!index) {
    log::error("alert_write_failed", {{"error", index.error().message}});
    return kExitStorageNotWritable;
  }
  SystemClock clock;
  alerts::AlertCenter center{*index, clock};
  auto kind = access.block == retention::WriteBlock::ReadOnlyDisk ? alerts::kDiskReadonly : alerts::kStorageNotWritable;
  if (auto st = center.raise(kind, "", alerts::Severity::Critical, message); !st)
    log::error("alert_write_failed", {{"error", st.error().message}});
  return kExitStorageNotWritable;
}

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

}  // namespace

int run(const std::filesystem::path& config_path) {
  // A parent may have left signals blocked (the mask survives fork and exec); a blocked
  // SIGTERM would never reach the loop and the daemon could not be stopped cleanly.
  sigset_t signals;
  sigemptyset(&signals);
  for (int signo : {SIGTERM, SIGINT}) sigaddset(&signals, signo);
  pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
  // SIGHUP is read from a signalfd (Daemon::watch_reload_signal), which needs it blocked in
  // every thread: blocked here, before any thread exists, every thread inherits it.
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &hup, nullptr);

  auto config = config::load(config_path);
  if (!config) {
    log::critical("config_invalid", {{"file", config_path.string()}, {"errors", config.error().message}});
    return 1;
  }
  log::Level level;
  if (log::parse_level(config->log.level, level)) log::set_level(level);
  av_log_set_level(AV_LOG_ERROR);

  // Before anything is locked or written there: a storage the sandbox, its owner or a
  // read-only disk keeps us from writing would otherwise surface as a misleading
  // "already_running" (the lock file) or a recorder's EROFS (issue 14).
  if (auto access = retention::probe_writable(config->site.storage); !access.writable()) {
    return refuse_unwritable_storage(*config, access);
  }
  std::error_code ec;
  std::filesystem::create_directories(config->site.storage, ec);
  if (ec) {
    log::critical("storage_unusable", {{"storage", config->site.storage.string()}, {"error", ec.message()}});
    return 1;
  }
  std::filesystem::create_directories(config->site.database.parent_path(), ec);
  auto lock = fs::LockFile::acquire(config->site.storage / ".carekeepd.lock");
  if (!lock) {
    log::critical("already_running", {{"error", lock.error().message}});
    return 1;
  }
  // A disk full to its last byte (the cameras filled it while the daemon was down): the index
  // writes as it opens, so its reserve goes back first (health/disk_reserve.hpp).
  health::DiskReserve reserve{health::reserve_path(config->site.database)};
  if (auto freed = reserve.release_if_short(); freed > 0)
    log::warn("disk_reserve_released", {{"file", reserve.path().string()}, {"bytes", std::to_string(freed)},
                                        {"reason", "the index's disk is full at startup; opening the index writes"}});
  auto index = index::Index::open_writer(config->site.database);
  if (!index) {
    log::critical("index_unusable", {{"database", config->site.database.string()}, {"error", index.error().message}});
    return 1;
  }
  if (auto crashed = index->end_crashed_daemon_runs(); crashed && *crashed > 0)
    log::warn("previous_run_crashed", {{"runs", std::to_string(*crashed)}});

  auto run_id = index->begin_daemon_run({SystemClock{}.now(), CAREKEEP_VERSION, ::getpid(), hostname()});
  if (!run_id) {
    log::critical("index_unusable", {{"error", run_id.error().message}});
    return 1;
  }
  if (auto st = index->sync_cameras(configured_cameras(*config), SystemClock{}.now()); !st) {
    log::critical("index_unusable", {{"error", st.error().message}});
    return 1;
  }
  // The configuration this run starts with joins the history (a new version only if it differs
  // from the last one stored; the start is logged either way).
  record_config_load(*index, *config,
                     {index::ConfigLoadSource::Start, static_cast<std::int64_t>(::getuid()),
                      control::user_name(::getuid()), std::nullopt});
  // Crash recovery before READY (STYLE.md §5): repair open segments, quarantine files
  // without rows, report rows without files. Recorders start only after it.
  // Deletions a crash interrupted are finished first: their decision was already committed.
  if (auto finished = retention::complete_interrupted(*index, config->site.storage, SystemClock{}.now()); !finished) {
    log::critical("recovery_failed", {{"error", finished.error().message}});
    return 1;
  } else if (finished->deleted > 0) {
    log::info("deletions_completed", {{"segments", std::to_string(finished->deleted)}});
  }
  // An export killed with the daemon (or by the OOM killer) left the hold it places while it
  // reads; its footage would otherwise be kept until somebody releases it by hand.
  if (auto released = exports::release_abandoned_export_holds(*index, exports::process_alive, SystemClock{}.now(),
                                                              ::getuid(), "carekeepd");
      !released) {
    log::error("index_write_failed", {{"error", released.error().message}});
  } else if (*released > 0) {
    log::info("export_holds_released", {{"holds", std::to_string(*released)}, {"reason", "their export is no longer running"}});
  }
  // Ad-hoc care sessions (`carekeep care`) are care: the calendars built from the configuration
  // count them from the first segment recovered on.
  if (auto st = history::add_adhoc_care(*index, *config, care_session_window(*config, SystemClock{}.now())); !st)
    log::error("index_read_failed", {{"what", "care sessions"}, {"error", st.error().message}});
  auto protection = protection_for(*config);
  auto recovered = integrity::recover(*index, config->site.storage, SystemClock{}.now(), protection,
                                     TimeZone::locate(config->site.timezone).value());
  if (!recovered) {
    log::critical("recovery_failed", {{"error", recovered.error().message}});
    return 1;
  }
  for (const auto& finding : recovered->findings) log::info("recovery_finding", {{"finding", finding}});
  log::info("recovery_done", {{"repaired", std::to_string(recovered->repaired)},
                              {"damaged", std::to_string(recovered->damaged)},
                              {"quarantined", std::to_string(recovered->quarantined)},
                              {"missing", std::to_string(recovered->missing)},
                              {"not_recorded", std::to_string(recovered->refused.size())}});
  Daemon daemon{std::move(*config), config_path, std::move(*index), std::move(*lock), *run_id, std::move(protection)};
  daemon.raise_lost_footage(recovered->protected_missing);
  daemon.raise_not_recorded(recovered->refused);
  return daemon.run();
}

}  // namespace carekeep::daemon
