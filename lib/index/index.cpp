#include "index/index.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "index/chain_store.hpp"
#include "index/query.hpp"
#include "index/schema.hpp"
#include "sqlite/migrate.hpp"

namespace carekeep::index {
namespace {

using sqlite::Statement;
using namespace detail;

// CHECK (length(...) = 32) makes a malformed hash impossible in a file we wrote; one that
// is anyway was edited outside carekeep, and is reported rather than silently dropped.
Result<std::optional<Sha256>> sha256_at(const Statement& q, int column) {
  if (q.is_null(column)) return std::nullopt;
  auto bytes = q.column<sqlite::Bytes>(column);
  Sha256 hash{};
  if (bytes.size() != hash.size()) {
    return fail(ErrorKind::DataLoss, "a hash of " + std::to_string(bytes.size()) + " bytes instead of 32");
  }
  std::copy(bytes.begin(), bytes.end(), hash.begin());
  return hash;
}

void bind_range(Statement& q, TimeRange range) {
  q.bind(":from_us", to_us(range.from)).bind(":to_us", to_us(range.to));
}

}  // namespace

// ---- opening ---------------------------------------------------------------------------

// INSERT OR REPLACE deletes the row it replaces, and that delete fires triggers only with
// recursive_triggers on; without it, REPLACE could rewrite an append-only access_log row.
constexpr std::string_view kConnectionPragmasSql = "pragma recursive_triggers = on";

Result<Index> Index::open_writer(const std::filesystem::path& path) {
  auto db = sqlite::Connection::open_writer(path);
  if (!db) return tl::unexpected(std::move(db.error()));
  if (auto st = sqlite::migrate(*db, schema_history()); !st) return tl::unexpected(std::move(st.error()));
  if (auto st = db->exec(kConnectionPragmasSql); !st) return tl::unexpected(std::move(st.error()));
  return Index(std::move(*db));
}

Result<Index> Index::open_reader(const std::filesystem::path& path) {
  auto db = sqlite::Connection::open_reader(path);
  if (!db) return tl::unexpected(std::move(db.error()));
  if (auto st = sqlite::check_schema(*db, schema_history()); !st) return tl::unexpected(std::move(st.error()));
  if (auto st = db->exec(kConnectionPragmasSql); !st) return tl::unexpected(std::move(st.error()));
  return Index(std::move(*db));
}

Result<sqlite::Transaction> Index::transaction() { return sqlite::Transaction::begin(db_); }

Result<std::optional<sqlite::Transaction>> Index::begin_unless_in_transaction() {
  if (db_.in_transaction()) return std::optional<sqlite::Transaction>();
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return tl::unexpected(std::move(tx.error()));
  return std::optional<sqlite::Transaction>(std::move(*tx));
}

// ---- cameras ---------------------------------------------------------------------------

constexpr std::string_view kUpsertCameraSql = R"sql(
  insert into camera (id, name, first_seen_us) values (:id, :name, :now_us)
  on conflict (id) do update set name = excluded.name, removed_us = null
)sql";
constexpr std::string_view kMarkCameraRemovedSql = R"sql(
  update camera set removed_us = :now_us where id = :id and removed_us is null
)sql";

Status Index::sync_cameras(std::span<const ConfiguredCamera> configured, UtcTime now) {
  auto tx = begin_unless_in_transaction();
  if (!tx) return failed(std::move(tx.error()), "syncing cameras");
  for (const auto& camera : configured) {
    auto st = run_write(db_, kUpsertCameraSql, "syncing camera " + camera.id, [&](Statement& q) {
      q.bind(":id", camera.id).bind(":name", camera.name).bind(":now_us", to_us(now));
    });
    if (!st) return st;
  }
  auto known = cameras();
  if (!known) return failed(std::move(known.error()), "syncing cameras");
  for (const auto& row : *known) {
    bool listed = std::any_of(configured.begin(), configured.end(), [&](const auto& c) { return c.id == row.id; });
    if (listed || row.removed) continue;
    auto st = run_write(db_, kMarkCameraRemovedSql, "marking camera " + row.id + " removed", [&](Statement& q) {
      q.bind(":id", row.id).bind(":now_us", to_us(now));
    });
    if (!st) return st;
  }
  if (*tx) return (*tx)->commit();
  return ok();
}

constexpr std::string_view kCamerasSql = R"sql(
  select id, name, first_seen_us, removed_us from camera order by id
)sql";

Result<std::vector<CameraRow>> Index::cameras() {
  return query_rows<CameraRow>(
      db_, kCamerasSql, "listing cameras", [](Statement&) {},
      [](const Statement& q) -> Result<CameraRow> {
        return CameraRow{q.column<std::string>(0), q.column<std::string>(1), time_at(q, 2), opt_time_at(q, 3)};
      });
}

// ---- daemon runs -----------------------------------------------------------------------

constexpr std::string_view kInsertDaemonRunSql = R"sql(
  insert into daemon_run (started_us, alive_us, version, pid, hostname)
  values (:started_us, :started_us, :version, :pid, :hostname)
)sql";

Result<DaemonRunId> Index::begin_daemon_run(const DaemonRunStart& start) {
  auto st = run_write(db_, kInsertDaemonRunSql, "recording the daemon start", [&](Statement& q) {
    q.bind(":started_us", to_us(start.started))
        .bind(":version", start.version)
        .bind(":pid", start.pid)
        .bind(":hostname", start.hostname);
  });
  if (!st) return tl::unexpected(std::move(st.error()));
  return db_.last_insert_rowid();
}

constexpr std::string_view kMarkDaemonAliveSql = R"sql(
  update daemon_run set alive_us = :now_us where id = :id
)sql";

Status Index::mark_daemon_alive(DaemonRunId id, UtcTime now) {
  return update_one(db_, kMarkDaemonAliveSql, "marking daemon run " + std::to_string(id) + " alive",
                    [&](Statement& q) { q.bind(":id", id).bind(":now_us", to_us(now)); });
}

constexpr std::string_view kEndDaemonRunSql = R"sql(
  update daemon_run set stopped_us = :stopped_us, alive_us = max(alive_us, :stopped_us), stop_reason = :reason
  where id = :id
)sql";

Status Index::end_daemon_run(DaemonRunId id, UtcTime stopped, std::string_view reason) {
  return update_one(db_, kEndDaemonRunSql, "ending daemon run " + std::to_string(id), [&](Statement& q) {
    q.bind(":id", id).bind(":stopped_us", to_us(stopped)).bind(":reason", reason);
  });
}

// A crashed daemon's RTSP runs end at the latest instant known to have been recorded: the
// daemon's last proof of life or the end of the run's last indexed segment.
constexpr std::string_view kEndCrashedRunsSql = R"sql(
  update run set
    ended_us = max(started_us,
                   (select alive_us from daemon_run where daemon_run.id = run.daemon_run_id),
                   coalesce((select max(end_us) from segment where segment.run_id = run.id), 0)),
    end_cause = 'crash'
  where ended_us is null
    and daemon_run_id in (select id from daemon_run where stopped_us is null)
)sql";
constexpr std::string_view kEndCrashedDaemonRunsSql = R"sql(
  update daemon_run set stopped_us = alive_us, stop_reason = 'crash' where stopped_us is null
)sql";

Result<std::int64_t> Index::end_crashed_daemon_runs() {
  auto tx = begin_unless_in_transaction();
  if (!tx) return failed(std::move(tx.error()), "ending crashed daemon runs");
  if (auto st = run_write(db_, kEndCrashedRunsSql, "ending runs of crashed daemons", [](Statement&) {}); !st) {
    return tl::unexpected(std::move(st.error()));
  }
  if (auto st = run_write(db_, kEndCrashedDaemonRunsSql, "ending crashed daemon runs", [](Statement&) {}); !st) {
    return tl::unexpected(std::move(st.error()));
  }
  std::int64_t ended = db_.changes();
  if (*tx) {
    if (auto st = (*tx)->commit(); !st) return tl::unexpected(std::move(st.error()));
  }
  return ended;
}

constexpr std::string_view kDaemonRunsSql = R"sql(
  select id, started_us, alive_us, stopped_us, stop_reason, version, pid, hostname
  from daemon_run
  where started_us < :to_us and (stopped_us is null or stopped_us > :from_us)
  order by started_us, id
)sql";

Result<std::vector<DaemonRunRow>> Index::daemon_runs(TimeRange range) {
  return query_rows<DaemonRunRow>(
      db_, kDaemonRunsSql, "listing daemon runs", [&](Statement& q) { bind_range(q, range); },
      [](const Statement& q) -> Result<DaemonRunRow> {
        return DaemonRunRow{q.column<std::int64_t>(0),
                            time_at(q, 1),
                            time_at(q, 2),
                            opt_time_at(q, 3),
                            q.column<std::optional<std::string>>(4),
                            q.column<std::string>(5),
                            q.column<std::int64_t>(6),
                            q.column<std::string>(7)};
      });
}

// ---- RTSP runs -------------------------------------------------------------------------

constexpr std::string_view kInsertRunSql = R"sql(
  insert into run (camera_id, daemon_run_id, started_us) values (:camera_id, :daemon_run_id, :started_us)
)sql";

Result<RunId> Index::begin_run(std::string_view camera_id, DaemonRunId daemon_run, UtcTime started) {
  auto st = run_write(db_, kInsertRunSql, "camera " + std::string(camera_id) + ": recording a new run",
                      [&](Statement& q) {
                        q.bind(":camera_id", camera_id)
                            .bind(":daemon_run_id", daemon_run)
                            .bind(":started_us", to_us(started));
                      });
  if (!st) return tl::unexpected(std::move(st.error()));
  return db_.last_insert_rowid();
}

constexpr std::string_view kEndRunSql = R"sql(
  update run set ended_us = :ended_us, end_cause = :cause where id = :id
)sql";

Status Index::end_run(RunId id, UtcTime ended, std::string_view cause) {
  return update_one(db_, kEndRunSql, "ending run " + std::to_string(id), [&](Statement& q) {
    q.bind(":id", id).bind(":ended_us", to_us(ended)).bind(":cause", cause);
  });
}

constexpr std::string_view kRunsSql = R"sql(
  select id, camera_id, daemon_run_id, started_us, ended_us, end_cause
  from run
  where camera_id = :camera_id and started_us < :to_us and (ended_us is null or ended_us > :from_us)
  order by started_us, id
)sql";

Result<std::vector<RunRow>> Index::runs(std::string_view camera_id, TimeRange range) {
  return query_rows<RunRow>(
      db_, kRunsSql, "camera " + std::string(camera_id) + ": listing runs",
      [&](Statement& q) {
        q.bind(":camera_id", camera_id);
        bind_range(q, range);
      },
      [](const Statement& q) -> Result<RunRow> {
        return RunRow{q.column<std::int64_t>(0), q.column<std::string>(1),         q.column<std::int64_t>(2),
                      time_at(q, 3),             opt_time_at(q, 4), q.column<std::optional<std::string>>(5)};
      });
}

// ---- segments --------------------------------------------------------------------------

constexpr std::string_view kInsertOpenSegmentSql = R"sql(
  insert into segment (camera_id, run_id, seq, start_us, end_us, path, created_us)
  values (:camera_id, :run_id, :seq, :start_us, :start_us, :path, :created_us)
)sql";

Result<SegmentId> Index::insert_open_segment(const OpenSegment& segment) {
  std::string what = "camera " + segment.camera_id + ": indexing " + segment.path;
  // The row and its 'opened' entry are written together or not at all: recovery adopts a
  // crashed segment only when its open row is in the chain.
  auto tx = begin_unless_in_transaction();
  if (!tx) return failed(std::move(tx.error()), what);
  auto st = run_write(db_, kInsertOpenSegmentSql, what,
                      [&](Statement& q) {
                        q.bind(":camera_id", segment.camera_id)
                            .bind(":run_id", segment.run_id)
                            .bind(":seq", segment.seq)
                            .bind(":start_us", to_us(segment.start))
                            .bind(":path", segment.path)
                            .bind(":created_us", to_us(segment.created));
                      });
  if (!st) return tl::unexpected(std::move(st.error()));
  SegmentId id = db_.last_insert_rowid();
  if (auto chained = chain_segment_opening(id, segment.created); !chained) return failed(std::move(chained.error()), what);
  if (auto committed = commit_if_owned(*tx, what); !committed) return tl::unexpected(std::move(committed.error()));
  return id;
}

// Only while open: a late report after the close must not bring the row back.
constexpr std::string_view kSaveCheckpointSql = R"sql(
  insert into segment_checkpoint (segment_id, bytes, sha256, time_us)
  select id, :bytes, :sha256, :time_us from segment where id = :id and state = 'open'
  on conflict (segment_id) do update set bytes = excluded.bytes, sha256 = excluded.sha256, time_us = excluded.time_us
)sql";

Status Index::save_segment_checkpoint(SegmentId id, const SegmentCheckpoint& checkpoint) {
  return run_write(db_, kSaveCheckpointSql, "saving the checkpoint of segment " + std::to_string(id),
                   [&](Statement& q) {
                     q.bind(":id", id)
                         .bind(":bytes", checkpoint.bytes)
                         .bind(":sha256", checkpoint.sha256)
                         .bind(":time_us", to_us(checkpoint.time));
                   });
}

constexpr std::string_view kCheckpointSql =
    "select bytes, sha256, time_us from segment_checkpoint where segment_id = :id";

Result<std::optional<SegmentCheckpoint>> Index::segment_checkpoint(SegmentId id) {
  auto rows = query_rows<SegmentCheckpoint>(
      db_, kCheckpointSql, "reading the checkpoint of segment " + std::to_string(id),
      [&](Statement& q) { q.bind(":id", id); },
      [](const Statement& q) -> Result<SegmentCheckpoint> {
        auto sha = sha256_at(q, 1);
        if (!sha) return tl::unexpected(std::move(sha.error()));
        return SegmentCheckpoint{q.column<std::int64_t>(0), sha->value_or(Sha256{}), time_at(q, 2)};
      });
  return detail::first_of(std::move(rows));
}

constexpr std::string_view kDeleteCheckpointSql = "delete from segment_checkpoint where segment_id = :id";

constexpr std::string_view kSegmentCameraSql = "select camera_id from segment where id = :id and state = 'open'";

constexpr std::string_view kCloseSegmentSql = R"sql(
  update segment set
    start_us = coalesce(:start_us, start_us),
    duration_us = :duration_us,
    end_us = coalesce(:start_us, start_us) + :duration_us,
    size_bytes = :size_bytes,
    frames = :frames,
    keyframes = :keyframes,
    video_codec = :video_codec,
    width = :width,
    height = :height,
    audio_codec = :audio_codec,
    sha256 = :sha256,
    chain_sha256 = :chain_sha256,
    state = :state,
    state_detail = :state_detail,
    protect_until_us = :protect_until_us,
    closed_us = :closed_us
  where id = :id and state = 'open'
)sql";

Status Index::close_segment(SegmentId id, const ClosedSegment& closed) {
  std::string what = "closing segment " + std::to_string(id);
  if (closed.state != SegmentState::Closed && closed.state != SegmentState::Recovered &&
      closed.state != SegmentState::Damaged) {
    return fail(ErrorKind::InvalidArgument, what + ": a segment closes as closed, recovered or damaged, not " +
                                                std::string(to_string(closed.state)));
  }
  // The row, its file chain link and its chain entry are written together or not at all.
  auto tx = begin_unless_in_transaction();
  if (!tx) return failed(std::move(tx.error()), what);
  std::string camera_id;
  {
    auto camera = db_.cached(kSegmentCameraSql);
    if (!camera) return failed(std::move(camera.error()), what);
    (*camera)->bind(":id", id);
    auto found = (*camera)->step();
    if (!found) return failed(std::move(found.error()), what);
    if (!*found) return fail(ErrorKind::FailedPrecondition, what + ": no open segment with that id");
    camera_id = (*camera)->column<std::string>(0);
  }
  auto previous = last_closed_chain(camera_id);
  if (!previous) return failed(std::move(previous.error()), what);
  const Sha256 file_link = file_chain_link(previous->value_or(Sha256{}), closed.sha256);
  auto st = run_write(db_, kCloseSegmentSql, what, [&](Statement& q) {
    q.bind(":id", id)
        .bind(":start_us", opt_us(closed.start))
        .bind(":duration_us", closed.duration.count())
        .bind(":size_bytes", closed.size_bytes)
        .bind(":frames", closed.frames)
        .bind(":keyframes", closed.keyframes)
        .bind(":video_codec", closed.video_codec)
        .bind(":width", closed.width)
        .bind(":height", closed.height)
        .bind(":audio_codec", closed.audio_codec)
        .bind(":sha256", closed.sha256)
        .bind(":chain_sha256", file_link)
        .bind(":state", to_string(closed.state))
        .bind(":state_detail", closed.state_detail)
        .bind(":protect_until_us", opt_us(closed.protect_until))
        .bind(":closed_us", to_us(closed.closed));
  });
  if (!st) return st;
  // Closing twice would overwrite the hash that a chain link already depends on.
  if (db_.changes() == 0) return fail(ErrorKind::FailedPrecondition, what + ": no open segment with that id");
  if (auto chained = chain_segment(id, to_string(closed.state), closed.closed); !chained) return failed(std::move(chained.error()), what);
  // The file's whole SHA-256 now stands for it: a checkpoint is scratch state of open rows.
  if (auto dropped = run_write(db_, kDeleteCheckpointSql, what, [&](Statement& q) { q.bind(":id", id); }); !dropped)
    return dropped;
  return commit_if_owned(*tx, what);
}

constexpr std::string_view kMarkSegmentDamagedSql = R"sql(
  update segment set state = 'damaged', state_detail = :detail
  where id = :id and state in ('closed', 'recovered')
)sql";

Status Index::mark_segment_damaged(SegmentId id, std::string_view detail) {
  std::string what = "marking segment " + std::to_string(id) + " damaged";
  auto tx = begin_unless_in_transaction();
  if (!tx) return failed(std::move(tx.error()), what);
  auto st = run_write(db_, kMarkSegmentDamagedSql, what,
                      [&](Statement& q) { q.bind(":id", id).bind(":detail", detail); });
  if (!st) return st;
  if (db_.changes() == 0) {
    return fail(ErrorKind::FailedPrecondition, what + ": no closed or recovered segment with that id");
  }
  // Recovery has no clock of its own to pass; the entry is dated when the change is made.
  if (auto chained = chain_segment(id, "damaged", SystemClock{}.now()); !chained) return failed(std::move(chained.error()), what);
  return commit_if_owned(*tx, what);
}

// Highest id first: ids follow the order segments were opened, which is the chain order;
// start_us is not, because the wall clock can step back.
constexpr std::string_view kLastChainSql = R"sql(
  select chain_sha256 from segment
  where camera_id = :camera_id and chain_sha256 is not null
  order by id desc limit 1
)sql";

Result<std::optional<Sha256>> Index::last_closed_chain(std::string_view camera_id) {
  std::string what = "camera " + std::string(camera_id) + ": reading the chain tip";
  auto q = db_.cached(kLastChainSql);
  if (!q) return failed(std::move(q.error()), what);
  (*q)->bind(":camera_id", camera_id);
  auto row = (*q)->step();
  if (!row) return failed(std::move(row.error()), what);
  if (!*row) return std::nullopt;
  auto hash = sha256_at(**q, 0);
  if (!hash) return failed(std::move(hash.error()), what);
  return *hash;
}

// The column list of every segment query, in the order read_segment() reads it.
constexpr std::string_view kSegmentColumns =
    "id, camera_id, run_id, seq, start_us, duration_us, end_us, path, size_bytes, frames, keyframes, "
    "video_codec, width, height, audio_codec, sha256, chain_sha256, state, state_detail, protect_until_us, "
    "created_us, closed_us, deleted_us, suspect_clock";

namespace {

Result<SegmentRow> read_segment(const Statement& q) {
  SegmentRow row;
  row.id = q.column<std::int64_t>(0);
  row.camera_id = q.column<std::string>(1);
  row.run_id = q.column<std::int64_t>(2);
  row.seq = q.column<std::int64_t>(3);
  row.start = time_at(q, 4);
  row.duration = Micros{q.column<std::int64_t>(5)};
  row.end = time_at(q, 6);
  row.path = q.column<std::string>(7);
  row.size_bytes = q.column<std::int64_t>(8);
  row.frames = q.column<std::int64_t>(9);
  row.keyframes = q.column<std::int64_t>(10);
  row.video_codec = q.column<std::string>(11);
  row.width = q.column<int>(12);
  row.height = q.column<int>(13);
  row.audio_codec = q.column<std::optional<std::string>>(14);
  auto sha256 = sha256_at(q, 15);
  auto chain = sha256_at(q, 16);
  auto state_text = q.column<std::string>(17);
  auto state = parse_segment_state(state_text);
  std::string what = "segment " + std::to_string(row.id);
  if (!sha256) return failed(std::move(sha256.error()), what);
  if (!chain) return failed(std::move(chain.error()), what);
  if (!state) return fail(ErrorKind::DataLoss, what + ": unknown state '" + state_text + "'");
  row.sha256 = *sha256;
  row.chain_sha256 = *chain;
  row.state = *state;
  row.state_detail = q.column<std::string>(18);
  row.protect_until = opt_time_at(q, 19);
  row.created = time_at(q, 20);
  row.closed = opt_time_at(q, 21);
  row.deleted = opt_time_at(q, 22);
  row.suspect_clock = q.column<std::int64_t>(23) != 0;
  return row;
}

}  // namespace

// Overlap with [from, to); uses segment_span for camera_id and start_us < to (and its order).
const std::string kSegmentsInRangeSql = "select " + std::string(kSegmentColumns) + R"sql(
  from segment
  where camera_id = :camera_id and start_us < :to_us and (end_us > :from_us or state = 'open')
  order by start_us, id
)sql";

Result<std::vector<SegmentRow>> Index::segments(std::string_view camera_id, TimeRange range) {
  return query_rows<SegmentRow>(
      db_, kSegmentsInRangeSql, "camera " + std::string(camera_id) + ": listing segments",
      [&](Statement& q) {
        q.bind(":camera_id", camera_id);
        bind_range(q, range);
      },
      read_segment);
}

// Served by the covering index segment_span alone: the walk of the index yields every column
// but the detail, which only a damaged row needs; for those (rare) rows the CASE reads it from
// the table by rowid. Naming state_detail directly would make SQLite fetch every table row.
constexpr std::string_view kSegmentSpansInRangeSql = R"sql(
  select id, run_id, start_us, end_us, state,
         case when state = 'damaged' then (select d.state_detail from segment d where d.id = segment.id) end
  from segment
  where camera_id = :camera_id and start_us < :to_us and (end_us > :from_us or state = 'open')
  order by start_us, id
)sql";

Result<std::vector<SegmentSpan>> Index::segment_spans(std::string_view camera_id, TimeRange range) {
  return query_rows<SegmentSpan>(
      db_, kSegmentSpansInRangeSql, "camera " + std::string(camera_id) + ": listing segment spans",
      [&](Statement& q) {
        q.bind(":camera_id", camera_id);
        bind_range(q, range);
      },
      [](const Statement& q) -> Result<SegmentSpan> {
        SegmentSpan span;
        span.id = q.column<std::int64_t>(0);
        span.run_id = q.column<std::int64_t>(1);
        span.start = time_at(q, 2);
        span.end = time_at(q, 3);
        // Read in place: a std::string per row was a visible share of a 2 M-row read.
        auto state_text = q.column<std::string_view>(4);
        auto state = parse_segment_state(state_text);
        if (!state) {
          return fail(ErrorKind::DataLoss,
                      "segment " + std::to_string(span.id) + ": unknown state '" + std::string(state_text) + "'");
        }
        span.state = *state;
        if (span.state == SegmentState::Damaged) {
          auto detail = q.column<std::string_view>(5);
          for (auto opening : kFileMissingDetails) span.file_missing = span.file_missing || detail.starts_with(opening);
        }
        return span;
      });
}

// segment_by_camera is (camera_id, rowid): the chain order without a sort.
const std::string kChainSegmentsSql = "select " + std::string(kSegmentColumns) + R"sql(
  from segment where camera_id = :camera_id order by id
)sql";

Result<std::vector<SegmentRow>> Index::chain_segments(std::string_view camera_id) {
  return query_rows<SegmentRow>(
      db_, kChainSegmentsSql, "camera " + std::string(camera_id) + ": reading the hash chain",
      [&](Statement& q) { q.bind(":camera_id", camera_id); }, read_segment);
}

// The literal 'open' lets SQLite use the partial index segment_unfinished.
const std::string kOpenSegmentsSql = "select " + std::string(kSegmentColumns) + R"sql(
  from segment where state = 'open' order by camera_id, id
)sql";

Result<std::vector<SegmentRow>> Index::open_segments() {
  return query_rows<SegmentRow>(db_, kOpenSegmentsSql, "listing open segments", [](Statement&) {}, read_segment);
}

// ---- retention -------------------------------------------------------------------------

const std::string kSegmentByIdSql = "select " + std::string(kSegmentColumns) + " from segment where id = :id";

Result<std::optional<SegmentRow>> Index::segment(SegmentId id) {
  auto rows = query_rows<SegmentRow>(
      db_, kSegmentByIdSql, "reading segment " + std::to_string(id), [&](Statement& q) { q.bind(":id", id); },
      read_segment);
  return detail::first_of(std::move(rows));
}

namespace {

constexpr std::string_view kRetentionColumns =
    "id, camera_id, start_us, end_us, path, size_bytes, state, protect_until_us";

Result<RetentionRow> read_retention_row(const Statement& q) {
  RetentionRow row;
  row.id = q.column<std::int64_t>(0);
  row.camera_id = q.column<std::string>(1);
  row.start = time_at(q, 2);
  row.end = time_at(q, 3);
  row.path = q.column<std::string>(4);
  row.size_bytes = q.column<std::int64_t>(5);
  auto state_text = q.column<std::string>(6);
  auto state = parse_segment_state(state_text);
  if (!state) {
    return fail(ErrorKind::DataLoss, "segment " + std::to_string(row.id) + ": unknown state '" + state_text + "'");
  }
  row.state = *state;
  row.protect_until = opt_time_at(q, 7);
  return row;
}

}  // namespace

// Two ranges of segment_retention, whose WHERE clause the `state in (...)` term repeats word
// for word: SQLite uses a partial index only when the query implies its condition literally.
// The NULL range (no protection) comes first, as the index sorts it.
const std::string kRetentionCandidatesSql = "select " + std::string(kRetentionColumns) + R"sql(
  from segment
  where state in ('closed', 'recovered', 'damaged') and protect_until_us is null and end_us <= :ended_by_us
  union all
  select )sql" + std::string(kRetentionColumns) + R"sql(
  from segment
  where state in ('closed', 'recovered', 'damaged') and protect_until_us <= :expired_by_us
  order by protect_until_us, end_us, id
)sql";

Result<std::vector<RetentionRow>> Index::retention_candidates(UtcTime protected_expired_by,
                                                              UtcTime unprotected_ended_by) {
  return query_rows<RetentionRow>(
      db_, kRetentionCandidatesSql, "listing retention candidates",
      [&](Statement& q) {
        q.bind(":expired_by_us", to_us(protected_expired_by)).bind(":ended_by_us", to_us(unprotected_ended_by));
      },
      read_retention_row);
}

// The protection test is part of the update, so no caller can mark protected footage, even
// with a stale plan; state_detail keeps what it said before (why the row was recovered or
// damaged) and gains the reason for the deletion.
constexpr std::string_view kMarkSegmentDeletingSql = R"sql(
  update segment set
    state = 'deleting',
    state_detail = case when state_detail = '' then :detail else state_detail || '; ' || :detail end
  where id = :id and state in ('closed', 'recovered', 'damaged')
    and (protect_until_us is null or protect_until_us <= :now_us)
)sql";

Status Index::mark_segment_deleting(SegmentId id, UtcTime now, std::string_view detail) {
  std::string what = "marking segment " + std::to_string(id) + " deleting";
  auto tx = begin_unless_in_transaction();
  if (!tx) return failed(std::move(tx.error()), what);
  auto st = run_write(db_, kMarkSegmentDeletingSql, what,
                      [&](Statement& q) { q.bind(":id", id).bind(":now_us", to_us(now)).bind(":detail", detail); });
  if (!st) return st;
  if (db_.changes() == 0) {
    return fail(ErrorKind::FailedPrecondition,
                what + ": no closed, recovered or damaged segment with that id whose protection has ended");
  }
  if (auto chained = chain_segment(id, "deleting", now); !chained) return failed(std::move(chained.error()), what);
  return commit_if_owned(*tx, what);
}

constexpr std::string_view kMarkSegmentDeletedSql = R"sql(
  update segment set state = 'deleted', deleted_us = :deleted_us where id = :id and state = 'deleting'
)sql";

Status Index::mark_segment_deleted(SegmentId id, UtcTime deleted) {
  std::string what = "marking segment " + std::to_string(id) + " deleted";
  auto tx = begin_unless_in_transaction();
  if (!tx) return failed(std::move(tx.error()), what);
  auto st = run_write(db_, kMarkSegmentDeletedSql, what,
                      [&](Statement& q) { q.bind(":id", id).bind(":deleted_us", to_us(deleted)); });
  if (!st) return st;
  if (db_.changes() == 0) return fail(ErrorKind::FailedPrecondition, what + ": no deleting segment with that id");
  if (auto chained = chain_segment(id, "deleted", deleted); !chained) return failed(std::move(chained.error()), what);
  return commit_if_owned(*tx, what);
}

// The literal 'deleting' lets SQLite use the partial index segment_unfinished.
const std::string kDeletingSegmentsSql = "select " + std::string(kRetentionColumns) + R"sql(
  from segment where state = 'deleting' order by id
)sql";

Result<std::vector<RetentionRow>> Index::deleting_segments() {
  return query_rows<RetentionRow>(db_, kDeletingSegmentsSql, "listing segments left deleting", [](Statement&) {},
                                  read_retention_row);
}

// Live rows from the covering partial index segment_retention, `deleting` ones from
// segment_unfinished; open rows are 0 bytes until they close, deleted ones have no file.
constexpr std::string_view kFootageBytesSql = R"sql(
  select (select coalesce(sum(size_bytes), 0) from segment where state in ('closed', 'recovered', 'damaged'))
       + (select coalesce(sum(size_bytes), 0) from segment where state = 'deleting')
)sql";

Result<std::int64_t> Index::footage_bytes() {
  auto rows = query_rows<std::int64_t>(
      db_, kFootageBytesSql, "summing footage bytes", [](Statement&) {},
      [](const Statement& q) -> Result<std::int64_t> { return q.column<std::int64_t>(0); });
  if (!rows) return tl::unexpected(std::move(rows.error()));
  return rows->empty() ? 0 : rows->front();
}

constexpr std::string_view kInsertHoldSql = R"sql(
  insert into hold (camera_id, zone_id, from_us, to_us, reason, created_us, created_uid, created_user, case_number,
                    placed_as)
  values (:camera_id, :zone_id, :from_us, :to_us, :reason, :created_us, :created_uid, :created_user, :case_number,
          :placed_as)
)sql";

Result<std::int64_t> Index::insert_hold(const NewHold& hold) {
  auto tx = begin_unless_in_transaction();
  if (!tx) return failed(std::move(tx.error()), "placing a hold");
  auto st = run_write(db_, kInsertHoldSql, "placing a hold", [&](Statement& q) {
    q.bind(":camera_id", hold.camera_id)
        .bind(":zone_id", hold.zone_id)
        .bind(":from_us", to_us(hold.from))
        .bind(":to_us", to_us(hold.to))
        .bind(":reason", hold.reason)
        .bind(":created_us", to_us(hold.created))
        .bind(":created_uid", hold.created_uid)
        .bind(":created_user", hold.created_user)
        .bind(":case_number", hold.case_number)
        .bind(":placed_as", std::string_view(hold.by_inspector ? "inspector" : "operator"));
  });
  if (!st) return tl::unexpected(std::move(st.error()));
  auto id = db_.last_insert_rowid();
  if (auto chained = chain_hold(id, "hold", hold.created); !chained) return failed(std::move(chained.error()), "placing a hold");
  if (auto done = commit_if_owned(*tx, "placing a hold"); !done) return tl::unexpected(std::move(done.error()));
  return id;
}

// `released_us is null` matches the partial index hold_active's condition.
constexpr std::string_view kActiveHoldsSql = R"sql(
  select id, camera_id, zone_id, from_us, to_us, reason, created_us, created_uid, created_user, released_us
  from hold where released_us is null order by id
)sql";

Result<std::vector<HoldRow>> Index::active_holds() {
  return query_rows<HoldRow>(
      db_, kActiveHoldsSql, "listing active holds", [](Statement&) {},
      [](const Statement& q) -> Result<HoldRow> {
        return HoldRow{q.column<std::int64_t>(0),
                       q.column<std::optional<std::string>>(1),
                       q.column<std::optional<std::string>>(2),
                       time_at(q, 3),
                       time_at(q, 4),
                       q.column<std::string>(5),
                       time_at(q, 6),
                       q.column<std::int64_t>(7),
                       q.column<std::string>(8),
                       opt_time_at(q, 9)};
      });
}

constexpr std::string_view kAllHoldsSql = R"sql(
  select id, camera_id, zone_id, from_us, to_us, reason, created_us, created_uid, created_user, released_us,
         released_uid, released_user, case_number, placed_as = 'inspector'
  from hold order by id
)sql";

// Migration 0006 adopts the holds of a version-5 file, which has neither column of 0008.
constexpr std::string_view kAllHoldsV6Sql = R"sql(
  select id, camera_id, zone_id, from_us, to_us, reason, created_us, created_uid, created_user, released_us,
         released_uid, released_user
  from hold order by id
)sql";

constexpr std::string_view kHoldByIdSql = R"sql(
  select id, camera_id, zone_id, from_us, to_us, reason, created_us, created_uid, created_user, released_us,
         released_uid, released_user, case_number, placed_as = 'inspector'
  from hold where id = :id
)sql";

namespace {

HoldRecord read_hold_record(const Statement& q) {
        HoldRecord record{HoldRow{q.column<std::int64_t>(0),
                                  q.column<std::optional<std::string>>(1),
                                  q.column<std::optional<std::string>>(2),
                                  time_at(q, 3),
                                  time_at(q, 4),
                                  q.column<std::string>(5),
                                  time_at(q, 6),
                                  q.column<std::int64_t>(7),
                                  q.column<std::string>(8),
                                  opt_time_at(q, 9)},
                          q.column<std::optional<std::int64_t>>(10),
                          q.column<std::optional<std::string>>(11)};
  if (q.column_count() > 12) {
    record.hold.case_number = q.column<std::optional<std::string>>(12);
    record.hold.by_inspector = q.column<std::int64_t>(13) != 0;
  }
  return record;
}

}  // namespace

Result<std::vector<HoldRecord>> Index::holds() {
  return query_rows<HoldRecord>(
      db_, kAllHoldsSql, "listing holds", [](Statement&) {},
      [](const Statement& q) -> Result<HoldRecord> { return read_hold_record(q); });
}

constexpr std::string_view kReleaseHoldSql = R"sql(
  update hold set released_us = :released_us, released_uid = :released_uid, released_user = :released_user
  where id = :id and released_us is null
)sql";

Status Index::release_hold(std::int64_t id, UtcTime when, std::int64_t uid, std::string_view user) {
  std::string what = "releasing hold " + std::to_string(id);
  auto tx = begin_unless_in_transaction();
  if (!tx) return failed(std::move(tx.error()), what);
  auto st = update_one(db_, kReleaseHoldSql, what, [&](Statement& q) {
    q.bind(":released_us", to_us(when)).bind(":released_uid", uid).bind(":released_user", user).bind(":id", id);
  });
  if (!st) return st;
  if (auto chained = chain_hold(id, "release", when); !chained) return failed(std::move(chained.error()), what);
  return commit_if_owned(*tx, what);
}

// ---- evidence chain: the entries the writes above append (index/chain.hpp) ---------------

Status Index::chain_segment(SegmentId id, std::string_view kind, UtcTime time) {
  auto row = segment(id);
  if (!row) return tl::unexpected(std::move(row.error()));
  if (!*row) return fail(ErrorKind::Internal, "segment " + std::to_string(id) + " vanished while being written");
  ChainEntry entry;
  entry.chain = (*row)->camera_id;
  entry.time = time;
  entry.kind = std::string(kind);
  entry.segment_id = id;
  entry.record = segment_record(**row);
  if (auto appended = detail::append_entry(db_, std::move(entry)); !appended) return tl::unexpected(appended.error());
  return ok();
}

Status Index::chain_segment_opening(SegmentId id, UtcTime time) {
  auto row = segment(id);
  if (!row) return tl::unexpected(std::move(row.error()));
  if (!*row) return fail(ErrorKind::Internal, "segment " + std::to_string(id) + " vanished while being written");
  ChainEntry entry;
  entry.chain = (*row)->camera_id;
  entry.time = time;
  entry.kind = "opened";
  entry.segment_id = id;
  entry.record = segment_opening_record(**row);
  if (auto appended = detail::append_entry(db_, std::move(entry)); !appended) return tl::unexpected(appended.error());
  return ok();
}

Status Index::chain_hold(std::int64_t id, std::string_view kind, UtcTime time) {
  ChainEntry entry;
  entry.chain = std::string(kBoxChain);
  entry.time = time;
  entry.kind = std::string(kind);
  entry.hold_id = id;
  {
    auto q = db_.cached(kHoldByIdSql);
    if (!q) return tl::unexpected(std::move(q.error()));
    (*q)->bind(":id", id);
    auto found = (*q)->step();
    if (!found) return tl::unexpected(std::move(found.error()));
    if (!*found) return fail(ErrorKind::Internal, "hold " + std::to_string(id) + " vanished while being written");
    entry.record = hold_record(read_hold_record(**q));
  }
  if (auto appended = detail::append_entry(db_, std::move(entry)); !appended) return tl::unexpected(appended.error());
  return ok();
}

Status Index::commit_if_owned(std::optional<sqlite::Transaction>& tx, std::string_view what) {
  if (!tx) return ok();
  if (auto st = tx->commit(); !st) return failed(std::move(st.error()), what);
  return ok();
}

namespace detail {

// Not a query_rows: that would hold every row in memory, and this reads all of them once.
Status adopt_existing_rows(sqlite::Connection& db, UtcTime now) {
  auto segments = db.prepare("select " + std::string(kSegmentColumns) + " from segment where state <> 'open' order by id");
  if (!segments) return tl::unexpected(std::move(segments.error()));
  for (;;) {
    auto step = segments->step();
    if (!step) return tl::unexpected(std::move(step.error()));
    if (!*step) break;
    auto row = read_segment(*segments);
    if (!row) return tl::unexpected(std::move(row.error()));
    ChainEntry entry{row->camera_id, 0, now, "adopted", row->id, std::nullopt, segment_record(*row), {}, {}};
    if (auto appended = append_entry(db, std::move(entry)); !appended) return tl::unexpected(appended.error());
  }
  auto holds = db.prepare(kAllHoldsV6Sql);
  if (!holds) return tl::unexpected(std::move(holds.error()));
  for (;;) {
    auto step = holds->step();
    if (!step) return tl::unexpected(std::move(step.error()));
    if (!*step) break;
    auto hold = read_hold_record(*holds);
    ChainEntry entry{std::string(kBoxChain), 0, now, "adopted", std::nullopt, hold.hold.id, hold_record(hold), {}, {}};
    if (auto appended = append_entry(db, std::move(entry)); !appended) return tl::unexpected(appended.error());
  }
  return ok();
}

Status chain_existing_open_rows(sqlite::Connection& db, UtcTime now) {
  auto segments = db.prepare("select " + std::string(kSegmentColumns) + " from segment where state = 'open' order by id");
  if (!segments) return tl::unexpected(std::move(segments.error()));
  for (;;) {
    auto step = segments->step();
    if (!step) return tl::unexpected(std::move(step.error()));
    if (!*step) break;
    auto row = read_segment(*segments);
    if (!row) return tl::unexpected(std::move(row.error()));
    ChainEntry entry{row->camera_id, 0, now, "opened", row->id, std::nullopt, segment_opening_record(*row), {}, {}};
    if (auto appended = append_entry(db, std::move(entry)); !appended) return tl::unexpected(appended.error());
  }
  return ok();
}

}  // namespace detail

// ---- events ----------------------------------------------------------------------------

constexpr std::string_view kInsertCameraEventSql = R"sql(
  insert into camera_event (camera_id, time_us, kind, cause, detail)
  values (:camera_id, :time_us, :kind, :cause, :detail)
)sql";

Result<std::int64_t> Index::insert_camera_event(const CameraEventRow& event) {
  auto st = run_write(db_, kInsertCameraEventSql, "camera " + event.camera_id + ": recording an event",
                      [&](Statement& q) {
                        q.bind(":camera_id", event.camera_id)
                            .bind(":time_us", to_us(event.time))
                            .bind(":kind", to_string(event.kind))
                            .bind(":cause", event.cause)
                            .bind(":detail", event.detail);
                      });
  if (!st) return tl::unexpected(std::move(st.error()));
  return db_.last_insert_rowid();
}

namespace {

Result<CameraEventRow> read_camera_event(const Statement& q) {
  auto kind_text = q.column<std::string>(3);
  auto kind = parse_camera_event_kind(kind_text);
  if (!kind) return fail(ErrorKind::DataLoss, "camera event with unknown kind '" + kind_text + "'");
  return CameraEventRow{q.column<std::int64_t>(0), q.column<std::string>(1), time_at(q, 2), *kind,
                        q.column<std::string>(4),  q.column<std::string>(5)};
}

}  // namespace

constexpr std::string_view kCameraEventsSql = R"sql(
  select id, camera_id, time_us, kind, cause, detail from camera_event
  where time_us >= :from_us and time_us < :to_us
  order by time_us, id
)sql";
constexpr std::string_view kCameraEventsOfCameraSql = R"sql(
  select id, camera_id, time_us, kind, cause, detail from camera_event
  where camera_id = :camera_id and time_us >= :from_us and time_us < :to_us
  order by time_us, id
)sql";

Result<std::vector<CameraEventRow>> Index::camera_events(TimeRange range, std::optional<std::string_view> camera_id) {
  return query_rows<CameraEventRow>(
      db_, camera_id ? kCameraEventsOfCameraSql : kCameraEventsSql, "listing camera events",
      [&](Statement& q) {
        if (camera_id) q.bind(":camera_id", *camera_id);
        bind_range(q, range);
      },
      read_camera_event);
}

constexpr std::string_view kInsertClockEventSql = R"sql(
  insert into clock_event (time_us, step_us, ntp_synced, detail) values (:time_us, :step_us, :ntp_synced, :detail)
)sql";

Result<std::int64_t> Index::insert_clock_event(const ClockEventRow& event) {
  auto st = run_write(db_, kInsertClockEventSql, "recording a clock step", [&](Statement& q) {
    q.bind(":time_us", to_us(event.time))
        .bind(":step_us", event.step.count())
        .bind(":ntp_synced", event.ntp_synced)
        .bind(":detail", event.detail);
  });
  if (!st) return tl::unexpected(std::move(st.error()));
  return db_.last_insert_rowid();
}

constexpr std::string_view kClockEventsSql = R"sql(
  select id, time_us, step_us, ntp_synced, detail from clock_event
  where time_us >= :from_us and time_us < :to_us
  order by time_us, id
)sql";

Result<std::vector<ClockEventRow>> Index::clock_events(TimeRange range) {
  return query_rows<ClockEventRow>(
      db_, kClockEventsSql, "listing clock events", [&](Statement& q) { bind_range(q, range); },
      [](const Statement& q) -> Result<ClockEventRow> {
        return ClockEventRow{q.column<std::int64_t>(0), time_at(q, 1), Micros{q.column<std::int64_t>(2)},
                             q.column<std::optional<bool>>(3), q.column<std::string>(4)};
      });
}

// ---- clock guard and capacity forecast -------------------------------------------------

constexpr std::string_view kNewestSegmentEndSql = R"sql(
  select max((select end_us from segment s where s.camera_id = c.id order by s.start_us desc limit 1))
  from camera c
)sql";

Result<std::optional<UtcTime>> Index::newest_segment_end() {
  auto rows = query_rows<std::optional<UtcTime>>(
      db_, kNewestSegmentEndSql, "finding the newest footage", [](Statement&) {},
      [](const Statement& q) -> Result<std::optional<UtcTime>> { return opt_time_at(q, 0); });
  if (!rows) return tl::unexpected(std::move(rows.error()));
  return rows->empty() ? std::nullopt : rows->front();
}

// protect_until is the end plus care_days, so its order is the footage's (a change of
// care_days reorders by at most that change); both ends of segment_retention, live rows only.
constexpr std::string_view kOldestCareSql = R"sql(
  select start_us from segment
  where state in ('closed', 'recovered', 'damaged') and protect_until_us is not null
  order by protect_until_us, end_us limit 1
)sql";
constexpr std::string_view kNewestCareSql = R"sql(
  select end_us from segment
  where state in ('closed', 'recovered', 'damaged') and protect_until_us is not null
  order by protect_until_us desc, end_us desc limit 1
)sql";
// Spelled as segment_early_deletion's definition (and the report's query) so SQLite uses it.
constexpr std::string_view kDeletedEarlySql = R"sql(
  select count(*) from segment
  where state in ('deleting', 'deleted') and protect_until_us is not null
    and (deleted_us is null or deleted_us < protect_until_us)
    and coalesce(deleted_us, :now_us) < protect_until_us
)sql";

Result<Index::CareFootage> Index::care_footage(UtcTime now) {
  CareFootage out;
  auto read_time = [](const Statement& q) -> Result<UtcTime> { return time_at(q, 0); };
  auto oldest = first_of(query_rows<UtcTime>(db_, kOldestCareSql, "finding the oldest care footage", no_parameters, read_time));
  if (!oldest) return tl::unexpected(std::move(oldest.error()));
  auto newest = first_of(query_rows<UtcTime>(db_, kNewestCareSql, "finding the newest care footage", no_parameters, read_time));
  if (!newest) return tl::unexpected(std::move(newest.error()));
  auto early = query_rows<std::int64_t>(
      db_, kDeletedEarlySql, "counting care footage deleted early", [&](Statement& q) { q.bind(":now_us", to_us(now)); },
      [](const Statement& q) -> Result<std::int64_t> { return q.column<std::int64_t>(0); });
  if (!early) return tl::unexpected(std::move(early.error()));
  out.oldest_start = *oldest;
  out.newest_end = *newest;
  out.deleted_early = early->empty() ? 0 : early->front();
  return out;
}

constexpr std::string_view kFootageRateSql = R"sql(
  select protect_until_us is not null, total(size_bytes), total(duration_us) from segment
  where camera_id = :camera_id and start_us >= :from_us and start_us < :to_us and state in ('closed', 'recovered')
  group by 1
)sql";

Result<std::vector<FootageRate>> Index::footage_rates(TimeRange range) {
  auto known = cameras();
  if (!known) return tl::unexpected(std::move(known.error()));
  std::vector<FootageRate> rates;
  for (const auto& camera : *known) {
    FootageRate rate{camera.id};
    auto parts = query_rows<int>(
        db_, kFootageRateSql, "measuring footage of camera " + camera.id,
        [&](Statement& q) {
          q.bind(":camera_id", camera.id);
          bind_range(q, range);
        },
        [&](const Statement& q) -> Result<int> {
          auto bytes = static_cast<std::int64_t>(q.column<double>(1));
          Micros duration{static_cast<std::int64_t>(q.column<double>(2))};
          if (q.column<std::int64_t>(0) != 0) {
            rate.care_bytes = bytes;
            rate.care_duration = duration;
          } else {
            rate.other_bytes = bytes;
            rate.other_duration = duration;
          }
          return 0;
        });
    if (!parts) return tl::unexpected(std::move(parts.error()));
    if (rate.care_bytes > 0 || rate.other_bytes > 0) rates.push_back(std::move(rate));
  }
  return rates;
}

// ---- alerts ----------------------------------------------------------------------------

constexpr std::string_view kInsertAlertSql = R"sql(
  insert into alert (kind, subject, severity, message, raised_us, last_seen_us)
  values (:kind, :subject, :severity, :message, :raised_us, :raised_us)
)sql";

Result<std::int64_t> Index::insert_alert(const NewAlert& alert) {
  auto st = run_write(db_, kInsertAlertSql, "raising alert " + alert.kind, [&](Statement& q) {
    q.bind(":kind", alert.kind)
        .bind(":subject", alert.subject)
        .bind(":severity", alert.severity)
        .bind(":message", alert.message)
        .bind(":raised_us", to_us(alert.raised));
  });
  if (!st) return tl::unexpected(std::move(st.error()));
  return db_.last_insert_rowid();
}

constexpr std::string_view kRefreshAlertSql = R"sql(
  update alert set last_seen_us = max(last_seen_us, :seen_us), severity = :severity, message = :message
  where id = :id and resolved_us is null
)sql";

Status Index::refresh_alert(std::int64_t id, UtcTime seen, std::string_view severity, std::string_view message) {
  return update_one(db_, kRefreshAlertSql, "refreshing alert " + std::to_string(id), [&](Statement& q) {
    q.bind(":id", id).bind(":seen_us", to_us(seen)).bind(":severity", severity).bind(":message", message);
  });
}

constexpr std::string_view kResolveAlertSql = R"sql(
  update alert set resolved_us = max(:resolved_us, raised_us) where id = :id and resolved_us is null
)sql";

// max(): a wall clock stepped back between raise and resolve must not leave an alert that
// ended before it began.
Status Index::resolve_alert(std::int64_t id, UtcTime resolved) {
  return update_one(db_, kResolveAlertSql, "resolving alert " + std::to_string(id),
                    [&](Statement& q) { q.bind(":id", id).bind(":resolved_us", to_us(resolved)); });
}

constexpr std::string_view kAlertColumns =
    "id, kind, subject, severity, message, raised_us, last_seen_us, resolved_us, acknowledged_us, acknowledged_by";

static Result<AlertRow> read_alert(const Statement& q) {
  return AlertRow{q.column<std::int64_t>(0),  q.column<std::string>(1), q.column<std::string>(2),
                  q.column<std::string>(3),   q.column<std::string>(4), time_at(q, 5),
                  time_at(q, 6),              opt_time_at(q, 7),        opt_time_at(q, 8),
                  q.column<std::optional<std::string>>(9)};
}

const std::string kAlertByIdSql = "select " + std::string(kAlertColumns) + " from alert where id = :id";
// `resolved_us is null` matches the partial index alert_open's condition.
const std::string kOpenAlertsSql =
    "select " + std::string(kAlertColumns) + " from alert where resolved_us is null order by id";
const std::string kAllAlertsSql = "select " + std::string(kAlertColumns) + " from alert order by id";

Result<std::optional<AlertRow>> Index::alert(std::int64_t id) {
  auto rows = query_rows<AlertRow>(
      db_, kAlertByIdSql, "reading alert " + std::to_string(id), [&](Statement& q) { q.bind(":id", id); },
      read_alert);
  return detail::first_of(std::move(rows));
}

Result<std::vector<AlertRow>> Index::open_alerts() {
  return query_rows<AlertRow>(db_, kOpenAlertsSql, "listing open alerts", [](Statement&) {}, read_alert);
}

Result<std::vector<AlertRow>> Index::alerts() {
  return query_rows<AlertRow>(db_, kAllAlertsSql, "listing alerts", [](Statement&) {}, read_alert);
}

constexpr std::string_view kAcknowledgeAlertSql = R"sql(
  update alert set acknowledged_us = :when_us, acknowledged_by = :by where id = :id and acknowledged_us is null
)sql";

Status Index::acknowledge_alert(std::int64_t id, UtcTime when, std::string_view by) {
  return update_one(db_, kAcknowledgeAlertSql, "acknowledging alert " + std::to_string(id), [&](Statement& q) {
    q.bind(":id", id).bind(":when_us", to_us(when)).bind(":by", by);
  });
}

// ---- content faults --------------------------------------------------------------------

constexpr std::string_view kInsertContentFaultSql = R"sql(
  insert into content_fault (camera_id, kind, start_us, detail) values (:camera_id, :kind, :start_us, :detail)
)sql";

Result<std::int64_t> Index::insert_content_fault(std::string_view camera_id, std::string_view kind, UtcTime start,
                                                 std::string_view detail) {
  auto st = run_write(db_, kInsertContentFaultSql, "camera " + std::string(camera_id) + ": recording a content fault",
                      [&](Statement& q) {
                        q.bind(":camera_id", camera_id)
                            .bind(":kind", kind)
                            .bind(":start_us", to_us(start))
                            .bind(":detail", detail);
                      });
  if (!st) return tl::unexpected(std::move(st.error()));
  return db_.last_insert_rowid();
}

constexpr std::string_view kEndContentFaultSql = R"sql(
  update content_fault set end_us = max(start_us, :end_us) where id = :id and end_us is null
)sql";

Status Index::end_content_fault(std::int64_t id, UtcTime end) {
  return update_one(db_, kEndContentFaultSql, "ending content fault " + std::to_string(id),
                    [&](Statement& q) { q.bind(":end_us", to_us(end)).bind(":id", id); });
}

constexpr std::string_view kEndOpenContentFaultsSql = R"sql(
  update content_fault set end_us = max(start_us, :end_us) where end_us is null
)sql";

Result<std::int64_t> Index::end_open_content_faults(UtcTime end) {
  auto st = run_write(db_, kEndOpenContentFaultsSql, "ending open content faults",
                      [&](Statement& q) { q.bind(":end_us", to_us(end)); });
  if (!st) return tl::unexpected(std::move(st.error()));
  return static_cast<std::int64_t>(db_.changes());
}

// Served by content_fault_by_camera_start: start_us < to bounds the scan, the end filter
// drops faults that ended before the range.
constexpr std::string_view kContentFaultsSql = R"sql(
  select id, camera_id, kind, start_us, end_us, detail from content_fault
  where camera_id = :camera_id and start_us < :to_us and (end_us is null or end_us > :from_us)
  order by start_us, id
)sql";

Result<std::vector<ContentFaultRow>> Index::content_faults(std::string_view camera_id, TimeRange range) {
  return query_rows<ContentFaultRow>(
      db_, kContentFaultsSql, "listing content faults of camera " + std::string(camera_id),
      [&](Statement& q) {
        q.bind(":camera_id", camera_id);
        bind_range(q, range);
      },
      [](const Statement& q) -> Result<ContentFaultRow> {
        return ContentFaultRow{q.column<std::int64_t>(0), q.column<std::string>(1), q.column<std::string>(2),
                               time_at(q, 3),             opt_time_at(q, 4),         q.column<std::string>(5)};
      });
}

// ---- zone gaps --------------------------------------------------------------------------

// Served by zone_gap_by_start: a gap is short next to a query range, so start_us < to bounds
// the scan and end_us > from drops the ones that ended before it.
constexpr std::string_view kZoneGapsSql = R"sql(
  select id, zone_id, start_us, end_us, cause, detail, computed_us from zone_gap
  where start_us < :to_us and end_us > :from_us and (:zone_id is null or zone_id = :zone_id)
  order by zone_id, start_us
)sql";

Result<std::vector<ZoneGapRow>> Index::zone_gaps(TimeRange range, std::optional<std::string_view> zone_id) {
  return query_rows<ZoneGapRow>(
      db_, kZoneGapsSql, "listing zone gaps",
      [&](Statement& q) {
        bind_range(q, range);
        q.bind(":zone_id", zone_id ? std::optional<std::string>(std::string(*zone_id)) : std::nullopt);
      },
      [](const Statement& q) -> Result<ZoneGapRow> {
        return ZoneGapRow{q.column<std::int64_t>(0), q.column<std::string>(1), time_at(q, 2), time_at(q, 3),
                          q.column<std::string>(4),  q.column<std::string>(5), time_at(q, 6)};
      });
}

constexpr std::string_view kDeleteZoneGapsSql = R"sql(
  delete from zone_gap
  where start_us < :to_us and end_us > :from_us and (:zone_id is null or zone_id = :zone_id)
)sql";

constexpr std::string_view kInsertZoneGapSql = R"sql(
  insert into zone_gap (zone_id, start_us, end_us, cause, detail, computed_us)
  values (:zone_id, :start_us, :end_us, :cause, :detail, :computed_us)
)sql";

Status Index::replace_zone_gaps(TimeRange range, std::optional<std::string_view> zone_id,
                                std::span<const ZoneGapRow> gaps) {
  auto tx = begin_unless_in_transaction();
  if (!tx) return failed(std::move(tx.error()), "storing zone gaps");
  auto st = run_write(db_, kDeleteZoneGapsSql, "replacing zone gaps", [&](Statement& q) {
    bind_range(q, range);
    q.bind(":zone_id", zone_id ? std::optional<std::string>(std::string(*zone_id)) : std::nullopt);
  });
  if (!st) return st;
  for (const auto& gap : gaps) {
    st = run_write(db_, kInsertZoneGapSql, "storing a gap of zone " + gap.zone_id, [&](Statement& q) {
      q.bind(":zone_id", gap.zone_id)
          .bind(":start_us", to_us(gap.start))
          .bind(":end_us", to_us(gap.end))
          .bind(":cause", gap.cause)
          .bind(":detail", gap.detail)
          .bind(":computed_us", to_us(gap.computed));
    });
    if (!st) return st;
  }
  if (*tx) return (*tx)->commit();
  return ok();
}

// ---- clock guard state (issue 15; docs/retention.md, Retention / Clock guard) ---------------
// Kept apart from the blocks above: migration 0005 added clock_trust and segment.suspect_clock.

constexpr std::string_view kClockTrustSql = R"sql(
  select reference_us, drift_us, trusted, source, boot_id, boottime_us, offline_used_us from clock_trust where id = 1
)sql";

Result<std::optional<ClockTrustRow>> Index::clock_trust() {
  auto rows = query_rows<ClockTrustRow>(
      db_, kClockTrustSql, "reading the clock guard's state", [](Statement&) {},
      [](const Statement& q) -> Result<ClockTrustRow> {
        ClockTrustRow row{time_at(q, 0), Micros{q.column<std::int64_t>(1)}, q.column<std::int64_t>(2) != 0,
                          q.column<std::string>(3)};
        if (!q.is_null(4)) row.boot_id = q.column<std::string>(4);
        if (!q.is_null(5)) row.boottime = Micros{q.column<std::int64_t>(5)};
        row.offline_used = Micros{q.column<std::int64_t>(6)};
        return row;
      });
  return detail::first_of(std::move(rows));
}

constexpr std::string_view kSaveClockTrustSql = R"sql(
  insert into clock_trust (id, reference_us, drift_us, trusted, source, boot_id, boottime_us, offline_used_us)
  values (1, :reference_us, :drift_us, :trusted, :source, :boot_id, :boottime_us, :offline_used_us)
  on conflict (id) do update set
    reference_us = excluded.reference_us, drift_us = excluded.drift_us, trusted = excluded.trusted,
    source = excluded.source, boot_id = excluded.boot_id, boottime_us = excluded.boottime_us,
    offline_used_us = excluded.offline_used_us
)sql";

Status Index::save_clock_trust(const ClockTrustRow& row) {
  return run_write(db_, kSaveClockTrustSql, "saving the clock guard's state", [&](Statement& q) {
    q.bind(":reference_us", to_us(row.reference))
        .bind(":drift_us", row.drift.count())
        .bind(":trusted", static_cast<std::int64_t>(row.trusted ? 1 : 0))
        .bind(":source", row.source)
        .bind(":offline_used_us", row.offline_used.count());
    // Both or neither: a boottime means nothing without the boot it was read in.
    if (!row.boot_id.empty() && row.boottime) {
      q.bind(":boot_id", row.boot_id).bind(":boottime_us", row.boottime->count());
    } else {
      q.bind(":boot_id", std::nullopt).bind(":boottime_us", std::nullopt);
    }
  });
}

constexpr std::string_view kMarkSuspectClockSql = R"sql(
  update segment set suspect_clock = 1 where id = :id and state = 'open'
)sql";

Status Index::mark_segment_suspect_clock(SegmentId id) {
  return update_one(db_, kMarkSuspectClockSql, "marking segment " + std::to_string(id) + " as on an untrusted clock",
                    [&](Statement& q) { q.bind(":id", id); });
}

constexpr std::string_view kSuspectClockCountSql = R"sql(
  select count(*) from segment
  where suspect_clock = 1 and camera_id = :camera_id and start_us < :to_us and (end_us > :from_us or state = 'open')
)sql";

Result<std::int64_t> Index::suspect_clock_segments(std::string_view camera_id, TimeRange range) {
  auto rows = query_rows<std::int64_t>(
      db_, kSuspectClockCountSql, "camera " + std::string(camera_id) + ": counting footage on an untrusted clock",
      [&](Statement& q) {
        q.bind(":camera_id", camera_id);
        bind_range(q, range);
      },
      [](const Statement& q) -> Result<std::int64_t> { return q.column<std::int64_t>(0); });
  if (!rows) return tl::unexpected(std::move(rows.error()));
  return rows->empty() ? 0 : rows->front();
}

// ---- web console accounts ---------------------------------------------------------------

constexpr std::string_view kWebAccountColumns = "name, role, password_hash, created_us, changed_us, created_by";

static Result<WebAccountRow> read_web_account(const Statement& q) {
  return WebAccountRow{q.column<std::string>(0), q.column<std::string>(1), q.column<std::string>(2),
                       time_at(q, 3),            time_at(q, 4),            q.column<std::string>(5)};
}

constexpr std::string_view kInsertWebAccountSql = R"sql(
  insert into web_account (name, role, password_hash, created_us, changed_us, created_by)
  values (:name, :role, :hash, :created_us, :changed_us, :by)
)sql";

Status Index::add_web_account(const WebAccountRow& row) {
  auto existing = web_account(row.name);
  if (!existing) return tl::unexpected(std::move(existing.error()));
  if (*existing) return fail(ErrorKind::FailedPrecondition, "web account " + row.name + " exists already");
  return run_write(db_, kInsertWebAccountSql, "adding web account " + row.name, [&](Statement& q) {
    q.bind(":name", row.name)
        .bind(":role", row.role)
        .bind(":hash", row.password_hash)
        .bind(":created_us", to_us(row.created))
        .bind(":changed_us", to_us(row.changed))
        .bind(":by", row.created_by);
  });
}

constexpr std::string_view kSetWebPasswordSql = R"sql(
  update web_account set password_hash = :hash, changed_us = :now_us where name = :name
)sql";

Status Index::set_web_account_password(std::string_view name, std::string_view password_hash, UtcTime now) {
  return update_one(db_, kSetWebPasswordSql, "changing the password of web account " + std::string(name),
                    [&](Statement& q) { q.bind(":name", name).bind(":hash", password_hash).bind(":now_us", to_us(now)); });
}

constexpr std::string_view kSetWebRoleSql = R"sql(
  update web_account set role = :role, changed_us = :now_us where name = :name
)sql";

Status Index::set_web_account_role(std::string_view name, std::string_view role, UtcTime now) {
  return update_one(db_, kSetWebRoleSql, "changing the role of web account " + std::string(name),
                    [&](Statement& q) { q.bind(":name", name).bind(":role", role).bind(":now_us", to_us(now)); });
}

constexpr std::string_view kRemoveWebAccountSql = "delete from web_account where name = :name";

Status Index::remove_web_account(std::string_view name) {
  return update_one(db_, kRemoveWebAccountSql, "removing web account " + std::string(name),
                    [&](Statement& q) { q.bind(":name", name); });
}

const std::string kWebAccountByNameSql =
    "select " + std::string(kWebAccountColumns) + " from web_account where name = :name";
const std::string kWebAccountsSql = "select " + std::string(kWebAccountColumns) + " from web_account order by name";

Result<std::optional<WebAccountRow>> Index::web_account(std::string_view name) {
  auto rows = query_rows<WebAccountRow>(
      db_, kWebAccountByNameSql, "reading web account " + std::string(name), [&](Statement& q) { q.bind(":name", name); },
      read_web_account);
  return detail::first_of(std::move(rows));
}

Result<std::vector<WebAccountRow>> Index::web_accounts() {
  return query_rows<WebAccountRow>(db_, kWebAccountsSql, "listing web accounts", [](Statement&) {}, read_web_account);
}

}  // namespace carekeep::index
