// report/render_html: one self-contained HTML file: inline CSS, inline SVG, no script and no
// network reference, so it opens the same on an inspector's laptop offline and prints well.
// Chinese text uses whichever of the common CJK system fonts the reader has.
#include <algorithm>
#include <cstdio>

#include "base/text.hpp"
#include "report/render.hpp"
#include "report/text.hpp"

namespace carekeep::report {

namespace {

void escape(std::string& out, std::string_view text) { text::append_xml_escaped(out, text); }

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

constexpr std::string_view kStyle = R"css(
:root { --ok: #1b7f3b; --bad: #c62828; --care: #cfe8d4; --gap: #d32f2f; --line: #999; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
       "WenQuanYi Micro Hei", "Noto Sans", "Helvetica Neue", Arial, sans-serif;
       font-size: 13px; color: #111; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; border-bottom: 2px solid #333; padding-bottom: 6px; }
h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #bbb; padding-bottom: 3px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid #bbb; padding: 3px 6px; vertical-align: top; text-align: left;
         word-break: break-word; }
th { background: #eee; }
td.r { text-align: right; white-space: nowrap; }
p.notice { padding: 6px 10px; border-left: 5px solid var(--ok); background: #eef7f0; }
p.alarm { border-left-color: var(--bad); background: #fdecea; font-weight: bold; }
p.empty { color: #555; font-style: italic; }
.timeline { margin: 8px 0 16px; }
.timeline svg { display: block; margin-bottom: 10px; }
.legend span { display: inline-block; margin-right: 16px; }
.legend i { display: inline-block; width: 14px; height: 10px; margin-right: 4px; vertical-align: middle; }
footer { margin-top: 32px; font-size: 11px; color: #444; border-top: 1px solid #bbb; padding-top: 6px;
         word-break: break-all; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; }
  thead { display: table-header-group; }
  tr, .timeline svg { break-inside: avoid; }
  p.notice { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .timeline svg { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
)css";

void table(std::string& out, const Block& b) {
  if (!b.text.empty()) {
    out += "<h3>";
    escape(out, b.text);
    out += "</h3>\n";
  }
  if (b.rows.empty()) {
    out += "<p class=\"empty\">";
    escape(out, b.empty_text);
    out += "</p>\n";
    return;
  }
  out += "<table><thead><tr>";
  for (const auto& h : b.header) {
    out += "<th>";
    escape(out, h);
    out += "</th>";
  }
  out += "</tr></thead><tbody>\n";
  for (const auto& row : b.rows) {
    out += "<tr>";
    for (std::size_t i = 0; i < row.size(); ++i) {
      out += (i < b.right.size() && b.right[i]) ? "<td class=\"r\">" : "<td>";
      escape(out, row[i]);
      out += "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
}

// One SVG per zone: a row per local day, 00:00 to 24:00 left to right; care hours shaded
// green, gaps red on top. Sizes are in user units so it scales to the page when printed.
void timeline(std::string& out, const Document& doc) {
  constexpr double kLabel = 84;
  constexpr double kWidth = 720;  // 30 per hour
  constexpr double kTop = 18;
  out += "<div class=\"timeline\">\n<p class=\"legend\"><span><i style=\"background:#cfe8d4\"></i>";
  escape(out, tr(doc.lang, "care_time"));
  out += "</span><span><i style=\"background:#d32f2f\"></i>";
  escape(out, tr(doc.lang, "gaps"));
  out += "</span></p>\n";
  for (const auto& z : doc.timeline) {
    // A labelled row per day for a month or less; beyond that thinner rows, a label a week.
    const bool every_day = z.days.size() <= 31;
    const double kRow = every_day ? 10 : 6;
    double height = kTop + kRow * static_cast<double>(z.days.size()) + 4;
    out += "<h3>";
    escape(out, z.zone_id + " " + z.name);
    out += "</h3>\n<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"" + num(kLabel + kWidth + 8) +
           "\" height=\"" + num(height) + "\" viewBox=\"0 0 " + num(kLabel + kWidth + 8) + " " + num(height) +
           "\" font-size=\"9\">\n";
    out += "<rect x=\"" + num(kLabel) + "\" y=\"" + num(kTop) + "\" width=\"" + num(kWidth) + "\" height=\"" +
           num(kRow * static_cast<double>(z.days.size())) + "\" fill=\"#fafafa\" stroke=\"#999\" stroke-width=\"0.5\"/>\n";
    for (int h = 0; h <= 24; h += 3) {
      double x = kLabel + kWidth * h / 24.0;
      out += "<line x1=\"" + num(x) + "\" y1=\"" + num(kTop - 3) + "\" x2=\"" + num(x) + "\" y2=\"" +
             num(height - 4) + "\" stroke=\"#ccc\" stroke-width=\"0.5\"/><text x=\"" + num(x) + "\" y=\"" +
             num(kTop - 6) + "\" text-anchor=\"middle\">" + std::to_string(h) + ":00</text>\n";
    }
    for (std::size_t i = 0; i < z.days.size(); ++i) {
      const auto& d = z.days[i];
      double y = kTop + kRow * static_cast<double>(i);
      if (i % 7 == 0 || every_day) {
        out += "<text x=\"" + num(kLabel - 4) + "\" y=\"" + num(y + kRow - 1) + "\" text-anchor=\"end\">" + d.date +
               "</text>\n";
      }
      for (const auto& [b, e] : d.care) {
        out += "<rect x=\"" + num(kLabel + kWidth * b / 1440) + "\" y=\"" + num(y + 0.5) + "\" width=\"" +
               num(kWidth * (e - b) / 1440) + "\" height=\"" + num(kRow - 1) + "\" fill=\"#cfe8d4\"/>\n";
      }
      for (const auto& [b, e] : d.gaps) {
        // At least one unit wide, so a 5-second gap is still visible on a 24-hour axis.
        double w = std::max(1.0, kWidth * (e - b) / 1440);
        out += "<rect x=\"" + num(kLabel + kWidth * b / 1440) + "\" y=\"" + num(y + 0.5) + "\" width=\"" + num(w) +
               "\" height=\"" + num(kRow - 1) + "\" fill=\"#d32f2f\"><title>" + d.date + "</title></rect>\n";
      }
    }
    out += "</svg>\n";
  }
  out += "</div>\n";
}

}  // namespace

std::string render_html(const Document& doc, const ReportData& data) {
  std::string out;
  out.reserve(1 << 20);
  out += "<!DOCTYPE html>\n<html lang=\"";
  out += doc.lang == Lang::Zh ? "zh-CN" : "en";
  out += "\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
  escape(out, doc.title);
  out += "</title>\n<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n";
  for (const auto& b : doc.blocks) {
    switch (b.kind) {
      case Block::Kind::Title:
        out += "<h1>";
        escape(out, b.text);
        out += "</h1>\n";
        break;
      case Block::Kind::Heading:
        out += "<h2>";
        escape(out, b.text);
        out += "</h2>\n";
        break;
      case Block::Kind::Paragraph:
        out += "<p>";
        escape(out, b.text);
        out += "</p>\n";
        break;
      case Block::Kind::Notice:
        out += b.alarm ? "<p class=\"notice alarm\">" : "<p class=\"notice\">";
        escape(out, b.text);
        out += "</p>\n";
        break;
      case Block::Kind::Table:
        table(out, b);
        break;
      case Block::Kind::Timeline:
        out += "<h3>";
        escape(out, b.text);
        out += "</h3>\n";
        timeline(out, doc);
        break;
    }
  }
  out += "<footer>";
  escape(out, doc.footer_left);
  out += " · carekeep " + data.version + " · report.json SHA-256 " + doc.seal.json_sha256 + " · " +
         std::string(tr(doc.lang, "key_fingerprint")) + " " + doc.seal.key_fingerprint;
  out += "</footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace carekeep::report
