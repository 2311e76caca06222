// report/document: the report's content laid out once, as a list of headings, paragraphs and
// tables in the chosen language, so that HTML and PDF show the same words in the same order
// (PRODUCT.md §7). The zone x day timeline is a block of its own that each renderer draws from
// the ReportData. Pure; any thread.
#pragma once

#include <string>
#include <vector>

#include "base/time.hpp"
#include "report/report.hpp"

namespace carekeep::report {

// What the HTML and PDF cite so a reader can tie them to the signed JSON.
struct Seal {
  std::string json_sha256;      // hex SHA-256 of report.json
  std::string key_fingerprint;  // hex SHA-256 of the box's public key
};

struct Block {
  enum class Kind { Title, Heading, Paragraph, Notice, Table, Timeline };
  Kind kind = Kind::Paragraph;
  std::string text;             // Title / Heading / Paragraph / Notice; a Table's caption
  bool alarm = false;           // Notice: a finding (red) rather than an all-clear (green)
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<double> widths;   // relative column widths (PDF); sums to anything
  std::vector<bool> right;      // right-aligned columns (numbers)
  std::string empty_text;       // shown instead of an empty table
};

// One zone's row of the timeline per local day: care time and gaps in minutes of that day.
struct TimelineDay {
  std::string date;
  std::vector<std::pair<double, double>> care;
  std::vector<std::pair<double, double>> gaps;
};
struct ZoneTimeline {
  std::string zone_id;
  std::string name;
  std::vector<TimelineDay> days;  // every local date of the period, in order
};

struct Document {
  Lang lang = Lang::Zh;
  std::string title;
  std::string footer_left;      // "site · period"
  Seal seal;
  std::vector<Block> blocks;
  std::vector<ZoneTimeline> timeline;  // drawn where the Timeline block stands
};

Document build_document(const ReportData& data, const TimeZone& zone, const Seal& seal);

}  // namespace carekeep::report
