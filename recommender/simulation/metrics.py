"""What a session is scored by, and the 95% bootstrap intervals over listeners.

Coherence with the seed is a signal that no policy may use: co-listening between the seed artist and a
track's artist among the *other* evaluated listeners (the listener in question left out), as a cosine
over their artist sets, so it lies in [0, 1] and is symmetric. Those listeners are in no training set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

METRICS = (
    "skip_rate",
    "found_per_session",
    "log_share",
    "coherence",
    "distinct_artists",
    "longest_streak",
)
"""Per listener: skips / tracks; liked-but-unplayed (hidden) artists completed per session; share of
plays by log artists; mean coherence of the tracks with the seed; distinct artists per session; longest
run of one artist per session (mean over sessions)."""


class Coherence:
    """Leave-one-out co-listening cosine among a set of listeners (their full artist sets)."""

    def __init__(self, own_sets: list[np.ndarray]) -> None:
        items = (
            np.unique(np.concatenate([np.asarray(s, dtype=np.int64) for s in own_sets])) if own_sets else []
        )
        self.items = np.asarray(items, dtype=np.int64)
        rows = np.concatenate([np.full(len(s), u) for u, s in enumerate(own_sets)]) if own_sets else []
        cols = np.searchsorted(self.items, np.concatenate(own_sets)) if own_sets else []
        self.m = sp.csc_matrix(
            (np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(len(own_sets), len(self.items))
        )
        self.n = np.asarray(self.m.sum(axis=0)).ravel()
        self.mt = self.m.T.tocsr()

    def _col(self, item: int) -> int | None:
        j = int(np.searchsorted(self.items, item))
        return j if j < len(self.items) and self.items[j] == item else None

    def with_seed(self, listener: int, seed_item: int, items: np.ndarray) -> np.ndarray:
        """Coherence of each of ``items`` with ``seed_item``, leaving ``listener`` out."""
        items = np.asarray(items, dtype=np.int64)
        out = np.zeros(len(items))
        s = self._col(seed_item)
        if s is None:
            return out
        col = self.m[:, s]
        co = np.asarray((self.mt @ col).todense()).ravel()
        n = self.n.astype(np.float64)
        row = self.m.getrow(listener) if listener is not None else None
        n_s = n[s]
        if row is not None and row.nnz:
            mine = np.zeros(len(self.items))
            mine[row.indices] = 1.0
            co = co - mine * mine[s]
            n = n - mine
            n_s = n[s]
        j = np.searchsorted(self.items, items)
        j = np.minimum(j, len(self.items) - 1)
        known = self.items[j] == items
        denom = np.sqrt(np.maximum(n_s, 0.0) * np.maximum(n[j], 0.0))
        ok = known & (denom > 0)
        out[ok] = co[j[ok]] / denom[ok]
        return np.clip(out, 0.0, 1.0)

    def pair(self, listener: int, a: int, b: int) -> float:
        return float(self.with_seed(listener, a, np.array([b]))[0])


def longest_streak(items: list[int]) -> int:
    best = run = 0
    prev = None
    for a in items:
        run = run + 1 if a == prev else 1
        prev = a
        best = max(best, run)
    return best


@dataclass
class ListenerScore:
    """Per-session figures of one listener under one policy."""

    plays: int = 0
    skips: int = 0
    log_plays: int = 0
    found: list[int] = field(default_factory=list)
    coherence: list[float] = field(default_factory=list)
    distinct: list[int] = field(default_factory=list)
    streak: list[int] = field(default_factory=list)

    def values(self) -> dict[str, float]:
        return {
            "skip_rate": self.skips / max(1, self.plays),
            "found_per_session": float(np.mean(self.found)) if self.found else 0.0,
            "log_share": self.log_plays / max(1, self.plays),
            "coherence": float(np.mean(self.coherence)) if self.coherence else 0.0,
            "distinct_artists": float(np.mean(self.distinct)) if self.distinct else 0.0,
            "longest_streak": float(np.mean(self.streak)) if self.streak else 0.0,
        }


def bootstrap(values: np.ndarray, resamples: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """Mean and 95% percentile bootstrap interval over listeners."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return 0.0, 0.0, 0.0
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(values), size=(resamples, len(values)))
    means = values[idx].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(values.mean()), float(lo), float(hi)


def summarise(
    scores: list[ListenerScore], resamples: int = 1000, seed: int = 0
) -> dict[str, dict[str, float]]:
    """Each metric: mean over listeners with its 95% bootstrap interval (same resamples per metric)."""
    table = [s.values() for s in scores]
    out = {}
    for name in METRICS:
        mean, lo, hi = bootstrap(np.array([t[name] for t in table]), resamples, seed)
        out[name] = {"mean": round(mean, 4), "low": round(lo, 4), "high": round(hi, 4)}
    return out
