"""The settings dialog: music folders, crossfade, ReplayGain, radio spacing, audio analysis, ListenBrainz."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from player.playback.settings import MAX_CROSSFADE_S, REPLAYGAIN_MODES
from ui.first_run import FolderList
from ui.settings import ANALYSIS_DEVICES, UiSettings
from ui.wheel_guard import guard_wheel

_RG_LABELS = {
    "auto": "Automatic (album gain for albums in order)",
    "track": "Track gain",
    "album": "Album gain",
    "off": "Off",
}


class SettingsDialog(QDialog):
    def __init__(
        self,
        settings: UiSettings,
        playback: Any,
        parent: QWidget | None = None,
        devices: list[tuple[str, str]] | None = None,
        listenbrainz: Any = None,
        notifications: bool = True,
        listenbrainz_status: str | None = None,
    ) -> None:
        """``devices``: (id, description) of the audio output's devices, as libvlc lists them;
        ``listenbrainz``: the ``player.listenbrainz.settings.ListenBrainzSettings`` to edit (None: not
        offered); ``listenbrainz_status``: what waits to be sent and why the last try failed
        (``player.listenbrainz.status.queue_status``), shown under it;
        ``notifications``: whether a notification service runs (if not, the dialog says why none show)."""
        super().__init__(parent)
        self.setWindowTitle("Encore settings")
        radio_defaults = _radio_defaults()

        self.folders = FolderList(list(settings.folders))
        folders_box = QGroupBox("Music folders")
        QVBoxLayout(folders_box).addWidget(self.folders)

        self.crossfade = QDoubleSpinBox()
        self.crossfade.setRange(0.0, MAX_CROSSFADE_S)
        self.crossfade.setSingleStep(0.5)
        self.crossfade.setSuffix(" s")
        self.replaygain = QComboBox()
        for mode in REPLAYGAIN_MODES:
            self.replaygain.addItem(_RG_LABELS.get(mode, mode), mode)
        if playback is not None:
            self.crossfade.setValue(float(playback.crossfade_s))
            self.replaygain.setCurrentIndex(max(0, self.replaygain.findData(playback.replaygain)))
        else:
            self.crossfade.setEnabled(False)
            self.replaygain.setEnabled(False)
        self.output_device = QComboBox()
        self.output_device.addItem("Default", None)
        shown = {"Default"}
        for device, description in devices or []:
            # ALSA lists its own "default" as "Default": name the device too when labels repeat.
            label = description if description not in shown else f"{description} ({device})"
            shown.add(label)
            self.output_device.addItem(label, device)
        current = getattr(playback, "audio_device", None) if playback is not None else None
        if current and self.output_device.findData(current) < 0:
            self.output_device.addItem(f"{current} (not found now)", current)
        self.output_device.setCurrentIndex(max(0, self.output_device.findData(current)) if current else 0)
        self.output_device.setEnabled(playback is not None)
        playback_box = QGroupBox("Playback")
        form = QFormLayout(playback_box)
        form.addRow("Output device", self.output_device)
        form.addRow("Crossfade", self.crossfade)
        form.addRow("ReplayGain", self.replaygain)

        self.artist_spacing = QSpinBox()
        self.artist_spacing.setRange(0, 100)
        self.artist_spacing.setValue(
            settings.radio_artist_spacing if settings.radio_artist_spacing is not None else radio_defaults[0]
        )
        self.album_spacing = QSpinBox()
        self.album_spacing.setRange(0, 200)
        self.album_spacing.setValue(
            settings.radio_album_spacing if settings.radio_album_spacing is not None else radio_defaults[1]
        )
        radio_box = QGroupBox("Radio")
        form = QFormLayout(radio_box)
        form.addRow("No artist again within", self.artist_spacing)
        form.addRow("No album again within", self.album_spacing)
        form.addRow(QLabel("tracks (scaled down automatically for small libraries)"))

        self.analysis = QCheckBox("Analyse new tracks' audio in the background")
        self.analysis.setChecked(settings.analysis_enabled)
        self.device = QComboBox()
        for device in ANALYSIS_DEVICES:
            self.device.addItem(
                {"auto": "Automatic (GPU when available)", "cpu": "CPU", "cuda": "GPU (CUDA)"}[device], device
            )
        self.device.setCurrentIndex(max(0, self.device.findData(settings.analysis_device)))
        analysis_box = QGroupBox("Audio analysis")
        form = QFormLayout(analysis_box)
        form.addRow(self.analysis)
        form.addRow("Device", self.device)

        self.watch = QCheckBox("Pick up new and removed files while Encore runs (watch the folders)")
        self.watch.setChecked(settings.watch_folders)
        self.close_to_tray = QCheckBox("Closing the window keeps Encore playing in the tray")
        self.close_to_tray.setChecked(settings.close_to_tray)
        self.notify_tracks = QCheckBox(
            "Show a notification when a track starts (while the window is not in front)"
        )
        self.notify_tracks.setChecked(settings.notify_tracks)
        desktop_box = QGroupBox("Desktop")
        form = QFormLayout(desktop_box)
        for box in (self.watch, self.close_to_tray, self.notify_tracks):
            form.addRow(box)
        # Without a notification daemon nothing appeared and nothing said why (issue 26 item 10).
        self.no_notifications = QLabel(
            "No notification service runs on this desktop: none will show until one does."
        )
        self.no_notifications.setWordWrap(True)
        self.no_notifications.setVisible(not notifications)
        form.addRow(self.no_notifications)

        self.lb_enabled = QCheckBox("Send what I play to ListenBrainz")
        self.lb_token = QLineEdit()
        self.lb_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.lb_token.setPlaceholderText("your user token from listenbrainz.org/settings")
        self.lb_server = QLineEdit()
        self.lb_server.setToolTip("The API root: the public server, or your own ListenBrainz")
        if listenbrainz is not None:
            self.lb_enabled.setChecked(bool(listenbrainz.enabled))
            self.lb_token.setText(listenbrainz.token)
            self.lb_server.setText(listenbrainz.api_root)
        else:
            for widget in (self.lb_enabled, self.lb_token, self.lb_server):
                widget.setEnabled(False)
        what = QLabel(
            "Sent: the track playing now, and each track you listened to for half its length or 4 minutes "
            "(artist, title, album, duration, when). Listens wait in the library while offline."
        )
        what.setWordWrap(True)
        # Offline, listens waited with nothing said anywhere (found in a walk of the app).
        self.lb_status = QLabel(listenbrainz_status or "")
        self.lb_status.setWordWrap(True)
        self.lb_status.setVisible(bool(listenbrainz_status))
        self.lb_error = QLabel("")
        self.lb_error.setWordWrap(True)
        self.lb_error.setStyleSheet("color: #b00020;")
        self.lb_error.setVisible(False)
        self.lb_token.textChanged.connect(lambda _text: self.lb_error.setVisible(False))
        self.lb_enabled.toggled.connect(lambda _on: self.lb_error.setVisible(False))
        listenbrainz_box = QGroupBox("ListenBrainz")
        box = QVBoxLayout(listenbrainz_box)
        form = QFormLayout()
        form.addRow(self.lb_enabled)
        form.addRow("User token", self.lb_token)
        form.addRow("Server", self.lb_server)
        box.addLayout(form)
        for label in (self.lb_error, what, self.lb_status):  # below the form: a wrapped label in a form
            box.addWidget(label)  # row was given one line and a half (its second line cut through)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        # The groups scroll, the buttons stay: 780 px of settings do not fit a 768-px-high screen.
        content = QWidget()
        groups = QVBoxLayout(content)
        for group in (folders_box, playback_box, radio_box, analysis_box, desktop_box, listenbrainz_box):
            groups.addWidget(group)
        self.scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(buttons)
        hint = content.sizeHint()
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        height = hint.height() + buttons.sizeHint().height() + 3 * layout.spacing() + 24
        if screen is not None:
            height = min(height, int(screen.height() * 0.9))
        self.resize(hint.width() + scroll.verticalScrollBar().sizeHint().width() + 24, height)
        guard_wheel(content)  # scrolling the page changes no value on the way

    def accept(self) -> None:
        """OK, unless sending to ListenBrainz is on without a token: nothing could be sent, and the plays
        of the meantime were not even queued (found in a walk of the app: accepted without a word)."""
        if self.lb_enabled.isEnabled() and self.lb_enabled.isChecked() and not self.lb_token.text().strip():
            self.lb_error.setText(
                "Enter your user token (listenbrainz.org/settings) to send your listens, or untick sending."
            )
            self.lb_error.setVisible(True)
            self.lb_token.setFocus()
            self.scroll.ensureWidgetVisible(self.lb_token)
            return
        super().accept()

    def apply(self, settings: UiSettings, playback: Any, listenbrainz: Any = None) -> None:
        """Copy the dialog's values into the settings objects (the caller saves them)."""
        settings.folders = self.folders.folders()
        defaults = _radio_defaults()
        a, b = self.artist_spacing.value(), self.album_spacing.value()
        settings.radio_artist_spacing = None if a == defaults[0] else a
        settings.radio_album_spacing = None if b == defaults[1] else b
        settings.analysis_enabled = self.analysis.isChecked()
        settings.analysis_device = self.device.currentData()
        settings.watch_folders = self.watch.isChecked()
        settings.close_to_tray = self.close_to_tray.isChecked()
        settings.notify_tracks = self.notify_tracks.isChecked()
        if playback is not None:
            playback.crossfade_s = float(self.crossfade.value())
            playback.replaygain = self.replaygain.currentData()
            playback.audio_device = self.output_device.currentData()
        if listenbrainz is not None:
            listenbrainz.enabled = self.lb_enabled.isChecked()
            listenbrainz.token = self.lb_token.text().strip()
            server = self.lb_server.text().strip().rstrip("/")
            listenbrainz.api_root = server or type(listenbrainz)().api_root


def _radio_defaults() -> tuple[int, int]:
    try:
        from recommender.radio.station import RadioSettings

        d = RadioSettings()
        return d.artist_spacing, d.album_spacing
    except Exception:
        return 15, 25
