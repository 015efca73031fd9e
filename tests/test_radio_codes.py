"""``recommender.radio.codes.first_seen_codes``: the numbering of a walk over the rows, whether the key ids
come numbered by first appearance (``keyed``, the cache's appends: no sort) or in any order (a sort)."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.radio.codes import first_seen_codes, keyed


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
