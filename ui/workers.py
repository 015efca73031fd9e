"""Running long work off the GUI thread: a ``QRunnable`` that reports through Qt signals.

Why: every scan, analysis, radio plan or cover lookup runs in ``QThreadPool``; results come back as
signals, which Qt delivers to the GUI thread through a queued connection because the signal object
lives there. A task gets ``progress(done, total)`` and ``cancelled()`` callables when it asks for them.
"""

from __future__ import annotations

import inspect
import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class WorkerSignals(QObject):
    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)
    fault = Signal(object)  # the exception of a task that failed on a database or disk fault
    done = Signal()  # after finished or failed


class Worker(QRunnable):
    """Run ``fn(*args, **kwargs)`` in the pool. If ``fn`` takes ``progress`` or ``cancelled`` keyword
    arguments, they are passed: ``progress(done, total)`` emits the signal, ``cancelled()`` is True once
    ``cancel()`` was called (and ``pause()`` blocks ``progress`` until ``resume()``)."""

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the owner keeps a reference until ``done``
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.signals = WorkerSignals()
        self._cancel = threading.Event()
        self._running = threading.Event()
        self._running.set()
        params = inspect.signature(fn).parameters
        if "progress" in params:
            self.kwargs.setdefault("progress", self._progress)
        if "cancelled" in params:
            self.kwargs.setdefault("cancelled", self._cancel.is_set)

    def cancel(self) -> None:
        self._cancel.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def _progress(self, done: int, total: int) -> None:
        self.signals.progress.emit(int(done), int(total))
        self._running.wait()

    def run(self) -> None:
        try:
            result = self.fn(*self.args, **self.kwargs)
        except Exception as exc:  # reported to the GUI, never lost
            log.error(
                "background task %s failed:\n%s",
                getattr(self.fn, "__name__", self.fn),
                traceback.format_exc(),
            )
            self.signals.failed.emit(f"{type(exc).__name__}: {exc}")
            from player.faults import explain

            if explain(exc, None) is not None:  # the window tells the user (ui.faults), whoever asked
                self.signals.fault.emit(exc)
        else:
            self.signals.finished.emit(result)
        self.signals.done.emit()


class TaskRunner(QObject):
    """Keeps workers alive until they finish and starts them in one pool. ``faulted(exception)`` is
    emitted for a task that failed on a database or disk fault."""

    faulted = Signal(object)

    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self._live: set[Worker] = set()

    def start(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        **kwargs: Any,
    ) -> Worker:
        worker = Worker(fn, *args, **kwargs)
        if on_result is not None:
            worker.signals.finished.connect(on_result)
        if on_error is not None:
            worker.signals.failed.connect(on_error)
        if on_progress is not None:
            worker.signals.progress.connect(on_progress)
        worker.signals.fault.connect(self.faulted)
        self._live.add(worker)
        worker.signals.done.connect(lambda: self._live.discard(worker))
        self.pool.start(worker)
        return worker

    def busy(self) -> bool:
        return bool(self._live)

    def wait(self, msecs: int = 30000) -> bool:
        return self.pool.waitForDone(msecs)
