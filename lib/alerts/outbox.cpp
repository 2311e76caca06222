#include "alerts/outbox.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "base/log.hpp"

namespace carekeep::alerts {
namespace {

constexpr int kVersion = 1;

nlohmann::json notice_to_json(const Notice& n) {
  const Alert& a = n.alert;
  nlohmann::json j{{"id", n.id},
          {"event", to_string(n.kind)},
          {"at_us", to_us(n.at)},
          {"alert",
           {{"id", a.id},
            {"kind", a.kind},
            {"subject", a.subject},
            {"severity", to_string(a.severity)},
            {"message", a.message},
            {"raised_us", to_us(a.raised)},
            {"resolved_us", a.resolved ? nlohmann::json(to_us(*a.resolved)) : nlohmann::json()}}}};
  if (n.kind == Notice::Kind::Digest) j["digest"] = nlohmann::json::parse(n.payload, nullptr, false);
  if (n.kind == Notice::Kind::Summary) j["summary"] = nlohmann::json::parse(n.payload, nullptr, false);
  if (!n.text.empty()) j["text"] = n.text;
  return j;
}

// Throws nlohmann::json exceptions for a missing key or a wrong type; std::runtime_error for a
// value out of range. parse_outbox turns both into DataLoss.
Notice notice_from_json(const nlohmann::json& j) {
  Notice n;
  n.id = j.at("id").get<std::string>();
  auto event = j.at("event").get<std::string>();
  if (event == "raised") {
    n.kind = Notice::Kind::Raised;
  } else if (event == "reminder") {
    n.kind = Notice::Kind::Reminder;
  } else if (event == "resolved") {
    n.kind = Notice::Kind::Resolved;
  } else if (event == "digest") {
    n.kind = Notice::Kind::Digest;
    const auto& digest = j.at("digest");
    if (!digest.is_object()) throw std::runtime_error("a digest notice without its digest");
    n.payload = digest.dump();
  } else if (event == "summary") {
    n.kind = Notice::Kind::Summary;
    const auto& summary = j.at("summary");
    if (!summary.is_object()) throw std::runtime_error("a summary notice without its figures");
    n.payload = summary.dump();
  } else {
    throw std::runtime_error("unknown event \"" + event + "\"");
  }
  if (auto text = j.find("text"); text != j.end()) n.text = text->get<std::map<std::string, std::string>>();
  n.at = from_us(j.at("at_us").get<std::int64_t>());
  const auto& a = j.at("alert");
  n.alert.id = a.at("id").get<std::int64_t>();
  n.alert.kind = a.at("kind").get<std::string>();
  n.alert.subject = a.at("subject").get<std::string>();
  auto severity = parse_severity(a.at("severity").get<std::string>());
  if (!severity) throw std::runtime_error("unknown severity " + a.at("severity").dump());
  n.alert.severity = *severity;
  n.alert.message = a.at("message").get<std::string>();
  n.alert.raised = from_us(a.at("raised_us").get<std::int64_t>());
  n.alert.last_seen = n.alert.raised;
  if (!a.at("resolved_us").is_null()) n.alert.resolved = from_us(a.at("resolved_us").get<std::int64_t>());
  return n;
}

// "20261118T000000Z": a file name part without colons.
std::string compact_utc(UtcTime t) {
  std::string iso = format_utc_iso(t);  // 2026-11-18T00:00:00Z
  std::string out;
  for (char c : iso) {
    if (c != '-' && c != ':') out.push_back(c);
  }
  return out;
}

}  // namespace

std::string_view to_string(Notice::Kind kind) {
  switch (kind) {
    case Notice::Kind::Raised: return "raised";
    case Notice::Kind::Reminder: return "reminder";
    case Notice::Kind::Resolved: return "resolved";
    case Notice::Kind::Digest: return "digest";
    case Notice::Kind::Summary: return "summary";
  }
  return "raised";
}

bool is_message(Notice::Kind kind) { return kind == Notice::Kind::Digest || kind == Notice::Kind::Summary; }

std::string make_notice_id(const Notice& notice) {
  return std::to_string(notice.alert.id) + "-" + std::string(to_string(notice.kind)) + "-" +
         std::to_string(to_us(notice.at));
}

std::size_t Outbox::notice_count() const {
  std::size_t n = 0;
  for (const auto& q : queues) n += q.notices.size();
  return n;
}

std::string outbox_text(const Outbox& outbox) {
  nlohmann::json queues = nlohmann::json::array();
  for (const auto& q : outbox.queues) {
    nlohmann::json notices = nlohmann::json::array();
    for (const auto& n : q.notices) notices.push_back(notice_to_json(n));
    queues.push_back({{"webhook", q.webhook}, {"url", q.url}, {"shown_url", q.shown_url}, {"notices", notices}});
  }
  nlohmann::json reminders = nlohmann::json::array();
  for (const auto& r : outbox.reminders) {
    reminders.push_back({{"alert", r.alert_id}, {"due_us", to_us(r.due)}, {"interval_ms", r.interval.count()}});
  }
  nlohmann::json doc{{"version", kVersion}, {"queues", queues}, {"reminders", reminders}};
  return doc.dump(1) + "\n";
}

Result<Outbox> parse_outbox(std::string_view text) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return fail(ErrorKind::DataLoss, "not a JSON object");
  try {
    auto version = doc.at("version").get<int>();
    if (version != kVersion) {
      return fail(ErrorKind::DataLoss, "version " + std::to_string(version) + " (this carekeepd reads version " +
                                           std::to_string(kVersion) + ")");
    }
    Outbox out;
    for (const auto& q : doc.at("queues")) {
      OutboxQueue queue;
      queue.webhook = q.at("webhook").get<std::string>();
      queue.url = q.at("url").get<std::string>();
      queue.shown_url = q.at("shown_url").get<std::string>();
      for (const auto& n : q.at("notices")) queue.notices.push_back(notice_from_json(n));
      out.queues.push_back(std::move(queue));
    }
    for (const auto& r : doc.at("reminders")) {
      out.reminders.push_back({r.at("alert").get<std::int64_t>(), from_us(r.at("due_us").get<std::int64_t>()),
                               std::chrono::milliseconds(r.at("interval_ms").get<std::int64_t>())});
    }
    return out;
  } catch (const std::exception& e) {
    return fail(ErrorKind::DataLoss, e.what());
  }
}

LoadedOutbox load_outbox(const std::filesystem::path& path, UtcTime now) {
  LoadedOutbox loaded;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return loaded;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  Result<Outbox> parsed = in ? parse_outbox(text.str()) : fail(ErrorKind::DataLoss, "cannot be read");
  if (parsed) {
    loaded.outbox = std::move(*parsed);
    return loaded;
  }
  auto aside = path;
  aside += ".corrupt-" + compact_utc(now);
  for (int i = 1; std::filesystem::exists(aside, ec); ++i) {
    aside = path;
    aside += ".corrupt-" + compact_utc(now) + "-" + std::to_string(i);
  }
  std::filesystem::rename(path, aside, ec);
  if (ec) {
    log::error("webhook_outbox_corrupt", {{"file", path.string()},
                                          {"error", parsed.error().message},
                                          {"moved_to", ""},
                                          {"reason", "cannot move it aside: " + ec.message() + "; it will be overwritten"}});
    return loaded;
  }
  loaded.moved_aside = aside;
  log::error("webhook_outbox_corrupt", {{"file", path.string()},
                                        {"error", parsed.error().message},
                                        {"moved_to", aside.string()},
                                        {"reason", "undelivered webhook messages of the last run are lost; the file is kept"}});
  return loaded;
}

}  // namespace carekeep::alerts
