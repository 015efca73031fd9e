"""``for-you`` on a large library (issue 27, item 18): it must not make a Python item, a reason and a row
of every artist's share for every track only to print ten of them (8 s and 1.6 GB at 100k tracks).

The library is the benchmark's synthetic one (``benchmarks/radio_start.py``: a real SQLite file with
every track analysed and 3,000 plays), at 4,000 tracks. What is checked is what the work is bounded by,
never a time: the items made while the lists, their JSON and the Discover mix are produced, against the
thousands of tracks ranked; and that the artist match read back from the radio's start-up cache (or a
tampered one) gives the very lists a from-scratch match gives.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
NOW = 1.9e9  # a fixed clock: the taste's decay and the resting window do not move between runs


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from radio_start import build
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    db = tmp_path_factory.mktemp("for-you-scale") / "encore.db"
    build(db, 4000)
    return db


def _lists(db: Path) -> dict:
    from player.store import Store
    from recommender.factors.bundle_file import load_bundle
    from recommender.for_you.lists import for_you

    with Store.open(db) as store:
        result = for_you(store, load_bundle(), n=10, now=NOW)
        out = result.as_dict(10)
        out["ranking"] = [
            (int(t), float(s)) for t, s in zip(result.tracks.track_ids, result.tracks.scores, strict=True)
        ]
        out["rested"] = [it.track_ids[0] for it in result.rested]
    return out


def test_for_you_makes_items_only_for_what_it_shows(big_db: Path) -> None:
    from player.store import Store
    from recommender.factors.bundle_file import load_bundle
    from recommender.for_you.lists import for_you
    from recommender.for_you.mix import discover_mix

    with Store.open(big_db) as store:
        result = for_you(store, load_bundle(), n=10, now=NOW)
        shown = result.as_dict(10)
        mix = discover_mix(store, result)
    assert len(result.tracks) > 3000  # nearly every track is an under-played candidate
    assert len(shown["tracks"]) == 10 and len(shown["albums"]) == 10 and len(mix) == 30
    # Ten tracks shown, ten albums' best tracks, thirty mix tracks: a few blocks, not 3,000 items.
    assert result.tracks.built <= 200, result.tracks.built
    # The mix's picks are the items it made, and they come in ranking order where artists allow.
    assert {e["track_id"] for e in mix} <= {int(t) for t in result.tracks.track_ids}


def test_the_cached_match_gives_the_lists_a_fresh_match_gives(big_db: Path, tmp_path: Path) -> None:
    from player.store import Store
    from recommender.radio.load import load_library

    db = tmp_path / "encore.db"
    shutil.copy(big_db, db)
    fresh = _lists(db)  # no start-up cache yet: the match is made from the tracks
    with Store.open(db) as store:
        load_library(store, taste=False)  # what a radio start or an analysis leaves behind
    cache = tmp_path / "cache" / "encore.db.radio.arrays"
    assert cache.exists()
    assert _lists(db) == fresh
    # A cache whose key is right but whose match points outside the bundle is not believed.
    from recommender import array_file

    with open(cache, "rb") as f:
        key, arrays = array_file.read(f)
    arrays["local_item"] = np.full_like(arrays["local_item"], 10**9)
    with open(cache, "wb") as f:
        array_file.write(f, key, arrays)
    assert _lists(db) == fresh
