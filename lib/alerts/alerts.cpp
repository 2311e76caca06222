#include "alerts/alerts.hpp"

#include <nlohmann/json.hpp>

#include "base/log.hpp"
#include "sqlite/error.hpp"

namespace carekeep::alerts {
namespace {

std::pair<std::string, std::string> key(std::string_view kind, std::string_view subject) {
  return {std::string(kind), std::string(subject)};
}

void log_change(Change::Type type, const Alert& alert) {
  log::Fields fields{{"id", std::to_string(alert.id)},
                     {"kind", alert.kind},
                     {"subject", alert.subject},
                     {"severity", std::string(to_string(alert.severity))},
                     {"message", alert.message}};
  if (type == Change::Type::Resolved) {
    log::info("alert_resolved", fields);
    return;
  }
  switch (alert.severity) {
    case Severity::Info: log::info("alert_raised", fields); break;
    case Severity::Warning: log::warn("alert_raised", fields); break;
    case Severity::Critical: log::critical("alert_raised", fields); break;
  }
}

}  // namespace

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::Info: return "info";
    case Severity::Warning: return "warning";
    case Severity::Critical: return "critical";
  }
  return "warning";
}

std::optional<Severity> parse_severity(std::string_view text) {
  if (text == "info") return Severity::Info;
  if (text == "warning") return Severity::Warning;
  if (text == "critical") return Severity::Critical;
  return std::nullopt;
}

Result<Alert> from_row(const index::AlertRow& row) {
  auto severity = parse_severity(row.severity);
  if (!severity) {
    return fail(ErrorKind::DataLoss, "alert " + std::to_string(row.id) + " has severity '" + row.severity +
                                         "' (expected info, warning or critical)");
  }
  return Alert{row.id,     row.kind,          row.subject, *severity,
               row.message, row.raised,       row.last_seen, row.resolved,
               row.acknowledged, row.acknowledged_by.value_or("")};
}

AlertCenter::AlertCenter(index::Index& index, const Clock& clock) : index_(index), clock_(clock) {
  auto rows = index_.open_alerts();
  if (!rows) {
    // Not fatal: raise() then inserts, and a clash with a row we could not read surfaces there.
    log::error("alerts_load_failed", {{"error", rows.error().message}});
    return;
  }
  for (const auto& row : *rows) {
    auto alert = from_row(row);
    if (!alert) {
      log::error("alerts_load_failed", {{"error", alert.error().message}});
      continue;
    }
    open_.insert_or_assign(key(alert->kind, alert->subject), std::move(*alert));
  }
}

template <class Write>
auto AlertCenter::write(Write&& op) -> decltype(op()) {
  if (hooks_.before_write) hooks_.before_write();
  auto result = op();
  if (result || !hooks_.make_room) return result;
  // Asked before anything else touches the connection: the next call replaces SQLite's errno.
  DiskFault fault = sqlite::last_disk_fault(index_.connection().handle());
  if (!out_of_space(fault) || !hooks_.make_room(fault)) return result;
  return op();
}

Result<std::int64_t> AlertCenter::raise(std::string_view kind, std::string_view subject, Severity severity,
                                        std::string message) {
  auto now = clock_.now();
  if (auto it = open_.find(key(kind, subject)); it != open_.end()) {
    Alert& alert = it->second;
    auto st = write([&] { return index_.refresh_alert(alert.id, now, to_string(severity), message); });
    if (!st && st.error().kind == ErrorKind::NotFound) {
      // The row is gone or resolved behind our back (a rolled-back batch, an edit outside
      // carekeep): the condition still holds, so it opens anew below.
      open_.erase(it);
      return raise(kind, subject, severity, std::move(message));
    }
    if (!st) return tl::unexpected(std::move(st.error()));
    bool escalated = alert.severity != severity;
    alert.severity = severity;
    alert.message = std::move(message);
    alert.last_seen = std::max(alert.last_seen, now);
    if (escalated) notify(Change::Type::Raised, alert);
    return alert.id;
  }
  index::NewAlert row{std::string(kind), std::string(subject), std::string(to_string(severity)), message, now};
  auto id = write([&] { return index_.insert_alert(row); });
  if (!id) return tl::unexpected(std::move(id.error()));
  Alert alert{*id, row.kind, row.subject, severity, std::move(message), now, now, std::nullopt, std::nullopt, ""};
  auto [it, inserted] = open_.insert_or_assign(key(kind, subject), std::move(alert));
  notify(Change::Type::Raised, it->second);
  return *id;
}

Status AlertCenter::resolve(std::string_view kind, std::string_view subject) {
  auto it = open_.find(key(kind, subject));
  if (it == open_.end()) return ok();
  auto now = clock_.now();
  auto st = write([&] { return index_.resolve_alert(it->second.id, now); });
  // NotFound: someone resolved the row outside the daemon; the cache is what was stale.
  if (!st && st.error().kind != ErrorKind::NotFound) return st;
  Alert alert = std::move(it->second);
  open_.erase(it);
  alert.resolved = std::max(now, alert.raised);
  notify(Change::Type::Resolved, alert);
  return ok();
}

std::vector<Alert> AlertCenter::open() const {
  auto listed = list(index_, false);
  if (listed) return std::move(*listed);
  log::warn("alerts_read_failed", {{"error", listed.error().message}});
  std::vector<Alert> cached;
  for (const auto& [k, alert] : open_) cached.push_back(alert);
  return cached;
}

bool AlertCenter::is_open(std::string_view kind, std::string_view subject) const {
  return open_.count(key(kind, subject)) > 0;
}

void AlertCenter::subscribe(std::function<void(const Change&)> listener) { listeners_.push_back(std::move(listener)); }

void AlertCenter::notify(Change::Type type, const Alert& alert) const {
  log_change(type, alert);
  Change change{type, alert};
  for (const auto& listener : listeners_) {
    // A failing webhook or metrics listener must not take the watcher that raised it down.
    try {
      listener(change);
    } catch (const std::exception& e) {
      log::error("alert_listener_failed", {{"kind", alert.kind}, {"error", e.what()}});
    }
  }
}

Result<std::vector<Alert>> list(index::Index& index, bool all) {
  auto rows = all ? index.alerts() : index.open_alerts();
  if (!rows) return tl::unexpected(std::move(rows.error()));
  std::vector<Alert> alerts;
  alerts.reserve(rows->size());
  for (const auto& row : *rows) {
    auto alert = from_row(row);
    if (!alert) return tl::unexpected(std::move(alert.error()));
    alerts.push_back(std::move(*alert));
  }
  return alerts;
}

Status acknowledge(index::Index& index, std::int64_t id, UtcTime when, std::string_view by) {
  auto st = index.acknowledge_alert(id, when, by);
  if (st || st.error().kind != ErrorKind::NotFound) return st;
  auto row = index.alert(id);
  if (!row) return tl::unexpected(std::move(row.error()));
  if (!*row) {
    return fail(ErrorKind::NotFound,
                "no alert " + std::to_string(id) + "; `carekeep alerts --all` lists every alert with its id");
  }
  return fail(ErrorKind::FailedPrecondition,
              "alert " + std::to_string(id) + " was acknowledged already by " +
                  (*row)->acknowledged_by.value_or("?") + " at " +
                  format_utc_iso((*row)->acknowledged.value_or(UtcTime{})));
}

Status acknowledge_as(index::Index& index, std::int64_t id, UtcTime when, std::int64_t uid, std::string_view user) {
  auto tx = index.transaction();
  if (!tx) return tl::unexpected(std::move(tx.error()));
  if (auto st = acknowledge(index, id, when, user); !st) return st;
  auto row = index.alert(id);
  if (!row) return tl::unexpected(std::move(row.error()));
  if (*row) {
    // Every acknowledgement is a change someone made (issue 15); acknowledging clock_untrusted
    // also confirms the date and resumes deletion, so it says which date was confirmed.
    index::NewAccessEntry entry;
    entry.time = when;
    entry.uid = uid;
    entry.user = std::string(user);
    nlohmann::json args{{"alert", id}, {"kind", (*row)->kind}, {"subject", (*row)->subject}};
    if ((*row)->kind == kClockUntrusted) {
      entry.action = "clock_confirm";
      args["confirmed_time"] = format_utc_iso(when);
      args["confirmed_us"] = to_us(when);
      args["reason"] = (*row)->message;
    } else {
      entry.action = "alert_ack";
      args["message"] = (*row)->message;
    }
    entry.arguments = args.dump();
    entry.result = "ok";
    if (auto logged = index.append_access_log(entry); !logged) return tl::unexpected(std::move(logged.error()));
  }
  return tx->commit();
}

nlohmann::ordered_json to_json(const Alert& alert, const TimeZone& zone) {
  auto local_or_null = [&](const std::optional<UtcTime>& t) {
    return t ? nlohmann::ordered_json(format_local_iso(*t, zone)) : nlohmann::ordered_json(nullptr);
  };
  return {{"id", alert.id},
          {"kind", alert.kind},
          {"subject", alert.subject},
          {"severity", std::string(to_string(alert.severity))},
          {"message", alert.message},
          {"raised", format_local_iso(alert.raised, zone)},
          {"raised_us", to_us(alert.raised)},
          {"last_seen", format_local_iso(alert.last_seen, zone)},
          {"last_seen_us", to_us(alert.last_seen)},
          {"resolved", local_or_null(alert.resolved)},
          {"acknowledged", local_or_null(alert.acknowledged)},
          {"acknowledged_by", alert.acknowledged ? nlohmann::ordered_json(alert.acknowledged_by) : nlohmann::ordered_json(nullptr)},
          {"resolved_us", alert.resolved ? nlohmann::ordered_json(to_us(*alert.resolved)) : nlohmann::ordered_json(nullptr)},
          {"acknowledged_us",
           alert.acknowledged ? nlohmann::ordered_json(to_us(*alert.acknowledged)) : nlohmann::ordered_json(nullptr)}};
}

Result<Alert> from_json(const nlohmann::json& in) {
  if (!in.is_object()) return fail(ErrorKind::InvalidArgument, "an alert is not a JSON object");
  auto want = [&](const char* key, nlohmann::json::value_t type) -> Result<const nlohmann::json*> {
    auto it = in.find(key);
    bool ok = it != in.end() && (it->type() == type || (type == nlohmann::json::value_t::number_integer &&
                                                         it->type() == nlohmann::json::value_t::number_unsigned));
    if (!ok) return fail(ErrorKind::InvalidArgument, std::string("alert key \"") + key + "\" is missing or of the wrong type");
    return &*it;
  };
  auto optional_us = [&](const char* key) -> Result<std::optional<UtcTime>> {
    auto it = in.find(key);
    if (it == in.end() || it->is_null()) return std::optional<UtcTime>{};
    if (!it->is_number_integer()) return fail(ErrorKind::InvalidArgument, std::string("alert key \"") + key + "\" is not an integer");
    return std::optional<UtcTime>{from_us(it->get<std::int64_t>())};
  };
  using T = nlohmann::json::value_t;
  Alert a;
  auto id = want("id", T::number_integer);
  auto kind = want("kind", T::string);
  auto subject = want("subject", T::string);
  auto severity = want("severity", T::string);
  auto message = want("message", T::string);
  auto raised = want("raised_us", T::number_integer);
  auto last_seen = want("last_seen_us", T::number_integer);
  for (auto* r : {&id, &kind, &subject, &severity, &message, &raised, &last_seen})
    if (!*r) return tl::unexpected(r->error());
  a.id = (*id)->get<std::int64_t>();
  a.kind = (*kind)->get<std::string>();
  a.subject = (*subject)->get<std::string>();
  auto parsed = parse_severity((*severity)->get<std::string>());
  if (!parsed) return fail(ErrorKind::InvalidArgument, "alert severity \"" + (*severity)->get<std::string>() + "\" is unknown");
  a.severity = *parsed;
  a.message = (*message)->get<std::string>();
  a.raised = from_us((*raised)->get<std::int64_t>());
  a.last_seen = from_us((*last_seen)->get<std::int64_t>());
  auto resolved = optional_us("resolved_us");
  if (!resolved) return tl::unexpected(resolved.error());
  a.resolved = *resolved;
  auto acknowledged = optional_us("acknowledged_us");
  if (!acknowledged) return tl::unexpected(acknowledged.error());
  a.acknowledged = *acknowledged;
  if (auto it = in.find("acknowledged_by"); it != in.end() && it->is_string()) a.acknowledged_by = it->get<std::string>();
  return a;
}

}  // namespace carekeep::alerts
