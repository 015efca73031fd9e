"""Import speed and memory of ``encore import-history`` on a large Spotify extended streaming history.

    .venv/bin/python benchmarks/history_import.py                 # 1,000,000 listens, and 100,000
    .venv/bin/python benchmarks/history_import.py --listens 200000 --smaller 20000   # a quicker run

Writes a synthetic export shaped like Spotify's (a zip of ``Streaming_History_Audio_<years>_<n>.json``
files of 50,000 streams each, all the extended-history fields), then runs ``encore import-history ZIP
--json`` on a fresh database as a subprocess, once on the full file and once on a file ``--smaller``
listens long (10x smaller by default). Prints, for each: wall seconds, listens/s, the child's CPU seconds
and its peak RSS (GNU ``/usr/bin/time``'s ``%M``, see ``run_import``); the peak RSS of the two shows whether
memory grows with the file. The start-up of the process (imports, reading the bundle) is in the wall time;
``--baseline`` also times an import of a 1,000-listen file, which is mostly that start-up.

The streams: artists drawn from the shipped bundle's artists by popularity (with 8% of the streams by
artists it does not know), 30 titles per artist, one stream every 3 minutes going back from now;
85% ``trackdone``, 10% skipped (``fwdbtn``, 2-8 s), 5% stopped (``endplay``), 0.5% podcast episodes.
The bundle is the shipped one (``resources/factors/lastfm2k-wmf.npz``) unless ``ENCORE_FACTORS`` is set.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PER_FILE = 50_000
TIME = "/usr/bin/time"
TITLES = 30


def _iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def write_export(path: Path, n: int, seed: int = 0) -> None:
    """A zip of Spotify extended-history JSON files holding ``n`` streams (see the module doc)."""
    from recommender.factors.bundle_file import load_bundle

    bundle = load_bundle()
    rng = np.random.default_rng(seed)
    names = np.asarray(bundle.names).astype(str)
    pop = np.asarray(bundle.popularity, dtype=np.float64) + 1.0
    artists = rng.choice(len(names), size=n, p=pop / pop.sum())
    unknown = rng.random(n) < 0.08
    kind = rng.random(n)
    title = rng.integers(1, TITLES + 1, size=n)
    now = int(time.time()) - 3600
    first = now - 180 * (n - 1)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for part, start in enumerate(range(0, n, PER_FILE)):
            stop = min(n, start + PER_FILE)
            years = (
                f"{time.gmtime(first + 180 * start).tm_year}-{time.gmtime(first + 180 * (stop - 1)).tm_year}"
            )
            with z.open(
                f"Spotify Extended Streaming History/Streaming_History_Audio_{years}_{part}.json", "w"
            ) as raw:
                raw.write(b"[\n")
                for i in range(start, stop):
                    t = first + 180 * i
                    artist = f"Local Band {artists[i]}" if unknown[i] else names[artists[i]]
                    k = kind[i]
                    podcast = bool(k >= 0.995)
                    skipped = bool(0.85 <= k < 0.95)
                    stopped = bool(0.95 <= k < 0.995)
                    entry = {
                        "ts": _iso(t),
                        "platform": "Android OS 14 API 34 (Google, Pixel 7)",
                        "ms_played": int(2000 + (i % 6000)) if skipped else (95_000 if stopped else 214_000),
                        "conn_country": "GB",
                        "ip_addr": "192.0.2.1",
                        "master_metadata_track_name": None if podcast else f"Song {title[i]}",
                        "master_metadata_album_artist_name": None if podcast else artist,
                        "master_metadata_album_album_name": None if podcast else f"{artist}: the album",
                        "spotify_track_uri": None if podcast else f"spotify:track:{i:022d}",
                        "episode_name": "Episode" if podcast else None,
                        "episode_show_name": "A show" if podcast else None,
                        "spotify_episode_uri": f"spotify:episode:{i:022d}" if podcast else None,
                        "audiobook_title": None,
                        "audiobook_uri": None,
                        "audiobook_chapter_uri": None,
                        "audiobook_chapter_title": None,
                        "reason_start": "trackdone",
                        "reason_end": "fwdbtn" if skipped else ("endplay" if stopped else "trackdone"),
                        "shuffle": bool(i % 3 == 0),
                        "skipped": skipped,
                        "offline": False,
                        "offline_timestamp": None,
                        "incognito_mode": False,
                    }
                    raw.write(((",\n" if i > start else "") + json.dumps(entry, ensure_ascii=False)).encode())
                raw.write(b"\n]")


def run_import(export: Path, db: Path) -> dict:
    """``encore import-history`` as a child process: wall s, CPU s, peak RSS (MiB), its report.

    The peak RSS comes from GNU ``/usr/bin/time`` (``%M``) when it is there: Linux keeps the highest RSS of
    the process image an ``exec`` replaced, so ``wait4`` on a child forked from this (larger) script
    would report this script's size for a small import. Without it, ``wait4``'s figure is an upper bound.
    """
    cmd = [sys.executable, str(ROOT / "main.py"), "--db", str(db), "import-history", str(export), "--json"]
    timed = Path(TIME).is_file()
    with tempfile.TemporaryDirectory() as tmp:
        stats = Path(tmp) / "time.txt"
        if timed:
            cmd = [TIME, "-f", "%M %U %S", "-o", str(stats), *cmd]
        t = time.perf_counter()
        with open(Path(tmp) / "out.json", "w+b") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, cwd=ROOT)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t
            err = proc.stderr.read().decode() if proc.stderr else ""
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit(f"import-history failed: {err}")
            out.seek(0)
            report = json.loads(out.read())[0]
        rss_kib, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        if timed:
            kib, user, system = stats.read_text().split()[-3:]
            rss_kib, cpu = int(kib), float(user) + float(system)
    return {"wall": wall, "cpu": cpu, "rss_mib": rss_kib / 1024.0, "report": report, "exact_rss": timed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listens", type=int, default=1_000_000)
    parser.add_argument("--smaller", type=int, default=0, help="the smaller file (default: listens / 10)")
    parser.add_argument("--baseline", action="store_true", help="also import a 1,000-listen file")
    parser.add_argument("--keep", type=Path, help="write the exports into this folder and reuse them")
    args = parser.parse_args(argv)
    sizes = [args.listens, args.smaller or args.listens // 10] + ([1000] if args.baseline else [])
    with tempfile.TemporaryDirectory(prefix="encore-history-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(
            f"{'listens':>10s} {'zip MB':>7s} {'JSON MB':>8s} {'wall s':>7s} {'listens/s':>10s} "
            f"{'CPU s':>6s} {'peak RSS MiB':>12s}  kept / skipped / left out"
        )
        for n in sizes:
            export = folder / f"my_spotify_data_{n}.zip"
            if not export.is_file():
                t = time.perf_counter()
                write_export(export, n)
                print(f"  (wrote {export.name} in {time.perf_counter() - t:.0f} s)", file=sys.stderr)
            with zipfile.ZipFile(export) as z:
                raw_mb = sum(m.file_size for m in z.infolist()) / 1e6
            db = Path(tmp) / f"bench_{n}.db"
            r = run_import(export, db)
            rep = r["report"]
            print(
                f"{n:>10,d} {export.stat().st_size / 1e6:7.1f} {raw_mb:8.1f} {r['wall']:7.1f} "
                f"{rep['listens_read'] / r['wall']:10,.0f} {r['cpu']:6.1f} {r['rss_mib']:12.0f}  "
                f"{rep['listens_kept']:,} / {rep['outcomes'].get('skipped', 0):,} / "
                f"{sum(rep['left_out'].values()):,}"
            )
            db.unlink()
            for extra in ("-wal", "-shm", "-journal"):
                Path(str(db) + extra).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
