"""The "Your taste" picture: a 2-D projection of the library's audio embeddings, with play counts.

A plain PCA (the two main axes of the centred embeddings, from the 200×200 covariance: a few ms even at
100k tracks) rather than UMAP or t-SNE: deterministic, cheap, no extra dependency, and the axes mean the
same thing from one day to the next, so the map does not jump around when a few tracks are added.
Coordinates are scaled to [-1, 1] on each axis (robustly: the 1st-99th percentile) for drawing.

API: ``TasteMap``, ``project(embeddings)``, ``region_heat(xy, plays)``, ``taste_map(store)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class TasteMap:
    track_ids: np.ndarray  # int64 [n]
    xy: np.ndarray  # float32 [n, 2], roughly within [-1, 1]
    plays: np.ndarray  # int64 [n]: completed plays of each track (what the user is shown as plays)
    explained: tuple[float, float]  # share of the variance along each axis
    heat: np.ndarray  # float32 [g, g] in [-1, 1]: smoothed taste per map region (row = y, column = x)
    skips: np.ndarray | None = None  # int64 [n]: skips of each track

    def __len__(self) -> int:
        return len(self.track_ids)

    def position(self, track_id: int) -> tuple[float, float] | None:
        hits = np.flatnonzero(self.track_ids == int(track_id))
        if len(hits) == 0:
            return None
        x, y = self.xy[hits[0]]
        return float(x), float(y)

    def nearest(self, x: float, y: float) -> int | None:
        """The track drawn closest to map point (x, y)."""
        if len(self.track_ids) == 0:
            return None
        d = np.sum((self.xy - np.array([x, y], dtype=np.float32)) ** 2, axis=1)
        return int(self.track_ids[int(np.argmin(d))])


def project(embeddings: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """PCA to two dimensions, scaled to about [-1, 1]; returns (xy, explained variance shares)."""
    x = np.asarray(embeddings, dtype=np.float64)
    n = len(x)
    if n == 0:
        return np.zeros((0, 2), np.float32), (0.0, 0.0)
    if n == 1:
        return np.zeros((1, 2), np.float32), (0.0, 0.0)
    x = x - x.mean(axis=0)
    cov = x.T @ x / (n - 1)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1][:2]
    axes = vectors[:, order]
    # A fixed sign per axis (largest loading positive) so the picture does not flip between runs.
    signs = np.sign(axes[np.argmax(np.abs(axes), axis=0), np.arange(axes.shape[1])])
    axes = axes * np.where(signs == 0, 1.0, signs)
    xy = x @ axes
    if xy.shape[1] < 2:
        xy = np.pad(xy, ((0, 0), (0, 2 - xy.shape[1])))
    total = float(values.sum()) or 1.0
    explained = tuple(float(values[i] / total) for i in order) + (0.0,) * (2 - len(order))
    # The 5th..95th percentiles span [-1, 1]: with the 1st..99th, a few outlying tracks (3 % of a small
    # library) squeezed the rest into a third of the map (issue 26 item 10); they now sit at its edge.
    lo = np.percentile(xy, 5, axis=0)
    hi = np.percentile(xy, 95, axis=0)
    span = np.where(hi - lo > 1e-12, hi - lo, 1.0)
    xy = (xy - (lo + hi) / 2) / (span / 2)
    return xy.astype(np.float32), (explained[0], explained[1])


def region_heat(xy: np.ndarray, plays: np.ndarray, grid: int = 40, extent: float = 1.2) -> np.ndarray:
    """How much each region of the map is liked: a ``plays``-weighted 2-D histogram over
    [-extent, extent]², smoothed with two 3×3 box blurs, scaled so the strongest cell is ±1 (weights may
    be negative: skipped regions come out below zero)."""
    heat = np.zeros((grid, grid), np.float64)
    if len(xy):
        cells = np.clip(((xy + extent) / (2 * extent) * grid).astype(np.int64), 0, grid - 1)
        np.add.at(heat, (cells[:, 1], cells[:, 0]), np.asarray(plays, dtype=np.float64))
    for _ in range(2):
        padded = np.pad(heat, 1)
        heat = sum(padded[i : i + grid, j : j + grid] for i in range(3) for j in range(3)) / 9.0
    top = np.abs(heat).max()
    return (heat / top if top > 0 else heat).astype(np.float32)


#: Weight of a love (+1) or ban (-1) in the map's heat, in completed plays.
RATING_WEIGHT = 3.0


def taste_signal(completions: np.ndarray, skips: np.ndarray, ratings: np.ndarray) -> np.ndarray:
    """Per-track heat weight with true signs: completions and loves warm, skips and bans cool."""
    return completions.astype(np.float64) - skips.astype(np.float64) + RATING_WEIGHT * ratings


def taste_map(store: Any, grid: int = 40) -> TasteMap:
    """The map of every analysed present track with its completions, skips and ratings."""
    from player.store.analysis import load_analysis_matrix
    from player.store.listens import listen_outcomes
    from player.store.plays import track_stats

    ids, embeddings, _tags = load_analysis_matrix(store)
    stats = track_stats(store)
    try:
        from player.store.ratings import rated_tracks

        rated = rated_tracks(store)
    except Exception:  # a database without ratings yet
        rated = {}
    xy, explained = project(embeddings)
    completions = np.array([int(stats.get(int(t), {}).get("completions") or 0) for t in ids], dtype=np.int64)
    skips = np.array([int(stats.get(int(t), {}).get("skips") or 0) for t in ids], dtype=np.int64)
    ratings = np.array([rated.get(int(t), 0) for t in ids], dtype=np.float64)
    # Listening history imported from elsewhere warms and cools the map like Encore's own plays.
    away = listen_outcomes(store)
    done_away = np.array([away.get(int(t), (0, 0, 0))[0] for t in ids], dtype=np.int64)
    skips_away = np.array([away.get(int(t), (0, 0, 0))[1] for t in ids], dtype=np.int64)
    heat = region_heat(xy, taste_signal(completions + done_away, skips + skips_away, ratings), grid)
    return TasteMap(np.asarray(ids, dtype=np.int64), xy, completions, explained, heat, skips)
