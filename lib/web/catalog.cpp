#include "web/catalog.hpp"

#include <array>
#include <cstddef>

namespace carekeep::web {

namespace {

struct Entry {
  Msg msg;
  std::string_view zh;
  std::string_view en;
};

// One line per message, both languages side by side so that a missing one shows.
constexpr Entry kEntries[] = {
    {Msg::Title, "托育点监控", "Childcare point cameras"},
    {Msg::LoginHeading, "登录", "Sign in"},
    {Msg::LoginUser, "用户名", "User name"},
    {Msg::LoginPassword, "密码", "Password"},
    {Msg::LoginSubmit, "登录", "Sign in"},
    {Msg::LoginFailed, "用户名或密码错误。", "Wrong user name or password."},
    {Msg::LoginLocked, "尝试次数过多，请 15 分钟后再试。", "Too many attempts; try again in 15 minutes."},
    {Msg::LoginCertificateHelp, "首次访问时浏览器会提示证书不受信任。请核对证书的 SHA-256 指纹与设备上 carekeep status 显示的一致：",
     "On first visit the browser warns that the certificate is not trusted. Check that its SHA-256 fingerprint "
     "matches what carekeep status shows on the box:"},
    {Msg::Logout, "退出", "Sign out"},
    {Msg::OverviewHeading, "总览", "Overview"},
    {Msg::Cameras, "摄像头", "Cameras"},
    {Msg::CameraUp, "正在录像", "Recording"},
    {Msg::CameraDown, "未录像", "Not recording"},
    {Msg::CameraDisabled, "已停用", "Disabled"},
    {Msg::CameraBitrate, "码率", "Bitrate"},
    {Msg::CameraFps, "帧率", "Frame rate"},
    {Msg::CameraCause, "原因", "Cause"},
    {Msg::Zones, "区域", "Zones"},
    {Msg::ZoneCovered, "有画面覆盖", "Covered"},
    {Msg::ZoneUncovered, "无画面覆盖", "Not covered"},
    {Msg::NoZones, "未配置区域。", "No zones configured."},
    {Msg::Storage, "存储", "Storage"},
    {Msg::StorageFree, "剩余空间", "Free space"},
    {Msg::StorageForecast, "可保存托育日数", "Care days the disk holds"},
    {Msg::StorageUnknown, "未知", "unknown"},
    {Msg::Alerts, "告警", "Alerts"},
    {Msg::NoAlerts, "没有未处理的告警。", "No open alerts."},
    {Msg::AlertAcknowledge, "确认", "Acknowledge"},
    {Msg::AlertAcknowledged, "已确认", "Acknowledged"},
    {Msg::AlertAckDone, "告警已确认。", "Alert acknowledged."},
    {Msg::AlertAckFailed, "无法确认该告警。", "The alert could not be acknowledged."},
    {Msg::StatusStale, "录像服务的状态已过期，服务可能已停止。", "The recorder's status is stale; it may have stopped."},
    {Msg::Forbidden, "无权访问。", "Forbidden."},
    {Msg::NotFound, "页面不存在。", "Not found."},
    {Msg::BadRequest, "请求无效，请刷新页面后重试。", "Bad request; reload the page and try again."},
    {Msg::SessionExpired, "登录已过期，请重新登录。", "Your session has ended; sign in again."},
    {Msg::SeverityInfo, "提示", "info"},
    {Msg::SeverityWarning, "警告", "warning"},
    {Msg::SeverityCritical, "严重", "critical"},
    {Msg::RoleOperator, "运营者", "operator"},
    {Msg::RoleInspector, "检查员", "inspector"},
    {Msg::RoleViewer, "查看者", "viewer"},
    {Msg::SignedInAs, "当前用户", "Signed in as"},
    {Msg::UpdatedAt, "状态更新于", "Status updated"},
};

constexpr std::size_t kCount = static_cast<std::size_t>(Msg::Count);
static_assert(std::size(kEntries) == kCount, "every Msg has one catalogue line");

constexpr bool in_order() {
  for (std::size_t i = 0; i < kCount; ++i)
    if (static_cast<std::size_t>(kEntries[i].msg) != i) return false;
  return true;
}
static_assert(in_order(), "catalogue lines are in the order of Msg");

}  // namespace

Language parse_language(std::string_view text) { return text == "en" ? Language::En : Language::Zh; }

std::string_view html_lang(Language language) { return language == Language::En ? "en" : "zh-CN"; }

std::string_view text(Msg msg, Language language) {
  auto i = static_cast<std::size_t>(msg);
  if (i >= kCount) return "?";
  return language == Language::En ? kEntries[i].en : kEntries[i].zh;
}

}  // namespace carekeep::web
