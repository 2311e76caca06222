// The access log's hash chain and the signed anchors, on a real index file.
#include <catch2/catch.hpp>

#include "export/actor.hpp"
#include "export/anchor.hpp"
#include "index/index.hpp"
#include "signing/signing.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;

namespace {
const UtcTime kT0 = UtcTime{date::sys_days{date::year{2026} / 11 / 20}};

void append(index::Index& index, const std::string& action, int n) {
  for (int i = 0; i < n; ++i) {
    auto row = exports::record_access(index, {1000, "inspector"}, action, R"({"n":)" + std::to_string(i) + "}", "ok");
    REQUIRE(row);
  }
}
}  // namespace

TEST_CASE("access log rows chain from 32 zero bytes and each hash covers the row", "[db]") {
  test::TempDir dir;
  auto index = index::Index::open_writer(dir / "index.db").value();
  CHECK(index.verify_access_log().value().empty());
  append(index, "export", 3);
  auto rows = index.access_log({UtcTime{}, from_us(INT64_MAX / 2)}).value();
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].id == 1);
  CHECK(rows[0].prev_hash == index::Sha256{});
  CHECK(rows[1].prev_hash == rows[0].hash);
  CHECK(rows[2].prev_hash == rows[1].hash);
  CHECK(index::access_log_hash(rows[2]) == rows[2].hash);
  CHECK(index.verify_access_log().value().empty());
  CHECK(index.last_access_log().value()->id == 3);
}

TEST_CASE("removing access log rows is found in the middle and at the end", "[db]") {
  test::TempDir dir;
  auto index = index::Index::open_writer(dir / "index.db").value();
  append(index, "verify", 5);
  REQUIRE(index.connection().exec("drop trigger access_log_no_delete"));
  SECTION("middle") {
    REQUIRE(index.connection().exec("delete from access_log where id = 3"));
    auto findings = index.verify_access_log().value();
    REQUIRE(findings.size() == 2);  // the gap and the broken prev_hash of row 4
    CHECK(findings[0].id == 4);
    CHECK(findings[0].problem.find("rows 3..3 are missing") != std::string::npos);
  }
  SECTION("end") {
    REQUIRE(index.connection().exec("delete from access_log where id >= 4"));
    auto findings = index.verify_access_log().value();
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].problem.find("rows 4..5 are missing at the end") != std::string::npos);
  }
}

TEST_CASE("anchors sign each camera's chain tip and the access log tip", "[db]") {
  test::TempDir dir;
  auto index = index::Index::open_writer(dir / "index.db").value();
  std::vector<index::ConfiguredCamera> cams{{"a", "A"}, {"b", "B"}};
  REQUIRE(index.sync_cameras(cams, kT0));
  append(index, "export", 2);
  auto key = signing::KeyPair::load_or_create(dir.path()).value();
  auto stored = exports::sign_anchors(index, key, kT0).value();
  REQUIRE(stored.size() == 2);
  auto pub = signing::PublicKey::from_pem(key.public_key_pem()).value();
  auto rows = index.anchors().value();
  REQUIRE(rows.size() == 2);
  for (const auto& row : rows) {
    CHECK_FALSE(row.anchor.tip_segment_id.has_value());  // no footage yet
    CHECK(row.anchor.access_log_id == std::optional<std::int64_t>(2));
    CHECK(row.anchor.key_fingerprint == key.fingerprint());
    CHECK(pub.verify(signing::as_bytes(exports::anchor_message(row.anchor)), row.anchor.signature));
    auto edited = row.anchor;
    edited.access_log_id = 1;
    CHECK_FALSE(pub.verify(signing::as_bytes(exports::anchor_message(edited)), row.anchor.signature));
  }
}

TEST_CASE("anchors join a batch transaction the daemon holds open", "[db]") {
  test::TempDir dir;
  auto index = index::Index::open_writer(dir / "index.db").value();
  std::vector<index::ConfiguredCamera> cams{{"a", "A"}};
  REQUIRE(index.sync_cameras(cams, kT0));
  auto key = signing::KeyPair::load_or_create(dir.path()).value();
  auto batch = index.transaction().value();
  REQUIRE(exports::sign_anchors(index, key, kT0));
  REQUIRE(exports::record_access(index, {0, "root"}, "export", "{}", "ok"));
  REQUIRE(batch.commit());
  CHECK(index.anchors().value().size() == 1);
  CHECK(index.verify_access_log().value().empty());
}
