"""A real full disk (a 5 MB tmpfs): plays are kept in memory and saved once there is space again, the
user is told, and nothing already stored is harmed. Also a header that lies about a track's length."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from disk_helpers import fill_disk
from hostile_helpers import REPO, assert_clean_failure, encore

from player.library import scan
from player.playback import PlaybackSettings
from player.store import Store


def _wesnoth(corpus_dir: Path, name: str) -> Path:
    return next((corpus_dir / "wesnoth-1.16-music").rglob(name))


def test_plays_on_a_full_disk_are_kept_and_saved_later(small_disk, corpus_dir):
    db = small_disk / "encore.db"
    first, second = _wesnoth(corpus_dir, "main_menu.ogg"), _wesnoth(corpus_dir, "frantic.ogg")
    with Store.open(db) as store:
        scan(store, [first, second], workers=1)
        PlaybackSettings(checkpoint_interval_s=0.3).save(store)
    keeper = sqlite3.connect(db)  # keeps the WAL in place, as a running app would
    tracks_before = keeper.execute("SELECT COUNT(*) FROM tracks").fetchone()[0]
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "main.py"), "play", "--db", str(db), "--no-audio", "--rate", "32"]
        + [str(first), str(second)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().startswith("▶")
        filler = fill_disk(small_disk)  # the disk fills while the first track plays
        assert "not saved yet" in proc.stdout.readline()
        assert proc.stdout.readline().startswith("▶")
        filler.unlink()  # space again while the second one plays
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    assert_clean_failure(result, "is full", "kept in memory", "saved now", code=0)
    rows = keeper.execute("SELECT track_id, outcome, seconds_listened FROM plays ORDER BY id").fetchall()
    assert [r[1] for r in rows] == ["completed", "completed"], rows
    assert keeper.execute("SELECT COUNT(*) FROM tracks").fetchone()[0] == tracks_before
    assert keeper.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    keeper.close()


def test_opening_a_database_on_a_full_disk_says_so(small_disk, hostile_db):
    db = small_disk / "encore.db"
    db.write_bytes(hostile_db.read_bytes())
    fill_disk(small_disk)
    assert_clean_failure(encore("stats", "--db", str(db)), "disk is full")


def _lying_flac(corpus_dir: Path, out: Path, claimed_hours: int = 10) -> Path:
    """A 9-s FLAC whose STREAMINFO claims ``claimed_hours`` hours of samples."""
    src = _wesnoth(corpus_dir, "main_menu.ogg")
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-t",
            "9",
            "-i",
            str(src),
            "-c:a",
            "flac",
            str(out),
        ],
        check=True,
    )
    data = bytearray(out.read_bytes())
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0  # STREAMINFO comes first
    field = int.from_bytes(data[18:26], "big")  # sample rate 20 bits | channels 3 | bits 5 | samples 36
    rate = field >> 44
    field = (field & ~((1 << 36) - 1)) | (claimed_hours * 3600 * rate)
    data[18:26] = field.to_bytes(8, "big")
    out.write_bytes(bytes(data))
    return out


def test_a_header_claiming_ten_hours_is_credited_only_what_played(corpus_dir, tmp_path):
    liar = _lying_flac(corpus_dir, tmp_path / "liar.flac")
    db = tmp_path / "encore.db"
    with Store.open(db) as store:
        scan(store, [liar], workers=1)
        (claimed,) = store.conn.execute("SELECT duration FROM tracks").fetchone()
    assert claimed == pytest.approx(36000)  # the header's word
    result = encore("play", "--db", str(db), "--no-audio", "--rate", "8", str(liar))
    assert_clean_failure(result, "completed", code=0)
    with Store.open(db) as store:
        seconds, duration = store.conn.execute("SELECT seconds_listened, duration FROM plays").fetchone()
    assert 3 < seconds < 15 and duration < 15, (seconds, duration)
