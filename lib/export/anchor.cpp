#include "export/anchor.hpp"

#include <optional>

#include "base/sha256.hpp"

namespace carekeep::exports {

std::string anchor_message(const index::NewAnchor& a) {
  auto opt_int = [](const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : std::string("-"); };
  auto opt_hash = [](const std::optional<index::Sha256>& h) { return h ? to_hex(*h) : std::string("-"); };
  std::string v1_fields = std::to_string(to_us(a.time)) + "\n" + a.camera_id + "\n" + opt_int(a.tip_segment_id) +
                          "\n" + opt_hash(a.chain_sha256) + "\n" + opt_int(a.access_log_id) + "\n" +
                          opt_hash(a.access_log_hash) + "\n";
  // Format 1 anchors were signed before migration 0006; their message cannot change.
  if (a.format == 1) return "carekeep-anchor/1\n" + v1_fields;
  return "carekeep-anchor/2\n" + opt_int(a.seq) + "\n" + opt_hash(a.prev_anchor_sha256) + "\n" + v1_fields +
         opt_int(a.entry_seq) + "\n" + opt_hash(a.entry_sha256) + "\n" + opt_int(a.box_entry_seq) + "\n" +
         opt_hash(a.box_entry_sha256) + "\n";
}

index::Sha256 anchor_sha256(const index::NewAnchor& anchor) { return sha256_of(anchor_message(anchor)); }

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
  auto box_tip = index.chain_entry_tip(index::kBoxChain);
  if (!box_tip) return tl::unexpected(box_tip.error());
  std::vector<index::AnchorRow> stored;
  for (const auto& camera : *cameras) {
    index::NewAnchor a;
    a.time = now;
    a.camera_id = camera.id;
    // Sequence and link: from the camera's previous anchor, whatever its format.
    auto previous = index.anchors(camera.id);
    if (!previous) return tl::unexpected(previous.error());
    a.seq = 1;
    a.prev_anchor_sha256 = index::Sha256{};
    for (auto it = previous->rbegin(); it != previous->rend(); ++it) {
      if (it == previous->rbegin()) a.prev_anchor_sha256 = anchor_sha256(it->anchor);
      if (it->anchor.seq) {
        a.seq = *it->anchor.seq + 1;
        break;
      }
    }
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
    auto entry_tip = index.chain_entry_tip(camera.id);
    if (!entry_tip) return tl::unexpected(entry_tip.error());
    if (*entry_tip) {
      a.entry_seq = (*entry_tip)->seq;
      a.entry_sha256 = (*entry_tip)->hash;
    }
    if (*box_tip) {
      a.box_entry_seq = (*box_tip)->seq;
      a.box_entry_sha256 = (*box_tip)->hash;
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
