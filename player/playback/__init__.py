"""Playback engines behind one ``Player`` interface: libvlc for sound, a null player for silent tests.

``create_player(settings, backend)`` picks one; ``player.session.PlaybackController`` wires a player to
the queue and the listening log, and is what the CLI and the UI use.
"""

from __future__ import annotations

from player.playback.base import PAUSED, PLAYING, STOPPED, Player, PlayItem
from player.playback.events import (
    EventBus,
    PlaybackError,
    PositionChanged,
    StateChanged,
    TrackEnded,
    TrackStarted,
)
from player.playback.settings import PlaybackSettings

BACKENDS = ("vlc", "null")


def create_player(settings: PlaybackSettings | None = None, backend: str = "vlc") -> Player:
    """A new player; "vlc" imports python-vlc only here, so importing this package stays cheap."""
    if backend == "vlc":
        from player.playback.vlc import VlcPlayer

        return VlcPlayer(settings)
    if backend == "null":
        from player.playback.null import NullPlayer

        return NullPlayer(settings)
    raise ValueError(f"unknown playback backend {backend!r} (choose from {BACKENDS})")


__all__ = [
    "BACKENDS",
    "PAUSED",
    "PLAYING",
    "STOPPED",
    "EventBus",
    "PlayItem",
    "PlaybackError",
    "PlaybackSettings",
    "Player",
    "PositionChanged",
    "StateChanged",
    "TrackEnded",
    "TrackStarted",
    "create_player",
]
