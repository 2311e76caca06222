#include "ingest/rtsp_protocol.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>

namespace carekeep::ingest::rtsp {
namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); });
  return out;
}

template <class T>
std::optional<T> parse_number(std::string_view s) {
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return value;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// key=value or key="quoted value" pairs separated by commas (auth parameters).
std::map<std::string, std::string> auth_params(std::string_view s) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == ',' || s[i] == '\t')) ++i;
    std::size_t eq = s.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key = to_lower(trim(s.substr(i, eq - i)));
    i = eq + 1;
    while (i < s.size() && s[i] == ' ') ++i;
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        value += s[i++];
      }
      ++i;
    } else {
      std::size_t end = s.find(',', i);
      if (end == std::string_view::npos) end = s.size();
      value = std::string(trim(s.substr(i, end - i)));
      i = end;
    }
    out[key] = value;
  }
  return out;
}

}  // namespace

Result<Url> parse_url(std::string_view url) {
  Url out;
  constexpr std::string_view kScheme = "rtsp://";
  constexpr std::string_view kTlsScheme = "rtsps://";
  out.tls = istarts_with(url, kTlsScheme);
  if (!out.tls && !istarts_with(url, kScheme)) {
    return fail(ErrorKind::InvalidArgument, "the native RTSP client needs an rtsp:// or rtsps:// URL");
  }
  if (out.tls) out.port = 322;  // IANA's rtsps port, FFmpeg's default too
  std::string_view rest = url.substr(out.tls ? kTlsScheme.size() : kScheme.size());
  std::size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    out.user = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) out.password = percent_decode(userinfo.substr(colon + 1));
    out.has_credentials = true;
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail(ErrorKind::InvalidArgument, "the camera URL has an unterminated [IPv6] host");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return fail(ErrorKind::InvalidArgument, "the camera URL has no host");
  out.host = std::string(host);
  if (!port.empty()) {
    auto n = parse_number<unsigned>(port);
    if (!n || *n == 0 || *n > 65535) return fail(ErrorKind::InvalidArgument, "the camera URL's port must be 1-65535");
    out.port = static_cast<std::uint16_t>(*n);
  }
  out.request_url = std::string(out.tls ? kTlsScheme : kScheme) + std::string(authority) + (path.empty() ? "/" : std::string(path));
  return out;
}

std::optional<std::string_view> Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::vector<std::string_view> Response::headers_named(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) out.emplace_back(value);
  }
  return out;
}

Result<std::size_t> parse_message(std::string_view data, Response& out, std::size_t max_head, std::size_t max_body) {
  std::size_t head_end = data.find("\r\n\r\n");
  std::size_t sep = 4;
  // A message head longer than this is not RTSP; checked complete or not, so head and body
  // together always fit the client's buffer and a message is never "incomplete" forever.
  if (head_end == std::string_view::npos ? data.size() > max_head : head_end + sep > max_head) {
    std::size_t seen = head_end == std::string_view::npos ? data.size() : head_end + sep;
    return fail(ErrorKind::ResourceExhausted, "RTSP message head of " + std::string(head_end == std::string_view::npos ? "over " : "") +
                                                  std::to_string(seen) + " bytes, over the limit of " + std::to_string(max_head) +
                                                  " (max_rtsp_header)");
  }
  if (head_end == std::string_view::npos) return std::size_t{0};
  out = Response{};
  std::string_view head = data.substr(0, head_end);
  std::size_t line_end = head.find("\r\n");
  std::string_view first = head.substr(0, line_end);
  if (istarts_with(first, "RTSP/")) {
    auto sp = first.find(' ');
    if (sp == std::string_view::npos) return fail(ErrorKind::InvalidArgument, "RTSP status line without a status code");
    std::string_view rest = first.substr(sp + 1);
    auto sp2 = rest.find(' ');
    auto status = parse_number<int>(rest.substr(0, sp2));
    if (!status) return fail(ErrorKind::InvalidArgument, "RTSP status line with a malformed status code");
    out.status = *status;
    if (sp2 != std::string_view::npos) out.reason = std::string(rest.substr(sp2 + 1));
  } else {
    out.status = 0;  // a request from the server (OPTIONS, SET_PARAMETER, ANNOUNCE ...)
    out.reason = std::string(first.substr(0, first.find(' ')));
  }
  std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    std::size_t next = head.find("\r\n", pos);
    if (next == std::string_view::npos) next = head.size();
    std::string_view line = head.substr(pos, next - pos);
    pos = next + 2;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    out.headers.emplace_back(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
  }
  std::size_t length = 0;
  if (auto cl = out.header("Content-Length")) {
    auto n = parse_number<std::size_t>(trim(*cl));
    if (!n) return fail(ErrorKind::InvalidArgument, "RTSP message with a malformed Content-Length");
    // Bodies (SDP, parameters) are small; a bound keeps a whole message inside the
    // native client's receive buffer.
    if (*n > max_body) {
      return fail(ErrorKind::ResourceExhausted, "RTSP message body of " + std::to_string(*n) + " bytes (Content-Length), over the limit of " +
                                                    std::to_string(max_body) + " (max_rtsp_body)");
    }
    length = *n;
  }
  std::size_t total = head_end + sep + length;
  if (data.size() < total) return std::size_t{0};
  out.body = std::string(data.substr(head_end + sep, length));
  return total;
}

std::optional<Challenge> parse_challenge(const std::vector<std::string_view>& values) {
  std::optional<Challenge> basic;
  for (std::string_view v : values) {
    v = trim(v);
    if (istarts_with(v, "Digest ")) {
      auto params = auth_params(v.substr(7));
      Challenge c;
      c.scheme = Challenge::Scheme::Digest;
      c.realm = params["realm"];
      c.nonce = params["nonce"];
      c.opaque = params["opaque"];
      c.algorithm = params["algorithm"];
      c.stale = iequals(params["stale"], "true");
      std::string qop = to_lower(params["qop"]);
      // qop is a comma list: "auth,auth-int".
      for (std::size_t i = 0; i < qop.size();) {
        std::size_t end = qop.find(',', i);
        if (end == std::string::npos) end = qop.size();
        if (trim(std::string_view(qop).substr(i, end - i)) == "auth") c.qop_auth = true;
        i = end + 1;
      }
      if (c.nonce.empty()) continue;
      if (!c.algorithm.empty() && !iequals(c.algorithm, "MD5")) continue;
      return c;
    }
    if (istarts_with(v, "Basic")) {
      auto params = auth_params(v.substr(5));
      Challenge c;
      c.scheme = Challenge::Scheme::Basic;
      c.realm = params["realm"];
      basic = c;
    }
  }
  return basic;
}

std::string md5_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string authorization(const Challenge& c, std::string_view user, std::string_view password, std::string_view method,
                          std::string_view uri, std::uint32_t nc, std::string_view cnonce) {
  if (c.scheme == Challenge::Scheme::Basic) {
    return "Basic " + base64_encode(std::string(user) + ":" + std::string(password));
  }
  std::string ha1 = md5_hex(std::string(user) + ":" + c.realm + ":" + std::string(password));
  std::string ha2 = md5_hex(std::string(method) + ":" + std::string(uri));
  char nc_text[9];
  std::snprintf(nc_text, sizeof nc_text, "%08x", nc);
  std::string response = c.qop_auth
                             ? md5_hex(ha1 + ":" + c.nonce + ":" + nc_text + ":" + std::string(cnonce) + ":auth:" + ha2)
                             : md5_hex(ha1 + ":" + c.nonce + ":" + ha2);
  std::string out = "Digest username=\"" + std::string(user) + "\", realm=\"" + c.realm + "\", nonce=\"" + c.nonce +
                    "\", uri=\"" + std::string(uri) + "\", response=\"" + response + "\"";
  if (!c.algorithm.empty()) out += ", algorithm=" + c.algorithm;
  if (!c.opaque.empty()) out += ", opaque=\"" + c.opaque + "\"";
  if (c.qop_auth) out += ", qop=auth, nc=" + std::string(nc_text) + ", cnonce=\"" + std::string(cnonce) + "\"";
  return out;
}

Result<Sdp> parse_sdp(std::string_view text, std::size_t max_lines, std::size_t max_media) {
  Sdp sdp;
  SdpMedia* current = nullptr;
  std::size_t pos = 0;
  std::size_t lines = 0;
  while (pos < text.size()) {
    if (++lines > max_lines) {
      return fail(ErrorKind::ResourceExhausted, "SDP of over " + std::to_string(max_lines) + " lines (max_sdp_lines)");
    }
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    if (line.size() < 2 || line[1] != '=') continue;
    char type = line[0];
    std::string_view value = line.substr(2);
    if (type == 'm') {
      if (sdp.media.size() == max_media) {
        return fail(ErrorKind::ResourceExhausted, "SDP with over " + std::to_string(max_media) + " media sections (max_tracks)");
      }
      sdp.media.emplace_back();
      current = &sdp.media.back();
      // m=video 0 RTP/AVP 96
      std::vector<std::string_view> parts;
      for (std::size_t i = 0; i < value.size();) {
        std::size_t sp = value.find(' ', i);
        if (sp == std::string_view::npos) sp = value.size();
        if (sp > i) parts.push_back(value.substr(i, sp - i));
        i = sp + 1;
      }
      if (!parts.empty()) current->type = std::string(parts[0]);
      if (parts.size() >= 4) current->payload_type = parse_number<int>(parts[3]).value_or(-1);
      continue;
    }
    if (type != 'a') continue;
    auto colon = value.find(':');
    std::string_view name = value.substr(0, colon);
    std::string_view arg = colon == std::string_view::npos ? std::string_view{} : trim(value.substr(colon + 1));
    if (name == "control") {
      if (current != nullptr) current->control = std::string(arg);
      else sdp.control = std::string(arg);
      continue;
    }
    if (current == nullptr) continue;
    if (name == "rtpmap") {
      // a=rtpmap:96 H264/90000[/channels]
      auto sp = arg.find(' ');
      if (sp == std::string_view::npos) continue;
      if (parse_number<int>(arg.substr(0, sp)) != current->payload_type) continue;
      std::string_view enc = trim(arg.substr(sp + 1));
      auto slash = enc.find('/');
      current->encoding = to_upper(enc.substr(0, slash));
      if (slash != std::string_view::npos) {
        std::string_view rate = enc.substr(slash + 1);
        auto slash2 = rate.find('/');
        current->clock_rate = parse_number<int>(rate.substr(0, slash2)).value_or(0);
        if (slash2 != std::string_view::npos) current->channels = parse_number<int>(rate.substr(slash2 + 1)).value_or(0);
      }
    } else if (name == "fmtp") {
      auto sp = arg.find(' ');
      if (sp == std::string_view::npos) continue;
      if (parse_number<int>(arg.substr(0, sp)) != current->payload_type) continue;
      std::string_view params = arg.substr(sp + 1);
      for (std::size_t i = 0; i < params.size();) {
        std::size_t semi = params.find(';', i);
        if (semi == std::string_view::npos) semi = params.size();
        std::string_view kv = trim(params.substr(i, semi - i));
        i = semi + 1;
        auto eq = kv.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        current->fmtp[to_lower(trim(kv.substr(0, eq)))] = std::string(trim(kv.substr(eq + 1)));
      }
    } else if (name == "framerate" || name == "x-framerate") {
      try {
        current->frame_rate = std::stod(std::string(arg));
      } catch (...) {
        current->frame_rate = 0;
      }
    }
  }
  return sdp;
}

std::string resolve_control(std::string_view base, std::string_view control) {
  if (control.empty() || control == "*") return std::string(base);
  if (istarts_with(control, "rtsp://") || istarts_with(control, "rtsps://")) return std::string(control);
  std::string out(base);
  if (!out.empty() && out.back() != '/') out += '/';
  if (control.front() == '/') control.remove_prefix(1);
  out += control;
  return out;
}

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=' || c == ' ' || c == '\r' || c == '\n') continue;
    auto v = kAlphabet.find(c);
    if (v == std::string_view::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::optional<std::string> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

}  // namespace carekeep::ingest::rtsp
