"""A panel's message line: what its last action did, in one sentence, with the list it counts behind
"Details…".

Why a widget of its own: the Playlists tab grew its message handling beside its editing (split out when
the panel reached its size limit), and a message has rules of its own that a walk of the app found
broken: the line is one sentence the status bar can show whole ("6 entries were not found"), the list
goes to the tooltip and the Details… box, never into the line; an error from the core ("a playlist named
… already exists") reads as a sentence (capital letter, full stop); and every action that succeeds says
so, so that a message never outlives the action it was about.

API: ``MessageLine.say(text, details)``, ``MessageLine.text()``, ``MessageLine.show_details()``; the
``message`` signal carries each non-empty line (the window shows it in its status bar).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from player.text import sentence, shown

#: Entries listed in the message's tooltip (all of them are in the Details… dialog).
TOOLTIP_LINES = 30


class MessageLine(QWidget):
    """One panel's message line (see the module's docstring)."""

    message = Signal(str)  # every line said, except the empty one that clears it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel("")
        self.label.setObjectName("panelMessage")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details: list[str] = []
        self.details_button = QPushButton("Details…")
        self.details_button.setVisible(False)
        self.details_button.clicked.connect(lambda _checked=False: self.show_details())
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.details_button)

    def text(self) -> str:
        return self.label.text()

    def say(self, text: str, details: list[str] | None = None) -> None:
        """Show one summary line (and send it to the status bar); ``details`` (a list the summary counts)
        go to the tooltip and the Details… dialog, never into the line itself. "" clears the line."""
        text = sentence(text)
        self.details = list(details or [])
        self.label.setText(text)
        tip = [shown(d) for d in self.details[:TOOLTIP_LINES]]
        if len(self.details) > TOOLTIP_LINES:
            tip.append(f"… and {len(self.details) - TOOLTIP_LINES} more (see Details…)")
        self.label.setToolTip("\n".join(tip))
        self.details_button.setVisible(bool(self.details))
        if text:
            self.message.emit(text)

    def show_details(self) -> QMessageBox:
        """The last message with its whole list, shown at once (``ui.list_box``)."""
        from ui.list_box import open_list_box

        text = self.label.text().replace(" (see details)", "")
        return open_list_box(self, "Details", text, [shown(d) for d in self.details])
