"""Which held-out artists the shipped taste model finds, by how many training listeners they have:
resources/factors/README.md "Where the misses are". Validation users only (``factor_validation``, never
the test users), folded into the shipped recipe trained without them, split seeds 0-1 (``--seeds``).

Why: every candidate of issue 23 lands within the noise of the shipped blend; this shows where its misses
lie (an artist no other listener played cannot be found by any collaborative model; a well-known one
mostly is) and the Recall@20 left if every artist with at least two training listeners were found.

Usage: .venv/bin/python benchmarks/findable.py [--seeds 0,1]   (one WMF fit and one EASE inverse, ~20 s)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommender.evaluation import make_split  # noqa: E402
from recommender.ranking import top_k  # noqa: E402
from recommender.training.heldout import load_folder, trained_without  # noqa: E402

BUCKETS = ((0, 0), (1, 1), (2, 3), (4, 10), (11, 50), (51, 10**9))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--folder", default="../shared/data/lastfm-2k")
    args = ap.parse_args(argv)
    bundle, held = trained_without(load_folder(args.folder), "validation")
    listeners = np.bincount(bundle.user_matrix.indices, minlength=bundle.n_items)
    held_n = np.zeros(len(BUCKETS))
    found_n = np.zeros(len(BUCKETS))
    ceiling = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        split = make_split(held, 0.8, seed)
        users = np.array([u for u, h in enumerate(split.heldout) if len(h)])
        given = split.given[users].tocsr()
        scores = bundle.model(given)
        for j, u in enumerate(users):
            top = top_k(scores[j], given.indices[given.indptr[j] : given.indptr[j + 1]], 20)
            h = split.heldout[u]
            for b, (lo, hi) in enumerate(BUCKETS):
                inside = h[(listeners[h] >= lo) & (listeners[h] <= hi)]
                held_n[b] += len(inside)
                found_n[b] += np.isin(inside, top).sum()
            ceiling.append(min(int((listeners[h] >= 2).sum()), 20) / min(20, len(h)))
    print(f"{'training listeners':<20} {'held-out artists':>16} {'share':>6} {'found in top 20':>15}")
    for b, (lo, hi) in enumerate(BUCKETS):
        label = f"{lo}" if lo == hi else f"{lo}+" if hi > 10**8 else f"{lo}-{hi}"
        print(
            f"{label:<20} {int(held_n[b]):>16} {held_n[b] / held_n.sum():6.1%} {found_n[b] / max(held_n[b], 1):15.3f}"
        )
    print(f"Recall@20 if every artist with >= 2 training listeners were found: {np.mean(ceiling):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
