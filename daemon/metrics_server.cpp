#include "metrics_server.hpp"

#include <time.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/log.hpp"
#include "config/config.hpp"
#include "tcp_listener.hpp"

namespace carekeep::daemon {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

std::string escape_label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string escape_help(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Shortest text that reads back as the same double: 23.2, not 23.199999999999999.
  char buf[40];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc{} ? std::string(buf, end) : std::string("NaN");
}

}  // namespace

void Exposition::family(std::string name, std::string help, std::string_view type) {
  if (families_.count(name) == 0) order_.push_back(name);
  auto& f = families_[name];
  f.help = std::move(help);
  f.type = std::string(type);
}

void Exposition::sample(const std::string& name, const Labels& labels, double value) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    log::error("metrics_undeclared_family", {{"metric", name}});
    return;
  }
  std::string line = name;
  if (!labels.empty()) {
    line += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) line += ',';
      line += labels[i].first + "=\"" + escape_label(labels[i].second) + '"';
    }
    line += '}';
  }
  line += ' ' + format_value(value);
  it->second.lines.push_back(std::move(line));
}

std::string Exposition::text() const {
  std::string out;
  for (const auto& name : order_) {
    const auto& f = families_.at(name);
    out += "# HELP " + name + ' ' + escape_help(f.help) + '\n';
    out += "# TYPE " + name + ' ' + f.type + '\n';
    for (const auto& line : f.lines) out += line + '\n';
  }
  return out;
}

void add_process_metrics(Exposition& out) {
  static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  static const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  std::ifstream stat("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the parenthesised command name (which may hold spaces): state is field 3.
  auto paren = text.rfind(')');
  std::vector<std::string> f;
  if (paren != std::string::npos) {
    std::istringstream rest(text.substr(paren + 1));
    std::string word;
    while (rest >> word) f.push_back(word);
  }
  if (f.size() > 19) {
    double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;  // utime + stime (fields 14, 15)
    out.family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter");
    out.sample("process_cpu_seconds_total", cpu);
    // Boot time from the clocks, not /proc/stat's btime: the unit's ProcSubset=pid hides
    // /proc/stat. CLOCK_BOOTTIME counts the same ticks as starttime (suspend included).
    timespec real{};
    timespec since_boot{};
    ::clock_gettime(CLOCK_REALTIME, &real);
    ::clock_gettime(CLOCK_BOOTTIME, &since_boot);
    double boot = static_cast<double>(real.tv_sec - since_boot.tv_sec) +
                  static_cast<double>(real.tv_nsec - since_boot.tv_nsec) / 1e9;
    out.family("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge");
    out.sample("process_start_time_seconds", boot + std::stod(f[19]) / ticks);  // starttime (field 22)
  }
  std::ifstream statm("/proc/self/statm");
  double size = 0;
  double resident = 0;
  if (statm >> size >> resident) {
    out.family("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge");
    out.sample("process_resident_memory_bytes", resident * page);
    out.family("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge");
    out.sample("process_virtual_memory_bytes", size * page);
  }
  std::error_code ec;
  double fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    ++fds;
  }
  out.family("process_open_fds", "Number of open file descriptors.", "gauge");
  out.sample("process_open_fds", fds);
}

void add_status_metrics(Exposition& out, const status::DaemonStatus& status, const nlohmann::json& sections,
                        const std::filesystem::path& storage, UtcTime now) {
  struct Family {
    const char* name;
    const char* help;
    const char* type;
    double (*value)(const status::Camera&);
  };
  static const Family kCameraFamilies[] = {
      {"carekeep_camera_up", "1 while the camera is connected and recording, 0 otherwise.", "gauge",
       [](const status::Camera& c) { return c.up ? 1.0 : 0.0; }},
      // Prometheus base unit: bytes
      {"carekeep_camera_receive_bytes_per_second", "Received video and audio bytes per second over the last 5 s.",
       "gauge", [](const status::Camera& c) { return c.live ? static_cast<double>(c.live->bitrate_bps) / 8 : 0.0; }},
      {"carekeep_camera_frames_per_second", "Video frames recorded per second over the last 5 s.", "gauge",
       [](const status::Camera& c) { return c.live ? c.live->fps : 0.0; }},
      {"carekeep_camera_reconnects_total", "Reconnections to the camera since the daemon started.", "counter",
       [](const status::Camera& c) { return c.live ? static_cast<double>(c.live->reconnects) : 0.0; }},
      {"carekeep_camera_written_bytes_total", "Bytes of the camera's media written to segments since the daemon started.",
       "counter", [](const status::Camera& c) { return c.live ? static_cast<double>(c.live->bytes) : 0.0; }},
  };
  for (const auto& f : kCameraFamilies) {
    out.family(f.name, f.help, f.type);
    for (const auto& camera : status.cameras) {
      if (!camera.enabled) continue;
      out.sample(f.name, {{"camera", camera.camera}}, f.value(camera));
    }
  }
  out.family("carekeep_camera_last_segment_age_seconds",
             "Seconds since the camera's newest closed segment was last written (absent before the first).", "gauge");
  for (const auto& camera : status.cameras) {
    if (!camera.enabled || !camera.live || camera.live->last_segment.empty()) continue;
    std::error_code ec;
    auto written = std::filesystem::last_write_time(storage / camera.live->last_segment, ec);
    if (ec) continue;  // deleted by retention since; no age to tell
    auto at = std::chrono::file_clock::to_sys(written);
    out.sample("carekeep_camera_last_segment_age_seconds", {{"camera", camera.camera}},
               std::max(0.0, std::chrono::duration<double>(now - at).count()));
  }
  if (status.disk) {
    out.family("carekeep_storage_free_bytes", "Bytes the daemon may still write on the storage file system.", "gauge");
    out.sample("carekeep_storage_free_bytes", static_cast<double>(status.disk->free_bytes));
    out.family("carekeep_storage_size_bytes", "Size of the storage file system in bytes.", "gauge");
    out.sample("carekeep_storage_size_bytes", static_cast<double>(status.disk->total_bytes));
  }
  // Open alerts by kind (lib/alerts' open list); kinds with none show 0 so that an alert rule
  // sees the series drop, not vanish.
  {
    static const char* kKinds[] = {"camera_offline",     "zone_uncovered",     "disk_low",
                                   "disk_full",          "disk_readonly",      "disk_error",
                                   "storage_not_writable",
                                   "disk_smart_failing", "disk_smart_warning", "disk_smart_unavailable",
                                   "clock_untrusted",    "capacity_short",     "content_fault",
                                   "footage_missing",    "footage_not_recorded", "care_auto_stopped"};
    std::map<std::string, double> open;
    for (const char* kind : kKinds) open[kind] = 0;
    for (const auto& alert : status.alerts) open[alert.kind] += 1;
    out.family("carekeep_alerts_open", "Alerts open now, by kind.", "gauge");
    for (const auto& [kind, count] : open) out.sample("carekeep_alerts_open", {{"kind", kind}}, count);
  }
  if (status.forecast_care_days) {
    out.family("carekeep_forecast_care_days",
               "Days of care-hours footage the storage holds at the recent recording rate.", "gauge");
    out.sample("carekeep_forecast_care_days", *status.forecast_care_days);
  }
  const auto& json = sections.is_object() ? sections : nlohmann::json::object();
  // SMART health of the storage's disks (status "disk_health", from carekeep-smart's smart.json).
  if (json.contains("disk_health") && json.at("disk_health").is_object()) {
    const auto& health = json.at("disk_health");
    if (health.contains("disks") && health.at("disks").is_array() && !health.at("disks").empty()) {
      out.family("carekeep_disk_smart_status",
                 "SMART health of each disk under the storage: 0 healthy, 1 warning, 2 failing, -1 no SMART data.",
                 "gauge");
      for (const auto& d : health.at("disks")) {
        std::string verdict = d.value("verdict", std::string());
        double value = verdict == "healthy" ? 0 : verdict == "warning" ? 1 : verdict == "failing" ? 2 : -1;
        out.sample("carekeep_disk_smart_status", {{"device", d.value("device", std::string())}}, value);
      }
    }
    if (health.contains("checked_us") && health.at("checked_us").is_number()) {
      out.family("carekeep_disk_smart_checked_timestamp_seconds", "When the SMART health was last read (unix time).",
                 "gauge");
      out.sample("carekeep_disk_smart_checked_timestamp_seconds", health.at("checked_us").get<double>() / 1e6);
    }
  }
  if (json.contains("retention") && json.at("retention").is_object()) {
    const auto& r = json.at("retention");
    if (r.contains("last_pass_us") && r.at("last_pass_us").is_number()) {
      out.family("carekeep_retention_last_pass_timestamp_seconds", "When the last retention pass ran (unix time).",
                 "gauge");
      out.sample("carekeep_retention_last_pass_timestamp_seconds", r.at("last_pass_us").get<double>() / 1e6);
      out.family("carekeep_retention_last_pass_deleted_segments", "Segments the last retention pass deleted.", "gauge");
      out.sample("carekeep_retention_last_pass_deleted_segments", r.value("deleted_last_pass", 0.0));
      out.family("carekeep_retention_last_pass_freed_bytes", "Bytes the last retention pass freed.", "gauge");
      out.sample("carekeep_retention_last_pass_freed_bytes", r.value("freed_bytes_last_pass", 0.0));
    }
    if (r.contains("shortfall_bytes") && r.at("shortfall_bytes").is_number()) {
      out.family("carekeep_retention_shortfall_bytes",
                 "Bytes retention could not free without deleting protected footage.", "gauge");
      out.sample("carekeep_retention_shortfall_bytes", r.at("shortfall_bytes").get<double>());
    }
  }
  out.family("carekeep_status_age_seconds", "Seconds since the daemon last refreshed its status (every 5 s).", "gauge");
  out.sample("carekeep_status_age_seconds",
             std::max(0.0, std::chrono::duration<double>(now - status.updated).count()));
}

struct MetricsServer::Impl : std::enable_shared_from_this<Impl> {
  std::unique_ptr<TcpListener> listener;
  std::vector<Source> sources;
  MetricsAccess access;
  bool stopped = false;
  // Refusals go to the journal once a minute with a count, as the console's do: a scan must
  // not flood journald, whose rate limit would drop the recorders' lines with them.
  std::optional<std::chrono::steady_clock::time_point> refused_logged;
  int refused_unlogged = 0;

  void refused(const IpAddress& source, std::string_view reason) {
    ++refused_unlogged;
    auto now = std::chrono::steady_clock::now();
    if (refused_logged && now - *refused_logged < std::chrono::minutes(1)) return;
    log::warn("metrics_request_refused", {{"source", source.to_string()},
                                          {"reason", std::string(reason)},
                                          {"refused_since_last_line", std::to_string(refused_unlogged)}});
    refused_logged = now;
    refused_unlogged = 0;
  }

  std::string render() const {
    Exposition out;
    for (const auto& source : sources) source(out);
    add_process_metrics(out);
    return out.text();
  }
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::weak_ptr<MetricsServer::Impl> server, Admission admission)
      : stream_(std::move(socket)), server_(std::move(server)), admission_(std::move(admission)) {}

  void run() {
    admission_.on_stop([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->stream_.close();
    });
    stream_.expires_after(10s);
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec) return;  // the client went away or timed out; nothing to answer
    response_.version(request_.version());
    response_.keep_alive(false);
    response_.set(http::field::server, "carekeepd");
    auto target = request_.target();
    auto path = target.substr(0, target.find('?'));
    auto server = server_.lock();
    if (server && !server->access.allow.allows(admission_.source())) {
      server->refused(admission_.source(), "not in [metrics] allow");
      response_.result(http::status::forbidden);
      response_.set(http::field::content_type, "text/plain; charset=utf-8");
      response_.body() = "forbidden: this address is not in [metrics] allow\n";
    } else if (server && server->access.token && !server->access.token->accepts(authorization())) {
      server->refused(admission_.source(), "no or wrong bearer token");
      response_.result(http::status::unauthorized);
      response_.set(http::field::www_authenticate, "Bearer realm=\"carekeep metrics\"");
      response_.set(http::field::content_type, "text/plain; charset=utf-8");
      response_.body() = "unauthorized: send Authorization: Bearer <the token of [metrics] bearer_token_file>\n";
    } else if (request_.method() != http::verb::get && request_.method() != http::verb::head) {
      response_.result(http::status::method_not_allowed);
      response_.set(http::field::allow, "GET, HEAD");
      response_.body() = "only GET /metrics\n";
    } else if (path == "/metrics" && server) {
      response_.result(http::status::ok);
      response_.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response_.body() = server->render();
    } else if (path == "/") {
      response_.result(http::status::ok);
      response_.set(http::field::content_type, "text/plain; charset=utf-8");
      response_.body() = "carekeepd metrics: GET /metrics\n";
    } else {
      response_.result(http::status::not_found);
      response_.set(http::field::content_type, "text/plain; charset=utf-8");
      response_.body() = "not found; the metrics are at /metrics\n";
    }
    response_.prepare_payload();
    if (request_.method() == http::verb::head) response_.body().clear();
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  std::string_view authorization() const {
    auto value = request_[http::field::authorization];
    return {value.data(), value.size()};
  }

  beast::tcp_stream stream_;
  // Bounded (as the console's): Beast keeps a chunk's extensions whole in this buffer. A
  // scrape is a GET of a few hundred bytes.
  beast::flat_buffer buffer_{64 * 1024};
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  std::weak_ptr<MetricsServer::Impl> server_;
  Admission admission_;
};

}  // namespace

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(asio::io_context& io, std::string_view listen,
                                                            MetricsAccess access) {
  if (!config::parse_listen(listen)) {
    return fail(ErrorKind::InvalidArgument,
                "metrics listen address " + std::string(listen) + " is not IP:port (like 127.0.0.1:9477)");
  }
  auto impl = std::make_shared<Impl>();
  impl->access = std::move(access);
  auto listener = TcpListener::start(io, listen, "metrics", ListenLimits{64, 16},
                                     [weak = std::weak_ptr<Impl>(impl)](tcp::socket socket, Admission admission) {
                                       std::make_shared<Session>(std::move(socket), weak, std::move(admission))->run();
                                     });
  if (!listener) return tl::unexpected(std::move(listener.error()));
  impl->listener = std::move(*listener);
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

MetricsServer::MetricsServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsServer::~MetricsServer() { stop(); }

void MetricsServer::add_source(Source source) { impl_->sources.push_back(std::move(source)); }

std::uint16_t MetricsServer::port() const { return impl_->listener->port(); }

void MetricsServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->listener->stop();
}

std::string MetricsServer::render() const { return impl_->render(); }

}  // namespace carekeep::daemon
