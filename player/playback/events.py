"""Playback events and the small thread-safe bus that delivers them.

Backends emit events from their own worker thread (the libvlc backend never from libvlc's callback thread
itself: those callbacks only enqueue). Subscribers run on that emitting thread, so they must be quick and
must not touch widgets: the UI re-emits them as Qt signals (queued connection) to reach the GUI thread.
A subscriber that raises is logged and does not stop the others, nor the player.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

#: How a track ended: it played out; the user moved to another track (next/previous/picked another);
#: playback was stopped; or the file failed to open or decode.
END_REASONS = ("eos", "next", "previous", "replaced", "stopped", "error")


@dataclass(frozen=True)
class TrackStarted:
    """A track began playing. ``transition``: "load" (explicitly loaded), "auto" (started by itself when
    the previous one ended: the gapless hand-over), "crossfade", or "next" (user skipped to it)."""

    item: Any
    transition: str
    duration: float | None


@dataclass(frozen=True)
class PositionChanged:
    """Periodic while playing, and after a seek; ``listened`` excludes seeked-over time."""

    item: Any
    position: float
    duration: float | None
    listened: float


@dataclass(frozen=True)
class TrackEnded:
    """A track stopped being the current one; ``reason`` is one of ``END_REASONS``."""

    item: Any
    reason: str
    position: float
    duration: float | None
    listened: float


@dataclass(frozen=True)
class PlaybackError:
    """The file could not be opened or decoded; a ``TrackEnded(reason="error")`` follows."""

    item: Any
    message: str


@dataclass(frozen=True)
class StateChanged:
    """The player's state: "stopped", "playing" or "paused"."""

    state: str


Event = TrackStarted | PositionChanged | TrackEnded | PlaybackError | StateChanged
Subscriber = Callable[[Event], None]


class EventBus:
    """Subscribers are called in subscription order on the emitting thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Register ``callback``; returns a function that unsubscribes it."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def emit(self, event: Event) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:  # a broken subscriber must not take the player down
                log.exception("playback event subscriber %r failed on %r", callback, event)
