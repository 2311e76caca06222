// report/render_data: the machine-readable forms (JSON, CSV), the signature, and write_report.
#include "base/sha256.hpp"

#include <cstdio>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "base/fs.hpp"
#include "report/render.hpp"
#include "report/text.hpp"

namespace carekeep::report {

namespace {

using Json = nlohmann::ordered_json;

Json iso(UtcTime t, const TimeZone& zone) { return format_local_iso(t, zone); }
Json iso(const std::optional<UtcTime>& t, const TimeZone& zone) {
  return t ? Json(format_local_iso(*t, zone)) : Json(nullptr);
}
template <class T>
Json opt(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}
Json nonempty(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

// Stored JSON text (access-log arguments) goes in as data, not as a string, when it parses.
Json embedded(const std::string& text) {
  auto parsed = Json::parse(text, nullptr, false);
  return parsed.is_discarded() ? Json(text) : parsed;
}

constexpr std::string_view kSignatureFormat = "carekeep-report-signature-1";

}  // namespace

Result<std::set<Format>> parse_formats(std::string_view text) {
  std::set<Format> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    auto word = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (word == "json") out.insert(Format::Json);
    else if (word == "html") out.insert(Format::Html);
    else if (word == "pdf") out.insert(Format::Pdf);
    else if (word == "csv") out.insert(Format::Csv);
    else {
      return fail(ErrorKind::InvalidArgument, "unknown report format \"" + std::string(word) +
                                                  "\"; use a comma-separated list of html, pdf, json, csv");
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::string render_json(const ReportData& d, const TimeZone& zone) {
  Json j;
  j["format"] = "carekeep-report-1";
  j["generator"] = {{"name", "carekeep"}, {"version", d.version}};
  j["generated"] = iso(d.generated, zone);
  j["lang"] = std::string(to_string(d.lang));
  j["period"] = {{"from", iso(d.from, zone)},
                 {"to", iso(d.to, zone)},
                 {"from_date", d.from_date},
                 {"to_date", d.to_date},
                 {"timezone", d.site.timezone}};

  Json cameras = Json::array();
  for (const auto& c : d.site.cameras) {
    cameras.push_back({{"id", c.id},
                       {"name", c.name},
                       {"configured", c.configured},
                       {"enabled", c.enabled},
                       {"first_seen", iso(c.first_seen, zone)},
                       {"removed", iso(c.removed, zone)}});
  }
  Json zones = Json::array();
  for (const auto& z : d.site.zones) zones.push_back({{"id", z.id}, {"name", z.name}, {"cameras", z.cameras}});
  Json weekly = Json::object();
  static constexpr const char* kDays[] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
  for (std::size_t i = 0; i < 7; ++i) weekly[kDays[i]] = d.site.weekly_hours[i];
  Json exceptions = Json::array();
  for (const auto& e : d.site.exceptions) {
    exceptions.push_back({{"date", e.date}, {"closed", e.closed}, {"hours", e.hours}, {"note", e.note}});
  }
  j["site"] = {{"name", d.site.name},
               {"address", opt(d.site.address)},
               {"timezone", d.site.timezone},
               {"hostname", d.site.hostname},
               {"cameras", cameras},
               {"zones", zones},
               {"care_hours", {{"weekly", weekly}, {"exceptions", exceptions}}},
               {"retention", {{"care_days", d.site.care_days}, {"other_days", d.site.other_days}}}};

  Json ret_cams = Json::array();
  for (const auto& c : d.retention.cameras) {
    ret_cams.push_back({{"camera", c.camera_id},
                        {"oldest_care_footage", iso(c.oldest_care_footage, zone)},
                        {"continuous_days", c.continuous_days},
                        {"damaged_segments", c.damaged_segments}});
  }
  Json deletions = Json::array();
  for (const auto& x : d.retention.protected_deletions) {
    deletions.push_back({{"segment", x.segment_id},
                         {"camera", x.camera_id},
                         {"start", iso(x.start, zone)},
                         {"end", iso(x.end, zone)},
                         {"protect_until", iso(x.protect_until, zone)},
                         {"deleted", iso(x.deleted, zone)},
                         {"state", x.state},
                         {"detail", x.detail}});
  }
  const auto& cap = d.retention.capacity;
  // The SMART check's last word on each disk under the storage (null: no check has run).
  Json disk_health = nullptr;
  if (cap.smart_checked) {
    Json disks = Json::array();
    for (const auto& x : cap.disks)
      disks.push_back({{"device", x.device}, {"model", x.model}, {"verdict", x.verdict}, {"detail", x.detail}});
    disk_health = {{"checked", iso(cap.smart_checked, zone)}, {"reason", cap.smart_reason}, {"disks", disks}};
  }
  j["retention"] = {{"protected_deletions", deletions},
                    {"cameras", ret_cams},
                    {"capacity",
                     {{"measured", cap.measured},
                      {"total_bytes", cap.total_bytes},
                      {"free_bytes", cap.free_bytes},
                      {"footage_bytes", cap.footage_bytes},
                      {"bytes_per_care_day", cap.bytes_per_care_day},
                      {"days_capacity", opt(cap.days_capacity)},
                      {"below_target", cap.below_target},
                      {"disk_health", disk_health}}}};

  Json cov_zones = Json::array();
  for (const auto& z : d.coverage.zones) {
    cov_zones.push_back({{"zone", z.zone_id},
                         {"care_seconds", z.care_seconds},
                         {"covered_seconds", z.covered_seconds},
                         {"gaps", z.gaps},
                         {"gap_seconds", z.gap_seconds}});
  }
  Json days = Json::array();
  for (const auto& x : d.coverage.days) {
    days.push_back({{"zone", x.zone_id},
                    {"date", x.date},
                    {"care_seconds", x.care_seconds},
                    {"covered_seconds", x.covered_seconds},
                    {"percent", opt(x.percent())}});
  }
  Json gaps = Json::array();
  for (const auto& g : d.coverage.gaps) {
    gaps.push_back({{"zone", g.zone_id},
                    {"start", iso(g.start, zone)},
                    {"end", iso(g.end, zone)},
                    {"seconds", g.seconds()},
                    {"cause", g.cause},
                    {"detail", g.detail}});
  }
  j["coverage"] = {{"zones", cov_zones}, {"days", days}, {"gaps", gaps}};

  Json uptime = Json::array();
  for (const auto& u : d.uptime) {
    Json causes = Json::object();
    for (const auto& [c, n] : u.down_causes) causes[c] = n;
    uptime.push_back({{"camera", u.camera_id},
                      {"period_seconds", u.period_seconds},
                      {"recording_seconds", u.recording_seconds},
                      {"care_seconds", u.care_seconds},
                      {"care_recording_seconds", u.care_recording_seconds},
                      {"runs", u.runs},
                      {"down_events", u.down_events},
                      {"down_causes", causes}});
  }
  j["uptime"] = uptime;

  const auto& in = d.integrity;
  Json last = nullptr;
  if (in.last_verification) {
    const auto& v = *in.last_verification;
    last = {{"access_id", v.access_id}, {"time", iso(v.time, zone)}, {"user", v.user},
            {"arguments", embedded(v.arguments)}, {"result", v.result}};
  }
  Json anchors = Json::array();
  for (const auto& a : in.latest_anchors) {
    anchors.push_back({{"id", a.id},
                       {"time", iso(a.time, zone)},
                       {"camera", a.camera_id},
                       {"tip_segment", opt(a.tip_segment_id)},
                       {"chain_sha256", nonempty(a.chain_sha256)},
                       {"access_log_id", opt(a.access_log_id)},
                       {"key_fingerprint", a.key_fingerprint}});
  }
  j["integrity"] = {{"last_verification", last},
                    {"damaged_in_period", in.damaged_in_period},
                    {"recovered_in_period", in.recovered_in_period},
                    {"anchors_in_period", in.anchors_in_period},
                    {"latest_anchors", anchors}};

  Json holds = Json::array();
  for (const auto& h : d.holds) {
    holds.push_back({{"id", h.id},
                     {"target", h.target},
                     {"from", iso(h.from, zone)},
                     {"to", iso(h.to, zone)},
                     {"reason", h.reason},
                     {"case", h.case_number ? Json(*h.case_number) : Json(nullptr)},
                     {"placed_as", h.by_inspector ? "inspector" : "operator"},
                     {"created", iso(h.created, zone)},
                     {"created_by", h.created_by},
                     {"released", iso(h.released, zone)},
                     {"released_by", nonempty(h.released_by)}});
  }
  j["holds"] = holds;
  Json clock = Json::array();
  for (const auto& c : d.clock_events) {
    clock.push_back({{"time", iso(c.time, zone)}, {"step_seconds", c.step_seconds}, {"ntp_synced", opt(c.ntp_synced)},
                     {"detail", c.detail}});
  }
  j["clock_events"] = clock;
  Json versions = Json::array();
  for (const auto& c : d.config_history.changes) {
    versions.push_back({{"version", c.version},
                        {"loaded", iso(c.loaded, zone)},
                        {"source", c.source},
                        {"user", nonempty(c.user)},
                        {"sha256", c.sha256},
                        {"changes", c.summary},
                        {"schedule_or_zones", c.schedule_or_zones}});
  }
  j["config_history"] = {{"changes", versions},
                         {"current_file_used", d.config_history.current_file_used},
                         {"first_version", d.config_history.first_version ? Json(iso(*d.config_history.first_version, zone))
                                                                         : Json(nullptr)},
                         {"notes", d.config_history.notes}};
  Json suspect = Json::array();
  for (const auto& f : d.suspect_clock) suspect.push_back({{"camera", f.camera_id}, {"segments", f.segments}});
  j["suspect_clock_footage"] = suspect;
  Json alerts = Json::array();
  for (const auto& a : d.alerts) {
    alerts.push_back({{"id", a.id},
                      {"kind", a.kind},
                      {"subject", a.subject},
                      {"severity", a.severity},
                      {"message", a.message},
                      {"raised", iso(a.raised, zone)},
                      {"last_seen", iso(a.last_seen, zone)},
                      {"resolved", iso(a.resolved, zone)},
                      {"acknowledged", iso(a.acknowledged, zone)},
                      {"acknowledged_by", nonempty(a.acknowledged_by)}});
  }
  j["alerts"] = alerts;
  Json access = Json::array();
  for (const auto& a : d.access) {
    access.push_back({{"id", a.id},
                      {"time", iso(a.time, zone)},
                      {"uid", a.uid},
                      {"user", a.user},
                      {"action", a.action},
                      {"arguments", embedded(a.arguments)},
                      {"result", a.result},
                      {"hash", a.hash}});
  }
  j["access_log"] = access;
  Json runs = Json::array();
  for (const auto& r : d.daemon_runs) {
    runs.push_back({{"id", r.id},
                    {"started", iso(r.started, zone)},
                    {"stopped", iso(r.stopped, zone)},
                    {"stop_reason", nonempty(r.stop_reason)},
                    {"version", r.version},
                    {"hostname", r.hostname}});
  }
  j["daemon_runs"] = runs;
  return j.dump(1, ' ', false, Json::error_handler_t::replace) + "\n";
}

namespace {

// RFC 4180: quote every field that needs it; CRLF line ends, which spreadsheet software expects.
void csv_field(std::string& out, std::string_view field) {
  bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void csv_row(std::string& out, std::initializer_list<std::string_view> fields) {
  bool first = true;
  for (auto f : fields) {
    if (!first) out += ',';
    csv_field(out, f);
    first = false;
  }
  out += "\r\n";
}

// The BOM makes Excel and WPS read the file as UTF-8 instead of the system code page (GBK on
// Chinese Windows), so Chinese names are not garbled.
constexpr std::string_view kBom = "\xEF\xBB\xBF";

std::string zone_name(const ReportData& d, const std::string& id) {
  for (const auto& z : d.site.zones) {
    if (z.id == id) return z.name;
  }
  return id;
}

}  // namespace

CsvFiles render_csv(const ReportData& d, const TimeZone& zone) {
  const Lang l = d.lang;
  CsvFiles out;
  out.coverage = kBom;
  csv_row(out.coverage, {tr(l, "zone"), tr(l, "name"), tr(l, "date"), std::string(tr(l, "care_time")) + " (s)",
                         std::string(tr(l, "covered_time")) + " (s)", std::string(tr(l, "coverage")) + " (%)"});
  for (const auto& x : d.coverage.days) {
    auto pct = x.percent();
    csv_row(out.coverage, {x.zone_id, zone_name(d, x.zone_id), x.date, fixed(x.care_seconds, 0),
                           fixed(x.covered_seconds, 0), pct ? fixed(*pct, 3) : ""});
  }
  out.gaps = kBom;
  csv_row(out.gaps, {tr(l, "zone"), tr(l, "name"), tr(l, "start"), tr(l, "end"), std::string(tr(l, "duration")) + " (s)",
                     tr(l, "cause"), tr(l, "detail")});
  for (const auto& g : d.coverage.gaps) {
    csv_row(out.gaps, {g.zone_id, zone_name(d, g.zone_id), format_local_iso(g.start, zone), format_local_iso(g.end, zone),
                       fixed(g.seconds(), 1), g.cause, g.detail});
  }
  out.access = kBom;
  csv_row(out.access, {tr(l, "id"), tr(l, "time"), "uid", tr(l, "user"), tr(l, "action"), tr(l, "arguments"),
                       tr(l, "result"), "sha256"});
  for (const auto& a : d.access) {
    csv_row(out.access, {std::to_string(a.id), format_local_iso(a.time, zone), std::to_string(a.uid), a.user, a.action,
                         a.arguments, a.result, a.hash});
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  return to_hex(sha256_of(bytes));
}

std::string make_signature(std::string_view json_bytes, const signing::KeyPair& key) {
  auto sig = key.sign(signing::as_bytes(json_bytes));
  Json j{{"format", kSignatureFormat},
         {"file", "report.json"},
         {"sha256", sha256_hex(json_bytes)},
         {"algorithm", "ed25519"},
         {"key_fingerprint", key.fingerprint()},
         {"public_key", key.public_key_pem()},
         {"signature", signing::to_hex(sig)}};
  return j.dump(1) + "\n";
}

Result<Verified> verify_report(std::string_view json_bytes, std::string_view signature_file,
                               std::optional<std::string_view> public_key_pem) {
  auto sig = Json::parse(signature_file, nullptr, false);
  if (sig.is_discarded() || !sig.is_object() || sig.value("format", "") != kSignatureFormat ||
      !sig.contains("signature") || !sig.contains("sha256") || !sig.contains("public_key")) {
    return fail(ErrorKind::InvalidArgument, "the signature file is not a carekeep report signature (" +
                                                std::string(kSignatureFormat) + "); expected report.json.sig");
  }
  Verified v;
  v.sha256 = sha256_hex(json_bytes);
  if (sig.value("sha256", "") != v.sha256) {
    return fail(ErrorKind::DataLoss, "report.json was changed after signing: its SHA-256 is " + v.sha256 +
                                         ", the signature covers " + sig.value("sha256", ""));
  }
  std::string pem = public_key_pem ? std::string(*public_key_pem) : sig.value("public_key", "");
  v.key_from_signature = !public_key_pem;
  auto key = signing::PublicKey::from_pem(pem);
  if (!key) return tl::unexpected(std::move(key.error()).with_context("reading the public key"));
  v.key_fingerprint = key->fingerprint();
  if (public_key_pem && sig.value("key_fingerprint", "") != v.key_fingerprint) {
    return fail(ErrorKind::FailedPrecondition, "the report was signed by key " + sig.value("key_fingerprint", "") +
                                                   ", not by the given public key " + v.key_fingerprint);
  }
  auto bytes = signing::signature_from_hex(sig.value("signature", ""));
  if (!bytes) return fail(ErrorKind::InvalidArgument, "the signature is not 128 hex digits");
  if (!key->verify(signing::as_bytes(json_bytes), *bytes)) {
    return fail(ErrorKind::DataLoss, "the signature does not match report.json: the file or its signature was altered");
  }
  return v;
}

Result<Written> write_report(const ReportData& data, const TimeZone& zone, const std::set<Format>& formats,
                             fs::Destination& dest, const std::filesystem::path& out_dir, const signing::KeyPair& key) {
  if (auto st = dest.open(out_dir, fs::Layout::Folder); !st) return tl::unexpected(st.error());
  Written w;
  auto made = [&](const std::string& name) -> Result<fs::UniqueFd> {
    auto fd = dest.create(name);
    if (fd) w.files.push_back(out_dir / name);
    return fd;
  };
  auto put = [&](const std::string& name, std::string_view content) -> Status {
    auto fd = made(name);
    if (!fd) return tl::unexpected(fd.error());
    if (auto st = fs::write_all(fd->get(), content, "writing " + name); !st) return st;
    return ok();
  };
  std::string json = render_json(data, zone);
  w.json_sha256 = sha256_hex(json);
  w.key_fingerprint = key.fingerprint();
  if (auto st = put("report.json", json); !st) return tl::unexpected(st.error());
  if (auto st = put("report.json.sig", make_signature(json, key)); !st) return tl::unexpected(st.error());
  if (auto st = put("signing.pub", key.public_key_pem()); !st) return tl::unexpected(st.error());

  Document doc;
  if (formats.count(Format::Html) || formats.count(Format::Pdf)) doc = build_document(data, zone, {w.json_sha256, w.key_fingerprint});
  if (formats.count(Format::Html)) {
    if (auto st = put("report.html", render_html(doc, data)); !st) return tl::unexpected(st.error());
  }
  if (formats.count(Format::Pdf)) {
    auto fd = made("report.pdf");
    if (!fd) return tl::unexpected(fd.error());
    if (auto st = render_pdf(doc, data, fd->get(), "report.pdf"); !st) return tl::unexpected(st.error());
  }
  if (formats.count(Format::Csv)) {
    auto csv = render_csv(data, zone);
    if (auto st = put("coverage.csv", csv.coverage); !st) return tl::unexpected(st.error());
    if (auto st = put("gaps.csv", csv.gaps); !st) return tl::unexpected(st.error());
    if (auto st = put("access.csv", csv.access); !st) return tl::unexpected(st.error());
  }
  if (auto st = dest.commit(); !st) return tl::unexpected(st.error());
  return w;
}

Result<Written> write_report(const ReportData& data, const TimeZone& zone, const std::set<Format>& formats,
                             const std::filesystem::path& out_dir, const signing::KeyPair& key) {
  fs::LocalDestination dest;
  std::error_code ec;
  return write_report(data, zone, formats, dest, std::filesystem::absolute(out_dir, ec), key);
}

}  // namespace carekeep::report
