#include "anchor_task.hpp"

#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "base/fs.hpp"
#include "base/log.hpp"
#include "export/anchor.hpp"
#include "signing/trust.hpp"

namespace carekeep::daemon {

// Daily, as PRODUCT.md §2 asks: an alteration is provable from the next anchor on, so the
// window in which a rewritten index goes unnoticed is at most a day.
constexpr std::chrono::hours kAnchorPeriod{24};

AnchorTask::AnchorTask(boost::asio::io_context& io, index::Index& index, std::filesystem::path key_dir,
                       std::filesystem::path pin_file)
    : index_(index), key_dir_(std::move(key_dir)), pin_file_(std::move(pin_file)), timer_(io) {}

void AnchorTask::start() {
  bool created = false;
  auto key = signing::KeyPair::load_or_create(key_dir_, &created);
  if (!key) {
    log::error("signing_key_unusable", {{"dir", key_dir_.string()}, {"error", key.error().message}});
    return;
  }
  key_ = std::move(*key);
  if (auto st = fs::write_file_atomic(key_dir_ / "signing.pub", key_->public_key_pem()); !st)
    log::warn("signing_pub_not_written", {{"error", st.error().message}});
  log::info("signing_key_ready", {{"fingerprint", key_->fingerprint()}});
  // Only a key created now is pinned: pinning whatever key is found would let someone who
  // replaced it (and removed the pin) have it vouched for. An installed box's config directory
  // is read-only to the daemon; the installer pins with `carekeep key --pin` as root.
  if (created) {
    bool pinned = false;
    if (auto st = signing::pin_fingerprint(pin_file_, key_->fingerprint()); st) {
      pinned = true;
      log::info("signing_key_pinned", {{"file", pin_file_.string()}});
    } else {
      log::warn("signing_key_not_pinned", {{"file", pin_file_.string()}, {"error", st.error().message}});
    }
    // A new key is a change of what vouches for the evidence (issue 15): the access log says
    // when it appeared, its fingerprint and whether it was pinned.
    index::NewAccessEntry entry{SystemClock{}.now(), static_cast<std::int64_t>(::getuid()), "carekeepd", "key_created",
                                nlohmann::json{{"fingerprint", key_->fingerprint()}, {"pinned", pinned}}.dump(), "ok"};
    if (auto logged = index_.append_access_log(entry); !logged)
      log::error("index_write_failed", {{"error", logged.error().message}});
  }
  anchor("start");
  schedule();
}

void AnchorTask::stop() {
  timer_.cancel();
  if (key_) anchor("shutdown");
}

void AnchorTask::anchor(const char* why) {
  auto rows = exports::sign_anchors(index_, *key_, SystemClock{}.now());
  if (!rows) {
    log::error("anchor_failed", {{"why", why}, {"error", rows.error().message}});
    return;
  }
  log::info("anchors_signed", {{"why", why}, {"cameras", std::to_string(rows->size())}});
}

void AnchorTask::schedule() {
  timer_.expires_after(kAnchorPeriod);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    anchor("daily");
    schedule();
  });
}

}  // namespace carekeep::daemon
