"""The two operations every ranking in the recommender shares: a z-score and top-k selection.

``zscore`` puts scores from different models (or terms of one score) on one scale before they are
added; its guards are written once: fewer than two values (in the mask) give zeros, a (near-)zero
spread divides by 1, and rows outside the mask get 0 (an average item). ``top_k`` is partial selection
(``argpartition``) then an exact sort of the k survivors: O(n + k log k), ties broken by index so that
results are deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SD_FLOOR = 1e-9
"""A spread at or below this is no spread: the values are only centred (divided by 1)."""


def zscore(values: np.ndarray, mask: np.ndarray | None = None, axis: int | None = None) -> np.ndarray:
    """``(v - mean) / sd``. With ``mask`` (1-D): mean and sd over the masked values, 0 outside the mask.
    With ``axis=1`` (2-D): per row. Floating dtypes are kept (float32 stays float32), others become
    float64. Fewer than two values to take the statistics from give zeros."""
    values = np.asarray(values)
    if not np.issubdtype(values.dtype, np.floating):
        values = values.astype(np.float64)
    if axis is not None:
        if values.shape[axis] < 2:
            return np.zeros_like(values)
        mean = values.mean(axis=axis, keepdims=True)
        sd = values.std(axis=axis, keepdims=True)
        sd[sd <= SD_FLOOR] = 1.0
        return (values - mean) / sd
    sub = values if mask is None else values[mask]
    if sub.size < 2:
        return np.zeros_like(values)
    mean = float(sub.mean())
    sd = float(sub.std())
    out = (values - mean) / (sd if sd > SD_FLOOR else 1.0)
    return out if mask is None else np.where(mask, out, 0.0)


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
