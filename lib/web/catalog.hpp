// web/catalog: every word the console shows, in Chinese and English (issue 16). Handlers ask
// for a Msg, never spell a string; a key missing in one language fails catalog_test. Pure
// constant tables; any thread.
#pragma once

#include <string_view>

namespace carekeep::web {

enum class Language { Zh, En };
Language parse_language(std::string_view text);  // "en" → En; anything else → Zh (the default)
std::string_view html_lang(Language language);   // "zh-CN" | "en"

enum class Msg {
  Title,
  LoginHeading,
  LoginUser,
  LoginPassword,
  LoginSubmit,
  LoginFailed,
  LoginLocked,
  LoginCertificateHelp,
  Logout,
  OverviewHeading,
  Cameras,
  CameraUp,
  CameraDown,
  CameraDisabled,
  CameraBitrate,
  CameraFps,
  CameraCause,
  Zones,
  ZoneCovered,
  ZoneUncovered,
  NoZones,
  Storage,
  StorageFree,
  StorageForecast,
  StorageUnknown,
  Alerts,
  NoAlerts,
  AlertAcknowledge,
  AlertAcknowledged,
  AlertAckDone,
  AlertAckFailed,
  StatusStale,
  Forbidden,
  NotFound,
  BadRequest,
  SessionExpired,
  SeverityInfo,
  SeverityWarning,
  SeverityCritical,
  RoleOperator,
  RoleInspector,
  RoleViewer,
  SignedInAs,
  UpdatedAt,
  Count  // not a message: the number of them
};

// The text of `msg` in `language`; never empty for a real Msg.
std::string_view text(Msg msg, Language language);

}  // namespace carekeep::web
