"""Issue 26 item 10, the small things of a first hour: the volume slider jumps to a click, the bar forgets
the last position when the queue runs out, the Rate menu offers what Ctrl+L does now, and the tray's menu
names the playing track. Real window, real libvlc (silent output), real corpus files."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from ui_helpers import WAIT, close_window, open_window, small_library


@pytest.fixture(autouse=True)
def _silent_audio(monkeypatch):
    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")


def test_small_things_of_a_first_hour(qtbot, corpus_dir, tmp_path):
    db = small_library(corpus_dir, tmp_path / "music", tmp_path / "lib.db", wesnoth=2)
    window, store = open_window(qtbot, db)
    try:
        bar = window.now_playing
        # The volume jumps to where it is clicked (it moved one page step towards it).
        slider = bar.volume
        window.step_volume(-100)
        assert slider.value() == 0
        qtbot.mouseClick(
            slider, Qt.MouseButton.LeftButton, pos=QPoint(slider.width() * 4 // 5, slider.height() // 2)
        )
        assert 65 <= slider.value() <= 95, slider.value()
        assert window.settings.volume == slider.value()

        model = window.library.model
        last = model.track_at(model.rowCount() - 1)
        window.play_tracks([last[0]], 0)
        qtbot.waitUntil(lambda: window.controller.player.state == "playing", timeout=WAIT)
        qtbot.waitUntil(lambda: bool(window.controller.player.duration), timeout=WAIT)
        qtbot.waitUntil(lambda: window._playing_id() == last[0], timeout=WAIT)
        title = bar.title.text()
        assert title in window.tray.now_action.text()  # the tray's menu names what plays

        rate_menu = window.love_action.associatedObjects()[0]
        rate_menu.aboutToShow.emit()
        assert window.love_action.text() == "Love the playing track"
        window.love_current()
        rate_menu.aboutToShow.emit()
        assert window.love_action.text() == "Unlove the playing track"

        # The queue runs out: the bar does not stay at "1:02 / -0:01".
        window.seek(window.controller.player.duration - 1.0)
        qtbot.waitUntil(lambda: window.controller.player.state == "stopped", timeout=WAIT)
        qtbot.wait(300)
        assert bar.elapsed.text() == "0:00" and bar.remaining.text() == "", (
            bar.elapsed.text(),
            bar.remaining.text(),
        )
    finally:
        close_window(window, store)
