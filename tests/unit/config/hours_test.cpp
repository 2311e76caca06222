#include <catch2/catch.hpp>

#include "config/config.hpp"

using namespace carekeep;
using config::HourRange;

TEST_CASE("hour ranges: valid forms", "[config]") {
  CHECK(config::parse_hour_range("07:30-12:00").value() == HourRange{450, 720});
  CHECK(config::parse_hour_range("00:00-24:00").value() == HourRange{0, 1440});
  CHECK(config::parse_hour_range(" 13:00 - 18:30 ").value() == HourRange{780, 1110});
  auto overnight = config::parse_hour_range("22:00-06:00").value();
  CHECK(overnight == HourRange{1320, 360});
  CHECK(overnight.crosses_midnight());
  CHECK(overnight.end_offset_minutes() == 1800);
  CHECK(config::parse_hour_range("23:59-00:00").value().end_offset_minutes() == 1440);
  CHECK(config::format_hour_range({450, 720}) == "07:30-12:00");
  CHECK(config::format_hour_range({0, 1440}) == "00:00-24:00");
  CHECK(config::format_hour_range({1320, 360}) == "22:00-06:00");
}

TEST_CASE("hour ranges: malformed ones say what would be valid", "[config]") {
  struct Case {
    const char* text;
    const char* says;
  };
  for (auto [text, says] : {Case{"7:30-12", "HH:MM-HH:MM"}, Case{"07:30", "HH:MM-HH:MM"},
                            Case{"07:30-12:00-13:00", "HH:MM-HH:MM"}, Case{"", "HH:MM-HH:MM"},
                            Case{"07h30-12h00", "HH:MM-HH:MM"}, Case{"25:00-26:00", "25:00 is not a time of day"},
                            Case{"07:60-08:00", "07:60 is not a time of day"},
                            Case{"07:00-24:30", "24:30 is not a time of day"},
                            Case{"24:00-06:00", "cannot start at 24:00"},
                            Case{"12:00-12:00", "is empty"}, Case{"00:00-00:00", "is empty"}}) {
    INFO(text);
    auto range = config::parse_hour_range(text);
    REQUIRE_FALSE(range);
    CHECK(range.error().kind == ErrorKind::InvalidArgument);
    CHECK_THAT(range.error().message, Catch::Contains(says));
  }
}

TEST_CASE("ids are restricted to what is safe in a path", "[config]") {
  for (const char* good : {"nap-1", "a", "0", "play_room", "abcdefghijklmnopqrstuvwxyz012345"}) {
    INFO(good);
    CHECK(config::is_valid_id(good));
  }
  for (const char* bad : {"", "Nap-1", "nap 1", "-nap", "_nap", "nap/1", "../x", "午睡室",
                          "abcdefghijklmnopqrstuvwxyz0123456"}) {
    INFO(bad);
    CHECK_FALSE(config::is_valid_id(bad));
  }
}
