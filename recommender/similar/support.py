"""Support-aware artist similarity: how many listeners stand behind a neighbour counts.

62% of the Last.fm bundle's artists have a single listener; their factor vectors are one person's
taste, and a raw factor cosine lets them into the neighbour lists of well-known artists (Johnny Cash
got "ABC Radio National"). Three remedies, combined and chosen by measurement
(``encore evaluate-similar`` on held-out listeners' co-listening, tuned on validation users):

- a **minimum support**: candidates with fewer than ``min_support`` training listeners are left out;
- **shrinkage** of the factor cosine toward 0 by ``n / (n + shrinkage)`` (n = the candidate's listeners);
- a **blend** with the item-kNN cosine over the training listeners (weight ``knn_weight``), which is
  exact co-listening where there is enough of it.

API: ``SupportSettings``, ``support_scores(bundle, query, item=None, settings=None) -> [n_items]``,
``shipped_neighbours(bundle, item, n, settings=None)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from recommender.ranking import top_k


@dataclass(frozen=True)
class SupportSettings:
    """Chosen on validation users (see resources/factors/README.md and the issue 11 note)."""

    min_support: int = 3  # training listeners a neighbour needs
    shrinkage: float = 20.0  # factor cosine x n / (n + 20)
    knn_weight: float = 0.3  # share of the item-kNN cosine in the blend (query artists in the bundle)


DEFAULT = SupportSettings()


def _knn_row(bundle: Any, item: int) -> np.ndarray | None:
    row_of = getattr(bundle, "item_similarity_row", None)  # the bundle's cached CSR arrays, no scipy
    if row_of is not None:
        return row_of(item)
    sim = bundle.item_similarity
    if sim is None:
        return None
    row = np.zeros(bundle.n_items, dtype=np.float64)
    lo, hi = sim.indptr[item], sim.indptr[item + 1]
    row[sim.indices[lo:hi]] = sim.data[lo:hi]
    return row


def support_scores(
    bundle: Any, query: np.ndarray, item: int | None = None, settings: SupportSettings | None = None
) -> np.ndarray:
    """Scores of every bundle item as a neighbour of a unit factor vector ``query`` (-inf: not allowed).

    ``item``: the query's own bundle index (then the item-kNN cosine joins the blend), or None for an
    artist placed by its sound.
    """
    s = settings or DEFAULT
    pop = np.asarray(bundle.popularity, dtype=np.float64)
    cos = np.asarray(bundle.normalised_factors @ np.asarray(query, dtype=np.float32), dtype=np.float64)
    scores = cos * (pop / (pop + s.shrinkage)) if s.shrinkage > 0 else cos
    if item is not None and s.knn_weight > 0:
        knn = _knn_row(bundle, int(item))
        if knn is not None:
            scores = (1.0 - s.knn_weight) * scores + s.knn_weight * knn
    scores = np.where(pop >= s.min_support, scores, -np.inf)
    if item is not None:
        scores[int(item)] = -np.inf
    return scores


def shipped_neighbours(
    bundle: Any, item: int, n: int = 10, settings: SupportSettings | None = None
) -> np.ndarray:
    """The ``n`` neighbours "Fans also like" shows for bundle item ``item``, best first."""
    return top_k(support_scores(bundle, bundle.normalised_factors[item], item, settings), (), n)
