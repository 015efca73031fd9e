"""The two libvlc media players ("decks") of the libvlc backend, the hand-over between them, and its clock.

libvlc 3 has no gapless playback, and its end-of-track event is late: the input thread polls for its
decoders to drain every 100 ms, so ``EndReached`` arrives 0-100 ms after the last sample has played
(measured: ~90 ms), and a track started then begins ~35 ms later still (libvlc's start-up and pts delay).
Waiting for the event therefore leaves a ~130 ms hole between tracks (``benchmarks/gap.py``).

So, with ``gapless`` on, the next track waits *preloaded* in the second deck (media created and parsed, the
file warm in the page cache), and the worker schedules the hand-over itself: in the last
``_FINE_WINDOW_S`` of a track it polls the position every few milliseconds. libvlc 3 reports the
position of Ogg/Vorbis in steps of ~0.25-0.4 s (and not at all in the last ~1.3 s), but the instant a step
happens is precise, so the latest step anchors ``end = step instant + (length - position) / rate``; the next deck is started
``_HANDOVER_LEAD_S`` before that predicted end, which leaves a gap of a few ms instead of ~130 ms. The
outgoing deck plays its last milliseconds out and is stopped when its own end event arrives.
``EndReached`` stays the fallback when no precise anchor was seen (very short tracks, heavy load).
With a crossfade the next deck starts ``crossfade_s`` before the end and the two volumes follow an
equal-power ramp.

Why a module of its own: this is the timing-sensitive part (which deck plays, what waits preloaded,
when to start it, how the volumes ramp, and the position clock that times it all), apart from the public
``Player`` surface. ``player.playback.vlc.VlcPlayer`` owns one ``DeckPair``, turns its public calls and
libvlc's end/error messages into deck operations, and runs the worker thread that calls ``tick``.

Threading: nothing here locks or emits. Call every ``DeckPair`` method with the player's lock held; events
go to the player's outbox for its worker to deliver. libvlc runs the deck callbacks on its own threads,
where calling libvlc can deadlock, so they only put a message in the player's inbox.
"""

from __future__ import annotations

import math
import queue
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import vlc

from player.playback.base import PLAYING, STOPPED, ListenMeter, PlayItem, folder_gone, gain_to_volume
from player.playback.events import (
    Event,
    PlaybackError,
    PositionChanged,
    StateChanged,
    TrackEnded,
    TrackStarted,
)
from player.playback.settings import PlaybackSettings

#: Worker tick while a crossfade ramps (seconds).
_FADE_TICK_S = 0.05
#: Worker tick in the last seconds of a track, to catch position steps precisely (seconds).
_FINE_TICK_S = 0.004
#: Wall-clock seconds before the end of a track in which the worker polls finely. libvlc stops moving
#: the position once the demuxer reaches the end of the file, ~1.3 s before the audio ends, so the
#: window must start well before that.
_FINE_WINDOW_S = 4.0
#: A position step counts as an anchor only if the previous poll was at most this long before it.
_ANCHOR_PRECISION_S = 0.012
#: Start the next deck this long before the predicted end: libvlc's ~35 ms start-up minus the ~13 ms by
#: which the audio outlasts the predicted end (both measured with benchmarks/gap.py's callback sink).
_HANDOVER_LEAD_S = 0.020
#: Stop an outgoing deck that has not reported its end this long after the hand-over (seconds).
_OUTGOING_TIMEOUT_S = 3.0
# At the end of a track, credit at most this much more (in wall seconds, times the rate) than has
# elapsed since the position last moved: the rest of a header's claimed length was never played.
_END_SLACK_S = 2.0


class Deck:
    """One libvlc media player and the item loaded in it. ``gen`` changes at every load, so events
    still queued for a previous media are recognised and dropped."""

    def __init__(self, instance: vlc.Instance, index: int, inbox: queue.Queue[tuple[Any, ...]]) -> None:
        self.index = index
        self.mp = instance.media_player_new()
        self.item: PlayItem | None = None
        self.gen = 0
        self.meter = ListenMeter()
        self.started = False
        self.fade = 1.0  # amplitude factor of a running crossfade
        self.anchor: tuple[int, float] | None = None  # (position ms, monotonic instant it was reached)
        self.last_raw: int | None = None
        self.last_poll = 0.0
        self.advanced_at = 0.0  # monotonic instant the position last moved forward
        self.outgoing_since = 0.0
        manager = self.mp.event_manager()
        for kind, name in (
            (vlc.EventType.MediaPlayerEndReached, "end"),
            (vlc.EventType.MediaPlayerEncounteredError, "error"),
        ):
            # Runs on a libvlc thread: only enqueue, never block, never call libvlc.
            manager.event_attach(kind, lambda _event, n=name: inbox.put((self.index, self.gen, n)))

    def length(self) -> float | None:
        """The track's length in seconds: libvlc's once it knows it, else the item's own hint."""
        ms = self.mp.get_length()
        if ms and ms > 0:
            return ms / 1000.0
        return self.item.duration if self.item else None

    def reset_clock(self) -> None:
        """Forget the position samples (after a seek, a rate change, a pause): they no longer extrapolate."""
        self.anchor, self.last_raw, self.last_poll = None, None, 0.0
        self.advanced_at = time.monotonic()


class DeckPair:
    """The two decks, which one is current, the item waiting for the hand-over, and the playback state.

    ``open_media(item, start)`` makes the ``vlc.Media`` for an item (the player picks the libvlc options);
    events go to ``outbox``; the deck callbacks put ``(deck index, gen, "end" | "error")`` in ``inbox``.
    """

    def __init__(
        self,
        instance: vlc.Instance,
        settings: PlaybackSettings,
        inbox: queue.Queue[tuple[Any, ...]],
        outbox: deque[Event],
        open_media: Callable[[PlayItem, float], vlc.Media],
    ) -> None:
        self.settings = settings
        self.outbox = outbox
        self.open_media = open_media
        self.decks = [Deck(instance, 0, inbox), Deck(instance, 1, inbox)]
        self.cur = self.decks[0]
        self.next_item: PlayItem | None = None
        self.state = STOPPED
        self.volume = settings.volume
        self.rate = 1.0
        self.outgoing: Deck | None = None  # the previous track's deck, fading or playing its last ms
        self._fade: tuple[float, float] | None = None  # (monotonic start, wall seconds) of a crossfade
        self._last_position_emit = 0.0

    # -- deck operations --------------------------------------------------------------------------
    def idle(self) -> Deck:
        """The deck that does not play the current track."""
        return self.decks[1 - self.cur.index]

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.outbox.append(StateChanged(state))

    def apply_volume(self, deck: Deck) -> None:
        """Set ``deck``'s libvlc volume: the user volume, the item's ReplayGain, the crossfade factor."""
        gain = deck.item.gain_db if deck.item else 0.0
        volume = gain_to_volume(self.volume, gain) * deck.fade ** (1.0 / 3.0)
        deck.mp.audio_set_volume(int(round(volume)))

    def preload(self, deck: Deck, item: PlayItem | None) -> None:
        """Ready ``deck`` with ``item`` without starting it (or empty it)."""
        if item is not None and deck.item == item and not deck.started:
            return
        self.stop_deck(deck)
        deck.item = item
        if item is None or not self.settings.gapless and self.settings.crossfade_s <= 0:
            return
        media = self.open_media(item, 0.0)
        media.parse_with_options(vlc.MediaParseFlag.local, 0)  # async; warms the file and its headers
        deck.mp.set_media(media)
        deck.meter = ListenMeter()

    def stop_deck(self, deck: Deck) -> None:
        if deck.started or deck.mp.get_media() is not None:
            deck.mp.stop()
        deck.gen += 1
        deck.started = False
        deck.fade = 1.0
        deck.reset_clock()

    def start_deck(
        self,
        deck: Deck,
        item: PlayItem,
        transition: str,
        *,
        start: float = 0.0,
        play: bool = True,
        fade: float = 1.0,
    ) -> None:
        """Start ``item`` on ``deck`` (reusing its preloaded media when it holds this item)."""
        preloaded = deck.item == item and not deck.started and deck.mp.get_media() is not None
        if not preloaded or start > 0:
            self.stop_deck(deck)
            deck.mp.set_media(self.open_media(item, start))
        deck.item = item
        deck.gen += 1
        deck.meter = ListenMeter(start)
        deck.fade = fade
        deck.reset_clock()
        self.apply_volume(deck)
        self.cur = deck
        if not play:
            self.set_state(STOPPED)
            return
        if deck.mp.play() == -1:
            self.outbox.append(TrackStarted(item, transition, deck.length()))
            self.fail_current("libvlc could not start playback")
            return
        deck.started = True
        if self.rate != 1.0:
            deck.mp.set_rate(self.rate)
        self.outbox.append(TrackStarted(item, transition, deck.length()))
        self.set_state(PLAYING)
        self._last_position_emit = time.monotonic()

    def end_current(self, reason: str, *, at_end: bool = False) -> None:
        """Emit ``TrackEnded`` for the current item if it is playing or paused."""
        deck = self.cur
        if deck.item is None or self.state == STOPPED:
            return
        length = deck.length()
        if at_end and length:
            self.sample_position(deck)
            # Played to the end: credit the tail since the last sample, but only as much as can have
            # played since then. A header that claims more (a FLAC "10 hours" long that ends after 9 s)
            # is wrong: the end the decoder reached is the track's real length.
            since = time.monotonic() - deck.advanced_at
            rate = max(self.rate, 1e-3)
            if length - deck.meter.position <= (since + _END_SLACK_S) * max(rate, 1.0):
                deck.meter.update(length)
            else:
                deck.meter.update(deck.meter.position + since * rate)
                length = deck.meter.position
        else:
            self.sample_position(deck)
        self.outbox.append(TrackEnded(deck.item, reason, deck.meter.position, length, deck.meter.listened))

    def hand_over(self, transition: str, *, keep_old: bool = False) -> None:
        """Make the next item current: start the preloaded deck first, then let go of the old one
        (``keep_old``: it still plays its last samples or fades out, and is stopped at its end)."""
        item, old = self.next_item, self.cur
        self.next_item = None
        if item is None:
            self.stop_deck(old)
            self.set_state(STOPPED)
            return
        idle = self.idle()
        if (self.settings.gapless or keep_old) and idle.item == item and not idle.started:
            self.start_deck(idle, item, transition, fade=0.0 if transition == "crossfade" else 1.0)
            if keep_old:
                self.drop_outgoing()
                self.outgoing = old
                old.outgoing_since = time.monotonic()
            else:
                self.stop_deck(old)
        else:
            self.start_deck(old, item, transition)

    def fail_current(self, message: str) -> None:
        """Report the current item as failed and go on with the next one."""
        deck = self.cur
        item = deck.item
        self.outbox.append(PlaybackError(item, message))
        length = deck.length()
        self.outbox.append(TrackEnded(item, "error", deck.meter.position, length, deck.meter.listened))
        self.state = (
            PLAYING  # so that a stop below is told, and the hand-over not mistaken for a stopped player
        )
        if folder_gone(item.path):  # the music folder is gone: stop here rather than fail through the queue
            self.stop_deck(deck)
            self.set_state(STOPPED)
            return
        self.hand_over("auto")

    def drop_outgoing(self) -> None:
        """Stop the outgoing deck now (a fade is cut short) and preload the next item into it."""
        old, self.outgoing, self._fade = self.outgoing, None, None
        if old is None:
            return
        self.stop_deck(old)
        old.item = None
        if self.cur.fade != 1.0:
            self.cur.fade = 1.0
            self.apply_volume(self.cur)
        self.preload(old, self.next_item)

    def _start_crossfade(self, remaining: float) -> None:
        item, idle = self.next_item, self.idle()
        if idle.item != item:
            self.preload(idle, item)
        self.end_current("eos")
        self.hand_over("crossfade", keep_old=True)
        self._fade = (time.monotonic(), max(remaining / max(self.rate, 1e-3), _FADE_TICK_S))
        self._step_fade()

    def _step_fade(self) -> None:
        if self.outgoing is None:  # the old deck could not be kept (nothing preloaded): no fade
            self._fade = None
            return
        started, length = self._fade
        f = min((time.monotonic() - started) / length, 1.0)
        self.outgoing.fade, self.cur.fade = math.cos(f * math.pi / 2), math.sin(f * math.pi / 2)
        self.apply_volume(self.outgoing)
        self.apply_volume(self.cur)
        if f >= 1.0:
            self.drop_outgoing()

    # -- the clock --------------------------------------------------------------------------------
    def sample_position(self, deck: Deck) -> float:
        """Poll libvlc's position: feed the listen meter and the hand-over anchor."""
        if not deck.started or self.state != PLAYING:
            return deck.meter.position
        now = time.monotonic()
        raw = deck.mp.get_time()
        # The position only moves forward between our own seeks (which reset the clock); libvlc reports
        # 0 once the demuxer has finished, while the last second of audio still plays.
        if raw is not None and raw >= 0 and (deck.last_raw is None or raw >= deck.last_raw):
            if (
                deck.last_raw is not None
                and raw != deck.last_raw
                and now - deck.last_poll <= _ANCHOR_PRECISION_S
            ):
                deck.anchor = (raw, now)  # stays valid while playback runs linearly
            if deck.last_raw is None or raw > deck.last_raw:
                deck.advanced_at = now
            deck.last_raw = raw
            deck.meter.update(raw / 1000.0)
        deck.last_poll = now
        return deck.meter.position

    def _estimated_position(self, deck: Deck, now: float) -> float:
        """The position extrapolated from the latest precise step (libvlc's own is coarse and stops
        moving ~1.3 s before the end); the polled position when there is no anchor."""
        if deck.anchor is None or self.rate <= 0:
            return deck.meter.position
        anchor_ms, anchor_at = deck.anchor
        return max(anchor_ms / 1000.0 + (now - anchor_at) * self.rate, deck.meter.position)

    def _fine_mode(self) -> bool:
        """Near the end of a track whose successor waits preloaded: poll finely to time the hand-over."""
        deck = self.cur
        crossfade = self.settings.crossfade_s
        if self.state != PLAYING or not deck.started or self.next_item is None:
            return False
        if not self.settings.gapless and crossfade <= 0:
            return False
        length = deck.length()
        if not length or self.rate <= 0:
            return False
        return (length - deck.meter.position - crossfade) / self.rate < _FINE_WINDOW_S

    def next_timeout(self) -> float:
        """How long the worker may wait for a message before the next ``tick`` (seconds)."""
        if self._fade is not None:
            return _FADE_TICK_S
        if self._fine_mode():
            return _FINE_TICK_S
        return min(self.settings.position_interval_s, 0.25)

    # -- the worker's tick -------------------------------------------------------------------------
    def tick(self) -> None:
        """Step the crossfade, time the hand-over from the clock, and report the position now and then."""
        now = time.monotonic()
        if self._fade is not None:
            self._step_fade()
        elif self.outgoing is not None and now - self.outgoing.outgoing_since > _OUTGOING_TIMEOUT_S:
            self.drop_outgoing()
        deck = self.cur
        if deck.item is None or self.state != PLAYING or not deck.started:
            return
        position = self.sample_position(deck)
        length = deck.length()
        if self.next_item is not None and length and self.outgoing is None and self._fade is None:
            remaining = length - self._estimated_position(deck, now)
            if self.settings.crossfade_s > 0 and length > 2 * self.settings.crossfade_s:
                if remaining <= self.settings.crossfade_s:
                    deck.meter.update(length - max(remaining, 0.0))  # credit up to the fade's start
                    self._start_crossfade(max(remaining, 0.0))
                    return
            elif self.settings.gapless and deck.anchor is not None and self.rate > 0:
                if remaining / self.rate <= _HANDOVER_LEAD_S:
                    self.end_current("eos", at_end=True)
                    self.hand_over("auto", keep_old=True)
                    return
        if now - self._last_position_emit >= self.settings.position_interval_s:
            self._last_position_emit = now
            self.outbox.append(PositionChanged(deck.item, position, length, deck.meter.listened))
