#include "history/history.hpp"

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "config/load.hpp"

namespace carekeep::history {
namespace {

std::optional<config::Config> parse_version(const index::ConfigVersionRow& row, std::string* why = nullptr) {
  auto outcome = config::parse(row.content, "config version " + std::to_string(row.id));
  if (outcome.ok()) return std::move(*outcome.config);
  if (why != nullptr) *why = config::summary(outcome);
  return std::nullopt;
}

nlohmann::json lists(const config::ConfigChanges& c) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& part : c.parts()) {
    if (!part.items->empty()) j[std::string(part.key)] = *part.items;
  }
  return j;
}

}  // namespace

Result<LoadOutcome> record_load(index::Index& index, const config::Config& loaded, const Loader& loader, UtcTime now) {
  // One transaction: the caller's, if it holds one (the daemon's catalog batches its writes).
  std::optional<sqlite::Transaction> tx;
  if (!index.connection().in_transaction()) {
    auto begun = index.transaction();
    if (!begun) return tl::unexpected(std::move(begun.error()).with_context("recording the configuration load"));
    tx.emplace(std::move(*begun));
  }
  auto latest = index.latest_config_version();
  if (!latest) return tl::unexpected(std::move(latest.error()));
  LoadOutcome out;
  if (*latest) {
    // The previous version as stored (redacted); cameras compare by redacted URL, so the
    // credentials `loaded` still holds make no difference.
    if (auto before = parse_version(**latest)) out.changes = config::compare(*before, loaded);
  }
  index::NewConfigVersion version{now, loader.source, loader.uid, loader.user,
                                  config::redacted_for_history(loaded.source_text)};
  auto stored = index.store_config_version(version);
  if (!stored) return tl::unexpected(std::move(stored.error()));
  out.stored = stored->has_value();
  out.version = out.stored ? (*stored)->id : (*latest)->id;
  out.sha256 = out.stored ? (*stored)->sha256 : (*latest)->sha256;
  if (!out.stored) out.changes.reset();  // the same text: nothing changed

  nlohmann::json args{{"source", std::string(index::to_string(loader.source))},
                      {"version", out.version},
                      {"sha256", to_hex(out.sha256)},
                      {"new_version", out.stored},
                      {"file", loaded.source_path.string()}};
  if (loader.pid) args["pid"] = *loader.pid;
  if (out.changes) {
    args["changes"] = out.changes->summary();
    args["changed"] = lists(*out.changes);
  } else {
    args["changes"] = out.stored ? "first stored version" : "same as version " + std::to_string(out.version);
  }
  // The access log's uid is not null: -1 stands for a sender the kernel did not tell us.
  index::NewAccessEntry entry{now, loader.uid.value_or(-1), loader.user, "config_load", args.dump(), "ok"};
  if (auto logged = index.append_access_log(entry); !logged) return tl::unexpected(std::move(logged.error()));
  if (tx) {
    if (auto st = tx->commit(); !st) return tl::unexpected(std::move(st.error()));
  }
  return out;
}

Result<std::vector<config::CareHours::Adhoc>> adhoc_care(index::Index& index, index::TimeRange range) {
  auto sessions = index.care_sessions(range);
  if (!sessions) return tl::unexpected(std::move(sessions.error()));
  std::vector<config::CareHours::Adhoc> out;
  out.reserve(sessions->size());
  for (const auto& s : *sessions) out.push_back({s.started, s.care_end()});
  return out;
}

Status add_adhoc_care(index::Index& index, config::Config& config, index::TimeRange range) {
  auto adhoc = adhoc_care(index, range);
  if (!adhoc) return tl::unexpected(std::move(adhoc.error()));
  config.care_hours.adhoc = std::move(*adhoc);
  return ok();
}

Result<InForce> in_force(index::Index& index, const config::Config& current, index::TimeRange range) {
  auto rows = index.config_versions();
  if (!rows) return tl::unexpected(std::move(rows.error()));
  // Ad-hoc care is not configuration: the sessions of the range count under every version.
  auto adhoc = adhoc_care(index, range);
  if (!adhoc) return tl::unexpected(std::move(adhoc.error()));
  InForce out;
  auto with_adhoc = [&](config::Config config) {
    config.care_hours.adhoc = *adhoc;
    return std::make_shared<const config::Config>(std::move(config));
  };
  auto current_copy = with_adhoc(current);
  if (!rows->empty()) out.first_version = rows->front().loaded;
  if (rows->empty() || range.from < rows->front().loaded) {
    out.current_file_used = true;
    out.spans.push_back({UtcTime::min(), current_copy, std::nullopt});
  }
  std::optional<config::Config> previous;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const auto& row = (*rows)[i];
    std::string why;
    auto parsed = parse_version(row, &why);
    if (!parsed) {
      // Validation rules can tighten between releases; the version before it stays in force.
      out.notes.push_back("config version " + std::to_string(row.id) + " (loaded " + format_utc_iso(row.loaded) +
                          ") no longer parses (" + why + "); the version before it is used for its time");
      continue;
    }
    bool relevant_end = i + 1 >= rows->size() || (*rows)[i + 1].loaded > range.from;
    if (row.loaded < range.to && relevant_end) {
      out.spans.push_back({row.loaded, with_adhoc(*parsed), row.id});
    }
    if (row.loaded >= range.from && row.loaded < range.to) {
      VersionChange change{row.id, row.loaded, row.source, row.user, to_hex(row.sha256), {}, !previous};
      if (previous) change.changes = config::compare(*previous, *parsed);
      out.changes.push_back(std::move(change));
    }
    previous = std::move(parsed);
  }
  if (out.spans.empty()) out.spans.push_back({UtcTime::min(), current_copy, std::nullopt});
  return out;
}

std::function<std::optional<std::vector<std::string>>(std::string_view zone, UtcTime at)> zone_cameras_at(InForce versions) {
  auto spans = std::make_shared<const std::vector<care::ConfigSpan>>(std::move(versions.spans));
  return [spans](std::string_view zone, UtcTime at) -> std::optional<std::vector<std::string>> {
    if (spans->empty()) return std::nullopt;
    auto after = std::upper_bound(spans->begin(), spans->end(), at,
                                  [](UtcTime t, const care::ConfigSpan& s) { return t < s.valid_from; });
    const auto& span = after == spans->begin() ? spans->front() : *(after - 1);
    for (const auto& z : span.config->zones)
      if (z.id == zone) return z.cameras;
    return std::nullopt;
  };
}

}  // namespace carekeep::history
