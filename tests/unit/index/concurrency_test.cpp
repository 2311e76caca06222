#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <thread>

#include "index/index.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using index::Index;

namespace {

constexpr int kBatches = 200;
constexpr int kRowsPerBatch = 10;
const UtcTime kT0 = from_us(1'795'000'000'000'000);

}  // namespace

// The CLI reads while the daemon writes (STYLE.md §3). In WAL mode a reader works on a
// snapshot and never waits for the writer: it must see whole batches only, growing, and no
// error at all, while the writer commits with synchronous=full on the real disk.
TEST_CASE("a reader sees whole batches while the writer commits", "[db]") {
  test::TempDir dir;
  auto path = dir / "index.db";
  auto writer_index = Index::open_writer(path);
  REQUIRE(writer_index);
  std::array<index::ConfiguredCamera, 1> cameras{{{"nap-1", "nap"}}};
  REQUIRE(writer_index->sync_cameras(cameras, kT0));
  auto daemon = writer_index->begin_daemon_run({kT0, "test", 1, "host"}).value();
  auto run = writer_index->begin_run("nap-1", daemon, kT0).value();

  auto reader = Index::open_reader(path);
  REQUIRE(reader);
  auto& db = reader->connection();

  std::atomic<int> committed{0};
  std::atomic<bool> writer_failed{false};
  std::thread writer([&] {
    // Catch2 assertions are not thread-safe: the writer reports through atomics.
    for (int batch = 0; batch < kBatches; ++batch) {
      auto tx = writer_index->transaction();
      if (!tx) {
        writer_failed = true;
        return;
      }
      for (int i = 0; i < kRowsPerBatch; ++i) {
        std::int64_t seq = batch * kRowsPerBatch + i;
        auto start = kT0 + seq * 60s;
        if (!writer_index->insert_open_segment({"nap-1", run, seq, start, std::to_string(seq) + ".mp4", start})) {
          writer_failed = true;
          return;
        }
      }
      if (!tx->commit()) {
        writer_failed = true;
        return;
      }
      committed = batch + 1;
    }
  });

  std::int64_t last = 0;
  int reads = 0;
  bool snapshot_held = false;
  while (committed.load() < kBatches && !writer_failed.load()) {
    auto count = db.query_int64("select count(*) from segment");
    // Checked with if + FAIL: thousands of reads would each count as an assertion.
    if (!count) FAIL("a read failed while the writer committed: " << count.error().message);  // e.g. SQLITE_BUSY
    if (*count % kRowsPerBatch != 0 || *count < last) FAIL("read " << *count << " rows after " << last);
    last = *count;
    ++reads;
    if (!snapshot_held && committed.load() > 0 && committed.load() < kBatches / 2) {
      // Inside one read transaction the reader keeps its snapshot while commits go on.
      REQUIRE(db.exec("begin"));
      auto before = db.query_int64("select count(*) from segment").value();
      int target = committed.load() + 3;
      while (committed.load() < target && !writer_failed.load()) std::this_thread::yield();
      CHECK(db.query_int64("select count(*) from segment").value() == before);
      REQUIRE(db.exec("commit"));
      snapshot_held = true;
    }
  }
  writer.join();
  REQUIRE_FALSE(writer_failed.load());
  CHECK(snapshot_held);
  CHECK(reads > 1);
  CHECK(db.query_int64("select count(*) from segment").value() == kBatches * kRowsPerBatch);
}
