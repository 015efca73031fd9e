"""The models the policies draw on, restricted to one listener's library (artist level).

All of them come from the bundle's training data only (listeners that are not simulated): item-kNN
cosine co-listening (``Bundle.item_similarity``, top 200 neighbours per artist), WMF fold-in of the
listener's log (``Bundle.foldin``), EASE (Steck 2019) fitted on the library's artists' columns of the
training listeners, and the shipped model's scores (WMF fold-in blended with RP3beta).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EASE_LAMBDA = 50.0
"""EASE's L2 weight. Steck's ~500 is for MovieLens-size data (tens of thousands of users); with ~1,200
training listeners the diagonal of the Gram matrix is 10-100 times smaller, so a tenth of it."""
SKIP_CONFIDENCE = 2.0
"""Confidence of a skip as negative evidence when earlier sessions are folded into a user's taste."""


@dataclass
class History:
    """What the app knows of a listener at the start of a session: the log with its counts, plus the
    completions (added as plays) and skips of earlier simulated sessions. Every policy sees this."""

    items: np.ndarray
    counts: np.ndarray
    skips: dict[int, int]

    def with_session(self, completed: list[int], skipped: list[int]) -> History:
        counts = dict(zip(self.items.tolist(), self.counts.tolist(), strict=True))
        for i in completed:
            counts[i] = counts.get(i, 0.0) + 1.0
        skips = dict(self.skips)
        for i in skipped:
            skips[i] = skips.get(i, 0) + 1
        items = np.array(sorted(counts), dtype=np.int64)
        return History(items, np.array([counts[i] for i in items], dtype=np.float64), skips)


class LibraryModels:
    """Artist-level model scores over one listener's library items (``items``, sorted bundle indices)."""

    def __init__(self, bundle, items: np.ndarray) -> None:
        self.bundle = bundle
        self.items = np.asarray(items, dtype=np.int64)
        sim = bundle.item_similarity
        self.knn = np.asarray(sim[self.items][:, self.items].todense(), dtype=np.float64)
        self._ease = None

    def pos(self, item: int) -> int:
        return int(np.searchsorted(self.items, item))

    def taste_vector(self, history: History) -> np.ndarray:
        """WMF fold-in of the history: plays as positives, skips (not played) as weighted negatives."""
        b = self.bundle
        skipped = [i for i in history.skips if i not in set(history.items.tolist())]
        items = np.concatenate([history.items, np.array(skipped, dtype=np.int64)])
        conf = np.concatenate(
            [
                b.confidence(history.counts),
                1.0 + SKIP_CONFIDENCE * np.array([history.skips[i] for i in skipped], dtype=np.float64),
            ]
        )
        pref = np.concatenate([np.ones(len(history.items)), np.zeros(len(skipped))])
        return b.foldin.solve(items, conf, pref)

    def wmf(self, history: History) -> np.ndarray:
        u = self.taste_vector(history)
        return np.asarray(self.bundle.item_factors, dtype=np.float64)[self.items] @ u

    def user_knn(self, history: History) -> np.ndarray:
        """Item-based CF over the log: Σ_log conf(i) · cos(i, a)."""
        w = np.zeros(len(self.items))
        pos = np.searchsorted(self.items, history.items)
        w[pos] = self.bundle.confidence(history.counts)
        return w @ self.knn

    def ease(self, history: History) -> np.ndarray:
        if self._ease is None:
            x = self.bundle.user_matrix[:, self.items]
            x = (x > 0).astype(np.float64)
            g = np.asarray((x.T @ x).todense()) + EASE_LAMBDA * np.eye(len(self.items))
            p = np.linalg.inv(g)
            b = -p / np.diag(p)
            np.fill_diagonal(b, 0.0)
            self._ease = b
        v = np.zeros(len(self.items))
        v[np.searchsorted(self.items, history.items)] = 1.0
        return v @ self._ease

    def seed_knn(self, seed_item: int) -> np.ndarray:
        return self.knn[self.pos(seed_item)].copy()
