#include "export/source_hasher.hpp"

#include <fcntl.h>
#include <unistd.h>

extern "C" {
#include <libavutil/error.h>
}

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

namespace carekeep::exports {
namespace {

// Buffers the worker reads into: it can be this far ahead of the demuxer (8 MiB in all).
constexpr std::size_t kBuffers = 8;
constexpr std::size_t kBufferSize = 1 << 20;

}  // namespace

struct SourceHasher::Channel {
  std::deque<int> ready;  // buffers read and handed over, in file order
  bool eof = false;       // the worker reached the end of the file
  int error = 0;          // errno of a failed read (after the buffers before it)
  bool closed = false;    // the demuxer takes no more
  bool abandoned = false; // nor does the digest count
};

struct SourceHasher::State {
  struct Buffer {
    std::unique_ptr<std::uint8_t[]> data{new std::uint8_t[kBufferSize]};  // not zeroed: read before use
    std::size_t size = 0;
    int refs = 0;  // the worker while it reads or hashes it, the channel while it holds it
  };
  struct Job {
    std::size_t slot = 0;
    fs::UniqueFd fd;
    std::string name;
    std::shared_ptr<Channel> channel;  // null: hashed only
  };

  std::mutex mutex;
  std::condition_variable worker_wake;  // a job, a free buffer, or stop
  std::condition_variable data_wake;    // a buffer handed over, end, error, or stop
  std::condition_variable done_wake;    // a job done
  std::array<Buffer, kBuffers> buffers;
  std::deque<Job> jobs;
  std::size_t submitted = 0;
  std::size_t finished = 0;
  bool stop = false;
  std::vector<std::optional<Result<segment::Sha256>>> digests;

  void release(int b) {  // with `mutex` held
    if (--buffers[static_cast<std::size_t>(b)].refs == 0) worker_wake.notify_one();
  }

  // With `lock` held; -1 when stopping or when `channel` was abandoned meanwhile.
  int take_free(std::unique_lock<std::mutex>& lock, const Channel* channel) {
    for (;;) {
      if (stop || (channel != nullptr && channel->abandoned)) return -1;
      for (std::size_t b = 0; b < buffers.size(); ++b) {
        if (buffers[b].refs == 0) {
          buffers[b].refs = 1;
          return static_cast<int>(b);
        }
      }
      worker_wake.wait(lock);
    }
  }

  // Reads and hashes one file; nullopt when it was abandoned or the hasher stops.
  std::optional<Result<segment::Sha256>> run(Job& job) {
    segment::Sha256Stream hash;
    ::posix_fadvise(job.fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    Channel* channel = job.channel.get();
    for (;;) {
      int b = 0;
      {
        std::unique_lock lock(mutex);
        b = take_free(lock, channel);
        if (b < 0) return std::nullopt;
      }
      Buffer& buf = buffers[static_cast<std::size_t>(b)];
      ssize_t n = 0;
      do n = ::read(job.fd.get(), buf.data.get(), kBufferSize);
      while (n < 0 && errno == EINTR);
      const int err = n < 0 ? errno : 0;
      {
        std::lock_guard lock(mutex);
        if (n > 0) {
          buf.size = static_cast<std::size_t>(n);
          if (channel != nullptr && !channel->closed) {
            ++buf.refs;
            channel->ready.push_back(b);
            data_wake.notify_one();
          }
        } else {
          release(b);
          if (channel != nullptr) {
            if (n == 0) channel->eof = true;
            else channel->error = err;
            data_wake.notify_one();
          }
        }
      }
      if (n < 0) return fail(ErrorKind::DataLoss, "reading " + job.name + ": " + std::strerror(err));
      if (n == 0) return hash.finish();
      // The demuxer copies out of the buffer while it is hashed: both only read it.
      hash.update(buf.data.get(), buf.size);
      std::lock_guard lock(mutex);
      release(b);
    }
  }

  void work() noexcept {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mutex);
        worker_wake.wait(lock, [&] { return stop || !jobs.empty(); });
        if (stop) return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      std::optional<Result<segment::Sha256>> digest;
      try {
        digest = run(job);
      } catch (const std::exception& e) {  // allocation: the hash context or a message
        digest = fail(ErrorKind::ResourceExhausted, "hashing " + job.name + ": " + e.what());
      }
      job.fd.reset();
      std::lock_guard lock(mutex);
      if (digest && !(job.channel && job.channel->abandoned)) digests[job.slot] = std::move(*digest);
      ++finished;
      done_wake.notify_all();
      if (stop) return;
    }
  }

  std::jthread worker;  // last: started once the rest exists, joined before it goes
};

SourceHasher::Feed::~Feed() { abandon(); }

void SourceHasher::Feed::release_all() {
  if (current_ >= 0) state_->release(current_);
  current_ = -1;
  for (int b : channel_->ready) state_->release(b);
  channel_->ready.clear();
}

int SourceHasher::Feed::read(std::uint8_t* buf, int size) noexcept {
  if (done_) return AVERROR(EINVAL);
  if (size <= 0) return 0;
  try {
    auto& buffers = state_->buffers;
    if (current_ < 0 || offset_ == buffers[static_cast<std::size_t>(current_)].size) {
      std::unique_lock lock(state_->mutex);
      if (current_ >= 0) state_->release(current_);
      current_ = -1;
      state_->data_wake.wait(lock, [&] {
        return state_->stop || !channel_->ready.empty() || channel_->eof || channel_->error != 0;
      });
      if (channel_->ready.empty()) {
        if (channel_->error != 0) return AVERROR(channel_->error);
        if (channel_->eof) return AVERROR_EOF;
        return AVERROR(ECANCELED);  // the hasher stopped
      }
      current_ = channel_->ready.front();
      channel_->ready.pop_front();
      offset_ = 0;
    }
    const auto& b = buffers[static_cast<std::size_t>(current_)];
    std::size_t n = std::min(b.size - offset_, static_cast<std::size_t>(size));
    std::memcpy(buf, b.data.get() + offset_, n);
    offset_ += n;
    return static_cast<int>(n);
  } catch (const std::system_error& e) {  // a mutex that cannot be locked
    return AVERROR(e.code().value());
  }
}

void SourceHasher::Feed::close() noexcept {
  if (done_) return;
  done_ = true;
  std::lock_guard lock(state_->mutex);
  channel_->closed = true;
  release_all();
}

void SourceHasher::Feed::abandon() noexcept {
  if (done_) return;
  done_ = true;
  std::lock_guard lock(state_->mutex);
  channel_->closed = true;
  channel_->abandoned = true;
  release_all();
  state_->worker_wake.notify_one();  // it may be waiting for a buffer for this file
}

Result<std::unique_ptr<SourceHasher>> SourceHasher::start(std::size_t slots) {
  std::unique_ptr<SourceHasher> h{new SourceHasher};
  try {
    h->state_ = std::make_shared<State>();
    h->state_->digests.resize(slots);
    h->state_->worker = std::jthread([state = h->state_.get()] { state->work(); });
  } catch (const std::exception& e) {  // memory, or no thread to be had
    return fail(ErrorKind::ResourceExhausted, std::string("starting the source hasher: ") + e.what());
  }
  return h;
}

SourceHasher::~SourceHasher() {
  if (!state_) return;
  {
    std::lock_guard lock(state_->mutex);
    state_->stop = true;
    state_->worker_wake.notify_all();
    state_->data_wake.notify_all();
  }
  if (state_->worker.joinable()) state_->worker.join();
}

void SourceHasher::submit(std::size_t slot, fs::UniqueFd fd, std::string name, std::shared_ptr<Channel> channel) {
  std::lock_guard lock(state_->mutex);
  state_->jobs.push_back(State::Job{slot, std::move(fd), std::move(name), std::move(channel)});
  ++state_->submitted;
  state_->worker_wake.notify_one();
}

std::unique_ptr<SourceHasher::Feed> SourceHasher::read(std::size_t slot, fs::UniqueFd fd, std::string name) {
  auto channel = std::make_shared<Channel>();
  submit(slot, std::move(fd), std::move(name), channel);
  return std::make_unique<Feed>(state_, std::move(channel));
}

void SourceHasher::hash(std::size_t slot, fs::UniqueFd fd, std::string name) {
  submit(slot, std::move(fd), std::move(name), nullptr);
}

Result<std::vector<segment::Sha256>> SourceHasher::finish() {
  std::unique_lock lock(state_->mutex);
  state_->done_wake.wait(lock, [&] { return state_->finished == state_->submitted; });
  std::vector<segment::Sha256> out;
  out.reserve(state_->digests.size());
  for (std::size_t i = 0; i < state_->digests.size(); ++i) {
    const auto& d = state_->digests[i];
    if (!d) return fail(ErrorKind::Internal, "source " + std::to_string(i) + " was not hashed");
    if (!*d) return tl::unexpected(d->error());
    out.push_back(**d);
  }
  return out;
}

}  // namespace carekeep::exports
