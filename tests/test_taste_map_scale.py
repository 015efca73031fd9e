"""Issue 26 item 10: a few outlying tracks must not squeeze the taste map into a third of its area."""

from __future__ import annotations

import numpy as np

from recommender.taste.map import project


def test_a_few_outliers_leave_the_rest_of_the_library_spread_over_the_map():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(181, 16))  # the corpus' size; embeddings as the analysis gives them
    x[:5] += 12.0 * rng.normal(size=(5, 16))  # five tracks far from the rest
    xy, _ = project(x)
    rest = xy[5:]
    for k in (0, 1):
        spread = np.percentile(rest[:, k], 95) - np.percentile(rest[:, k], 5)
        assert spread > 1.2, spread  # of the map's 2 units (it was 0.4 to 0.5)
    assert np.all(np.isfinite(xy))
