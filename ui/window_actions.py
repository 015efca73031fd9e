"""The main window's menus, keyboard shortcuts and the settings dialog (a mixin of ``MainWindow``)."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut

log = logging.getLogger(__name__)

SEEK_STEP_S = 5.0


VOLUME_STEP = 5  # percent, per key press
#: A volume that rests this long is saved (a drag of the slider is one save, not fifty).
VOLUME_SAVE_MS = 500


class WindowActions:
    """Menus and shortcuts; every slot they call lives on the window."""

    def _build_menus(self) -> None:
        self._shortcut_help: list[tuple[str, str]] = []
        file_menu = self.menuBar().addMenu("&Library")
        file_menu.addAction("Add music folder…", self.add_folder)
        file_menu.addAction("Rescan folders", self.rescan_folders)
        file_menu.addAction("Analyse audio now", lambda: self.jobs.analyze(self.settings.analysis_device))
        self.problems_action = self._action(file_menu, "Problems…", "Ctrl+Shift+P", self.show_problems)
        file_menu.addSeparator()
        self.import_history_action = file_menu.addAction(
            "Import listening history…", lambda: self.import_history_files()
        )
        self.import_history_action.setStatusTip(
            "Your plays on ListenBrainz, Spotify or Last.fm, for your taste"
        )
        self.history_action = file_menu.addAction("Listening history…", self.show_history)
        file_menu.addSeparator()
        # Qt's "Preferences" standard key is empty outside KDE and macOS: give Settings a key of its own.
        self.settings_action = self._action(file_menu, "Settings…", "Ctrl+,", self.open_settings)
        file_menu.addSeparator()
        self._action(file_menu, "Quit", QKeySequence(QKeySequence.StandardKey.Quit), self.quit)
        play_menu = self.menuBar().addMenu("&Playback")
        play_menu.addAction("Play / pause\tSpace", self.toggle)
        play_menu.addAction("Next\tCtrl+N", self.next)
        play_menu.addAction("Previous\tCtrl+P", self.previous)
        self.stop_action = self._action(play_menu, "Stop", "Ctrl+Shift+S", self.stop)
        play_menu.addSeparator()
        self.shuffle_action = self._action(
            play_menu, "Shuffle", "Ctrl+H", lambda: self.set_shuffle(not self._shuffle_on())
        )
        self.repeat_action = self._action(play_menu, "Repeat: off → all → one", "Ctrl+T", self.cycle_repeat)
        play_menu.addSeparator()
        play_menu.addAction(self.library.radio_action)
        # A path between two songs is a radio too: it sits here, not under Rate (found in a walk).
        self.radio_to_action = self._action(
            play_menu, "Radio to the selected track…", "Ctrl+Shift+R", self.radio_to_selection
        )
        self.stop_radio_action = play_menu.addAction("Stop radio", lambda: self.radio and self.radio.stop())
        # Only while a station plays or is on its way (a path is queued whole: the item did nothing).
        play_menu.aboutToShow.connect(
            lambda: self.stop_radio_action.setEnabled(self.radio is not None and self.radio.label is not None)
        )
        help_menu = self.help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "Keyboard shortcuts", "F1", self.show_shortcuts)
        help_menu.addAction("About Encore", self.show_about)

    def show_about(self) -> Any:
        """Help ▸ About Encore: what it is, its version and licence, and where its models come from."""
        from PySide6.QtWidgets import QMessageBox

        from player.listenbrainz.listen import client_version

        installed = client_version()  # the version a listen is sent with: one reading of it
        release = "a development copy" if installed == "unknown" else f"version {installed}"
        box = QMessageBox(QMessageBox.Icon.NoIcon, "About Encore", f"<b>Encore</b>, {release}", parent=self)
        box.setInformativeText(
            "A music player whose recommender runs entirely on your machine: no account, no cloud; "
            "your listening history never leaves it.\n\nFree software under the GNU GPL, version 3 or "
            "later. The taste model is pretrained on the Last.fm listening data of hetrec2011-lastfm-2k "
            "(non-commercial licence) and the sound model is the MSD_musicnn tagger; the README says how "
            "each is rebuilt."
        )
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        box.open()
        return box

    def _action(self, menu: Any, text: str, keys: Any, slot: Any) -> QAction:
        action = QAction(text, self)
        sequence = keys if isinstance(keys, QKeySequence) else QKeySequence(keys)
        action.setShortcut(sequence)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        self._shortcut_help.append(
            (sequence.toString(QKeySequence.SequenceFormat.NativeText), text.rstrip("…"))
        )
        return action

    def _space(self) -> None:
        """Space plays or pauses, except on a button the keyboard went to (Tab), which takes it as its own
        (a walk: Space on the focused Shuffle button paused the music instead; with Tab the only way
        there, a keyboard could not press a player button). A button focused by a click is not pressed
        again: after a click on Play the mix, Space still pauses (a review found it making a new mix)."""
        from PySide6.QtWidgets import QAbstractButton, QApplication

        focus = QApplication.focusWidget()
        by_keyboard = focus is not None and focus is not getattr(self, "_clicked_focus", None)
        if (
            by_keyboard
            and isinstance(focus, QAbstractButton)
            and focus.isEnabled()
            and focus.window() is self
        ):
            # click(), not animateClick(): the key's release would press an animated (still down) button
            # again (a walk: one tap on Next skipped two tracks, Shuffle went on and off)
            focus.click()
        else:
            self.toggle()

    def _focus_changed(self, _old: Any, now: Any) -> None:
        """Remember a widget that took the focus from a mouse press (``_space``)."""
        from PySide6.QtGui import QGuiApplication

        pressed = QGuiApplication.mouseButtons() != Qt.MouseButton.NoButton
        self._clicked_focus = now if pressed else None

    def _shuffle_on(self) -> bool:
        return bool(self.controller is not None and self.controller.queue.shuffle)

    def _build_shortcuts(self) -> None:
        def shortcut(keys: str, slot: Any, text: str) -> None:
            s = QShortcut(QKeySequence(keys), self)
            s.setContext(Qt.ShortcutContext.WindowShortcut)
            s.activated.connect(slot)
            self._shortcut_help.append((keys, text))

        shortcut("Space", self._space, "Play / pause (a button reached with Tab: press it)")
        from PySide6.QtWidgets import QApplication

        QApplication.instance().focusChanged.connect(self._focus_changed)
        shortcut("Ctrl+N", self.next, "Next track")
        shortcut("Ctrl+P", self.previous, "Previous track (or back to the start of this one)")
        shortcut("Left", lambda: self.seek_relative(-SEEK_STEP_S), f"Back {SEEK_STEP_S:g} s")
        shortcut("Right", lambda: self.seek_relative(SEEK_STEP_S), f"Forward {SEEK_STEP_S:g} s")
        shortcut("Ctrl+F", self.focus_filter, "Filter the library")
        shortcut("Ctrl+Up", lambda: self.step_volume(VOLUME_STEP), f"Volume up {VOLUME_STEP}%")
        shortcut("Ctrl+Down", lambda: self.step_volume(-VOLUME_STEP), f"Volume down {VOLUME_STEP}%")
        # The keyboard's media keys (XF86AudioPlay, XF86AudioNext...) with Encore in front: without a
        # desktop that forwards them to MPRIS they did nothing (issue 26 item 6).
        media = (
            (Qt.Key.Key_MediaPlay, self.toggle),
            (Qt.Key.Key_MediaTogglePlayPause, self.toggle),
            (Qt.Key.Key_MediaPause, self.toggle),
            (Qt.Key.Key_MediaNext, self.next),
            (Qt.Key.Key_MediaPrevious, self.previous),
            (Qt.Key.Key_VolumeUp, lambda: self.step_volume(VOLUME_STEP)),
            (Qt.Key.Key_VolumeDown, lambda: self.step_volume(-VOLUME_STEP)),
        )
        for key, slot in media:
            s = QShortcut(QKeySequence(key), self)
            s.setContext(Qt.ShortcutContext.WindowShortcut)
            s.activated.connect(slot)
        self._shortcut_help.append(("Media keys", "Play / pause, next, previous, volume"))
        self._shortcut_help += [
            ("Enter", "Play the selected track (in the list as shown)"),
            ("Ctrl+R", "Start a radio from the selected track"),
            ("Delete", "Remove the selected queue entries"),
        ]

    def shortcut_list(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every keyboard shortcut of the window, in menu order."""
        return list(self._shortcut_help)

    def show_shortcuts(self) -> None:
        from PySide6.QtWidgets import (
            QDialog,
            QDialogButtonBox,
            QHeaderView,
            QTableWidget,
            QTableWidgetItem,
            QVBoxLayout,
        )

        dialog = QDialog(self)
        dialog.setWindowTitle("Keyboard shortcuts")
        rows = self.shortcut_list()
        table = QTableWidget(len(rows), 2, dialog)
        table.setTabKeyNavigation(False)
        table.setHorizontalHeaderLabels(["Keys", "Action"])
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)  # a compact list
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (keys, text) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(text))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(table)
        layout.addWidget(buttons)
        dialog.resize(520, 460)
        self.shortcuts_dialog = dialog
        dialog.open()

    def set_volume(self, volume: int) -> None:
        """Apply the volume now and keep it half a second after it rests (a drag saves once): a walk
        killed Encore mid-play and it came back at 100 %, the volume being saved only at quit."""
        self.settings.volume = int(volume)
        if self.controller is not None:
            self.controller.set_volume(int(volume))
        timer = getattr(self, "_volume_save", None)
        if timer is None:
            from PySide6.QtCore import QTimer

            timer = self._volume_save = QTimer(self)
            timer.setSingleShot(True)
            timer.setInterval(VOLUME_SAVE_MS)
            timer.timeout.connect(self._save_volume)
        timer.start()

    def _save_volume(self) -> None:
        if getattr(self, "_shut", False) or getattr(self, "store_damaged", False):
            return  # shut down (saved then) or a damaged file, never written again
        try:
            self.settings.save(self.store)
        except (sqlite3.Error, OSError) as exc:  # read-only or full: the user was told (ui.faults)
            log.warning("the volume was not saved: %s", exc)

    def step_volume(self, step: int) -> None:
        """Volume up or down by ``step`` percent, through the bar's slider (which saves and applies it)."""
        slider = self.now_playing.volume
        slider.setValue(max(0, min(100, slider.value() + step)))

    def focus_filter(self) -> None:
        self.tabs.setCurrentWidget(self.library)
        self.library.filter.setFocus()
        self.library.filter.selectAll()

    def _listenbrainz_problem(self, message: str | None) -> None:
        """Sending to ListenBrainz stopped for a reason the user must fix (a refused token): say so until
        they act; ``None`` (a new token, or sending turned off) takes that notice away, not another one."""
        if message:
            self.statusBar().showMessage(message, 15000)
            self.notice.show_notice(message, "Settings…", self.open_settings, timeout_ms=0)
            self._listenbrainz_told = message
        elif getattr(self, "_listenbrainz_told", None):
            if self.notice.isVisible() and self.notice.text.text() == self._listenbrainz_told:
                self.notice.dismiss()
            self._listenbrainz_told = None

    def open_settings(self) -> None:
        from ui.settings_dialog import SettingsDialog

        playback = self.controller.settings if self.controller is not None else None
        devices = self.controller.player.output_devices() if self.controller is not None else []
        submitter = getattr(self, "submitter", None)
        listenbrainz = dataclasses.replace(submitter.settings) if submitter is not None else None
        notifier = getattr(self, "notifier", None)
        status = None
        if submitter is not None:
            from player.listenbrainz.status import queue_status

            status = queue_status(self.store)
        dialog = SettingsDialog(
            self.settings,
            playback,
            self,
            devices=devices,
            listenbrainz=listenbrainz,
            notifications=notifier is not None and notifier.available(),
            listenbrainz_status=status,
        )
        self.settings_dialog = dialog
        if not dialog.exec():
            return
        old_folders = list(self.settings.folders)
        old_device = getattr(playback, "audio_device", None)
        dialog.apply(self.settings, playback, listenbrainz)
        if listenbrainz is not None:
            listenbrainz.save(self.store)
            submitter.update_settings(listenbrainz)
        if playback is not None and playback.audio_device != old_device:
            self.controller.player.set_output_device(playback.audio_device)
            self._audio_warned = False
        self.settings.save(self.store)
        if playback is not None:
            with self.controller.lock:
                playback.save(self.controller.store)
        if self.radio is not None:
            self.radio.set_settings(self._radio_settings())
        self.start_watching()
        if self.settings.folders != old_folders:
            self.jobs.scan(self.settings.folders)
        elif not self.settings.analysis_enabled:
            self.jobs.cancel_analysis()
