"""Small items: concurrent scans count each track once; ``play`` exits non-zero after a playback error."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from hostile_helpers import REPO, encore

from player.library import scan
from player.store import Store


def test_two_concurrent_scans_add_each_track_once(corpus_dir, tmp_path):
    folder = corpus_dir / "hyperrogue-music"
    db = tmp_path / "encore.db"
    Store.open(db).close()  # migrated once, so both scans start on the same schema
    cmd = [
        sys.executable,
        str(REPO / "main.py"),
        "scan",
        "--json",
        "--workers",
        "1",
        "--db",
        str(db),
        str(folder),
    ]
    procs = [
        subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in "ab"
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), results
    summaries = [json.loads(out) for out, _ in results]
    with Store.open(db) as store:
        stored = store.conn.execute("SELECT COUNT(*) FROM tracks").fetchone()[0]
    assert sum(s["added"] for s in summaries) == stored, summaries
    assert sum(s["updated"] for s in summaries) == 0, summaries


def test_play_exits_non_zero_after_a_playback_error(hostile_lib, tmp_path):
    track = tmp_path / "soon-broken.ogg"
    shutil.copy(hostile_lib.good[0], track)
    db = tmp_path / "encore.db"
    with Store.open(db) as store:
        scan(store, [track], workers=1)
    stat = track.stat()
    track.write_bytes(os.urandom(stat.st_size))  # same size and mtime: the library still trusts it
    os.utime(track, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = encore("play", "--db", str(db), "--no-audio", str(track))
    out = result.stdout + result.stderr
    assert "Traceback" not in out and "cannot decode" in out, out
    assert result.returncode == 1, out
