"""What pruning the shipped EASE weights costs, and their blend weight: resources/factors/README.md
"EASE in the blend". Validation users only (``factor_validation``, never the test users), folded into a
model trained without them, split seeds 0-1 (``--seeds``), mean Recall@20 / Recall@50 / NDCG@100.

Usage: .venv/bin/python benchmarks/ease_prune.py [--keep 0,50,100,200,400] [--weight 0.5,1.0] [--lam 50]
[--ratio 0,0.1] (keep 0 = unpruned; ratio: EDLAE's popularity-dependent regularisation, ``fit_ease``).
One WMF fit (about 30 s) and one EASE inverse (5,898 artists, a few seconds) per run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommender.factors.scorer import ModelScorer  # noqa: E402
from recommender.training.ease import attach_ease  # noqa: E402
from recommender.training.heldout import evaluate_matrix, load_folder, trained_without  # noqa: E402

FOLDER = "../shared/data/lastfm-2k"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", default="0,50,100,200,400")
    ap.add_argument("--weight", default="1.0")
    ap.add_argument("--lam", default="50")
    ap.add_argument("--ratio", default="0")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--folder", default=FOLDER)
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    bundle, held = trained_without(load_folder(args.folder), "validation", ease=False)
    base = evaluate_matrix({"blend": ModelScorer(bundle, use_ease=False)}, held, seeds)["mean"]["blend"]
    print(f"{'variant':<30} {'R@20':>7} {'R@50':>7} {'NDCG@100':>8} {'nnz':>9}")
    print(
        f"{'blend (no EASE)':<30} {base['recall@20']:7.4f} {base['recall@50']:7.4f} {base['ndcg@100']:8.4f}"
    )
    grid = [
        (float(a), int(k), float(r))
        for a in args.lam.split(",")
        for k in args.keep.split(",")
        for r in args.ratio.split(",")
    ]
    for lam, keep, ratio in grid:
        attach_ease(bundle, keep=keep, lam=lam, ratio=ratio)
        weights, meta = bundle.ease
        weights = weights.copy()
        weights.data = weights.data.astype(np.float16).astype(np.float32)  # as shipped
        for w in [float(x) for x in args.weight.split(",")]:
            bundle.ease = (weights, {**meta, "weight": w})
            m = evaluate_matrix({"e": ModelScorer(bundle)}, held, seeds)["mean"]["e"]
            name = f"+ EASE K={keep or 'all'} w={w} λ={lam:g}" + (f" r={ratio:g}" if ratio else "")
            print(
                f"{name:<30} {m['recall@20']:7.4f} {m['recall@50']:7.4f} {m['ndcg@100']:8.4f} {weights.nnz:9d}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
