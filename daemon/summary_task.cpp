#include "summary_task.hpp"

#include <nlohmann/json.hpp>

#include "anchor_task.hpp"
#include "base/log.hpp"
#include "export/actor.hpp"
#include "report/summary.hpp"

namespace carekeep::daemon {
namespace {

struct LastSummary {
  std::int64_t seq = 0;
  std::optional<UtcTime> time;
};

// The newest "summary" row of the access log: its number and when it was sent. A row whose
// arguments cannot be read (edited outside carekeep; the chain's verification says so) counts
// as the number of rows' id, so numbers never go back.
Result<LastSummary> last_summary(index::Index& index) {
  auto row = index.last_access_log(kSummaryAction);
  if (!row) return tl::unexpected(std::move(row.error()).with_context("reading the last summary"));
  LastSummary last;
  if (!*row) return last;
  last.time = (*row)->time;
  auto args = nlohmann::json::parse((*row)->arguments, nullptr, false);
  if (args.is_object() && args.contains("seq") && args["seq"].is_number_integer()) {
    last.seq = args["seq"].get<std::int64_t>();
  } else {
    last.seq = (*row)->id;
    log::warn("summary_sequence_unreadable", {{"access_log_id", std::to_string((*row)->id)}});
  }
  return last;
}

}  // namespace

SummaryTask::SummaryTask(boost::asio::io_context& io, index::Index& index, const AnchorTask& anchors,
                         alerts::WebhookNotifier& webhooks)
    : io_(io), index_(index), anchors_(anchors), webhooks_(webhooks), timer_(io) {}

void SummaryTask::configure(const config::Config& config) {
  config_ = config;
  zone_ = TimeZone::locate(config.site.timezone).value();  // validated by the loader
  bool moved = second_ != config.alerts.summary_second;
  second_ = config.alerts.summary_second;
  if (started_ && moved) schedule();
}

void SummaryTask::start() {
  started_ = true;
  auto last = last_summary(index_);
  if (!last) {
    log::error("summary_failed", {{"why", "start"}, {"error", last.error().message}});
  } else {
    auto plan = report::plan_summary(SystemClock{}.now(), last->time, std::chrono::seconds(second_), *zone_);
    if (plan.send_now) {
      if (auto sent = send("late"); !sent) log::error("summary_failed", {{"why", "late"}, {"error", sent.error().message}});
    }
  }
  schedule();
}

void SummaryTask::stop() {
  started_ = false;
  timer_.cancel();
}

Result<std::int64_t> SummaryTask::send(std::string_view why) {
  if (config_.alerts.webhooks.empty()) return fail(ErrorKind::FailedPrecondition, "no [[alerts.webhook]] to send it to");
  auto last = last_summary(index_);
  if (!last) return tl::unexpected(std::move(last.error()));
  const UtcTime now = SystemClock{}.now();
  const auto day = std::chrono::floor<date::days>(zone_->to_local(now)) - date::days{1};  // yesterday
  const signing::KeyPair* key = anchors_.key();
  const auto lang = report::default_lang(config_.site.timezone);
  auto summary = report::gather_summary(index_, config_, *zone_, day, now, key ? key->fingerprint() : std::string(),
                                        lang, CAREKEEP_VERSION);
  if (!summary) return tl::unexpected(std::move(summary.error()));
  summary->sequence = last->seq + 1;
  summary->next = next_time_of_day(now, std::chrono::seconds(second_), *zone_);
  // The number is taken in the access log first: a restart after this point never reuses it.
  nlohmann::json args{{"seq", *summary->sequence},
                      {"date", summary->date},
                      {"next", format_utc_iso(*summary->next)},
                      {"why", std::string(why)}};
  auto logged = exports::record_access(index_, exports::Actor::current(), kSummaryAction, args.dump(), "ok");
  if (!logged) return tl::unexpected(std::move(logged.error()).with_context("recording the summary"));
  std::map<std::string, std::string> text{{"zh", report::render_summary(*summary, report::Lang::Zh, *zone_)},
                                          {"en", report::render_summary(*summary, report::Lang::En, *zone_)}};
  webhooks_.send_summary(*summary->sequence, report::to_json(*summary, *zone_).dump(), std::move(text));
  log::info("summary_sent", {{"why", std::string(why)},
                             {"seq", std::to_string(*summary->sequence)},
                             {"date", summary->date},
                             {"next", format_utc_iso(*summary->next)}});
  return *summary->sequence;
}

void SummaryTask::schedule() {
  timer_.cancel();
  auto now = SystemClock{}.now();
  auto due = next_time_of_day(now, std::chrono::seconds(second_), *zone_);
  timer_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(due - now));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto sent = send("daily"); !sent) log::error("summary_failed", {{"why", "daily"}, {"error", sent.error().message}});
    schedule();
  });
}

}  // namespace carekeep::daemon
