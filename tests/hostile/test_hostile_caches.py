"""Start-up caches with a valid key but tampered arrays (issue 27, item 12).

The caches are the real ones a ``radio`` and a ``similar`` run wrote for a scanned and analysed copy of
the corpus (``<db folder>/cache/encore.db.radio.arrays``, ``.similar.arrays``) and the bundle's copies in the user cache
(``bundle-*.copy.arrays``, ``bundle-*.knn.arrays``). Each is tampered with while its key stays valid (NaN,
cut rows, indices out of range) or replaced by a FIFO; the next run must answer exactly as a build from
scratch does (no alphabetical radio, no false reasons, no traceback, no hang, no refused shipped bundle)
and leave a good cache behind.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from hostile_helpers import encore

from recommender import array_file

SEED = "Timothy Pinkham - Victory"


def _answers(db: Path, env: dict[str, str]) -> dict[str, object]:
    """The radio's and similar's JSON answers (and that nothing went wrong on the way)."""
    out: dict[str, object] = {}
    for name, args in {
        "radio": ["radio", "--db", str(db), "--n", "8", "--no-analyze", "--random-seed", "7", "--json", SEED],
        "similar": ["similar", "--db", str(db), "--track", "--json", SEED],
    }.items():
        result = encore(*args, env=env, timeout=120)
        text = result.stdout + result.stderr
        assert result.returncode == 0 and "Traceback" not in text, text
        assert "refused" not in result.stderr, result.stderr
        out[name] = json.loads(result.stdout)
    return out


@pytest.fixture(scope="module")
def warm(analyzed_corpus_db, tmp_path_factory) -> tuple[Path, Path, dict[str, object]]:
    """A database folder and a user cache folder with every cache written, and the answers from scratch."""
    root = tmp_path_factory.mktemp("warm")
    db = root / "db" / "encore.db"
    db.parent.mkdir()
    shutil.copyfile(analyzed_corpus_db, db)
    user_cache = root / "user-cache"
    scratch = _answers(db, {"ENCORE_CACHE": str(user_cache), "ENCORE_NO_CACHE": "1"})
    warm = _answers(db, {"ENCORE_CACHE": str(user_cache)})
    assert warm == scratch
    assert (db.parent / "cache" / "encore.db.radio.arrays").is_file() and (
        db.parent / "cache" / "encore.db.similar.arrays"
    ).is_file()
    assert list(user_cache.glob("bundle-*.copy.arrays")) and list(user_cache.glob("bundle-*.knn.arrays"))
    return db, user_cache, scratch


def _copy(warm, tmp_path: Path) -> tuple[Path, Path]:
    db, user_cache, _ = warm
    shutil.copytree(db.parent, tmp_path / "db")
    shutil.copytree(user_cache, tmp_path / "user-cache")
    return tmp_path / "db" / "encore.db", tmp_path / "user-cache"


def _tamper(path: Path, change) -> None:
    """Rewrite the cache file with ``change`` applied to its arrays, its key untouched."""
    with open(path, "rb") as fh:
        key, arrays = array_file.read(fh)
    change(arrays)
    with open(path, "wb") as fh:
        array_file.write(fh, key, arrays)


def _nan(name: str):
    def change(a):
        a[name] = a[name].astype(np.float32)
        a[name][...] = np.nan

    return change


def _cut(name: str):
    def change(a):
        a[name] = a[name][: len(a[name]) // 2]

    return change


def _out_of_range(name: str):
    def change(a):
        a[name][: max(1, len(a[name]) // 3)] = min(10**9, np.iinfo(a[name].dtype).max)

    return change


CASES = {
    "radio-nan-audio": ("encore.db.radio.arrays", _nan("lib_audio")),
    "radio-nan-factors": ("encore.db.radio.arrays", _nan("factor_vectors")),
    "radio-factor-index": ("encore.db.radio.arrays", _out_of_range("factor_index")),
    "radio-nan-stats": ("encore.db.radio.arrays", _nan("stats_audio_mu")),
    "radio-short-audio": ("encore.db.radio.arrays", _cut("lib_audio")),
    "radio-short-artist": ("encore.db.radio.arrays", _cut("lib_artist")),
    "radio-artist-codes": ("encore.db.radio.arrays", _out_of_range("lib_artist")),
    "radio-items": ("encore.db.radio.arrays", _out_of_range("lib_item")),
    "radio-top-tags": ("encore.db.radio.arrays", _out_of_range("lib_top_tags")),
    "similar-nan-audio": ("encore.db.similar.arrays", _nan("audio")),
    "similar-short-audio": ("encore.db.similar.arrays", _cut("audio")),
    "similar-track-ends": ("encore.db.similar.arrays", _out_of_range("track_ends")),
    "similar-artist-items": ("encore.db.similar.arrays", _out_of_range("artist_item")),
    "similar-nan-predicted": ("encore.db.similar.arrays", _nan("pred_matrix")),
    "knn-indices": ("bundle-*.knn.arrays", _out_of_range("indices")),
    "knn-nan": ("bundle-*.knn.arrays", _nan("data")),
    "knn-indptr": ("bundle-*.knn.arrays", _cut("indptr")),
    "bundle-arrays-nan": ("bundle-*.copy.arrays", _nan("item_factors")),
    "bundle-arrays-short": ("bundle-*.copy.arrays", _cut("names")),
}


def _target(db: Path, user_cache: Path, name: str) -> Path:
    if name.startswith("bundle-"):
        (found,) = user_cache.glob(name)
        return found
    return db.parent / "cache" / name


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_tampered_cache_is_recomputed_and_overwritten(warm, tmp_path, case):
    db, user_cache = _copy(warm, tmp_path)
    name, change = CASES[case]
    target = _target(db, user_cache, name)
    _tamper(target, change)
    if name.startswith("bundle-"):  # the bundle's copies are read when the radio's and similar's are made
        for made in (db.parent / "cache").glob("*.arrays"):
            made.unlink()
    env = {"ENCORE_CACHE": str(user_cache)}
    assert _answers(db, env) == warm[2]
    assert _answers(db, env) == warm[2]  # the cache written back is a good one


@pytest.mark.parametrize(
    "name",
    ["encore.db.radio.arrays", "encore.db.similar.arrays", "bundle-*.copy.arrays", "bundle-*.knn.arrays"],
)
def test_a_fifo_in_place_of_a_cache_file_is_not_waited_on(warm, tmp_path, name):
    db, user_cache = _copy(warm, tmp_path)
    target = _target(db, user_cache, name)
    target.unlink()
    os.mkfifo(target)
    if name.startswith("bundle-"):
        for made in (db.parent / "cache").glob("*.arrays"):
            made.unlink()
    assert _answers(db, {"ENCORE_CACHE": str(user_cache)}) == warm[2]  # encore() times out on a hang
    assert target.is_file()  # replaced by a regular cache file


def test_the_cache_reader_opens_regular_files_only(tmp_path):
    from recommender import disk_cache

    fifo = tmp_path / "x.npz"
    os.mkfifo(fifo)
    assert disk_cache.load_file(fifo, "key") is None
    good = tmp_path / "good.npz"
    assert disk_cache.save_file(good, "key", {"a": np.arange(3)})
    link = tmp_path / "link.npz"
    link.symlink_to("/dev/zero")
    assert disk_cache.load_file(link, "key") is None
    assert disk_cache.load_file(good, "key")["a"].tolist() == [0, 1, 2]


@pytest.mark.parametrize("case", ["knn-indices", "knn-nan", "knn-indptr"])
def test_a_tampered_item_knn_is_computed_again(warm, tmp_path, monkeypatch, case):
    """The bundle's item-kNN read back equals the computed one (the corpus's artists are not in the
    bundle, so the radio's answers above cannot show a wrong kNN)."""
    from recommender.factors.bundle_file import default_bundle_path, read_bundle

    _db, user_cache = _copy(warm, tmp_path)
    monkeypatch.setenv("ENCORE_CACHE", str(user_cache))
    name, change = CASES[case]
    (target,) = user_cache.glob(name)
    expected = read_bundle(default_bundle_path()).item_similarity_arrays
    _tamper(target, change)
    got = read_bundle(default_bundle_path()).item_similarity_arrays
    for a, b in zip(got, expected, strict=True):
        assert np.array_equal(a, b)
    again = read_bundle(default_bundle_path()).item_similarity_arrays  # read from the rewritten file
    for a, b in zip(again, expected, strict=True):
        assert np.array_equal(a, b)
