"""Start-up at scale: time to the first radio track, to the next ones, and to a ``similar`` answer.

``benchmarks/radio.py`` times only the next-track step on an in-memory library; this builds a real
SQLite database in the shape a scan and ``analyze`` leave (N tracks by 501 artists named after the
shipped bundle's, every track analysed with a 200-d embedding and 50 tags, 3,000 plays) and times what
``encore radio SEED`` and ``encore similar ARTIST`` do, each in a fresh process, from the user's
action: import, open the store, resolve the seed, load the library (match, bridge, taste), plan the
station and pick its first track (and ``encore for-you``: the three lists of ten, as the CLI prints
them; cold is without the radio's cache, whose artist match it reuses); then the next-track step (a completion or skip observed, the next
track picked). Each is measured **cold** (no start-up cache: the first start after a scan or an
analysis, which writes the cache) and **warm** (the cache of ``recommender.radio.cache`` is there).
Prints wall and CPU seconds and the process's peak RSS. Databases are built once and kept.

    .venv/bin/python benchmarks/radio_start.py [--tracks 100000] [--db PATH] [--rebuild]
    .venv/bin/python benchmarks/radio_start.py --scale 10000,100000,300000   # the table of issue 15
    .venv/bin/python benchmarks/radio_start.py --tracks 1000000 --artists 20000 --db PATH --only radio
    .venv/bin/python benchmarks/radio_start.py --only for-you                # issue 27: for-you at 100k

Timing figures on a shared machine are noisy: CPU seconds are the steadier figure there.
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
sys.path.insert(0, os.environ.get("ENCORE_BENCH_CODE", str(ROOT)))  # another checkout's code, to compare


def build(db: Path, n_tracks: int, seed: int = 0, n_artists: int = 501) -> None:
    import numpy as np

    from player.store import Store
    from player.store.analysis import MODEL_VERSION
    from recommender.factors.bundle_file import load_bundle

    rng = np.random.default_rng(seed)
    bundle = load_bundle()
    # The bundle's most listened artists, and a quarter of local bands it does not know (placed by their
    # sound through the bridge): 500 + 1 by default, as the tables before issue 25 were measured.
    n_unknown = 1 if n_artists <= 501 else n_artists // 4
    popular = np.argsort(-bundle.popularity)[: min(n_artists - n_unknown, len(bundle.names))]
    artists = [str(bundle.names[i]) for i in popular]
    artists += ["Local Band Nobody Knows"] + [f"Local Band {k}" for k in range(1, n_artists - len(artists))]
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
        version = MODEL_VERSION
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
    """This process's own peak RSS: ``VmHWM`` of its memory since ``exec``. Not ``ru_maxrss``, into which
    Linux folds the high-water mark of the process it was forked from (a benchmark that had just built a
    library reported that builder's 369 MB as every child's peak)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
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
            from recommender.radio.load import load_library
            from recommender.radio.station import PlayEvent, Station

            seed = find_track(store, "Song 4242")
            library = load_library(store)
            station = Station(library, int(seed["id"]), rng=0)
            first = station.next_item()
            detail = {"first_track": int(first.track_id)}
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
            steps = []
            track = first.track_id
            for k in range(20):  # the next-track step: an outcome observed, the next track picked
                t0 = time.perf_counter()
                station.observe(PlayEvent(track, "skipped" if k % 3 == 2 else "completed"))
                track = station.next_item().track_id
                steps.append(time.perf_counter() - t0)
            detail["next_track_ms"] = round(1000 * sorted(steps)[len(steps) // 2], 2)
        elif what == "for-you":  # what ``encore for-you`` does: the lists, ten items each, as plain data
            from recommender.factors.bundle_file import load_bundle
            from recommender.for_you.lists import for_you

            result = for_you(store, load_bundle(), n=10)
            out = result.as_dict(10)
            detail = {
                "tracks": len(out["tracks"]),
                "ranked": len(result.tracks),
                "items_made": result.tracks.built,
            }
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        else:
            from recommender.similar.index import SimilarIndex

            name = store.conn.execute("SELECT artist FROM tracks WHERE id = 4243").fetchone()[0]
            index = SimilarIndex.from_store(store)
            result = index.artist(name, 20, 10)
            detail = {"artists": len(result.artists), "sounds_like": len(result.sounds_like)}
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    return {
        "what": what,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "peak_rss_mb": round(_peak_mb(), 1),
        "rss_before_mb": round(base, 1),
        **detail,
    }


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a measured process: as a user's installed copy runs, with its bytecode cached
    (without this, an environment that sets PYTHONDONTWRITEBYTECODE makes every start compile each of
    the project's modules again: about 0.1 s that no user pays)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def _run(db: Path, what: str, cold: bool) -> dict:
    if cold:  # this command's start-up cache only (the bundle's, per user, stays: it is made once)
        cache_name = "radio" if what == "for-you" else what  # for-you reads the radio's match
        for suffix in ("arrays", "npz"):  # the cache's name, and its name before stop 24 (older code)
            (db.parent / "cache" / f"{db.name}.{cache_name}.{suffix}").unlink(missing_ok=True)
    out = subprocess.run(
        [sys.executable, __file__, "--db", str(db), "--measure", what],
        capture_output=True,
        text=True,
        check=True,
        env=child_env(PYTHONHASHSEED="0"),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _best(db: Path, what: str, cold: bool, repeat: int) -> tuple[dict, list[dict]]:
    runs = [_run(db, what, cold) for _ in range(repeat)]
    return min(runs, key=lambda r: r["seconds"]), runs


def _ensure(db: Path, n_tracks: int, rebuild: bool, n_artists: int = 501) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    if rebuild or not db.exists():  # in a process of its own: the children measured later are forked
        # from this one, and a child's ``ru_maxrss`` starts at its parent's (``_peak_mb``)
        subprocess.run(
            [sys.executable, __file__, "--db", str(db), "--tracks", str(n_tracks), "--artists", str(n_artists)]
            + ["--build-only"],
            check=True,
            env=child_env(),
        )
        for cache in (db.parent / "cache").glob(f"{db.name}.*.*"):
            cache.unlink()


def _fmt(r: dict) -> str:
    return f"{r['seconds']:6.3f} s (cpu {r['cpu_seconds']:5.3f})  {r['peak_rss_mb']:4.0f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path.home() / ".cache" / "encore" / "bench-radio-start.db")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--measure", choices=("radio", "similar", "for-you"), help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=("radio", "similar", "for-you"), help="measure this command only")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each measurement (best is reported)")
    parser.add_argument("--scale", help="comma-separated library sizes: print the scaling table")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--artists", type=int, default=501, help="artists in the library (issue 25: 20000 at a million tracks)"
    )
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.db, args.measure)))
        return 0
    if args.build_only:
        build(args.db, args.tracks, n_artists=args.artists)
        return 0
    if args.scale:
        sizes = [int(x) for x in args.scale.split(",")]
        print(
            f"{'tracks':>8}  {'first radio track, cold':30s}  {'first radio track, warm':30s}  {'next':>8}  "
            f"{'similar, cold':30s}  {'similar, warm':30s}"
        )
        for n in sizes:
            artists = "" if args.artists == 501 else f"-{args.artists}a"
            db = args.db.with_name(f"{args.db.stem}-{n}{artists}.db")
            _ensure(db, n, args.rebuild, args.artists)
            radio_cold, _ = _best(db, "radio", True, 1)
            radio_warm, _ = _best(db, "radio", False, args.repeat)
            similar_cold, _ = _best(db, "similar", True, 1)
            similar_warm, _ = _best(db, "similar", False, args.repeat)
            print(
                f"{n:8d}  {_fmt(radio_cold):30s}  {_fmt(radio_warm):30s}  {radio_warm['next_track_ms']:6.1f}ms  "
                f"{_fmt(similar_cold):30s}  {_fmt(similar_warm):30s}",
                flush=True,
            )
        return 0
    _ensure(args.db, args.tracks, args.rebuild, args.artists)
    labels = {
        "radio": "time to first radio track",
        "similar": "similar (index + query)",
        "for-you": "for-you (lists of 10)",
    }
    for what in (args.only,) if args.only else tuple(labels):
        for cold in (True, False):
            if what == "for-you" and not cold:  # warm: the radio's cache is there (a radio start made it)
                _run(args.db, "radio", False)
            best, runs = _best(args.db, what, cold, 1 if cold else args.repeat)
            label = labels[what] + (", cold" if cold else ", warm")
            extra = f"   next track {best['next_track_ms']:.1f} ms" if what == "radio" else ""
            print(
                f"{label:34s} {best['seconds']:7.3f} s (cpu {best['cpu_seconds']:.3f} s)   peak RSS "
                f"{best['peak_rss_mb']:6.0f} MB{extra}   (runs: {', '.join(str(r['seconds']) for r in runs)} s)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
