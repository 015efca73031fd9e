"""The fast loading path of the radio and ``similar`` (issue 12, item 13) gives what the old one gave.

``tests/radio_reference.py`` keeps the old, row-at-a-time code. Here both load the same databases (the
analysed real corpus, and a scanned-style one with bundle artists, odd credits, compilations, bans,
missing tracks and stale analyses) and must agree bit for bit, so the stations' first picks and the
``similar`` answers are unchanged by the optimisation. No timing is asserted (``benchmarks/radio_start.py``
measures the speed).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import radio_reference as ref
import scipy.sparse as sp

from player.store import Store
from player.store.analysis import MODEL_VERSION
from player.store.ratings import BAN, LOVE, rate_artist, rate_track
from recommender import disk_cache
from recommender.factors.bundle_file import load_bundle
from recommender.radio.library import LibraryParts, RadioLibrary
from recommender.radio.load import load_library
from recommender.radio.scoring import dense_row
from recommender.radio.station import PlayEvent, Station
from recommender.similar.index import SimilarIndex
from recommender.similar.stored import index_arrays

NOW = 1.9e9
ARRAYS = (
    "track_ids artist album genre duration audio has_audio factors raw_factors has_factors factor_source"
    " tempo loudness last_played artist_completions artist_skips taste audio_mean audio_basis log2_tempo loudness32"
    " top_tags item"
).split()


@pytest.fixture(scope="module")
def bundle():
    return load_bundle()


@pytest.fixture(scope="module")
def scanned_db(bundle, tmp_path_factory) -> Path:
    """A scanned-style database: 1,500 tracks by bundle artists in odd spellings, credits that need
    the album artist or a split, placeholders, unknown artists, compilations, missing tracks, tracks
    without analysis or with a stale one, plays, loves and bans."""
    rng = np.random.default_rng(7)
    popular = [str(bundle.names[i]) for i in np.argsort(-bundle.popularity)[:40]]
    credits = [(a, None) for a in popular]
    credits += [
        (popular[0].upper(), None),
        ("  " + popular[1] + " ", None),
        (f"{popular[2]} feat. Nobody", None),
    ]
    credits += [(f"{popular[3]} & {popular[4]}", None), ("Various Artists", popular[5]), (None, popular[6])]
    credits += [
        (None, None),
        ("", "Unknown Band"),
        ("Unknown Band", None),
        ("Local Heroes", None),
        ("Ørjan", None),
    ]
    genres = ["Rock", "rock ", None, "Jazz", "", "Electronic"]
    path = tmp_path_factory.mktemp("scanned") / "encore.db"
    now = time.time()
    version = MODEL_VERSION
    with Store.open(path) as store:
        with store.transaction() as conn:
            for i in range(1500):
                artist, album_artist = credits[int(rng.integers(len(credits)))]
                album = None if i % 17 == 0 else ("" if i % 29 == 0 else f"Album {i // 12}")
                if i % 50 < 4:
                    album, album_artist = "Greatest Compilation", album_artist  # shared by many artists
                duration = None if i % 41 == 0 else float(rng.uniform(10, 400))
                conn.execute(
                    "INSERT INTO tracks (id, path, size, mtime, duration, artist, album_artist, album, title,"
                    " track_number, disc_number, genre, added_at, updated_at, missing)"
                    " VALUES (?, ?, 1, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        i + 1,
                        f"/music/{i % 7}/{i:05d}.ogg",
                        duration,
                        artist,
                        album_artist,
                        album,
                        f"Song {i}",
                        i % 12 + 1,
                        1 + i % 3 // 2,
                        genres[i % len(genres)],
                        now,
                        now,
                        int(i % 97 == 5),
                    ),
                )
                if i % 9 == 0:
                    continue  # never analysed
                emb = rng.normal(size=200).astype("<f4") + np.float32(0.3 * (i % 13))
                tags = rng.dirichlet(np.ones(50)).astype("<f4")
                conn.execute(
                    "INSERT INTO analysis (track_id, model_version, embedding, tags, tempo, loudness,"
                    " brightness, energy, windows, analyzed_at) VALUES (?, ?, ?, ?, ?, ?, 2000, 1, 3, ?)",
                    (
                        i + 1,
                        version if i % 23 else "old-model",
                        emb.tobytes(),
                        tags.tobytes(),
                        None if i % 31 == 0 else float(rng.uniform(60, 180)),
                        float(rng.uniform(-20, -5)),
                        now,
                    ),
                )
            for k, t in enumerate(rng.choice(1500, 200, replace=False)):
                outcome = ("completed", "skipped", "stopped", "error")[k % 4]
                conn.execute(
                    "INSERT INTO plays (track_id, session_id, started_at, ended_at, updated_at,"
                    " seconds_listened, duration, position, outcome) VALUES (?, 's', ?, ?, ?, 100, 200, 100, ?)",
                    (int(t) + 1, now - 3000 * k, now - 3000 * k + 100, now, outcome),
                )
        rate_track(store, 3, BAN)
        rate_track(store, 4, LOVE)
        rate_artist(store, popular[7], BAN)
        rate_artist(store, popular[8], LOVE)
    return path


def _assert_same_library(new: RadioLibrary, old: RadioLibrary) -> None:
    for name in ARRAYS:
        a, b = getattr(new, name), getattr(old, name)
        assert (a is None) == (b is None), name
        if a is not None:
            assert np.asarray(a).dtype == np.asarray(b).dtype, name
            assert np.array_equal(a, b, equal_nan=np.asarray(a).dtype.kind == "f"), name
    assert (new.taste_scores is None) == (old.taste_scores is None)
    if new.taste_scores is not None:  # recomputed at every load (not cached): equal to the last bits of BLAS
        assert np.allclose(new.taste_scores, old.taste_scores, rtol=1e-12, atol=0, equal_nan=True)
    assert new.artist_names == old.artist_names
    for space in ("audio", "factors"):  # the z-score statistics, over the whole library
        if getattr(old, space) is not None:
            for a, b in zip(new.space_stats(space), old.space_stats(space), strict=True):
                assert np.array_equal(a, b), space
    assert list(new.titles or ()) == list(old.titles or ()) and new.tag_names == old.tag_names
    assert (new.taste_basis is None) == (old.taste_basis is None)
    assert new.taste_evidence == old.taste_evidence
    assert (new.artist_similarity is None) == (old.artist_similarity is None)
    if new.artist_similarity is not None:
        assert tuple(new.artist_similarity.shape) == tuple(old.artist_similarity.shape)
        assert (_csr(new.artist_similarity) != _csr(old.artist_similarity)).nnz == 0
        for code in range(old.artist_similarity.shape[0]):  # the rows the station reads, bit for bit
            assert np.array_equal(
                dense_row(new.artist_similarity, code), dense_row(old.artist_similarity, code)
            )


def _csr(m: object) -> sp.csr_matrix:
    """A scipy CSR matrix of a scipy matrix or of the cache's ``CsrRows`` (same three arrays)."""
    return sp.csr_matrix((m.data, m.indices, m.indptr), shape=tuple(m.shape))


def _picks(library: RadioLibrary, seed: int, n: int = 15) -> list[tuple[int, str]]:
    station = Station(library, seed, rng=3, now=1e12)
    out = []
    for k in range(n):
        item = station.next_item()
        out.append((item.track_id, item.why))
        station.observe(PlayEvent(item.track_id, "skipped" if k % 3 == 2 else "completed"))
    return out


def _seeds(library: RadioLibrary, count: int = 4) -> list[int]:
    rows = np.flatnonzero(library.has_audio & (library.duration > 60))
    return [int(library.track_ids[r]) for r in rows[:: max(1, len(rows) // count)][:count]]


@pytest.mark.parametrize("taste", [True, False])
def test_scanned_library_loads_as_before(scanned_db, bundle, taste):
    with Store.open(scanned_db) as store:
        new = load_library(store, bundle=bundle, taste=taste, now=NOW)
        old = ref.load_library(store, bundle=bundle, taste=taste, now=NOW)
    _assert_same_library(new, old)
    assert new.taste is not None or not taste
    assert 3 not in set(new.track_ids.tolist())  # the banned track stays out
    for seed in _seeds(new):
        assert _picks(new, seed) == _picks(old, seed)


def test_a_banned_seed_the_user_chose_is_kept(scanned_db, bundle):
    with Store.open(scanned_db) as store:
        new = load_library(store, bundle=bundle, keep=[3], now=NOW)
        old = ref.load_library(store, bundle=bundle, keep=[3], now=NOW)
    _assert_same_library(new, old)
    assert _picks(new, 3) == _picks(old, 3)


def test_corpus_library_loads_as_before(analyzed_corpus_db, bundle):
    with Store.open(analyzed_corpus_db) as store:
        new = load_library(store, bundle=bundle, now=NOW)
        old = ref.load_library(store, bundle=bundle, now=NOW)
    _assert_same_library(new, old)
    for seed in _seeds(new):
        assert _picks(new, seed) == _picks(old, seed)


@pytest.mark.parametrize("which", ["scanned", "corpus"])
def test_similar_answers_as_before(which, scanned_db, analyzed_corpus_db, bundle):
    db = scanned_db if which == "scanned" else analyzed_corpus_db
    with Store.open(db) as store:
        new = SimilarIndex.from_store(store, bundle)
        old = ref.similar_index(store, bundle)
        names = sorted({a for a in old.artist_tracks})[:12]
    assert new.artist_tracks == old.artist_tracks and new.artist_to_item == old.artist_to_item
    assert new.local_by_key == old.local_by_key  # the match's keys, not normalised again
    for name in names + ["Radiohead"]:
        assert new.artist(name, 15, 8).as_dict() == old.artist(name, 15, 8).as_dict()
    # What the cache keeps: the match's arrays as they are, the same as grouping the lists of names.
    kept, listed = index_arrays(new), index_arrays(old)
    for name in ("track_ids", "track_ends", "artist_item"):
        assert kept[name].dtype == listed[name].dtype and np.array_equal(kept[name], listed[name]), name


def _copy(db: Path, tmp_path: Path) -> Path:
    with Store.open(db) as store:
        store.checkpoint()
    target = tmp_path / "encore.db"
    shutil.copyfile(db, target)
    return target


def test_the_cache_gives_the_same_library_and_follows_changes(scanned_db, bundle, tmp_path):
    db = _copy(scanned_db, tmp_path)
    cache = tmp_path / "cache" / "encore.db.radio.arrays"
    with Store.open(db) as store:
        first = load_library(store, bundle=bundle, now=NOW)
        disk_cache.written()
        assert cache.exists()
        disk_cache.written()
        written = cache.stat().st_mtime_ns
        again = load_library(store, bundle=bundle, now=NOW)  # from the cache
        disk_cache.written()
        assert cache.stat().st_mtime_ns == written
        _assert_same_library(again, first)
        _assert_same_library(again, ref.load_library(store, bundle=bundle, now=NOW))
        # Each change that the arrays depend on gives a fresh, correct library.
        changes = [
            lambda: rate_artist(store, "Local Heroes", BAN),
            lambda: store.conn.execute(
                "UPDATE tracks SET album = 'Other', updated_at = updated_at + 1 WHERE id = 10"
            ),
            lambda: store.conn.execute("DELETE FROM analysis WHERE track_id = 11"),
            lambda: store.conn.execute(
                "UPDATE analysis SET analyzed_at = analyzed_at + 5, tempo = 99 WHERE track_id = 12"
            ),
            # Edits that leave every timestamp and count alone (the sqlite3 shell, a buggy writer).
            lambda: store.conn.execute(
                "UPDATE tracks SET title = 'Renamed', artist = 'Local Heroes' WHERE id = 13"
            ),
            lambda: store.conn.execute("UPDATE analysis SET tempo = 77 WHERE track_id = 14"),
        ]
        patched = False  # since a retag patched in place: the last full build's z-score statistics are kept

        def same_as_reference() -> None:
            nonlocal patched
            parts = LibraryParts()
            new = load_library(store, bundle=bundle, now=NOW, parts=parts)
            old = ref.load_library(store, bundle=bundle, now=NOW)
            patched = parts.cache != "built" and (patched or parts.cache == "appended")
            if patched:  # (test_radio_append checks them against a full build)
                old._stats = dict(new._stats)
            _assert_same_library(new, old)

        for change in changes:
            with store.transaction():
                change()
            same_as_reference()
        # Plays are not in the cache: a new play moves recency and taste at once, and the cache stays.
        disk_cache.written()
        written = cache.stat().st_mtime_ns
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO plays (track_id, session_id, started_at, ended_at, updated_at, seconds_listened,"
                " duration, position, outcome) VALUES (20, 's', ?, ?, ?, 100, 100, 100, 'completed')",
                (NOW - 50, NOW - 40, NOW - 40),
            )
        same_as_reference()
        disk_cache.written()
        assert cache.stat().st_mtime_ns == written


def test_a_love_keeps_both_caches_and_a_ban_keeps_similars(scanned_db, bundle, tmp_path):
    """Ratings are not in the change counter (schema v8, issue 25 item 1): a love changes nothing cached,
    so neither cache is recomputed; nor does a ban, applied as a mask at load by the radio and per
    query by ``similar``. Both still answer as a build from scratch does."""
    from recommender.taste.bans import Bans

    db = _copy(scanned_db, tmp_path)
    radio_cache = tmp_path / "cache" / "encore.db.radio.arrays"
    similar_cache = tmp_path / "cache" / "encore.db.similar.arrays"
    with Store.open(db) as store:
        load_library(store, bundle=bundle, now=NOW)
        SimilarIndex.from_store(store, bundle)
        disk_cache.written()
        written = {p: p.stat().st_mtime_ns for p in (radio_cache, similar_cache)}
        rate_track(store, 5, LOVE)
        rate_artist(store, "Radiohead", LOVE)
        _assert_same_library(
            load_library(store, bundle=bundle, now=NOW), ref.load_library(store, bundle=bundle, now=NOW)
        )
        SimilarIndex.from_store(store, bundle)
        disk_cache.written()
        assert {p: p.stat().st_mtime_ns for p in written} == written
        rate_artist(store, "Local Heroes", BAN)
        _assert_same_library(
            load_library(store, bundle=bundle, now=NOW), ref.load_library(store, bundle=bundle, now=NOW)
        )
        disk_cache.written()
        assert radio_cache.stat().st_mtime_ns == written[radio_cache]  # bans are a mask, not in the key
        cached = SimilarIndex.from_store(store, bundle)
        disk_cache.written()
        assert similar_cache.stat().st_mtime_ns == written[similar_cache]
        old = ref.similar_index(store, bundle)
        bans = Bans.from_store(store)
        for name in sorted(old.artist_tracks)[:12] + ["Radiohead"]:
            assert cached.artist(name, 15, 8, bans).as_dict() == old.artist(name, 15, 8, bans).as_dict()


def test_bans_are_a_mask_over_the_cached_rows(scanned_db, bundle, tmp_path):
    """A ban, an unban and a ban of a kept seed's artist each read the one cache (never recomputed)
    and give, bit for bit, what a build over every track with the banned rows dropped gives; the
    banned tracks are gone but for the kept seed, the station never plays them."""
    from player.store.ratings import unrate_artist

    db = _copy(scanned_db, tmp_path)
    radio_cache = tmp_path / "cache" / "encore.db.radio.arrays"
    with Store.open(db) as store:
        load_library(store, bundle=bundle, now=NOW)
        disk_cache.written()
        written = radio_cache.stat().st_mtime_ns
        theirs = {
            int(r[0]) for r in store.conn.execute("SELECT id FROM tracks WHERE artist = 'Local Heroes'")
        }
        seed = min(theirs)
        assert len(theirs) > 10

        def same(keep=()):
            new = load_library(store, bundle=bundle, now=NOW, keep=keep)
            old = ref.load_library(store, bundle=bundle, now=NOW, keep=keep)
            _assert_same_library(new, old)
            return new

        rate_artist(store, "Local Heroes", BAN)
        banned = same()
        assert not theirs & set(banned.track_ids.tolist())
        kept = same(keep=[seed])
        assert theirs & set(kept.track_ids.tolist()) == {seed}
        picks = _picks(kept, seed, 25)
        assert not theirs & {t for t, _ in picks}  # the seed starts the station; the others never play
        assert picks == _picks(ref.load_library(store, bundle=bundle, now=NOW, keep=[seed]), seed, 25)
        assert unrate_artist(store, "Local Heroes")
        assert theirs <= set(same().track_ids.tolist())
        rate_track(store, seed, BAN)
        same()
        same(keep=[seed])
        disk_cache.written()
        assert radio_cache.stat().st_mtime_ns == written


def test_a_damaged_or_unwritable_cache_is_not_used(scanned_db, bundle, tmp_path):
    db = _copy(scanned_db, tmp_path)
    with Store.open(db) as store:
        expected = ref.load_library(store, bundle=bundle, now=NOW)
        load_library(store, bundle=bundle, now=NOW)
        disk_cache.written()
        cache = tmp_path / "cache" / "encore.db.radio.arrays"
        cache.write_bytes(cache.read_bytes()[: cache.stat().st_size // 2])  # cut short, as by a crash
        _assert_same_library(load_library(store, bundle=bundle, now=NOW), expected)
        disk_cache.written()
        shutil.rmtree(tmp_path / "cache")
        (tmp_path / "cache").write_text("not a folder")  # nowhere to write: computed every time
        _assert_same_library(load_library(store, bundle=bundle, now=NOW), expected)
        assert (tmp_path / "cache").read_text() == "not a folder"


def test_similar_from_the_cache_answers_the_same(scanned_db, bundle, tmp_path):
    db = _copy(scanned_db, tmp_path)
    with Store.open(db) as store:
        old = ref.similar_index(store, bundle)
        SimilarIndex.from_store(store, bundle)
        disk_cache.written()
        assert (tmp_path / "cache" / "encore.db.similar.arrays").exists()
        cached = SimilarIndex.from_store(store, bundle)
    for name in sorted(old.artist_tracks)[:12] + ["Radiohead"]:
        assert cached.artist(name, 15, 8).as_dict() == old.artist(name, 15, 8).as_dict()


def test_the_bundle_item_similarity_is_cached_exactly(tmp_path, monkeypatch):
    from recommender.evaluation import ItemKNNScorer
    from recommender.factors.bundle_file import default_bundle_path, read_bundle

    monkeypatch.setenv("ENCORE_CACHE", str(tmp_path / "cache"))
    first = read_bundle(default_bundle_path())  # a fresh object: nothing cached in memory
    computed = first.item_similarity
    assert len(list((tmp_path / "cache").glob("bundle-*.knn.arrays"))) == 1
    second = read_bundle(default_bundle_path())
    cached = second.item_similarity  # read back from the file
    direct = ItemKNNScorer(first.user_matrix, int(first.hyper.get("knn_neighbours", 200))).similarity
    for sim in (computed, cached):
        assert sim.shape == direct.shape and (sim != direct).nnz == 0
    item = int(np.argmax(first.popularity))
    assert np.array_equal(second.item_similarity_row(item), direct[item].toarray().ravel().astype(np.float64))


def test_prewarm_fills_the_caches_a_later_start_reads(scanned_db, bundle, tmp_path):
    from recommender.similar.prewarm import prewarm

    db = _copy(scanned_db, tmp_path)
    with Store.open(db) as store:
        assert prewarm(store)
        radio, similar = (tmp_path / "cache" / f"encore.db.{n}.arrays" for n in ("radio", "similar"))
        disk_cache.written()
        assert radio.exists() and similar.exists()
        written = radio.stat().st_mtime_ns
        _assert_same_library(load_library(store, now=NOW), ref.load_library(store, bundle=bundle, now=NOW))
        disk_cache.written()
        assert radio.stat().st_mtime_ns == written  # read, not recomputed


def test_cached_names_survive_any_text():
    from recommender.cache_strings import strings, unstrings

    names = ["AC/DC", None, "Björk\x00", "", "Bj\udcf6rk", "坂本龍一", "Evil\x1b]0;x\x07", None]
    assert unstrings(strings(names), "") == names
    assert unstrings(strings([]), "") == []


def test_stored_strings_grow_find_and_save_without_decoding_each_item():
    """New rows' titles and album keys are added to a cached list, looked up in it and written back whole:
    the same items and the same saved arrays as the plain list, for any text."""
    from recommender.cache_strings import StoredStrings, strings

    items = ["", "ab", None, "b", "abab", "", "ab\x1fc", "Björk\x00", "ab"]
    stored = StoredStrings.of(strings(items), "")
    for value in ["", "ab", "b", "abab", "ab\x1fc", "Björk\x00", "x", "ba", "a", "Björk"]:
        expected = next((i for i, x in enumerate(items) if x == value), None)
        assert stored.index_of(value) == expected, value
    grown = stored.plus(["坂本龍一", None, "ab"])
    assert list(grown) == [*items, "坂本龍一", None, "ab"] and grown.index_of("坂本龍一") == len(items)
    for saved, plain in (
        (grown, [*items, "坂本龍一", None, "ab"]),
        (stored.subset([8, 1, 3]), ["ab", "ab", "b"]),
    ):
        got, want = strings(saved), strings(plain)
        assert got.keys() == want.keys() and all(np.array_equal(got[k], want[k]) for k in want)
    assert stored.subset([8, 1, 3]).index_of("b") == 2 and stored.subset([8, 1, 3]).plus(["c"])[3] == "c"
    # All str (joined as they are), with None, with other types (as str), and numpy's str: the same lists.
    for plain in (["a", "bc", ""], ["a", None, "b"], [7, None, "x", 2.5], list(np.array(["ä", "bb"]))):
        expected = [None if v is None else str(v) for v in plain]
        assert StoredStrings.of(strings(plain), "").tolist() == expected
        assert list(stored.plus(plain))[len(items) :] == expected
    # Retagged rows' titles replaced in place: the same items and saved arrays, contiguous or not.
    for base in (stored, stored.subset([8, 1, 3, 0, 2])):
        for rows, values in (([0], ["Zoë"]), ([1, 2, 4], [None, "", "新"]), ([len(base) - 1], ["x" * 40])):
            plain = list(base)
            for r, v in zip(rows, values, strict=True):
                plain[r] = v
            replaced = base.replaced(np.array(rows), values)
            assert list(replaced) == plain and replaced.contiguous()
            got, want = strings(replaced), strings(plain)
            assert all(np.array_equal(got[k], want[k]) for k in want)
