"""Start-up at scale: time to the first radio track and to a ``similar`` answer on a 100k-track database.

``benchmarks/radio.py`` times only the next-track step on an in-memory library; this builds a real
SQLite database (100k tracks by 501 artists named after the shipped bundle's, every track analysed
with a 200-d embedding and 50 tags, a few thousand plays) and times what ``encore radio SEED`` and
``encore similar ARTIST`` do, each in a fresh process: open the store, resolve the seed, load the
library (match, bridge, taste), plan the station and pick its first track. Prints seconds and the
process's peak RSS. The database is built once and kept (``--db``).

    .venv/bin/python benchmarks/radio_start.py [--tracks 100000] [--db PATH] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(db: Path, n_tracks: int, seed: int = 0) -> None:
    import numpy as np

    from player.store import Store
    from player.store.analysis import current_model_version
    from recommender.factors.bundle import load_bundle

    rng = np.random.default_rng(seed)
    bundle = load_bundle()
    popular = np.argsort(-bundle.popularity)[:500]
    artists = [str(bundle.names[i]) for i in popular] + ["Local Band Nobody Knows"]
    n_artists = len(artists)
    artist_of = rng.integers(0, n_artists, n_tracks)
    centres = rng.normal(size=(n_artists, 200)).astype(np.float32)
    tag_centres = rng.dirichlet(np.ones(50), n_artists).astype(np.float32)
    now = time.time()
    db.unlink(missing_ok=True)
    with Store.open(db) as store, store.transaction() as conn:
        conn.executemany(
            "INSERT INTO tracks (id, path, size, mtime, duration, artist, album, title, track_number, genre,"
            " added_at, updated_at) VALUES (?, ?, 1000000, 0, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    i + 1,
                    f"/music/{artist_of[i]}/{i // 10}/{i:06d}.ogg",
                    float(rng.uniform(120, 420)),
                    artists[artist_of[i]],
                    f"Album {i // 10}",
                    f"Song {i}",
                    i % 10 + 1,
                    "rock",
                    now,
                    now,
                )
                for i in range(n_tracks)
            ),
        )
        version = current_model_version()
        emb = centres[artist_of] + 0.7 * rng.normal(size=(n_tracks, 200)).astype(np.float32)
        tags = tag_centres[artist_of]
        conn.executemany(
            "INSERT INTO analysis (track_id, model_version, embedding, tags, tempo, loudness, brightness,"
            " energy, windows, analyzed_at) VALUES (?, ?, ?, ?, 120, -12, 2000, 1, 6, ?)",
            (
                (i + 1, version, emb[i].astype("<f4").tobytes(), tags[i].astype("<f4").tobytes(), now)
                for i in range(n_tracks)
            ),
        )
        played = rng.choice(n_tracks, 3000, replace=False)
        conn.executemany(
            "INSERT INTO plays (track_id, session_id, started_at, ended_at, updated_at, seconds_listened,"
            " duration, position, outcome) VALUES (?, 's', ?, ?, ?, 200, 240, 200, ?)",
            (
                (int(t) + 1, now - 3600 * k, now - 3600 * k + 200, now, "completed" if k % 4 else "skipped")
                for k, t in enumerate(played)
            ),
        )
    print(
        f"built {db} ({n_tracks} tracks, {n_artists} artists, {db.stat().st_size / 1e6:.0f} MB)",
        file=sys.stderr,
    )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(db: Path, what: str) -> dict:
    """Run in a fresh process: the same steps as the CLI command, timed from opening the store."""
    base = _peak_mb()
    started = time.perf_counter()
    cpu = time.process_time()
    from player.store import Store

    with Store.open(db) as store:
        if what == "radio":
            from player.store.tracks import find_track
            from recommender.radio import Station
            from recommender.radio_library import load_library

            seed = find_track(store, "Song 4242")
            library = load_library(store)
            station = Station(library, int(seed["id"]), rng=0)
            first = station.next_item()
            detail = {"first_track": int(first.track_id)}
        else:
            from recommender.similar import SimilarIndex

            name = store.conn.execute("SELECT artist FROM tracks WHERE id = 4243").fetchone()[0]
            index = SimilarIndex.from_store(store)
            result = index.artist(name, 20, 10)
            detail = {"artists": len(result.artists), "sounds_like": len(result.sounds_like)}
    return {
        "what": what,
        "seconds": round(time.perf_counter() - started, 3),
        "cpu_seconds": round(time.process_time() - cpu, 3),
        "peak_rss_mb": round(_peak_mb(), 1),
        "rss_before_mb": round(base, 1),
        **detail,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path.home() / ".cache" / "encore" / "bench-radio-start.db")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--measure", choices=("radio", "similar"), help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each measurement (best is reported)")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.db, args.measure)))
        return 0
    args.db.parent.mkdir(parents=True, exist_ok=True)
    if args.rebuild or not args.db.exists():
        build(args.db, args.tracks)
    for what in ("radio", "similar"):
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run(
                [sys.executable, __file__, "--db", str(args.db), "--measure", what],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONHASHSEED": "0"},
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        best = min(runs, key=lambda r: r["seconds"])
        label = "time to first radio track" if what == "radio" else "similar (index + query)"
        print(
            f"{label:28s} {best['seconds']:7.3f} s (cpu {best['cpu_seconds']:.3f} s)   peak RSS {best['peak_rss_mb']:6.0f} MB   "
            f"(runs: {', '.join(str(r['seconds']) for r in runs)} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
