"""WMF at a larger k, its item factors stored as float16: resources/factors/README.md "What each step
bought". Validation users only (``factor_validation``, never the test users), folded into a model
trained without them, split seeds 0-1 (``--seeds``), mean Recall@20 / Recall@50 / NDCG@100, each k
with its factors as trained (float32) and rounded to float16 (as they would ship; user vectors are
folded in at query time, so only the item factors are stored).

Why: the earlier search found k = 128 worth about +0.003-0.008 Recall@20 but too big as float32;
float16 halves it, so a k = 128 set costs about what the k = 64 float32 one does.

Usage: .venv/bin/python benchmarks/wmf_k.py [--k 64,128] [--reg 5] [--ease-weight 0.5]
One WMF fit per (k, regularisation) (30 s at k = 64, longer at k = 128) and one EASE inverse.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommender.factors.scorer import ModelScorer  # noqa: E402
from recommender.training.als import PretrainConfig  # noqa: E402
from recommender.training.ease import attach_ease  # noqa: E402
from recommender.training.heldout import evaluate_matrix, load_folder, trained_without  # noqa: E402


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", default="64,128")
    ap.add_argument("--reg", default="5")
    ap.add_argument("--ease-weight", default="0.5")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--folder", default="../shared/data/lastfm-2k")
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    inter = load_folder(args.folder)
    ease = None
    print(f"{'variant':<34} {'R@20':>7} {'R@50':>7} {'NDCG@100':>8} {'fit s':>6}", flush=True)
    for k in [int(x) for x in args.k.split(",")]:
        for reg in [float(x) for x in args.reg.split(",")]:
            t = time.perf_counter()
            config = PretrainConfig(factors=k, regularization=reg)
            bundle, held = trained_without(inter, "validation", config, ease=False)
            fit = time.perf_counter() - t
            if ease is None:  # EASE depends on the training rows only, the same for every k
                attach_ease(bundle)
                ease = bundle.ease
            for w in [float(x) for x in args.ease_weight.split(",")]:
                for dtype in (np.float32, np.float16):
                    b = dataclasses.replace(
                        bundle,
                        item_factors=bundle.item_factors.astype(dtype),
                        ease=(ease[0], {**ease[1], "weight": w}),
                    )
                    m = evaluate_matrix({"m": ModelScorer(b)}, held, seeds)["mean"]["m"]
                    name = f"k={k} reg={reg:g} EASE w={w:g} {np.dtype(dtype).name}"
                    print(
                        f"{name:<34} {m['recall@20']:7.4f} {m['recall@50']:7.4f} {m['ndcg@100']:8.4f} {fit:6.0f}",
                        flush=True,
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
