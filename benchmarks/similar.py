""" "Fans also like" latency: one ``similar`` query (factor neighbours + sound-alike tracks).

Uses the shipped factor bundle (17k Last.fm artists; ``$ENCORE_FACTORS`` to use another) and a
synthetic library of ``--tracks`` tracks (random 200-d embeddings) by ``--artists`` bundle artists plus
as many audio-placed artists the bundle does not know, as in a real library. Each query asks for 20
similar artists and 10 sound-alike tracks; prints p50 / p95 in ms (goal: <= 10 ms per query).

    .venv/bin/python benchmarks/similar.py [--tracks 100000] [--artists 2000] [--queries 300]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cpu_report import print_cpu  # noqa: E402  (benchmarks/ is the script folder, first on sys.path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--artists", type=int, default=2000, help="library artists found in the bundle")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads (the target laptop has 2 cores)")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    import numpy as np

    from recommender.factors.bundle_file import load_bundle
    from recommender.similar.index import SimilarIndex

    bundle = load_bundle()
    rng = np.random.default_rng(0)
    known = rng.choice(bundle.n_items, min(args.artists, bundle.n_items), replace=False)
    names = [str(bundle.names[i]) for i in known] + [f"local artist {j}" for j in range(args.artists)]
    track_artist = rng.integers(0, len(names), args.tracks)
    artist_tracks: dict[str, list[int]] = {}
    for t, a in enumerate(track_artist.tolist(), start=1):
        artist_tracks.setdefault(names[a], []).append(t)
    artist_to_item = {str(bundle.names[i]): int(i) for i in known}
    predicted = {
        f"local artist {j}": rng.normal(scale=0.05, size=bundle.k).astype(np.float32)
        for j in range(args.artists)
    }
    t0 = time.perf_counter()
    index = SimilarIndex(
        bundle,
        artist_to_item,
        artist_tracks,
        predicted,
        np.arange(1, args.tracks + 1),
        rng.normal(size=(args.tracks, 200)).astype(np.float32),
    )
    print(
        f"index: {bundle.n_items} bundle artists, {len(names)} library artists, {args.tracks} tracks; "
        f"built in {time.perf_counter() - t0:.2f} s"
    )
    queries = rng.choice(len(names), args.queries)
    times, cpu = [], []
    for q in queries.tolist():
        t, c = time.perf_counter(), time.process_time()
        result = index.artist(names[q], 20, 10)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        assert len(result.artists) == 20
    ms = np.array(times) * 1000
    print(
        f"similar(artist, n=20, sounds_like=10) over {len(ms)} queries: p50 {np.percentile(ms, 50):.2f} ms, "
        f"p95 {np.percentile(ms, 95):.2f} ms, max {ms.max():.2f} ms (goal: <= 10 ms)"
    )
    print_cpu(np.array(cpu) * 1000, args.threads)


if __name__ == "__main__":
    main()
