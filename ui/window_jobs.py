"""The main window's background jobs (scan, analysis, history import) and music-folder choice (a mixin)."""

from __future__ import annotations

import os
import time
from typing import Any

#: Seconds between two loads of the library while a scan runs (at least).
SCAN_RELOAD_S = 3.0


class WindowJobs:
    """Status-bar progress of the scan and the analysis, and what follows when they finish."""

    def start_watching(self) -> None:
        """Watch the music folders (when the user wants it): changes go through the incremental scan."""
        from ui.folder_watch import FolderWatcher

        if getattr(self, "watcher", None) is None:
            self.watcher = FolderWatcher(self.runner, self)
            self.watcher.changed.connect(lambda: self.jobs.scan(self.settings.folders))
        if self.settings.watch_folders and self.settings.folders:
            self.watcher.watch(self.settings.folders)
        else:
            self.watcher.stop()

    def _show_job_status(self, text: str, done: int, total: int, pausable: bool) -> None:
        busy = total > 0 or bool(text)
        if self.jobs.kind == "scan":
            if done > 0:
                self._show_tracks_found_so_far()
            else:
                self.scan_reload_at = time.monotonic()  # a scan starts: the first load after SCAN_RELOAD_S
        self.status_label.setText(text)
        counting = self.jobs.kind == "scan" and total == 0 and done > 0  # how many: not known yet
        self.progress.setVisible(total > 0 or counting)
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        elif counting:
            self.progress.setRange(0, 0)  # a busy bar, not a share
        self.pause_button.setVisible(pausable and busy)
        self.pause_button.setText("Resume" if self.jobs.paused else "Pause")

    def _show_tracks_found_so_far(self) -> None:
        """While a scan runs, the library shows the tracks it has stored so far: a walk's first scan of
        120,000 files showed "0 tracks" beside "Scanning your music: 50300 of 120000 files", though the
        Welcome dialog says the app can be used meanwhile. Reloaded at most every ``SCAN_RELOAD_S`` (and
        four times as long as the last load took), never while a load is under way."""
        now = time.monotonic()
        if self.rows_loading or now - self.scan_reload_at < max(SCAN_RELOAD_S, 4 * self.last_load_s):
            return
        self.scan_reload_at = now
        self.reload_library()

    def _scan_finished(self, summary: Any) -> None:
        self.reload_library()
        settling = list(getattr(summary, "settling", None) or [])
        if getattr(self, "watcher", None) is not None and self.watcher.folders:
            self.watcher.refresh()  # new subfolders join the watch
            # Files just written keep being watched: a copy that pauses changes them without touching
            # their folder, and those still being written get their own scan once they settle.
            self.watcher.watch_files([*settling, *(getattr(summary, "changed_paths", None) or [])])
            if settling:
                self.watcher.rescan_later()
        elif settling:
            from PySide6.QtCore import QTimer

            from player.library import SETTLE_S

            QTimer.singleShot(int(SETTLE_S * 1000) + 500, lambda: self.jobs.scan(self.settings.folders))
        self._tell_missing_folders(summary)
        # A missing folder has its own notice (above), not "could not be read".
        errors = int(getattr(summary, "errors", 0) or 0) - len(getattr(self, "_missing_told", []))
        told, self._scan_errors_told = getattr(self, "_scan_errors_told", 0), errors
        # Kept on screen until dismissed, unlike the status line the next job overwrites; said again only
        # when the number changes (each file the watcher picks up rescans, and the same bad file stays).
        if errors and errors != told:
            self.notice.show_notice(
                f"{errors} file{'s' if errors != 1 else ''} could not be read in the last scan.",
                "Show problems",
                self.show_problems,
                timeout_ms=0,
            )
        if self.radio is not None:
            self.radio.invalidate()
        self.similar.invalidate()
        if self.settings.analysis_enabled and not settling:  # else after the scan that reads them
            self.jobs.analyze(self.settings.analysis_device)

    def _tell_missing_folders(self, summary: Any) -> None:
        """A music folder that is gone (renamed, or a drive unplugged) is said once, plainly: its tracks
        are kept (marked missing) and come back on their own when it does (the watcher looks for it)."""
        gone = [
            path for path, kind, _ in getattr(summary, "error_list", None) or [] if kind == "missing-folder"
        ]
        told = getattr(self, "_missing_told", [])
        self._missing_told = gone
        if gone and gone != told:
            names = ", ".join(gone[:3]) + ("…" if len(gone) > 3 else "")
            self.notice.show_notice(
                f"Music folder missing (unplugged or renamed?): {names}. Its tracks are kept and come "
                "back when the folder does.",
                timeout_ms=0,
            )
        elif told and not gone:
            self.notice.show_notice("The music folder is back: its tracks are available again.")
        elif not gone and int(getattr(summary, "missing", 0) or 0):
            # A folder inside a music folder moved away, or files deleted: they left the library without a
            # word (found in a walk of the app: 31 tracks and an artist gone, only the counts said so).
            from player.text import count_text

            n = int(summary.missing)
            self.notice.show_notice(
                f"{count_text(n)} went missing in the last scan (moved, deleted or on an unplugged drive?): "
                + (
                    "it is kept and comes back when its file does."
                    if n == 1
                    else "they are kept and come back when the files do."
                ),
                timeout_ms=0,
            )

    def library_status(self, shown: int) -> str:
        """The status line after a reload: the tracks shown, or why there are none (a missing music folder
        is not an empty library)."""
        from player.text import count_text

        if shown:
            return count_text(shown)
        if getattr(self, "_missing_told", []):
            return "No tracks to show: the music folder is missing."
        return "The library is empty."

    def _analysis_finished(self, summary: Any) -> None:
        if self.radio is not None:
            self.radio.invalidate()
        self.similar.invalidate()
        if self.taste is not None:
            self.taste.mark_stale()

    # -- listening history from elsewhere --------------------------------------------------------------
    def import_history_files(self, paths: list[str] | None = None) -> None:
        """Library ▸ Import listening history…: pick exports (any name: the importer reads the format from
        the content) and import them as a background job; the summary dialog follows
        (``_history_imported``). ``paths`` skips the file dialog (tests, ``scripts/screenshot.py``)."""
        if paths is None:
            from ui.file_dialogs import open_file_names
            from ui.history_dialogs import HISTORY_FILTER

            downloads = os.path.expanduser("~/Downloads")  # where exports land when they are downloaded
            start = downloads if os.path.isdir(downloads) else os.path.expanduser("~")
            paths = open_file_names(
                self, "Import listening history", start, HISTORY_FILTER, remember=(self.store, "history")
            )
        if paths:
            self.jobs.import_history([str(p) for p in paths])

    def _history_imported(self, results: list[dict[str, Any]]) -> None:
        from ui.history_dialogs import ImportSummaryDialog, listens_added

        previous = getattr(self, "history_summary", None)
        if previous is not None:
            previous.deleteLater()  # one summary at a time: the latest import's
        dialog = ImportSummaryDialog(results, self)
        dialog.historyRequested.connect(self.show_history)
        self.history_summary = dialog
        dialog.open()
        if listens_added(results):
            self._taste_changed()
        if getattr(self, "history_dialog", None) is not None and self.history_dialog.isVisible():
            self.history_dialog.refresh()

    def show_history(self) -> Any:
        """Library ▸ Listening history…: the imports, with Import… and Forget."""
        from ui.history_dialogs import HistoryDialog

        dialog = getattr(self, "history_dialog", None)
        if dialog is None:
            dialog = HistoryDialog(self.runner, self.db_path, self)
            dialog.importRequested.connect(lambda: self.import_history_files())
            dialog.forgotten.connect(lambda _n: self._taste_changed())
            self.history_dialog = dialog
        dialog.refresh()
        dialog.show()
        dialog.raise_()
        return dialog

    def _taste_changed(self) -> None:
        """Listening history came or went: what the taste feeds is worked out again (For you, the radio's
        library, Fans also like, the taste map) and the library's plays column shows the new counts."""
        self.reload_library()
        if self.radio is not None:
            self.radio.invalidate()
        self.similar.invalidate()
        self.for_you.invalidate()
        if self.taste is not None:
            self.taste.mark_stale()
            if self.tabs.currentWidget() is self.taste:
                self.taste.refresh_if_stale()

    def ask_for_folders(self) -> None:
        from player.store.tracks import count_tracks, library_folder
        from ui.first_run import FirstRunDialog

        # A library scanned before any folder was set (from the command line) suggests its own folder, not
        # ~/Music (found in a walk of the app: the dialog asked where the music was beside 140 tracks).
        folder = library_folder(self.store)
        dialog = FirstRunDialog(self, suggested=[folder] if folder and os.path.isdir(folder) else None)
        if dialog.exec():
            folders = dialog.folders()
            self.settings.folders = folders
            self.settings.first_run_done = True
            self.settings.save(self.store)
            if folders:
                self.jobs.scan(folders)
                self.start_watching()
        else:
            self.settings.first_run_done = True
            self.settings.save(self.store)
            # The store, not the table, which may still be loading: scanned from the command line,
            # the library has tracks but nothing keeps it current.
            if count_tracks(self.store):
                self.status_label.setText(
                    "Not watching any music folder: Library → Add music folder… keeps the library current"
                )
            else:  # only a library that is empty says it is
                self.status_label.setText("No music folder yet: use Library → Add music folder…")
                self.offer_first_folder()

    def offer_first_folder(self) -> None:
        """An empty library says what to do next, with the button that does it (the status line alone
        left a new user without a way forward, issue 26 item 5)."""
        self.notice.show_notice(
            "Your library is empty: add the folder that holds your music.",
            "Add music folder…",
            self.add_folder,
            timeout_ms=0,
        )

    def add_folder(self) -> None:
        from ui.file_dialogs import existing_directory
        from ui.settings import default_music_folder

        folder = existing_directory(
            self, "Add a music folder", default_music_folder(), remember=(self.store, "music folder")
        )
        if folder:
            self.set_folders([*self.settings.folders, folder])

    def set_folders(self, folders: list[str]) -> None:
        self.settings.folders = list(dict.fromkeys(folders))
        self.settings.first_run_done = True
        self.settings.save(self.store)
        self.jobs.scan(self.settings.folders)
        self.start_watching()

    def rescan_folders(self) -> None:
        """Library ▸ Rescan folders (and the Problems view's button). With no folder set (a library
        scanned from the command line, the Welcome dialog declined) it said nothing and did nothing."""
        if not self.settings.folders:
            self.notice.show_notice(
                "No music folder to rescan: add the folder that holds your music.",
                "Add music folder…",
                self.add_folder,
                timeout_ms=0,
            )
            return
        self.jobs.scan(self.settings.folders)

    def show_problems(self) -> None:
        """The Problems view: files the scan or the analysis could not read, with their reasons."""
        from ui.problems_view import ProblemsDialog

        dialog = getattr(self, "problems_dialog", None)
        if dialog is None:
            dialog = ProblemsDialog(self.runner, self.db_path, self)
            dialog.rescanRequested.connect(self.rescan_folders)
            self.problems_dialog = dialog
        dialog.refresh()
        dialog.show()
        dialog.raise_()
