#include "index/rows.hpp"

#include <utility>

namespace carekeep::index {
namespace {

// The spellings are the values of the CHECK constraints in schema.sql.
constexpr std::array<std::pair<SegmentState, std::string_view>, 6> kSegmentStates{{
    {SegmentState::Open, "open"},
    {SegmentState::Closed, "closed"},
    {SegmentState::Recovered, "recovered"},
    {SegmentState::Damaged, "damaged"},
    {SegmentState::Deleting, "deleting"},
    {SegmentState::Deleted, "deleted"},
}};

constexpr std::array<std::pair<CameraEventKind, std::string_view>, 3> kCameraEventKinds{{
    {CameraEventKind::Up, "up"},
    {CameraEventKind::Down, "down"},
    {CameraEventKind::Warning, "warning"},
}};

constexpr std::array<std::pair<ConfigLoadSource, std::string_view>, 2> kConfigLoadSources{{
    {ConfigLoadSource::Start, "start"},
    {ConfigLoadSource::Reload, "reload"},
}};

template <class Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& table, Enum value) {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return "unknown";
}

template <class Enum, std::size_t N>
std::optional<Enum> value_of(const std::array<std::pair<Enum, std::string_view>, N>& table, std::string_view text) {
  for (const auto& [e, name] : table) {
    if (name == text) return e;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(SegmentState state) { return name_of(kSegmentStates, state); }
std::optional<SegmentState> parse_segment_state(std::string_view text) { return value_of(kSegmentStates, text); }

std::string_view to_string(ConfigLoadSource source) { return name_of(kConfigLoadSources, source); }

std::string_view to_string(CameraEventKind kind) { return name_of(kCameraEventKinds, kind); }
std::optional<CameraEventKind> parse_camera_event_kind(std::string_view text) {
  return value_of(kCameraEventKinds, text);
}

std::string_view to_string(CareSessionEnd end) {
  return end == CareSessionEnd::Stopped ? "stopped" : "limit";
}

}  // namespace carekeep::index
