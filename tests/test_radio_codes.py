"""``recommender.radio.codes.first_seen_codes``: the numbering of a walk over the rows, whether the key ids
come numbered by first appearance (``keyed``, the cache's appends: no sort) or in any order (a sort); and
``album_codes``, which gives an album shared by several artists a code per row."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.radio.codes import album_codes, first_seen_codes, keyed


def _walk(key_ids: np.ndarray) -> np.ndarray:
    """Each row's code: the next one for a key not seen before, and for every row without a key."""
    seen: dict[int, int] = {}
    out, n = [], 0
    for k in key_ids.tolist():
        if k < 0:
            out.append(n)
            n += 1
        elif k in seen:
            out.append(seen[k])
        else:
            seen[k] = n
            out.append(n)
            n += 1
    return np.array(out, dtype=np.int64)


@pytest.mark.parametrize("seed", range(6))
def test_first_seen_codes_number_as_a_walk_does(seed):
    rng = np.random.default_rng(seed)
    values = [None if x < 3 else f"album {x}" for x in rng.integers(0, 40, 500).tolist()]
    ordered, distinct = keyed(values, lambda v: v)
    assert distinct and (ordered >= 0).any()
    shuffled = np.where(ordered >= 0, rng.permutation(len(distinct))[ordered], -1)  # not first-seen order
    for ids in (ordered, shuffled, ordered[ordered >= 0], np.full(4, -1), np.zeros(0, np.int64)):
        assert first_seen_codes(ids).tolist() == _walk(ids).tolist()


def test_first_seen_codes_of_ids_that_skip_a_number():
    ids = np.array([0, 2, 1, 2, -1, 0, 3])  # 2 before 1: numbered in some other order
    assert first_seen_codes(ids).tolist() == _walk(ids).tolist() == [0, 1, 2, 1, 3, 0, 4]


@pytest.mark.parametrize("seed", range(6))
def test_album_codes_give_a_shared_album_a_code_per_row(seed):
    rng = np.random.default_rng(seed)
    n = 400
    album = np.where(rng.random(n) < 0.1, -1, rng.integers(0, 30, n))  # some untitled
    album = np.where(album >= 0, rng.permutation(30)[np.maximum(album, 0)], -1)  # keys in any order
    artist = rng.integers(0, 3, n) * (rng.random(n) < 0.3)  # most albums one artist, some shared
    codes = _walk(album)
    artists_of: dict[int, set] = {}
    for c, a in zip(codes.tolist(), artist.tolist(), strict=True):
        artists_of.setdefault(c, set()).add(a)
    shared = np.array([len(artists_of[c]) > 1 for c in codes.tolist()])
    expected = np.where(shared, codes.max() + 1 + np.arange(n), codes)
    assert 0 < shared.sum() < n
    assert album_codes(album, artist).tolist() == expected.tolist()
    assert album_codes(np.zeros(0, np.int64), np.zeros(0, np.int64)).tolist() == []
