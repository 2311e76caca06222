// carekeep calendar: the care hours of each local day, as the daemon applies them (weekly
// schedule or dated exception), so an operator can check the schedule before it matters and an
// inspector can see what "care hours" meant on a given day.
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "care/calendar.hpp"
#include "command.hpp"

namespace carekeep::cli {

namespace {

// Printing a year of days is plenty; a typo like --to 9999-12-31 should not print millions.
constexpr int kMaxDays = 3660;

struct CalendarOptions {
  std::string from;
  std::string to;
  bool json = false;
};

LocalDays parse_day(const std::string& option, const std::string& text) {
  auto day = parse_date(text);
  if (!day) throw UsageError(option + ": " + day.error().message);
  return *day;
}

std::string weekday_short(date::weekday wd) {
  static constexpr const char* kNames[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  return kNames[wd.iso_encoding() - 1];
}

// "07:30–12:00", "22:00–06:00+1" (ends the next day), "00:00–24:00".
std::string human_range(config::HourRange range) {
  std::string text = config::format_hour_range(range);
  text.replace(5, 1, "–");
  if (range.crosses_midnight()) text += "+1";
  return text;
}

std::string hours_minutes(Micros length) {
  auto minutes = std::chrono::duration_cast<std::chrono::minutes>(length).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lldh%02lld", static_cast<long long>(minutes / 60),
                static_cast<long long>(minutes % 60));
  return buf;
}

std::string human_line(const care::DayPlan& day) {
  std::string line = format_date(day.date) + " " + weekday_short(day.weekday) + "  ";
  if (day.ranges.empty()) {
    line += "closed";
  } else {
    for (std::size_t i = 0; i < day.ranges.size(); ++i) {
      if (i > 0) line += ", ";
      line += human_range(day.ranges[i]);
    }
  }
  line += "  (" + std::string(care::to_string(day.source));
  if (!day.note.empty()) line += ": " + day.note;
  line += ")";
  // On clock-change days the wall-clock ranges and the real care time differ; say so, since
  // coverage and retention count the real time.
  Micros configured{0}, actual{0};
  for (const auto& r : day.ranges) {
    configured += std::chrono::minutes{r.end_offset_minutes() - r.start_minute};
  }
  for (const auto& i : day.intervals) actual += i.length();
  if (configured != actual) line += "  [clock change: " + hours_minutes(actual) + " of care]";
  return line;
}

nlohmann::ordered_json json_day(const care::DayPlan& day, const TimeZone& zone) {
  nlohmann::ordered_json intervals = nlohmann::ordered_json::array();
  for (const auto& i : day.intervals) {
    intervals.push_back({{"start", format_local_iso(i.begin, zone)}, {"end", format_local_iso(i.end, zone)}});
  }
  return {{"date", format_date(day.date)},
          {"weekday", std::string(config::CareHours::kDayKeys[day.weekday.iso_encoding() - 1])},
          {"source", std::string(care::to_string(day.source))},
          {"note", day.note},
          {"intervals", std::move(intervals)}};
}

int run_calendar(const CalendarOptions& options, Context& context) {
  LocalDays today = date::floor<date::days>(context.zone.to_local(SystemClock{}.now()));
  LocalDays first = options.from.empty() ? today : parse_day("--from", options.from);
  LocalDays last = options.to.empty() ? first + date::days{6} : parse_day("--to", options.to);
  if (last < first) {
    throw UsageError("--to " + format_date(last) + " is before --from " + format_date(first));
  }
  if ((last - first).count() >= kMaxDays) {
    throw UsageError("at most " + std::to_string(kMaxDays) + " days at a time; narrow --from/--to");
  }
  care::CareCalendar calendar(context.config.care_hours, context.zone);
  auto days = calendar.days(first, last);
  if (options.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& day : days) out.push_back(json_day(day, context.zone));
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    for (const auto& day : days) std::printf("%s\n", human_line(day).c_str());
  }
  return kExitOk;
}

}  // namespace

Command add_calendar(CLI::App& parent) {
  auto options = std::make_shared<CalendarOptions>();
  CLI::App* app = parent.add_subcommand(
      "calendar", "care hours per local day in the site's time zone (weekly schedule or exception)");
  app->add_option("--from", options->from, "first day, YYYY-MM-DD (default: today)");
  app->add_option("--to", options->to, "last day, included, YYYY-MM-DD (default: a week from --from)");
  app->add_flag("--json", options->json,
                "JSON array of {date, weekday, source, note, intervals: [{start, end}]}, times in "
                "ISO 8601 with offset");
  return Command{app, [options](Context& context) { return run_calendar(*options, context); }};
}

}  // namespace carekeep::cli
