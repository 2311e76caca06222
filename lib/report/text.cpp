// report/text: the two-language word table. Chinese wording follows the regulation's own terms
// (托育, 监控录像, 保存期) so that an inspector reads the words of the rule.
#include "report/text.hpp"

#include <cmath>
#include <cstdio>
#include <unordered_map>

namespace carekeep::report {

namespace {

struct Words {
  std::string_view en;
  std::string_view zh;
};

const std::unordered_map<std::string_view, Words>& table() {
  static const std::unordered_map<std::string_view, Words> kTable{
      {"title", {"Video surveillance audit report", "视频监控审计报告"}},
      // section headings
      {"s_site", {"Site, cameras, zones and care schedule", "托育点、摄像头、区域与托育时间"}},
      {"s_retention", {"Retention compliance", "录像保存合规"}},
      {"s_coverage", {"Coverage of care time", "托育时间监控覆盖"}},
      {"s_uptime", {"Camera uptime", "摄像头在线情况"}},
      {"s_integrity", {"Integrity", "完整性校验"}},
      {"s_holds", {"Evidence holds", "证据保全"}},
      {"s_config", {"Configuration in force (care hours, zones)", "生效的配置（托育时间、区域）"}},
      {"s_clock", {"Clock events", "时钟事件"}},
      {"s_alerts", {"Alerts raised and resolved", "告警（产生与解除）"}},
      {"s_access", {"Access log", "访问日志"}},
      {"s_runs", {"Recorder runs", "录像服务运行记录"}},
      {"s_verify", {"How to verify this report", "如何验证本报告"}},
      // captions and fields
      {"field", {"Item", "项目"}},
      {"value", {"Value", "内容"}},
      {"site_name", {"Childcare point", "托育点"}},
      {"address", {"Address", "地址"}},
      {"period", {"Period", "报告期间"}},
      {"timezone", {"Time zone (all times below)", "时区（下文所有时间）"}},
      {"generated", {"Generated", "生成时间"}},
      {"host", {"Host", "主机"}},
      {"version", {"Version", "版本"}},
      {"cameras", {"Cameras", "摄像头"}},
      {"zones", {"Zones", "监控区域"}},
      {"care_schedule", {"Weekly care hours", "每周托育时间"}},
      {"exceptions", {"Schedule exceptions in the period", "期间内的托育时间调整"}},
      {"retention_policy", {"Retention policy", "保存策略"}},
      {"care_footage", {"footage during care hours", "托育时间录像"}},
      {"other_footage", {"other footage", "其他录像"}},
      {"days", {"days", "天"}},
      {"camera", {"Camera", "摄像头"}},
      {"zone", {"Zone", "区域"}},
      {"name", {"Name", "名称"}},
      {"status", {"Status", "状态"}},
      {"first_seen", {"Recording duty since", "开始录像日期"}},
      {"enabled", {"enabled", "启用"}},
      {"disabled", {"disabled", "停用"}},
      {"removed", {"removed from configuration", "已从配置中移除"}},
      {"weekday", {"Day", "星期"}},
      {"hours", {"Hours", "时间"}},
      {"closed", {"closed", "不托育"}},
      {"date", {"Date", "日期"}},
      {"note", {"Note", "备注"}},
      {"monday", {"Monday", "星期一"}},
      {"tuesday", {"Tuesday", "星期二"}},
      {"wednesday", {"Wednesday", "星期三"}},
      {"thursday", {"Thursday", "星期四"}},
      {"friday", {"Friday", "星期五"}},
      {"saturday", {"Saturday", "星期六"}},
      {"sunday", {"Sunday", "星期日"}},
      // retention
      {"no_protected_deletions",
       {"No footage of care hours was ever deleted before the end of its retention period.",
        "未发现任何托育时间录像在保存期届满前被删除。"}},
      {"protected_deletions_found",
       {"Footage of care hours deleted before the end of its retention period",
        "托育时间录像在保存期届满前被删除"}},
      {"protected_deletions", {"Protected footage deleted early", "保存期内被删除的录像"}},
      {"segment", {"Segment", "录像片段"}},
      {"start", {"Start", "开始"}},
      {"end", {"End", "结束"}},
      {"protect_until", {"Protected until", "保护至"}},
      {"deleted", {"Deleted", "删除时间"}},
      {"deleting", {"being deleted", "删除中"}},
      {"file_lost", {"file gone (lost, not deleted by carekeep)", "文件丢失（非本系统删除）"}},
      {"detail", {"Detail", "详情"}},
      {"retention_by_camera", {"Footage held per camera", "各摄像头录像保存情况"}},
      {"oldest_care_footage", {"Oldest care footage", "最早托育时间录像"}},
      {"days_held", {"Days held continuously", "连续保存天数"}},
      {"meets_target", {"meets the retention period", "满足保存期要求"}},
      {"shorter_than_target", {"held for less than the retention period so far", "保存天数尚未达到保存期"}},
      {"no_care_footage", {"no care footage", "无托育时间录像"}},
      {"live_segments", {"Segments kept", "保存片段数"}},
      {"footage", {"Footage", "录像数据量"}},
      {"damaged", {"Damaged", "损坏"}},
      {"capacity", {"Storage and capacity forecast", "存储与容量预测"}},
      {"disk_total", {"Disk size", "磁盘容量"}},
      {"disk_free", {"Free space", "剩余空间"}},
      {"bytes_per_day", {"Footage per day (observed)", "每日录像量（实测）"}},
      {"days_capacity", {"Days of footage the disk can hold", "磁盘可保存天数"}},
      {"unknown", {"unknown", "未知"}},
      {"disk_health", {"Disk health (SMART)", "硬盘健康（SMART）"}},
      {"smart_checked", {"checked", "检查于"}},
      {"smart_healthy", {"healthy", "正常"}},
      {"smart_warning", {"signs of damage or wear", "出现坏道或老化迹象"}},
      {"smart_failing", {"FAILING", "即将损坏"}},
      {"smart_unavailable", {"no SMART data", "无 SMART 数据"}},
      {"smart_not_read", {"not read (no SMART check has run)", "未读取（尚未进行 SMART 检查）"}},
      {"smart_failing_notice",
       {"A disk holding the footage is failing by its own SMART data; copy the footage and replace it:",
        "存放录像的硬盘 SMART 报告即将损坏，请备份录像并更换硬盘："}},
      {"capacity_below_target",
       {"The disk cannot hold the retention period at the observed rate: add storage.",
        "按当前录像量，磁盘无法满足保存期要求，请扩充存储。"}},
      // coverage
      {"all_covered", {"Every zone was covered during all care time of the period.", "报告期间内所有区域在托育时间均有监控覆盖。"}},
      {"gaps_found", {"Care time not covered by any camera (gaps)", "托育时间内未被监控覆盖的时段（缺口）"}},
      {"coverage_by_zone", {"Coverage per zone", "各区域覆盖率"}},
      {"care_time", {"Care time", "托育时长"}},
      {"covered_time", {"Covered", "已覆盖时长"}},
      {"coverage", {"Coverage", "覆盖率"}},
      {"gaps", {"Gaps", "缺口数"}},
      {"gap_time", {"Gap time", "缺口时长"}},
      {"timeline", {"Timeline: zone × day (care hours shaded, gaps in red)", "时间轴：区域 × 日期（阴影为托育时间，红色为缺口）"}},
      {"gap_list", {"Every gap", "全部缺口"}},
      {"no_gaps", {"no gaps", "无缺口"}},
      {"duration", {"Duration", "时长"}},
      {"cause", {"Cause", "原因"}},
      {"coverage_by_day", {"Coverage per zone and day", "各区域每日覆盖率"}},
      // uptime
      {"recording_time", {"Recording", "录像时长"}},
      {"of_period", {"of period", "占期间"}},
      {"care_recording", {"Recording in care time", "托育时间录像时长"}},
      {"of_care", {"of care time", "占托育时间"}},
      {"runs", {"Sessions", "连接次数"}},
      {"down_events", {"Outages", "中断次数"}},
      {"causes", {"Outage causes", "中断原因"}},
      // integrity
      {"last_verification", {"Last full verification", "最近一次完整校验"}},
      {"result", {"Result", "结果"}},
      {"never_verified", {"The footage has never been verified (carekeep verify).", "录像从未进行过完整校验（carekeep verify）。"}},
      {"damaged_in_period", {"Damaged segments in the period", "期间内损坏的片段"}},
      {"recovered_in_period", {"Segments recovered after a crash", "异常中断后恢复的片段"}},
      {"anchors_in_period", {"Signed integrity anchors in the period", "期间内已签名的完整性锚点"}},
      {"latest_anchors", {"Latest anchor per camera", "各摄像头最新锚点"}},
      {"time", {"Time", "时间"}},
      {"tip_segment", {"Last segment", "末尾片段"}},
      {"chain_sha256", {"Chain hash (SHA-256)", "哈希链值（SHA-256）"}},
      {"key", {"Key", "密钥"}},
      // holds, clock, alerts, access, runs
      {"id", {"No.", "编号"}},
      {"target", {"Held", "保全对象"}},
      {"from", {"From", "自"}},
      {"to", {"To", "至"}},
      {"reason", {"Reason", "原因"}},
      {"case", {"Case", "案件"}},
      {"inspector_hold", {"placed by an inspector", "检查人员设立"}},
      {"created", {"Placed", "设立"}},
      {"released", {"Released", "解除"}},
      {"active", {"active", "生效中"}},
      {"config_version", {"Version", "版本"}},
      {"loaded", {"Loaded", "加载时间"}},
      {"source", {"Loaded by", "加载方式"}},
      {"user", {"User", "用户"}},
      {"what_changed", {"What changed", "变更内容"}},
      {"sha256", {"SHA-256", "SHA-256"}},
      {"config_unchanged",
       {"The configuration did not change during the period.", "报告期间内配置未发生变更。"}},
      {"config_current_file",
       {"The index holds no stored configuration: care hours and zones are those of the current configuration file.",
        "索引中没有已保存的配置：托育时间与区域按当前配置文件计算。"}},
      {"config_current_file_before",
       {"Care hours and zones are those of the current configuration file before the first stored configuration, loaded",
        "在首个已保存配置之前，托育时间与区域按当前配置文件计算；首个已保存配置加载于"}},
      {"step", {"Step", "跳变"}},
      {"ntp", {"NTP", "NTP"}},
      {"synced", {"synchronized", "已同步"}},
      {"not_synced", {"not synchronized", "未同步"}},
      {"raised", {"Raised", "产生"}},
      {"resolved", {"Resolved", "解除"}},
      {"open", {"still open", "未解除"}},
      {"kind", {"Kind", "类型"}},
      {"subject", {"Subject", "对象"}},
      {"severity", {"Severity", "级别"}},
      {"message", {"Message", "信息"}},
      {"user", {"User", "用户"}},
      {"action", {"Action", "操作"}},
      {"arguments", {"Request", "请求参数"}},
      {"started", {"Started", "启动"}},
      {"stopped", {"Stopped", "停止"}},
      {"stop_reason", {"Stop reason", "停止原因"}},
      {"running", {"running", "运行中"}},
      {"none", {"none", "无"}},
      // verification
      {"verify_intro",
       {"report.json holds all of this report as data and is signed with the recorder's Ed25519 key "
        "(report.json.sig). This document cites the SHA-256 of report.json and the key's fingerprint.",
        "report.json 以数据形式包含本报告全部内容，并由录像设备的 Ed25519 密钥签名（report.json.sig）。"
        "本文件列出 report.json 的 SHA-256 值及密钥指纹。"}},
      {"json_sha256", {"SHA-256 of report.json", "report.json 的 SHA-256"}},
      {"key_fingerprint", {"Signing key fingerprint", "签名密钥指纹"}},
      {"command", {"Check on any computer", "在任意计算机上校验"}},
      {"verify_steps",
       {"The check needs only the public key (signing.pub, exported by the point's operator). It fails "
        "when any byte of report.json was changed, and it prints the key fingerprint, which must equal "
        "the one above.",
        "校验只需公钥（signing.pub，由托育点提供）。report.json 任何字节被改动都会校验失败；"
        "校验会输出密钥指纹，应与上方一致。"}},
      // codes: gap causes, down causes, alert kinds, severities, actions, targets
      {"camera_offline", {"camera offline", "摄像头离线"}},
      {"stream_stalled", {"stream stalled", "视频流停滞"}},
      {"recording_error", {"recording error", "录像写入错误"}},
      {"recorder_not_running", {"recorder not running", "录像服务未运行"}},
      {"clock_step", {"clock step", "时钟跳变"}},
      {"footage_missing", {"footage missing", "录像缺失"}},
      {"footage_damaged", {"footage damaged", "录像损坏"}},
      {"content", {"picture unusable", "画面不可用"}},
      {"refused", {"connection refused", "连接被拒绝"}},
      {"unreachable", {"unreachable", "无法连接"}},
      {"auth_failed", {"authentication failed", "认证失败"}},
      {"timeout", {"timeout", "超时"}},
      {"stalled", {"stalled", "停滞"}},
      {"stream_ended", {"stream ended", "视频流结束"}},
      {"codec_changed", {"codec changed", "编码变更"}},
      {"disk_error", {"disk error", "磁盘错误"}},
      {"limit_exceeded", {"camera exceeded a limit", "摄像头数据超限"}},
      {"tls_untrusted", {"camera certificate not trusted", "摄像头证书不可信"}},
      {"shutdown", {"shutdown", "正常关闭"}},
      {"signal", {"stopped by signal", "收到停止信号"}},
      {"crash", {"crash", "异常终止"}},
      {"error", {"error", "错误"}},
      {"disk_low", {"disk low", "磁盘空间不足"}},
      {"disk_full", {"disk full", "磁盘已满"}},
      {"disk_readonly", {"disk read-only", "磁盘只读"}},
      {"storage_not_writable", {"storage not writable", "录像目录不可写"}},
      {"clock_untrusted", {"clock untrusted", "时钟不可信"}},
      {"capacity_short", {"capacity short", "容量不足"}},
      {"camera_offline", {"camera offline", "摄像头离线"}},
      {"zone_uncovered", {"zone uncovered", "区域未覆盖"}},
      {"content_fault", {"picture fault", "画面异常"}},
      {"info", {"info", "提示"}},
      {"warning", {"warning", "警告"}},
      {"critical", {"critical", "严重"}},
      {"export", {"export", "导出"}},
      {"hold_add", {"hold placed", "设立保全"}},
      {"hold_release", {"hold released", "解除保全"}},
      {"verify", {"verification", "校验"}},
      {"report", {"report", "生成报告"}},
      {"delete", {"deletion", "删除"}},
      {"zone_target", {"zone", "区域"}},
  };
  return kTable;
}

}  // namespace

std::string_view tr(Lang lang, std::string_view key) {
  const auto& t = table();
  auto it = t.find(key);
  if (it == t.end()) return key;
  return lang == Lang::Zh ? it->second.zh : it->second.en;
}

std::vector<std::string_view> text_keys() {
  std::vector<std::string_view> keys;
  for (const auto& [k, _] : table()) keys.push_back(k);
  return keys;
}

std::string word(Lang lang, std::string_view code) {
  if (code == "zone") return std::string(tr(lang, "zone_target"));
  return std::string(tr(lang, code));
}

std::string local_time(UtcTime t, const TimeZone& zone) {
  auto local = date::floor<std::chrono::seconds>(zone.to_local(t));
  return date::format("%F %T", local);
}

std::string duration(Lang lang, double seconds) {
  auto total = static_cast<long long>(std::llround(seconds));
  long long h = total / 3600;
  long long m = (total % 3600) / 60;
  long long s = total % 60;
  char buf[64];
  if (lang == Lang::Zh) {
    if (h > 0) {
      std::snprintf(buf, sizeof buf, "%lld小时%02lld分%02lld秒", h, m, s);
    } else if (m > 0) {
      std::snprintf(buf, sizeof buf, "%lld分%02lld秒", m, s);
    } else {
      std::snprintf(buf, sizeof buf, "%lld秒", s);
    }
  } else if (h > 0) {
    std::snprintf(buf, sizeof buf, "%lldh %02lldm %02llds", h, m, s);
  } else if (m > 0) {
    std::snprintf(buf, sizeof buf, "%lldm %02llds", m, s);
  } else {
    std::snprintf(buf, sizeof buf, "%llds", s);
  }
  return buf;
}

std::string percent(std::optional<double> value) {
  if (!value) return "-";
  // Truncated, not rounded: 99.996 % covered must not read as 100.00 %.
  double v = std::floor(*value * 100.0) / 100.0;
  return fixed(v, 2) + " %";
}

std::string fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

}  // namespace carekeep::report
