#include <catch2/catch.hpp>

#include <array>

#include "index/index.hpp"
#include "retention/storage.hpp"
#include "support/temp_dir.hpp"
#include "unit/retention/helpers.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using index::SegmentState;

TEST_CASE("storage is measured with statvfs and the index's footage bytes", "[retention][db]") {
  test::TempDir dir;
  auto index = index::Index::open_writer(dir / "index.db").value();
  const UtcTime t0 = test::utc("2026-11-18T00:00Z");
  const std::array<index::ConfiguredCamera, 1> cameras{{{"nap-1", "nap-1"}}};
  REQUIRE(index.sync_cameras(cameras, t0));
  auto run = index.begin_run("nap-1", index.begin_daemon_run({t0, "0.1.0", 1, "nvr"}).value(), t0).value();
  auto add = [&](std::int64_t seq, UtcTime start, std::int64_t bytes, std::optional<UtcTime> protect) {
    auto id =
        index.insert_open_segment({"nap-1", run, seq, start, "nap-1/" + std::to_string(seq) + ".mp4", start}).value();
    index::ClosedSegment c;
    c.duration = 60s;
    c.size_bytes = bytes;
    c.protect_until = protect;
    c.closed = start + 60s;
    REQUIRE(index.close_segment(id, c));
    return id;
  };
  const UtcTime now = t0 + std::chrono::days{30};
  auto old_id = add(0, t0, 3'000'000, std::nullopt);                             // 30 days old, outside care
  auto recent_id = add(1, now - std::chrono::days{2}, 4'000'000, std::nullopt);  // 2 days old
  add(2, t0, 5'000'000, now + std::chrono::days{60});                            // protected

  auto st = retention::measure(dir.path(), index).value();
  CHECK(st.total_bytes > 0);
  CHECK(st.free_bytes <= st.total_bytes);
  CHECK(st.footage_bytes == 12'000'000);

  auto missing = retention::measure(dir / "nowhere", index);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::NotFound);
  CHECK(missing.error().message.find("nowhere") != std::string::npos);

  // Without pressure only what has expired is loaded; under pressure every unprotected row.
  config::Retention r;
  retention::StorageState roomy{1'000'000'000, 900'000'000, 12'000'000};
  auto calm = retention::load_candidates(index, r, roomy, now).value();
  REQUIRE(calm.size() == 1);
  CHECK(calm[0].id == old_id);
  r.max_bytes = 10'000'000;  // 2 MB over the quota
  auto pressed = retention::load_candidates(index, r, roomy, now).value();
  REQUIRE(pressed.size() == 2);
  CHECK(pressed[0].id == old_id);
  CHECK(pressed[1].id == recent_id);
}
