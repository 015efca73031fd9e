"""The main window's background jobs (scan, analysis) and music-folder choice (a mixin)."""

from __future__ import annotations

from typing import Any


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
        self.status_label.setText(text)
        self.progress.setVisible(total > 0)
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        self.pause_button.setVisible(pausable and busy)
        self.pause_button.setText("Resume" if self.jobs.paused else "Pause")

    def _scan_finished(self, summary: Any) -> None:
        self.reload_library()
        if getattr(self, "watcher", None) is not None and self.watcher.folders:
            self.watcher.refresh()  # new subfolders join the watch
        errors = int(getattr(summary, "errors", 0) or 0)
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
        if self.settings.analysis_enabled:
            self.jobs.analyze(self.settings.analysis_device)

    def _analysis_finished(self, summary: Any) -> None:
        if self.radio is not None:
            self.radio.invalidate()
        self.similar.invalidate()
        if self.taste is not None:
            self.taste.mark_stale()

    def ask_for_folders(self) -> None:
        from ui.first_run import FirstRunDialog

        dialog = FirstRunDialog(self)
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
            self.status_label.setText("No music folder yet: use Library → Add music folder…")

    def add_folder(self) -> None:
        from ui.file_dialogs import existing_directory
        from ui.settings import default_music_folder

        folder = existing_directory(self, "Add a music folder", default_music_folder())
        if folder:
            self.set_folders([*self.settings.folders, folder])

    def set_folders(self, folders: list[str]) -> None:
        self.settings.folders = list(dict.fromkeys(folders))
        self.settings.first_run_done = True
        self.settings.save(self.store)
        self.jobs.scan(self.settings.folders)
        self.start_watching()

    def show_problems(self) -> None:
        """The Problems view: files the scan or the analysis could not read, with their reasons."""
        from ui.problems_view import ProblemsDialog

        dialog = getattr(self, "problems_dialog", None)
        if dialog is None:
            dialog = ProblemsDialog(self.runner, self.db_path, self)
            dialog.rescanRequested.connect(lambda: self.jobs.scan(self.settings.folders))
            self.problems_dialog = dialog
        dialog.refresh()
        dialog.show()
        dialog.raise_()
