"""Player events and finished plays, moved from the player's thread to the GUI thread as Qt signals.

The core calls its subscribers on its own event thread; Qt delivers a signal emitted there to slots on
the GUI thread through a queued connection (the bridge lives on the GUI thread), so no widget is ever
touched from the player's thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from player.playback.events import PlaybackError, PositionChanged, StateChanged, TrackEnded, TrackStarted


class PlaybackBridge(QObject):
    trackStarted = Signal(object)  # TrackStarted
    positionChanged = Signal(float, float)  # position, duration (0 when unknown)
    trackEnded = Signal(object)  # TrackEnded
    stateChanged = Signal(str)
    error = Signal(str)
    playFinished = Signal(object)  # player.listening.FinishedPlay

    def __init__(self, controller: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._describe = getattr(controller, "describe_error", lambda event: event.message)
        self._unsubscribe = [
            controller.events.subscribe(self._on_event),
            controller.on_play_finished(self.playFinished.emit),
        ]
        on_problem = getattr(getattr(controller, "log", None), "on_problem", None)
        if on_problem is not None:  # plays the database refuses (a full disk): say so in the status bar
            self._unsubscribe.append(on_problem(lambda message: message and self.error.emit(message)))

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []

    def _on_event(self, event: Any) -> None:
        if isinstance(event, PositionChanged):
            self.positionChanged.emit(float(event.position), float(event.duration or 0.0))
        elif isinstance(event, TrackStarted):
            self.trackStarted.emit(event)
        elif isinstance(event, TrackEnded):
            self.trackEnded.emit(event)
        elif isinstance(event, StateChanged):
            self.stateChanged.emit(event.state)
        elif isinstance(event, PlaybackError):
            self.error.emit(self._describe(event))
