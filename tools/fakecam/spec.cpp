// Parsing of camera specs, fault names and control commands (server.hpp). Pure functions.
#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include "fakecam/server.hpp"

namespace carekeep::fakecam {
namespace {

constexpr std::array<std::pair<Fault, std::string_view>, 8> kFaultNames = {{
    {Fault::Live, "live"},
    {Fault::Black, "black"},
    {Fault::Frozen, "frozen"},
    {Fault::Static, "static"},
    {Fault::Stall, "stall"},
    {Fault::Down, "down"},
    {Fault::Up, "up"},
    {Fault::Covered, "covered"},
}};

bool parse_int(std::string_view text, int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

bool parse_double(std::string_view text, double& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && std::isfinite(out);
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string_view to_string(Codec codec) { return codec == Codec::H264 ? "h264" : "h265"; }

std::string_view to_string(Fault fault) {
  for (const auto& [f, name] : kFaultNames) {
    if (f == fault) return name;
  }
  return "?";
}

Result<Fault> parse_fault(std::string_view text) {
  for (const auto& [f, name] : kFaultNames) {
    if (name == text) return f;
  }
  return fail(ErrorKind::InvalidArgument,
              "unknown fault '" + std::string(text) + "'; valid: live black frozen static stall down up");
}

Result<CameraSpec> parse_camera(std::string_view text, const CameraSpec& defaults) {
  CameraSpec spec = defaults;
  spec.faults.clear();
  auto colon = text.find(':');
  spec.id = std::string(text.substr(0, colon));
  if (!valid_id(spec.id)) {
    return fail(ErrorKind::InvalidArgument,
                "camera id '" + spec.id + "' must be 1-64 letters, digits, '.', '_' or '-'");
  }
  std::string_view rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);
  while (colon != std::string_view::npos) {
    colon = rest.find(':');
    std::string_view token = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    auto bad = [&](std::string_view why) {
      return fail(ErrorKind::InvalidArgument,
                  "camera '" + spec.id + "': " + std::string(why) + " '" + std::string(token) +
                      "' (expected ID[:h264|h265][:WxH][:kbps][:fps=N][:gop=SECONDS])");
    };
    if (token == "h264") {
      spec.codec = Codec::H264;
    } else if (token == "h265" || token == "hevc") {
      spec.codec = Codec::H265;
    } else if (token.starts_with("fps=")) {
      if (!parse_int(token.substr(4), spec.fps) || spec.fps < 1 || spec.fps > 120) {
        return bad("frame rate must be 1-120 in");
      }
    } else if (token.starts_with("gop=")) {
      if (!parse_double(token.substr(4), spec.gop_seconds) || spec.gop_seconds <= 0 ||
          spec.gop_seconds > 60) {
        return bad("GOP must be a number of seconds in (0, 60] in");
      }
    } else if (auto x = token.find('x'); x != std::string_view::npos) {
      int w = 0;
      int h = 0;
      if (!parse_int(token.substr(0, x), w) || !parse_int(token.substr(x + 1), h)) {
        return bad("bad size");
      }
      // I420 needs even sizes; the painter needs room for the clock and the object.
      if (w < 64 || h < 64 || w > 7680 || h > 4320 || w % 2 != 0 || h % 2 != 0) {
        return bad("size must be even, 64x64 to 7680x4320, in");
      }
      spec.width = w;
      spec.height = h;
    } else if (int kbps = 0; parse_int(token, kbps)) {
      if (kbps < 16 || kbps > 100000) return bad("bitrate must be 16-100000 kbit/s in");
      spec.kbps = kbps;
    } else {
      return bad("unknown part");
    }
  }
  return spec;
}

Result<Command> parse_command(std::string_view line) {
  line = trim(line);
  auto space = line.find_first_of(" \t");
  if (space == std::string_view::npos) {
    return fail(ErrorKind::InvalidArgument, "expected '<fault> <camera-id>', got '" + std::string(line) + "'");
  }
  auto fault = parse_fault(line.substr(0, space));
  if (!fault) return tl::unexpected(fault.error());
  Command command;
  command.fault = *fault;
  command.camera = std::string(trim(line.substr(space + 1)));
  if (!valid_id(command.camera)) {
    return fail(ErrorKind::InvalidArgument, "bad camera id '" + command.camera + "'");
  }
  return command;
}

}  // namespace carekeep::fakecam
