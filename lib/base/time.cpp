#include "base/time.hpp"

#include <charconv>
#include <cstdio>

namespace carekeep {

Result<TimeZone> TimeZone::locate(std::string_view iana_name) {
  try {
    return TimeZone{date::locate_zone(iana_name)};
  } catch (const std::exception&) {
    return fail(ErrorKind::InvalidArgument,
                "unknown time zone \"" + std::string(iana_name) +
                    "\"; use an IANA name such as \"Asia/Shanghai\" (see /usr/share/zoneinfo)");
  }
}

TimeZone TimeZone::utc() { return TimeZone{date::locate_zone("UTC")}; }

std::string_view TimeZone::name() const { return zone_->name(); }

std::chrono::seconds TimeZone::offset_at(UtcTime t) const { return zone_->get_info(t).offset; }

LocalTime TimeZone::to_local(UtcTime t) const { return zone_->to_local(t); }

UtcTime TimeZone::to_utc(LocalTime t) const {
  auto info = zone_->get_info(t);
  switch (info.result) {
    case date::local_info::unique:
      return UtcTime{t.time_since_epoch() - info.first.offset};
    case date::local_info::ambiguous:
      return UtcTime{t.time_since_epoch() - info.first.offset};
    case date::local_info::nonexistent:
    default:
      // The gap ends where the second period begins.
      return std::chrono::time_point_cast<Micros>(info.second.begin);
  }
}

namespace {
std::string format_offset(std::chrono::seconds offset) {
  auto total = offset.count();
  char sign = total < 0 ? '-' : '+';
  if (total < 0) total = -total;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", sign, static_cast<int>(total / 3600),
                static_cast<int>((total % 3600) / 60));
  return buf;
}
}  // namespace

std::string format_local_iso(UtcTime t, const TimeZone& zone) {
  auto local = std::chrono::time_point_cast<std::chrono::seconds>(zone.to_local(t));
  return date::format("%FT%T", local) + format_offset(zone.offset_at(t));
}

std::string format_utc_iso(UtcTime t) {
  return date::format("%FT%TZ", std::chrono::time_point_cast<std::chrono::seconds>(t));
}

namespace {
bool parse_int(std::string_view s, int& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}
}  // namespace

Result<LocalDays> parse_date(std::string_view text) {
  int y = 0, m = 0, d = 0;
  if (text.size() == 10 && text[4] == '-' && text[7] == '-' && all_digits(text.substr(0, 4)) &&
      all_digits(text.substr(5, 2)) && all_digits(text.substr(8, 2)) &&
      parse_int(text.substr(0, 4), y) && parse_int(text.substr(5, 2), m) &&
      parse_int(text.substr(8, 2), d)) {
    date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(m)},
                             date::day{static_cast<unsigned>(d)}};
    if (ymd.ok()) return LocalDays{ymd};
  }
  return fail(ErrorKind::InvalidArgument,
              "\"" + std::string(text) + "\" is not a valid date; expected YYYY-MM-DD, e.g. 2026-11-20");
}

std::string format_date(LocalDays day) { return date::format("%F", day); }

Result<UtcTime> parse_cli_time(std::string_view text, const TimeZone& zone, DateBoundary boundary) {
  auto bad = [&] {
    return fail(ErrorKind::InvalidArgument,
                "\"" + std::string(text) +
                    "\" is not a valid time; use ISO 8601 such as 2026-11-20T08:00, "
                    "2026-11-20T08:00:00+08:00, 2026-11-20T00:00Z, or a date alone (2026-11-20)");
  };
  if (text.size() < 10) return bad();
  auto day = parse_date(text.substr(0, 10));
  if (!day) return bad();
  if (text.size() == 10) {
    LocalDays d = *day;
    if (boundary == DateBoundary::EndOfDay) d += date::days{1};
    return zone.to_utc(LocalTime{d});
  }
  if (text[10] != 'T' && text[10] != ' ') return bad();
  std::string_view rest = text.substr(11);
  // hh:mm[:ss[.ffffff]]
  if (rest.size() < 5 || rest[2] != ':') return bad();
  int hh = 0, mm = 0, ss = 0;
  if (!all_digits(rest.substr(0, 2)) || !all_digits(rest.substr(3, 2))) return bad();
  parse_int(rest.substr(0, 2), hh);
  parse_int(rest.substr(3, 2), mm);
  rest.remove_prefix(5);
  Micros fraction{0};
  if (!rest.empty() && rest[0] == ':') {
    if (rest.size() < 3 || !all_digits(rest.substr(1, 2))) return bad();
    parse_int(rest.substr(1, 2), ss);
    rest.remove_prefix(3);
    if (!rest.empty() && rest[0] == '.') {
      std::size_t n = 1;
      while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
      std::string digits(rest.substr(1, n - 1));
      if (digits.empty()) return bad();
      digits.resize(6, '0');
      int us = 0;
      parse_int(digits, us);
      fraction = Micros{us};
      rest.remove_prefix(n);
    }
  }
  if (hh > 23 || mm > 59 || ss > 59) return bad();
  auto local = LocalTime{*day} + std::chrono::hours{hh} + std::chrono::minutes{mm} +
               std::chrono::seconds{ss} + fraction;
  if (rest.empty()) return zone.to_utc(local);
  if (rest == "Z" || rest == "z") return UtcTime{local.time_since_epoch()};
  // ±hh:mm or ±hhmm or ±hh
  char sign = rest[0];
  if (sign != '+' && sign != '-') return bad();
  rest.remove_prefix(1);
  int oh = 0, om = 0;
  if (rest.size() == 2 && all_digits(rest)) {
    parse_int(rest, oh);
  } else if (rest.size() == 4 && all_digits(rest)) {
    parse_int(rest.substr(0, 2), oh);
    parse_int(rest.substr(2, 2), om);
  } else if (rest.size() == 5 && rest[2] == ':' && all_digits(rest.substr(0, 2)) &&
             all_digits(rest.substr(3, 2))) {
    parse_int(rest.substr(0, 2), oh);
    parse_int(rest.substr(3, 2), om);
  } else {
    return bad();
  }
  if (oh > 18 || om > 59) return bad();
  auto offset = std::chrono::hours{oh} + std::chrono::minutes{om};
  auto utc = local.time_since_epoch() - (sign == '+' ? offset : -offset);
  return UtcTime{std::chrono::duration_cast<Micros>(utc)};
}

UtcTime SystemClock::now() const {
  return std::chrono::time_point_cast<Micros>(std::chrono::system_clock::now());
}

std::chrono::steady_clock::time_point SystemClock::steady_now() const {
  return std::chrono::steady_clock::now();
}

UtcTime next_time_of_day(UtcTime now, std::chrono::seconds time_of_day, const TimeZone& zone) {
  auto today = date::floor<date::days>(zone.to_local(now));
  for (int d = 0; d < 3; ++d) {
    auto at = zone.to_utc(LocalTime(today + date::days(d)) + time_of_day);
    if (at > now) return at;
  }
  return now + std::chrono::hours(24);  // not reached: one of three days is ahead
}

UtcTime previous_time_of_day(UtcTime now, std::chrono::seconds time_of_day, const TimeZone& zone) {
  auto today = date::floor<date::days>(zone.to_local(now));
  for (int d = 0; d < 3; ++d) {
    auto at = zone.to_utc(LocalTime(today - date::days(d)) + time_of_day);
    if (at <= now) return at;
  }
  return now - std::chrono::hours(24);  // not reached: one of three days is behind
}

}  // namespace carekeep
