"""The first radio track and ``similar`` right after each ordinary user action, at 100k tracks (issue 25).

Why: the start-up caches (``recommender.radio.cache``) make a warm start fast, but an action that
invalidates them makes the next start pay for the whole library again. This takes the benchmark
library of ``benchmarks/radio_start.py`` (built once and kept), warms both caches, and for each action
on a fresh copy (nothing; a love of a track; a ban of an artist; one new file scanned and analysed;
1,000 new files scanned and analysed; one file and a folder of 1,000 gone missing; 100 files moved; one
file retagged) times, each in a fresh process: the first radio track (the same
steps as ``encore radio``, timed from opening the store), ``similar`` (index and one query, on a copy of
its own, so no radio start has updated the caches it reads), and then
``encore radio SEED --n 1`` as the user types it (the whole process, from the shell). The "nothing"
row is the floor every other row is a ratio of, measured in the same run. Last, a first start with no
cache at all.

    .venv/bin/python benchmarks/radio_actions.py [--tracks 100000] [--db PATH]
    ENCORE_BENCH_CODE=/path/to/other/checkout .venv/bin/python benchmarks/radio_actions.py  # that code's figures
    .venv/bin/python benchmarks/radio_actions.py --repeat 5  # each figure the median of 5 runs

Each figure is one fresh process on a fresh copy; with ``--repeat N`` it is the median of N of them (a
shared machine's speed drifts by a third between runs, so single runs can mislead).

Timing figures on a shared machine are noisy: CPU seconds are the steadier figure there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = Path(os.environ.get("ENCORE_BENCH_CODE", ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(CODE))

from radio_start import _ensure, _run, child_env  # noqa: E402

SEED = "Song 4242"


def _add_tracks(db: Path, count: int) -> None:
    """``count`` new files, as a scan and an analysis leave them (new ids, a new album by a known artist)."""
    import numpy as np

    from player.store import Store
    from player.store.analysis import MODEL_VERSION

    rng = np.random.default_rng(count)
    now = time.time()
    with Store.open(db) as store, store.transaction() as conn:
        top = conn.execute("SELECT MAX(id) FROM tracks").fetchone()[0]
        artist = conn.execute("SELECT artist FROM tracks WHERE id = 4243").fetchone()[0]
        ids = range(top + 1, top + 1 + count)
        conn.executemany(
            "INSERT INTO tracks (id, path, size, mtime, duration, artist, album, title, track_number, genre,"
            " added_at, updated_at) VALUES (?, ?, 1000000, 0, 200, ?, 'New Album', ?, 1, 'rock', ?, ?)",
            ((i, f"/music/new/{i:07d}.ogg", artist, f"New Song {i}", now, now) for i in ids),
        )
        emb = rng.normal(size=(count, 200)).astype("<f4")
        tags = rng.dirichlet(np.ones(50), count).astype("<f4")
        conn.executemany(
            "INSERT INTO analysis (track_id, model_version, embedding, tags, tempo, loudness, brightness,"
            " energy, windows, analyzed_at) VALUES (?, ?, ?, ?, 120, -12, 2000, 1, 6, ?)",
            ((i, MODEL_VERSION, emb[k].tobytes(), tags[k].tobytes(), now) for k, i in enumerate(ids)),
        )


def _rate(what: str) -> Callable[[Path], None]:
    def act(db: Path) -> None:
        from player.store import Store
        from player.store.ratings import BAN, LOVE, rate_artist, rate_track

        with Store.open(db) as store:
            if what == "love":
                rate_track(store, 777, LOVE)
            else:  # an artist other than the seed's
                artist = store.conn.execute("SELECT artist FROM tracks WHERE id = 778").fetchone()[0]
                rate_artist(store, artist, BAN)

    return act


def _files(what: str, count: int) -> Callable[[Path], None]:
    """``count`` known files (ids 20,001 on, none the seed's) gone missing, moved to another folder, or
    retagged (a new title), as a scan leaves them (``player.store.tracks``' own writes for the first two)."""

    def act(db: Path) -> None:
        from player.store import Store
        from player.store.tracks import move_track, set_missing

        ids = range(20_001, 20_001 + count)
        with Store.open(db) as store:
            if what == "gone":
                set_missing(store, ids)
            elif what == "moved":
                for t in ids:
                    move_track(store, t, f"/music/renamed folder/{t:07d}.ogg")
            else:
                with store.transaction() as conn:
                    conn.executemany(
                        "UPDATE tracks SET title = title || ' (remaster)' WHERE id = ?", ((t,) for t in ids)
                    )

    return act


ACTIONS: dict[str, Callable[[Path], None]] = {
    "nothing (the floor)": lambda db: None,
    "love a track": _rate("love"),
    "ban an artist": _rate("ban"),
    "1 new file analysed": lambda db: _add_tracks(db, 1),
    "1,000 new files analysed": lambda db: _add_tracks(db, 1000),
    "1 file gone missing": _files("gone", 1),
    "1,000 files gone missing": _files("gone", 1000),
    "100 files moved": _files("moved", 100),
    "1 file retagged": _files("retag", 1),
}


def _copy(base: Path, work: Path) -> Path:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / base.name
    shutil.copyfile(base, db)
    shutil.copytree(base.parent / "cache", work / "cache")  # the same bytes: the keys stay valid
    return db


def _cli(db: Path) -> dict:
    """``encore radio SEED --n 1`` in a fresh process: wall and CPU seconds and peak RSS of that process
    (``ru_maxrss``, which starts at this process's own: ``radio_start._ensure`` builds the library in a
    process of its own so that this one stays small)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(CODE / "main.py"), "--db", str(db), "radio", SEED, "--n", "1", "--no-analyze"],
        stdout=subprocess.DEVNULL,
        env=child_env(PYTHONPATH=str(CODE)),
    )
    _pid, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise RuntimeError(f"encore radio failed ({status})")
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024.0,
    }


def _cell(r: dict, floor: dict | None) -> str:
    ratio = f" x{r['seconds'] / floor['seconds']:4.1f}" if floor else "      "
    return f"{r['seconds']:6.2f} s{ratio} (cpu {r['cpu_seconds']:5.2f}) {r['peak_rss_mb']:5.0f} MB"


def _median(runs: list[dict]) -> dict:
    """The run of median wall time (its CPU and memory with it), of an odd or even number of runs."""
    return sorted(runs, key=lambda r: r["seconds"])[(len(runs) - 1) // 2]


def _cells(base: Path, work: Path, act: Callable[[Path], None], repeat: int, cached: bool = True) -> dict:
    """The three figures after ``act``, each the median of ``repeat`` fresh processes, each process on a
    fresh copy of the warm database (without its caches unless ``cached``)."""
    out: dict[str, list[dict]] = {"radio": [], "similar": [], "cli": []}
    for _ in range(repeat):
        for what, folder in (("radio", "a"), ("similar", "c"), ("cli", "b")):  # each on its own copy:
            db = _copy(base, work / folder)  # no radio start has brought the caches up to date for similar
            if not cached:
                shutil.rmtree(work / folder / "cache")
            act(db)
            out[what].append(_cli(db) if what == "cli" else _run(db, what, False))
    return {what: _median(runs) for what, runs in out.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path.home() / ".cache" / "encore" / "bench-radio-start.db")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: beside --db)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure; the median is shown")
    args = parser.parse_args()
    os.environ["PYTHONPATH"] = str(CODE)  # the measuring child processes run the code under test
    _ensure(args.db, args.tracks, False)
    # Both caches, warm, beside the base database (a radio start and a similar made them).
    _run(args.db, "radio", False)
    _run(args.db, "similar", False)
    work = args.work or args.db.parent / "bench-actions"
    repeat = max(1, args.repeat)
    print(
        f"code: {CODE}, median of {repeat} run(s) a figure\n"
        f"{'after':26s}  {'first radio track':44s}  {'similar':44s}  encore radio SEED --n 1"
    )
    floor: dict[str, dict] = {}
    rows = [(name, act, True) for name, act in ACTIONS.items()]
    rows.append(("no cache (first start)", lambda db: None, False))
    for name, act, cached in rows:
        got = _cells(args.db, work, act, repeat, cached)
        line = [_cell(got[what], floor.get(what)) for what in ("radio", "similar", "cli")]
        print(f"{name:26s}  {line[0]:44s}  {line[1]:44s}  {line[2]}", flush=True)
        floor = floor or got
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
