"""The learned re-ranker of the shipped model: gradient-boosted trees (LightGBM lambdarank at
pretraining, ``recommender.training.ranker``) that reorder each user's top candidates of the blend from
the generators' scores and ranks, popularity and profile length.

Why trees as arrays: the app scores them with numpy (a few hundred candidates, every tree walked level
by level at once), so LightGBM is needed to train, never to recommend, and the file is plain arrays
(``lastfm2k-ranker.npz``, ``allow_pickle=False``). Why transplant: the candidates keep the multiset of
their blend scores, only their order changes, so every caller that reads the scores' scale (the radio's
liking term, For you's thresholds) sees the same scale as without the ranker; absent or refused, the
model is the blend.

File: ``feature`` int32 (node's feature, -1 = leaf), ``threshold`` float64, ``left``/``right`` int32
(node indices, absolute), ``value`` float64 (leaf output), ``roots`` int32 (each tree's first node),
``meta`` JSON (``format``, ``features`` names, ``candidates``, ``items_sha1``).

API: ``FEATURES``, ``features(parts, given, candidates)``, ``Trees`` (``.predict(x)``),
``read_ranker(path, item_ids)``, ``save_ranker(path, trees, meta, item_ids)``, ``ranker_path_for``,
``RankerError``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from player.files import MIB
from recommender.factors.side_file import read_side_file

FORMAT = 1
CANDIDATES = 300
FEATURES = (
    "model",
    "wmf",
    "rp3",
    "ease",
    "rank_model",
    "rank_wmf",
    "rank_rp3",
    "rank_ease",
    "log_popularity",
    "log_profile",
)


class RankerError(ValueError):
    """A ranker file that is damaged, tampered with or built for another catalogue."""

    user_facing = True


def ranker_path_for(bundle_path: str | os.PathLike[str]) -> Path:
    """``$ENCORE_RANKER`` if set, else the bundle's sibling: ``x-wmf.npz`` -> ``x-ranker.npz``."""
    env = os.environ.get("ENCORE_RANKER")
    if env:
        return Path(env).expanduser()
    p = Path(bundle_path)
    stem = p.name[: -len(".npz")] if p.name.endswith(".npz") else p.name
    stem = stem[: -len("-wmf")] if stem.endswith("-wmf") else stem
    return p.with_name(f"{stem}-ranker.npz")


def _ranks(scores: np.ndarray) -> np.ndarray:
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(scores.shape[1])[None, :], axis=1)
    return ranks


def features(
    parts: dict[str, np.ndarray], popularity: np.ndarray, profile: np.ndarray, cands: np.ndarray
) -> np.ndarray:
    """[users, candidates, len(FEATURES)]: each part's per-user z-score and log rank at the candidates,
    log popularity, log profile length. ``parts``: model/wmf/rp3/ease z-scored score rows (a missing
    part is zeros)."""
    n_users, n_c = cands.shape
    out = np.zeros((n_users, n_c, len(FEATURES)), dtype=np.float64)
    for j, name in enumerate(("model", "wmf", "rp3", "ease")):
        s = parts[name]
        out[:, :, j] = np.take_along_axis(s, cands, 1)
        out[:, :, 4 + j] = np.log1p(np.take_along_axis(_ranks(s), cands, 1))
    out[:, :, 8] = np.log1p(np.asarray(popularity, dtype=np.float64))[cands]
    out[:, :, 9] = np.log1p(np.asarray(profile, dtype=np.float64))[:, None]
    return out


@dataclass
class Trees:
    """A boosted tree ensemble as flat arrays; ``predict`` sums the leaves reached (``x <= threshold``
    goes left, LightGBM's numerical split; NaN is never produced by ``features``)."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    roots: np.ndarray

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        n = x.shape[0]
        node = np.repeat(self.roots[None, :], n, axis=0)  # [rows, trees]
        rows = np.arange(n)[:, None]
        for _ in range(len(self.feature)):  # children follow their parent: this ends
            f = self.feature[node]
            inner = f >= 0
            if not inner.any():
                break
            go_left = x[rows, np.maximum(f, 0)] <= self.threshold[node]
            node = np.where(inner, np.where(go_left, self.left[node], self.right[node]), node)
        return self.value[node].sum(axis=1)


def save_ranker(
    path: str | os.PathLike[str], trees: Trees, item_ids: np.ndarray, meta: dict[str, Any]
) -> Path:
    from recommender.factors.ease import items_fingerprint

    path = Path(path)
    full = {**meta, "format": FORMAT, "features": list(FEATURES), "items_sha1": items_fingerprint(item_ids)}
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp,
        feature=trees.feature.astype(np.int32),
        threshold=trees.threshold.astype(np.float64),
        left=trees.left.astype(np.int32),
        right=trees.right.astype(np.int32),
        value=trees.value.astype(np.float64),
        roots=trees.roots.astype(np.int32),
        meta=np.array(json.dumps(full, sort_keys=True)),
    )
    os.replace(tmp, path)
    return path


def read_ranker(path: str | os.PathLike[str], item_ids: np.ndarray) -> tuple[Trees, dict[str, Any]]:
    """The trees and meta; ``RankerError`` says what is wrong with a bad file."""
    from recommender.factors.ease import items_fingerprint

    path = Path(path)
    names = ("feature", "threshold", "left", "right", "value", "roots")

    def refuse(why: str) -> None:
        raise RankerError(f"{path}: {why}")

    def check(arrays: dict[str, np.ndarray], meta: Any) -> None:
        if not isinstance(meta, dict) or int(meta.get("format", 0)) != FORMAT:
            refuse("unknown ranker format")
        if meta.get("features") != list(FEATURES):
            refuse(f"features {meta.get('features')} are not this Encore's {list(FEATURES)}")
        if meta.get("items_sha1") != items_fingerprint(item_ids):
            refuse("built for another catalogue than the factor bundle's (item ids differ)")
        n = len(arrays["feature"])
        if any(arrays[k].shape != (n,) for k in ("threshold", "left", "right", "value")) or n == 0:
            refuse("node arrays of different lengths")
        if any(arrays[k].dtype.kind != "i" for k in ("feature", "left", "right", "roots")):
            refuse("node indices that are not integers")
        f, left, right, roots = arrays["feature"], arrays["left"], arrays["right"], arrays["roots"]
        inner = f >= 0
        if np.any(f >= len(FEATURES)) or np.any(f < -1):
            refuse("a split on an unknown feature")
        if roots.ndim != 1 or len(roots) == 0 or np.any((roots < 0) | (roots >= n)):
            refuse("a tree root outside the nodes")
        for child in (left, right):
            if np.any(inner & ((child <= np.arange(n)) | (child >= n))):
                refuse("a child outside the nodes (children must follow their parent)")
        if not (np.all(np.isfinite(arrays["threshold"][inner])) and np.all(np.isfinite(arrays["value"]))):
            refuse("non-finite thresholds or leaf values")

    arrays, meta = read_side_file(path, names, 64 * MIB, RankerError, "ranker", check=check)
    f, left, right, roots = arrays["feature"], arrays["left"], arrays["right"], arrays["roots"]
    trees = Trees(f, arrays["threshold"], left, right, arrays["value"], roots)
    return trees, meta
