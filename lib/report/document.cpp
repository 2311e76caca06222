// report/document: the order and wording of the report. Sections follow issue 7: site,
// retention compliance, coverage (with every gap), camera uptime, integrity, holds, clock
// events, alerts, the access log, daemon runs, and how to verify the report.
#include "report/document.hpp"

#include <algorithm>
#include <map>

#include "report/text.hpp"

namespace carekeep::report {

namespace {

class Builder {
 public:
  Builder(const ReportData& data, const TimeZone& zone) : data_(data), zone_(zone), lang_(data.lang) {}

  std::string_view t(std::string_view key) const { return tr(lang_, key); }
  std::string s(std::string_view key) const { return std::string(tr(lang_, key)); }
  std::string time(UtcTime when) const { return local_time(when, zone_); }
  std::string time(const std::optional<UtcTime>& when) const { return when ? time(*when) : "-"; }
  std::string dur(double seconds) const { return duration(lang_, seconds); }

  void title(std::string text) { blocks_.push_back({Block::Kind::Title, std::move(text)}); }
  void heading(std::string_view key) {
    ++section_;
    blocks_.push_back({Block::Kind::Heading, std::to_string(section_) + ". " + s(key)});
  }
  void paragraph(std::string text) { blocks_.push_back({Block::Kind::Paragraph, std::move(text)}); }
  void notice(std::string text, bool alarm) {
    Block b{Block::Kind::Notice, std::move(text)};
    b.alarm = alarm;
    blocks_.push_back(std::move(b));
  }
  Block& table(std::string_view caption, std::vector<std::string_view> header_keys, std::vector<double> widths,
               std::vector<bool> right = {}) {
    Block b{Block::Kind::Table, caption.empty() ? std::string() : s(caption)};
    for (auto k : header_keys) b.header.push_back(s(k));
    b.widths = std::move(widths);
    b.right = right.empty() ? std::vector<bool>(b.header.size(), false) : std::move(right);
    b.empty_text = s("none");
    blocks_.push_back(std::move(b));
    return blocks_.back();
  }

  std::string camera_name(const std::string& id) const {
    for (const auto& c : data_.site.cameras) {
      if (c.id == id) return c.name;
    }
    return id;
  }
  std::string zone_name(const std::string& id) const {
    for (const auto& z : data_.site.zones) {
      if (z.id == id) return z.name;
    }
    return id;
  }

  void site();
  void retention();
  void coverage();
  void config_history();
  void uptime();
  void integrity();
  void holds();
  void clock();
  void alerts();
  void access();
  void runs();
  void verify(const Seal& seal);

  std::vector<Block> take() { return std::move(blocks_); }

 private:
  const ReportData& data_;
  const TimeZone& zone_;
  Lang lang_;
  int section_ = 0;
  std::vector<Block> blocks_;
};

void Builder::site() {
  const auto& site = data_.site;
  auto& meta = table("", {"field", "value"}, {1, 3});
  meta.rows.push_back({s("site_name"), site.name});
  if (site.address) meta.rows.push_back({s("address"), *site.address});
  meta.rows.push_back({s("period"), data_.from_date + " – " + data_.to_date + " (" + time(data_.from) + " – " +
                                        time(data_.to) + ")"});
  meta.rows.push_back({s("timezone"), site.timezone});
  meta.rows.push_back({s("generated"), time(data_.generated)});
  meta.rows.push_back({s("host"), site.hostname});
  meta.rows.push_back({s("version"), "carekeep " + data_.version});

  heading("s_site");
  auto& cams = table("cameras", {"camera", "name", "status", "first_seen"}, {1, 2, 1.5, 2});
  for (const auto& c : site.cameras) {
    std::string status = !c.configured ? s("removed") : c.enabled ? s("enabled") : s("disabled");
    cams.rows.push_back({c.id, c.name, status, time(c.first_seen)});
  }
  auto& zones = table("zones", {"zone", "name", "cameras"}, {1, 2, 3});
  for (const auto& z : site.zones) {
    std::string list;
    for (const auto& c : z.cameras) list += (list.empty() ? "" : ", ") + c + " (" + camera_name(c) + ")";
    zones.rows.push_back({z.id, z.name, list});
  }
  static constexpr std::string_view kDays[] = {"monday", "tuesday", "wednesday", "thursday",
                                               "friday", "saturday", "sunday"};
  auto& week = table("care_schedule", {"weekday", "hours"}, {1, 3});
  for (std::size_t d = 0; d < 7; ++d) {
    std::string hours;
    for (const auto& h : site.weekly_hours[d]) hours += (hours.empty() ? "" : ", ") + h;
    week.rows.push_back({s(kDays[d]), hours.empty() ? s("closed") : hours});
  }
  auto& ex = table("exceptions", {"date", "hours", "note"}, {1, 2, 2});
  for (const auto& e : site.exceptions) {
    std::string hours;
    for (const auto& h : e.hours) hours += (hours.empty() ? "" : ", ") + h;
    ex.rows.push_back({e.date, e.closed ? s("closed") : hours, e.note});
  }
  paragraph(s("retention_policy") + ": " + std::to_string(site.care_days) + " " + s("days") + " (" +
            s("care_footage") + "), " + std::to_string(site.other_days) + " " + s("days") + " (" +
            s("other_footage") + ")");
}

void Builder::retention() {
  heading("s_retention");
  const auto& r = data_.retention;
  if (r.protected_deletions.empty()) {
    notice(s("no_protected_deletions"), false);
  } else {
    notice(s("protected_deletions_found") + ": " + std::to_string(r.protected_deletions.size()), true);
    auto& del = table("protected_deletions", {"segment", "camera", "start", "end", "protect_until", "deleted", "detail"},
                      {0.8, 1, 1.6, 1.6, 1.6, 1.6, 2});
    for (const auto& d : r.protected_deletions) {
      del.rows.push_back({std::to_string(d.segment_id), d.camera_id, time(d.start), time(d.end), time(d.protect_until),
                          d.deleted ? time(*d.deleted) : s(d.state == "damaged" ? "file_lost" : "deleting"),
                          d.detail});
    }
  }
  auto& cams = table("retention_by_camera",
                     {"camera", "oldest_care_footage", "days_held", "status", "damaged"}, {1, 1.8, 1, 2, 0.8},
                     {false, false, true, false, true});
  for (const auto& c : r.cameras) {
    std::string status = !c.oldest_care_footage                      ? s("no_care_footage")
                         : c.continuous_days >= data_.site.care_days ? s("meets_target")
                                                                     : s("shorter_than_target");
    cams.rows.push_back({c.camera_id + " " + camera_name(c.camera_id), time(c.oldest_care_footage),
                         fixed(c.continuous_days, 1), status, std::to_string(c.damaged_segments)});
  }
  const auto& cap = r.capacity;
  auto& capacity = table("capacity", {"field", "value"}, {2, 3});
  if (cap.measured) {
    capacity.rows.push_back({s("disk_total"), human_bytes(static_cast<double>(cap.total_bytes))});
    capacity.rows.push_back({s("disk_free"), human_bytes(static_cast<double>(cap.free_bytes))});
  }
  capacity.rows.push_back({s("footage"), human_bytes(static_cast<double>(cap.footage_bytes))});
  capacity.rows.push_back({s("bytes_per_day"), human_bytes(cap.bytes_per_care_day)});
  capacity.rows.push_back({s("days_capacity"), cap.days_capacity ? fixed(*cap.days_capacity, 0) + " " + s("days")
                                                                 : s("unknown")});
  if (cap.smart_checked) {
    std::string when = " (" + s("smart_checked") + " " + time(cap.smart_checked) + ")";
    if (cap.disks.empty()) capacity.rows.push_back({s("disk_health"), cap.smart_reason + when});
    for (const auto& d : cap.disks) {
      std::string value = s("smart_" + d.verdict) + (d.detail.empty() ? "" : ": " + d.detail) + when;
      capacity.rows.push_back({s("disk_health") + " " + d.device + (d.model.empty() ? "" : " " + d.model), value});
    }
  } else {
    capacity.rows.push_back({s("disk_health"), s("smart_not_read")});
  }
  if (cap.below_target) notice(s("capacity_below_target"), true);
  for (const auto& d : cap.disks) {
    if (d.verdict == "failing") notice(s("smart_failing_notice") + " " + d.device, true);
  }
}

void Builder::coverage() {
  heading("s_coverage");
  const auto& c = data_.coverage;
  std::int64_t total_gaps = 0;
  for (const auto& z : c.zones) total_gaps += z.gaps;
  if (total_gaps == 0) {
    notice(s("all_covered"), false);
  } else {
    notice(s("gaps_found") + ": " + std::to_string(total_gaps), true);
  }
  auto& zones = table("coverage_by_zone", {"zone", "name", "care_time", "covered_time", "coverage", "gaps", "gap_time"},
                      {1, 1.5, 1.4, 1.4, 1, 0.7, 1.4}, {false, false, true, true, true, true, true});
  for (const auto& z : c.zones) {
    std::optional<double> pct;
    if (z.care_seconds > 0) pct = 100.0 * z.covered_seconds / z.care_seconds;
    zones.rows.push_back({z.zone_id, zone_name(z.zone_id), dur(z.care_seconds), dur(z.covered_seconds), percent(pct),
                          std::to_string(z.gaps), dur(z.gap_seconds)});
  }
  Block timeline{Block::Kind::Timeline, s("timeline")};
  blocks_.push_back(std::move(timeline));

  auto& gaps = table("gap_list", {"zone", "start", "end", "duration", "cause", "detail"}, {1, 1.6, 1.6, 1, 1.3, 3},
                     {false, false, false, true, false, false});
  gaps.empty_text = s("no_gaps");
  for (const auto& g : c.gaps) {
    gaps.rows.push_back({g.zone_id + " " + zone_name(g.zone_id), time(g.start), time(g.end), dur(g.seconds()),
                         word(lang_, g.cause), g.detail});
  }
  auto& days = table("coverage_by_day", {"zone", "date", "care_time", "covered_time", "coverage"}, {1.5, 1.2, 1.4, 1.4, 1},
                     {false, false, true, true, true});
  for (const auto& d : c.days) {
    if (d.care_seconds <= 0) continue;  // closed days: nothing to cover
    days.rows.push_back({d.zone_id + " " + zone_name(d.zone_id), d.date, dur(d.care_seconds), dur(d.covered_seconds),
                         percent(d.percent())});
  }
}

void Builder::uptime() {
  heading("s_uptime");
  auto& up = table("", {"camera", "recording_time", "of_period", "care_recording", "of_care", "runs", "down_events", "causes"},
                   {1, 1.3, 0.9, 1.3, 0.9, 0.6, 0.8, 2}, {false, true, true, true, true, true, true, false});
  for (const auto& u : data_.uptime) {
    std::string causes;
    for (const auto& [cause, n] : u.down_causes) causes += (causes.empty() ? "" : ", ") + word(lang_, cause) + " ×" + std::to_string(n);
    std::optional<double> of_period;
    if (u.period_seconds > 0) of_period = 100.0 * u.recording_seconds / u.period_seconds;
    std::optional<double> of_care;
    if (u.care_seconds > 0) of_care = 100.0 * u.care_recording_seconds / u.care_seconds;
    up.rows.push_back({u.camera_id + " " + camera_name(u.camera_id), dur(u.recording_seconds), percent(of_period),
                       dur(u.care_recording_seconds), percent(of_care), std::to_string(u.runs),
                       std::to_string(u.down_events), causes});
  }
}

void Builder::integrity() {
  heading("s_integrity");
  const auto& i = data_.integrity;
  if (i.last_verification) {
    const auto& v = *i.last_verification;
    paragraph(s("last_verification") + ": " + time(v.time) + ", " + v.user + ", " + s("result") + ": " + v.result +
              " " + v.arguments);
  } else {
    notice(s("never_verified"), true);
  }
  paragraph(s("damaged_in_period") + ": " + std::to_string(i.damaged_in_period) + "; " + s("recovered_in_period") +
            ": " + std::to_string(i.recovered_in_period) + "; " + s("anchors_in_period") + ": " +
            std::to_string(i.anchors_in_period));
  auto& anchors = table("latest_anchors", {"camera", "time", "tip_segment", "chain_sha256", "key"}, {1, 1.6, 0.8, 2.2, 1.4});
  for (const auto& a : i.latest_anchors) {
    anchors.rows.push_back({a.camera_id, time(a.time), a.tip_segment_id ? std::to_string(*a.tip_segment_id) : "-",
                            a.chain_sha256.substr(0, 32), a.key_fingerprint.substr(0, 16)});
  }
}

void Builder::holds() {
  heading("s_holds");
  auto& h = table("", {"id", "target", "from", "to", "reason", "created", "released"}, {0.5, 1.2, 1.6, 1.6, 2, 2, 2});
  for (const auto& x : data_.holds) {
    auto colon = x.target.find(':');
    std::string target = word(lang_, x.target.substr(0, colon)) + " " + x.target.substr(colon + 1);
    // The case leads the reason: it is what an inspector looks the hold up by.
    std::string reason = x.reason;
    if (x.case_number)
      reason = s("case") + " " + *x.case_number + (x.by_inspector ? " (" + s("inspector_hold") + ")" : "") + ": " + reason;
    h.rows.push_back({std::to_string(x.id), target, time(x.from), time(x.to), reason, time(x.created) + " " + x.created_by,
                      x.released ? time(*x.released) + " " + x.released_by : s("active")});
  }
}

// Which configurations judged the period: coverage above used, at each instant, the care hours
// and zones in force then; a change made afterwards cannot remove a past gap (issue 15).
void Builder::config_history() {
  const auto& h = data_.config_history;
  heading("s_config");
  if (h.current_file_used) {
    notice(h.first_version ? s("config_current_file_before") + " " + time(*h.first_version) : s("config_current_file"),
           true);
  }
  for (const auto& note : h.notes) notice(note, true);
  auto& c = table("", {"config_version", "loaded", "source", "user", "what_changed", "sha256"}, {0.6, 1.6, 0.7, 0.8, 3, 2});
  c.empty_text = s("config_unchanged");
  for (const auto& x : h.changes) {
    c.rows.push_back({std::to_string(x.version), time(x.loaded), x.source, x.user.empty() ? "-" : x.user, x.summary,
                      x.sha256});
  }
}

void Builder::clock() {
  heading("s_clock");
  auto& c = table("", {"time", "step", "ntp", "detail"}, {1.6, 1, 1, 3}, {false, true, false, false});
  for (const auto& e : data_.clock_events) {
    std::string ntp = !e.ntp_synced ? s("unknown") : *e.ntp_synced ? s("synced") : s("not_synced");
    c.rows.push_back({time(e.time), (e.step_seconds >= 0 ? "+" : "") + fixed(e.step_seconds, 1) + " s", ntp, e.detail});
  }
}

void Builder::alerts() {
  heading("s_alerts");
  auto& a = table("", {"raised", "resolved", "kind", "subject", "severity", "message"}, {1.6, 1.6, 1.2, 1, 0.8, 3});
  for (const auto& x : data_.alerts) {
    a.rows.push_back({time(x.raised), x.resolved ? time(*x.resolved) : s("open"), word(lang_, x.kind), x.subject,
                      word(lang_, x.severity), x.message});
  }
}

void Builder::access() {
  heading("s_access");
  auto& a = table("", {"id", "time", "user", "action", "arguments", "result"}, {0.5, 1.6, 0.9, 0.9, 3.5, 1});
  for (const auto& x : data_.access) {
    a.rows.push_back({std::to_string(x.id), time(x.time), x.user + " (" + std::to_string(x.uid) + ")", word(lang_, x.action),
                      x.arguments, x.result});
  }
}

void Builder::runs() {
  heading("s_runs");
  auto& r = table("", {"id", "started", "stopped", "stop_reason", "version", "host"}, {0.5, 1.6, 1.6, 1, 0.8, 1.2});
  for (const auto& x : data_.daemon_runs) {
    r.rows.push_back({std::to_string(x.id), time(x.started), x.stopped ? time(*x.stopped) : s("running"),
                      x.stop_reason.empty() ? "-" : word(lang_, x.stop_reason), x.version, x.hostname});
  }
}

void Builder::verify(const Seal& seal) {
  heading("s_verify");
  paragraph(s("verify_intro"));
  auto& v = table("", {"field", "value"}, {1, 3});
  v.rows.push_back({s("json_sha256"), seal.json_sha256});
  v.rows.push_back({s("key_fingerprint"), seal.key_fingerprint});
  v.rows.push_back({s("command"), "carekeep verify-report report.json --pubkey signing.pub"});
  paragraph(s("verify_steps"));
}

// Splits [begin, end) at local midnights into (date, minutes) pieces.
template <class F>
void per_local_day(UtcTime begin, UtcTime end, const TimeZone& zone, F&& f) {
  auto lb = zone.to_local(begin);
  auto le = zone.to_local(end);
  while (lb < le) {
    auto day = date::floor<date::days>(lb);
    LocalTime midnight{day};
    auto stop = std::min(le, LocalTime{day + date::days{1}});
    double b = std::chrono::duration<double, std::ratio<60>>(lb - midnight).count();
    double e = std::chrono::duration<double, std::ratio<60>>(stop - midnight).count();
    f(format_date(day), b, std::min(e, 1440.0));
    lb = stop;
  }
}

std::vector<ZoneTimeline> build_timeline(const ReportData& data, const TimeZone& zone) {
  std::vector<ZoneTimeline> out;
  for (const auto& z : data.site.zones) {
    ZoneTimeline t{z.id, z.name, {}};
    std::map<std::string, std::size_t> at;
    for (const auto& dc : data.coverage.care) {
      at[dc.date] = t.days.size();
      t.days.push_back({dc.date, dc.minutes, {}});
    }
    for (const auto& g : data.coverage.gaps) {
      if (g.zone_id != z.id) continue;
      per_local_day(g.start, g.end, zone, [&](const std::string& day, double b, double e) {
        if (auto it = at.find(day); it != at.end()) t.days[it->second].gaps.emplace_back(b, e);
      });
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

Document build_document(const ReportData& data, const TimeZone& zone, const Seal& seal) {
  Document doc;
  doc.lang = data.lang;
  doc.seal = seal;
  doc.title = data.site.name + " · " + std::string(tr(data.lang, "title"));
  doc.footer_left = data.site.name + " · " + data.from_date + " – " + data.to_date;
  Builder b(data, zone);
  b.title(doc.title);
  b.site();
  b.retention();
  b.coverage();
  b.config_history();
  b.uptime();
  b.integrity();
  b.holds();
  b.clock();
  b.alerts();
  b.access();
  b.runs();
  b.verify(seal);
  doc.blocks = b.take();
  doc.timeline = build_timeline(data, zone);
  return doc;
}

}  // namespace carekeep::report
