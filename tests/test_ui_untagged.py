"""Untagged music in the library browser: natural order, titles without the folder's shared prefix, and
a folder-based "Unknown artist (<folder>)" group stored by the scan (so the radio's spacing sees it)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from ui_helpers import close_window, open_window, small_library

from player.naming import natural_key, tidy_titles
from player.store import Store
from player.store.tracks import iter_tracks
from ui.library_rows import TITLE, TRACKNO, row_artist


def test_natural_key_and_tidy_titles():
    assert sorted(["track10", "track4", "Track2"], key=natural_key) == ["Track2", "track4", "track10"]
    assert tidy_titles(["Game OST - 01 Intro", "Game OST - 02 Boss"]) == ["01 Intro", "02 Boss"]
    assert tidy_titles(["track4", "track10"]) == ["Track 4", "Track 10"]
    assert tidy_titles(["battle", "battle-epic"]) == ["battle", "battle-epic"]  # would empty a title
    assert tidy_titles(["only"]) == ["only"]


def test_untagged_folder_is_browsable(qtbot, corpus_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")
    db = small_library(corpus_dir, tmp_path / "music", tmp_path / "encore.db", wesnoth=2, drascula=12)
    with Store.open(db) as store:
        stored = {t["artist"] for t in iter_tracks(store) if "drascula" in t["path"]}
    assert stored == {"Unknown artist (drascula)"}  # what the radio and similarity read
    window, store = open_window(qtbot, db)
    try:
        assert window.library.show_artist("Unknown artist (drascula)")
        rows = [window.library.model.track_at(r) for r in range(window.library.model.rowCount())]
        assert len(rows) == 12 and {row_artist(r) for r in rows} == {"Unknown artist (drascula)"}
        numbers = [r[TRACKNO] for r in rows]
        assert numbers == sorted(numbers) and len(set(numbers)) == 12  # natural order: 2 before 10
        assert all(r[TITLE] == f"Track {r[TRACKNO]}" for r in rows)
        # "Sounds like" names a track as the library does (the recommender reads the raw file name).
        panel = window.similar
        panel._pending, panel._artist = None, "Unknown artist (drascula)"
        raw = {"track_id": rows[3][0], "title": "track4", "artist": "Unknown artist (drascula)"}
        panel._show({"artist": panel._artist, "artists": [], "sounds_like": [raw]})
        assert panel.tracks.item(0).text() == f"Track {rows[3][TRACKNO]} — Unknown artist (drascula)"
    finally:
        close_window(window, store)
