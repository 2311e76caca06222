// alerts/outbox: the webhook notices not yet delivered, kept in a small JSON file beside the
// index (webhook-outbox.json) so that a restart, an upgrade or a power cut does not lose a
// "raised" or "resolved" message on its way to a person's phone (docs/alerts.md, Webhooks).
// Pure text <-> value conversion plus a loader that moves an unreadable file aside; the
// daemon's WebhookNotifier decides when to write it. Blocking file I/O, small files.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/alerts.hpp"
#include "base/error.hpp"
#include "base/time.hpp"

namespace carekeep::alerts {

// One thing to tell a person about an alert, or a message that is not an alert: the daily
// signed digest (Kind::Digest) and the daily summary (Kind::Summary); `alert` then carries only
// their number as id, kind "digest" / "summary" and the time it was made.
struct Notice {
  enum class Kind { Raised, Reminder, Resolved, Digest, Summary } kind = Kind::Raised;
  Alert alert;
  UtcTime at;      // when the notice was made (reminders say how long the alert has been open)
  std::string id;  // stable across restarts, sent in the json format so a receiver can drop a repeat
  // Digest: the signed digest as JSON (export/digest.hpp); Summary: the summary's figures as JSON
  // (report/summary.hpp). Sent as they are.
  std::string payload;
  // Digest and Summary: the line a person reads, by language ("zh", "en"), made by the module
  // that knows the content (alerts cannot depend on export or report).
  std::map<std::string, std::string> text;
};
// Digest and Summary go to every webhook whatever its min_severity, and are not alerts.
bool is_message(Notice::Kind kind);
std::string_view to_string(Notice::Kind kind);
// "<alert id>-<event>-<at in µs>", e.g. "42-resolved-1795000300000000".
std::string make_notice_id(const Notice& notice);

// The queue of one configured webhook. The file names a webhook by digests only: its URL and
// secret are credentials (the robot key sits in the query) and stay in the config file.
struct OutboxQueue {
  std::string webhook;    // digest over the whole entry (url, format, secret, language, ...)
  std::string url;        // digest of the URL alone: finds the same robot after an edit of the entry
  std::string shown_url;  // as logs show it ("https://oapi.dingtalk.com/***")
  std::vector<Notice> notices;  // oldest first
};
// When the next reminder of an open alert is due, so a restart neither repeats one nor
// restarts the back-off from 10 min.
struct OutboxReminder {
  std::int64_t alert_id = 0;
  UtcTime due;
  std::chrono::milliseconds interval{0};
};
struct Outbox {
  std::vector<OutboxQueue> queues;
  std::vector<OutboxReminder> reminders;
  std::size_t notice_count() const;
};

// {"version":1,"queues":[...],"reminders":[...]}
std::string outbox_text(const Outbox& outbox);
// DataLoss saying what is wrong for text that is not an outbox of a known version.
Result<Outbox> parse_outbox(std::string_view text);

struct LoadedOutbox {
  Outbox outbox;
  std::filesystem::path moved_aside;  // set when the file could not be read as an outbox
};
// Reads `path`; a missing file is an empty outbox. A file that cannot be read as one is
// renamed to "<path>.corrupt-<UTC time>" (kept for a person to look at, never deleted),
// logged as webhook_outbox_corrupt, and an empty outbox is returned.
LoadedOutbox load_outbox(const std::filesystem::path& path, UtcTime now);

}  // namespace carekeep::alerts
