"""Benchmark of ``analyze`` on real music: tracks/s, measured CPU per stage, peak RSS; and a scaling table.

    .venv/bin/python benchmarks/analyze.py [--corpus DIR] [--min-seconds 30 | --all] [--limit N]
        [--engine auto|onnx|torch] [--workers N] [--windows N] [--threads N] [--batch N] [--device cpu|cuda]
    .venv/bin/python benchmarks/analyze.py --lengths 30 300 1200 [--per-length 12 12 8] [--cache DIR]

Default run: the corpus files of at least ``--min-seconds`` (30 s: the music, not the game's sound
effects, which are short enough to give fewer than the six windows a song gets) are scanned into a
fresh temporary database (not timed); then one ``analyze_library`` run is timed exactly as
``encore analyze`` does it, from loading the CNN to the last commit. Everything printed is measured:

- wall: tracks/s and patches/s of that run (start-up included);
- CPU seconds per track, from the operating system (rusage of this process and of its reaped worker
  processes), split into what the workers spent decoding and computing features and what this
  process spent in the CNN; wall seconds of this process in the CNN and in database commits;
- the load average before and after (the machine may be shared: other load lowers tracks/s, and
  much less the CPU seconds per track).

``--lengths`` (the scaling figures): for each length, ``--per-length`` files of that length are made
from corpus music with ffmpeg (tracks concatenated, re-encoded to Ogg Vorbis; cached in ``--cache``),
analysed in one run each, and a table of seconds per track is printed.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _rusage() -> tuple[float, float]:
    """(CPU s of this process, CPU s of its reaped children: the worker pool)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


@dataclass
class Run:
    tracks: int
    failed: int
    patches: int
    wall: float
    cpu_main: float
    cpu_workers: float
    timings: dict[str, float]
    engine: str
    workers: int
    load: tuple[float, float]


def run_once(files: list[Path], settings, device: str) -> Run:
    """Scan ``files`` into a fresh database (not timed), then time one analysis of all of them."""
    from player.library import scan
    from player.store import Store
    from player.store.analysis import analysis_counts
    from recommender.audio.analyze import analyze_library

    with (
        tempfile.TemporaryDirectory(prefix="encore-bench-analyze-") as tmp,
        Store.open(Path(tmp) / "e.db") as store,
    ):
        scan(store, [str(f) for f in files], workers=1)
        load_before = os.getloadavg()[0]
        main0, kids0 = _rusage()
        t = time.perf_counter()
        summary = analyze_library(store, device=device, settings=settings, progress=False)
        wall = time.perf_counter() - t
        main1, kids1 = _rusage()
        counts = analysis_counts(store)
    return Run(
        tracks=summary.analyzed + summary.failed,
        failed=summary.failed,
        patches=counts["patches"],
        wall=wall,
        cpu_main=main1 - main0,
        cpu_workers=kids1 - kids0,
        timings=summary.timings,
        engine=summary.engine,
        workers=summary.workers,
        load=(load_before, os.getloadavg()[0]),
    )


def corpus_music(corpus: Path, min_seconds: float) -> list[Path]:
    import soundfile as sf

    files = sorted(corpus.rglob("*.ogg"))
    if not files:
        raise SystemExit(f"no corpus at {corpus}: run scripts/fetch_corpus.sh first")
    return [f for f in files if sf.info(str(f)).duration >= min_seconds]


def make_length_files(corpus: Path, seconds: int, count: int, cache: Path) -> list[Path]:
    """``count`` Ogg Vorbis files of ``seconds`` each, concatenated from corpus music (cached)."""
    import soundfile as sf

    sources = corpus_music(corpus, 60)
    cache.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(count):
        target = cache / f"len{seconds}-{i:02d}.ogg"
        if not target.exists():
            tmp = target.with_suffix(".part.ogg")
            for attempt in range(len(sources)):  # a source ffmpeg cannot open: start further on
                picked, total, j = [], 0.0, 0
                while total < seconds + 5:
                    src = sources[(i * 7 + attempt + j) % len(sources)]
                    picked.append(src)
                    total += sf.info(str(src)).duration
                    j += 1
                # The concat filter (not the concat demuxer, which garbles Vorbis streams whose
                # headers differ): each source resampled to 44.1 kHz stereo, then joined.
                inputs = [arg for src in picked for arg in ("-i", str(src))]
                chain = "".join(
                    f"[{k}:a]aresample=44100,aformat=channel_layouts=stereo[a{k}];"
                    for k in range(len(picked))
                )
                joined = (
                    "".join(f"[a{k}]" for k in range(len(picked))) + f"concat=n={len(picked)}:v=0:a=1[out]"
                )
                done = subprocess.run(
                    ["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex", chain + joined]
                    + ["-map", "[out]", "-t", str(seconds), "-c:a", "libvorbis", "-q:a", "4", str(tmp)],
                    stderr=subprocess.DEVNULL,  # libvorbis chatter on some sources
                )
                if done.returncode == 0:
                    break
            else:
                raise SystemExit(f"ffmpeg could not make {target}")
            tmp.rename(target)
        out.append(target)
    return out


def print_run(run: Run, settings, device: str) -> None:
    n = max(run.tracks, 1)
    t = {k: v / n for k, v in run.timings.items()}
    main_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"tracks: {run.tracks} ({run.failed} failed), {run.patches} patches; engine {run.engine}, "
        f"device {device}, {run.workers} worker(s), windows {settings.windows}, "
        f"threads {settings.torch_threads or 'auto'}, batch {settings.batch_patches or 'auto'}, "
        f"{os.cpu_count()} cores"
    )
    print(f"load average (1 min): {run.load[0]:.2f} before, {run.load[1]:.2f} after")
    print(
        f"wall: {run.wall:.1f} s -> {run.tracks / run.wall:.2f} tracks/s, {run.patches / run.wall:.1f} patches/s"
    )
    print(
        f"CPU s/track: {(run.cpu_main + run.cpu_workers) / n:.4f} in all = workers {run.cpu_workers / n:.4f} "
        f"(decode {t['decode']:.4f}, features {t['features']:.4f}) + main {run.cpu_main / n:.4f}; "
        f"CNN {t['cnn']:.4f} ({'in the workers' if 'workers' in run.engine else 'in main'})"
    )
    print(f"main wall s/track: CNN {t['cnn_wall']:.4f}, database commits {t['store_wall']:.4f}")
    print(f"peak RSS: main {main_rss:.0f} MiB, largest worker {child_rss:.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("ENCORE_CORPUS", Path.home() / ".cache/encore/corpus")),
    )
    parser.add_argument("--min-seconds", type=float, default=30.0, help="shortest corpus file analysed")
    parser.add_argument("--all", action="store_true", help="every corpus file, sound effects included")
    parser.add_argument("--limit", type=int, help="at most N files")
    parser.add_argument("--engine", default="auto", choices=["auto", "onnx", "torch"])
    parser.add_argument("--workers", type=int)
    parser.add_argument("--windows", type=int)
    parser.add_argument("--threads", "--torch-threads", dest="threads", type=int)
    parser.add_argument("--batch", type=int, help="patches per CNN call")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--cnn-in-main", action="store_true", help="workers decode only; the CNN runs here")
    parser.add_argument("--lengths", type=int, nargs="+", metavar="SECONDS", help="the scaling table")
    parser.add_argument(
        "--per-length", type=int, nargs="+", default=[12], help="files per length (one or one each)"
    )
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "encore-bench-lengths")
    args = parser.parse_args()

    from recommender.audio.analyze import AnalysisSettings

    settings = AnalysisSettings(
        engine=args.engine,
        batch_patches=args.batch,
        torch_threads=args.threads,
        cnn_in_workers=False if args.cnn_in_main else None,
    )
    if args.workers is not None:
        settings = replace(settings, workers=args.workers)
    if args.windows is not None:
        settings = replace(settings, windows=args.windows)

    if args.lengths:
        if shutil.which("ffmpeg") is None:
            raise SystemExit("--lengths needs ffmpeg")
        rows = []
        counts = args.per_length * len(args.lengths) if len(args.per_length) == 1 else args.per_length
        for seconds, count in zip(args.lengths, counts, strict=True):
            files = make_length_files(args.corpus, seconds, count, args.cache)
            run = run_once(files, settings, args.device)
            rows.append((seconds, run))
        print("analysis seconds per track by file length (one analyze run per length;")
        print(f"engine {rows[0][1].engine}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f})")
        print()
        print(
            "| file length | files analysed | wall s/track | CPU s/track, whole run | decode CPU s/track "
            "| features CPU s/track | CNN CPU s/track |"
        )
        print("|---|---|---|---|---|---|---|")
        for seconds, run in rows:
            n = max(run.tracks, 1)
            t = {k: v / n for k, v in run.timings.items()}
            label = f"{seconds} s" if seconds < 60 else f"{seconds / 60:g} min"
            print(
                f"| {label} | {run.tracks - run.failed}{f' ({run.failed} failed)' if run.failed else ''} "
                f"| {run.wall / n:.3f} | {(run.cpu_main + run.cpu_workers) / n:.3f} "
                f"| {t['decode']:.3f} | {t['features']:.3f} | {t['cnn']:.3f} |"
            )
        print(
            "\nwall and whole-run CPU include start-up (worker processes, loading the CNN) spread over the "
            "files;\nthe stage columns are CPU seconds each worker measured per track (the CNN's first run "
            "in each worker included)"
        )
        return 0

    import soundfile  # noqa: F401  (corpus_music)

    files = sorted(args.corpus.rglob("*.ogg")) if args.all else corpus_music(args.corpus, args.min_seconds)
    files = files[: args.limit] if args.limit else files
    print(
        f"corpus: {len(files)} files "
        + ("(all, sound effects included)" if args.all else f"of >= {args.min_seconds:g} s (real music)")
    )
    print_run(run_once(files, settings, args.device), settings, args.device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
