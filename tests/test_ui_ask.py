"""Asking the listener for a name: the box says what it is for in a title bar wide enough to show it."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog


def _answer(name: str | None, seen: list) -> None:
    tries = [0]

    def act() -> None:
        boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
        tries[0] += 1
        if not boxes or (tries[0] < 50 and boxes[0].width() < boxes[0].minimumWidth()):  # laid out yet?
            QTimer.singleShot(20, act)
            return
        box = boxes[0]
        seen.append((box.windowTitle(), box.width(), box.name_edit.text()))
        if name is None:
            box.reject()
        else:
            box.name_edit.setText(name)
            box.accept()

    QTimer.singleShot(20, act)


def test_the_name_box_offers_the_name_and_is_wide_enough_for_its_title(qtbot):
    """A walk read "Renam…aylist" in the title bar of the rename box (Qt's own getText was too narrow)."""
    from ui.confirm import NAME_BOX_WIDTH, ask_name

    seen: list = []
    _answer("Late evening", seen)
    assert ask_name(None, "Rename playlist", "Evening") == "Late evening"
    title, width, offered = seen[0]
    assert title == "Rename playlist" and offered == "Evening" and width >= NAME_BOX_WIDTH
    _answer(None, seen)
    assert ask_name(None, "New playlist") is None  # cancelled
