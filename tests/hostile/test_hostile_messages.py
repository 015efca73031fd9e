"""Small messages: a path longer than the analysed library says so (not "min() arg is an empty
sequence"); ``play`` of a file the scan refused says why; a disk that stays full is reported once, not
once per checkpoint."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from disk_helpers import fill_disk
from hostile_helpers import REPO, assert_clean_failure, encore

from player.library import scan
from player.playback import PlaybackSettings
from player.store import Store


def test_a_path_longer_than_the_analysed_library_says_so(analyzed_corpus_db, tmp_path):
    from recommender.shaping.path import PathSpace

    db = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, db)
    with Store.open(db) as store:
        with store.transaction() as conn:  # a small library: 34 tracks analysed
            conn.execute(
                "DELETE FROM analysis WHERE track_id NOT IN (SELECT track_id FROM analysis LIMIT 34)"
            )
        n = len(PathSpace.from_store(store))
        a, b = (str(r[0]) for r in store.conn.execute("SELECT track_id FROM analysis LIMIT 2"))
    result = encore("path", a, b, "--n", str(n + 1), "--db", str(db), timeout=120)
    assert_clean_failure(result, f"has {n} analysed tracks, too few for a path of {n + 1}", code=2)
    assert_clean_failure(
        encore("path", a, b, "--n", str(n), "--db", str(db), timeout=120), "mean step", code=0
    )


def test_play_of_a_file_the_scan_refused_says_why(tmp_path):
    garbage = tmp_path / "garbage.mp3"
    garbage.write_bytes(os.urandom(64 * 1024))
    db = tmp_path / "encore.db"
    result = encore("play", "--db", str(db), "--no-audio", str(garbage))
    assert_clean_failure(result, "garbage.mp3 cannot be played: the library refused it (", code=2)
    assert "scan your music" not in result.stderr


def _wesnoth(corpus_dir: Path, name: str) -> Path:
    return next((corpus_dir / "wesnoth-1.16-music").rglob(name))


def test_a_disk_that_stays_full_is_reported_once(small_disk, corpus_dir):
    db = small_disk / "encore.db"
    first, second = _wesnoth(corpus_dir, "main_menu.ogg"), _wesnoth(corpus_dir, "frantic.ogg")
    with Store.open(db) as store:
        scan(store, [first, second], workers=1)
        PlaybackSettings(checkpoint_interval_s=0.3).save(store)
    keeper = sqlite3.connect(db)  # keeps the WAL in place, as a running app would
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "main.py"), "play", "--db", str(db), "--no-audio", "--rate", "8"]
        + [str(first), str(second)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().startswith("▶")
        fill_disk(small_disk)  # and it stays full to the end
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    keeper.close()
    assert "Traceback" not in out + err, out + err
    assert err.count("is full") == 2, err  # once as it happens, once in the closing summary
    assert "saved now" not in err, err
    assert proc.returncode == 1 and "could not be saved" in err, err
