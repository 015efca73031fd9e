"""New, analysed, retagged, gone and moved tracks update the radio's start-up cache, not rebuild it (issue 25).

The cache after an update must equal, bit for bit, a full build of the same library given the statistics
the last full build froze (its audio centre and axes, z-score statistics and tag mean): the same codes,
names, projected audio, top tags, artist match, placed and bundle factors and co-listening, and the same
rows masked as missing. Files retagged, gone missing, back or moved are updated in place. Changes the log
cannot add (a deleted track, a lost analysis, too many new or retagged rows, a trimmed log) build in full.
Real SQLite, the shipped bundle, the scanned-style database of ``test_radio_loading``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pytest
import test_radio_loading as loading
from test_radio_loading import _assert_same_library, _copy, _csr

from player.store import Store
from player.store.analysis import MODEL_VERSION
from player.store.changes import changes_since, log_position, trim_log
from recommender.radio import append, codes, row_blocks
from recommender.radio.library import LibraryParts
from recommender.radio.load import full_static, load_library, static_part
from recommender.radio.row_blocks import PROJECT_ROWS, compacted, project_audio
from recommender.radio.stored import _ARRAYS, Static

NOW = 1.9e9
bundle = loading.bundle  # the shipped bundle and the scanned-style database, as fixtures
scanned_db = loading.scanned_db


def _add(store: Store, bundle, first_id: int, count: int, seed: int) -> list[int]:
    """``count`` new tracks from ``first_id``: known and unknown artists (matched, placed, new ones), a
    compilation, missing credits, albums and genres, most of them analysed (one by another model)."""
    rng = np.random.default_rng(seed)
    order = np.argsort(-bundle.popularity)
    popular = [str(bundle.names[i]) for i in order[:40]]
    newcomer = str(bundle.names[order[70 + seed]])  # a bundle artist the library has no track of yet
    credits = [
        (popular[0], None),
        ("Local Heroes", None),
        (f"Brand New Band {seed}", None),
        (newcomer, None),
        (None, None),
        ("Various Artists", popular[5]),
        ("  " + popular[1].lower(), None),
    ]
    genres = ["Rock", "Ambient", None, "", "rock "]
    ids = list(range(first_id, first_id + count))
    with store.transaction() as conn:
        for k, t in enumerate(ids):
            artist, album_artist = credits[k % len(credits)]
            album = (
                None
                if k % 11 == 3
                else ("Greatest Compilation" if k % 5 == 0 else f"New Album {seed}-{k // 6}")
            )
            conn.execute(
                "INSERT INTO tracks (id, path, size, mtime, duration, artist, album_artist, album, title,"
                " track_number, genre, added_at, updated_at) VALUES (?, ?, 1, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    t,
                    f"/music/new/{t}.ogg",
                    None if k % 9 == 4 else float(rng.uniform(30, 300)),
                    artist,
                    album_artist,
                    album,
                    f"New Song {t}",
                    k + 1,
                    genres[k % len(genres)],
                    NOW,
                    NOW,
                ),
            )
            if k % 8 == 7:
                continue  # not analysed yet
            _analyse(conn, t, rng, MODEL_VERSION if k % 13 != 6 else "old-model")
    return ids


def _analyse(conn, track_id: int, rng: np.random.Generator, version: str = MODEL_VERSION) -> None:
    conn.execute(
        "INSERT INTO analysis (track_id, model_version, embedding, tags, tempo, loudness, brightness, energy,"
        " windows, analyzed_at) VALUES (?, ?, ?, ?, ?, ?, 2000, 1, 3, ?)",
        (
            track_id,
            version,
            (rng.normal(size=200) + 0.5).astype("<f4").tobytes(),
            rng.dirichlet(np.ones(50)).astype("<f4").tobytes(),
            float(rng.uniform(60, 180)),
            float(rng.uniform(-20, -5)),
            NOW,
        ),
    )


@contextlib.contextmanager
def _built(scanned_db, tmp_path, bundle) -> Iterator[tuple[Store, Static]]:
    """A copy of the scanned-style database, open, and its static part built in full."""
    with Store.open(_copy(scanned_db, tmp_path)) as store:
        built, how = static_part(store, bundle)
        assert how == "built"
        yield store, built


def _assert_same_static(new: Static, old: Static) -> None:
    a, b = new.library, old.library
    _assert_same_library(a, b)
    for name in _ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name
    assert list(a.album_pairs) == list(b.album_pairs) and a.genre_keys == b.genre_keys
    if b.artist_similarity is not None:
        assert np.array_equal(_csr(a.artist_similarity).indptr, _csr(b.artist_similarity).indptr)
    assert new.match.track_artist == old.match.track_artist
    assert new.match.artist_tracks == old.match.artist_tracks
    assert new.match.artist_to_item == old.match.artist_to_item and new.match.how == old.match.how
    assert new.match.keys is None or new.match.keys == old.match.keys  # spellings' keys, when carried
    assert new.match.unmatched == old.match.unmatched
    assert list(new.predicted) == list(old.predicted)
    for artist, vector in old.predicted.items():
        assert np.array_equal(new.predicted[artist], vector), artist
    assert new.gone.dtype == bool and np.array_equal(new.gone, old.gone)


@pytest.mark.parametrize("searches", [64, 3])  # new albums found by searching the cached keys, then by a dict
def test_new_tracks_and_analyses_are_added_as_a_full_build_would_place_them(
    scanned_db, bundle, tmp_path, monkeypatch, searches
):
    monkeypatch.setattr(codes, "KEY_SEARCHES", searches)
    with _built(scanned_db, tmp_path, bundle) as (store, built):
        assert built.built_rows == len(built.library)
        frozen = built.frozen()
        never_analysed = [t for t in range(1, 1501, 9) if t in set(built.library.track_ids.tolist())][:6]
        new_ids = _add(store, bundle, 1501, 60, seed=1)
        rng = np.random.default_rng(5)
        with store.transaction() as conn:  # old tracks analysed since (their artists' factors move too)
            for t in never_analysed:
                _analyse(conn, t, rng)
        updated, how = static_part(store, bundle)
        assert how == "appended"
        assert set(new_ids) <= set(updated.library.track_ids.tolist())
        assert updated.library.has_audio[updated.library.row(never_analysed[0])]
        _assert_same_static(updated, full_static(store, bundle, frozen))
        assert "Brand New Band 1" in updated.predicted  # an unknown artist placed from its new album
        # The updated cache is what the next start reads; a second update adds to it alike.
        again, how = static_part(store, bundle)
        assert how == "cache"
        _assert_same_static(again, updated)
        _add(store, bundle, 1601, 30, seed=2)
        twice, how = static_part(store, bundle)
        assert how == "appended"
        _assert_same_static(twice, full_static(store, bundle, frozen))
        assert twice.match.keys == full_static(store, bundle, frozen).match.keys  # kept in the cache
        # What the listener gets: the radio's library over the updated arrays, a new track playable.
        parts = LibraryParts()
        library = load_library(store, bundle=bundle, now=NOW, parts=parts)
        assert parts.cache == "cache" and library.row(1601) >= 0


@pytest.mark.parametrize(
    "change",
    [
        "DELETE FROM analysis WHERE track_id = 5",  # an analysis lost
        "INSERT INTO tracks (id, path, size, mtime, added_at, updated_at) VALUES (7, '/x.ogg', 1, 0, 0, 0)",
    ],
)
def test_changes_the_log_cannot_add_build_in_full(scanned_db, bundle, tmp_path, change):
    db = _copy(scanned_db, tmp_path)
    with Store.open(db) as store:
        static_part(store, bundle)
        if change.startswith("INSERT"):  # an id below the cached ones, as after a delete
            store.conn.execute("DELETE FROM plays WHERE track_id = 7")
            store.conn.execute("DELETE FROM analysis WHERE track_id = 7")
            store.conn.execute("DELETE FROM tracks WHERE id = 7")
            static_part(store, bundle)
        with store.transaction() as conn:
            conn.execute(change)
        fresh, how = static_part(store, bundle)
        assert how == "built"
        _assert_same_static(fresh, full_static(store, bundle))


def test_retagged_tracks_are_patched_in_their_rows_as_a_full_build_would_number_them(
    scanned_db, bundle, tmp_path
):
    """Retags of every kind (a new artist, a known one, a spelling of an artist's first row, a whole album
    renamed, a credit removed, an artist retagged away, a genre, a title, a MusicBrainz id), alone and
    then with new tracks, analyses and gone files in one update: no full build, and the same arrays."""
    with _built(scanned_db, tmp_path, bundle) as (store, built):
        frozen = built.frozen()
        conn = store.conn

        def ids_of(sql: str, *args) -> list[int]:
            return [r[0] for r in conn.execute(sql, args)]

        lib = built.library
        names = lib.artist_names
        codes, first_rows = np.unique(lib.artist, return_index=True)
        firsts = {names[c]: int(lib.track_ids[r]) for c, r in zip(codes, first_rows, strict=True)}
        first_artist = next(a for a in names if a and a.isascii() and a.lower() != a)
        album = ids_of("SELECT id FROM tracks WHERE album = 'Album 5' ORDER BY id")
        gone_artist = "Ørjan"  # every track of it retagged to another artist
        all_of = ids_of("SELECT id FROM tracks WHERE artist = ? ORDER BY id", gone_artist)
        assert gone_artist in names and all_of
        mbid = next(iter(bundle.mbid_index), None) if bundle.mbid_index else None
        with store.transaction() as tx:
            tx.execute("UPDATE tracks SET artist = 'Someone Else' WHERE id = 2")  # a new artist, early
            tx.execute("UPDATE tracks SET artist = (SELECT artist FROM tracks WHERE id = 1) WHERE id = 11")
            tx.execute(
                "UPDATE tracks SET artist = ? WHERE id = ?", (first_artist.lower(), firsts[first_artist])
            )
            tx.executemany("UPDATE tracks SET album = 'Album Five' WHERE id = ?", [(t,) for t in album])
            tx.execute("UPDATE tracks SET artist = NULL, album_artist = NULL WHERE id = 12")
            tx.executemany("UPDATE tracks SET artist = 'Unknown Band' WHERE id = ?", [(t,) for t in all_of])
            tx.execute(
                "UPDATE tracks SET genre = 'Trip-Hop', title = 'Renamed', duration = 61.5 WHERE id = 13"
            )
            if mbid is not None:
                tx.execute("UPDATE tracks SET mb_artist_id = ? WHERE id = 14", (mbid,))
        assert set(changes_since(store, built.seq)) == {"changed"}
        updated, how = static_part(store, bundle)
        assert how == "appended"
        _assert_same_static(updated, full_static(store, bundle, frozen))
        assert (
            gone_artist not in updated.library.artist_names and "Someone Else" in updated.library.artist_names
        )
        # Retags, new tracks, analyses and a gone file in one update.
        _add(store, bundle, 1501, 20, seed=7)
        rng = np.random.default_rng(11)
        with store.transaction() as tx:
            tx.execute("UPDATE tracks SET artist = 'Brand New Band 7' WHERE id = 7")  # joins a new artist
            tx.execute(
                "UPDATE tracks SET album_artist = 'Someone Else', album = 'Split' WHERE id IN (20, 21)"
            )
            tx.execute("UPDATE tracks SET missing = 1 WHERE id = 22")
            if not lib.has_audio[lib.row(10)]:
                _analyse(tx, 10, rng)
        again, how = static_part(store, bundle)
        assert how == "appended"
        _assert_same_static(again, full_static(store, bundle, frozen))
        library = load_library(store, bundle=bundle, now=NOW, taste=False)
        assert library.artist_names[library.artist[library.row(7)]] == "Brand New Band 7"
        # Retags that move no artist nor album (a title, a spelling past an artist's first row, a genre),
        # then one that takes a track from its artist.
        with store.transaction() as tx:
            tx.execute("UPDATE tracks SET title = 'Remaster', duration = 99 WHERE id IN (40, 41)")
            tx.execute(
                "UPDATE tracks SET artist = upper(artist) WHERE id = ? AND artist IS NOT NULL", (album[-1],)
            )
            tx.execute("UPDATE tracks SET genre = 'Jazz' WHERE id = 42")
        third, how = static_part(store, bundle)
        assert how == "appended"
        _assert_same_static(third, full_static(store, bundle, frozen))
        with store.transaction() as tx:  # a track's credit removed: its artist keeps its other tracks
            tx.execute("UPDATE tracks SET artist = NULL, album_artist = NULL WHERE id = 43")
        third, how = static_part(store, bundle)
        assert how == "appended"
        _assert_same_static(third, full_static(store, bundle, frozen))


def test_files_gone_back_or_moved_are_updated_as_a_full_build_would_leave_them(scanned_db, bundle, tmp_path):
    """An unplugged folder, a file put back, a folder renamed, a rescan that rewrote only sizes and gains:
    no full build, and the same arrays as one; the gone files leave the station and ``similar``, and
    their artist's placement and the taste do not move."""
    from recommender.similar.index import SimilarIndex
    from recommender.taste.bans import Bans

    with _built(scanned_db, tmp_path, bundle) as (store, built):
        frozen = built.frozen()
        conn = store.conn
        missing = [r[0] for r in conn.execute("SELECT id FROM tracks WHERE missing = 1 ORDER BY id")]
        band = "Unknown Band"  # an artist the bundle lacks, placed from its sound and its files' words
        heroes = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM tracks WHERE COALESCE(NULLIF(artist, ''), album_artist) = ? AND missing = 0"
                " AND COALESCE(genre, '') = '' ORDER BY id",
                (band,),
            )
        ]
        assert band in built.predicted and len(heroes) >= 2 and len(missing) >= 2
        seed = 4243 % 1500
        unplugged = [t for t in range(200, 260) if t not in missing and t != seed]
        with store.transaction() as tx:
            tx.executemany("UPDATE tracks SET missing = 1 WHERE id = ?", [(t,) for t in unplugged])
            tx.execute("UPDATE tracks SET missing = 0 WHERE id = ?", (missing[0],))  # put back
            tx.execute("UPDATE tracks SET missing = 1 WHERE id = ?", (missing[1],))  # already gone: no change
            for t in heroes:  # moved into a folder that names their genre: their artist is placed anew
                tx.execute("UPDATE tracks SET path = ? WHERE id = ?", (f"/music/Jazz/{t}.ogg", t))
            tx.execute("UPDATE tracks SET path = '/music/moved/1.ogg' WHERE id = 1")  # a known artist's
            tx.execute(
                "UPDATE tracks SET size = 9, mtime = 5, rg_track_gain = -3, updated_at = 7 WHERE id < 100"
            )
        changes = changes_since(store, built.seq)
        assert "changed" not in changes and changes["moved"] == {*heroes, 1}
        assert changes["gone"] == set(unplugged) and changes["back"] == {missing[0]}
        updated, how = static_part(store, bundle)
        assert how == "appended"
        _assert_same_static(updated, full_static(store, bundle, frozen))
        assert not np.array_equal(updated.predicted[band], built.predicted[band])
        assert static_part(store, bundle)[1] == "cache"
        # What the listener gets: the gone files out of the station, the one put back in it.
        library = load_library(store, bundle=bundle, now=NOW, taste=False)
        ids = set(library.track_ids.tolist())
        assert not ids & set(unplugged) and missing[0] in ids and missing[1] not in ids
        # ... and out of ``similar``: no sound-alike, no artist's track.
        index = SimilarIndex.from_library(
            updated.library, updated.match, updated.predicted, bundle, updated.gone
        )
        answer = index.track(seed, band, n=50, sounds_like=len(built.library), bans=Bans())
        offered = {s.track_id for s in answer.sounds_like} | {t for a in answer.artists for t in a.track_ids}
        assert offered and not offered & (set(unplugged) | {missing[1]})
        # Unplugging the whole library's rest leaves an artist with no file: it is not "in your library".
        gone_all = [
            t for t in updated.library.track_ids.tolist() if t not in index.artist_tracks.get(band, [])
        ]
        taste = load_library(store, bundle=bundle, now=NOW).taste
        with store.transaction() as tx:
            tx.executemany("UPDATE tracks SET missing = 1 WHERE id = ?", [(t,) for t in gone_all])
        only, how = static_part(store, bundle)
        assert how == "appended"
        alone = SimilarIndex.from_library(only.library, only.match, only.predicted, bundle, only.gone)
        assert list(alone.artist_tracks) == [band]
        assert not any(a.in_library for a in alone.artist(band, n=30).artists)
        # The plays of the unplugged files still make the taste: it does not move.
        assert taste is not None and np.array_equal(load_library(store, bundle=bundle, now=NOW).taste, taste)


def test_many_new_rows_or_a_trimmed_log_build_in_full(scanned_db, bundle, tmp_path):
    db = _copy(scanned_db, tmp_path)
    with Store.open(db) as store:
        built, _ = static_part(store, bundle)
        _add(store, bundle, 1501, int(len(built.library) * append.GROWTH) + 1, seed=3)
        assert static_part(store, bundle)[1] == "built"  # the statistics would describe too little
        seq = log_position(store)
        _add(store, bundle, 4001, 5, seed=4)
        assert changes_since(store, seq) == {
            "added": set(range(4001, 4006)),
            "analysed": set(range(4001, 4006)),
        }
        assert trim_log(store, keep=2) > 0
        assert changes_since(store, 0) is None  # the floor passed: the log cannot tell everything
        assert static_part(store, bundle)[1] == "built"
        # A library retagged wholesale: its factor statistics would be the old build's, so it builds again.
        rebuilt = static_part(store, bundle)[0]
        assert rebuilt.retagged == 0
        with store.transaction() as conn:
            conn.execute("UPDATE tracks SET genre = 'Retagged' WHERE id <= 300")
        patched, how = static_part(store, bundle)
        assert how == "appended" and patched.retagged == 300
        with store.transaction() as conn:
            conn.execute(
                "UPDATE tracks SET genre = 'Again' WHERE id > 300 AND id <= ?", (len(rebuilt.library) // 3,)
            )
        assert static_part(store, bundle)[1] == "built"


def test_a_row_is_projected_alike_alone_or_in_its_block():
    rng = np.random.default_rng(0)
    raw = (rng.normal(size=(PROJECT_ROWS + 300, 200)) + 0.3).astype(np.float32)
    mean = raw.mean(axis=0)
    basis = np.linalg.qr(rng.normal(size=(200, 64)))[0].astype(np.float32)
    whole = project_audio(raw, mean, basis)
    plain = (raw - mean) @ basis
    assert np.allclose(whole, plain / np.linalg.norm(plain, axis=1, keepdims=True), atol=1e-6)
    rows = np.array([3, 77, PROJECT_ROWS - 1, PROJECT_ROWS + 5, PROJECT_ROWS + 299])
    assert np.array_equal(project_audio(raw[rows], mean, basis, rows), whole[rows])


@pytest.mark.parametrize("block", [7, 64, 65_536])
def test_rows_compacted_in_place_are_the_rows_kept(monkeypatch, block):
    """A start with a ban or a missing file moves the kept audio rows up over the cache's own array instead
    of copying them: the same rows as a copy, whatever the mask and the block size."""
    monkeypatch.setattr(row_blocks, "COMPACT_ROWS", block)
    rng = np.random.default_rng(block)
    n = 1000
    for keep in (
        np.ones(n, bool), np.zeros(n, bool), np.arange(n) % 2 == 0, np.arange(n) >= 640, np.arange(n) < 13,
        rng.random(n) < 0.97,
    ):  # fmt: skip
        matrix = rng.normal(size=(n, 5)).astype(np.float32)
        expected = matrix[keep].copy()
        got = compacted(matrix, keep)
        assert np.shares_memory(got, matrix) or not len(got)
        assert got.shape == expected.shape and np.array_equal(got, expected)


def test_rows_added_below_a_taken_matrix_are_the_rows_of_a_copy():
    """New rows go below the cached audio matrix in its own memory when nothing else holds it, and into a
    copy when something does (a view of it stays as it was): the same rows either way."""
    from types import SimpleNamespace

    rng = np.random.default_rng(5)
    extra = rng.normal(size=(3, 4)).astype(np.float32)
    for viewed in (False, True):
        for more in (extra, extra[:0]):  # rows added, or none (a resize to the same size checks nothing)
            owner = SimpleNamespace(audio=rng.normal(size=(50, 4)).astype(np.float32))
            expected = np.concatenate([owner.audio, more])
            view = owner.audio[:5] if viewed else None
            before = None if view is None else view.copy()
            own = id(owner.audio)
            got = row_blocks.taken_grown(owner, "audio", more)
            assert owner.audio is None and got.shape == (50 + len(more), 4) and np.array_equal(got, expected)
            assert (id(got) == own) == (not viewed)  # its own memory when nothing else held it
            if view is not None:
                got[:5] = 0.0  # as the update writes re-analysed rows into it
                assert np.array_equal(view, before) and not np.shares_memory(got, view)


def test_the_load_that_updates_the_cache_moves_hidden_rows_only_once_they_are_written(
    scanned_db, bundle, tmp_path, monkeypatch
):
    """The load that brings the cache up to date writes it behind the first track and moves the kept audio
    rows up over the hidden ones (no second copy at a million tracks): only once the writer thread has the
    audio rows in the file, so the file keeps every row. A slow disk is made here by a writer that waits
    before each file; moved earlier, the file would hold the moved rows."""
    import time

    from recommender import array_file, disk_cache
    from recommender.radio import library as radio_library

    real_write, real_compacted = array_file.write, radio_library.compacted
    in_file: list[str] = []

    def slow_write(fh, key, arrays, done=None):
        time.sleep(0.5)  # moved without waiting, the rows would be moved before they were written

        def noted(name):
            in_file.append(name)
            if done is not None:
                done(name)

        real_write(fh, key, arrays, noted)

    def compacted(matrix, keep):
        assert "lib_audio" in in_file  # moved only once in the file
        in_file.append("moved")
        return real_compacted(matrix, keep)

    monkeypatch.setattr(radio_library, "compacted", compacted)

    with _built(scanned_db, tmp_path, bundle) as (store, built):
        frozen = built.frozen()
        disk_cache.written()
        monkeypatch.setattr(array_file, "write", slow_write)
        unplugged = list(range(300, 340))
        with store.transaction() as tx:
            tx.executemany("UPDATE tracks SET missing = 1 WHERE id = ?", [(t,) for t in unplugged])
        parts = LibraryParts()
        library = load_library(store, bundle=bundle, now=NOW, taste=False, parts=parts)
        assert parts.cache == "appended" and not set(library.track_ids.tolist()) & set(unplugged)
        assert "moved" in in_file  # in place, not copied
        disk_cache.written()
        cached, how = static_part(store, bundle)
        assert how == "cache"
        _assert_same_static(cached, full_static(store, bundle, frozen))


def test_statistics_frozen_from_a_few_analysed_tracks_are_not_kept_for_many(scanned_db, bundle, tmp_path):
    """A first build while the analysis had done a few dozen tracks must not place the rest with their
    centre and axes: once the analysed rows grow past ``GROWTH`` of the build's, the next load builds."""
    db = _copy(scanned_db, tmp_path)
    with Store.open(db) as store:
        analysed = [r[0] for r in store.conn.execute("SELECT track_id FROM analysis ORDER BY track_id")]
        with store.transaction() as conn:  # as the background analysis left it early on: 40 tracks done
            conn.execute("DELETE FROM analysis WHERE track_id > ?", (analysed[39],))
        built, how = static_part(store, bundle)
        assert how == "built" and 30 <= built.built_analysed <= 40
        rng = np.random.default_rng(9)
        with store.transaction() as conn:
            for t in analysed[40:45]:
                _analyse(conn, t, rng)
        assert static_part(store, bundle)[1] == "appended"  # a few more: placed with the frozen axes
        with store.transaction() as conn:
            for t in analysed[45:120]:
                _analyse(conn, t, rng)
        rebuilt, how = static_part(store, bundle)
        assert how == "built" and rebuilt.built_analysed > 100


def test_an_update_that_fails_builds_in_full_and_says_so(scanned_db, bundle, tmp_path, monkeypatch, caplog):
    db = _copy(scanned_db, tmp_path)
    with Store.open(db) as store:
        static_part(store, bundle)
        _add(store, bundle, 1501, 5, seed=6)

        def broken(*_args):
            raise ValueError("a cache this code cannot read")

        monkeypatch.setattr(append, "update", broken)
        fresh, how = static_part(store, bundle)
    assert how == "built" and "could not be brought up to date" in caplog.text
    with Store.open(db) as store:
        _assert_same_static(fresh, full_static(store, bundle))


def test_track_artists_finds_many_ids_at_once_as_one_at_a_time():
    from recommender.factors.track_artists import TrackArtists

    names = ["A", "B", "C"]
    tracks = TrackArtists(np.array([3, 5, 9, 12]), np.array([2, 0, 0, 1]), names)
    ids = np.array([12, 1, 3, 9, 13, 5, 10, 0])
    assert (
        tracks.artists_of(ids)
        == [tracks.get(int(t)) for t in ids]
        == ["B", None, "C", "A", None, "A", None, None]
    )
    assert TrackArtists(np.zeros(0, np.int64), np.zeros(0, np.int64), []).artists_of(ids) == [None] * len(ids)
