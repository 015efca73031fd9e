"""Issue 26 item 4: a music folder renamed away while the app runs (as an unplugged drive looks) and
renamed back. A real folder rename under a watching window: a notice says the folder is missing, the
queue still names its tracks, and the tracks come back by themselves when the folder does."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt
from ui_helpers import WAIT, close_window, open_window, set_ui_settings, small_library

from player.store.tracks import iter_tracks


@pytest.fixture(autouse=True)
def _silent_audio(monkeypatch):
    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")


def test_a_renamed_music_folder_is_told_named_in_the_queue_and_noticed_when_back(qtbot, corpus_dir, tmp_path):
    music = tmp_path / "music"
    db = small_library(corpus_dir, music, tmp_path / "encore.db", wesnoth=3)
    set_ui_settings(db, analysis_enabled=False)
    window, store = open_window(qtbot, db)
    away = tmp_path / "music (unplugged)"
    try:
        qtbot.waitUntil(lambda: window.watcher.directories == [str(music)], timeout=WAIT)
        qtbot.waitUntil(lambda: window.library.model.rowCount() == 3, timeout=WAIT)
        tracks = sorted(iter_tracks(store), key=lambda t: t["id"])
        window.controller.queue.append([t["id"] for t in tracks])
        qtbot.waitUntil(lambda: window.queue_model.rowCount() == 3, timeout=WAIT)

        music.rename(away)
        qtbot.waitUntil(lambda: window.library.model.rowCount() == 0, timeout=WAIT)
        qtbot.waitUntil(lambda: "Music folder missing" in window.notice.text.text(), timeout=WAIT)
        assert str(music) in window.notice.text.text()
        shown = [
            window.queue_model.data(window.queue_model.index(r, 0), Qt.ItemDataRole.DisplayRole)
            for r in range(window.queue_model.rowCount())
        ]
        assert not any("(track " in text for text in shown), shown
        # Not "the library is empty", nor "not analysed yet" for a track whose file is only out of reach.
        qtbot.waitUntil(lambda: "music folder is missing" in window.status_label.text(), timeout=WAIT)
        window.similar.show_artist(tracks[0]["artist"], tracks[0]["id"], force=True)
        qtbot.waitUntil(lambda: "file is missing" in window.similar.note.text(), timeout=WAIT)
        assert "file is missing" in window.similar.tracks_note.text()
        assert all(t["title"] in text for t, text in zip(tracks, shown, strict=True)), shown

        # Playing the queue now stops on its first entry (the folder is gone: no racing through every
        # entry), named by its stored tags; Play starts that entry once the folder is back.
        window.controller.play_tracks([t["id"] for t in tracks])
        qtbot.waitUntil(lambda: "Stopped here" in window.statusBar().currentMessage(), timeout=WAIT)
        assert window.controller.queue.current.track_id == tracks[0]["id"]
        assert window.now_playing.title.text() == f"{tracks[0]['title']} (file missing)"

        away.rename(music)  # plugged back in: no rescan asked for
        qtbot.waitUntil(lambda: window.library.model.rowCount() == 3, timeout=WAIT)
        qtbot.waitUntil(lambda: window.now_playing.title.text() == tracks[0]["title"], timeout=WAIT)
        window.controller.play()
        qtbot.waitUntil(lambda: window.controller.player.state == "playing", timeout=WAIT)
        assert window.controller.queue.current.track_id == tracks[0]["id"]
        assert [t["missing"] for t in iter_tracks(store)] == [0, 0, 0]
        qtbot.waitUntil(lambda: "is back" in window.notice.text.text(), timeout=WAIT)
        qtbot.waitUntil(lambda: window.watcher.directories == [str(music)], timeout=WAIT)
    finally:
        if away.exists() and not music.exists():
            away.rename(music)
        close_window(window, store)


def test_a_folder_inside_the_music_folder_moved_away_is_told(qtbot, corpus_dir, tmp_path):
    """Found in a walk of the app: a folder inside the music folder moved away took its tracks (and an
    artist) out of the library without a word; the rescan now says how many went missing."""
    music = tmp_path / "music"
    db = small_library(corpus_dir, music, tmp_path / "encore.db", wesnoth=2, drascula=3)
    set_ui_settings(db, analysis_enabled=False)
    window, store = open_window(qtbot, db)
    try:
        qtbot.waitUntil(lambda: window.library.model.rowCount() == 5, timeout=WAIT)
        (music / "drascula").rename(tmp_path / "drascula (moved)")
        window.jobs.scan(window.settings.folders)
        qtbot.waitUntil(lambda: window.library.model.rowCount() == 2, timeout=WAIT)
        qtbot.waitUntil(lambda: "3 tracks went missing" in window.notice.text.text(), timeout=WAIT)
        assert window.notice.isVisible() and "come back" in window.notice.text.text()
    finally:
        close_window(window, store)
