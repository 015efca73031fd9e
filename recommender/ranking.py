"""Top-k selection, the one way every ranking in the recommender picks its best items.

Partial selection (``argpartition``) then an exact sort of the k survivors: O(n + k log k), with ties
broken by index so that results are deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def top_k(scores: np.ndarray, exclude: np.ndarray | Sequence[int], k: int) -> np.ndarray:
    """Indices of the ``k`` best scores, best first, never one of ``exclude``. Ties: lower index."""
    scores = np.asarray(scores, dtype=np.float64).copy()
    exclude = np.asarray(exclude, dtype=np.int64)
    if exclude.size:
        scores[exclude] = -np.inf
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    order = np.lexsort((part, -scores[part]))
    ranked = part[order]
    return ranked[np.isfinite(scores[ranked])]
