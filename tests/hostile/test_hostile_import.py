"""Playlist import is one transaction: killed with SIGKILL half-way, or stopped by a full disk, it leaves
either the whole playlist or none (never an empty one that makes the next try "name (2)"), and a full
disk is reported as the rest of the app reports it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from disk_helpers import fill_disk
from hostile_helpers import REPO, assert_clean_failure, encore

from player.library import scan
from player.store import Store

ENTRIES = 60_000


def _big_playlist(hostile_lib, folder) -> os.PathLike:
    lines = ["#EXTM3U"] + [str(hostile_lib.good[i % len(hostile_lib.good)]) for i in range(ENTRIES)]
    path = folder / "big.m3u8"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _counts(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    return conn.execute(
        "SELECT p.name, (SELECT COUNT(*) FROM playlist_entries e WHERE e.playlist_id = p.id) FROM playlists p"
    ).fetchall()


def test_kill_9_during_an_import_leaves_all_or_nothing(hostile_lib, tmp_path):
    db = tmp_path / "encore.db"
    with Store.open(db) as store:
        scan(store, hostile_lib.good, workers=1)
    playlist = _big_playlist(hostile_lib, tmp_path)
    watcher = sqlite3.connect(db)
    watcher.execute("PRAGMA foreign_keys = ON")  # deleting a playlist deletes its entries
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "main.py"), "playlist", "import", str(playlist), "--db", str(db)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if watcher.execute("SELECT COUNT(*) FROM playlists").fetchone()[0]:
                break  # the playlist is visible to others: kill now, half-way through its entries if it can be
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert all(n == ENTRIES for _, n in _counts(watcher)), _counts(watcher)
    watcher.execute("DELETE FROM playlists")
    watcher.commit()
    assert_clean_failure(encore("playlist", "import", str(playlist), "--db", str(db)), "big", code=0)
    assert _counts(watcher) == [("big", ENTRIES)]
    watcher.close()


def test_an_import_on_a_full_disk_says_so_and_leaves_nothing(hostile_lib, small_disk, tmp_path):
    db = small_disk / "encore.db"
    with Store.open(db) as store:
        scan(store, hostile_lib.good, workers=1)
    keeper = sqlite3.connect(db)  # keeps the WAL in place, as a running app would
    playlist = _big_playlist(hostile_lib, tmp_path)
    filler = fill_disk(small_disk)
    os.truncate(filler, filler.stat().st_size - 64 * 1024)  # room for the playlist's row, not its entries
    result = encore("playlist", "import", str(playlist), "--db", str(db))
    assert_clean_failure(result, "is full", "what was already stored is intact")
    assert "rollback" not in result.stderr
    filler.unlink()
    assert _counts(keeper) == []
    assert keeper.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    keeper.close()
