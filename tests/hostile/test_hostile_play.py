"""``encore play`` plays what it was asked once: the app's saved repeat-one does not loop it forever, a
start past the end is refused, and nothing heard is never logged as a completion."""

from __future__ import annotations

import shutil

from hostile_helpers import assert_clean_failure, encore

from player.library import scan
from player.outcomes import classify
from player.playback import PlaybackSettings
from player.queue import Queue
from player.store import Store


def _library_with_repeat_one(hostile_lib, tmp_path):
    track = tmp_path / "song.ogg"
    shutil.copy(hostile_lib.good[0], track)
    db = tmp_path / "encore.db"
    with Store.open(db) as store:
        scan(store, [track], workers=1)
        Queue(store).set_repeat("one")  # as the app saves it
    return db, track


def test_play_ignores_the_apps_repeat_one_and_keeps_it(hostile_lib, tmp_path):
    db, track = _library_with_repeat_one(hostile_lib, tmp_path)
    result = encore("play", "--db", str(db), "--no-audio", "--rate", "32", str(track), timeout=90)
    assert_clean_failure(result, "completed", code=0)
    assert result.stdout.count("▶") == 1, result.stdout
    with Store.open(db) as store:
        outcomes = [r[0] for r in store.conn.execute("SELECT outcome FROM plays")]
        assert outcomes == ["completed"], outcomes
        assert Queue(store).repeat == "one"  # the app's mode is left as it was


def test_a_start_past_the_end_is_refused(hostile_lib, tmp_path):
    db, track = _library_with_repeat_one(hostile_lib, tmp_path)
    result = encore("play", "--db", str(db), "--no-audio", "--start", "100000", str(track), timeout=60)
    assert_clean_failure(result, "--start 100000 is past the end of", code=2)
    with Store.open(db) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM plays").fetchone()[0] == 0


def test_nothing_heard_is_never_a_completion():
    settings = PlaybackSettings()
    for duration in (1e-9, 1e-7, 0.0):  # a player's length for a start at or past the end
        assert classify(0.0, duration, "eos", settings) != "completed", duration
    assert classify(200.0, 214.0, "eos", settings) == "completed"
