#include "digest_task.hpp"

#include <nlohmann/json.hpp>

#include "anchor_task.hpp"
#include "base/log.hpp"
#include "base/sha256.hpp"
#include "export/digest.hpp"

#include <fstream>
#include <sstream>

namespace carekeep::daemon {

std::string config_file_sha256(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return "";
  std::ostringstream text;
  text << in.rdbuf();
  return to_hex(sha256_of(text.str()));
}

DigestTask::DigestTask(boost::asio::io_context& io, index::Index& index, const AnchorTask& anchors,
                       alerts::WebhookNotifier& webhooks, std::filesystem::path dir)
    : io_(io), index_(index), anchors_(anchors), webhooks_(webhooks), dir_(std::move(dir)), timer_(io) {}

void DigestTask::configure(const config::Config& config, std::string config_sha256) {
  site_ = config.site.name;
  zone_ = TimeZone::locate(config.site.timezone).value();  // validated by the loader
  config_sha256_ = std::move(config_sha256);
  bool moved = minute_ != config.evidence.digest_minute;
  minute_ = config.evidence.digest_minute;
  if (started_ && moved) schedule();
}

void DigestTask::start() {
  if (auto file = exports::latest_digest_file(dir_)) {
    std::error_code ec;
    auto written = std::filesystem::last_write_time(file->path, ec);
    if (!ec) {
      last_ = Last{file->seq, std::chrono::time_point_cast<UtcTime::duration>(std::chrono::file_clock::to_sys(written))};
    }
  }
  started_ = true;
  schedule();
}

void DigestTask::stop() {
  started_ = false;
  timer_.cancel();
}

Result<DigestTask::Made> DigestTask::make(std::string_view why, const exports::Actor& actor) {
  const signing::KeyPair* key = anchors_.key();
  if (key == nullptr) return fail(ErrorKind::FailedPrecondition, "the box key is unusable (see signing_key_unusable)");
  auto seq = exports::next_digest_seq(dir_);
  auto digest = exports::make_digest(index_, *key, site_, config_sha256_, seq, SystemClock{}.now());
  if (!digest) return tl::unexpected(std::move(digest.error()).with_context("making the digest"));
  auto file = exports::write_digest_file(dir_, *digest, *zone_);
  nlohmann::json args{{"seq", seq},
                      {"why", std::string(why)},
                      {"file", file ? file->filename().string() : ""},
                      {"signed_sha256", to_hex(sha256_of(exports::signed_message(*digest)))}};
  auto logged = exports::record_access(index_, actor, "digest", args.dump(), file ? "ok" : file.error().message);
  if (!file) return tl::unexpected(std::move(file.error()).with_context("writing the digest"));
  if (!logged) log::error("access_log_write_failed", {{"action", "digest"}, {"error", logged.error().message}});
  Made made{*file, seq, exports::to_json(*digest)};
  last_ = Last{seq, digest->time};
  webhooks_.send_digest(seq, made.json);
  log::info("digest_signed", {{"why", std::string(why)}, {"seq", std::to_string(seq)}, {"file", file->string()}});
  return made;
}

void DigestTask::schedule() {
  timer_.cancel();
  auto now = SystemClock{}.now();
  auto due = exports::next_digest_time(now, minute_, *zone_);
  timer_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(due - now));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto made = make("daily", exports::Actor::current()); !made)
      log::error("digest_failed", {{"why", "daily"}, {"error", made.error().message}});
    schedule();
  });
}

}  // namespace carekeep::daemon
