"""Folder watching: new, changed and removed files under the music folders reach the library while the
app runs, through the same incremental scan as a manual rescan (which then queues their analysis).

Why ``QFileSystemWatcher`` and not watchdog: it is already here (Qt, inotify underneath on Linux), needs
no thread of our own, and its per-directory events are all the incremental scan needs, since the scan
itself compares sizes and mtimes to find what changed. Every directory under the folders is watched
(inotify is not recursive); the list is rebuilt in a worker after each scan, so new subfolders join.
Events are debounced: a copy of an album is one scan, not one per file. Directory events do not say
that a file's content changed, so files the last scans added, changed or found still being written are
watched themselves for a while (``watch_files``): a copy that pauses half-way, then goes on, rescans
when it goes on, and the scan (which leaves files younger than ``SETTLE_S`` alone) reads it once whole.
"""

from __future__ import annotations

import os
import time

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from ui.workers import TaskRunner

DEBOUNCE_MS = 1500
#: inotify's default per-user watch limit is 8192 on older kernels: stay well inside it.
MAX_DIRECTORIES = 6000
#: Recently written files watched one by one: how many at most, and for how long.
MAX_FILES = 500
RECENT_FILE_S = 600.0
#: How often the music folders' presence is checked (renamed away, a drive unplugged, or back).
MISSING_POLL_MS = 2000


def list_directories(folders: list[str], limit: int = MAX_DIRECTORIES) -> list[str]:
    """Every directory under ``folders`` (runs in a worker), at most ``limit``."""
    found: list[str] = []
    for folder in folders:
        for root, dirs, _files in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            found.append(root)
            if len(found) >= limit:
                return found
    return found


class FolderWatcher(QObject):
    changed = Signal()  # something changed under the folders (debounced): scan them
    ready = Signal(int)  # number of directories watched

    def __init__(self, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.folders: list[str] = []
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._touched)
        self.watcher.fileChanged.connect(self._touched)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.changed)
        self._files: dict[str, float] = {}  # path -> when it joined the watch (monotonic)
        self._missing: list[str] = []
        self._poll = QTimer(self)
        self._poll.setInterval(MISSING_POLL_MS)
        self._poll.timeout.connect(self._look_for_changes)

    def watch(self, folders: list[str]) -> None:
        """Watch ``folders`` (replacing the previous set); the directory walk runs in a worker."""
        if self.folders != list(folders) or not self._poll.isActive():
            self.folders = list(folders)
            self._missing = self.missing
            self._poll.start()
        self.runner.start(list_directories, list(folders), on_result=self._listed)

    def refresh(self) -> None:
        """After a scan: pick up subfolders that appeared."""
        if self.folders:
            self.watch(self.folders)

    def watch_files(self, paths: list[str]) -> None:
        """Also watch these files (just written) for ``RECENT_FILE_S``; older ones leave the watch."""
        now = time.monotonic()
        for path in paths:
            self._files[path] = now
        expired = [p for p, t in self._files.items() if now - t > RECENT_FILE_S]
        expired += sorted(self._files, key=self._files.__getitem__)[: max(0, len(self._files) - MAX_FILES)]
        for path in set(expired):
            self._files.pop(path, None)
        current = set(self.watcher.files())
        if current - set(self._files):
            self.watcher.removePaths(sorted(current - set(self._files)))
        wanted = [p for p in self._files if p not in current and os.path.exists(p)]
        if wanted:
            self.watcher.addPaths(wanted)

    def rescan_later(self) -> None:
        """Scan again once files still being written have had time to settle."""
        from player.library import SETTLE_S

        self._timer.start(max(DEBOUNCE_MS, int(SETTLE_S * 1000) + 200))

    @property
    def missing(self) -> list[str]:
        """The watched music folders that do not exist now."""
        return [f for f in self.folders if not os.path.isdir(f)]

    def _look_for_changes(self) -> None:
        """A folder renamed away or unplugged, or back: inotify says nothing of the folder itself (its
        watch just ends), so its presence is looked at now and then (a stat per folder)."""
        missing = self.missing
        if missing != self._missing:
            self._missing = missing
            self.refresh()  # watch what is there now
            self._timer.start(DEBOUNCE_MS)  # and scan: the tracks go missing, or come back

    def stop(self) -> None:
        self._timer.stop()
        self._poll.stop()
        self.folders = []
        self._files.clear()
        current = self.watcher.directories() + self.watcher.files()
        if current:
            self.watcher.removePaths(current)

    @property
    def directories(self) -> list[str]:
        return self.watcher.directories()

    def _listed(self, directories: list[str]) -> None:
        if not self.folders:
            return
        wanted, current = set(directories), set(self.watcher.directories())
        if current - wanted:
            self.watcher.removePaths(sorted(current - wanted))
        if wanted - current:
            self.watcher.addPaths(sorted(wanted - current))
        self.ready.emit(len(self.watcher.directories()))

    def _touched(self, _path: str) -> None:
        self._timer.start(DEBOUNCE_MS)
