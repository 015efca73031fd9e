"""Asking the listener: before something that cannot be undone (forgetting an import, deleting a
playlist), and for a name (a new playlist, a rename, a saved station).

The question box is opened, not executed, so the app (and a test) goes on while it waits; Yes does the
thing, Cancel (the default, so Enter is safe) does nothing. The name box is wide enough for its title (a
walk read "Renam…aylist" in a window manager's title bar).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

#: The name box's least width (its title, "Rename playlist", whole in the title bar).
NAME_BOX_WIDTH = 380


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


def ask_name(parent: QWidget | None, title: str, text: str = "") -> str | None:
    """A name typed by the listener (``text`` offered, selected), or None when cancelled. A box of its own:
    Qt's ``QInputDialog`` sizes itself to its contents whatever minimum width it is given."""
    box = QDialog(parent)
    box.setWindowTitle(title)
    box.setMinimumWidth(NAME_BOX_WIDTH)
    edit = QLineEdit(text)
    edit.selectAll()
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(box.accept)
    buttons.rejected.connect(box.reject)
    layout = QVBoxLayout(box)
    layout.addWidget(QLabel("Name:"))
    layout.addWidget(edit)
    layout.addWidget(buttons)
    box.name_edit = edit  # what a test types into
    return edit.text() if box.exec() else None
