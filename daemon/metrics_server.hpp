// daemon/metrics_server: the Prometheus text endpoint of carekeepd (issue #8, `[metrics]
// listen`). A small HTTP/1.1 server (Boost.Beast) on the daemon's io_context: GET /metrics
// renders every registered source on the loop thread, so sources read the daemon's state
// without locks. One request per connection, 10 s deadline, at most 64 connections (16 from
// one source, daemon/tcp_listener); nothing here blocks the loop or the recorders. Off
// loopback (docs/fleet.md): a source outside [metrics] allow gets 403, and with
// bearer_token_file a request without that token 401, before anything is rendered.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/time.hpp"
#include "status/status.hpp"
#include "web/guard.hpp"

namespace carekeep::daemon {

// Builds text exposition format 0.0.4: one HELP/TYPE header per family, then its samples.
class Exposition {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;
  // Declares a family; samples of an undeclared family are a programming error.
  void family(std::string name, std::string help, std::string_view type);
  void sample(const std::string& name, const Labels& labels, double value);
  void sample(const std::string& name, double value) { sample(name, {}, value); }
  std::string text() const;

 private:
  struct Family {
    std::string help;
    std::string type;
    std::vector<std::string> lines;
  };
  std::vector<std::string> order_;
  std::map<std::string, Family> families_;
};

// Standard process metrics from /proc/self: resident memory, CPU seconds, start time, open fds.
void add_process_metrics(Exposition& out);

// Camera and storage metrics from the daemon's status (lib/status, what it writes to
// status.json every 5 s): per camera up, bitrate, frame rate, reconnects, bytes, last segment
// age; the storage file system's free and total bytes; open alerts; the forecast. SMART and
// retention come from the sections their modules own in `sections` (status.json as written).
// Last segment age is the age of the newest closed segment file's modification time
// (`storage` / its relative path).
void add_status_metrics(Exposition& out, const status::DaemonStatus& status, const nlohmann::json& sections,
                        const std::filesystem::path& storage, UtcTime now);

// Who may scrape: sources in `allow`, and with `token` only requests that send it.
struct MetricsAccess {
  web::AllowList allow{std::vector<Cidr>{}};
  std::optional<web::BearerToken> token;
};

class MetricsServer {
 public:
  using Source = std::function<void(Exposition&)>;
  // Binds `listen` ("127.0.0.1:9477"; port 0 picks a free one) and starts accepting.
  static Result<std::unique_ptr<MetricsServer>> start(boost::asio::io_context& io, std::string_view listen,
                                                      MetricsAccess access);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  void add_source(Source source);
  std::uint16_t port() const;
  // Stops accepting and closes the connections still open.
  void stop();
  std::string render() const;

  struct Impl;  // defined in the .cpp; public only so that its connections can name it

 private:
  explicit MetricsServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace carekeep::daemon
