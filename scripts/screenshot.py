"""Drive the real app for scripts/screenshot.sh: scan + analyse the corpus, start a radio, grab the screen.

Runs under Xvfb (a real X server), so the PNG is what a user sees. The database lives in
~/.cache/encore/screenshot/ so that the audio analysis is done once (it is resumable and incremental).
A few plays are simulated into the listening log first so that the taste map has something to colour.
Last, a small listening history made here (a Spotify zip and a ListenBrainz export) is imported through
the app for the import summary (``--only import`` takes that picture alone, without the audio analysis).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def prepare(db: Path, corpus: Path, windows: int | None = None, analyse: bool = True) -> None:
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
        if analyse:
            summary = analyze_library(store, settings=AnalysisSettings(**settings_kw), progress=False)
            print(f"analyse: {summary.analyzed} new analyses", flush=True)
        settings = UiSettings.load(store)
        settings.first_run_done = True
        settings.folders = [str(corpus)]
        settings.scan_on_start = False
        settings.analysis_enabled = analyse  # without it the app would start analysing behind the picture
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


def write_history(folder: Path, store) -> list[str]:
    """A small listening history as the services export it: a Spotify zip (extended streaming history,
    skips and a podcast included) and a ListenBrainz JSON export. Some listens are of corpus tracks (the
    library shows them as plays elsewhere), most of artists the library lacks (they warm the taste)."""
    import zipfile

    from player.store.tracks import find_track

    picks = (find_track(store, q) for q in ("Battle Music", "Knolls", "Weight of Revenge"))
    mine = [t for t in picks if t and t["artist"] and t["title"]]
    elsewhere = [
        ("Portishead", "Glory Box", 12),
        ("Massive Attack", "Teardrop", 9),
        ("Radiohead", "Reckoner", 7),
        ("Björk", "Jóga", 5),
        ("Air", "La femme d'argent", 4),
        ("The Basement Tapes of Ours", "Demo 3", 3),  # an artist no listening data knows
    ]
    streams, listens = [], []
    at = 1_704_067_200  # 2024-01-01
    for k, (artist, title, n) in enumerate(elsewhere + [(t["artist"], t["title"], 6) for t in mine]):
        for j in range(n):
            at += 3 * 3600 + 600 * k
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
            skipped = j % 5 == 4
            streams.append(
                {
                    "ts": stamp,
                    "ms_played": 9000 if skipped else 215000,
                    "master_metadata_track_name": title,
                    "master_metadata_album_artist_name": artist,
                    "reason_start": "clickrow",
                    "reason_end": "fwdbtn" if skipped else "trackdone",
                    "skipped": skipped,
                }
            )
            if j % 2 == 0:
                listens.append(
                    {
                        "listened_at": at + 86400 * 400,
                        "track_metadata": {"artist_name": artist, "track_name": title},
                    }
                )
    streams.append({"ts": "2024-05-01T08:00:00Z", "ms_played": 1800000, "episode_name": "A podcast"})
    spotify = folder / "my_spotify_data.zip"
    with zipfile.ZipFile(spotify, "w") as z:
        z.writestr(
            "Spotify Extended Streaming History/Streaming_History_Audio_2024.json", json.dumps(streams)
        )
    listenbrainz = folder / "listenbrainz_export.json"
    listenbrainz.write_text(json.dumps(listens, ensure_ascii=False), encoding="utf-8")
    return [str(spotify), str(listenbrainz)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--out", default="docs")
    parser.add_argument("--db", default=str(Path.home() / ".cache" / "encore" / "screenshot" / "encore.db"))
    parser.add_argument("--seed", default="Muldjord - Chaos God")
    parser.add_argument("--windows", type=int, default=None, help="analysis windows per track (quicker)")
    parser.add_argument(
        "--only", choices=["import"], help="take only this picture (the import summary needs no analysis)"
    )
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    db = Path(args.db)
    db.parent.mkdir(parents=True, exist_ok=True)
    prepare(db, Path(args.corpus), args.windows, analyse=args.only is None)

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
            later(800, 20 if args.only == "import" else 10)
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
            later(200, 20)
        elif step == 20:
            downloads = run_db.parent / "Downloads"  # where exports land (the problem files are there too)
            downloads.mkdir(exist_ok=True)
            window.import_history_files(write_history(downloads, store))
            state["step"] = 21
        elif step == 21 and getattr(window, "history_summary", None) is not None:
            later(800, 22)
        elif step == 22:
            grab("screenshot-import.png", window.history_summary)
            window.history_summary.close()
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
