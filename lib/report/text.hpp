// report/text: every fixed word of the report in Chinese and English, and the number and time
// formats the renderers share. Ids and names stay as configured; only our own words change.
// Pure functions over constant tables; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/text.hpp"
#include "base/time.hpp"
#include "report/report.hpp"

namespace carekeep::report {

// The text of `key` in `lang`. Every key has both languages (a unit test checks the table);
// an unknown key is a programming error and comes back as the key itself.
std::string_view tr(Lang lang, std::string_view key);
// All keys of the table, for that test.
std::vector<std::string_view> text_keys();

// A gap cause, down cause, alert kind or hold target in words ("camera_offline" -> "摄像头离线");
// a word the table does not know comes back unchanged.
std::string word(Lang lang, std::string_view code);

// "2026-11-20 08:00:00" in the site's zone (the report states the zone once, at the top).
std::string local_time(UtcTime t, const TimeZone& zone);
// "1h 05m 03s" / "1小时05分03秒"
std::string duration(Lang lang, double seconds);
// "99.52 %"; "-" when there was no care time.
std::string percent(std::optional<double> value);
std::string fixed(double value, int decimals);
using text::human_bytes;  // base/text.hpp

}  // namespace carekeep::report
