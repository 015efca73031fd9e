"""Folder watching: new, changed and removed files under the music folders reach the library while the
app runs, through the same incremental scan as a manual rescan (which then queues their analysis).

Why ``QFileSystemWatcher`` and not watchdog: it is already here (Qt, inotify underneath on Linux), needs
no thread of our own, and its per-directory events are all the incremental scan needs, since the scan
itself compares sizes and mtimes to find what changed. Every directory under the folders is watched
(inotify is not recursive); the list is rebuilt in a worker after each scan, so new subfolders join.
Events are debounced: a copy of an album is one scan, not one per file. A file rewritten in place
without touching its directory (rare: taggers write a temporary file and rename it) waits for the
next scan.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from ui.workers import TaskRunner

DEBOUNCE_MS = 1500
#: inotify's default per-user watch limit is 8192 on older kernels: stay well inside it.
MAX_DIRECTORIES = 6000


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

    def watch(self, folders: list[str]) -> None:
        """Watch ``folders`` (replacing the previous set); the directory walk runs in a worker."""
        self.folders = list(folders)
        self.runner.start(list_directories, list(folders), on_result=self._listed)

    def refresh(self) -> None:
        """After a scan: pick up subfolders that appeared."""
        if self.folders:
            self.watch(self.folders)

    def stop(self) -> None:
        self._timer.stop()
        self.folders = []
        current = self.watcher.directories()
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
        self._timer.start()
