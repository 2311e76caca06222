#include "export/export.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <system_error>

#include <nlohmann/json.hpp>

#include "base/fs.hpp"
#include "export/hold.hpp"
#include "base/leftover.hpp"
#include "export/remux.hpp"
#include "segment/hash.hpp"

namespace carekeep::exports {
namespace {

using Json = nlohmann::ordered_json;

// Footage closer than this to the next segment counts as continuous: segment boundaries
// are cut on keyframes and their wall-clock starts jitter by a few tens of milliseconds.
constexpr Micros kGapTolerance{1'000'000};

bool usable(index::SegmentState s) { return s == index::SegmentState::Closed || s == index::SegmentState::Recovered; }

// A small file of the export, written whole, made durable, with its manifest entry.
Result<Json> put_file(fs::Destination& dest, std::string_view name, std::string_view content) {
  auto fd = dest.create(name);
  if (!fd) return tl::unexpected(fd.error());
  std::string what = "writing " + std::string(name);
  if (auto st = fs::write_all(fd->get(), content, what); !st) return tl::unexpected(st.error());
  if (::fsync(fd->get()) != 0) return tl::unexpected(fs::from_errno(errno, "fsync of " + std::string(name)));
  return Json{{"path", std::string(name)}, {"size_bytes", content.size()}, {"sha256", segment::to_hex(segment::sha256_of(content))}};
}

// The hold that keeps retention away from the footage while it is read; released by the
// destructor on every path out of run_export.
class HoldGuard {
 public:
  HoldGuard(index::Index& index, const Actor& actor) : index_(index), actor_(actor) {}
  HoldGuard(const HoldGuard&) = delete;
  HoldGuard& operator=(const HoldGuard&) = delete;
  Status place(const ExportRequest& r) {
    index::NewHold hold;
    if (r.zone_id) hold.zone_id = r.zone_id;
    else hold.camera_id = r.camera_id ? r.camera_id : std::optional<std::string>(r.cameras.front().id);
    hold.from = r.from;
    hold.to = r.to;
    hold.reason = export_hold_reason(r.out, ::getpid());
    hold.created = SystemClock{}.now();
    hold.created_uid = actor_.uid;
    hold.created_user = actor_.user;
    auto id = index_.insert_hold(hold);
    if (!id) return tl::unexpected(std::move(id.error()).with_context("holding the footage for the export"));
    id_ = *id;
    // Every hold placed or released leaves its access-log row (`verify`: hold_unaccounted);
    // failing to write it does not stop the export (verify will name the hold).
    Json args{{"id", *id},
              {"camera", hold.camera_id ? Json(*hold.camera_id) : Json(nullptr)},
              {"zone", hold.zone_id ? Json(*hold.zone_id) : Json(nullptr)},
              {"from", format_utc_iso(hold.from)},
              {"to", format_utc_iso(hold.to)},
              {"reason", hold.reason},
              {"placed_as", "export"}};
    (void)record_access(index_, actor_, "hold_add", args.dump(), "ok");
    return ok();
  }
  ~HoldGuard() {
    if (!id_) return;
    if (index_.release_hold(*id_, SystemClock{}.now(), actor_.uid, actor_.user))
      (void)record_access(index_, actor_, "hold_release", Json{{"id", *id_}, {"role", "export"}}.dump(), "ok");
  }

 private:
  index::Index& index_;
  Actor actor_;
  std::optional<std::int64_t> id_;
};


// Site-local ISO 8601 with offset; microseconds only when the time has them (a request's
// --from may, and a keyframe's time usually does).
Json time_json(UtcTime t, const TimeZone& zone) {
  std::string text = format_local_iso(t, zone);
  auto us = t.time_since_epoch().count() % 1'000'000;
  if (us < 0) us += 1'000'000;
  if (us != 0 && text.size() >= 19) {
    char fraction[8];
    std::snprintf(fraction, sizeof fraction, ".%06lld", static_cast<long long>(us));
    text.insert(19, fraction);
  }
  return text;
}

Json optional_hash(const std::optional<index::Sha256>& h) { return h ? Json(segment::to_hex(*h)) : Json(nullptr); }

Json output_file_json(const OutputFile& f, const TimeZone& zone) {
  return {{"path", f.name},
          {"actual_from", time_json(f.actual_from, zone)},
          {"actual_to", time_json(f.actual_to, zone)},
          {"video_codec", f.video_codec},
          {"width", f.width},
          {"height", f.height},
          {"audio_codec", f.audio_codec ? Json(*f.audio_codec) : Json(nullptr)},
          {"frames", f.frames},
          {"segments", f.segments},
          {"size_bytes", f.size_bytes},
          {"sha256", f.sha256}};
}

struct CameraPlan {
  ExportCamera camera;
  std::vector<SourceSegment> sources;       // usable, by start
  std::vector<index::SegmentRow> excluded;  // overlapping but not exportable (open, damaged, deleted, ...)
  std::uint64_t bytes = 0;
};

Json gaps_of(const CameraPlan& plan, const ExportRequest& r) {
  Json gaps = Json::array();
  auto add = [&](UtcTime from, UtcTime to) {
    if (to - from <= kGapTolerance) return;
    std::string cause = "no footage";
    for (const auto& ex : plan.excluded) {
      if (ex.start < to && (ex.end > from || ex.state == index::SegmentState::Open)) {
        cause = "segment " + std::to_string(ex.id) + " is " + std::string(index::to_string(ex.state)) +
                (ex.state_detail.empty() ? "" : ": " + ex.state_detail);
        break;
      }
    }
    gaps.push_back({{"from", time_json(from, r.zone)}, {"to", time_json(to, r.zone)},
                    {"seconds", static_cast<double>((to - from).count()) / 1e6}, {"cause", cause}});
  };
  UtcTime cursor = r.from;
  for (const auto& s : plan.sources) {
    if (s.row.start > cursor) add(cursor, std::min(s.row.start, r.to));
    cursor = std::max(cursor, s.row.end);
  }
  if (cursor < r.to) add(cursor, r.to);
  return gaps;
}

constexpr std::string_view kZoneGapsSql = R"sql(
  select zone_id, start_us, end_us, cause, detail from zone_gap
  where zone_id = :zone_id and start_us < :to_us and end_us > :from_us order by start_us
)sql";

Result<Json> zone_gaps(index::Index& index, const ExportRequest& r) {
  Json out = Json::array();
  for (const auto& zone_id : r.gap_zones) {
    auto q = index.connection().cached(kZoneGapsSql);
    if (!q) return tl::unexpected(q.error());
    (*q)->bind(":zone_id", std::string_view(zone_id)).bind(":from_us", to_us(r.from)).bind(":to_us", to_us(r.to));
    for (;;) {
      auto row = (*q)->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      out.push_back({{"zone", (*q)->column<std::string>(0)},
                     {"from", time_json(from_us((*q)->column<std::int64_t>(1)), r.zone)},
                     {"to", time_json(from_us((*q)->column<std::int64_t>(2)), r.zone)},
                     {"cause", (*q)->column<std::string>(3)},
                     {"detail", (*q)->column<std::string>(4)}});
    }
  }
  return out;
}


bool matches_row(const SourceSegment& src, const index::Sha256& sha) { return src.row.sha256 && *src.row.sha256 == sha; }

tl::unexpected<Error> altered(const CameraPlan& plan, const SourceSegment& src) {
  return fail(ErrorKind::DataLoss, "camera " + plan.camera.id + ": segment " + src.row.path +
                                       " does not match its index hash; run carekeep verify");
}

}  // namespace

std::string readme_text(const std::string& fingerprint, const std::vector<CameraOutcome>& cameras, const TimeZone& zone) {
  std::size_t width = 0;
  bool several = false;
  for (const auto& c : cameras) {
    several = several || c.files.size() > 1;
    for (const auto& f : c.files) width = std::max(width, f.name.size());
  }
  std::string videos;
  for (const auto& c : cameras) {
    if (c.files.empty()) videos += "    (camera " + c.id + ": no footage in the range)\n";
    for (const auto& f : c.files) {
      videos += "    " + f.name + std::string(width - f.name.size() + 2, ' ') + "camera " + c.id + ", " +
                format_local_iso(f.actual_from, zone) + " to " + format_local_iso(f.actual_to, zone) + ", " +
                f.video_codec + " " + std::to_string(f.width) + "x" + std::to_string(f.height) +
                (f.audio_codec ? " + " + *f.audio_codec : std::string()) + "\n";
    }
  }
  return "carekeep evidence export\n"
         "========================\n\n"
         "This folder was written by carekeep, the recorder of a home childcare point.\n"
         "The videos are the cameras' original video, copied without re-encoding:\n\n" +
         videos +
         (several ? "\nA camera whose codec or picture settings changed inside the range (it was\n"
                    "reconfigured) has one file per stretch of the same settings, in time order:\n"
                    "<camera>.mp4, then <camera>.part2.mp4, <camera>.part3.mp4, ...\n"
                  : "") +
         "\nmanifest.json lists what was asked for, what was exported, the gaps, and the SHA-256\n"
         "of every file here and of every source segment. manifest.sig is an Ed25519 signature\n"
         "(hex) of manifest.json by the recorder's key, whose fingerprint is:\n\n    " +
         fingerprint +
         "\n\nTo verify (on any machine, offline), with the recorder's public key obtained from the\n"
         "childcare point (`carekeep key` on the box prints it and the fingerprint above):\n\n"
         "    carekeep verify-export THIS_FOLDER --pubkey box_public_key.pem\n\n"
         "Without carekeep, using OpenSSL 3 and coreutils:\n\n"
         "    xxd -r -p manifest.sig > /tmp/manifest.sig.bin\n"
         "    openssl pkeyutl -verify -pubin -inkey box_public_key.pem -rawin \\\n"
         "        -in manifest.json -sigfile /tmp/manifest.sig.bin\n"
         "    sha256sum *.mp4    # compare with \"files\" in manifest.json\n\n"
         "public_key.pem in this folder is a convenience copy: it proves nothing by itself.\n"
         "Check that its fingerprint (SHA-256 of the raw 32-byte key) is the one the childcare\n"
         "point published before trusting it.\n";
}

Result<ExportOutcome> run_export(index::Index& index, const std::filesystem::path& storage,
                                 const signing::KeyPair& key, const ExportRequest& r, fs::Destination& dest,
                                 const std::function<void(const Progress&)>& progress,
                                 const std::atomic<bool>* cancel) {
  if (r.from >= r.to) return fail(ErrorKind::InvalidArgument, "--from must be before --to");
  if (r.cameras.empty()) return fail(ErrorKind::InvalidArgument, "no camera to export");
  // Hidden, and without manifest.sig until the very end: nothing in it looks complete. Every
  // way out below but the last aborts it.
  if (auto st = dest.open(r.out, fs::Layout::NewFolder); !st) return tl::unexpected(st.error());
  struct AbortUnlessCommitted {
    fs::Destination& dest;
    bool committed = false;
    ~AbortUnlessCommitted() {
      if (!committed) dest.abort();
    }
  } staging{dest};

  // Nothing to export is bad input, reported before anything is written (a hold too).
  bool any = false;
  for (const auto& camera : r.cameras) {
    auto rows = index.segments(camera.id, {r.from, r.to});
    if (!rows) return tl::unexpected(rows.error());
    any = any || std::any_of(rows->begin(), rows->end(), [](const auto& row) { return usable(row.state); });
  }
  if (!any)
    return fail(ErrorKind::NotFound, "no footage between " + format_local_iso(r.from, r.zone) + " and " +
                                         format_local_iso(r.to, r.zone));

  // Hold first, then list: a segment listed after the hold is in place cannot be deleted
  // by retention before it is read.
  HoldGuard hold(index, r.actor);
  if (auto st = hold.place(r); !st) return tl::unexpected(st.error());

  std::vector<CameraPlan> plans;
  std::uint64_t total = 0;
  std::size_t with_footage = 0;
  for (const auto& camera : r.cameras) {
    CameraPlan plan{camera, {}, {}, 0};
    auto rows = index.segments(camera.id, {r.from, r.to});
    if (!rows) return tl::unexpected(rows.error());
    for (auto& row : *rows) {
      if (usable(row.state)) {
        plan.bytes += static_cast<std::uint64_t>(row.size_bytes);
        auto file = storage / row.path;
        plan.sources.push_back({std::move(row), std::move(file)});
      } else {
        plan.excluded.push_back(std::move(row));
      }
    }
    total += plan.bytes;
    if (!plan.sources.empty()) ++with_footage;
    plans.push_back(std::move(plan));
  }
  if (with_footage == 0)
    return fail(ErrorKind::NotFound, "no footage between " + format_local_iso(r.from, r.zone) + " and " +
                                         format_local_iso(r.to, r.zone));

  ExportOutcome outcome;
  outcome.source_bytes = total;
  Json cameras_json = Json::array();
  Json files_json = Json::array();
  std::uint64_t done_bytes = 0;
  for (const auto& plan : plans) {
    CameraOutcome co;
    co.id = plan.camera.id;
    Json segments_json = Json::array();
    Json camera_files_json = Json::array();
    if (!plan.sources.empty()) {
      auto chain = index.chain_segments(plan.camera.id);
      if (!chain) return tl::unexpected(chain.error());
      std::map<index::SegmentId, std::pair<std::int64_t, std::optional<index::Sha256>>> position;
      std::int64_t n = 0;
      std::optional<index::Sha256> prev;
      for (const auto& row : *chain) {
        if (!row.chain_sha256) continue;
        position[row.id] = {n++, prev ? prev : std::optional<index::Sha256>(index::Sha256{})};
        prev = row.chain_sha256;
      }
      // The index row is the evidence record: footage that no longer matches its hash is
      // not exported as if it were intact. The remux hashes each segment as it reads it, so
      // the check comes after it (and before anything is committed). A segment altered so
      // that the remux itself fails is still named as altered, not as unreadable.
      RemuxOptions options{r.from, r.to, r.timestamps, &r.zone};
      auto remuxed = remux_camera(
          plan.sources, dest, plan.camera.id, options,
          [&](std::uint64_t bytes) {
            done_bytes += bytes;
            if (progress) progress({plan.camera.id, std::min(done_bytes, total), total});
          },
          cancel);
      if (!remuxed) {
        if (remuxed.error().kind != ErrorKind::Cancelled) {
          for (const auto& src : plan.sources) {
            auto sha = segment::sha256_file(src.file);
            if (sha && !matches_row(src, *sha)) return altered(plan, src);
          }
        }
        return tl::unexpected(std::move(remuxed.error()).with_context("camera " + plan.camera.id));
      }
      for (std::size_t i = 0; i < plan.sources.size(); ++i) {
        if (i >= remuxed->source_sha256.size() || !matches_row(plan.sources[i], remuxed->source_sha256[i]))
          return altered(plan, plan.sources[i]);
      }
      std::map<index::SegmentId, std::string> file_of;
      for (const auto& part : remuxed->files) {
        OutputFile of{part.name,
                      part.actual_from,
                      part.actual_to,
                      part.video_codec,
                      part.width,
                      part.height,
                      part.audio_codec,
                      part.video_packets,
                      static_cast<std::int64_t>(part.used.size()),
                      part.size_bytes,
                      segment::to_hex(part.sha256)};
        for (auto id : part.used) file_of[id] = part.name;
        co.segments += of.segments;
        co.size_bytes += of.size_bytes;
        files_json.push_back({{"path", of.name}, {"size_bytes", of.size_bytes}, {"sha256", of.sha256}});
        camera_files_json.push_back(output_file_json(of, r.zone));
        co.files.push_back(std::move(of));
      }
      co.actual_from = co.files.front().actual_from;
      co.actual_to = co.files.back().actual_to;
      outcome.output_bytes += co.size_bytes;
      for (const auto& src : plan.sources) {
        auto in_file = file_of.find(src.row.id);
        if (in_file == file_of.end()) continue;
        const auto& [pos, prev_chain] = position.count(src.row.id) ? position[src.row.id]
                                                                     : std::pair<std::int64_t, std::optional<index::Sha256>>{-1, {}};
        segments_json.push_back({{"id", src.row.id},
                                 {"path", src.row.path},
                                 {"from", time_json(src.row.start, r.zone)},
                                 {"to", time_json(src.row.end, r.zone)},
                                 {"state", std::string(index::to_string(src.row.state))},
                                 {"size_bytes", src.row.size_bytes},
                                 {"sha256", optional_hash(src.row.sha256)},
                                 {"chain_position", pos},
                                 {"prev_chain_sha256", optional_hash(prev_chain)},
                                 {"chain_sha256", optional_hash(src.row.chain_sha256)},
                                 {"file", in_file->second}});
      }
    }
    Json cj{{"id", plan.camera.id},
            {"name", plan.camera.name},
            {"files", std::move(camera_files_json)},
            {"actual_from", co.actual_from ? time_json(*co.actual_from, r.zone) : Json(nullptr)},
            {"actual_to", co.actual_to ? time_json(*co.actual_to, r.zone) : Json(nullptr)},
            {"gaps", gaps_of(plan, r)},
            {"segments", std::move(segments_json)}};
    cameras_json.push_back(std::move(cj));
    outcome.cameras.push_back(std::move(co));
  }

  auto zgaps = zone_gaps(index, r);
  if (!zgaps) return tl::unexpected(std::move(zgaps.error()).with_context("reading zone gaps"));
  auto clock = index.clock_events({r.from, r.to});
  if (!clock) return tl::unexpected(clock.error());
  Json clock_json = Json::array();
  for (const auto& c : *clock) {
    clock_json.push_back({{"time", time_json(c.time, r.zone)},
                          {"step_seconds", static_cast<double>(c.step.count()) / 1e6},
                          {"ntp_synced", c.ntp_synced ? Json(*c.ntp_synced) : Json(nullptr)},
                          {"detail", c.detail}});
  }

  std::string readme = readme_text(key.fingerprint(), outcome.cameras, r.zone);
  std::string pem = key.public_key_pem();
  for (const auto& [name, content] : {std::pair<std::string_view, const std::string*>{kReadmeFile, &readme},
                                      std::pair<std::string_view, const std::string*>{kPublicKeyFile, &pem}}) {
    auto entry = put_file(dest, name, *content);
    if (!entry) return tl::unexpected(entry.error());
    files_json.push_back(std::move(*entry));
  }

  Json manifest{{"format", kManifestFormat},
                {"carekeep_version", r.version},
                {"site", {{"name", r.site_name}, {"timezone", std::string(r.zone.name())}}},
                {"created", time_json(SystemClock{}.now(), r.zone)},
                {"created_by", {{"uid", r.actor.uid}, {"user", r.actor.user}}},
                {"key_fingerprint", key.fingerprint()},
                {"request",
                 {{"camera", r.camera_id ? Json(*r.camera_id) : Json(nullptr)},
                  {"zone", r.zone_id ? Json(*r.zone_id) : Json(nullptr)},
                  {"from", time_json(r.from, r.zone)},
                  {"to", time_json(r.to, r.zone)},
                  {"timestamps", r.timestamps}}},
                {"cameras", std::move(cameras_json)},
                {"zone_gaps", std::move(*zgaps)},
                {"clock_events", std::move(clock_json)},
                {"files", std::move(files_json)}};
  std::string manifest_text = manifest.dump(2) + "\n";
  if (auto entry = put_file(dest, kManifestFile, manifest_text); !entry) return tl::unexpected(entry.error());
  auto sig = key.sign(signing::as_bytes(manifest_text));
  if (cancel != nullptr && cancel->load()) return fail(ErrorKind::Cancelled, "export interrupted");
  if (auto entry = put_file(dest, kSignatureFile, signing::to_hex(sig) + "\n"); !entry)
    return tl::unexpected(entry.error());
  if (auto st = dest.commit(); !st) return tl::unexpected(st.error());
  staging.committed = true;
  outcome.out = r.out;
  outcome.manifest_sha256 = segment::to_hex(segment::sha256_of(manifest_text));
  return outcome;
}

}  // namespace carekeep::exports
