"""Desktop app start-up: process start to the first painted window, and RSS once it has settled.

Builds a 50,000-track library (synthetic rows inserted through ``player.store.tracks.upsert_tracks``:
artists of 20 tracks in two albums of ten, numbered 1 to 10 as tagged music is, plus some plays so the
play-count join has work; before stop 24 each artist's tracks shared one number, which no tagged album does), then starts ``python main.py --db DB`` in a fresh
process — the real entry point — with a probe that records the wall-clock time of the main window's
first paint event, waits until the track table holds the library and everything settles, and reads RSS
from /proc. Goal (issue 7): window in <= 1.5 s, RSS <= 300 MB before the analysis is used; issue 13: the
same with the album grid present (the library left in its album view, so the grid is built at start-up
and filled with every album once the rows load; that moment is reported too).

    .venv/bin/python benchmarks/startup.py [--tracks 50000] [--runs 3] [--settle 3] [--view albums|tracks] [--db PATH]
    ENCORE_BENCH_CODE=/path/to/other/checkout .venv/bin/python benchmarks/startup.py --db PATH  # that code's figures

Runs with QT_QPA_PLATFORM=offscreen unless a DISPLAY is set (e.g. under xvfb-run).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CODE = Path(os.environ.get("ENCORE_BENCH_CODE", REPO))
"""The checkout whose app is measured (another one's figures beside this one's, on the same library)."""
sys.path.insert(0, str(REPO))

_PROBE = r"""
import json, os, sys, time
sys.path.insert(0, {repo!r})
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QMainWindow
from ui.app import create_app

app = create_app(["encore"])
result = {{}}
HEAVY = ("torch", "librosa", "implicit", "scipy", "numpy", "vlc", "sqlite_utils")

def rss_mb():
    fields = {{}}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

class Probe(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "first_paint" not in result:
            window = obj.window()
            if isinstance(window, QMainWindow):
                result["first_paint"] = time.time()
                result["rss_at_paint_mb"] = rss_mb()[0]
                result["modules_at_paint"] = sorted(m for m in HEAVY if m in sys.modules)
                grid = window.library.album_grid
                result["grid_at_paint"] = grid is not None and grid.isVisible()
                window.libraryLoaded.connect(lambda: result.setdefault("library_loaded", time.time()))
                QTimer.singleShot(100, check)
        return False

def check():
    window = next(w for w in app.topLevelWidgets() if isinstance(w, QMainWindow))
    grid = window.library.album_grid
    if grid is not None and grid.album_model.rowCount() and "grid_filled" not in result:
        result["grid_filled"] = time.time()
        result["albums"] = grid.album_model.rowCount()
    if "library_loaded" in result and window.controller is not None and (grid is None or "grid_filled" in result):
        result["rows"] = window.library.model.rowCount()
        result["grid_at_paint"] = result.get("grid_at_paint", False)
        QTimer.singleShot(int({settle} * 1000), finish)
    else:
        QTimer.singleShot(50, check)

def finish():
    result["rss_mb"], result["peak_rss_mb"] = rss_mb()
    result["modules"] = sorted(m for m in HEAVY if m in sys.modules)
    print("STARTUP " + json.dumps(result), flush=True)
    app.quit()

probe = Probe()
app.installEventFilter(probe)
import main
sys.exit(main.main(["--db", {db!r}]))
"""


def build_db(path: Path, n_tracks: int, seed: int = 0, view: str = "albums") -> None:
    from player.store import Store
    from player.store.plays import close_play, start_play
    from player.store.tracks import known_files, upsert_tracks
    from ui.settings import UiSettings

    rng = random.Random(seed)
    genres = ["Rock", "Jazz", "Electronic", "Classical", "Hip-Hop", "Folk", "Metal", "Ambient", "Pop", "Soul"]
    n_artists = max(1, n_tracks // 20)
    rows = []
    for i in range(n_tracks):
        artist = f"Artist {i % n_artists:05d}"
        k = i // n_artists  # the artist's k-th track: albums of ten, numbered 1 to 10 (as tagged music is)
        album = f"Album {k // 10} of {artist}"
        rows.append(
            {
                "path": f"/music/{artist}/{album}/{i:06d} Track {i}.flac",
                "size": 30_000_000,
                "mtime": 1_700_000_000.0,
                "duration": rng.uniform(90, 420),
                "artist": artist,
                "album_artist": artist,
                "album": album,
                "title": f"Song number {i} {rng.choice(['love', 'night', 'river', 'fire', 'home'])}",
                "track_number": k % 10 + 1,
                "disc_number": 1,
                "year": rng.randint(1960, 2025),
                "genre": rng.choice(genres),
                "format": "flac",
                "tags_from_path": 0,
            }
        )
    with Store.open(path) as store:
        upsert_tracks(store, rows)
        ids = [info[0] for info in known_files(store).values()]
        with store.transaction():
            for k in range(2000):
                play_id = start_play(
                    store, rng.choice(ids), "bench", duration=200.0, started_at=1.7e9 + k * 300
                )
                close_play(
                    store,
                    play_id,
                    outcome=rng.choice(["completed", "skipped"]),
                    position=100.0,
                    seconds_listened=100.0,
                )
        settings = UiSettings.load(store)
        settings.first_run_done = True  # no first-run question, no scan: measure the window itself
        settings.analysis_enabled = False
        settings.library_view = view
        settings.save(store)
        store.checkpoint()


def run_once(db: Path, settle: float) -> dict:
    env = dict(os.environ)
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    env["ENCORE_AUDIO_OUTPUT"] = env.get("ENCORE_AUDIO_OUTPUT", "adummy")
    code = _PROBE.format(repo=str(CODE), db=str(db), settle=settle)
    env["PYTHONPATH"] = str(CODE)
    started = time.time()
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300, cwd=str(CODE)
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("STARTUP ")), None)
    if line is None:
        raise SystemExit(f"the app did not report start-up:\n{proc.stdout}\n{proc.stderr}")
    result = json.loads(line[len("STARTUP ") :])
    result["window_s"] = result["first_paint"] - started
    result["library_s"] = result["library_loaded"] - started
    if "grid_filled" in result:
        result["grid_s"] = result["grid_filled"] - started
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", type=Path, help="the library to open (built there if missing, then kept)")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait before reading RSS")
    parser.add_argument(
        "--view",
        choices=("albums", "tracks"),
        default="albums",
        help="the library view left at the last close",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="encore-startup-") as tmp:
        db = args.db or Path(tmp) / "encore.db"
        if not db.exists():
            t = time.perf_counter()
            build_db(db, args.tracks, view=args.view)
            print(f"library: {args.tracks} tracks generated in {time.perf_counter() - t:.1f} s")
        print(f"code: {CODE}; library: {db}")
        load = os.getloadavg()[0]
        results = [run_once(db, args.settle) for _ in range(args.runs)]
    windows = [r["window_s"] for r in results]
    libs = [r["library_s"] for r in results]
    print(f"machine load average (1 min) before the runs: {load:.1f} on {os.cpu_count()} cores")
    print(f"platform: {'X11 (' + os.environ['DISPLAY'] + ')' if os.environ.get('DISPLAY') else 'offscreen'}")
    print(
        f"first painted window: median {statistics.median(windows):.2f} s (runs: {', '.join(f'{w:.2f}' for w in windows)})"
    )
    print(f"track table filled ({results[0]['rows']} rows): median {statistics.median(libs):.2f} s")
    if args.view == "albums":
        grids = [r["grid_s"] for r in results]
        print(
            f"album grid: on screen at first paint: {all(r['grid_at_paint'] for r in results)}; filled with "
            f"{results[0]['albums']} albums: median {statistics.median(grids):.2f} s"
        )
    print(f"RSS at first paint: {statistics.median(r['rss_at_paint_mb'] for r in results):.0f} MB")
    print(
        f"RSS after settling {args.settle:.0f} s: median {statistics.median(r['rss_mb'] for r in results):.0f} MB "
        f"(peak {max(r['peak_rss_mb'] for r in results):.0f} MB)"
    )
    print(f"heavy modules loaded at first paint: {results[0]['modules_at_paint'] or 'none'}")
    print(f"heavy modules loaded once settled: {results[0]['modules'] or 'none'}")
    ok = statistics.median(windows) <= 1.5 and statistics.median(r["rss_mb"] for r in results) <= 300
    print("goal (<= 1.5 s, <= 300 MB):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
