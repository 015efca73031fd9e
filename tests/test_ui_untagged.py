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


def _rows_for_order(seed: int) -> list[tuple]:
    """Library rows with every kind of tie: case and digit variants of names, missing albums, artists,
    discs, numbers and titles, equal titles in one album, and a title that only the path tells apart."""
    import random

    from player.store.browse import BROWSE_COLUMNS

    rng = random.Random(seed)
    artists = ["ABBA", "Abba", "abba", "Artist 2", "Artist 10", None, "Björk", "björk", "The 1975"]
    albums = ["Album 9", "album 9", "Album 10", None, "", "Disc One", "Ägypten"]
    titles = ["Intro", "intro", "Track 2", "Track 10", None, "Song", "song", "Outro 1"]
    rows = []
    for i in range(600):
        row = [None] * len(BROWSE_COLUMNS)
        row[0] = i
        row[TITLE] = rng.choice(titles)
        row[2] = rng.choice(artists)  # artist
        row[4] = rng.choice(artists) if rng.random() < 0.3 else None  # album artist
        row[3] = rng.choice(albums)
        row[TRACKNO] = rng.choice([None, 0, 1, 2, 2, 10])
        row[8] = rng.choice([None, 1, 2])  # disc
        row[10] = f"/music/{rng.choice(['b', 'a', 'c10', 'c9'])}/{i % 7}.ogg"  # path: ties too
        rows.append(tuple(row))
    return rows


def test_library_order_is_the_natural_order_of_each_field_then_path():
    """``player.library_order`` (ranks and a lexsort) gives what one sort with a key of natural keys gives."""
    from player.library_order import library_order
    from ui.library_rows import ALBUM, ALBUM_ARTIST, ARTIST, DISCNO, PATH, UNKNOWN_ARTIST

    def by_one_sort(rows: list[tuple]) -> list[int]:
        return sorted(
            range(len(rows)),
            key=lambda i: (
                natural_key(rows[i][ALBUM_ARTIST] or rows[i][ARTIST] or UNKNOWN_ARTIST),
                natural_key(rows[i][ALBUM]),
                rows[i][DISCNO] or 0,
                rows[i][TRACKNO] or 0,
                natural_key(rows[i][TITLE] or rows[i][PATH]),
                rows[i][PATH],
            ),
        )

    def ordered(rows: list[tuple]) -> list[int]:
        return library_order(
            [r[ALBUM_ARTIST] or r[ARTIST] or UNKNOWN_ARTIST for r in rows],
            [r[ALBUM] for r in rows],
            [r[DISCNO] for r in rows],
            [r[TRACKNO] for r in rows],
            [r[TITLE] or r[PATH] for r in rows],
            [r[PATH] for r in rows],
        )

    for seed in range(5):
        rows = _rows_for_order(seed)
        assert ordered(rows) == by_one_sort(rows)
        distinct = list({(r[ALBUM], r[TRACKNO]): r for r in rows}.values())  # few ties: titles unread
        assert ordered(distinct) == by_one_sort(distinct)
    assert library_order([], [], [], [], [], []) == []
    # A number a buggy tagger stored as text orders as 0, a float as its whole part: not an error.
    discs, tracks = [1, "1/2", 1.0, None], [3, 2, "two", 1]
    assert library_order(["a"] * 4, ["x"] * 4, discs, tracks, ["t"] * 4, list("dcba")) == [3, 1, 2, 0]


def test_the_panes_counts_are_each_rows_credits_counted():
    """``artist_counts`` and ``album_counts`` (counted in C) give what a loop over the rows gives."""
    from collections import Counter

    from ui.library_rows import album_counts, artist_counts, row_album, row_album_artist

    for seed in range(3):
        rows = _rows_for_order(seed)
        artists: Counter = Counter()
        albums: Counter = Counter()
        for r in rows:
            a, aa = row_artist(r), row_album_artist(r)
            artists[a] += 1
            if aa != a:
                artists[aa] += 1
            albums[(aa, row_album(r))] += 1
        assert dict(artist_counts(rows)) == artists and len(artist_counts(rows)) == len(artists)
        assert {(aa, al): n for aa, al, n in album_counts(rows)} == albums
        for artist in ("ABBA", "Björk", "Unknown artist"):
            mine = {(aa, al): n for aa, al, n in album_counts(rows, artist)}
            assert mine == {
                key: sum(
                    1
                    for r in rows
                    if (row_album_artist(r), row_album(r)) == key
                    and artist in (row_artist(r), row_album_artist(r))
                )
                for key in albums
                if any(
                    artist in (row_artist(r), row_album_artist(r))
                    and (row_album_artist(r), row_album(r)) == key
                    for r in rows
                )
            }
