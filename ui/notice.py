"""A one-line notice above the now-playing bar, with an optional action ("Undo", "Settings…").

Used for what the user must not miss but need not confirm: a radio replaced by a double-click (with
undo), no audio reaching a device. A notice hides itself after ``timeout_ms`` (0: stays until closed).
A standing notice (``timeout_ms`` 0) that a passing one covers comes back when the passing one ends, by
its timer, its ✕ or its action: a review found "Removed 3 tracks from the queue" erasing "No sound is
reaching an audio device" for good.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QToolButton, QWidget


class NoticeBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notice")
        self.setStyleSheet("#notice { background: #fff3bf; border: 1px solid #f0c36d; border-radius: 3px; }")
        self.text = QLabel("")
        self.text.setWordWrap(True)
        self.text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.action_button = QPushButton("")
        self.action_button.clicked.connect(self._act)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self._end)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 4, 2)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(close)
        self._action: Callable[[], None] | None = None
        self._standing: tuple[str, str | None, Callable[[], None] | None] | None = None  # shown now
        self._behind: tuple[str, str | None, Callable[[], None] | None] | None = None  # covered
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._end)
        self.setVisible(False)

    def show_notice(
        self,
        text: str,
        action_text: str | None = None,
        action: Callable[[], None] | None = None,
        timeout_ms: int = 12_000,
    ) -> None:
        if timeout_ms > 0:
            self._behind = self._standing or self._behind  # a standing notice waits behind this one
            self._standing = None
        else:
            self._standing, self._behind = (text, action_text, action), None
        self.text.setText(text)
        self._action = action
        self.action_button.setText(action_text or "")
        self.action_button.setVisible(bool(action_text and action))
        self.setVisible(True)
        if timeout_ms > 0:
            self._timer.start(timeout_ms)
        else:
            self._timer.stop()

    def dismiss(self) -> None:
        """Hide the notice, and any standing one behind it."""
        self._timer.stop()
        self._action = None
        self._standing = self._behind = None
        self.setVisible(False)

    def _end(self) -> None:
        """The notice shown ends (its timer, its ✕): a standing notice it covered comes back."""
        behind = self._behind
        self.dismiss()
        if behind is not None:
            self.show_notice(*behind, timeout_ms=0)

    def _act(self) -> None:
        action = self._action
        self._end()
        if action is not None:
            action()
