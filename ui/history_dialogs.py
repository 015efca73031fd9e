"""Listening history from elsewhere in the app: the summary after an import, and the list of imports.

The import itself is a background job of the window (``ui.background.run_history_import``); it hands
back one entry per file with the report in the CLI's words (``recommender.cli.history.summary_text``),
which ``ImportSummaryDialog`` shows as it is, so that the app and ``encore import-history`` say the same
thing. A file in no known format shows the importer's one sentence (``HistoryFormatError``).

``HistoryDialog`` lists the imports (``encore history``) and forgets one after a confirmation
(``encore history forget ID``); both run in a worker on their own connection, since forgetting a
decade of history deletes a million rows. Neither dialog blocks in ``exec()``: they are opened with
``open()``, so the window goes on playing and tests drive them directly.
"""

from __future__ import annotations

import html
import time
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from player.text import count_text
from ui.confirm import ask_first
from ui.workers import TaskRunner

#: What the file dialog offers first; "All files" too, since the format is read from the content.
HISTORY_FILTER = "Listening history (*.json *.jsonl *.csv *.zip *.txt);;All files (*)"


def load_imports(db_path: str) -> list[dict[str, Any]]:
    """The imports for the list (worker thread, own connection), without their stored reports."""
    from player.history.formats import SOURCE_NAMES
    from player.store import Store
    from player.store.listens import list_imports

    with Store.open(db_path) as store:
        imports = list_imports(store)
    return [
        {
            "id": i["id"],
            "source": SOURCE_NAMES.get(i["source"], i["source"]),
            "file": i["file"],
            "first_at": i["first_at"],
            "last_at": i["last_at"],
            "imported_at": i["imported_at"],
            "listens_held": i["listens_held"],
            "listens_read": i["listens_read"],
        }
        for i in imports
    ]


def forget_history(db_path: str, import_id: int) -> int | None:
    """Forget one import (worker thread): how many listens went, None if it was already gone."""
    from player.store import Store
    from player.store.listens import forget_import

    with Store.open(db_path) as store:
        return forget_import(store, import_id)


def _date(at: float | None) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(at)) if at else "–"


def listens_added(results: list[dict[str, Any]]) -> int:
    """How many listens an import (all its files) added."""
    return sum(r["report"]["listens_kept"] for r in results if r["report"] is not None)


def headline(results: list[dict[str, Any]]) -> str:
    """One sentence over all the files of an import: what was added, what could not be read."""
    reports = [r["report"] for r in results if r["report"] is not None]
    kept = listens_added(results)
    failed = sum(1 for r in results if r["error"])
    if kept:
        text = (
            f"Added {count_text(kept, 'listen')} from {count_text(len(reports), 'file')}. Your taste, "
            "For you and the radio now include them; the library shows them beside Encore's own plays."
        )
    elif reports:
        text = "Nothing new: every listen in these files was imported before."
    else:
        text = "Nothing was imported."
    if failed:
        text += f" {count_text(failed, 'file')} could not be read."
    return text


class ImportSummaryDialog(QDialog):
    """What an import did, file by file: the same words as ``encore import-history``."""

    historyRequested = Signal()  # "Listening history…": the list of imports

    def __init__(self, results: list[dict[str, Any]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(
            f"Listening history {'imported' if listens_added(results) else 'import'} · Encore"
        )
        self.results = results
        self.headline = QLabel(headline(results))
        self.headline.setWordWrap(True)
        self.details = QTextBrowser()
        self.details.setOpenLinks(False)
        self.details.setHtml(self._html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.history_button = QPushButton("Listening history…")
        self.history_button.clicked.connect(self._to_history)
        buttons.addButton(self.history_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        # As tall as the summaries need (a few files fit without scrolling), within reason.
        self.details.document().setTextWidth(740)
        needed = int(self.details.document().size().height()) + 24
        self.details.setMinimumHeight(min(max(needed, 120), 560))
        self.resize(780, 0)

    def _to_history(self) -> None:
        """This summary makes way for the list of imports (left open, it stayed in front of it: found in
        a walk of the app)."""
        self.accept()
        self.historyRequested.emit()

    def text(self) -> str:
        """Everything the dialog says, as plain text (each file's summary as the CLI prints it)."""
        return "\n\n".join([self.headline.text(), *(r["text"] for r in self.results)])

    def _html(self) -> str:
        parts = []
        for r in self.results:
            if r["error"]:
                parts.append(f"<p style='color:#a40000'>⚠ {html.escape(r['text'])}</p>")
                continue
            first, *rest = r["text"].splitlines()
            lines = "".join(f"<li>{html.escape(line.strip())}</li>" for line in rest)
            parts.append(f"<p><b>{html.escape(first)}</b></p><ul style='margin-top:0'>{lines}</ul>")
        return "".join(parts)


class HistoryDialog(QDialog):
    """The imports of listening history, newest last, with Import… and Forget (after a confirmation)."""

    importRequested = Signal()
    forgotten = Signal(int)  # listens removed: the window redoes what the taste feeds
    loaded = Signal()

    def __init__(self, runner: TaskRunner, db_path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Listening history · Encore")
        self.runner = runner
        self.db_path = db_path
        self.imports: list[dict[str, Any]] = []
        self.confirm: QMessageBox | None = None
        self.summary = QLabel("Loading…")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 5)
        self.table.setTabKeyNavigation(False)  # Tab goes on to the buttons
        self.table.setHorizontalHeaderLabels(["Source", "Listens", "From", "To", "File"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for column in range(4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.import_button = QPushButton("Import…")
        self.import_button.clicked.connect(self.importRequested)
        self.forget_button = QPushButton("Forget")
        self.forget_button.setToolTip("Remove this import's listens from your taste and the library's counts")
        self.forget_button.clicked.connect(self.ask_forget)
        self.forget_button.setEnabled(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.forget_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(760, 340)

    def refresh(self) -> None:
        self.runner.start(load_imports, self.db_path, on_result=self._loaded, on_error=self._failed)

    def _failed(self, message: str) -> None:
        self.summary.setText(f"The imports could not be listed: {message}")

    def _loaded(self, imports: list[dict[str, Any]]) -> None:
        self.imports = imports
        self.table.setRowCount(len(imports))
        for row, i in enumerate(imports):
            listens = f"{i['listens_held']}" + (
                f" of {i['listens_read']} read" if i["listens_read"] != i["listens_held"] else ""
            )
            cells = (i["source"], listens, _date(i["first_at"]), _date(i["last_at"]), i["file"])
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"Imported {_date(i['imported_at'])} from {i['file']}")
                self.table.setItem(row, column, item)
        held = sum(i["listens_held"] for i in imports)
        self.summary.setText(
            f"{count_text(held, 'listen')} imported from elsewhere feed your taste, beside Encore's own plays."
            if imports
            else "No listening history imported yet: Import… reads exports from ListenBrainz, Spotify or "
            "Last.fm."
        )
        if imports and self.table.currentRow() < 0:
            self.table.selectRow(len(imports) - 1)
        self._selection_changed()
        self.loaded.emit()

    def _selection_changed(self) -> None:
        self.forget_button.setEnabled(self.selected() is not None)

    def selected(self) -> dict[str, Any] | None:
        row = self.table.currentRow()
        return self.imports[row] if 0 <= row < len(self.imports) else None

    def ask_forget(self) -> QMessageBox | None:
        """Ask before forgetting the selected import (the box is opened, not executed: Yes forgets)."""
        chosen = self.selected()
        if chosen is None:
            return None
        self.confirm = ask_first(
            self,
            "Forget this import?",
            f"Forget the {chosen['source']} history from {chosen['file']}? Its "
            f"{count_text(chosen['listens_held'], 'listen')} leave your taste and the library's counts; "
            "you can import the file again later.",
            lambda: self.forget(int(chosen["id"])),
        )
        return self.confirm

    def forget(self, import_id: int) -> None:
        self.forget_button.setEnabled(False)
        self.runner.start(
            forget_history, self.db_path, import_id, on_result=self._forgot, on_error=self._failed
        )

    def _forgot(self, removed: int | None) -> None:
        self.refresh()
        if removed is not None:
            self.forgotten.emit(removed)
