"""Scan speed as a user waits for it: warm and cold page cache, in-process and as a whole process.

    .venv/bin/python benchmarks/scan.py [--files 10000] [--cold-files 1000] [--workers N] [--corpus DIR]
                                        [--drop-caches]

1. Warm (the scanner alone): a library of ``--files`` hard links to the real-music corpus under new
   names and folders (Artist NNN/Album NN/...), so every file is real audio with real tags, but the same
   181 inodes are read 55 times over: after the first pass every read hits the page cache. Times the
   first scan and an unchanged rescan in this process.
2. Whole process, warm: ``main.py scan`` of the same library into a new database, timed from process
   start to exit (interpreter start-up, imports and the forkserver included).
3. Whole process, cold: ``--cold-files`` fresh copies of corpus files (distinct inodes), evicted from
   the page cache before the run (``posix_fadvise(DONTNEED)`` per file, no root needed; with
   ``--drop-caches`` also ``/proc/sys/vm/drop_caches`` where permitted, which evicts the whole
   machine's cache and so disturbs everyone else on it).

CPU seconds include the tag-reading workers: forkserver workers are not children of the scanning
process, so its rusage misses them. In-process, the scan sums the workers' own CPU per chunk
(``ScanSummary.worker_cpu_s``); for the whole process a fresh cgroup is used where permitted.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cpu_report import run_measured  # noqa: E402

from player.library import default_workers, scan  # noqa: E402
from player.store import Store  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def _sources(corpus: Path) -> list[Path]:
    sources = sorted(corpus.rglob("*.ogg"))
    if not sources:
        raise SystemExit(f"no corpus at {corpus}: run scripts/fetch_corpus.sh first")
    return sources


def _place(target: Path, made: int, src: Path) -> Path:
    folder = target / f"Artist {made // 200:03d}" / f"Album {made // 20 % 10:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{made % 20 + 1:02d} - {src.stem}.ogg"


def build_library(corpus: Path, target: Path, count: int) -> int:
    """``count`` hard links to corpus files (warm: few distinct inodes)."""
    sources = _sources(corpus)
    for made in range(count):
        src = sources[made % len(sources)]
        os.link(src, _place(target, made, src))
    return count


def build_cold_library(corpus: Path, target: Path, count: int) -> int:
    """``count`` fresh copies (distinct inodes), then evicted from the page cache."""
    sources = _sources(corpus)
    paths = []
    for made in range(count):
        src = sources[made % len(sources)]
        dst = _place(target, made, src)
        shutil.copyfile(src, dst)
        paths.append(dst)
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)  # dirty pages cannot be dropped
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return count


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _whole_process(lib: Path, db: Path, workers: int) -> tuple[float, float | None, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    cmd = [sys.executable, str(REPO / "main.py"), "--db", str(db), "scan", str(lib)]
    wall, cpu, how, result = run_measured(cmd, env=env, capture_output=True, text=True, cwd=REPO)
    if result.returncode != 0:
        raise SystemExit(f"main.py scan failed: {result.stderr[-500:]}")
    return wall, cpu, how


def _drop_caches() -> str:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return "page cache dropped (/proc/sys/vm/drop_caches)"
    except OSError as exc:
        return f"drop_caches not permitted ({exc.strerror}); per-file eviction only"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument(
        "--cold-files", type=int, default=1000, help="fresh copies for the cold run (0: skip)"
    )
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--drop-caches", action="store_true")
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("ENCORE_CORPUS", Path.home() / ".cache/encore/corpus")),
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="encore-bench-scan-"))
    try:
        n = build_library(args.corpus, work / "lib", args.files)
        print(
            f"library: {n} real audio files (hard links), {args.workers} tag-reading workers, {os.cpu_count()} cores"
        )
        print(f"load average (1 min) {os.getloadavg()[0]:.2f}")
        with Store.open(work / "encore.db") as store:
            c0, t0 = _cpu(), time.perf_counter()
            first = scan(store, [work / "lib"], workers=args.workers)
            c1, t1 = _cpu(), time.perf_counter()
            again = scan(store, [work / "lib"], workers=args.workers)
            c2, t2 = _cpu(), time.perf_counter()
        assert first.added == n and again.unchanged == n, (first, again)
        print("in-process (warm page cache):")
        for label, wall, cpu, s in (
            ("first scan", t1 - t0, c1 - c0, first),
            ("unchanged rescan", t2 - t1, c2 - c1, again),
        ):
            print(
                f"  {label:17s} {wall:6.2f} s  {n / wall:8.0f} files/s  CPU {cpu + s.worker_cpu_s:6.2f} s "
                f"(main {cpu:.2f} + workers {s.worker_cpu_s:.2f})"
            )
        wall, cpu, how = _whole_process(work / "lib", work / "whole.db", args.workers)
        cpu_text = f"CPU {cpu:6.2f} s ({how})" if cpu is not None else how
        print("whole process (`main.py scan`, start-up included):")
        print(f"  {'warm, first scan':17s} {wall:6.2f} s  {n / wall:8.0f} files/s  {cpu_text}")
        if args.cold_files:
            m = build_cold_library(args.corpus, work / "cold", args.cold_files)
            note = _drop_caches() if args.drop_caches else "per-file eviction (posix_fadvise DONTNEED)"
            wall, cpu, how = _whole_process(work / "cold", work / "cold.db", args.workers)
            cpu_text = f"CPU {cpu:6.2f} s ({how})" if cpu is not None else how
            print(f"  {'cold, first scan':17s} {wall:6.2f} s  {m / wall:8.0f} files/s  {cpu_text}")
            print(f"  cold library: {m} fresh copies (distinct files); {note}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
