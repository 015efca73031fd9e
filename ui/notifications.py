"""Track-change notifications through the freedesktop Notifications service (QtDBus).

When a track starts and the window is not in front (hidden to the tray, minimised, another window
focused), Encore sends ``org.freedesktop.Notifications.Notify``: the title as the summary, artist and
album as the body, the cover as ``image-path`` once it has loaded (the same notification is updated,
never stacked: ``replaces_id`` is the last one's id). Optional in Settings (``UiSettings.notify_tracks``).

Calls are asynchronous (a hung notification daemon never blocks the window) and typed exactly as the
spec's signature ``susssasa{sv}i`` (``ui.dbus_types``): strict servers reject anything else. Without a
session bus or a notification service nothing is sent and nothing fails.
"""

from __future__ import annotations

import html
import logging
import os
import tempfile
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtDBus import QDBusConnection, QDBusMessage, QDBusPendingCallWatcher

from ui.dbus_types import string_array, uint32

log = logging.getLogger(__name__)

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
APP_NAME = "Encore"
APP_ICON = "encore"  # the icon installed in the hicolor theme (scripts/install_desktop.sh)
EXPIRE_MS = 5000
CALL_TIMEOUT_MS = 5000


class TrackNotifier(QObject):
    sent = Signal(int)  # the id the service gave the notification
    failed = Signal(str)  # the service's error message (logged; playback goes on)

    def __init__(self, bus: QDBusConnection | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bus = bus if bus is not None else QDBusConnection.sessionBus()
        self.last_id = 0
        self._markup: bool | None = None  # does the server read markup in the body? (asked once)
        self._shown: tuple[str, str, str] | None = None
        self._art_dir = tempfile.mkdtemp(prefix="encore-notify-")
        self._art_count = 0
        # Pending calls: the watcher -> the method called and the name of this object's method for the
        # reply. Names, not bound methods or closures: nothing the watchers hold refers back to this object,
        # so a dropped notifier is freed at once by its last reference, not later by the cycle collector
        # in the middle of another object's D-Bus reply (where deleting its watchers crashed a test run).
        self._watchers: dict[QDBusPendingCallWatcher, tuple[str, str]] = {}
        if self.bus.isConnected():
            self._call("GetCapabilities", [], "_capabilities")

    def available(self) -> bool:
        """A notification service is on the session bus (or can be started by it)."""
        if not self.bus.isConnected():
            return False
        names = self.bus.interface()
        reply = names.isServiceRegistered(SERVICE) if names is not None else None
        return bool(reply is not None and reply.isValid() and reply.value())

    def track_started(self, title: str, artist: str, album: str) -> bool:
        """Say that this track starts (a new notification, or the last one updated); False if none
        could be sent."""
        self._shown = (title, artist, album)
        return self._notify(None)

    def skip(self) -> None:
        """A track started that is not announced (the window is in front): its cover must not update
        the last notification."""
        self._shown = None

    def cover_loaded(self, image: Any) -> bool:
        """The playing track's cover: show it in the notification just sent."""
        if self._shown is None or image is None or image.isNull() or not self.last_id:
            return False
        self._art_count += 1  # a new file each time: the server may read it after the next track
        path = os.path.join(self._art_dir, f"cover-{self._art_count % 4}.png")
        if not image.save(path, "PNG"):
            return False
        return self._notify(path)

    def close(self) -> None:
        for name in os.listdir(self._art_dir):
            try:
                os.remove(os.path.join(self._art_dir, name))
            except OSError:
                pass
        try:
            os.rmdir(self._art_dir)
        except OSError:
            pass

    # -- D-Bus -----------------------------------------------------------------------------------------
    def _notify(self, image_path: str | None) -> bool:
        if self._shown is None or not self.bus.isConnected():
            return False
        title, artist, album = self._shown
        body = " — ".join(p for p in (artist, album) if p)
        if self._markup is not False:  # unknown yet: most servers read markup, where "&" must be escaped
            body = html.escape(body, quote=False)
        hints: dict[str, Any] = {"desktop-entry": "encore", "transient": True}
        if image_path:
            hints["image-path"] = QUrl.fromLocalFile(image_path).toString()
        arguments = [
            APP_NAME,
            uint32(self.last_id),
            APP_ICON,
            title,
            body,
            string_array([]),
            hints,
            EXPIRE_MS,
        ]
        return self._call("Notify", arguments, "_notified")

    def _call(self, method: str, arguments: list[Any], on_reply: str) -> bool:
        message = QDBusMessage.createMethodCall(SERVICE, PATH, SERVICE, method)
        message.setArguments(arguments)
        watcher = QDBusPendingCallWatcher(self.bus.asyncCall(message, CALL_TIMEOUT_MS), self)
        self._watchers[watcher] = (method, on_reply)
        watcher.finished.connect(self._finished)
        return True

    def _finished(self, watcher: QDBusPendingCallWatcher) -> None:
        method, on_reply = self._watchers.pop(watcher, ("", ""))
        message = watcher.reply()
        if message.type() == QDBusMessage.MessageType.ErrorMessage:
            if method == "Notify":
                log.info("notification refused: %s", message.errorMessage())
                self.failed.emit(message.errorMessage())
        elif on_reply:
            getattr(self, on_reply)(message.arguments())
        watcher.deleteLater()

    def _capabilities(self, arguments: list[Any]) -> None:
        capabilities = arguments[0] if arguments else []
        self._markup = "body-markup" in list(capabilities or [])

    def _notified(self, arguments: list[Any]) -> None:
        if arguments:
            self.last_id = int(arguments[0])
            self.sent.emit(self.last_id)
