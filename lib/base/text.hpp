// base/text: small string helpers shared by config validation and the CLI
// ("did you mean" suggestions, URL credential redaction). Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace carekeep::text {

// Levenshtein distance over bytes; fine for ASCII ids and keys.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `wrong`, if it is close enough to be a plausible typo.
std::optional<std::string> closest(std::string_view wrong, std::span<const std::string> candidates);

// "rtsp://user:pass@host/x" -> "rtsp://***@host/x". Credentials never leave the process
// in a log line, error, event or report; every URL shown to a person goes through here.
std::string redact_url(std::string_view url);

// Replaces every occurrence of any credential-bearing URL inside free text.
std::string redact_urls_in(std::string_view text);

// "7.5 MB", "1.2 TB": decimal units, as disks are sold; whole bytes below 1 kB.
std::string human_bytes(double bytes);

// A whole decimal integer (optional '-'), nothing before or after it; nullopt for anything
// else, including out of range. For text read back from files and the index, which an
// attacker may have written: never throws (std::stoll does).
std::optional<std::int64_t> parse_int64(std::string_view text);

// Text from the index or a file made safe for a terminal: control characters (C0, DEL, and
// the C1 range's UTF-8 forms U+0080..U+009F) become \xNN, "\" becomes "\\", so that a
// state_detail, a hold reason or a path cannot move the cursor, erase or hide a line of the
// output an inspector reads (ESC[2K, ESC[8m, a bare CR). Newlines too: one item, one line.
std::string printable(std::string_view text);

// Appends `text` to `out` with &, <, >, " and ' written as XML/HTML entities: safe in element
// content and in attribute values quoted either way (HTML reports, SVG, the web console).
void append_xml_escaped(std::string& out, std::string_view text);
// The same, as a new string.
std::string xml_escaped(std::string_view text);
// `text` for a URL's query value: every byte but RFC 3986's unreserved ones as %XX.
std::string percent_encoded(std::string_view text);

}  // namespace carekeep::text
