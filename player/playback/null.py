"""A silent player with a fake clock, for tests and tools that need playback logic but no sound.

Time only moves when ``advance(seconds)`` is called, so tests of the queue, the listening log and the
controller are exact and instant. Like Quod Libet's null backend, it still checks that the file exists
(a missing or unreadable file gives an error event) and it takes durations from the items' hints.
Events are emitted synchronously, on the thread that called the method.
"""

from __future__ import annotations

import os

from player.playback.base import PAUSED, PLAYING, STOPPED, ListenMeter, Player, PlayItem, folder_gone
from player.playback.events import (
    Event,
    PlaybackError,
    PositionChanged,
    StateChanged,
    TrackEnded,
    TrackStarted,
)
from player.playback.settings import PlaybackSettings

#: Duration assumed for items that carry no duration hint.
DEFAULT_DURATION_S = 180.0


class NullPlayer(Player):
    def __init__(self, settings: PlaybackSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or PlaybackSettings()
        self._item: PlayItem | None = None
        self._next_item: PlayItem | None = None
        self._state = STOPPED
        self._meter = ListenMeter()
        self._volume = self.settings.volume
        self._rate = 1.0
        self._since_position = 0.0

    # -- fake clock -------------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of wall-clock time pass (media time moves ``seconds × rate``)."""
        remaining = seconds * self._rate
        step = self.settings.position_interval_s * self._rate
        while remaining > 1e-9 and self._state == PLAYING and self._item is not None:
            delta = min(step - self._since_position, remaining)
            remaining -= delta
            self._since_position += delta
            duration = self.duration or DEFAULT_DURATION_S
            position = self._meter.position + delta
            if position >= duration:
                self._meter.update(duration)
                remaining += position - duration  # time left over flows into the next track
                self._emit(TrackEnded(self._item, "eos", duration, duration, self._meter.listened))
                self._hand_over("auto")
                continue
            self._meter.update(position)
            if self._since_position >= step - 1e-9:
                self._since_position = 0.0
                self._emit(PositionChanged(self._item, position, duration, self._meter.listened))

    # -- Player -----------------------------------------------------------------------------------
    def load(self, item: PlayItem, *, start: float = 0.0, play: bool = True) -> None:
        self._end("replaced")
        self._start(item, "load", start=start, play=play)

    def set_next(self, item: PlayItem | None) -> None:
        self._next_item = item

    def next(self) -> bool:
        self._end("next")
        if self._next_item is None:
            self._set_state(STOPPED)
            return False
        self._hand_over("next")
        return True

    def play(self) -> None:
        if self._item is None:
            return
        if self._state == PAUSED:
            self._set_state(PLAYING)
        elif self._state == STOPPED:
            self._start(self._item, "load")

    def pause(self) -> None:
        if self._state == PLAYING:
            self._set_state(PAUSED)

    def stop(self) -> None:
        self._end("stopped")
        self._set_state(STOPPED)

    def seek(self, seconds: float) -> None:
        if self._item is None or self._state == STOPPED:
            return
        duration = self.duration or DEFAULT_DURATION_S
        target = max(0.0, min(seconds, duration - 0.05))
        self._meter.seeked(target)
        self._emit(PositionChanged(self._item, target, duration, self._meter.listened))

    def set_volume(self, volume: int) -> None:
        self._volume = min(max(int(volume), 0), 100)

    def set_rate(self, rate: float) -> None:
        self._rate = float(rate)

    def shutdown(self) -> None:
        self.stop()

    @property
    def state(self) -> str:
        return self._state

    @property
    def current(self) -> PlayItem | None:
        return self._item

    @property
    def position(self) -> float:
        return self._meter.position

    @property
    def duration(self) -> float | None:
        if self._item is None:
            return None
        return self._item.duration or DEFAULT_DURATION_S

    @property
    def volume(self) -> int:
        return self._volume

    @property
    def next_item(self) -> PlayItem | None:
        return self._next_item

    # -- internals --------------------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        self.events.emit(event)

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self._emit(StateChanged(state))

    def _end(self, reason: str) -> None:
        if self._item is not None and self._state != STOPPED:
            m = self._meter
            self._emit(TrackEnded(self._item, reason, m.position, self.duration, m.listened))

    def _start(self, item: PlayItem, transition: str, *, start: float = 0.0, play: bool = True) -> None:
        self._item = item
        self._meter = ListenMeter(start)
        self._since_position = 0.0
        if not play:
            self._set_state(STOPPED)
            return
        self._emit(TrackStarted(item, transition, self.duration))
        if not os.access(item.path, os.R_OK) or not os.path.isfile(item.path):
            self._emit(PlaybackError(item, f"cannot open {item.path}"))
            self._emit(TrackEnded(item, "error", start, self.duration, 0.0))
            self._state = PLAYING  # so that the stop below is told, and the hand-over not taken for one
            if folder_gone(item.path):  # as the real player: stop here rather than fail through the queue
                self._set_state(STOPPED)
                return
            self._hand_over("auto")
            return
        self._set_state(PLAYING)

    def _hand_over(self, transition: str) -> None:
        item, self._next_item = self._next_item, None
        if item is None:
            self._set_state(STOPPED)
            return
        self._start(item, transition)
