"""RP3beta retuned with EASE in the blend: resources/factors/README.md "What each step bought".
Validation users only (``factor_validation``, never the test users), folded into a model trained
without them, split seeds 0-1 (``--seeds``), mean Recall@20 / Recall@50 / NDCG@100.

Why a grid here: RP3beta's α/β and blend weight were tuned before EASE joined the blend; EASE is an
item-item model too, so the best RP3beta share may have moved.

``--alone``: RP3beta by itself instead (its scores over the same training rows, listeners and tag
pseudo-listeners, as the blend walks them), the figure the issue's cited 0.353 would compare with.

Usage: .venv/bin/python benchmarks/rp3_retune.py [--alpha 0.6,0.8,1.0] [--beta 0.3,0.4,0.5,0.6]
[--weight 0.2,0.4,0.6] [--alone]. One WMF fit (about 30 s) and one EASE inverse; each point a few seconds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommender.factors.scorer import ModelScorer  # noqa: E402
from recommender.training.heldout import evaluate_matrix, load_folder, trained_without  # noqa: E402


def floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",")]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alpha", default="0.6,0.8,1.0")
    ap.add_argument("--beta", default="0.3,0.4,0.5,0.6")
    ap.add_argument("--weight", default="0.2,0.4,0.6")
    ap.add_argument("--alone", action="store_true", help="RP3beta alone (the weight is then unused)")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--folder", default="../shared/data/lastfm-2k")
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    bundle, held = trained_without(load_folder(args.folder), "validation")
    hyper = bundle.meta["hyperparameters"]
    print(f"{'RP3beta α / β / weight':<24} {'R@20':>7} {'R@50':>7} {'NDCG@100':>8}", flush=True)
    for a in floats(args.alpha):
        for b in floats(args.beta):
            for w in [1.0] if args.alone else floats(args.weight):
                hyper.update(rp3_alpha=a, rp3_beta=b, rp3_weight=w)
                model = ModelScorer(bundle)
                scorer = model.rp3_scores if args.alone else model
                m = evaluate_matrix({"m": scorer}, held, seeds)["mean"]["m"]
                name = f"{a:g} / {b:g} / {w:g}"
                print(
                    f"{name:<24} {m['recall@20']:7.4f} {m['recall@50']:7.4f} {m['ndcg@100']:8.4f}", flush=True
                )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
