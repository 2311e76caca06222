// base/text: small string helpers shared by config validation and the CLI
// ("did you mean" suggestions, URL credential redaction). Pure functions.
#pragma once

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

// Appends `text` to `out` with &, <, > and " written as XML/HTML entities (HTML reports, SVG).
void append_xml_escaped(std::string& out, std::string_view text);

}  // namespace carekeep::text
