"""Benchmark of ``analyze`` over the real corpus: tracks/s, seconds per track by stage, peak RSS.

    .venv/bin/python benchmarks/analyze.py [--corpus DIR] [--workers N] [--windows N] [--device cpu|cuda]
                                           [--torch-threads N] [--db PATH]

Scans the corpus into a fresh temporary database (not timed), then times one full ``analyze`` run
exactly as ``main.py analyze`` does it. decode/features are CPU seconds summed over the worker
processes; cnn is wall time of the batched forward passes in the main process. The load average is
printed before and after: the machine may be shared, and contention lowers the figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (the worker pool)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("ENCORE_CORPUS", Path.home() / ".cache/encore/corpus")),
    )
    parser.add_argument("--workers", type=int)
    parser.add_argument("--windows", type=int)
    parser.add_argument("--torch-threads", type=int)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--db", type=Path, help="an existing scanned database to copy instead of scanning")
    args = parser.parse_args()

    import shutil

    from player.library import scan
    from player.store import Store
    from player.store.analysis import analysis_counts
    from recommender.audio.analyze import AnalysisSettings, analyze_library

    settings = AnalysisSettings()
    if args.workers is not None:
        settings = replace(settings, workers=args.workers)
    if args.windows is not None:
        settings = replace(settings, windows=args.windows)
    if args.torch_threads is not None:
        settings = replace(settings, torch_threads=args.torch_threads)

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "encore.db"
        if args.db:
            shutil.copyfile(args.db, db)
        with Store.open(db) as store:
            if not args.db:
                scan(store, [args.corpus])
            load_before = os.getloadavg()
            cpu_before = _cpu_seconds()
            t = time.perf_counter()
            summary = analyze_library(store, device=args.device, settings=settings, progress=False)
            wall = time.perf_counter() - t
            cpu = _cpu_seconds() - cpu_before
            load_after = os.getloadavg()
            counts = analysis_counts(store)
            patches = counts["patches"]

    n = summary.analyzed + summary.failed
    main_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    workers = settings.workers if settings.workers is not None else max(1, (os.cpu_count() or 1) - 1)
    print(f"corpus: {n} tracks ({counts['analyzed']} analysed, {counts['failed']} failed), {patches} patches")
    print(
        f"settings: device={args.device} workers={workers} windows={settings.windows} "
        f"torch_threads={settings.torch_threads or 'auto'} cores={os.cpu_count()}"
    )
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)")
    print(f"wall {wall:.1f} s -> {n / wall:.2f} tracks/s, {patches / wall:.1f} patches/s")
    per = {k: v / n for k, v in summary.timings.items()}
    print(
        "s/track: decode {decode:.4f} (worker CPU), features {features:.4f} (worker CPU), "
        "cnn {cnn:.4f} (main, wall)".format(**per)
    )
    print(
        f"CPU: {cpu:.1f} core-seconds ({cpu / n:.3f} per track, main + workers) -> "
        f"{(os.cpu_count() or 1) * n / cpu:.2f} tracks/s if all {os.cpu_count()} cores were free"
    )
    print(f"peak RSS: main {main_rss:.0f} MiB, largest worker {child_rss:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
