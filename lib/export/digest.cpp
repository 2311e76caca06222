#include "export/digest.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <system_error>

#include "base/fd.hpp"
#include "base/fs.hpp"
#include "export/anchor.hpp"

namespace carekeep::exports {
namespace {

using Json = nlohmann::ordered_json;

Json hex_or_null(const std::optional<Sha256>& hash) { return hash ? Json(to_hex(*hash)) : Json(nullptr); }
Json int_or_null(const std::optional<std::int64_t>& v) { return v ? Json(*v) : Json(nullptr); }

Json chain_json(const ChainState& c, bool camera) {
  Json j;
  if (camera) j["camera"] = c.chain;
  j["length"] = c.length;
  j["tip"] = hex_or_null(c.tip);
  if (camera) {
    j["anchor_seq"] = int_or_null(c.anchor_seq);
    j["anchor_sha256"] = hex_or_null(c.anchor_sha256);
  }
  return j;
}

Json body_json(const Digest& d) {
  Json cameras = Json::array();
  for (const auto& c : d.cameras) cameras.push_back(chain_json(c, true));
  return Json{{"format", d.format},
              {"seq", d.seq},
              {"site", d.site},
              {"time", format_utc_iso(d.time)},
              {"time_us", to_us(d.time)},
              {"cameras", cameras},
              {"box_chain", chain_json(d.box, false)},
              {"access_log", chain_json(d.access_log, false)},
              {"config_sha256", d.config_sha256},
              {"key_fingerprint", d.key_fingerprint}};
}

// Throws nlohmann's exceptions for a missing key or a wrong type, std::runtime_error for a
// malformed hash; digest_from_json turns both into InvalidArgument.
std::optional<Sha256> hash_at(const Json& j, const char* key) {
  const auto& v = j.at(key);
  if (v.is_null()) return std::nullopt;
  auto hash = sha256_from_hex(v.get<std::string>());
  if (!hash) throw std::runtime_error(std::string(key) + " is not 64 hex digits");
  return hash;
}

ChainState chain_from(const Json& j, bool camera) {
  ChainState c;
  if (camera) c.chain = j.at("camera").get<std::string>();
  c.length = j.at("length").get<std::int64_t>();
  c.tip = hash_at(j, "tip");
  if (camera) {
    if (!j.at("anchor_seq").is_null()) c.anchor_seq = j.at("anchor_seq").get<std::int64_t>();
    c.anchor_sha256 = hash_at(j, "anchor_sha256");
  }
  if (c.length < 0 || (c.length > 0) != c.tip.has_value()) throw std::runtime_error("a chain's length and tip disagree");
  return c;
}

std::string who(const std::string& chain) { return chain.empty() ? "the box chain (holds)" : "camera " + chain + "'s chain"; }

// The digest's chain state against the chain the index holds now.
Status check_chain(index::Index& index, const ChainState& said, std::vector<DigestFinding>& out) {
  if (said.length == 0) return ok();
  auto entry = index.chain_entry(said.chain, said.length);
  if (!entry) return tl::unexpected(entry.error());
  if (!*entry) {
    auto tip = index.chain_entry_tip(said.chain);
    if (!tip) return tl::unexpected(tip.error());
    out.push_back({said.chain, said.length,
                   who(said.chain) + ": entry " + std::to_string(said.length) + " is gone (the chain now ends at " +
                       std::to_string(*tip ? (*tip)->seq : 0) + "); history the digest saw was removed"});
  } else if ((*entry)->hash != *said.tip) {
    out.push_back({said.chain, said.length,
                   who(said.chain) + ": entry " + std::to_string(said.length) +
                       " differs from the digest's (entries up to it were rewritten and re-hashed after the digest)"});
  }
  return ok();
}

Status check_anchor(index::Index& index, const ChainState& said, std::vector<DigestFinding>& out) {
  if (!said.anchor_seq) return ok();
  auto anchors = index.anchors(said.chain);
  if (!anchors) return tl::unexpected(anchors.error());
  for (const auto& row : *anchors) {
    if (row.anchor.seq != said.anchor_seq) continue;
    if (!said.anchor_sha256 || anchor_sha256(row.anchor) != *said.anchor_sha256) {
      out.push_back({said.chain, 0,
                     "camera " + said.chain + ": anchor no. " + std::to_string(*said.anchor_seq) +
                         " differs from the one the digest saw (anchors were re-made after it)"});
    }
    return ok();
  }
  out.push_back({said.chain, 0,
                 "camera " + said.chain + ": anchor no. " + std::to_string(*said.anchor_seq) +
                     ", which the digest saw, is gone"});
  return ok();
}

}  // namespace

std::string signed_message(const Digest& digest) { return body_json(digest).dump(); }

std::string to_json(const Digest& digest) {
  Json j = body_json(digest);
  j["signature"] = digest.signature;
  return j.dump(1) + "\n";
}

Result<Digest> digest_from_json(std::string_view text) {
  auto j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(ErrorKind::InvalidArgument, "not a JSON object");
  try {
    Digest d;
    d.format = j.at("format").get<std::string>();
    if (d.format != kDigestFormat) {
      return fail(ErrorKind::InvalidArgument,
                  "format \"" + d.format + "\" (this carekeep reads " + std::string(kDigestFormat) + ")");
    }
    d.seq = j.at("seq").get<std::int64_t>();
    d.site = j.at("site").get<std::string>();
    d.time = from_us(j.at("time_us").get<std::int64_t>());
    for (const auto& c : j.at("cameras")) d.cameras.push_back(chain_from(c, true));
    d.box = chain_from(j.at("box_chain"), false);
    d.access_log = chain_from(j.at("access_log"), false);
    d.config_sha256 = j.at("config_sha256").get<std::string>();
    d.key_fingerprint = j.at("key_fingerprint").get<std::string>();
    d.signature = j.at("signature").get<std::string>();
    return d;
  } catch (const std::exception& e) {
    return fail(ErrorKind::InvalidArgument, std::string("not a carekeep digest: ") + e.what());
  }
}

Result<Digest> make_digest(index::Index& index, const signing::KeyPair& key, std::string site,
                           std::string config_sha256, std::int64_t seq, UtcTime now) {
  Digest d;
  d.seq = seq;
  d.site = std::move(site);
  d.time = now;
  d.config_sha256 = std::move(config_sha256);
  d.key_fingerprint = key.fingerprint();
  auto state_of = [&](const std::string& chain) -> Result<ChainState> {
    ChainState c;
    c.chain = chain;
    auto tip = index.chain_entry_tip(chain);
    if (!tip) return tl::unexpected(tip.error());
    if (*tip) {
      c.length = (*tip)->seq;
      c.tip = (*tip)->hash;
    }
    return c;
  };
  auto cameras = index.cameras();
  if (!cameras) return tl::unexpected(cameras.error());
  for (const auto& camera : *cameras) {
    auto c = state_of(camera.id);
    if (!c) return tl::unexpected(c.error());
    auto anchors = index.anchors(camera.id);
    if (!anchors) return tl::unexpected(anchors.error());
    if (!anchors->empty() && anchors->back().anchor.seq) {
      c->anchor_seq = anchors->back().anchor.seq;
      c->anchor_sha256 = anchor_sha256(anchors->back().anchor);
    }
    d.cameras.push_back(std::move(*c));
  }
  auto box = state_of(std::string(index::kBoxChain));
  if (!box) return tl::unexpected(box.error());
  d.box = std::move(*box);
  auto log_tip = index.last_access_log();
  if (!log_tip) return tl::unexpected(log_tip.error());
  if (*log_tip) {
    d.access_log.length = (*log_tip)->id;
    d.access_log.tip = (*log_tip)->hash;
  }
  d.signature = to_hex(key.sign(signing::as_bytes(signed_message(d))));
  return d;
}

Result<std::filesystem::path> write_digest_file(const std::filesystem::path& dir, const Digest& digest,
                                                const TimeZone& zone) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return tl::unexpected(fs::from_errno(ec.value(), "creating " + dir.string()));
  auto day = date::floor<date::days>(zone.to_local(digest.time));
  std::string date = format_date(day);
  date.erase(std::remove(date.begin(), date.end(), '-'), date.end());
  auto path = dir / ("digest-" + date + "-" + std::to_string(digest.seq) + ".json");
  if (auto st = fs::write_file_atomic(path, to_json(digest)); !st) return tl::unexpected(st.error());
  return path;
}

std::optional<DigestFile> latest_digest_file(const std::filesystem::path& dir) {
  std::optional<DigestFile> latest;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    // digest-YYYYMMDD-<seq>.json
    auto name = it->path().filename().string();
    if (!name.starts_with("digest-") || !name.ends_with(".json")) continue;
    auto dash = name.rfind('-');
    std::int64_t seq = 0;
    auto end = name.data() + name.size() - 5;
    auto [ptr, err] = std::from_chars(name.data() + dash + 1, end, seq);
    if (err == std::errc{} && ptr == end && (!latest || seq > latest->seq)) latest = DigestFile{seq, it->path()};
  }
  return latest;
}

std::int64_t next_digest_seq(const std::filesystem::path& dir) {
  auto latest = latest_digest_file(dir);
  return latest ? latest->seq + 1 : 1;
}

Result<std::vector<DigestFinding>> check_digest(index::Index& index, const Digest& digest,
                                                const std::optional<signing::PublicKey>& key) {
  std::vector<DigestFinding> out;
  std::string label = "digest no. " + std::to_string(digest.seq) + " of " + format_utc_iso(digest.time);
  if (!key) {
    out.push_back({"", 0, label + ": its signature cannot be checked: no key (give --pubkey FILE or --fingerprint HEX)"});
  } else {
    auto sig = signing::signature_from_hex(digest.signature);
    if (digest.key_fingerprint != key->fingerprint()) {
      out.push_back({"", 0, label + ": signed by another key " + digest.key_fingerprint +
                                " (not the box's trusted key " + key->fingerprint() + ")"});
      return out;  // what it says is nobody's word: nothing to compare
    }
    if (!sig || !key->verify(signing::as_bytes(signed_message(digest)), *sig)) {
      out.push_back({"", 0, label + ": signature does not match (the file was edited or forged)"});
      return out;
    }
  }
  auto cameras = index.cameras();
  if (!cameras) return tl::unexpected(cameras.error());
  for (const auto& said : digest.cameras) {
    bool known = std::any_of(cameras->begin(), cameras->end(), [&](const auto& c) { return c.id == said.chain; });
    if (!known) {
      out.push_back({said.chain, 0, "camera " + said.chain + " is in the digest but gone from the index"});
      continue;
    }
    if (auto st = check_chain(index, said, out); !st) return tl::unexpected(st.error());
    if (auto st = check_anchor(index, said, out); !st) return tl::unexpected(st.error());
  }
  if (auto st = check_chain(index, digest.box, out); !st) return tl::unexpected(st.error());
  if (digest.access_log.length > 0) {
    auto row = index.access_log_row(digest.access_log.length);
    if (!row) return tl::unexpected(row.error());
    if (!*row) {
      out.push_back({"", digest.access_log.length,
                     "access log: row " + std::to_string(digest.access_log.length) + ", which the digest saw, is gone"});
    } else if ((*row)->hash != *digest.access_log.tip) {
      out.push_back({"", digest.access_log.length,
                     "access log: row " + std::to_string(digest.access_log.length) +
                         " differs from the digest's (the log up to it was rewritten after the digest)"});
    }
  }
  for (auto& f : out) f.detail = label + ": " + f.detail;
  return out;
}

UtcTime next_digest_time(UtcTime now, int minute_of_day, const TimeZone& zone) {
  return next_time_of_day(now, std::chrono::minutes(minute_of_day), zone);
}

}  // namespace carekeep::exports
