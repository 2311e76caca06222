#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "index/index.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using namespace std::chrono_literals;

namespace {

struct BenchMode {
  std::string synchronous;  // "full" (what the daemon uses) or "normal", for comparison
  bool checkpoints;         // false: WAL grows on every commit, so each fsync also extends the file
};

}  // namespace

// A hand-run measurement, not a test (hidden tag): how many commits of a 10-segment batch
// the index sustains with synchronous=full on this disk, against synchronous=normal. Run as
//   build/db/tests/unit/index/index_test "[.bench]"
// with CAREKEEP_BENCH_DIR=/path/on/the/target/disk to measure somewhere other than $TMPDIR.
// The result is written up in docs/index.md (Index: durability).
TEST_CASE("commit rate of 10-row segment batches", "[.bench]") {
  constexpr int kCommits = 500;
  constexpr int kRows = 10;
  const UtcTime t0 = from_us(1'795'000'000'000'000);
  test::TempDir tmp;
  const char* target = std::getenv("CAREKEEP_BENCH_DIR");
  auto dir = target != nullptr ? std::filesystem::path(target) : tmp.path();

  for (const auto& mode : {BenchMode{"full", true}, BenchMode{"normal", true}, BenchMode{"full", false}}) {
    auto path = dir / "bench.db";
    {
      auto index = index::Index::open_writer(path).value();
      auto& db = index.connection();
      REQUIRE(db.exec("pragma synchronous = " + mode.synchronous));
      if (!mode.checkpoints) REQUIRE(db.exec("pragma wal_checkpoint(truncate); pragma wal_autocheckpoint = 0"));
      std::array<index::ConfiguredCamera, 1> cameras{{{"cam", "cam"}}};
      REQUIRE(index.sync_cameras(cameras, t0));
      auto daemon = index.begin_daemon_run({t0, "bench", 1, "host"}).value();
      auto run = index.begin_run("cam", daemon, t0).value();

      auto started = std::chrono::steady_clock::now();
      for (int c = 0; c < kCommits; ++c) {
        auto tx = index.transaction().value();
        for (int i = 0; i < kRows; ++i) {
          std::int64_t seq = c * kRows + i;
          auto start = t0 + seq * 60s;
          auto id = index.insert_open_segment({"cam", run, seq, start, std::to_string(seq) + ".mp4", start}).value();
          index::ClosedSegment closed;
          closed.duration = 60s;
          closed.closed = start + 60s;
          REQUIRE(index.close_segment(id, closed));
        }
        REQUIRE(index.mark_daemon_alive(daemon, t0 + c * 1s));
        REQUIRE(tx.commit());
      }
      std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
      std::cout << "synchronous=" << mode.synchronous << (mode.checkpoints ? ", WAL reused" : ", WAL growing")
                << ": " << kCommits << " commits of " << kRows << " segments (insert + close) in " << elapsed.count()
                << " s = " << kCommits / elapsed.count() << " commits/s, " << 1000 * elapsed.count() / kCommits
                << " ms/commit";
      if (!mode.checkpoints) {
        std::cout << ", " << std::filesystem::file_size(path.string() + "-wal") / kCommits << " WAL bytes/commit";
      }
      std::cout << "\n";
    }
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  }
}
