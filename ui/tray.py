"""The tray icon: play/pause, next, show/hide, quit; the tooltip says what plays."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ui.icons import icon


class Tray:
    def __init__(self, window: Any) -> None:
        self.window = window
        self.icon = QSystemTrayIcon(icon("encore"), window)
        self.icon.setToolTip("Encore")
        menu = QMenu(window)
        self.now_action = menu.addAction("Nothing playing")  # the playing track, for a glance
        self.now_action.setEnabled(False)
        menu.addSeparator()
        self.play_action = menu.addAction(icon("play"), "Play", window.toggle)
        menu.addAction(icon("next"), "Next", window.next)
        menu.addAction(icon("previous"), "Previous", window.previous)
        menu.addSeparator()
        menu.addAction("Show / hide window", self.toggle_window)
        menu.addAction("Quit", window.quit)
        self.menu = menu
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._activated)
        # Shown even when no tray runs yet: Qt embeds the icon as soon as a tray host appears (a
        # panel that starts after Encore at login, or restarts). Checked under Xvfb with trayer
        # started 12 s after the app: only showing it when a tray was already there left none.
        self.icon.show()

    @property
    def available(self) -> bool:
        """Whether the icon is in a tray now (asked live: the tray host may come and go)."""
        return self.icon.isVisible() and QSystemTrayIcon.isSystemTrayAvailable()

    def keep_running(self) -> bool:
        """Closing the window keeps the app in the tray when the user chose so in Settings and a tray
        icon is actually shown (else closing quits: a hidden window with no tray could not come back)."""
        return bool(getattr(self.window.settings, "close_to_tray", False)) and self.available

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_window()

    def toggle_window(self) -> None:
        if self.window.isVisible():
            self.window.hide()
        else:
            self.window.show()
            self.window.raise_()
            self.window.activateWindow()

    def track_changed(self, title: str, artist: str) -> None:
        self.icon.setToolTip(f"Encore — {title} · {artist}" if artist else f"Encore — {title}")
        self.now_action.setText(f"{title} — {artist}" if artist else title)

    def state_changed(self, state: str) -> None:
        self.play_action.setText("Pause" if state == "playing" else "Play")
        self.play_action.setIcon(icon("pause" if state == "playing" else "play"))

    def hide(self) -> None:
        self.icon.hide()
