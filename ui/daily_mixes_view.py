"""Daily mixes in the For you tab: up to six mixes from the listener's history, each a corner of their
taste, and the mix for this time of day (``recommender.for_you.daily``). Double-click plays one (with
Undo, like every replacement); Refresh makes new ones for the rest of the day. The familiar <-> new dial
of the Stations tab sets their share of new finds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.flow_layout import flow_of
from ui.workers import TaskRunner


def load_daily_mixes(db_path: str, dial: int, refresh: bool) -> list[dict[str, Any]]:
    """The day's mixes and the time-of-day mix (runs in a worker thread)."""
    from player.store import Store
    from recommender.for_you.daily import daily_mixes, refresh_count, time_of_day_mix
    from recommender.radio.load import load_library

    today = dt.date.today()
    with Store.open(db_path) as store:
        count = refresh_count(store, today, refresh)
        library = load_library(store)
        mixes = daily_mixes(store, library=library, day=today, dial=dial, refresh=count)
        now = time_of_day_mix(store, library=library, dial=dial, refresh=count)
    return [
        {"name": m.name, "artists": m.artists, "tracks": m.track_ids, "new": m.new_share}
        for m in ([now] if now is not None else []) + mixes
    ]


class DailyMixesBox(QWidget):
    """Signals: ``playRequested(track ids, name)``."""

    playRequested = Signal(list, str)

    def __init__(self, runner: TaskRunner, db_path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.db_path = db_path
        self.dial = 0
        self._busy = False
        self._loaded = False
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.itemDoubleClicked.connect(self._activated)
        self.list.setToolTip("Double-click: play the mix")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.refresh_button = QPushButton("New mixes")
        self.refresh_button.setToolTip("New daily mixes now (they stay until tomorrow)")
        self.refresh_button.clicked.connect(lambda: self.load(refresh=True))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(flow_of([QLabel("<b>Daily mixes</b>"), self.refresh_button]))  # wraps when narrow
        layout.addWidget(self.status)
        layout.addWidget(self.list, 1)

    def set_dial(self, dial: int) -> None:
        if int(dial) != self.dial:
            self.dial = int(dial)
            self.load()

    def ensure_loaded(self) -> None:
        """First visit of the tab: make the mixes once."""
        if not self._loaded:
            self.load()

    def load(self, refresh: bool = False) -> None:
        if self._busy:
            return
        self._busy = True
        self._loaded = True
        self.status.setText("Making your mixes…")
        self.runner.start(
            lambda: load_daily_mixes(self.db_path, self.dial, refresh),
            on_result=self._show,
            on_error=self._error,
        )

    def _error(self, message: str) -> None:
        self._busy = False
        self.status.setText(f"The mixes could not be made: {message}")

    def _show(self, mixes: list[dict[str, Any]]) -> None:
        self._busy = False
        self.list.clear()
        if not mixes:
            self.status.setText("Daily mixes grow from what you finish: play music, or import your history.")
            return
        self.status.setText("")
        for mix in mixes:
            new = round(100 * mix["new"])
            item = QListWidgetItem(f"{mix['name']}\n{len(mix['tracks'])} tracks, {new}% new to you")
            item.setData(Qt.ItemDataRole.UserRole, (mix["tracks"], mix["name"]))
            self.list.addItem(item)

    def _activated(self, item: QListWidgetItem) -> None:
        tracks, name = item.data(Qt.ItemDataRole.UserRole)
        self.playRequested.emit(list(tracks), str(name))
