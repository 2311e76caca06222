#include "disk_health_task.hpp"

#include <sys/statvfs.h>

#include "base/log.hpp"
#include "retention/storage.hpp"

namespace carekeep::daemon {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
// statvfs and a stat of smart.json are cheap: this bounds how long a disk remounted read-only
// or a new SMART verdict goes unnoticed.
constexpr auto kTickPeriod = 2s;
}  // namespace

DiskHealthTask::DiskHealthTask(asio::io_context& io, alerts::AlertCenter& alerts, const Clock& clock)
    : alerts_(alerts), clock_(clock), tick_timer_(io) {}

void DiskHealthTask::configure(const config::Config& config) {
  storage_ = config.site.storage;
  monitor_.set_storage(storage_);
  smart_path_ = health::state_path(config.site.database);
  reserve_.emplace(health::reserve_path(config.site.database));
  auto zone = TimeZone::locate(config.site.timezone);
  zone_ = zone ? std::optional<TimeZone>(*zone) : std::nullopt;
}

void DiskHealthTask::start() {
  stopped_ = false;
  check();
  schedule_tick();
}

void DiskHealthTask::stop() {
  stopped_ = true;
  tick_timer_.cancel();
}

void DiskHealthTask::schedule_tick() {
  tick_timer_.expires_after(kTickPeriod);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    check();
    schedule_tick();
  });
}

void DiskHealthTask::check() {
  check_read_only();
  check_smart();
  check_reserve();
}

void DiskHealthTask::check_reserve() {
  if (!reserve_) return;
  auto made = reserve_->ensure();
  if (!made) {
    if (!reserve_failed_logged_) log::warn("disk_reserve_failed", {{"error", made.error().message}});
    reserve_failed_logged_ = true;
  } else {
    reserve_failed_logged_ = false;
  }
}

void DiskHealthTask::apply(const std::vector<health::AlertAction>& actions) {
  for (const auto& a : actions) {
    Status st = a.op == health::AlertAction::Op::Raise
                    ? alerts_.raise(a.kind, a.subject, a.severity, a.message).map([](std::int64_t) {})
                    : alerts_.resolve(a.kind, a.subject);
    if (!st) log::error("alert_write_failed", {{"error", st.error().message}});
  }
}

void DiskHealthTask::check_read_only() {
  struct statvfs vfs {};
  if (storage_.empty() || ::statvfs(storage_.c_str(), &vfs) != 0) return;
  std::optional<retention::StorageAccess> access;
  // A failing disk and a sandbox without ReadWritePaths= for the storage look the same to
  // statvfs; the mount table tells them apart (retention/storage.hpp, issue 14).
  if ((vfs.f_flag & ST_RDONLY) != 0) access = retention::read_only_access(storage_);
  apply(monitor_.read_only(access, alerts_.open()));
}

void DiskHealthTask::check_smart() {
  if (smart_path_.empty()) return;
  std::error_code ec;
  auto mtime = std::filesystem::last_write_time(smart_path_, ec);
  if (!ec && (!smart_mtime_ || *smart_mtime_ != mtime)) {
    // carekeep-smart replaced it (atomically: never half a file).
    smart_mtime_ = mtime;
    auto read = health::read_state(smart_path_);
    if (!read) {
      log::warn("disk_smart_unreadable", {{"file", smart_path_.string()}, {"error", read.error().message}});
    } else if (*read) {
      smart_ = std::move(**read);
      for (const auto& change : monitor_.smart_read(*smart_)) {
        const auto& d = *change.disk;
        std::string findings;
        for (const auto& f : d.findings) findings += (findings.empty() ? "" : "; ") + f.attribute + ": " + f.detail;
        auto level = d.verdict == health::SmartVerdict::Failing   ? log::Level::Critical
                     : d.verdict == health::SmartVerdict::Warning ? log::Level::Warn
                                                                     : log::Level::Info;
        log::write(level, "disk_smart",
                   {{"device", d.device},
                    {"model", d.model},
                    {"verdict", std::string(health::to_string(d.verdict))},
                    {"findings", findings},
                    {"reason", d.reason}});
      }
    }
  }
  apply(monitor_.smart(smart_ ? &*smart_ : nullptr, clock_.now(), zone_ ? &*zone_ : nullptr, alerts_.open()));
}

void DiskHealthTask::write_failed(const std::string& camera, DiskFault fault, const std::string& detail) {
  if (fault == DiskFault::None) return;
  log::warn("disk_write_fault", {{"camera", camera}, {"disk_fault", std::string(to_string(fault))}, {"error", detail}});
  // Which read-only it is (the disk, or the sandbox) before the write's own alert.
  if (fault == DiskFault::ReadOnly) check_read_only();
  apply(monitor_.write_failed({camera, fault, detail}, alerts_.open()));
}

void DiskHealthTask::index_write_failed(DiskFault fault, const std::string& detail) {
  if (out_of_space(fault))
    release_reserve("the index refused a write for want of space; retention needs it to commit its deletions");
  if (fault == DiskFault::ReadOnly) check_read_only();
  apply(monitor_.write_failed({"", fault, detail}, alerts_.open()));
}

bool DiskHealthTask::release_reserve(const char* reason) {
  if (!reserve_) return false;
  auto freed = reserve_->release();
  if (freed == 0) return false;
  log::warn("disk_reserve_released", {{"file", reserve_->path().string()}, {"bytes", std::to_string(freed)}, {"reason", reason}});
  return true;
}

bool DiskHealthTask::make_room_for_alert(DiskFault fault) {
  return out_of_space(fault) && release_reserve("the index refused an alert for want of space; the alert says why the disk is full");
}

void DiskHealthTask::index_written() { apply(monitor_.index_written(alerts_.open())); }

void DiskHealthTask::observe(const recorder::RunEnded& report) {
  if (report.cause == ingest::DownCause::DiskError && !report.paused) write_failed(report.camera, report.disk_fault, report.detail);
}

void DiskHealthTask::observe(const recorder::ConnectFailed& report) {
  if (report.cause == ingest::DownCause::DiskError && !report.paused) write_failed(report.camera, report.disk_fault, report.detail);
}

void DiskHealthTask::observe(const recorder::SegmentClosed& report) {
  apply(monitor_.segment_closed(report.camera, report.segment.truncated, alerts_.open()));
}

void DiskHealthTask::add_status(nlohmann::json& status) const {
  status["disk_health"] = smart_ ? health::status_json(*smart_, clock_.now(), health::kSmartStaleAfter) : nlohmann::json(nullptr);
}

}  // namespace carekeep::daemon
