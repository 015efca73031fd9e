"""Fitting the audio-to-factor bridge at pretraining time (``recommender.factors.bridge`` predicts with it).

A ridge regression from an artist's tag-profile features to its WMF factors, weighted by log(1 +
listeners), λ chosen on a validation slice of the training artists, mixed half and half with the
tag-profile kNN regression; figures measured on held-out artists never used for fitting or choosing λ
(``meta["bridge"]``), then the shipped bridge refit on all.

API: ``fit_bridge(bundle, artist_tags, seed)`` -> (bridge arrays, report), ``neighbour_recall``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from recommender.factors.bridge import (
    KNN,
    KNN_POWER,
    MUSICNN_TAGS,
    features,
    knn_predict,
    mix,
    tag_profile_matrix,
)


def _ridge(x: np.ndarray, y: np.ndarray, w: np.ndarray, lam: float) -> np.ndarray:
    xw = x * w[:, None]
    a = x.T @ xw + lam * np.eye(x.shape[1])
    a[-1, -1] -= lam  # leave the bias unpenalised
    return np.linalg.solve(a, xw.T @ y)


def _cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    na = np.linalg.norm(a, axis=1)
    nb = np.linalg.norm(b, axis=1)
    return (a * b).sum(axis=1) / np.maximum(na * nb, 1e-12)


def neighbour_recall(
    bundle_factors: np.ndarray, items: np.ndarray, predicted: np.ndarray, k: int = 20, batch: int = 256
) -> float:
    """Mean |top-k by predicted vector ∩ top-k by true vector| / k (cosine, the item itself excluded)."""
    y = bundle_factors / np.maximum(np.linalg.norm(bundle_factors, axis=1, keepdims=True), 1e-12)
    p = predicted / np.maximum(np.linalg.norm(predicted, axis=1, keepdims=True), 1e-12)
    items = np.asarray(items, dtype=np.int64)
    total = 0.0
    for start in range(0, len(items), batch):
        idx = items[start : start + batch]
        rows = np.arange(len(idx))
        true = y[idx] @ y.T
        pred = p[start : start + batch] @ y.T
        true[rows, idx] = -np.inf
        pred[rows, idx] = -np.inf
        t = np.argpartition(-true, k, axis=1)[:, :k]
        q = np.argpartition(-pred, k, axis=1)[:, :k]
        for a, b in zip(t, q, strict=True):
            total += len(np.intersect1d(a, b)) / k
    return total / len(items)


def fit_bridge(
    bundle: Any,
    artist_tags: dict[str, dict[str, int]],
    seed: int = 0,
    min_tag_count: int = 3,
    lambdas: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0, 10.0),
    holdout: float = 0.2,
) -> tuple[dict[str, np.ndarray], dict]:
    """Fit the bridge on bundle artists with ≥ ``min_tag_count`` in-vocabulary tag applications.

    λ is chosen on a validation slice of the training artists; figures are measured on ``holdout``
    of the artists never used for fitting or choosing λ; the shipped bridge is refit on all.
    """
    profiles = tag_profile_matrix(bundle.item_ids, artist_tags)
    usable = np.flatnonzero(profiles.sum(axis=1) >= min_tag_count)
    if len(usable) < 50:
        raise ValueError(f"only {len(usable)} bundle artists have tag profiles; cannot fit the bridge")
    x_all = features(profiles[usable])
    y_all = bundle.item_factors[usable].astype(np.float64)
    w_all = np.log1p(bundle.popularity[usable].astype(np.float64))  # well-heard artists: reliable factors
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(usable))
    n_test = int(round(holdout * len(usable)))
    test, rest = order[:n_test], order[n_test:]
    n_val = len(rest) // 5
    val, fit = rest[:n_val], rest[n_val:]
    scores = {}
    for lam in lambdas:
        w = _ridge(x_all[fit], y_all[fit], w_all[fit], lam)
        scores[lam] = float(_cosine_rows(x_all[val] @ w, y_all[val]).mean())
    lam = max(scores, key=scores.get)
    w = _ridge(x_all[rest], y_all[rest], w_all[rest], lam)
    ridge = x_all[test] @ w
    knn = knn_predict(x_all[test], x_all[rest, :-1], y_all[rest], w_all[rest], KNN, KNN_POWER)
    pred = mix(ridge, knn)
    items_test = usable[test]
    y_full = bundle.item_factors.astype(np.float64)
    mean_vec = np.tile(y_all[rest].mean(axis=0), (len(test), 1))
    # Random baseline for neighbour recall: k random items hit k/(n-1) of the true top-k on average.
    report = {
        "artists_with_tags": int(len(usable)),
        "trained_on": int(len(rest)),
        "held_out": int(n_test),
        "lambda": lam,
        "knn": KNN,
        "knn_power": KNN_POWER,
        "cosine_mean": round(float(_cosine_rows(pred, y_all[test]).mean()), 4),
        "cosine_mean_ridge_only": round(float(_cosine_rows(ridge, y_all[test]).mean()), 4),
        "cosine_mean_baseline_mean_vector": round(float(_cosine_rows(mean_vec, y_all[test]).mean()), 4),
        "recall@20_neighbours": round(neighbour_recall(y_full, items_test, pred, 20), 4),
        "recall@20_neighbours_ridge_only": round(neighbour_recall(y_full, items_test, ridge, 20), 4),
        "recall@20_neighbours_mean_vector": round(neighbour_recall(y_full, items_test, mean_vec, 20), 4),
        "recall@20_neighbours_random": round(20 / (bundle.n_items - 1), 5),
        "features": "sqrt(profile / max) L2-normalised + bias; ridge weighted by log(1 + listeners), "
        "mixed half and half with a tag-profile kNN regression",
    }
    w_final = _ridge(x_all, y_all, w_all, lam)
    arrays = {
        "weights": w_final.astype(np.float32),
        "vocab": np.array(MUSICNN_TAGS, dtype=str),
        "profiles": x_all[:, :-1].astype(np.float32),
        "items": usable.astype(np.int32),
        "item_weights": w_all.astype(np.float32),
    }
    return arrays, report
