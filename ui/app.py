"""``run_app``: start the desktop app on a database (``--db``) or the default one.

Keeps imports minimal until the window is on screen: PySide6's widgets, the store and the UI's own
modules; libvlc, numpy and the recommender come later, in ``MainWindow.start`` or in workers.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget


def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("Encore")
    app.setOrganizationName("encore")
    app.setDesktopFileName("encore")
    from ui.icons import icon

    app.setWindowIcon(icon("encore"))
    return app


class _FirstPaint(QObject):
    """Calls ``callback`` once, right after ``window`` has painted for the first time (or after
    ``fallback_ms`` if it never paints, e.g. started minimised)."""

    def __init__(
        self, app: QApplication, window: QWidget, callback: Callable[[], None], fallback_ms: int = 1000
    ):
        super().__init__(window)
        self.app, self.window, self.callback = app, window, callback
        self.fired = False
        app.installEventFilter(self)
        QTimer.singleShot(fallback_ms, self.fire)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (
            not self.fired
            and event.type() == QEvent.Type.Paint
            and isinstance(obj, QWidget)
            and obj.window() is self.window
        ):
            QTimer.singleShot(0, self.fire)  # after this paint completes
        return False

    def fire(self) -> None:
        if self.fired:
            return
        self.fired = True
        self.app.removeEventFilter(self)
        self.callback()


def _after_first_paint(app: QApplication, window: QWidget, callback: Callable[[], None]) -> None:
    """Start the slow half of start-up (libvlc, the library rows, D-Bus) only once the window is on
    screen, so that the user sees it as early as possible."""
    window._first_paint = _FirstPaint(app, window, callback)  # kept alive by the window


def _quit_on_signals(app: QApplication) -> None:
    """Ctrl+C / SIGTERM / SIGHUP close the app cleanly (the play is logged, the queue saved): Qt's event loop does
    not return to Python by itself, so a timer lets the interpreter run its signal handlers."""
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_args: app.quit())
    timer = QTimer(app)
    timer.setInterval(250)
    timer.timeout.connect(lambda: None)
    timer.start()


def run_app(db_path: str | None, *, backend: str | None = None, files: list[str] | None = None) -> int:
    """Open the store, show the window, run the event loop; returns the exit code."""
    if not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
    ):
        # Qt would abort with a core dump and a misleading hint about plugins.
        print(
            "encore: no graphical session (neither DISPLAY nor WAYLAND_DISPLAY is set). Start Encore from "
            "your desktop, or use its command line: `encore --help`.",
            file=sys.stderr,
        )
        return 1
    logging.basicConfig(
        level=os.environ.get("ENCORE_LOG", "WARNING").upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    app = create_app()
    from player.store import Store
    from player.store.core import StoreError
    from ui.faults import FaultReporter, guard, show_startup_fault

    try:
        store = Store.open(db_path)
    except StoreError as exc:  # damaged, newer schema, a file where a folder should be...: say so, exit 1
        show_startup_fault(str(exc))
        return 1
    from ui.single_instance import forward_to_running, server_name

    if forward_to_running(server_name(str(store.path)), list(files or [])):
        store.close()  # Encore already runs on this database: it comes to the front and plays the files
        return 0
    from ui.main_window import MainWindow

    try:
        window = MainWindow(store, backend=backend)
    except Exception as exc:  # a fault the open did not see (a damaged page read for the settings)
        message = FaultReporter(store.path).explain(exc)
        store.close()
        if message is None:
            raise
        show_startup_fault(message)
        return 1
    reporter = guard(window, app)  # faults raised later in slots: status bar and dialog, not a traceback
    if files:
        window.started.connect(lambda: window.open_files(list(files)))
    app.aboutToQuit.connect(window.shutdown)
    _quit_on_signals(app)
    window.show()
    _after_first_paint(app, window, window.start)
    try:
        return int(app.exec())
    finally:
        reporter.uninstall()
        window.shutdown()
        store.close()
