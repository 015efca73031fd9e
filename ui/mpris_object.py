"""The object Encore exports at ``/org/mpris/MediaPlayer2``: it checks and answers every D-Bus message.

Why a ``QDBusVirtualObject`` rather than adaptors with Qt properties: QtDBus answers
``Properties.Set`` itself for adaptors, converts whatever arrives to the property's type (the string
"yes" became ``Shuffle = true``) and replies success even when the setter raises (``Volume = nan`` was a
ValueError on the app's stderr). Any process on the session bus may call us, so every call and every
write is checked here, by D-Bus type and value, and a wrong one is answered with a D-Bus error
(``InvalidArgs``, ``UnknownProperty``, ``PropertyReadOnly``, ``UnknownMethod``) and changes nothing.

The values themselves (status, metadata, volume, modes) and the announcements of their changes come
from ``ui.mpris.Mpris``, which owns this object; it is described here by ``MprisValues`` only, so this
module needs nothing from the one above it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtDBus import (
    QDBusConnection,
    QDBusError,
    QDBusMessage,
    QDBusObjectPath,
    QDBusVariant,
    QDBusVirtualObject,
)

from ui.dbus_types import int64

log = logging.getLogger(__name__)

OBJECT_PATH = "/org/mpris/MediaPlayer2"
ROOT_IFACE = "org.mpris.MediaPlayer2"
PLAYER_IFACE = "org.mpris.MediaPlayer2.Player"
PROPERTIES_IFACE = "org.freedesktop.DBus.Properties"
_MIME_TYPES = ["audio/ogg", "audio/mpeg", "audio/flac", "audio/mp4", "audio/x-wav"]
#: The queue's repeat mode -> MPRIS ``LoopStatus`` (the only values a ``LoopStatus`` write may carry).
LOOP_STATUS = {"off": "None", "one": "Track", "all": "Playlist"}

_INTROSPECTION = f"""  <interface name="{ROOT_IFACE}">
    <method name="Raise"/>
    <method name="Quit"/>
    <property name="Identity" type="s" access="read"/>
    <property name="DesktopEntry" type="s" access="read"/>
    <property name="CanQuit" type="b" access="read"/>
    <property name="CanRaise" type="b" access="read"/>
    <property name="HasTrackList" type="b" access="read"/>
    <property name="SupportedUriSchemes" type="as" access="read"/>
    <property name="SupportedMimeTypes" type="as" access="read"/>
  </interface>
  <interface name="{PLAYER_IFACE}">
    <method name="Next"/>
    <method name="Previous"/>
    <method name="Pause"/>
    <method name="PlayPause"/>
    <method name="Stop"/>
    <method name="Play"/>
    <method name="Seek"><arg name="Offset" type="x" direction="in"/></method>
    <method name="SetPosition">
      <arg name="TrackId" type="o" direction="in"/>
      <arg name="Position" type="x" direction="in"/>
    </method>
    <method name="OpenUri"><arg name="Uri" type="s" direction="in"/></method>
    <signal name="Seeked"><arg name="Position" type="x"/></signal>
    <property name="PlaybackStatus" type="s" access="read"/>
    <property name="LoopStatus" type="s" access="readwrite"/>
    <property name="Rate" type="d" access="read"/>
    <property name="Shuffle" type="b" access="readwrite"/>
    <property name="Metadata" type="a{{sv}}" access="read"/>
    <property name="Volume" type="d" access="readwrite"/>
    <property name="Position" type="x" access="read"/>
    <property name="MinimumRate" type="d" access="read"/>
    <property name="MaximumRate" type="d" access="read"/>
    <property name="CanGoNext" type="b" access="read"/>
    <property name="CanGoPrevious" type="b" access="read"/>
    <property name="CanPlay" type="b" access="read"/>
    <property name="CanPause" type="b" access="read"/>
    <property name="CanSeek" type="b" access="read"/>
    <property name="CanControl" type="b" access="read"/>
  </interface>
"""


class InvalidValue(ValueError):
    """A property write or call argument of the wrong D-Bus type or out of range: a D-Bus error."""


def _typed(value: Any, name: str, kind: type, dbus_type: str) -> Any:
    """``value`` if it is exactly a ``kind`` (Python's bool is an int, D-Bus's boolean is not)."""
    if type(value) is not kind:
        raise InvalidValue(f"{name} must be {dbus_type}, not {type(value).__name__}")
    return value


def _float_in(value: Any, name: str) -> float:
    """A D-Bus double that is a finite number (Python bool and int are other D-Bus types)."""
    if not math.isfinite(_typed(value, name, float, "a double")):
        raise InvalidValue(f"{name} must be finite, not {value}")
    return value


def _bool_in(value: Any, name: str) -> bool:
    return _typed(value, name, bool, "a boolean")


def _loop_in(value: Any, name: str) -> str:
    if type(value) is not str or value not in LOOP_STATUS.values():
        raise InvalidValue(f"{name} must be one of {', '.join(LOOP_STATUS.values())}, not {value!r}")
    return value


def _int_in(value: Any, name: str) -> int:
    return _typed(value, name, int, "an int64")


class MprisValues(Protocol):
    """What ``MprisObject`` reads and writes: ``ui.mpris.Mpris``, which owns it (a QObject, also this
    object's Qt parent). A protocol rather than an import so the exported object stays below its owner,
    which creates it."""

    window: Any

    def playback_status(self) -> str: ...
    def loop_status(self) -> str: ...
    def set_loop_status(self, value: str) -> None: ...
    def shuffle(self) -> bool: ...
    def set_shuffle(self, value: bool) -> None: ...
    def metadata(self) -> dict[str, Any]: ...
    def volume(self) -> float: ...
    def set_volume(self, value: float) -> None: ...
    def position_us(self) -> int: ...
    def track_path(self) -> str: ...


class MprisObject(QDBusVirtualObject):
    """Answers every message sent to ``OBJECT_PATH`` (see the module docstring for why)."""

    def __init__(self, mpris: MprisValues) -> None:
        super().__init__(mpris)
        self.mpris = mpris
        window = mpris.window
        # property -> (getter, setter taking the checked value or None when read-only), per interface
        self.properties: dict[str, dict[str, tuple[Callable[[], Any], Callable[[Any], None] | None]]] = {
            ROOT_IFACE: {
                "Identity": (lambda: "Encore", None),
                "DesktopEntry": (lambda: "encore", None),
                "CanQuit": (lambda: True, None),
                "CanRaise": (lambda: True, None),
                "HasTrackList": (lambda: False, None),
                "SupportedUriSchemes": (lambda: ["file"], None),
                "SupportedMimeTypes": (lambda: list(_MIME_TYPES), None),
            },
            PLAYER_IFACE: {
                "PlaybackStatus": (mpris.playback_status, None),
                "LoopStatus": (mpris.loop_status, lambda v: mpris.set_loop_status(_loop_in(v, "LoopStatus"))),
                "Rate": (lambda: 1.0, None),
                "Shuffle": (mpris.shuffle, lambda v: mpris.set_shuffle(_bool_in(v, "Shuffle"))),
                "Metadata": (mpris.metadata, None),
                "Volume": (mpris.volume, lambda v: mpris.set_volume(_float_in(v, "Volume"))),
                "Position": (lambda: int64(mpris.position_us()), None),
                "MinimumRate": (lambda: 1.0, None),
                "MaximumRate": (lambda: 1.0, None),
                **{
                    name: (lambda: True, None)
                    for name in ("CanGoNext", "CanGoPrevious", "CanPlay", "CanPause", "CanSeek", "CanControl")
                },  # fmt: skip
            },
        }
        # method -> (D-Bus signature, handler taking the message's arguments)
        self.methods: dict[str, dict[str, tuple[str, Callable[..., None]]]] = {
            ROOT_IFACE: {"Raise": ("", self._raise), "Quit": ("", window.quit)},
            PLAYER_IFACE: {
                "Play": ("", window.play),
                "Pause": ("", window.pause),
                "PlayPause": ("", window.toggle),
                "Stop": ("", window.stop),
                "Next": ("", window.next),
                "Previous": ("", window.previous),
                "Seek": ("x", lambda offset: window.seek_relative(_int_in(offset, "Offset") / 1e6)),
                "SetPosition": ("ox", self._set_position),
                "OpenUri": ("s", lambda uri: log.info("MPRIS OpenUri is not supported: %s", uri)),
            },
        }

    def introspect(self, path: str) -> str:
        return _INTROSPECTION

    def handleMessage(self, message: QDBusMessage, connection: QDBusConnection) -> bool:  # noqa: N802
        """Answer one call; False leaves it to QtDBus (only ``Introspect``, which calls ``introspect``)."""
        interface, member = message.interface(), message.member()
        if interface == "org.freedesktop.DBus.Introspectable":
            return False
        try:
            if interface == PROPERTIES_IFACE:
                reply = self._properties(message, member)
            else:
                reply = self._call(message, interface, member)
        except InvalidValue as exc:
            log.info("MPRIS: refused %s.%s: %s", interface, member, exc)
            reply = message.createErrorReply(QDBusError.ErrorType.InvalidArgs, str(exc))
        if message.isReplyRequired():
            connection.send(reply)
        return True

    def _properties(self, message: QDBusMessage, member: str) -> QDBusMessage:
        args = message.arguments()
        signature = message.signature()
        if member == "GetAll" and signature == "s":
            table = self._interface(args[0])
            return message.createReply([{name: get() for name, (get, _set) in table.items()}])
        if member == "Get" and signature == "ss":
            get, _set = self._property(args[0], args[1])
            return message.createReply([QDBusVariant(get())])
        if member == "Set" and signature == "ssv":
            _get, set_ = self._property(args[0], args[1])
            if set_ is None:
                return message.createErrorReply(
                    "org.freedesktop.DBus.Error.PropertyReadOnly", f"{args[1]} is read-only"
                )
            value = args[2].variant() if isinstance(args[2], QDBusVariant) else args[2]
            set_(value)
            return message.createReply()
        return message.createErrorReply(
            QDBusError.ErrorType.UnknownMethod, f"no method {member}({signature}) in {PROPERTIES_IFACE}"
        )

    def _interface(self, interface: Any) -> dict[str, tuple[Callable[[], Any], Callable[[Any], None] | None]]:
        table = self.properties.get(interface) if isinstance(interface, str) else None
        if table is None:
            raise InvalidValue(f"no interface {interface!r} here")
        return table

    def _property(self, interface: Any, name: Any) -> tuple[Callable[[], Any], Callable[[Any], None] | None]:
        entry = self._interface(interface).get(name) if isinstance(name, str) else None
        if entry is None:
            raise InvalidValue(f"no property {name!r} in {interface}")
        return entry

    def _call(self, message: QDBusMessage, interface: str, member: str) -> QDBusMessage:
        candidates = [interface] if interface else list(self.methods)
        for name in candidates:
            entry = self.methods.get(name, {}).get(member)
            if entry is None:
                continue
            signature, handler = entry
            if message.signature() != signature:
                raise InvalidValue(f"{member} takes ({signature}), not ({message.signature()})")
            handler(*message.arguments())
            return message.createReply()
        return message.createErrorReply(QDBusError.ErrorType.UnknownMethod, f"no method {interface}.{member}")

    def _raise(self) -> None:
        window = self.mpris.window
        window.show()
        window.raise_()
        window.activateWindow()

    def _set_position(self, track_id: Any, position_us: Any) -> None:
        if not isinstance(track_id, QDBusObjectPath):
            raise InvalidValue("TrackId must be an object path")
        position = _int_in(position_us, "Position")
        if position < 0:
            raise InvalidValue("Position must not be negative")
        if track_id.path() == self.mpris.track_path():
            self.mpris.window.seek(position / 1e6)
