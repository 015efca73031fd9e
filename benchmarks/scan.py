"""Scan speed: a first scan and an unchanged rescan of a library of >= 10,000 real files.

The library is built from hard links of the real-music corpus under new names and folders
(Artist NNN/Album NN/...), so every file is real audio with real tags. Prints files/s.

    .venv/bin/python benchmarks/scan.py [--files 10000] [--workers N] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from player.library import default_workers, scan  # noqa: E402
from player.store import Store  # noqa: E402


def build_library(corpus: Path, target: Path, count: int) -> int:
    sources = sorted(corpus.rglob("*.ogg"))
    if not sources:
        raise SystemExit(f"no corpus at {corpus}: run scripts/fetch_corpus.sh first")
    made = 0
    while made < count:
        src = sources[made % len(sources)]
        folder = target / f"Artist {made // 200:03d}" / f"Album {made // 20 % 10:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        os.link(src, folder / f"{made % 20 + 1:02d} - {src.stem}.ogg")
        made += 1
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("ENCORE_CORPUS", Path.home() / ".cache/encore/corpus")),
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="encore-bench-scan-"))
    try:
        n = build_library(args.corpus, work / "lib", args.files)
        with Store.open(work / "encore.db") as store:
            t0 = time.perf_counter()
            first = scan(store, [work / "lib"], workers=args.workers)
            t1 = time.perf_counter()
            again = scan(store, [work / "lib"], workers=args.workers)
            t2 = time.perf_counter()
        assert first.added == n and again.unchanged == n, (first, again)
        print(f"library: {n} real audio files, {args.workers} tag-reading workers, {os.cpu_count()} cores")
        print(f"first scan:       {t1 - t0:6.2f} s  {n / (t1 - t0):8.0f} files/s")
        print(f"unchanged rescan: {t2 - t1:6.2f} s  {n / (t2 - t1):8.0f} files/s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
