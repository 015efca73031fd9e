"""Drive the real app for scripts/screenshot.sh: scan + analyse the corpus, start a radio, grab the screen.

Runs under Xvfb (a real X server), so the PNG is what a user sees. The database lives in
~/.cache/encore/screenshot/ so that the audio analysis is done once (it is resumable and incremental).
A few plays are simulated into the listening log first so that the taste map has something to colour.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def prepare(db: Path, corpus: Path, windows: int | None = None) -> None:
    from player.library import scan
    from player.store import Store
    from player.store.plays import close_play, outcome_counts, start_play
    from player.store.tracks import find_track
    from recommender.audio.analyze import analyze_library
    from ui.settings import UiSettings

    with Store.open(db) as store:
        print(f"scan: {scan(store, [str(corpus)])}", flush=True)
        from recommender.audio.analyze import AnalysisSettings

        settings_kw = {"windows": windows} if windows else {}
        summary = analyze_library(store, settings=AnalysisSettings(**settings_kw), progress=False)
        print(f"analyse: {summary.analyzed} new analyses", flush=True)
        settings = UiSettings.load(store)
        settings.first_run_done = True
        settings.folders = [str(corpus)]
        settings.scan_on_start = False
        settings.geometry = settings.window_state = ""
        settings.splitters = {}
        settings.save(store)
        if outcome_counts(store)["total"] == 0:
            now = time.time() - 86400
            for k, query in enumerate(
                ["Muldjord - Dark", "Muldjord", "Main Theme", "Battle", "Knolls", "Weight"]
            ):
                track = find_track(store, query)
                if track is None:
                    continue
                for j in range(4 - k // 2):
                    play_id = start_play(
                        store,
                        track["id"],
                        "screenshot",
                        duration=track["duration"],
                        started_at=now + 600 * (k * 5 + j),
                    )
                    close_play(
                        store,
                        play_id,
                        outcome="completed",
                        position=track["duration"] or 0,
                        seconds_listened=track["duration"] or 0,
                    )


def add_problem_files(db: Path) -> None:
    """A folder with an empty and a damaged file, scanned into the run's database: real scan errors
    for the Problems view (the corpus itself reads cleanly)."""
    from player.library import scan
    from player.store import Store

    bad = db.parent / "Downloads"
    bad.mkdir(exist_ok=True)
    (bad / "half-downloaded.ogg").write_bytes(b"")
    (bad / "not really music.mp3").write_bytes(b"<html>404 Not Found</html>" * 40)
    with Store.open(db) as store:
        print(f"problem files: {scan(store, [str(bad)])}", flush=True)


def add_playlists(store) -> None:
    """A playlist and a smart playlist (with a nested any-group) for the Playlists screenshot."""
    from player.store import playlists as pl
    from player.store.tracks import find_track

    if pl.find_playlist(store, "Evening") is None:
        pid = pl.create_playlist(store, "Evening")
        picks = ["Elvish theme", "Into the Shadows", "Nunc Dimittis", "Silvan Sanctuary", "Love Theme"]
        pl.add_tracks(store, pid, [t["id"] for t in map(lambda q: find_track(store, q), picks) if t])
    if pl.find_playlist(store, "Calm, or slow guitar") is None:
        rules = {
            "match": "all",
            "conditions": [
                {"field": "ambient", "op": ">", "value": 0.1},
                {
                    "match": "any",
                    "conditions": [
                        {"field": "tempo", "op": "<", "value": 110},
                        {"field": "guitar", "op": ">", "value": 0.3},
                    ],
                },
            ],
            "limit": 25,
            "sort": "last_played",
        }
        pl.create_playlist(store, "Calm, or slow guitar", rules)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--out", default="docs")
    parser.add_argument("--db", default=str(Path.home() / ".cache" / "encore" / "screenshot" / "encore.db"))
    parser.add_argument("--seed", default="Muldjord - Chaos God")
    parser.add_argument("--windows", type=int, default=None, help="analysis windows per track (quicker)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    db = Path(args.db)
    db.parent.mkdir(parents=True, exist_ok=True)
    prepare(db, Path(args.corpus), args.windows)

    from PySide6.QtCore import QTimer

    from player.store import Store
    from player.store.tracks import find_track
    from ui.app import create_app
    from ui.main_window import MainWindow

    # The app runs on a throwaway copy, so that its own plays do not pile up in the cached database.
    run_db = Path(tempfile.mkdtemp(prefix="encore-shot-")) / "encore.db"
    with Store.open(db) as cached:
        cached.checkpoint()
    shutil.copyfile(db, run_db)
    add_problem_files(run_db)
    app = create_app(["encore"])
    store = Store.open(run_db)
    seed = find_track(store, args.seed)
    window = MainWindow(store)
    window.resize(1280, 800)
    window.show()
    QTimer.singleShot(0, window.start)
    state = {"step": 0}
    deadline = time.monotonic() + 120

    def grab(name: str, widget=None) -> None:
        app.processEvents()
        target = widget or window
        pixmap = target.screen().grabWindow(target.winId())
        path = out / name
        pixmap.save(str(path))
        print(f"wrote {path} ({pixmap.width()}x{pixmap.height()})", flush=True)

    def later(ms: int, step: int) -> None:
        state["step"] = -1
        QTimer.singleShot(ms, lambda: state.update(step=step))

    def tick() -> None:
        if time.monotonic() > deadline:
            print("timed out waiting for the window", file=sys.stderr)
            app.exit(1)
            return
        step = state["step"]
        if step == 0 and window.controller is not None and window.library.model.rowCount() > 0:
            later(800, 10)
        elif step == 10:
            grab("screenshot-library.png")
            window.library.show_albums(True)
            later(2500, 11)  # covers load in the background
        elif step == 11:
            grab("screenshot-albums.png")
            window.library.show_albums(False)
            window.library.select_track(seed["id"])
            window.start_radio(seed["id"])
            state["step"] = 1
        elif step == 1 and window.radio.active and len(window.radio.plan_ids()) >= 3:
            window.seek(61.0)
            state["step"] = 2
            state["t"] = time.monotonic()
        elif step == 2 and window.similar.result is not None and time.monotonic() - state["t"] > 2.5:
            grab("screenshot.png")
            window.tabs.setCurrentIndex(1)
            state["step"] = 3
        elif step == 3 and window.taste is not None and window.taste.data is not None:
            later(500, 4)
        elif step == 4:
            grab("screenshot-taste.png")
            window.tabs.setCurrentIndex(0)
            window.show_problems()
            later(1500, 5)
        elif step == 5:
            grab("screenshot-problems.png", window.problems_dialog)
            window.problems_dialog.close()
            add_playlists(store)
            window.playlists.refresh()
            window.tabs.setCurrentWidget(window.playlists)
            lists = window.playlists.lists
            lists.setCurrentRow(next(i for i in range(lists.count()) if lists.item(i).text() == "Evening"))
            later(800, 6)
        elif step == 6:
            grab("screenshot-playlists.png")
            lists = window.playlists.lists
            lists.setCurrentRow(next(i for i in range(lists.count()) if "⚙" in lists.item(i).text()))
            window.playlists.edit_smart(window.playlists.current())
            later(1200, 7)
        elif step == 7:
            grab("screenshot-smart.png", window.playlists.rule_dialog)
            window.playlists.rule_dialog.reject()
            app.exit(0)
            return
        QTimer.singleShot(200, tick)

    QTimer.singleShot(200, tick)
    code = app.exec()
    window.shutdown()
    store.close()
    shutil.rmtree(run_db.parent, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
