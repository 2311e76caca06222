// Fuzzes what the web console parses of a request before anything else (lib/web/http, issue
// 16): the Cookie header, the urlencoded form body, the target's path and query, and the allow
// list's addresses and networks (base/cidr). Beast has parsed the HTTP framing; these bytes are
// the rest, from anyone on the LAN. Contracts checked: a cleaned path never holds a "." or ".."
// segment, a backslash, NUL or "//"; escaped HTML (base/text) holds none of < > " '; a network that parses
// prints back to itself and contains its own address.
#include <string>

#include "base/cidr.hpp"
#include "base/text.hpp"
#include "fuzz_input.hpp"
#include "web/http.hpp"

using namespace carekeep;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput in(data, size);
  auto which = in.byte();
  auto rest = in.rest();
  std::string_view text = fuzz::as_text(rest.data(), rest.size());
  switch (which % 5) {
    case 0: {
      auto cookies = web::parse_cookies(text);
      FUZZ_CHECK(cookies.size() <= 64);
      break;
    }
    case 1: {
      (void)web::parse_form(text);
      (void)web::query_value(text, "ack");
      break;
    }
    case 2: {
      if (auto path = web::clean_path(text)) {
        FUZZ_CHECK(!path->empty() && path->front() == '/');
        FUZZ_CHECK(path->find('\0') == std::string::npos && path->find('\\') == std::string::npos);
        FUZZ_CHECK(path->find("//") == std::string::npos);
        FUZZ_CHECK(path->find("/../") == std::string::npos && path->find("/./") == std::string::npos);
        FUZZ_CHECK(!(path->size() >= 3 && path->compare(path->size() - 3, 3, "/..") == 0));
        FUZZ_CHECK(!(path->size() >= 2 && path->compare(path->size() - 2, 2, "/.") == 0));
      }
      break;
    }
    case 3: {
      auto html = carekeep::text::xml_escaped(text);
      FUZZ_CHECK(html.find_first_of("<>\"'") == std::string::npos);
      break;
    }
    case 4: {
      if (auto cidr = Cidr::parse(text)) {
        auto again = Cidr::parse(cidr->to_string());
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(again->to_string() == cidr->to_string());
        FUZZ_CHECK(cidr->contains(cidr->network));
      }
      if (auto ip = IpAddress::parse(text)) {
        FUZZ_CHECK(IpAddress::parse(ip->to_string()).has_value());
        (void)ip->loopback();
      }
      break;
    }
  }
  return 0;
}
