"""The notice above the now-playing bar: a passing notice never erases a standing one for good."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from ui.notice import NoticeBar


def test_a_standing_notice_comes_back_after_a_passing_one(qtbot):
    """A review found "Removed 3 tracks from the queue." (with Undo) erasing "No sound is reaching an
    audio device" (shown once, until closed) for good."""
    bar = NoticeBar()
    qtbot.addWidget(bar)
    bar.show()
    opened: list[str] = []
    bar.show_notice("No sound is reaching an audio device.", "Settings…", lambda: opened.append("s"), 0)
    undone: list[bool] = []
    bar.show_notice("Removed 3 tracks from the queue.", "Undo", lambda: undone.append(True))
    assert bar.text.text() == "Removed 3 tracks from the queue."
    bar.action_button.click()  # Undo: done, and the standing notice is back with its own action
    assert undone == [True] and bar.isVisible() and bar.text.text().startswith("No sound")
    bar.action_button.click()
    assert opened == ["s"] and not bar.isVisible()  # its action taken, it is gone
    bar.show_notice("No sound is reaching an audio device.", "Settings…", lambda: opened.append("s"), 0)
    bar.show_notice("The queue was replaced.", "Undo", lambda: None, timeout_ms=50)
    qtbot.waitUntil(lambda: bar.text.text().startswith("No sound"), timeout=5000)  # by its timer
    assert bar.isVisible()
    bar.dismiss()  # closed by the program: nothing comes back
    assert not bar.isVisible()
