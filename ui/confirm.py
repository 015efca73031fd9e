"""Asking before something that cannot be undone (forgetting an import, deleting a playlist).

The box is opened, not executed, so the app (and a test) goes on while it waits; Yes does the thing,
Cancel (the default, so Enter is safe) does nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget


def ask_first(parent: QWidget, title: str, text: str, on_yes: Callable[[], object]) -> QMessageBox:
    """Open a Yes / Cancel question; ``on_yes`` runs only if the user answers Yes."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.buttonClicked.connect(
        lambda button: box.standardButton(button) == QMessageBox.StandardButton.Yes and on_yes()
    )
    box.open()
    return box
