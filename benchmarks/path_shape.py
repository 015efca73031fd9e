"""The shape of a path between two songs: how often it steps back toward A, its largest step, its length.

Over ``--pairs`` seeded random (A, B) pairs of music tracks (>= 30 s) of an analysed library, three ways:
12 tracks without the cost of stepping back (the path before stop 30), 12 tracks with it, and the length
``PathSpace.auto_length`` chooses (what the app and ``encore path`` do when no ``--n`` is given). "Back"
counts the steps that lose more than a tenth of the way from A to B (the share of the way is a track's
distance to A over its distances to A and to B); a walk of the app found a path going back to 40 % after
75 %. Also prints what ``neighbour_gap`` costs at the library's size.

    .venv/bin/python benchmarks/path_shape.py --db ENCORE.db [--pairs 60] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from player.store import Store  # noqa: E402
from recommender.shaping.path import PathSettings, PathSpace  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="an analysed library (encore scan + encore analyze)")
    parser.add_argument("--pairs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ways = (
        ("12 tracks, no cost for going back", 12, 0.0),
        ("12 tracks", 12, None),
        ("chosen length", None, None),
    )
    with Store.open(args.db) as store:
        spaces = {
            weight: PathSpace.from_store(
                store, PathSettings(back_weight=weight) if weight is not None else None
            )
            for weight in {weight for _name, _n, weight in ways}
        }
    space = spaces[None]
    started = time.perf_counter()
    gap = space.neighbour_gap()
    print(
        f"{len(space)} analysed tracks; neighbour gap {gap:.3f} ({1000 * (time.perf_counter() - started):.0f} ms)"
    )
    music = np.flatnonzero(~(np.isfinite(space.duration) & (space.duration < 30)))
    rng = np.random.default_rng(args.seed)
    pairs = [tuple(rng.choice(music, 2, replace=False)) for _ in range(args.pairs)]
    vec = space.vectors.astype(np.float64)
    for name, n, weight in ways:
        chosen = spaces[weight]
        backs, largest, lengths = [], [], []
        for a, b in pairs:
            steps = chosen.path(int(space.track_ids[a]), int(space.track_ids[b]), n)
            rows = [space.row_of[s.track_id] for s in steps]
            to_a, to_b = 1 - vec[rows] @ vec[a], 1 - vec[rows] @ vec[b]
            share = to_a / np.maximum(to_a + to_b, 1e-9)
            backs.append(int(np.sum(np.diff(share) < -0.1)))
            largest.append(float(max(s.distance for s in steps)))
            lengths.append(len(steps))
        print(
            f"{name:<36} steps back per path {np.mean(backs):.2f}   largest step {np.mean(largest):.3f}   "
            f"tracks {min(lengths)}-{max(lengths)} (mean {np.mean(lengths):.1f})"
        )


if __name__ == "__main__":
    main()
