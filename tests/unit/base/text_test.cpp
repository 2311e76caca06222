#include <catch2/catch.hpp>

#include <array>

#include "base/hmac.hpp"
#include "base/sha256.hpp"
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
  CHECK(text::redact_url("rtsp://admin:Kid's\"<Room>@cam/s") == "rtsp://***@cam/s");  // review finding
  CHECK(text::redact_url("rtsp://cam/live?user=admin&password=s3cret&channel=1") ==
        "rtsp://cam/live?user=admin&password=***&channel=1");
  CHECK(text::redact_urls_in("opening rtsp://cam/user=admin&PWD=s3cret&channel=1 failed") ==
        "opening rtsp://cam/user=admin&PWD=***&channel=1 failed");
  auto line = text::redact_urls_in("DESCRIBE rtsp://admin:x/y@z@cam:554/s failed; retry rtsp://cam2/live");
  CHECK(line == "DESCRIBE rtsp://***@cam:554/s failed; retry rtsp://cam2/live");
  for (const char* secret : {"x/y", "y@z", "admin"}) CHECK(line.find(secret) == std::string::npos);
}

TEST_CASE("certificate fingerprints are read as people copy them and written as doctor prints them", "[base]") {
  Sha256 digest{};
  for (std::size_t i = 0; i < digest.size(); ++i) digest[i] = static_cast<std::uint8_t>(i * 7 + 1);
  std::string shown = to_fingerprint(digest);
  CHECK(shown.rfind("sha256:01:08:0F:", 0) == 0);
  CHECK(shown.size() == 7 + 32 * 3 - 1);
  CHECK(sha256_from_fingerprint(shown) == digest);
  CHECK(sha256_from_fingerprint(shown.substr(7)) == digest);  // without the prefix
  CHECK(sha256_from_fingerprint(to_hex(digest)) == digest);    // bare lower-case hex
  CHECK(sha256_from_fingerprint("SHA256 Fingerprint=" + shown.substr(7)) == digest);  // openssl x509 -fingerprint
  CHECK_FALSE(sha256_from_fingerprint(""));
  CHECK_FALSE(sha256_from_fingerprint("sha256:" + shown.substr(7, 20)));  // too short
  CHECK_FALSE(sha256_from_fingerprint("sha1:AB:CD"));
  CHECK_FALSE(sha256_from_fingerprint(shown + ":"));                       // a trailing colon
  CHECK_FALSE(sha256_from_fingerprint("sha256::" + shown.substr(7)));      // an empty pair
  CHECK_FALSE(sha256_from_fingerprint(shown.substr(0, shown.size() - 2) + "ZZ"));
}

TEST_CASE("parse_int64 takes a whole integer and nothing else, without throwing", "[base]") {
  CHECK(text::parse_int64("1767225600000000") == 1767225600000000);
  CHECK(text::parse_int64("-5") == -5);
  CHECK_FALSE(text::parse_int64("x"));
  CHECK_FALSE(text::parse_int64(""));
  CHECK_FALSE(text::parse_int64("12x"));
  CHECK_FALSE(text::parse_int64(" 12"));
  CHECK_FALSE(text::parse_int64("99999999999999999999"));  // out of range: std::stoll throws here
}

TEST_CASE("printable escapes what would move, erase or hide text on a terminal", "[base]") {
  CHECK(text::printable("plain 托育 text") == "plain 托育 text");
  CHECK(text::printable("\r\x1b[2Kverified\x1b[8m") == "\\x0d\\x1b[2Kverified\\x1b[8m");
  CHECK(text::printable("a\nb\tc\x7f") == "a\\x0ab\\x09c\\x7f");
  CHECK(text::printable("\xc2\x9b" "31m") == "\\x9b31m");  // CSI as U+009B
  CHECK(text::printable("back\\slash") == "back\\\\slash");  // so an escape cannot be faked
  CHECK(text::printable("\xc2\xa0") == "\xc2\xa0");         // U+00A0 is text
}

TEST_CASE("xml_escaped makes text safe in element content and in attributes quoted either way", "[base]") {
  CHECK(text::xml_escaped("<script>alert('x' & \"y\")</script>") ==
        "&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;");
  CHECK(text::xml_escaped("午睡室") == "午睡室");
  std::string out = "a";
  text::append_xml_escaped(out, "'");
  CHECK(out == "a&#39;");
}

TEST_CASE("hmac_sha256 matches RFC 4231's test vectors", "[base]") {
  // RFC 4231 test cases 2 and 6 (a key longer than the block size is hashed first).
  CHECK(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(to_hex(hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("percent_encoded leaves RFC 3986's unreserved bytes and encodes every other byte", "[base]") {
  CHECK(text::percent_encoded("AZaz09-_.~") == "AZaz09-_.~");
  CHECK(text::percent_encoded("a b+c/=&?%") == "a%20b%2Bc%2F%3D%26%3F%25");
  CHECK(text::percent_encoded("托育") == "%E6%89%98%E8%82%B2");
  CHECK(text::percent_encoded(std::string_view("\0\xff", 2)) == "%00%FF");
  CHECK(text::percent_encoded("").empty());
}
