#include "config/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdio>

#include "base/text.hpp"

namespace carekeep::config {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "HH:MM" with exactly two digits each; returns hours and minutes unchecked for range.
bool split_clock(std::string_view s, int& hours, int& minutes) {
  if (s.size() != 5 || s[2] != ':' || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[3]) ||
      !is_digit(s[4])) {
    return false;
  }
  hours = (s[0] - '0') * 10 + (s[1] - '0');
  minutes = (s[3] - '0') * 10 + (s[4] - '0');
  return true;
}

}  // namespace

Result<HourRange> parse_hour_range(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  auto bad_shape = [&] {
    return fail(ErrorKind::InvalidArgument,
                quoted + " is not a time range; write HH:MM-HH:MM with two-digit hours and "
                         "minutes, e.g. \"07:30-12:00\"");
  };
  std::string_view body = trim(text);
  std::size_t dash = body.find('-');
  if (dash == std::string_view::npos || body.find('-', dash + 1) != std::string_view::npos) {
    return bad_shape();
  }
  std::string_view start_text = trim(body.substr(0, dash));
  std::string_view end_text = trim(body.substr(dash + 1));
  int sh = 0, sm = 0, eh = 0, em = 0;
  if (!split_clock(start_text, sh, sm) || !split_clock(end_text, eh, em)) return bad_shape();

  auto not_a_time = [&](std::string_view clock) {
    return fail(ErrorKind::InvalidArgument,
                quoted + ": " + std::string(clock) +
                    " is not a time of day; hours are 00-23 and minutes 00-59 (24:00 is allowed "
                    "only as the end of a range)");
  };
  if (sm > 59 || sh > 24) return not_a_time(start_text);
  if (em > 59 || eh > 24 || (eh == 24 && em != 0)) return not_a_time(end_text);
  if (sh == 24) {
    return fail(ErrorKind::InvalidArgument,
                quoted + ": a range cannot start at 24:00; start it at 00:00 instead");
  }
  HourRange range{sh * 60 + sm, eh * 60 + em};
  if (range.start_minute == range.end_minute) {
    return fail(ErrorKind::InvalidArgument,
                quoted + " is empty: its start and end must differ (\"00:00-24:00\" is the "
                         "whole day; an end before the start crosses midnight)");
  }
  return range;
}

std::string format_hour_range(HourRange range) {
  char buf[48];  // room for any int, so -Wformat-truncation stays quiet
  std::snprintf(buf, sizeof buf, "%02d:%02d-%02d:%02d", range.start_minute / 60,
                range.start_minute % 60, range.end_minute / 60, range.end_minute % 60);
  return buf;
}

bool is_valid_id(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || is_digit(c); };
  if (!lower_or_digit(id.front())) return false;
  return std::all_of(id.begin(), id.end(),
                     [&](char c) { return lower_or_digit(c) || c == '_' || c == '-'; });
}

std::string_view to_string(Transport transport) {
  switch (transport) {
    case Transport::Tcp: return "tcp";
    case Transport::Udp: return "udp";
  }
  return "tcp";
}

std::string_view to_string(Client client) {
  switch (client) {
    case Client::Native: return "native";
    case Client::Libavformat: return "libavformat";
  }
  return "native";
}

std::string Camera::redacted_url() const { return text::redact_url(url); }

const Camera* Config::find_camera(std::string_view id) const {
  auto it = std::find_if(cameras.begin(), cameras.end(), [&](const Camera& c) { return c.id == id; });
  return it == cameras.end() ? nullptr : &*it;
}

const Zone* Config::find_zone(std::string_view id) const {
  auto it = std::find_if(zones.begin(), zones.end(), [&](const Zone& z) { return z.id == id; });
  return it == zones.end() ? nullptr : &*it;
}

const PlanRoom* Floorplan::find_room(std::string_view id) const {
  auto it = std::find_if(rooms.begin(), rooms.end(), [&](const PlanRoom& r) { return r.id == id; });
  return it == rooms.end() ? nullptr : &*it;
}

const PlanCamera* Floorplan::find_camera(std::string_view camera_id) const {
  auto it = std::find_if(cameras.begin(), cameras.end(), [&](const PlanCamera& c) { return c.camera_id == camera_id; });
  return it == cameras.end() ? nullptr : &*it;
}

const PlanZone* Floorplan::find_zone(std::string_view zone_id) const {
  auto it = std::find_if(zones.begin(), zones.end(), [&](const PlanZone& z) { return z.zone_id == zone_id; });
  return it == zones.end() ? nullptr : &*it;
}

std::optional<ListenAddress> parse_listen(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= text.size()) return std::nullopt;
  std::string host(text.substr(0, colon));
  std::string_view port_text = text.substr(colon + 1);
  bool v6 = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (v6) host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9' || port_text.size() > 5) return std::nullopt;
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port > 65535) return std::nullopt;
  ListenAddress out{host, static_cast<std::uint16_t>(port), false};
  if (v6) {
    in6_addr a6{};
    if (::inet_pton(AF_INET6, host.c_str(), &a6) != 1) return std::nullopt;
    out.loopback = IN6_IS_ADDR_LOOPBACK(&a6);
  } else {
    in_addr a4{};
    if (::inet_pton(AF_INET, host.c_str(), &a4) != 1) return std::nullopt;
    out.loopback = (ntohl(a4.s_addr) >> 24) == 127;
  }
  return out;
}

int disk_low_forecast_days(const Config& config) {
  return config.alerts.disk_low_forecast_days.value_or(config.retention.care_days + 10);
}

std::string default_language(std::string_view timezone) {
  // The zones the IANA database has for mainland China (PRC is the legacy alias).
  for (std::string_view zone : {"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin",
                                "Asia/Urumqi", "Asia/Kashgar", "PRC"}) {
    if (timezone == zone) return "zh";
  }
  return "en";
}

}  // namespace carekeep::config
