"""Fold-in latency: how long the user's taste takes to recompute after a play.

Measures, with the shipped bundle, for libraries of 10 to 2,000 matched artists:
- ``FoldIn.solve``: the closed-form ALS user step alone;
- ``Taste.observe``: one new play (feedback update + solve), what the player runs after each track;
- ``Taste.item_scores``: scoring all bundle artists with the shipped blend (WMF + RP3beta);
- the one-off costs: loading the bundle and building the model (RP3beta graph) on first use.

Usage: ``.venv/bin/python benchmarks/foldin.py [--reps 200] [--threads 2]``

Threads: ``FoldIn.solve`` always runs on one BLAS thread (``single_blas_thread``: a k x k solve is too
small to split, and the player runs it next to playback); ``--threads`` (default 2, the cores of the
reference machine) limits BLAS everywhere else, i.e. the model build and ``Taste.item_scores``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _median_ms(fn, reps: int) -> tuple[float, float]:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def _bench(bundle, n: int, reps: int, rng) -> tuple:
    """A library of ``n`` matched artists (10 tracks each, 3 old completions each): time the parts."""
    from player.store.feedback import PlayEvent
    from recommender.factors.match import LibraryMatch
    from recommender.taste.profile import Taste

    now = time.time()
    items = rng.choice(bundle.n_items, size=n, replace=False)
    match = LibraryMatch()
    for j, item in enumerate(items):
        name = f"artist {j}"
        match.artist_to_item[name] = int(item)
        match.artist_tracks[name] = [j * 10 + x for x in range(10)]
        for x in range(10):
            match.track_artist[j * 10 + x] = name
    taste = Taste(bundle, match, now=now)
    for j in range(n):
        for _ in range(3):
            taste._add(PlayEvent(j * 10, now - 86400 * rng.uniform(0, 400), "completed", 200.0, 200.0))
    for name in match.artist_tracks:
        taste._refresh_artist(name)
    taste.solve()
    items_arr, conf, pref, _names, _extra = taste._evidence()
    solve = _median_ms(lambda: bundle.foldin.solve(items_arr, conf, pref), reps)
    counter = iter(range(10**9))
    observe = _median_ms(
        lambda: taste.observe(PlayEvent((next(counter) % n) * 10 + 1, now, "completed", 200.0, 200.0)), reps
    )
    scores = _median_ms(taste.item_scores, max(20, reps // 10))
    return solve, observe, scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument(
        "--threads", type=int, default=2, help="BLAS threads outside the fold-in (which always uses 1)"
    )
    args = parser.parse_args()

    import numpy as np
    from threadpoolctl import threadpool_limits

    from recommender.factors.bundle_file import default_bundle_path, read_bundle

    with threadpool_limits(args.threads):  # numpy (and its BLAS) must be loaded before limiting
        t = time.perf_counter()
        bundle = read_bundle(default_bundle_path())
        load_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        _ = bundle.foldin
        _ = bundle.model
        model_ms = (time.perf_counter() - t) * 1000
        print(
            f"bundle: {bundle.n_items} items, k={bundle.k}; load {load_ms:.0f} ms, "
            f"model build (Gram + RP3beta walk matrices) {model_ms:.0f} ms (once per process)"
        )
        print(
            f"{'artists':>8s} {'solve ms':>10s} {'observe ms':>11s} {'scores ms':>10s}   (median / p95, {args.reps} reps, "
            f"{args.threads} BLAS thread(s))"
        )
        rng = np.random.default_rng(0)
        for n in (10, 100, 500, 2000):
            solve, observe, scores = _bench(bundle, n, args.reps, rng)
            print(
                f"{n:8d} {solve[0]:5.2f}/{solve[1]:4.2f} {observe[0]:6.2f}/{observe[1]:4.2f} "
                f"{scores[0]:5.1f}/{scores[1]:4.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
