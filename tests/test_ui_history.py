"""Listening history from elsewhere in the app and beside Encore's own plays (issue 22, the UI half).

The window imports real-format exports (a ListenBrainz JSON array, a Spotify extended history) written
here, with listens of a library track, in the background with the status bar's progress; the summary
dialog says what the CLI says, a junk file gets the importer's one sentence; the library's plays column
shows the listens from elsewhere beside Encore's own plays; the history dialog forgets an import after a
confirmation. ``encore stats`` keeps its own figures and adds one line for the imported listens.
All on the real corpus, a real SQLite file and the real libvlc player (silent).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from ui_helpers import WAIT, close_window, open_window, small_library

from main import main
from player.store import Store
from player.store.listens import listen_total
from player.store.plays import close_play, start_play
from player.store.tracks import iter_tracks
from ui.library_model import COLUMN_NAMES
from ui.library_rows import ELSEWHERE, PLAYS

PLAYS_COLUMN = COLUMN_NAMES.index("Plays")


@pytest.fixture(autouse=True)
def _silent_audio(monkeypatch):
    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")


@pytest.fixture
def library_db(corpus_dir: Path, tmp_path: Path) -> Path:
    return small_library(corpus_dir, tmp_path / "music", tmp_path / "db" / "encore.db")


def _first_track(db: Path) -> dict:
    with Store.open(db) as store:
        return next(t for t in iter_tracks(store) if t["artist"] and t["title"])


def _listenbrainz(path: Path, track: dict, n: int) -> Path:
    """A ListenBrainz export (JSON array): ``n`` listens of ``track`` (artist in other case) and two of
    an artist the library does not hold."""
    listens = [
        {
            "listened_at": 1700000000 + 900 * k,
            "track_metadata": {"artist_name": track["artist"].upper(), "track_name": track["title"]},
        }
        for k in range(n)
    ]
    listens += [
        {
            "listened_at": 1710000000 + k,
            "track_metadata": {"artist_name": "Portishead", "track_name": "Roads"},
        }
        for k in range(2)
    ]
    path.write_text(json.dumps(listens), encoding="utf-8")
    return path


def _spotify(path: Path, track: dict, n: int) -> Path:
    """A Spotify extended streaming history: ``n`` streams of ``track`` played to their end."""
    streams = [
        {
            "ts": f"2024-03-{1 + k:02d}T20:00:00Z",
            "ms_played": 200000,
            "master_metadata_track_name": track["title"],
            "master_metadata_album_artist_name": track["artist"],
            "reason_start": "clickrow",
            "reason_end": "trackdone",
            "skipped": None,
        }
        for k in range(n)
    ]
    path.write_text(json.dumps(streams), encoding="utf-8")
    return path


def _import(qtbot, window, paths: list[Path]) -> list[dict]:
    with qtbot.waitSignal(window.jobs.historyImported, timeout=WAIT) as done:
        window.import_history_files([str(p) for p in paths])
    qtbot.waitUntil(lambda: getattr(window, "history_summary", None) is not None, timeout=WAIT)
    return done.args[0]


def _plays_cell(window, track_id: int) -> tuple[str, str]:
    model = window.library.model
    model.set_filter("")
    row = model.row_of(track_id)
    index = model.index(row, PLAYS_COLUMN)
    return model.data(index, Qt.ItemDataRole.DisplayRole), model.data(index, Qt.ItemDataRole.ToolTipRole)


def test_the_import_action_imports_summarises_and_shows_plays_from_elsewhere(qtbot, library_db, tmp_path):
    track = _first_track(library_db)
    lb = _listenbrainz(tmp_path / "listens-export", track, 37)  # any name: the content decides
    junk = tmp_path / "notes.json"
    junk.write_text(json.dumps({"hello": "world"}), encoding="utf-8")
    window, store = open_window(qtbot, library_db)
    try:
        assert window.import_history_action.text() == "Import listening history…"
        assert _plays_cell(window, track["id"])[0] == ""
        statuses: list[tuple[str, int, int]] = []
        window.jobs.status.connect(lambda text, done, total, _p: statuses.append((text, done, total)))
        with qtbot.waitSignal(window.libraryLoaded, timeout=WAIT):  # the import reloads the library
            results = _import(qtbot, window, [lb, junk])
        assert any(
            total > 0 and text.startswith("Importing listening history") for text, _d, total in statuses
        )
        assert [r["error"] for r in results] == [False, True]

        dialog = window.history_summary
        assert dialog.isVisible()
        text = dialog.text()
        assert "Added 39 listens from 1 file" in text and "1 file could not be read" in text
        assert "ListenBrainz history, import 1" in text
        assert "39 listens read, 39 kept" in text
        assert "2 artists" in text and "matched tracks in your library" in text
        assert "95% matched tracks in your library" in text  # 37 of 39
        assert "notes.json: not a listening history Encore can read" in text
        assert "Traceback" not in text and "Error:" not in text
        assert "listens read" in dialog.details.toPlainText()  # what the user reads

        shown, tip = _plays_cell(window, track["id"])
        assert shown == "0 (+37)" and "37 plays elsewhere" in tip and "0 plays in Encore" in tip

        # The same file again: nothing new, said so; a Spotify history of the same track adds to it.
        dialog.close()
        again = _import(qtbot, window, [lb])
        assert again[0]["report"]["duplicates"] == 39
        assert "Nothing new" in window.history_summary.text()
        assert "39 already imported" in window.history_summary.text()
        assert window.history_summary.windowTitle() == "Listening history import · Encore"  # not "imported"
        # "Listening history…" brings the list of imports forward: the summary makes way for it.
        window.history_summary.history_button.click()
        assert not window.history_summary.isVisible() and window.history_dialog.isVisible()
        window.history_dialog.close()
        with qtbot.waitSignal(window.libraryLoaded, timeout=WAIT):
            _import(qtbot, window, [_spotify(tmp_path / "Streaming_History_Audio_2024.json", track, 3)])
        assert "Spotify history, import 2" in window.history_summary.text()
        assert window.history_summary.windowTitle() == "Listening history imported · Encore"
        assert _plays_cell(window, track["id"])[0] == "0 (+40)"
        window.history_summary.close()
    finally:
        close_window(window, store)


def test_the_history_dialog_lists_imports_and_forgets_one_after_asking(qtbot, library_db, tmp_path):
    track = _first_track(library_db)
    lb = _listenbrainz(tmp_path / "listens.json", track, 5)
    window, store = open_window(qtbot, library_db)
    try:
        dialog = window.show_history()
        qtbot.waitUntil(lambda: "No listening history imported yet" in dialog.summary.text(), timeout=WAIT)
        assert not dialog.forget_button.isEnabled()
        with qtbot.waitSignal(window.libraryLoaded, timeout=WAIT):
            _import(qtbot, window, [lb])
        window.history_summary.close()
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=WAIT)
        first_day = time.strftime("%Y-%m-%d", time.localtime(1700000000))
        assert [dialog.table.item(0, c).text() for c in range(3)] == ["ListenBrainz", "7", first_day]
        assert dialog.table.item(0, 4).text() == str(lb)
        assert dialog.forget_button.isEnabled()

        box = dialog.ask_forget()  # Cancel keeps it
        box.button(QMessageBox.StandardButton.Cancel).click()
        qtbot.wait(200)
        assert listen_total(store) == 7

        box = dialog.ask_forget()
        assert "7 listens leave your taste" in box.text()
        with qtbot.waitSignal(window.libraryLoaded, timeout=WAIT):
            with qtbot.waitSignal(dialog.forgotten, timeout=WAIT) as gone:
                box.button(QMessageBox.StandardButton.Yes).click()
        assert gone.args == [7] and listen_total(store) == 0
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 0, timeout=WAIT)
        assert _plays_cell(window, track["id"])[0] == ""
        dialog.close()
    finally:
        close_window(window, store)


def test_stats_keeps_its_own_plays_and_adds_a_line_for_the_imported_listens(library_db, tmp_path, capsys):
    track = _first_track(library_db)
    with Store.open(library_db) as store:
        for k in range(3):
            play_id = start_play(
                store, track["id"], "library", duration=track["duration"], started_at=1e9 + 600 * k
            )
            close_play(
                store,
                play_id,
                outcome="completed",
                position=track["duration"],
                seconds_listened=track["duration"],
            )
    db = str(library_db)
    assert main(["--db", db, "stats"]) == 0
    before = capsys.readouterr().out
    assert "3 plays" in before and "Listening history imported" not in before
    lb = _listenbrainz(tmp_path / "lb.json", track, 37)
    sp = _spotify(tmp_path / "sp.json", track, 4)
    assert main(["--db", db, "import-history", str(lb), str(sp)]) == 0
    capsys.readouterr()
    assert main(["--db", db, "stats"]) == 0
    after = capsys.readouterr().out
    own, extra = after.rstrip("\n").rsplit("\n", 1)
    assert own + "\n" == before  # Encore's own figures unchanged, top tracks included
    assert extra == "Listening history imported: 43 listens from ListenBrainz/Spotify (encore history)"
    assert main(["--db", db, "stats", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["plays"] == 3 and summary["imported_listens"] == {"listenbrainz": 39, "spotify": 4}
    with Store.open(library_db) as store:
        from player.store.browse import library_rows

        row = next(r for r in library_rows(store) if r[0] == track["id"])
    assert (row[PLAYS], row[ELSEWHERE]) == (3, 41)  # Encore's own plays, listens from elsewhere apart
