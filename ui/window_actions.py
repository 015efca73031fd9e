"""The main window's menus, keyboard shortcuts and the settings dialog (a mixin of ``MainWindow``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut

SEEK_STEP_S = 5.0


class WindowActions:
    """Menus and shortcuts; every slot they call lives on the window."""

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&Library")
        file_menu.addAction("Add music folder…", self.add_folder)
        file_menu.addAction("Rescan folders", lambda: self.jobs.scan(self.settings.folders))
        file_menu.addAction("Analyse audio now", lambda: self.jobs.analyze(self.settings.analysis_device))
        file_menu.addSeparator()
        settings_action = QAction("Settings…", self)
        settings_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Preferences))
        settings_action.triggered.connect(self.open_settings)
        file_menu.addAction(settings_action)
        file_menu.addSeparator()
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
        quit_action.triggered.connect(self.quit)
        file_menu.addAction(quit_action)
        play_menu = self.menuBar().addMenu("&Playback")
        play_menu.addAction("Play / pause\tSpace", self.toggle)
        play_menu.addAction("Next\tCtrl+N", self.next)
        play_menu.addAction("Previous\tCtrl+P", self.previous)
        play_menu.addAction(self.library.radio_action)
        play_menu.addAction("Stop radio", lambda: self.radio and self.radio.stop())

    def _build_shortcuts(self) -> None:
        def shortcut(keys: str, slot: Any) -> None:
            s = QShortcut(QKeySequence(keys), self)
            s.setContext(Qt.ShortcutContext.WindowShortcut)
            s.activated.connect(slot)

        shortcut("Space", self.toggle)
        shortcut("Ctrl+N", self.next)
        shortcut("Ctrl+P", self.previous)
        shortcut("Left", lambda: self.seek_relative(-SEEK_STEP_S))
        shortcut("Right", lambda: self.seek_relative(SEEK_STEP_S))
        shortcut("Ctrl+F", self.focus_filter)

    def focus_filter(self) -> None:
        self.tabs.setCurrentWidget(self.library)
        self.library.filter.setFocus()
        self.library.filter.selectAll()

    def open_settings(self) -> None:
        from ui.settings_dialog import SettingsDialog

        playback = self.controller.settings if self.controller is not None else None
        dialog = SettingsDialog(self.settings, playback, self)
        if not dialog.exec():
            return
        old_folders = list(self.settings.folders)
        dialog.apply(self.settings, playback)
        self.settings.save(self.store)
        if playback is not None:
            with self.controller.lock:
                playback.save(self.controller.store)
        if self.radio is not None:
            self.radio.set_settings(self._radio_settings())
        if self.settings.folders != old_folders:
            self.jobs.scan(self.settings.folders)
        elif not self.settings.analysis_enabled:
            self.jobs.cancel_analysis()
