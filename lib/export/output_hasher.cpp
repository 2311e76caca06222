#include "export/output_hasher.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>

#include "base/fd.hpp"

namespace carekeep::exports {
namespace {

// The thread reads back and hashes this much at a time, and starts its write-back after.
constexpr std::uint64_t kStretch = 8ull << 20;

}  // namespace

struct OutputHasher::State {
  int fd = -1;
  std::vector<std::uint8_t> head;
  std::mutex mutex;
  std::condition_variable wake;  // more written, finished, or stop
  std::uint64_t written = 0;     // the media is written up to here, in order
  bool finished = false;
  std::uint64_t final_size = 0;
  bool spoiled = false;
  bool stop = false;
  std::optional<segment::Sha256> digest;
  std::unique_ptr<std::uint8_t[]> buffer;  // made by start(), not on the thread
  std::thread thread;

  void run() {
    segment::Sha256Stream hash;
    hash.update(head.data(), head.size());
    std::uint64_t hashed = head.size();
    for (;;) {
      std::uint64_t upto = 0;
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [&] { return stop || spoiled || finished || written >= hashed + kStretch; });
        if (stop || spoiled) return;
        if (finished && hashed >= final_size) {
          digest = hash.finish();
          return;
        }
        upto = std::min(written, hashed + kStretch);
      }
      if (hashed < upto) {
        const auto want = static_cast<std::size_t>(upto - hashed);
        auto n = fs::read_at(fd, buffer.get(), want, hashed, "reading back the output");
        if (!n || *n != want) {  // the file is checked from disk instead, which reports the error
          std::lock_guard lock(mutex);
          spoiled = true;
          return;
        }
        hash.update(buffer.get(), want);
        // Best effort: without sync_file_range, the final fsync writes it all.
        (void)::sync_file_range(fd, static_cast<off_t>(hashed), static_cast<off_t>(want), SYNC_FILE_RANGE_WRITE);
        hashed = upto;
      }
    }
  }
};

Result<std::unique_ptr<OutputHasher>> OutputHasher::start(int fd, std::vector<std::uint8_t> head) {
  std::unique_ptr<OutputHasher> h{new OutputHasher};
  h->state_ = std::make_shared<State>();
  h->state_->fd = fd;
  h->state_->written = head.size();
  h->state_->head = std::move(head);
  try {
    h->state_->buffer.reset(new std::uint8_t[kStretch]);  // not zeroed: read before use
    h->state_->thread = std::thread([s = h->state_.get()] { s->run(); });
  } catch (const std::system_error& e) {
    return fail(ErrorKind::ResourceExhausted, std::string("starting the output hasher: ") + e.what());
  } catch (const std::bad_alloc&) {
    return fail(ErrorKind::ResourceExhausted, "allocating the output hasher's buffer");
  }
  return h;
}

OutputHasher::~OutputHasher() {
  if (!state_) return;
  {
    std::lock_guard lock(state_->mutex);
    state_->stop = true;
  }
  state_->wake.notify_one();
  if (state_->thread.joinable()) state_->thread.join();
}

const std::vector<std::uint8_t>& OutputHasher::head() const { return state_->head; }

void OutputHasher::wrote(std::int64_t pos, std::size_t size) {
  const auto head_end = static_cast<std::int64_t>(state_->head.size());
  const std::int64_t end = pos + static_cast<std::int64_t>(size);
  if (end <= head_end) return;  // inside the head: compared at the end
  const std::int64_t from = std::max(pos, head_end);
  bool notify = false;
  {
    std::lock_guard lock(state_->mutex);
    if (static_cast<std::uint64_t>(from) != state_->written) {
      state_->spoiled = true;  // written again, or past a gap
    } else {
      const std::uint64_t before = state_->written;
      state_->written = static_cast<std::uint64_t>(end);
      notify = before / kStretch != state_->written / kStretch;
    }
  }
  if (notify) state_->wake.notify_one();
}

std::optional<segment::Sha256> OutputHasher::finish(std::uint64_t size) {
  {
    std::lock_guard lock(state_->mutex);
    state_->finished = true;
    state_->final_size = size;
    if (state_->written != size) state_->spoiled = true;
  }
  state_->wake.notify_one();
  if (state_->thread.joinable()) state_->thread.join();
  std::lock_guard lock(state_->mutex);
  if (state_->spoiled) return std::nullopt;
  return state_->digest;
}

}  // namespace carekeep::exports
