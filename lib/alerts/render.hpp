// alerts/render: what a person reads on her phone for each notice (docs/alerts.md, Webhooks /
// Text and Formats): one short line per notice in the webhook's language, and the HTTP body
// of each channel (generic JSON, WeCom and DingTalk group robots). Pure: no clock, no I/O.
// A new alert kind adds its phrase to kPhrases in render.cpp (title + what to do, zh and en);
// notices that are not alerts (the digest, the daily summary) bring their own text per language.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/outbox.hpp"
#include "base/time.hpp"
#include "config/config.hpp"

namespace carekeep::alerts {

// A notice delivered this long after it was made says so ("（延迟 2 小时送达）"); one older
// than kNoticeMaxAge is dropped (logged) instead: yesterday's news is not sent as if fresh.
inline constexpr std::chrono::minutes kLateAfter{10};
inline constexpr std::chrono::hours kNoticeMaxAge{24};

// What the messages need from the config: names instead of ids.
struct WebhookSite {
  std::string name;
  std::map<std::string, std::string> subject_names;  // camera and zone id -> display name
};
WebhookSite webhook_site(const config::Config& config);

// How late `notice` goes out at `now`: zero when on time (or `now` is the epoch).
std::chrono::minutes lateness(const Notice& notice, UtcTime now);

// One short, actionable line in `language` ("zh" | "en"), e.g.
// "午睡室摄像头离线 3 分钟：请检查电源和网线"; with `late` > 0 it adds "（延迟 2 小时送达）".
std::string render_line(const Notice& notice, const WebhookSite& site, std::string_view language,
                        std::chrono::minutes late = {});
// The HTTP body for `hook` carrying `notices` (more than one when coalesced), sent at `now`
// (a notice made kLateAfter or more before it is marked late; the epoch: none is).
std::string render_body(const config::Webhook& hook, const std::vector<Notice>& notices, const WebhookSite& site,
                        UtcTime now = {});

}  // namespace carekeep::alerts
