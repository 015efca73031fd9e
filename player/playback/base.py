"""The ``Player`` interface every backend implements, and the bookkeeping they share.

A player plays one ``PlayItem`` at a time and may hold one *next* item (``set_next``) that it preloads and
starts by itself the moment the current one ends (gapless or crossfaded). It knows nothing of queues or
history: the controller (``player.session``) keeps the queue and tells the player what comes next, and
implements "previous". All methods are safe to call from any thread; events arrive through ``events``.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from player.playback.events import EventBus

STOPPED, PLAYING, PAUSED = "stopped", "playing", "paused"


@dataclass(frozen=True)
class PlayItem:
    """What to play: a file, its ReplayGain adjustment, and an opaque ``key`` for the caller (the queue
    entry id). ``duration`` is a hint used until the backend knows the real length."""

    path: str
    key: Any = None
    gain_db: float = 0.0
    duration: float | None = None


class ListenMeter:
    """Seconds actually listened to one track: forward position progress, minus seeked-over time.

    Fed with every position sample; ``seeked`` re-bases it so the jump is not counted. Samples that go
    backwards without a seek are stale or jittery reports and are ignored, as are, right after a seek,
    samples still reporting the old position (outside ``[target - STALE_S, target + SETTLE_S]``).
    """

    STALE_S = 0.5
    SETTLE_S = 3.0

    def __init__(self, start: float = 0.0) -> None:
        self.listened = 0.0
        self.position = start
        self._seek_target: float | None = None

    def update(self, position: float) -> float:
        if self._seek_target is not None:
            if not self._seek_target - self.STALE_S <= position <= self._seek_target + self.SETTLE_S:
                return self.listened  # the backend has not caught up with the seek yet
            self._seek_target = None
            self.position = min(self.position, position)
        if position > self.position:
            self.listened += position - self.position
            self.position = position
        return self.listened

    def seeked(self, position: float) -> None:
        self.position = position
        self._seek_target = position


def folder_gone(path: str) -> bool:
    """The folder that held ``path`` is gone as well (an unplugged drive, a renamed music folder). A player
    then stops on the failed file instead of going on with the next: every queued file after it is usually
    in the same folder, and going on would fail through the whole queue in a second (``player.failed_files``)."""
    folder = os.path.dirname(path)
    return bool(folder) and not os.path.isdir(folder)


def gain_to_volume(volume: int, gain_db: float) -> int:
    """The libvlc volume (percent) that plays at user ``volume`` with ``gain_db`` of ReplayGain.

    libvlc maps its volume to amplitude cubically (software volume and PulseAudio alike: amplitude =
    (volume / 100) ** 3), so a linear amplitude factor g needs a volume factor of g ** (1 / 3). libvlc
    accepts up to 200 % (amplitude x8).
    """
    amplitude = 10.0 ** (gain_db / 20.0)
    return int(round(min(max(volume * amplitude ** (1.0 / 3.0), 0.0), 200.0)))


class Player(ABC):
    """Abstract player. Subclasses emit ``TrackStarted``, ``PositionChanged``, ``TrackEnded``,
    ``PlaybackError`` and ``StateChanged`` on ``self.events``."""

    def __init__(self) -> None:
        self.events = EventBus()
        self._lock = threading.RLock()

    # -- what plays -------------------------------------------------------------------------------
    @abstractmethod
    def load(self, item: PlayItem, *, start: float = 0.0, play: bool = True) -> None:
        """Make ``item`` current (ending the current one with reason "replaced") and play it."""

    @abstractmethod
    def set_next(self, item: PlayItem | None) -> None:
        """What to play when the current track ends (preloaded); None: stop at the end."""

    @abstractmethod
    def next(self) -> bool:
        """User skip: end the current track (reason "next") and start the next item if any."""

    # -- transport --------------------------------------------------------------------------------
    @abstractmethod
    def play(self) -> None:
        """Resume (or restart the current item after a stop)."""

    @abstractmethod
    def pause(self) -> None: ...

    def toggle(self) -> None:
        if self.state == PLAYING:
            self.pause()
        else:
            self.play()

    @abstractmethod
    def stop(self) -> None:
        """End the current track (reason "stopped"); it stays loaded so ``play`` restarts it."""

    @abstractmethod
    def seek(self, seconds: float) -> None: ...

    @abstractmethod
    def set_volume(self, volume: int) -> None:
        """User volume 0..100; ReplayGain is applied on top per track."""

    @abstractmethod
    def set_rate(self, rate: float) -> None:
        """Playback speed (1.0 normal); tests use high rates to reach the end quickly."""

    @abstractmethod
    def shutdown(self) -> None:
        """Stop and release everything (the current track ends with reason "stopped")."""

    # -- audio output -----------------------------------------------------------------------------
    def output_devices(self) -> list[tuple[str, str]]:
        """(device id, description) of the audio output's devices, as the backend lists them."""
        return []

    def set_output_device(self, device: str | None) -> None:
        """Play through ``device`` (an id from ``output_devices``; None: the output's default)."""
        _ = device  # backends without devices ignore it

    def audio_reaches_output(self) -> bool | None:
        """False when the current track decodes but no audio reaches a device (no sound card, a
        broken output); True when it does; None when playback has not run long enough to tell."""
        return None

    def no_sound_message(self) -> str:
        """What to tell the listener when ``audio_reaches_output`` is False (the app's notice and
        ``encore play`` say the same)."""
        output = getattr(getattr(self, "settings", None), "audio_output", None) or "the default output"
        return (
            f"no sound is reaching an audio device ({output}): check that speakers or headphones are "
            "connected, or choose another output in Encore's Settings"
        )

    # -- what is playing --------------------------------------------------------------------------
    @property
    @abstractmethod
    def state(self) -> str: ...

    @property
    @abstractmethod
    def current(self) -> PlayItem | None: ...

    @property
    @abstractmethod
    def position(self) -> float:
        """Seconds into the current track."""

    @property
    @abstractmethod
    def duration(self) -> float | None:
        """Length of the current track in seconds, when known."""

    @property
    @abstractmethod
    def volume(self) -> int: ...
