#include "support/recording.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "support/temp_dir.hpp"

namespace carekeep::test {

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

std::vector<std::string> CommittingSink::errors() const {
  std::lock_guard lock(mutex_);
  return errors_;
}

void CommittingSink::with_lock(const std::function<void()>& read) {
  std::lock_guard lock(mutex_);
  read();
}

DaemonProcess::DaemonProcess(std::filesystem::path binary, std::filesystem::path config, std::filesystem::path log)
    : binary_(std::move(binary)), config_(std::move(config)), log_(std::move(log)) {}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void DaemonProcess::start() {
  if (pid_ > 0) throw std::logic_error("daemon already running");
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::unsetenv("NOTIFY_SOCKET");
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execl(binary_.c_str(), binary_.c_str(), "--config", config_.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pid_ = pid;
}

std::string DaemonProcess::log_text() const {
  if (!std::filesystem::exists(log_)) return {};
  return read_text(log_);
}

bool DaemonProcess::wait_for_log(const std::string& needle, std::chrono::milliseconds timeout, int count) const {
  return wait_until(
      [&] {
        auto text = log_text();
        int seen = 0;
        for (std::size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++seen;
        return seen >= count;
      },
      timeout);
}

void DaemonProcess::signal(int signo) const {
  if (pid_ > 0) ::kill(pid_, signo);
}

int DaemonProcess::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

std::filesystem::path daemon_on_faked_clock(const std::filesystem::path& binary, const std::filesystem::path& dir,
                                            const std::string& clock) {
  const std::filesystem::path libfaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
  if (!std::filesystem::exists(libfaketime))
    throw std::runtime_error("libfaketime is missing: apt-get install faketime (tools/install-deps.sh)");
  write_text(dir / "faketime", clock + "\n");
  auto wrapper = dir / "carekeepd-faketime";
  write_text(wrapper, "#!/bin/sh\nexec env LD_PRELOAD=" + libfaketime.string() + " FAKETIME_TIMESTAMP_FILE=" +
                          (dir / "faketime").string() + " FAKETIME_CACHE_DURATION=1 FAKETIME_DONT_FAKE_MONOTONIC=1 " +
                          binary.string() + " \"$@\"\n");
  std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
  return wrapper;
}

std::string daemon_config(const std::filesystem::path& dir, const std::vector<std::pair<std::string, std::string>>& cameras) {
  std::string text = "[site]\nname = \"测试托育点\"\ntimezone = \"Asia/Shanghai\"\nstorage = \"" + (dir / "media").string() +
                     "\"\ndatabase = \"" + (dir / "index.db").string() +
                     "\"\n\n[care_hours]\nmonday = [\"00:00-24:00\"]\ntuesday = [\"00:00-24:00\"]\n"
                     "wednesday = [\"00:00-24:00\"]\nthursday = [\"00:00-24:00\"]\nfriday = [\"00:00-24:00\"]\n"
                     "saturday = [\"00:00-24:00\"]\nsunday = [\"00:00-24:00\"]\n\n";
  for (const auto& [id, url] : cameras) text += "[[camera]]\nid = \"" + id + "\"\nurl = \"" + url + "\"\nsegment_seconds = 10\n\n";
  text += "[[zone]]\nid = \"all\"\ncameras = [";
  for (std::size_t i = 0; i < cameras.size(); ++i) text += (i ? ", \"" : "\"") + cameras[i].first + "\"";
  text += "]\n";
  return text;
}

}  // namespace carekeep::test
