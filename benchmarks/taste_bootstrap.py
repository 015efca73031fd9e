"""Paired bootstrap intervals of the shipped model's lead over the old blend (WMF + RP3beta) and plain
WMF on the test users (``report`` group, never used to choose anything): resources/factors/README.md.

Each user's Recall@20 / Recall@50 / NDCG@100 is averaged over the 80/20 split seeds 0-3, then the
users are resampled (2,000 draws) and the mean difference's 2.5-97.5 percentiles reported.

Usage: .venv/bin/python benchmarks/taste_bootstrap.py [--group test|validation] [--ranker]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommender.evaluation import make_split, ndcg_at_k, recall_at_k, user_groups  # noqa: E402
from recommender.factors.scorer import ModelScorer  # noqa: E402
from recommender.ranking import top_k  # noqa: E402
from recommender.training import data  # noqa: E402
from recommender.training.als import PretrainConfig, train_without  # noqa: E402
from recommender.training.ease import attach_ease  # noqa: E402
from recommender.training.heldout import GROUPS, SEEDS  # noqa: E402


def per_user(scorer, matrix, seeds) -> np.ndarray:
    """[users, 3] metrics averaged over seeds (users with held-out items in every seed)."""
    out = np.zeros((matrix.shape[0], 3))
    for seed in seeds:
        split = make_split(matrix, 0.8, seed)
        scores = scorer(split.given)
        for u in range(matrix.shape[0]):
            rel = split.heldout[u]
            if not len(rel):
                out[u] = np.nan
                continue
            ranked = top_k(
                scores[u], split.given.indices[split.given.indptr[u] : split.given.indptr[u + 1]], 100
            )
            out[u] += [
                recall_at_k(ranked, rel, 20),
                recall_at_k(ranked, rel, 50),
                ndcg_at_k(ranked, rel, 100),
            ]
    return out / len(seeds)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--group", default="test", choices=list(GROUPS))
    ap.add_argument("--ranker", action="store_true", help="train and add the re-ranker")
    ap.add_argument("--folder", default="../shared/data/lastfm-2k")
    args = ap.parse_args(argv)
    inter = data.load_lastfm2k(args.folder)
    inter.extra["folder"] = args.folder
    rows = user_groups(inter.n_users)[GROUPS[args.group]]
    bundle, held = train_without(inter, rows, PretrainConfig())
    attach_ease(bundle)
    if args.ranker:
        from recommender.training.ranker import attach_ranker

        attach_ranker(bundle, inter, PretrainConfig())
    res = {
        "model": per_user(ModelScorer(bundle), held, SEEDS),
        "blend": per_user(ModelScorer(bundle, use_ease=False), held, SEEDS),
        "wmf": per_user(ModelScorer(bundle, use_rp3=False, use_ease=False), held, SEEDS),
    }
    ok = ~np.isnan(res["model"]).any(axis=1)
    rng = np.random.default_rng(0)
    draws = rng.integers(0, ok.sum(), size=(2000, ok.sum()))
    print(f"{args.group} users: {ok.sum()}, seeds {SEEDS}")
    for name in ("model", "blend", "wmf"):
        m = res[name][ok].mean(axis=0)
        print(f"  {name:6s} R@20 {m[0]:.4f}  R@50 {m[1]:.4f}  NDCG@100 {m[2]:.4f}")
    for ref in ("blend", "wmf"):
        d = res["model"][ok] - res[ref][ok]
        boot = d[draws].mean(axis=1)
        lo, hi = np.percentile(boot, [2.5, 97.5], axis=0)
        cells = "  ".join(
            f"{k} {d.mean(axis=0)[i]:+.4f} [{lo[i]:+.4f}, {hi[i]:+.4f}]"
            for i, k in enumerate(("R@20", "R@50", "NDCG@100"))
        )
        print(f"  model - {ref:5s}: {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
