"""Background scan and audio analysis for the window: one at a time, with progress, ETA and pause.

Both run in the thread pool on their own ``Store`` (WAL lets the window keep reading). The scan reports
``progress(done, total)`` from ``player.library.scan``; the analysis reports after every committed batch
through ``analyze_library``'s ``on_batch`` hook. Pausing blocks the worker inside that callback (the scan
between batches, the analysis between commits); cancelling raises ``Cancelled`` there, which keeps
everything already committed — both jobs are resumable by design.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from ui.library_model import count_text
from ui.workers import TaskRunner, Worker

#: Tracks per committed analysis batch in the app: smaller than the CLI's so that progress, pause and
#: cancel (all checked between batches) respond within a couple of seconds.
ANALYSIS_COMMIT_EVERY = 8


class Cancelled(Exception):
    """Raised inside a job's progress callback to stop it early."""


def run_scan(
    db_path: str, folders: list[str], progress: Callable[[int, int], None], cancelled: Callable[[], bool]
) -> Any:
    """Scan ``folders`` into the library (worker thread)."""
    from player.library import scan
    from player.store import Store

    def report(done: int, total: int) -> None:
        if cancelled():
            raise Cancelled()
        progress(done, total)

    with Store.open(db_path) as store:
        try:
            return scan(store, folders, progress=report)
        except Cancelled:
            return None  # what was scanned so far is committed; the next scan goes on from there


def pending_analysis(db_path: str) -> int:
    from player.store import Store
    from player.store.analysis import analysis_counts

    with Store.open(db_path) as store:
        return int(analysis_counts(store).get("pending", 0))


def run_analysis(
    db_path: str, device: str, progress: Callable[[int, int], None], cancelled: Callable[[], bool]
) -> Any:
    """Analyse every track lacking a current analysis (worker thread; imports the CNN engine here, not before)."""
    from player.store import Store
    from player.store.analysis import analysis_counts
    from recommender.audio.analyze import AnalysisSettings, analyze_library

    def on_batch(summary: Any) -> None:
        if cancelled():
            raise Cancelled()
        progress(summary.analyzed + summary.failed, summary.pending_before)

    with Store.open(db_path) as store:
        pending = analysis_counts(store).get("pending", 0)
        progress(0, int(pending))  # the total at once: loading the model takes a few seconds
        if not pending:
            return None
        try:
            summary = analyze_library(
                store,
                device=None if device == "auto" else device,
                settings=AnalysisSettings(commit_every=ANALYSIS_COMMIT_EVERY),
                progress=False,
                on_batch=on_batch,
            )
        except Cancelled:
            return None  # committed batches are kept; the next run resumes
        if getattr(summary, "analyzed", 0):
            from recommender.similar.prewarm import prewarm

            prewarm(store)  # the next radio starts from the caches (recommender.radio.cache)
        return summary


def eta_text(done: int, total: int, elapsed: float) -> str:
    if done <= 0 or total <= done or elapsed <= 0:
        return ""
    seconds = elapsed / done * (total - done)
    if seconds < 60:
        return f"about {int(seconds) + 1} s left"
    if seconds < 3600:
        return f"about {int(seconds / 60) + 1} min left"
    return f"about {seconds / 3600:.1f} h left"


class BackgroundJobs(QObject):
    status = Signal(str, int, int, bool)  # text, done, total, pausable
    scanFinished = Signal(object)
    analysisFinished = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject, runner: TaskRunner, db_path: str) -> None:
        super().__init__(parent)
        self.runner = runner
        self.db_path = db_path
        self.worker: Worker | None = None
        self.kind: str | None = None
        self._started = 0.0
        self._queued: list[tuple[str, Any]] = []

    @property
    def busy(self) -> bool:
        return self.worker is not None

    @property
    def paused(self) -> bool:
        return self.worker is not None and self.worker.paused

    def scan(self, folders: list[str]) -> None:
        if not folders:
            return
        if self.worker is not None:
            if self.kind == "analysis":
                self.cancel_analysis()  # a scan first; the analysis restarts after it
            self._queued = [("scan", list(folders))]
            return
        self._start("scan", run_scan, self.db_path, list(folders))
        self.status.emit("Scanning your music…", 0, 0, True)

    def analyze(self, device: str = "auto") -> None:
        if self.worker is not None:
            if ("analysis", device) not in self._queued and self.kind != "analysis":
                self._queued.append(("analysis", device))
            return
        self._start("analysis", run_analysis, self.db_path, device)
        self.status.emit("Preparing the audio analysis…", 0, 0, True)

    def toggle_pause(self) -> None:
        if self.worker is None:
            return
        if self.worker.paused:
            self.worker.resume()
            self._started = time.monotonic() - self._elapsed_at_pause
            self._rate_from = None  # the pause is not work time
        else:
            self.worker.pause()
            self._elapsed_at_pause = time.monotonic() - self._started
        self._report(*self._last)

    def cancel_analysis(self) -> None:
        self._queued = [q for q in self._queued if q[0] != "analysis"]
        if self.worker is not None and self.kind == "analysis":
            self.worker.cancel()

    def cancel_all(self) -> None:
        self._queued = []
        if self.worker is not None:
            self.worker.cancel()

    def _start(self, kind: str, fn: Callable[..., Any], *args: Any) -> None:
        self.kind = kind
        self._started = time.monotonic()
        self._rate_from: tuple[float, int] | None = None
        self._last = (0, 0)
        self.worker = self.runner.start(
            fn, *args, on_result=self._finished, on_error=self._failed, on_progress=self._report
        )

    def _report(self, done: int, total: int) -> None:
        self._last = (done, total)
        if self.worker is None:
            return
        paused = self.worker.paused
        if self.kind == "scan":
            text = f"Scanning your music: {done} of {total} files" if total else "Scanning your music…"
        elif done == 0:
            text = (
                f"Preparing the audio analysis of {total} tracks…"
                if total
                else "Preparing the audio analysis…"
            )
        else:
            # The rate is measured from the first finished batch on, so that loading the model (a few
            # seconds, once) does not inflate the estimate.
            if self._rate_from is None:
                self._rate_from = (time.monotonic(), done)
            t0, d0 = self._rate_from
            if done > d0:
                eta = "" if paused else eta_text(done - d0, total - d0, time.monotonic() - t0)
            else:
                eta = "" if paused else eta_text(done, total, time.monotonic() - self._started)
            text = f"Analysing audio: {done} of {total} tracks" + (f", {eta}" if eta else "")
            text += " — the app is usable meanwhile"
        if paused:
            text += " (paused)"
        self.status.emit(text, done, total, True)

    def _finished(self, result: Any) -> None:
        kind = self.kind
        cancelled = self.worker is not None and self.worker.cancelled
        self.worker, self.kind = None, None
        if cancelled:
            self.status.emit(f"{'Scan' if kind == 'scan' else 'Audio analysis'} stopped", 0, 0, False)
        elif kind == "scan":
            self.status.emit(f"Scan finished: {result}", 0, 0, False)
            self.scanFinished.emit(result)
        else:
            analysed = getattr(result, "analyzed", 0)  # None: nothing was pending
            failed = getattr(result, "failed", 0)
            text = f"Audio analysis finished: {count_text(analysed or 0)} analysed" + (
                f", {failed} failed" if failed else ""
            )
            self.status.emit(text if analysed or failed else "Audio analysis is up to date", 0, 0, False)
            self.analysisFinished.emit(result)
        self._next()

    def _failed(self, message: str) -> None:
        kind = self.kind
        self.worker, self.kind = None, None
        if message.startswith("Cancelled"):
            self.status.emit(f"{'Scan' if kind == 'scan' else 'Audio analysis'} stopped", 0, 0, False)
        else:
            self.status.emit(
                f"{'Scan' if kind == 'scan' else 'Audio analysis'} failed: {message}", 0, 0, False
            )
            self.failed.emit(message)
        self._next()

    def _next(self) -> None:
        if self._queued:
            kind, arg = self._queued.pop(0)
            if kind == "scan":
                self.scan(arg)
            else:
                self.analyze(arg)
