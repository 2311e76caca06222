// The signed digest that leaves the box (export/digest.hpp, issue 15) on a real index file:
// made, written, read back and checked; a history rewritten after it, re-hashed and re-anchored
// with the real key, is named by chain and entry; a digest by another key is refused. Also
// verify's stale-anchor finding and the digest's schedule.
#include <catch2/catch.hpp>

#include <array>
#include <string>

#include "export/anchor.hpp"
#include "export/digest.hpp"
#include "export/verify.hpp"
#include "index/index.hpp"
#include "signing/signing.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {

const UtcTime kT0 = from_us(1'795'000'000'000'000);  // 2026-11-18

Sha256 hash_of(std::uint8_t seed) {
  Sha256 h{};
  for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint8_t>(seed + i);
  return h;
}

std::string blob(const Sha256& h) { return "x'" + to_hex(h) + "'"; }

// The access log needs a row for the digest to name; who made it does not matter here.
Result<index::AccessLogRow> log_row(index::Index& index) {
  return index.append_access_log({kT0, 0, "root", "key", "{}", "ok"});
}

// One camera with three closed minutes, an access log row, a hold and the daemon's anchors.
struct Box {
  test::TempDir dir;
  index::Index index = index::Index::open_writer(dir / "index.db").value();
  signing::KeyPair key = signing::KeyPair::load_or_create(dir.path()).value();
  std::vector<index::SegmentId> ids;

  explicit Box(UtcTime start = kT0, int segments = 3) {
    const std::array<index::ConfiguredCamera, 1> cameras{{{"nap-1", "午睡室 1"}}};
    REQUIRE(index.sync_cameras(cameras, start));
    auto daemon = index.begin_daemon_run({start, "0.1.0", 4242, "nvr"}).value();
    auto run = index.begin_run("nap-1", daemon, start).value();
    for (int i = 0; i < segments; ++i) add_segment(run, i, start + i * 60s);
    index::NewHold hold{"nap-1", std::nullopt, start, start + 1h, "complaint", start, 0, "root"};
    REQUIRE(index.insert_hold(hold));
    REQUIRE(log_row(index));
    REQUIRE(exports::sign_anchors(index, key, start + 3min));
  }

  void add_segment(index::RunId run, int i, UtcTime start) {
    auto id = index.insert_open_segment({"nap-1", run, i, start, "nap-1/" + std::to_string(i) + ".mp4", start}).value();
    index::ClosedSegment c;
    c.duration = 60s;
    c.size_bytes = 7'500'000 + i;
    c.frames = 1500;
    c.keyframes = 30;
    c.video_codec = "h264";
    c.width = 1920;
    c.height = 1080;
    c.sha256 = hash_of(static_cast<std::uint8_t>(i + 1));
    c.closed = start + 60s;
    REQUIRE(index.close_segment(id, c));
    ids.push_back(id);
  }

  exports::Digest digest(std::int64_t seq = 1) {
    return exports::make_digest(index, key, "阳光家庭托育点", std::string(64, 'a'), seq, kT0 + 10min).value();
  }
  std::optional<signing::PublicKey> public_key() const { return signing::PublicKey::from_pem(key.public_key_pem()).value(); }
  void sql(const std::string& text) { REQUIRE(index.connection().exec(text)); }
};

std::string all(const std::vector<exports::DigestFinding>& findings) {
  std::string out;
  for (const auto& f : findings) out += "[" + f.chain + " #" + std::to_string(f.seq) + "] " + f.detail + "\n";
  return out;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a digest is signed, written atomically under its date and number, and reads back the same", "[db]") {
  Box box;
  auto d = box.digest(1);
  CHECK(d.seq == 1);
  REQUIRE(d.cameras.size() == 1);
  CHECK(d.cameras[0].chain == "nap-1");
  CHECK(d.cameras[0].length == 6);  // each segment's opening and its close
  CHECK(d.cameras[0].tip == box.index.chain_entry_tip("nap-1").value()->hash);
  CHECK(d.cameras[0].anchor_seq == std::optional<std::int64_t>(1));
  CHECK(d.box.length == 1);
  CHECK(d.access_log.length == 1);
  CHECK(d.key_fingerprint == box.key.fingerprint());

  auto dir = box.dir / "digests";
  CHECK(exports::next_digest_seq(dir) == 1);  // no folder yet
  auto file = exports::write_digest_file(dir, d, TimeZone::locate("Asia/Shanghai").value()).value();
  CHECK(file.filename() == "digest-20261118-1.json");
  CHECK(exports::next_digest_seq(dir) == 2);
  // The newest file by number, not by name order: no. 10 after no. 9 (what /metrics reports).
  CHECK_FALSE(exports::latest_digest_file(box.dir / "nowhere"));
  test::write_text(dir / "digest-20261119-9.json", "{}");
  test::write_text(dir / "digest-20261120-10.json", "{}");
  test::write_text(dir / "digest-20261121-x.json", "{}");
  auto latest = exports::latest_digest_file(dir);
  REQUIRE(latest);
  CHECK(latest->seq == 10);
  CHECK(latest->path == dir / "digest-20261120-10.json");
  CHECK(exports::next_digest_seq(dir) == 11);
  std::filesystem::remove(dir / "digest-20261119-9.json");
  std::filesystem::remove(dir / "digest-20261120-10.json");
  std::filesystem::remove(dir / "digest-20261121-x.json");
  auto back = exports::digest_from_json(test::read_text(file)).value();
  CHECK(exports::signed_message(back) == exports::signed_message(d));
  CHECK(back.site == "阳光家庭托育点");
  CHECK(exports::check_digest(box.index, back, box.public_key()).value().empty());

  // A later history extends it: more footage after the digest is no finding.
  box.add_segment(1, 3, kT0 + 3min);
  REQUIRE(exports::sign_anchors(box.index, box.key, kT0 + 20min));
  CHECK(exports::check_digest(box.index, back, box.public_key()).value().empty());

  // Not a digest, or another format: refused with what is wrong.
  CHECK(exports::digest_from_json("[]").error().message == "not a JSON object");
  auto text = test::read_text(file);
  text.replace(text.find("carekeep-digest/1"), 17, "carekeep-digest/9");
  CHECK(contains(exports::digest_from_json(text).error().message, "format \"carekeep-digest/9\""));
}

TEST_CASE("a history rewritten after the digest is named by chain and entry, even re-hashed and re-anchored", "[db]") {
  Box box;
  auto before = box.digest();
  // The attacker holds the index and the key: segment 2's size is changed in its row and in
  // its chain entry, every entry from it on re-hashed, and the anchors made anew and signed
  // with the real key, so the index on its own is consistent again.
  box.sql("drop trigger chain_entry_no_update");
  box.sql("drop trigger integrity_anchor_no_delete");
  box.sql("update segment set size_bytes = 1000 where id = " + std::to_string(box.ids[1]));
  auto entries = box.index.chain_entries("nap-1").value();
  Sha256 previous{};
  for (auto& e : entries) {
    if (e.segment_id == box.ids[1] && e.kind != "opened") {  // an opening has no size
      auto at = e.record.find("size_bytes=");
      e.record.replace(at, e.record.find('\n', at) - at, "size_bytes=1000");
    }
    e.prev_hash = previous;
    e.hash = index::chain_entry_hash(e);
    previous = e.hash;
    box.sql("update chain_entry set record = '" + e.record + "', prev_hash = " + blob(e.prev_hash) + ", hash = " +
            blob(e.hash) + " where chain = 'nap-1' and seq = " + std::to_string(e.seq));
  }
  box.sql("delete from integrity_anchor");
  REQUIRE(exports::sign_anchors(box.index, box.key, kT0 + 3min));
  REQUIRE(box.index.verify_chain("nap-1", SystemClock{}.now()).value().empty());  // consistent on its own

  auto findings = exports::check_digest(box.index, before, box.public_key()).value();
  INFO(all(findings));
  REQUIRE(findings.size() == 2);
  CHECK(findings[0].chain == "nap-1");
  CHECK(findings[0].seq == 6);  // the digest's tip
  CHECK(contains(findings[0].detail, "camera nap-1's chain: entry 6 differs from the digest's"));
  CHECK(contains(findings[1].detail, "camera nap-1: anchor no. 1 differs from the one the digest saw"));

  SECTION("entries removed at the end") {
    box.sql("drop trigger chain_entry_no_delete");
    box.sql("delete from chain_entry where chain = 'nap-1' and seq = 6");
    auto gone = exports::check_digest(box.index, before, box.public_key()).value();
    INFO(all(gone));
    CHECK(contains(all(gone), "entry 6 is gone (the chain now ends at 5)"));
  }
  SECTION("the box chain and the access log") {
    box.sql("drop trigger access_log_no_update");
    // Re-hashed as a rewriter would (an edit without it is verify's access-log finding).
    box.sql("update access_log set result = 'denied', hash = " + blob(hash_of(7)) + " where id = 1");
    box.sql("update chain_entry set hash = " + blob(hash_of(9)) + " where chain = '' and seq = 1");
    auto both = all(exports::check_digest(box.index, before, box.public_key()).value());
    CHECK(contains(both, "the box chain (holds): entry 1 differs"));
    CHECK(contains(both, "access log: row 1 differs"));
  }
}

TEST_CASE("a digest signed by another key, or edited, is refused and compared with nothing", "[db]") {
  Box box;
  test::TempDir other_dir;
  auto other = signing::KeyPair::load_or_create(other_dir.path()).value();
  auto forged = exports::make_digest(box.index, other, "x", "", 1, kT0).value();
  auto findings = exports::check_digest(box.index, forged, box.public_key()).value();
  REQUIRE(findings.size() == 1);
  CHECK(contains(findings[0].detail, "signed by another key " + other.fingerprint()));

  auto edited = box.digest();
  edited.cameras[0].length = 2;  // to make an older state look like the one that left the box
  findings = exports::check_digest(box.index, edited, box.public_key()).value();
  REQUIRE(findings.size() == 1);
  CHECK(contains(findings[0].detail, "signature does not match"));

  findings = exports::check_digest(box.index, box.digest(), std::nullopt).value();
  REQUIRE(findings.size() == 1);
  CHECK(contains(findings[0].detail, "cannot be checked: no key"));
}

TEST_CASE("verify names an anchor more than a day older than the chain it should cover", "[db]") {
  Box box;  // anchored at kT0 + 3 min
  exports::VerifyOptions options;
  options.cameras = {"nap-1"};
  options.quick = true;
  options.key.key = box.public_key();
  options.key.trust = signing::KeyTrust::Given;
  auto anchor_findings = [&] {
    std::string out;
    auto report = exports::verify_footage(box.index, box.dir / "media", options, {}).value();
    for (const auto& f : report.findings)
      if (f.kind == "anchor") out += f.detail + "\n";
    return out;
  };
  CHECK(anchor_findings().empty());
  // Footage a day later (within the 25 h allowance) with no new anchor: still fine.
  box.add_segment(1, 3, kT0 + 24h);
  CHECK(anchor_findings().empty());
  // 27 h after the anchor the daemon would have signed again: the newer anchors are missing.
  box.add_segment(1, 4, kT0 + 27h);
  auto found = anchor_findings();
  CHECK(contains(found, "the newest anchor (no. 1) of 2026-11-18"));
  CHECK(contains(found, "is older than a day: chain entry 10 was written 26 h after it"));
  // A new anchor ends it.
  REQUIRE(exports::sign_anchors(box.index, box.key, kT0 + 28h));
  CHECK(anchor_findings().empty());
}

TEST_CASE("the daily digest is due at the configured local time, today or tomorrow", "[time]") {
  auto shanghai = TimeZone::locate("Asia/Shanghai").value();
  // 2026-11-18 12:00 in Shanghai (04:00 UTC).
  auto noon = UtcTime{date::sys_days{date::year{2026} / 11 / 18}} + 4h;
  CHECK(format_utc_iso(exports::next_digest_time(noon, 23 * 60 + 55, shanghai)) == "2026-11-18T15:55:00Z");
  CHECK(format_utc_iso(exports::next_digest_time(noon, 6 * 60, shanghai)) == "2026-11-18T22:00:00Z");
  // Exactly at the time: the next day's (the one now is being made).
  auto at = exports::next_digest_time(noon, 12 * 60, shanghai);
  CHECK(format_utc_iso(at) == "2026-11-19T04:00:00Z");
  // Across a DST change the local time is kept (Berlin, 2026-10-25 has 25 hours).
  auto berlin = TimeZone::locate("Europe/Berlin").value();
  auto saturday = UtcTime{date::sys_days{date::year{2026} / 10 / 24}} + 22h;  // 00:00 CEST on the 25th
  CHECK(format_utc_iso(exports::next_digest_time(saturday, 23 * 60 + 55, berlin)) == "2026-10-25T22:55:00Z");
}
