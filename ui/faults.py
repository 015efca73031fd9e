"""Database and disk faults in the desktop app: a dialog and the status bar, never an abort.

The CLI turns each fault into one sentence (``player.faults.explain``); the app shows the same
sentence. At start-up (a damaged file, a newer schema, ``$ENCORE_HOME`` naming a file, a folder that
cannot be written) there is nothing to show the library from, so a modal dialog says what is wrong
and where, and the app exits with status 1 without touching the file. After the window is up, a fault
(the disk fills, the database becomes read-only) is raised inside whatever slot tried to write; PySide
hands such exceptions to ``sys.excepthook``, which ``FaultReporter`` replaces: the sentence goes to the
status bar and, once per distinct fault, to a non-modal dialog, and the app carries on (plays are kept
in memory and retried by ``player.listening``; what is stored stays intact). A database found damaged
while running is not written to again: after its dialog the app quits.

API: ``show_startup_fault(message)``, ``guard(window, app=None) -> FaultReporter`` (what ``run_app``
does once the window exists), ``FaultReporter(db_path)`` (``.attach(window)``, ``.install()``,
``.uninstall()``, ``.report(message, fatal=False)``, signal ``reported(str, bool)``).
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from player.text import sentence

log = logging.getLogger(__name__)

TITLE = "Encore"


def show_startup_fault(message: str, parent: QWidget | None = None) -> None:
    """A modal error dialog for a fault that stops Encore from starting (the caller then exits 1)."""
    box = QMessageBox(
        QMessageBox.Icon.Critical, TITLE, sentence(message), QMessageBox.StandardButton.Close, parent
    )
    box.setObjectName("encore-fault")
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # the path can be copied
    box.exec()


class FaultReporter(QObject):
    """Shows database and disk faults raised in Qt slots (or reported by workers) to the user."""

    reported = Signal(str, bool)  # (sentence, damaged), from any thread; shown in the GUI thread
    fatal = Signal()  # the dialog of a damaged database was closed: the app exits (status 1)

    def __init__(self, db_path: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.window: Any = None
        self.messages: list[str] = []  # every fault reported, in order (the status bar shows the last)
        self.dialog: QMessageBox | None = None
        self._shown: set[str] = set()
        self._previous: Any = None
        self.reported.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def attach(self, window: Any) -> None:
        """Dialogs get ``window`` as parent and messages go to its status bar."""
        self.window = window

    def install(self) -> None:
        if self._previous is None:
            self._previous = sys.excepthook
            sys.excepthook = self._hook

    def uninstall(self) -> None:
        if self._previous is not None and sys.excepthook == self._hook:
            sys.excepthook = self._previous
        self._previous = None

    def explain(self, exc: BaseException) -> str | None:
        from player.faults import explain

        return explain(exc, self.db_path)

    def _hook(self, etype: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        message = self.explain(exc) if isinstance(exc, Exception) else None
        if message is None:
            (self._previous or sys.__excepthook__)(etype, exc, tb)
            return
        log.warning("%s", message)
        log.debug("%s", "".join(traceback.format_exception(etype, exc, tb)))
        from player.faults import is_damaged

        self.report(message, fatal=is_damaged(exc))

    def report_exception(self, exc: object) -> None:
        """A background task failed with ``exc``: tell the user if it is a database or disk fault."""
        from player.faults import is_damaged

        message = self.explain(exc) if isinstance(exc, Exception) else None
        if message is not None:
            self.report(message, fatal=is_damaged(exc))

    def report(self, message: str, fatal: bool = False) -> None:
        """Tell the user (from any thread); ``fatal``: the database is damaged, quit after the dialog."""
        self.reported.emit(message, bool(fatal))

    def _show(self, message: str, fatal: bool) -> None:
        self.messages.append(message)
        window = self.window
        if window is not None:
            try:
                window.statusBar().showMessage(sentence(message), 0 if fatal else 30_000)
            except RuntimeError:  # the window is being destroyed
                window = None
        if message in self._shown and not fatal:
            return
        self._shown.add(message)
        icon = QMessageBox.Icon.Critical if fatal else QMessageBox.Icon.Warning
        box = QMessageBox(icon, TITLE, sentence(message), QMessageBox.StandardButton.Ok, window)
        box.setObjectName("encore-fault")
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if fatal and window is not None:
            _stop_writes(window)
        if fatal:
            box.setInformativeText("Encore closes now and leaves the file as it is.")
            box.finished.connect(lambda _result: self.fatal.emit())
        self.dialog = box
        box.open()  # non-modal for the event loop: playback and the window go on


def _stop_writes(window: Any) -> None:
    """A damaged database is never written again: its connections become query-only (the writes that
    would follow, such as the playback position at shutdown, then fail and are skipped)."""
    window.store_damaged = True
    for store in (
        getattr(window, "store", None),
        getattr(getattr(window, "controller", None), "store", None),
    ):
        try:
            if store is not None:
                store.conn.execute("PRAGMA query_only = ON")
        except Exception:  # a closed connection, or one in use: nothing more to stop
            log.debug("could not make %r query-only", store, exc_info=True)


def guard(window: Any, app: Any = None) -> FaultReporter:
    """Report the faults of ``window``'s slots and background tasks from now on; with ``app``, a damaged
    database ends the event loop with status 1 once its dialog is closed."""
    reporter = FaultReporter(window.db_path, window)
    reporter.attach(window)
    reporter.install()
    window.runner.faulted.connect(reporter.report_exception)
    if app is not None:
        reporter.fatal.connect(lambda: app.exit(1))
    return reporter
