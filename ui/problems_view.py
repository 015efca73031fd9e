"""The Problems view: files the scan or the audio analysis could not read, and files that vanished.

Rows come from ``scan_errors``, ``analysis_errors`` (current model version) and tracks flagged missing,
loaded in a worker. "Show in folder" opens the file's folder in the desktop's file manager; "Rescan"
asks the window to scan the music folders again (fixed files then leave the list).
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.links import copy_text, show_item
from ui.workers import TaskRunner


def load_problems(db_path: str) -> list[tuple[str, str, str]]:
    """(what, path, reason) rows for the view (runs in a worker, on its own connection)."""
    from player.store import Store
    from player.store.analysis import list_analysis_errors
    from player.store.errors import list_missing_tracks, list_scan_errors

    with Store.open(db_path) as store:
        rows = [("Scan", e["path"], e["message"]) for e in list_scan_errors(store)]
        try:
            analysis = list_analysis_errors(store)
        except Exception:  # the analysis package is not installed: no analysis errors to show
            analysis = []
        rows += [("Analysis", e["path"], e["message"]) for e in analysis]
        rows += [
            ("Missing", e["path"], "file not found (moved or deleted)") for e in list_missing_tracks(store)
        ]
    return rows


class ProblemsDialog(QDialog):
    rescanRequested = Signal()
    loaded = Signal()

    def __init__(self, runner: TaskRunner, db_path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Problems · Encore")
        self.runner = runner
        self.db_path = db_path
        self.rows: list[tuple[str, str, str]] = []
        self.summary = QLabel("Loading…")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setTabKeyNavigation(False)  # Tab goes on to the buttons
        self.table.setHorizontalHeaderLabels(["Where", "File", "Reason"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        # A long path loses its middle, not its end: the file's name is what tells a problem apart
        # (a walk read ".../drascula/audio/track..." for every one).
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.setColumnWidth(1, 420)
        self.show_button = QPushButton("Show in folder")
        self.show_button.clicked.connect(self.show_selected_in_folder)
        self.rescan_button = QPushButton("Rescan folders")
        self.rescan_button.clicked.connect(self.rescanRequested)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.show_button)
        buttons.addWidget(self.rescan_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.resize(900, 420)

    def refresh(self) -> None:
        self.runner.start(load_problems, self.db_path, on_result=self._loaded)

    def _loaded(self, rows: list[tuple[str, str, str]]) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, (what, path, reason) in enumerate(rows):
            for c, text in enumerate((what, path, reason)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        self.summary.setText(
            f"{len(rows)} file{'s' if len(rows) != 1 else ''} could not be played or read."
            if rows
            else "No problems."
        )
        self.show_button.setEnabled(bool(rows))
        self.loaded.emit()

    def selected_path(self) -> str | None:
        row = self.table.currentRow()
        return self.rows[row][1] if 0 <= row < len(self.rows) else None

    def folder_url(self) -> QUrl | None:
        """The folder of the selected file (its nearest existing parent if the file is gone)."""
        path = self.selected_path()
        if not path:
            return None
        folder = path if os.path.isdir(path) else os.path.dirname(path)
        while folder and not os.path.isdir(folder) and os.path.dirname(folder) != folder:
            folder = os.path.dirname(folder)
        return QUrl.fromLocalFile(folder)

    def show_selected_in_folder(self) -> Any:
        """Show the file in the file manager (selected, through the freedesktop FileManager1 service when
        one runs), else open its folder; with neither, say so and put the folder on the clipboard."""
        url = self.folder_url()
        if url is None:
            return None
        path = self.selected_path() or ""
        if not (os.path.exists(path) and show_item(path)) and not QDesktopServices.openUrl(url):
            folder = url.toLocalFile()
            copy_text(folder)
            # The path cut in its middle to the dialog's width (a walk: a long one stretched the dialog to
            # the screen's edge); the whole of it is on the clipboard and in the tooltip.
            shown = self.summary.fontMetrics().elidedText(
                folder, Qt.TextElideMode.ElideMiddle, max(200, self.width() // 2)
            )
            self.summary.setText(
                f"No file manager could open {shown}: the folder's path is on the clipboard."
            )
            self.summary.setToolTip(folder)
        return url
