"""``recommender.ranking.largest`` (the radio's candidate lists at any library size) and the reasons that
rank with it: the same sets as a full sort, whichever path the selection takes."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.ranking import SAMPLE, largest, sorted_union
from recommender.reasons import TasteBasis


def _by_full_sort(values: np.ndarray, k: int) -> np.ndarray:
    """The k largest by a full sort: NaN last, ties to the lower index; ascending indices."""
    nan = np.isnan(values)
    key = np.where(nan, 0.0, values)
    order = np.lexsort((np.arange(len(values)), -key, nan))
    return np.sort(order[:k])


def _arrays(rng: np.random.Generator):
    for n in (1, 7, 500, 5 * SAMPLE, 20 * SAMPLE):  # the last two take the sampled threshold
        yield n, rng.normal(size=n).astype(np.float32)  # no ties
        yield n, rng.integers(0, 4, size=n).astype(np.float64)  # wide ties
        yield n, np.where(rng.random(n) < 0.95, -np.inf, rng.normal(size=n))  # mostly -inf
        yield n, np.where(rng.random(n) < 0.3, np.nan, rng.normal(size=n))  # NaN
        yield n, np.sort(rng.normal(size=n))  # the largest all at the end
        yield n, np.zeros(n)  # one tie across the whole array


@pytest.mark.parametrize("seed", [0, 1])
def test_largest_is_the_full_sorts_set(seed):
    rng = np.random.default_rng(seed)
    for n, values in _arrays(rng):
        for k in (0, 1, 30, 4000, n - 1, n, n + 5):
            got = largest(values, k)
            expected = _by_full_sort(values, max(0, min(k, n)))
            assert np.array_equal(got, expected), (n, values.dtype, k)


def test_spread_takes_tied_rows_across_the_array_and_every_larger_one():
    n, k = 20 * SAMPLE, 1000
    values = np.zeros(n)
    values[[5, n // 2, n - 3]] = 1.0  # three above the tie, then a tie across everything else
    got = largest(values, k, spread=True)
    assert len(got) == k and len(np.unique(got)) == k
    assert {5, n // 2, n - 3} <= set(got.tolist())
    # The tied ones are spread over the whole array, not the first k - 3 rows (the oldest files).
    assert got.max() > 0.99 * n and np.diff(got).max() < 3 * n / k
    # Without spread the ties go to the lowest indices.
    plain = largest(values, k)
    assert plain[: k - 2].max() < k and n - 3 in plain.tolist()
    # Spread changes only which tied ones are taken: the same on arrays without ties.
    values = np.random.default_rng(3).normal(size=n)
    assert np.array_equal(largest(values, k, spread=True), largest(values, k))


def test_sorted_union_is_union1d_of_every_list():
    rng = np.random.default_rng(11)
    for sizes in ([], [0], [1], [5, 0, 3], [4000, 4000, 4000, 4000], [50, 7000]):
        parts = [rng.integers(0, 3 * max(sizes or [1]), size=k) for k in sizes]  # repeats within and across
        expected = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
        got = sorted_union(parts)
        assert np.array_equal(got, expected) and got.dtype == expected.dtype, sizes


def _by_full_sort_contributors(basis: TasteBasis, vector: np.ndarray, n: int, skip: str | None):
    terms = basis.rows @ vector.astype(basis.rows.dtype)
    out = []
    for j in np.argsort(-terms, kind="stable"):
        if terms[j] <= 0 or len(out) >= n:
            break
        if basis.artists[j] != skip:
            out.append((basis.artists[j], float(terms[j])))
    return out


def test_contributors_match_a_full_sort_even_when_the_skipped_artist_repeats():
    rng = np.random.default_rng(7)
    for trial in range(200):
        m = int(rng.integers(1, 60))
        names = [f"artist {int(i)}" for i in rng.integers(0, max(1, m // 3), m)]  # names repeat
        rows = rng.normal(size=(m, 4)).astype(np.float32)
        if trial % 3 == 0:
            rows = np.round(rows)  # ties and zero terms
        basis = TasteBasis(names, ["played"] * m, [1] * m, [False] * m, rows)
        vector = rng.normal(size=4)
        skip = names[int(rng.integers(m))] if trial % 2 else None
        n = int(rng.integers(1, 4))
        got = [(c.artist, c.weight) for c in basis.contributors(vector, n, skip=skip)]
        assert got == _by_full_sort_contributors(basis, vector, n, skip)
