"""MPRIS2 over D-Bus (QtDBus): media keys, desktop widgets and ``playerctl`` control Encore.

Implements ``org.mpris.MediaPlayer2`` (identity, raise, quit) and ``org.mpris.MediaPlayer2.Player``
(PlaybackStatus, Metadata, Position, Volume, Play/Pause/PlayPause/Stop/Next/Previous/Seek/SetPosition)
on ``/org/mpris/MediaPlayer2`` under the bus name ``org.mpris.MediaPlayer2.encore``. Property changes
are announced with ``org.freedesktop.DBus.Properties.PropertiesChanged`` as the spec asks. Without a
session bus (CI, a bare X session) registration simply fails and the app runs without MPRIS.

This module holds the player's side: registration on the bus, the values MPRIS shows (status, the
playing track's metadata, volume, shuffle and loop) read from the window, and the announcements of
their changes. The exported object that checks and answers each incoming message, and why it is a
``QDBusVirtualObject``, is ``ui.mpris_object``.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from typing import Any

from PySide6.QtCore import QObject, QUrl
from PySide6.QtDBus import QDBusConnection, QDBusMessage, QDBusObjectPath

from ui.dbus_types import int64
from ui.mpris_object import LOOP_STATUS, OBJECT_PATH, PLAYER_IFACE, MprisObject

log = logging.getLogger(__name__)

SERVICE = "org.mpris.MediaPlayer2.encore"
NO_TRACK = "/org/mpris/MediaPlayer2/TrackList/NoTrack"
_STATUS = {"playing": "Playing", "paused": "Paused", "stopped": "Stopped"}


class Mpris(QObject):
    """Owns the exported object and keeps the desktop informed of changes."""

    def __init__(self, window: Any, bus: QDBusConnection | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.bus = bus if bus is not None else QDBusConnection.sessionBus()
        self.object = MprisObject(self)
        self.registered = False
        self._state = "stopped"
        self._position = 0.0
        self._art_url = ""
        self._art_dir = tempfile.mkdtemp(prefix="encore-art-")

    def register(self) -> bool:
        if not self.bus.isConnected():
            log.info("no D-Bus session bus: MPRIS disabled")
            return False
        ok = self.bus.registerVirtualObject(OBJECT_PATH, self.object)
        name = SERVICE if self.bus.registerService(SERVICE) else f"{SERVICE}.instance{os.getpid()}"
        if name != SERVICE:
            self.bus.registerService(name)
        self.service = name
        self.registered = bool(ok)
        return self.registered

    def unregister(self) -> None:
        if self.registered:
            self.bus.unregisterObject(OBJECT_PATH)
            self.bus.unregisterService(self.service)
            self.registered = False
        shutil.rmtree(self._art_dir, ignore_errors=True)

    # -- values ----------------------------------------------------------------------------------------
    def playback_status(self) -> str:
        controller = getattr(self.window, "controller", None)
        if self._state == "stopped" and controller is not None and controller.resume_position is not None:
            return "Paused"  # restored after a restart, waiting at its place for Play, as the window shows
        return _STATUS.get(self._state, "Stopped")

    def track_path(self) -> str:
        entry = self.window.current_entry
        return f"/org/encore/entry/{entry.id}" if entry is not None else NO_TRACK

    def metadata(self) -> dict[str, Any]:
        entry = self.window.current_entry
        if entry is None:
            return {"mpris:trackid": QDBusObjectPath(NO_TRACK)}
        row = self.window.library.model.track(entry.track_id)
        data: dict[str, Any] = {"mpris:trackid": QDBusObjectPath(self.track_path())}
        if row is not None:
            from ui.library_rows import ALBUM, ARTIST, DURATION, GENRE, PATH, TRACKNO, row_title

            data["xesam:title"] = row_title(row)
            if row[ARTIST]:
                data["xesam:artist"] = [row[ARTIST]]
            if row[ALBUM]:
                data["xesam:album"] = row[ALBUM]
            if row[GENRE]:
                data["xesam:genre"] = [row[GENRE]]
            if row[TRACKNO]:
                data["xesam:trackNumber"] = int(row[TRACKNO])
            if row[DURATION]:
                data["mpris:length"] = int64(row[DURATION] * 1e6)
            data["xesam:url"] = QUrl.fromLocalFile(row[PATH]).toString()
        if self._art_url:
            data["mpris:artUrl"] = self._art_url
        rating = self.window.current_user_rating() if hasattr(self.window, "current_user_rating") else None
        if rating is not None:
            data["xesam:userRating"] = float(rating)  # 1.0 loved, 0.0 banned (ui.window_shaping)
        return data

    def position_us(self) -> int:
        return int(self._position * 1e6)

    def volume(self) -> float:
        return self.window.settings.volume / 100.0

    def set_volume(self, value: float) -> None:
        """Set from a checked finite double (``MprisObject``); the spec clamps it to [0, 1]."""
        volume = int(round(min(max(float(value), 0.0), 1.0) * 100))
        self.window.now_playing.set_volume(volume)
        self.window.set_volume(volume)
        self._changed({"Volume": volume / 100.0})

    def _queue(self) -> Any:
        controller = getattr(self.window, "controller", None)
        return controller.queue if controller is not None else None

    def loop_status(self) -> str:
        queue = self._queue()
        return LOOP_STATUS.get(queue.repeat if queue is not None else "off", "None")

    def set_loop_status(self, value: str) -> None:
        mode = {v: k for k, v in LOOP_STATUS.items()}.get(str(value))
        if mode is not None:
            self.window.set_repeat(mode)

    def shuffle(self) -> bool:
        queue = self._queue()
        return bool(queue is not None and queue.shuffle)

    def set_shuffle(self, value: bool) -> None:
        self.window.set_shuffle(bool(value))

    # -- changes from the window -----------------------------------------------------------------------
    def modes_changed(self) -> None:
        self._changed({"Shuffle": self.shuffle(), "LoopStatus": self.loop_status()})

    def track_changed(self) -> None:
        self._position = 0.0
        self._art_url = ""
        self._changed({"Metadata": self.metadata()})

    def metadata_changed(self) -> None:
        """The current track's metadata changed in place (e.g. its rating)."""
        self._changed({"Metadata": self.metadata()})

    def cover_changed(self, path: str, image: Any) -> None:
        if image is None:
            return
        art = os.path.join(self._art_dir, "cover.png")
        if image.save(art, "PNG"):
            self._art_url = QUrl.fromLocalFile(art).toString()
            self._changed({"Metadata": self.metadata()})

    def state_changed(self, state: str) -> None:
        self._state = state
        self._changed({"PlaybackStatus": self.playback_status()})

    def position_changed(self, position: float) -> None:
        # Position is not announced through PropertiesChanged (the spec says so); a jump is ``Seeked``.
        if abs(position - self._position) > 2.0 and self.registered:
            message = QDBusMessage.createSignal(OBJECT_PATH, PLAYER_IFACE, "Seeked")
            message.setArguments([int64(position * 1e6)])
            self.bus.send(message)
        self._position = position

    def _changed(self, values: dict[str, Any]) -> None:
        if not self.registered:
            return
        message = QDBusMessage.createSignal(
            OBJECT_PATH, "org.freedesktop.DBus.Properties", "PropertiesChanged"
        )
        message.setArguments([PLAYER_IFACE, values, []])
        self.bus.send(message)
