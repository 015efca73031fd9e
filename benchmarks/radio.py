"""Radio latency: time to choose the next track on a synthetic 100k-track library.

The library is random but shaped like a real one: 100k tracks by 10k artists (albums of ~10 tracks),
200-d audio embeddings clustered around per-artist centres, 64-d artist factors, tempo and loudness,
a fold-in taste vector, some tracks played recently. Each step is what the player does after a track:
``observe`` the outcome (a skip or a completion, each re-planning the station) and then ``next()``;
the step's time is the latency a listener could notice. Prints p50 / p95 / max in ms.

    .venv/bin/python benchmarks/radio.py [--tracks 100000] [--steps 300] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cpu_report import print_cpu  # noqa: E402  (benchmarks/ is the script folder, first on sys.path)


def synthetic_library(n_tracks: int, seed: int = 0):
    import numpy as np

    from recommender.radio.library import RadioLibrary

    rng = np.random.default_rng(seed)
    n_artists = max(1, n_tracks // 10)
    artist = rng.integers(0, n_artists, n_tracks)
    centres = rng.normal(size=(n_artists, 200)).astype(np.float32)
    audio = centres[artist] + 0.7 * rng.normal(size=(n_tracks, 200)).astype(np.float32)
    artist_factors = rng.normal(scale=0.1, size=(n_artists, 64)).astype(np.float32)
    album = artist * 4 + rng.integers(0, 4, n_tracks)
    now = time.time()
    last_played = np.where(rng.random(n_tracks) < 0.02, now - rng.uniform(0, 48, n_tracks) * 3600, np.nan)
    return RadioLibrary.build(
        track_ids=np.arange(1, n_tracks + 1),
        artists=[f"artist {a}" for a in artist],
        albums=[f"album {a}" for a in album],
        audio=audio,
        factors=artist_factors[artist],
        taste=rng.normal(scale=1.0, size=64).astype(np.float32),
        tempo=rng.uniform(70, 180, n_tracks),
        loudness=rng.uniform(-20, -6, n_tracks),
        duration=rng.uniform(120, 360, n_tracks),
        last_played=last_played,
    ), now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--stations", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads (the target laptop has 2 cores)")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    import numpy as np

    from recommender.radio.station import PlayEvent, Station

    t0 = time.perf_counter()
    lib, now = synthetic_library(args.tracks)
    print(f"library: {len(lib)} tracks, built in {time.perf_counter() - t0:.1f} s")
    rng = np.random.default_rng(1)
    starts, steps, cpu = [], [], []
    per_station = max(1, args.steps // args.stations)
    for s in range(args.stations):
        seed = int(lib.track_ids[rng.integers(len(lib))])
        t = time.perf_counter()
        station = Station(lib, seed, rng=s, now=now)
        starts.append(time.perf_counter() - t)
        track = station.next()
        for _ in range(per_station):
            outcome = "skipped" if rng.random() < 0.4 else "completed"
            t, c = time.perf_counter(), time.process_time()
            station.observe(PlayEvent(track, outcome))
            track = station.next()
            steps.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
    ms = np.array(steps) * 1000
    print(f"station start: median {np.median(starts) * 1000:.1f} ms over {len(starts)} stations")
    print(
        f"next track after a play event ({len(ms)} steps): p50 {np.percentile(ms, 50):.1f} ms, "
        f"p95 {np.percentile(ms, 95):.1f} ms, max {ms.max():.1f} ms (goal: p95 <= 30 ms)"
    )
    print_cpu(np.array(cpu) * 1000, args.threads)


if __name__ == "__main__":
    main()
