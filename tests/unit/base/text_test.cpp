#include <catch2/catch.hpp>

#include <array>

#include "base/text.hpp"

using namespace carekeep;

TEST_CASE("edit distance counts insertions, deletions and substitutions", "[base]") {
  CHECK(text::edit_distance("", "") == 0);
  CHECK(text::edit_distance("kitten", "sitting") == 3);
  CHECK(text::edit_distance("segment_seconds", "segment_second") == 1);
}

TEST_CASE("closest suggests only plausible typos", "[base]") {
  std::array<std::string, 3> keys{"care_days", "other_days", "min_free_percent"};
  CHECK(text::closest("care_dys", keys) == "care_days");
  CHECK(text::closest("min_free_pct", keys) == "min_free_percent");
  CHECK_FALSE(text::closest("bitrate", keys).has_value());
}

TEST_CASE("credentials are removed from URLs", "[base]") {
  CHECK(text::redact_url("rtsp://admin:secret@192.168.1.20:554/stream1") ==
        "rtsp://***@192.168.1.20:554/stream1");
  CHECK(text::redact_url("rtsp://10.0.0.1/s") == "rtsp://10.0.0.1/s");
  CHECK(text::redact_url("rtsp://u:p@ss@host/x") == "rtsp://***@host/x");
  auto line = text::redact_urls_in("failed rtsp://a:b@h1/x and rtsp://h2/y, then rtsp://c:d@h3");
  CHECK(line == "failed rtsp://***@h1/x and rtsp://h2/y, then rtsp://***@h3");
  CHECK(line.find("b@") == std::string::npos);
}

TEST_CASE("a password with an unencoded '/', '?', '#' or '@' is still redacted, in a URL and in text", "[base]") {
  // Issue 14: "rtsp://admin:pa/ss@cam" used to print as it was: the '/' looked like the path.
  CHECK(text::redact_url("rtsp://admin:pa/ss@192.168.1.20/stream1") == "rtsp://***@192.168.1.20/stream1");
  CHECK(text::redact_url("rtsp://admin:p?w#d@cam/s") == "rtsp://***@cam/s");
  CHECK(text::redact_url("rtsp://admin:a,b;c@cam/s") == "rtsp://***@cam/s");
  auto line = text::redact_urls_in("DESCRIBE rtsp://admin:x/y@z@cam:554/s failed; retry rtsp://cam2/live");
  CHECK(line == "DESCRIBE rtsp://***@cam:554/s failed; retry rtsp://cam2/live");
  for (const char* secret : {"x/y", "y@z", "admin"}) CHECK(line.find(secret) == std::string::npos);
}
