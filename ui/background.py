"""Background scan, audio analysis and history import for the window: one at a time, with progress.

All run in the thread pool on their own ``Store`` (WAL lets the window keep reading). The scan reports
``progress(done, total)`` from ``player.library.scan``; the analysis reports after every committed batch
through ``analyze_library``'s ``on_batch`` hook. Pausing blocks the worker inside that callback (the scan
between batches, the analysis between commits); cancelling raises ``Cancelled`` there, which keeps
everything already committed — both jobs are resumable by design.

The import of listening history (``recommender.taste.history``) runs one file per transaction and cannot
be paused (a paused import would hold the database's write lock); cancelling it (the window closing)
drops the file being read and keeps the files already imported. A running analysis gives way to an
import and resumes after it, so that an import asked for is never stuck behind hours of analysis.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from player.text import count_text
from ui.workers import TaskRunner, Worker

#: Tracks per committed analysis batch in the app: smaller than the CLI's so that progress, pause and
#: cancel (all checked between batches) respond within a couple of seconds.
ANALYSIS_COMMIT_EVERY = 8
#: The history import reports progress in thousandths of all its files' bytes: a multi-GB export would
#: overflow the 32-bit ints of the progress signal.
IMPORT_STEPS = 1000
JOB_NAMES = {"scan": "Scan", "analysis": "Audio analysis", "history": "History import"}


class Cancelled(Exception):
    """Raised inside a job's progress callback to stop it early."""


def run_scan(
    db_path: str, folders: list[str], progress: Callable[[int, int], None], cancelled: Callable[[], bool]
) -> Any:
    """Scan ``folders`` into the library (worker thread)."""
    from player.library import SETTLE_S, scan
    from player.store import Store

    def report(done: int, total: int) -> None:
        if cancelled():
            raise Cancelled()
        progress(done, total)

    with Store.open(db_path) as store:
        try:
            return scan(store, folders, progress=report, settle_s=SETTLE_S)
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


def run_history_import(
    db_path: str, paths: list[str], progress: Callable[[int, int], None], cancelled: Callable[[], bool]
) -> list[dict[str, Any]]:
    """Import listening history files one after another (worker thread; the recommender is imported here).

    One entry per file, in order: ``file``, ``report`` (``import_history``'s, or None) and ``text``, the
    report in the CLI's words (``summary_text``) or the one sentence saying why the file could not be
    read; ``error`` says which. A file in no known format does not stop the files after it."""
    import zipfile

    from player.history.read import HistoryFormatError
    from player.store import Store
    from recommender.cli.history import summary_text
    from recommender.factors.bundle_file import load_bundle
    from recommender.taste.history import import_history

    def size(path: str) -> int:
        try:
            return max(os.path.getsize(path), 1)
        except OSError:
            return 1  # import_history says why it cannot be read

    sizes = [size(p) for p in paths]
    total = sum(sizes)
    progress(0, IMPORT_STEPS)  # the bar at once: loading the listening data takes a few seconds
    bundle = load_bundle(or_none=True)
    results: list[dict[str, Any]] = []
    with Store.open(db_path) as store:
        before = 0
        for path, file_size in zip(paths, sizes, strict=True):

            def report(done: int, of: int, before: int = before, file_size: int = file_size) -> None:
                if done < of and cancelled():
                    raise Cancelled()  # inside the file's transaction: nothing of it is kept
                progress(
                    IMPORT_STEPS * (before + file_size * min(done, of) // max(of, 1)) // total, IMPORT_STEPS
                )

            try:
                imported = import_history(store, path, bundle, report)
            except Cancelled:
                break
            except HistoryFormatError as exc:
                results.append({"file": path, "report": None, "text": str(exc), "error": True})
            except (OSError, zipfile.BadZipFile) as exc:  # the file itself (database faults go up)
                reason = getattr(exc, "strerror", None) or str(exc)
                results.append(
                    {
                        "file": path,
                        "report": None,
                        "text": f"{path}: could not be read ({reason})",
                        "error": True,
                    }
                )
            else:
                results.append(
                    {"file": path, "report": imported, "text": summary_text(imported), "error": False}
                )
            before += file_size
            progress(IMPORT_STEPS * before // total, IMPORT_STEPS)
    return results


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
    historyImported = Signal(object)  # run_history_import's list (one entry per file), also on failure
    failed = Signal(str)

    def __init__(self, parent: QObject, runner: TaskRunner, db_path: str) -> None:
        super().__init__(parent)
        self.runner = runner
        self.db_path = db_path
        self.worker: Worker | None = None
        self.kind: str | None = None
        self._started = 0.0
        self._queued: list[tuple[str, Any]] = []
        self._device = "auto"  # of the running analysis: it resumes with it after an import

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
            # Imports asked for stay queued, after the scan (whose new tracks they can then match).
            self._queued = [("scan", list(folders)), *(q for q in self._queued if q[0] == "history")]
            return
        self._start("scan", run_scan, self.db_path, list(folders))
        self.status.emit("Scanning your music…", 0, 0, True)

    def analyze(self, device: str = "auto") -> None:
        if self.worker is not None:
            if ("analysis", device) not in self._queued and self.kind != "analysis":
                self._queued.append(("analysis", device))
            return
        self._device = device
        self._start("analysis", run_analysis, self.db_path, device)
        self.status.emit("Preparing the audio analysis…", 0, 0, True)

    def import_history(self, paths: list[str]) -> None:
        """Import listening history files (``run_history_import``); ``historyImported`` follows."""
        if not paths:
            return
        if self.worker is not None:
            if self.kind == "analysis":
                device = self._device
                self.cancel_analysis()  # stops after its current batch, then resumes after the import
                self._queued = [("history", list(paths)), *self._queued, ("analysis", device)]
            else:
                self._queued.append(("history", list(paths)))
            self.status.emit("Listening history: importing once the current job is done…", 0, 0, False)
            return
        self._start("history", run_history_import, self.db_path, list(paths))
        self.status.emit("Importing listening history…", 0, 0, False)

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
        if self.kind == "history":
            text = (
                f"Importing listening history: {100 * done // total} %"
                if total
                else "Importing listening history…"
            )
            self.status.emit(text, done, total, False)
            return
        if self.kind == "scan":
            if total:
                text = f"Scanning your music: {done} of {total} files"
            else:  # a first scan still finding files: how many there are is not known yet
                text = f"Scanning your music: {done} files so far…" if done else "Scanning your music…"
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
            self.status.emit(f"{JOB_NAMES.get(kind or '', 'Job')} stopped", 0, 0, False)
        elif kind == "history":
            kept = sum(r["report"]["listens_kept"] for r in result if r["report"])
            failed = sum(1 for r in result if r["error"])
            text = f"Listening history imported: {count_text(kept, 'listen')} added" + (
                f", {count_text(failed, 'file')} not read" if failed else ""
            )
            self.status.emit(text, 0, 0, False)
            self.historyImported.emit(result)
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
        name = JOB_NAMES.get(kind or "", "Job")
        if message.startswith("Cancelled"):
            self.status.emit(f"{name} stopped", 0, 0, False)
        else:
            self.status.emit(f"{name} failed: {message}", 0, 0, False)
            self.failed.emit(message)
            if kind == "history":  # the summary dialog says so too (files imported before it are kept)
                self.historyImported.emit(
                    [{"file": "", "report": None, "text": f"The import stopped: {message}", "error": True}]
                )
        self._next()

    def _next(self) -> None:
        if self._queued:
            kind, arg = self._queued.pop(0)
            {"scan": self.scan, "analysis": self.analyze, "history": self.import_history}[kind](arg)
