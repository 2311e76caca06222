#include "export/anchor.hpp"

#include <optional>

#include "segment/hash.hpp"

namespace carekeep::exports {

std::string anchor_message(const index::NewAnchor& a) {
  auto opt_int = [](const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : std::string("-"); };
  auto opt_hash = [](const std::optional<index::Sha256>& h) { return h ? segment::to_hex(*h) : std::string("-"); };
  return "carekeep-anchor/1\n" + std::to_string(to_us(a.time)) + "\n" + a.camera_id + "\n" + opt_int(a.tip_segment_id) +
         "\n" + opt_hash(a.chain_sha256) + "\n" + opt_int(a.access_log_id) + "\n" + opt_hash(a.access_log_hash) + "\n";
}

Result<std::vector<index::AnchorRow>> sign_anchors(index::Index& index, const signing::KeyPair& key, UtcTime now) {
  // In the daemon the catalog may hold its batch transaction open (committed within a
  // second): the anchors then join it instead of failing to BEGIN inside it.
  std::optional<sqlite::Transaction> tx;
  if (!index.connection().in_transaction()) {
    auto begun = index.transaction();
    if (!begun) return tl::unexpected(std::move(begun.error()).with_context("signing integrity anchors"));
    tx.emplace(std::move(*begun));
  }
  auto cameras = index.cameras();
  if (!cameras) return tl::unexpected(cameras.error());
  auto log_tip = index.last_access_log();
  if (!log_tip) return tl::unexpected(log_tip.error());
  std::vector<index::AnchorRow> stored;
  for (const auto& camera : *cameras) {
    index::NewAnchor a;
    a.time = now;
    a.camera_id = camera.id;
    auto tip = index.chain_tip(camera.id);
    if (!tip) return tl::unexpected(tip.error());
    if (*tip) {
      a.tip_segment_id = (*tip)->first;
      a.chain_sha256 = (*tip)->second;
    }
    if (*log_tip) {
      a.access_log_id = (*log_tip)->id;
      a.access_log_hash = (*log_tip)->hash;
    }
    a.signature = key.sign(signing::as_bytes(anchor_message(a)));
    a.key_fingerprint = key.fingerprint();
    auto id = index.insert_anchor(a);
    if (!id) return tl::unexpected(id.error());
    stored.push_back({*id, std::move(a)});
  }
  if (tx) {
    if (auto st = tx->commit(); !st) return tl::unexpected(std::move(st.error()).with_context("signing integrity anchors"));
  }
  return stored;
}

}  // namespace carekeep::exports
