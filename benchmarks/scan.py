"""Scan speed as a user waits for it, against a floor measured in the same run: a one-core Python loop
that calls ``mutagen.File`` on each file.

    .venv/bin/python benchmarks/scan.py [--files 10000] [--cold-files 1000] [--repeat 3] [--workers N]
                                        [--corpus DIR] [--drop-caches] [--baseline-repo /work/main]

1. Warm (the scanner alone): a library of ``--files`` hard links to the real-music corpus under new
   names and folders (Artist NNN/Album NN/...), so every file is real audio with real tags, but the same
   181 inodes are read 55 times over: after the first pass every read hits the page cache. Times the
   first scan and an unchanged rescan in this process.
2. Whole process, warm: ``main.py scan`` of the same library into a new database, timed from process
   start to exit (interpreter start-up, imports and the worker pool included), beside the loop floor as
   a whole process too (``python -c``: walk, then ``mutagen.File`` per file), paired and alternated,
   ``--repeat`` times; medians, and the ratio of files/s (loop wall / scan wall: > 1 is faster than the
   loop), after one untimed run of each (modules compiled and cached as in an installed app, files
   read once). ``--baseline-repo`` adds another checkout's ``main.py scan`` (the code before a change) to
   the same rounds.
3. Whole process, cold: ``--cold-files`` fresh copies of corpus files (distinct inodes), evicted from
   the page cache before each run of each program (``posix_fadvise(DONTNEED)`` per file, no root
   needed; with ``--drop-caches`` also ``/proc/sys/vm/drop_caches`` where permitted, which evicts the
   whole machine's cache and so disturbs everyone else on it).

CPU seconds include the tag-reading workers: forkserver workers are not children of the scanning
process, so its rusage misses them. In-process, the scan sums the workers' own CPU per chunk
(``ScanSummary.worker_cpu_s``); for the whole process a fresh cgroup is used where permitted.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
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
    """``count`` fresh copies (distinct inodes); ``evict`` drops them from the page cache."""
    sources = _sources(corpus)
    for made in range(count):
        src = sources[made % len(sources)]
        shutil.copyfile(src, _place(target, made, src))
    return count


def evict(folder: Path) -> None:
    """Drop every file below ``folder`` from the page cache (no root needed; dirty pages are written
    first, since they cannot be dropped)."""
    for p in folder.rglob("*.ogg"):
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _whole_process(lib: Path, db: Path, workers: int, repo: Path = REPO) -> tuple[float, float | None, str]:
    env = {**_bytecode_env(db.parent), "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(repo)}
    cmd = [sys.executable, str(repo / "main.py"), "--db", str(db), "scan", str(lib)]
    if workers:
        cmd += ["--workers", str(workers)]
    for leftover in db.parent.glob(db.name + "*"):
        leftover.unlink()  # a new database every time: a first scan
    wall, cpu, how, result = run_measured(cmd, env=env, capture_output=True, text=True, cwd=repo)
    if result.returncode != 0:
        raise SystemExit(f"main.py scan failed: {result.stderr[-500:]}")
    return wall, cpu, how


#: The floor: the simplest program that reads every file's tags, on one core, as a whole process.
_LOOP = """
import os, sys
import mutagen
paths = []
for folder, _, names in os.walk(sys.argv[1]):
    paths += [os.path.join(folder, name) for name in names]
for path in paths:
    mutagen.File(path)
"""


def _bytecode_env(work: Path) -> dict[str, str]:
    """The environment of the timed processes: compiled modules cached (in ``work``) as an installed
    app has them, even where ``PYTHONDONTWRITEBYTECODE`` is set (it is on the shared benchmark machine,
    where compiling the project's modules on every start added 0.045 s to each scan)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


def _loop_floor(lib: Path) -> tuple[float, float | None, str]:
    wall, cpu, how, result = run_measured(
        [sys.executable, "-c", _LOOP, str(lib)],
        env=_bytecode_env(lib.parent),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"the loop floor failed: {result.stderr[-500:]}")
    return wall, cpu, how


def _rounds(
    lib: Path, work: Path, n: int, args: argparse.Namespace, cold: bool
) -> dict[str, list[tuple[float, float | None]]]:
    """Paired runs, order alternated each round: the loop floor, this code, and the baseline checkout."""
    programs: list[tuple[str, object]] = [("loop", lambda: _loop_floor(lib))]
    programs.append(("scan", lambda: _whole_process(lib, work / "whole.db", args.workers)))
    if args.baseline_repo:
        programs.append(
            ("baseline", lambda: _whole_process(lib, work / "base.db", args.workers, args.baseline_repo))
        )
    times: dict[str, list[tuple[float, float | None]]] = {name: [] for name, _ in programs}
    for _name, run in programs:
        run()  # untimed: compiles and caches the modules, reads the files once
    for r in range(args.repeat):
        for name, run in programs if r % 2 == 0 else programs[::-1]:
            if cold:
                evict(lib)
            wall, cpu, _how = run()  # type: ignore[operator]
            times[name].append((wall, cpu))
    return times


def _report(label: str, n: int, times: dict[str, list[tuple[float, float | None]]]) -> None:
    loop = statistics.median(w for w, _ in times["loop"])
    print(f"whole process, {label} ({n} files, medians of {len(times['loop'])} paired runs):")
    for name, runs in times.items():
        wall = statistics.median(w for w, _ in runs)
        cpus = [c for _, c in runs if c is not None]
        cpu_text = f"  CPU {statistics.median(cpus):5.2f} s" if cpus else ""
        walls = ", ".join(f"{w:.2f}" for w, _ in runs)
        print(
            f"  {name:9s} {wall:6.2f} s  {n / wall:7.0f} files/s  x{loop / wall:4.2f} the loop{cpu_text}"
            f"   (runs: {walls})"
        )


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
        "--cold-files", type=int, default=1000, help="fresh copies for the cold runs (0: skip)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="paired runs of each whole process")
    parser.add_argument("--workers", type=int, default=0, help="tag-reading workers (0: the scan's default)")
    parser.add_argument("--drop-caches", action="store_true")
    parser.add_argument(
        "--baseline-repo", type=Path, default=None, help="another checkout whose scan runs in the same rounds"
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("ENCORE_CORPUS", Path.home() / ".cache/encore/corpus")),
    )
    args = parser.parse_args()
    workers = args.workers or default_workers()
    work = Path(tempfile.mkdtemp(prefix="encore-bench-scan-"))
    try:
        n = build_library(args.corpus, work / "lib", args.files)
        print(
            f"library: {n} real audio files (hard links), {workers} tag-reading workers, {os.cpu_count()} cores"
        )
        print(f"load average (1 min) {os.getloadavg()[0]:.2f} (the machine is shared)")
        with Store.open(work / "encore.db") as store:
            c0, t0 = _cpu(), time.perf_counter()
            first = scan(store, [work / "lib"], workers=workers)
            c1, t1 = _cpu(), time.perf_counter()
            again = scan(store, [work / "lib"], workers=workers)
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
        _report("warm page cache", n, _rounds(work / "lib", work, n, args, cold=False))
        if args.cold_files:
            m = build_cold_library(args.corpus, work / "cold", args.cold_files)
            note = _drop_caches() if args.drop_caches else "per-file eviction (posix_fadvise DONTNEED)"
            _report(f"cold page cache: {note}", m, _rounds(work / "cold", work, m, args, cold=True))
            print(f"  cold library: {m} fresh copies (distinct files), evicted before each run")
        print(f"load average (1 min) {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
