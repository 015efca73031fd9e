"""What the learned re-ranker buys over the blend with EASE: resources/factors/README.md "Steps".
Validation users only (``factor_validation``), folded into a model trained without them; the ranker is
trained on a fold of the other users that are neither validation nor test users; split seeds 0-1.

Usage: .venv/bin/python benchmarks/ranker_eval.py [--seeds 0,1] [--rounds 60]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommender.factors.scorer import ModelScorer  # noqa: E402
from recommender.training.als import PretrainConfig  # noqa: E402
from recommender.training.heldout import evaluate_matrix, load_folder, trained_without  # noqa: E402
from recommender.training.ranker import fit_ranker, training_rows  # noqa: E402


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--rounds", type=int, default=60)
    ap.add_argument("--folder", default="../shared/data/lastfm-2k")
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    inter = load_folder(args.folder)
    t = time.perf_counter()
    trees, report = fit_ranker(inter, PretrainConfig(), training_rows(inter.n_users), rounds=args.rounds)
    print(f"ranker: {report}, {len(trees.roots)} trees, {time.perf_counter() - t:.0f} s", flush=True)
    bundle, held = trained_without(inter, "validation")
    bundle.ranker = (trees, report)
    scorers = {
        "blend": ModelScorer(bundle, use_ease=False),
        "blend + EASE": ModelScorer(bundle, use_ranker=False),
        "+ ranker": ModelScorer(bundle),
    }
    res = evaluate_matrix(scorers, held, seeds)["mean"]
    for name, m in res.items():
        print(f"{name:<14} {m['recall@20']:7.4f} {m['recall@50']:7.4f} {m['ndcg@100']:8.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
