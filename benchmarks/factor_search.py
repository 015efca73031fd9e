"""The search behind resources/factors/README.md "Search on validation users": blend variants scored on
two folds that are never the test users (the factors' validation users and the radio's tuning users,
``recommender.simulation.data.user_groups``), each folded into a model trained without them (and
without their tags), split seeds 0-1, mean Recall@20 / Recall@50 / NDCG@100.

Usage: .venv/bin/python benchmarks/factor_search.py [VARIANT ...]   (default: all; --list names them)
Slow on 2 cores (one ALS fit per fold and WMF setting, about 30 s each; EASE a 5,000² inverse).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommender.evaluation import (  # noqa: E402
    ItemKNNScorer,
    make_split,
    user_groups,  # noqa: E402
)
from recommender.factors.foldin import FoldIn, confidence  # noqa: E402
from recommender.factors.scorer import RP3Beta  # noqa: E402
from recommender.ranking import zscore  # noqa: E402
from recommender.training import data  # noqa: E402
from recommender.training.als import PretrainConfig, fit_factors, tag_side_rows  # noqa: E402

FOLDER = "../shared/data/lastfm-2k"
FOLDS = ("factor_validation", "tuning")  # never "report": those are the test users
SEEDS = (0, 1)
BASE = PretrainConfig()
WMF_VARIANTS = {
    "shipped": {},
    "alpha=4": {"alpha": 4.0},
    "alpha=1": {"alpha": 1.0},
    "reg=1": {"regularization": 1.0},
    "reg=15": {"regularization": 15.0},
    "iterations=30": {"iterations": 30},
    "tag_scale=3": {"tag_scale": 3.0},
    "tag_scale=30": {"tag_scale": 30.0},
    "tag_min_artists=2": {"tag_min_artists": 2},
    "eps=10": {"eps": 10.0},
    "seed=7": {"seed": 7},
    "k=128": {"factors": 128},
}
BLEND_VARIANTS = ("rp3 0.8/0.6 w0.3", "rp3 w0.6", "foldin alpha=4", "+pop", "+item_knn", "+ease", "+k128")


def metrics(scores: np.ndarray, given: sp.csr_matrix, held: list[np.ndarray]) -> np.ndarray:
    s = scores.copy()
    for j in range(given.shape[0]):
        s[j, given.indices[given.indptr[j] : given.indptr[j + 1]]] = -np.inf
    top = np.argpartition(-s, 100, axis=1)[:, :100]
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(s, top, 1), 1), 1)
    disc = 1 / np.log2(np.arange(2, 102))
    out = np.zeros(3)
    for j, h in enumerate(held):
        hit = np.isin(top[j], h)
        out += [
            hit[:20].sum() / min(20, len(h)),
            hit[:50].sum() / min(50, len(h)),
            (hit * disc).sum() / disc[: min(100, len(h))].sum(),
        ]
    return out / len(held)


class Fold:
    def __init__(self, inter, rows: np.ndarray) -> None:
        train_rows = np.setdiff1d(np.arange(inter.n_users), rows)
        self.sub, seen = inter.subset_users(train_rows)
        valid = inter.matrix[rows][:, seen].tocsr()
        self.splits = []
        for seed in SEEDS:
            split = make_split(valid, 0.8, seed)
            users = np.array([u for u, h in enumerate(split.heldout) if len(h)])
            self.splits.append((split.given[users].tocsr(), [split.heldout[u] for u in users]))
        self._fits: dict = {}

    def fit(self, config: PretrainConfig):
        key = repr(config)
        if key not in self._fits:
            side = tag_side_rows(self.sub, config, users=self.sub.user_ids)
            self._fits[key] = (fit_factors(self.sub, config, side, None), side)
        return self._fits[key]


def wmf(factors: np.ndarray, config: PretrainConfig, given: sp.csr_matrix, alpha: float | None = None):
    c = given.copy()
    c.data = confidence(c.data, config.alpha if alpha is None else alpha, config.eps)
    return zscore(FoldIn(factors, config.regularization).solve_many(c) @ factors.astype(np.float64).T, axis=1)


def rp3(train: sp.csr_matrix, given: sp.csr_matrix, a: float = 0.8, b: float = 0.5) -> np.ndarray:
    x = given.copy().astype(np.float64)
    x.data = np.log1p(x.data)
    return zscore(RP3Beta(train, a, b)(x), axis=1)


def ease_scores(fold: Fold, side: sp.csr_matrix, given: sp.csr_matrix, lam: float = 50.0) -> np.ndarray:
    x = fold.sub.matrix
    keep = np.flatnonzero(np.asarray((x > 0).sum(axis=0)).ravel() >= 2)
    if "ease" not in fold._fits:
        tags = side[:, keep].astype(np.float64)
        tags.data = np.minimum(1.0, tags.data)
        m = sp.vstack([(x[:, keep] > 0).astype(np.float64), tags]).tocsr()
        p = np.linalg.inv((m.T @ m).toarray() + lam * np.eye(len(keep)))
        b = -p / np.diag(p)
        np.fill_diagonal(b, 0.0)
        fold._fits["ease"] = b
    ek = (given[:, keep] > 0).astype(np.float64) @ fold._fits["ease"]
    e = np.repeat(ek.min(axis=1, keepdims=True), x.shape[1], axis=1)
    e[:, keep] = ek
    return zscore(e, axis=1)


def run(variant: str, folds: list[Fold]) -> np.ndarray:
    results = []
    for fold in folds:
        cfg = replace(BASE, **WMF_VARIANTS.get(variant, {}))
        factors, side = fold.fit(cfg)
        train = sp.vstack([fold.sub.matrix, side]).tocsr()
        for given, held in fold.splits:
            w = wmf(factors, cfg, given, alpha=4.0 if variant == "foldin alpha=4" else None)
            if variant == "rp3 0.8/0.6 w0.3":
                score = w + 0.3 * rp3(train, given, 0.8, 0.6)
            elif variant == "rp3 w0.6":
                score = w + 0.6 * rp3(train, given)
            else:
                score = w + 0.4 * rp3(train, given)
            if variant == "+pop":
                score = score + 0.05 * np.log1p(np.asarray((fold.sub.matrix > 0).sum(axis=0)).ravel())
            elif variant == "+item_knn":
                score = score + 0.2 * zscore(ItemKNNScorer(fold.sub.matrix, 200)(given), axis=1)
            elif variant == "+ease":
                score = score + ease_scores(fold, side, given)
            elif variant == "+k128":
                big = replace(BASE, factors=128)
                score = score + wmf(fold.fit(big)[0], big, given) + 0.4 * rp3(train, given)
            results.append(metrics(score, given, held))
    return np.mean(results, axis=0)


def main(argv: list[str]) -> int:
    names = list(WMF_VARIANTS) + list(BLEND_VARIANTS)
    if "--list" in argv:
        print("\n".join(names))
        return 0
    chosen = argv or names
    unknown = [v for v in chosen if v not in names]
    if unknown:
        print(f"unknown variants: {unknown} (--list)", file=sys.stderr)
        return 2
    inter = data.load_lastfm2k(FOLDER)
    inter.extra["folder"] = FOLDER
    groups = user_groups(inter.n_users)
    folds = [Fold(inter, groups[name]) for name in FOLDS]
    print(f"{'variant':<20} {'R@20':>7} {'R@50':>7} {'NDCG@100':>8}")
    for v in chosen:
        r20, r50, ndcg = run(v, folds)
        print(f"{v:<20} {r20:7.4f} {r50:7.4f} {ndcg:8.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
