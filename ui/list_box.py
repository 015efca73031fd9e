"""A message with the list it counts, in one box that shows the list at once ("6 entries were not found"
and the six entries): one entry a line, unwrapped, the box as wide as its longest line (up to 1,000 px).

Why a module of its own: Qt's ``QMessageBox`` hides its detailed text behind a second "Show Details…"
click and sizes itself to the message alone, so a list of paths arrived cut and wrapped (seen in the
first-hour walk, playlist import); the panels that say such things share this box.

API: ``open_list_box(parent, title, text, lines)`` -> the box, opened without blocking.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QMessageBox, QSpacerItem, QTextEdit, QWidget


def open_list_box(parent: QWidget, title: str, text: str, lines: Sequence[str]) -> QMessageBox:
    """Open (without blocking) a box with ``text`` and ``lines`` shown under it, and return it."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=parent)
    box.setDetailedText("\n".join(lines))
    box.open()
    for button in box.buttons():
        if box.buttonRole(button) == QMessageBox.ButtonRole.ActionRole:
            button.click()  # Qt's "Show Details…": the list is what the box is for
    for edit in box.findChildren(QTextEdit):
        edit.setLineWrapMode(QTextEdit.LineWrapMode.NoWrap)
    grid = box.layout()  # a QMessageBox sizes itself to its text: a spacer row makes room for the list
    metrics = box.fontMetrics()
    wide = min(1000, max((metrics.horizontalAdvance(line) for line in lines), default=300) + 80)
    grid.addItem(QSpacerItem(wide, 0), grid.rowCount(), 0, 1, grid.columnCount())
    return box
