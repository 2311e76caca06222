#include "alerts/render.hpp"

#include <nlohmann/json.hpp>

namespace carekeep::alerts {
namespace {

// One alert kind's words. "{}" in a title stands for the subject's display name.
struct KindText {
  std::string_view kind;
  std::string_view zh_title;
  std::string_view zh_action;  // what to do; empty when the alert's own message says it best
  std::string_view en_title;
  std::string_view en_action;
};

// One row per kind; a kind without a row falls back to the alert's own message.
constexpr KindText kPhrases[] = {
    {kCameraOffline, "{}摄像头离线", "请检查电源和网线", "Camera {} offline", "check its power and network cable"},
    {kZoneUncovered, "{}在托育时间无画面", "请检查该区域的摄像头", "{} not covered by any camera during care hours",
     "check the cameras of this zone"},
    {kContentFault, "{}摄像头画面异常（黑屏、冻结或遮挡）", "请检查镜头是否被遮挡",
     "Camera {} shows a black, frozen or covered picture", "check the lens"},
    {kDiskLow, "存储空间即将不足", "请加装或更换更大的硬盘，或降低摄像头码率", "Storage running low",
     "add a larger disk or lower the cameras' bitrate"},
    {kDiskFull, "硬盘已满，录像可能中断", "请立即检查硬盘", "Disk full, recording may stop", "check the disk now"},
    {kDiskReadonly, "硬盘变为只读，无法录像", "请检查硬盘后重启设备", "Disk turned read-only, not recording",
     "check the disk and restart the box"},
    {kDiskError, "硬盘读写出错", "请检查硬盘连接", "Disk I/O errors", "check the disk's connection"},
    {kStorageNotWritable, "录像目录无法写入，无法录像", "请运行 carekeep doctor 查看修复步骤",
     "Footage folder not writable, not recording", "run carekeep doctor for the fix"},
    {kDiskSmartFailing, "硬盘即将损坏（SMART 报告故障）", "请尽快备份录像并更换硬盘", "Footage disk failing (SMART)",
     "copy the footage and replace the disk soon"},
    {kDiskSmartWarning, "硬盘出现坏道或老化迹象（SMART）", "请留意并计划更换硬盘", "Footage disk shows damage or wear (SMART)",
     "plan to replace the disk"},
    {kDiskSmartUnavailable, "无法读取硬盘健康状态（SMART）", "请检查硬盘连接和每小时的健康检查",
     "Footage disk health (SMART) cannot be read", "check the disk and the hourly check"},
    {kClockUntrusted, "设备时间不可信", "请检查网络时间同步（NTP）", "Clock not trustworthy", "check time synchronisation (NTP)"},
    {kCapacityShort, "硬盘容量不够保存规定天数的录像", "请更换更大的硬盘", "Disk too small for the required care days",
     "fit a larger disk"},
    {kFootageMissing, "{}摄像头受保护的托育录像文件丢失", "录像在保存期内被删除，请立即查明原因",
     "Protected care footage of camera {} is gone", "find out who removed it: it had to be kept"},
    {kFootageNotRecorded, "{}摄像头的录像文件被替换，已隔离", "该文件不是本设备录制的，请立即查明是谁替换了录像",
     "A file not recorded by carekeep replaced footage of camera {}", "it was quarantined; find out who put it there"},
    {kCareAutoStopped, "临时照护时段已达上限，自动结束", "如仍有儿童在托，请重新开始照护（carekeep care start）",
     "Ad-hoc care session ended at its limit", "if children are still in care, start a new session (carekeep care start)"},
};

struct Phrase {
  std::string title;   // what is wrong
  std::string action;  // what to do; empty when the alert's own message says it best
};

std::string with_name(std::string_view pattern, const std::string& name) {
  std::string out(pattern);
  if (auto at = out.find("{}"); at != std::string::npos) out.replace(at, 2, name);
  return out;
}

Phrase phrase(const Alert& alert, const WebhookSite& site, bool zh) {
  std::string name = alert.subject;
  if (auto it = site.subject_names.find(alert.subject); it != site.subject_names.end()) name = it->second;
  for (const auto& k : kPhrases) {
    if (k.kind != alert.kind) continue;
    return zh ? Phrase{with_name(k.zh_title, name), std::string(k.zh_action)}
              : Phrase{with_name(k.en_title, name), std::string(k.en_action)};
  }
  return {alert.message.empty() ? alert.kind + " " + name : alert.message, ""};
}

std::string span_text(std::chrono::minutes span, bool zh) {
  auto h = span.count() / 60;
  auto m = span.count() % 60;
  std::string out;
  if (h > 0) out += std::to_string(h) + (zh ? " 小时" : " h");
  if (m > 0 || h == 0) out += (out.empty() ? "" : " ") + std::to_string(m) + (zh ? " 分钟" : " min");
  return out;
}

// Notices that are not alerts carry their line per language, made by the module that knows
// their content (export for the digest, report for the summary).
std::string own_text(const Notice& notice, bool zh) {
  const char* want = zh ? "zh" : "en";
  if (auto it = notice.text.find(want); it != notice.text.end()) return it->second;
  if (!notice.text.empty()) return notice.text.begin()->second;
  auto n = std::to_string(notice.alert.id);
  if (notice.kind == Notice::Kind::Summary) return zh ? "每日运行摘要 第 " + n + " 号" : "Daily summary no. " + n;
  return zh ? "每日证据摘要 第 " + n + " 号" : "Daily evidence digest no. " + n;
}

std::string render_on_time(const Notice& notice, const WebhookSite& site, bool zh) {
  if (notice.kind == Notice::Kind::Digest || notice.kind == Notice::Kind::Summary) return own_text(notice, zh);
  Phrase p = phrase(notice.alert, site, zh);
  auto open_for = std::chrono::duration_cast<std::chrono::minutes>(
      (notice.alert.resolved ? *notice.alert.resolved : notice.at) - notice.alert.raised);
  std::string span = open_for.count() > 0 ? span_text(open_for, zh) : "";
  std::string sep = zh ? "：" : ": ";
  switch (notice.kind) {
    case Notice::Kind::Raised:
      return p.title + (span.empty() ? "" : " " + span) + (p.action.empty() ? "" : sep + p.action);
    case Notice::Kind::Reminder:
      return (zh ? "仍未解决：" : "Still open: ") + p.title + (zh ? "，已持续 " : " for ") +
             (span.empty() ? span_text(std::chrono::minutes(1), zh) : span) + (p.action.empty() ? "" : sep + p.action);
    case Notice::Kind::Resolved:
      return (zh ? "已恢复：" : "Resolved: ") + p.title +
             (span.empty() ? "" : (zh ? "（持续 " + span + "）" : " (lasted " + span + ")"));
    case Notice::Kind::Digest:
    case Notice::Kind::Summary:
      break;  // rendered above
  }
  return p.title;
}

nlohmann::json notice_json(const Notice& n, const WebhookSite& site, std::string_view language, UtcTime now) {
  auto late = lateness(n, now);
  if (n.kind == Notice::Kind::Digest || n.kind == Notice::Kind::Summary) {
    const char* key = n.kind == Notice::Kind::Digest ? "digest" : "summary";
    return {{"event", to_string(n.kind)},
            {"message", render_line(n, site, language, late)},
            {"site", site.name},
            {"id", n.id},
            {"at", format_utc_iso(n.at)},
            {"late", late.count() > 0},
            {key, nlohmann::json::parse(n.payload, nullptr, false)}};
  }
  return {{"event", to_string(n.kind)},
          {"kind", n.alert.kind},
          {"subject", n.alert.subject},
          {"severity", to_string(n.alert.severity)},
          {"message", render_line(n, site, language, late)},
          {"raised", format_utc_iso(n.alert.raised)},
          {"resolved", n.alert.resolved ? nlohmann::json(format_utc_iso(*n.alert.resolved)) : nlohmann::json()},
          {"site", site.name},
          {"id", n.id},
          {"at", format_utc_iso(n.at)},
          {"late", late.count() > 0}};
}

}  // namespace

WebhookSite webhook_site(const config::Config& config) {
  WebhookSite site;
  site.name = config.site.name;
  for (const auto& camera : config.cameras) site.subject_names[camera.id] = camera.name.empty() ? camera.id : camera.name;
  for (const auto& zone : config.zones) site.subject_names[zone.id] = zone.name.empty() ? zone.id : zone.name;
  return site;
}

std::chrono::minutes lateness(const Notice& n, UtcTime now) {
  if (now == UtcTime{} || now - n.at < kLateAfter) return std::chrono::minutes(0);
  return std::chrono::duration_cast<std::chrono::minutes>(now - n.at);
}

std::string render_line(const Notice& notice, const WebhookSite& site, std::string_view language,
                        std::chrono::minutes late) {
  bool zh = language == "zh";
  std::string late_text;
  if (late.count() > 0) late_text = zh ? "（延迟 " + span_text(late, true) + " 送达）" : " (delivered " + span_text(late, false) + " late)";
  return render_on_time(notice, site, zh) + late_text;
}

std::string render_body(const config::Webhook& hook, const std::vector<Notice>& notices, const WebhookSite& site,
                        UtcTime now) {
  std::string lines;
  for (const auto& n : notices) {
    if (!lines.empty()) lines += "\n";
    lines += render_line(n, site, hook.language, lateness(n, now));
    // A robot shows text only: the digest goes along verbatim, so the message kept in the
    // group chat is the evidence itself. (The summary's figures are all in its line.)
    if (n.kind == Notice::Kind::Digest && hook.format != config::WebhookFormat::Json) lines += "\n" + n.payload;
  }
  nlohmann::json body;
  switch (hook.format) {
    case config::WebhookFormat::Json:
      if (notices.size() == 1) {
        body = notice_json(notices.front(), site, hook.language, now);
      } else {
        body = {{"event", "coalesced"}, {"site", site.name}, {"message", lines}, {"notices", nlohmann::json::array()}};
        for (const auto& n : notices) body["notices"].push_back(notice_json(n, site, hook.language, now));
      }
      break;
    case config::WebhookFormat::WeCom:
      body = {{"msgtype", "markdown"}, {"markdown", {{"content", "**" + site.name + "**\n" + lines}}}};
      break;
    case config::WebhookFormat::DingTalk:
      body = {{"msgtype", "text"}, {"text", {{"content", "【" + site.name + "】" + lines}}}};
      break;
  }
  return body.dump();
}

}  // namespace carekeep::alerts
