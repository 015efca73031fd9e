"""The libvlc backend: two media players ("decks") for near-gapless hand-over and crossfade.

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

Threading: libvlc calls event callbacks on its own threads, and calling libvlc from inside them can
deadlock. The callbacks here only put a message in a queue; one worker thread ("encore-vlc") handles the
messages, samples the position, schedules hand-overs, runs the crossfade ramp, and is the only thread that
emits events, so subscribers see them in order and always on that thread. Public methods may be called
from any thread; they take the player's lock and queue their events for the worker.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import vlc

from player.playback.base import PAUSED, PLAYING, STOPPED, ListenMeter, Player, PlayItem, gain_to_volume
from player.playback.events import (
    Event,
    PlaybackError,
    PositionChanged,
    StateChanged,
    TrackEnded,
    TrackStarted,
)
from player.playback.settings import PlaybackSettings

log = logging.getLogger(__name__)

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


#: Seconds of playback after which "decoded but nothing played" means no audio device.
_AUDIO_CHECK_S = 1.0

#: Demuxer for Ogg files (Vorbis, Opus, FLAC in Ogg). libvlc 3's own Ogg demuxer seeks a single-stream
#: Vorbis file blindly: byte offset = time x the *nominal* bitrate of the Vorbis header
#: (``Oggseek_BlindSeektoAbsoluteTime`` in modules/demux/oggseek.c, "be smart with audio fixed bitrate
#: streams"). Vorbis is VBR, so ``start-time``/``set_time`` land where that byte happens to be: measured
#: on the Wesnoth corpus 0.3-7 s late (knalgan_theme 306 s -> 312.3 s, wanderer 60 s -> 65.9 s, by the
#: reported time and by matching the ``afile`` output against the decoded file), and fast seek on or
#: off makes no difference. libavformat's Ogg demuxer bisects on granule positions and lands within
#: ~0.1 s (same files). ``any`` keeps libvlc's own demuxers as the fallback when libavformat cannot
#: open a file (or the plugin is missing).
_OGG_DEMUX = ":demux=avformat,any"


def _is_ogg(path: str) -> bool:
    """Whether ``path`` starts like an Ogg stream ("OggS"), whatever its extension says."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"OggS"
    except OSError:
        return False  # libvlc reports the missing file itself


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")


def vlc_args(settings: PlaybackSettings) -> list[str]:
    """libvlc instance arguments: no video, no interface, the configured audio output."""
    args = ["--no-video", "--intf=dummy", "--no-metadata-network-access", "--quiet"]
    if settings.audio_output:
        args.append(f"--aout={settings.audio_output}")
    return args + list(settings.extra_vlc_args)


class _Deck:
    """One libvlc media player and the item loaded in it. ``gen`` changes at every load, so events
    still queued for a previous media are recognised and dropped."""

    def __init__(self, owner: VlcPlayer, index: int) -> None:
        self.index = index
        self.mp = owner._instance.media_player_new()
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
            manager.event_attach(kind, lambda _event, n=name: owner._inbox.put((self.index, self.gen, n)))

    def length(self) -> float | None:
        ms = self.mp.get_length()
        if ms and ms > 0:
            return ms / 1000.0
        return self.item.duration if self.item else None

    def reset_clock(self) -> None:
        self.anchor, self.last_raw, self.last_poll = None, None, 0.0
        self.advanced_at = time.monotonic()


class VlcPlayer(Player):
    """A ``Player`` on python-vlc. ``settings.audio_output`` picks the output (None: libvlc default).

    ``configure`` is called with each of the two ``vlc.MediaPlayer`` objects once, before use (the gap
    benchmark installs its recording audio callbacks there; an equaliser could be set the same way).
    """

    def __init__(
        self,
        settings: PlaybackSettings | None = None,
        configure: Callable[[vlc.MediaPlayer], None] | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or PlaybackSettings()
        self._instance = vlc.Instance(vlc_args(self.settings))
        if self._instance is None:
            raise RuntimeError(f"libvlc could not start with {vlc_args(self.settings)}")
        self._inbox: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._outbox: deque[Event] = deque()
        self._decks = [_Deck(self, 0), _Deck(self, 1)]
        if configure is not None:
            for deck in self._decks:
                configure(deck.mp)
        if self.settings.audio_device:
            for deck in self._decks:
                deck.mp.audio_output_device_set(None, self.settings.audio_device)
        self._cur = self._decks[0]
        self._next_item: PlayItem | None = None
        self._state = STOPPED
        self._volume = self.settings.volume
        self._rate = 1.0
        self._outgoing: _Deck | None = None  # the previous track's deck, fading or playing its last ms
        self._fade: tuple[float, float] | None = None  # (monotonic start, wall seconds) of a crossfade
        self._last_position_emit = 0.0
        self._closed = False
        self._worker = threading.Thread(target=self._run, name="encore-vlc", daemon=True)
        self._worker.start()

    # -- public API -------------------------------------------------------------------------------
    def load(self, item: PlayItem, *, start: float = 0.0, play: bool = True) -> None:
        with self._lock:
            self._end_current("replaced")
            self._drop_outgoing()
            self._start_deck(self._cur, item, "load", start=start, play=play)
        self._wake()

    def set_next(self, item: PlayItem | None) -> None:
        with self._lock:
            self._next_item = item
            idle = self._idle()
            if idle is not self._outgoing:  # else: preloaded once the outgoing deck is done
                self._preload(idle, item)

    def next(self) -> bool:
        with self._lock:
            self._drop_outgoing()
            self._end_current("next")
            if self._next_item is None:
                self._stop_deck(self._cur)
                self._set_state(STOPPED)
                return False
            self._hand_over("next")
        self._wake()
        return True

    def play(self) -> None:
        with self._lock:
            deck = self._cur
            if deck.item is None:
                return
            if self._state == PAUSED:
                deck.mp.set_pause(0)
                deck.reset_clock()
                if self._outgoing is not None:
                    self._outgoing.mp.set_pause(0)
                self._set_state(PLAYING)
            elif self._state == STOPPED:
                self._start_deck(deck, deck.item, "load")
        self._wake()

    def pause(self) -> None:
        with self._lock:
            if self._state != PLAYING:
                return
            self._sample_position(self._cur)
            self._cur.mp.set_pause(1)
            if self._outgoing is not None:
                self._outgoing.mp.set_pause(1)
            self._set_state(PAUSED)
        self._wake()

    def stop(self) -> None:
        with self._lock:
            self._drop_outgoing()
            self._end_current("stopped")
            self._stop_deck(self._cur)
            self._set_state(STOPPED)
        self._wake()

    def seek(self, seconds: float) -> None:
        with self._lock:
            deck = self._cur
            if deck.item is None or self._state == STOPPED:
                return
            self._sample_position(deck)
            self._drop_outgoing()
            length = deck.length()
            target = max(0.0, min(seconds, length - 0.05 if length else seconds))
            deck.mp.set_time(int(target * 1000))
            deck.meter.seeked(target)
            deck.reset_clock()
            self._outbox.append(PositionChanged(deck.item, target, length, deck.meter.listened))
        self._wake()

    def set_volume(self, volume: int) -> None:
        with self._lock:
            self._volume = min(max(int(volume), 0), 100)
            self._apply_volume(self._cur)
            if self._outgoing is not None:
                self._apply_volume(self._outgoing)

    def set_rate(self, rate: float) -> None:
        with self._lock:
            self._rate = float(rate)
            for deck in self._decks:
                deck.reset_clock()
                if deck.started:
                    deck.mp.set_rate(self._rate)

    def shutdown(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._drop_outgoing()
            self._end_current("stopped")
            self._set_state(STOPPED)
            self._closed = True
        self._wake()
        self._worker.join(timeout=10)
        for deck in self._decks:
            deck.mp.stop()
            deck.mp.release()
        self._instance.release()

    # -- audio output -----------------------------------------------------------------------------
    def output_devices(self) -> list[tuple[str, str]]:
        with self._lock:
            found: list[tuple[str, str]] = []
            node = self._cur.mp.audio_output_device_enum()
            first = node
            while node:
                device, description = node.contents.device, node.contents.description
                found.append((_text(device), _text(description) or _text(device)))
                node = node.contents.next
            if first:
                vlc.libvlc_audio_output_device_list_release(first)
            return found

    def set_output_device(self, device: str | None) -> None:
        with self._lock:
            self.settings.audio_device = device
            for deck in self._decks:
                deck.mp.audio_output_device_set(None, device or "")

    def audio_reaches_output(self) -> bool | None:
        with self._lock:
            deck = self._cur
            if not deck.started or self._state != PLAYING or deck.meter.listened < _AUDIO_CHECK_S:
                return None
            media = deck.mp.get_media()
            stats = vlc.MediaStats()
            if media is None or not media.get_stats(stats) or stats.decoded_audio <= 0:
                return None
            return stats.played_abuffers > 0

    @property
    def state(self) -> str:
        return self._state

    @property
    def current(self) -> PlayItem | None:
        return self._cur.item

    @property
    def position(self) -> float:
        with self._lock:
            return self._sample_position(self._cur)

    @property
    def duration(self) -> float | None:
        with self._lock:
            return self._cur.length() if self._cur.item else None

    @property
    def volume(self) -> int:
        return self._volume

    @property
    def next_item(self) -> PlayItem | None:
        return self._next_item

    @property
    def deck_index(self) -> int:
        """Which of the two libvlc media players plays the current track (0 or 1; for diagnostics)."""
        return self._cur.index

    # -- internals (called with the lock held) ----------------------------------------------------
    def _idle(self) -> _Deck:
        return self._decks[1 - self._cur.index]

    def _wake(self) -> None:
        self._inbox.put(("wake",))

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self._outbox.append(StateChanged(state))

    def _apply_volume(self, deck: _Deck) -> None:
        gain = deck.item.gain_db if deck.item else 0.0
        volume = gain_to_volume(self._volume, gain) * deck.fade ** (1.0 / 3.0)
        deck.mp.audio_set_volume(int(round(volume)))

    def _media(self, item: PlayItem, start: float = 0.0) -> vlc.Media:
        media = self._instance.media_new_path(item.path)
        if _is_ogg(item.path):
            media.add_option(_OGG_DEMUX)  # precise seeks; see _OGG_DEMUX
        if start > 0:
            media.add_option(f":start-time={start:.3f}")
        return media

    def _preload(self, deck: _Deck, item: PlayItem | None) -> None:
        """Ready ``deck`` with ``item`` without starting it (or empty it)."""
        if item is not None and deck.item == item and not deck.started:
            return
        self._stop_deck(deck)
        deck.item = item
        if item is None or not self.settings.gapless and self.settings.crossfade_s <= 0:
            return
        media = self._media(item)
        media.parse_with_options(vlc.MediaParseFlag.local, 0)  # async; warms the file and its headers
        deck.mp.set_media(media)
        deck.meter = ListenMeter()

    def _stop_deck(self, deck: _Deck) -> None:
        if deck.started or deck.mp.get_media() is not None:
            deck.mp.stop()
        deck.gen += 1
        deck.started = False
        deck.fade = 1.0
        deck.reset_clock()

    def _start_deck(
        self,
        deck: _Deck,
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
            self._stop_deck(deck)
            deck.mp.set_media(self._media(item, start))
        deck.item = item
        deck.gen += 1
        deck.meter = ListenMeter(start)
        deck.fade = fade
        deck.reset_clock()
        self._apply_volume(deck)
        self._cur = deck
        if not play:
            self._set_state(STOPPED)
            return
        if deck.mp.play() == -1:
            self._outbox.append(TrackStarted(item, transition, deck.length()))
            self._fail_current("libvlc could not start playback")
            return
        deck.started = True
        if self._rate != 1.0:
            deck.mp.set_rate(self._rate)
        self._outbox.append(TrackStarted(item, transition, deck.length()))
        self._set_state(PLAYING)
        self._last_position_emit = time.monotonic()

    def _sample_position(self, deck: _Deck) -> float:
        """Poll libvlc's position: feed the listen meter and the hand-over anchor."""
        if not deck.started or self._state != PLAYING:
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

    def _end_current(self, reason: str, *, at_end: bool = False) -> None:
        """Emit ``TrackEnded`` for the current item if it is playing or paused."""
        deck = self._cur
        if deck.item is None or self._state == STOPPED:
            return
        length = deck.length()
        if at_end and length:
            self._sample_position(deck)
            # Played to the end: credit the tail since the last sample, but only as much as can have
            # played since then. A header that claims more (a FLAC "10 hours" long that ends after 9 s)
            # is wrong: the end the decoder reached is the track's real length.
            since = time.monotonic() - deck.advanced_at
            rate = max(self._rate, 1e-3)
            if length - deck.meter.position <= (since + _END_SLACK_S) * max(rate, 1.0):
                deck.meter.update(length)
            else:
                deck.meter.update(deck.meter.position + since * rate)
                length = deck.meter.position
        else:
            self._sample_position(deck)
        self._outbox.append(TrackEnded(deck.item, reason, deck.meter.position, length, deck.meter.listened))

    def _hand_over(self, transition: str, *, keep_old: bool = False) -> None:
        """Make the next item current: start the preloaded deck first, then let go of the old one
        (``keep_old``: it still plays its last samples or fades out, and is stopped at its end)."""
        item, old = self._next_item, self._cur
        self._next_item = None
        if item is None:
            self._stop_deck(old)
            self._set_state(STOPPED)
            return
        idle = self._idle()
        if (self.settings.gapless or keep_old) and idle.item == item and not idle.started:
            self._start_deck(idle, item, transition, fade=0.0 if transition == "crossfade" else 1.0)
            if keep_old:
                self._drop_outgoing()
                self._outgoing = old
                old.outgoing_since = time.monotonic()
            else:
                self._stop_deck(old)
        else:
            self._start_deck(old, item, transition)

    def _fail_current(self, message: str) -> None:
        deck = self._cur
        item = deck.item
        self._outbox.append(PlaybackError(item, message))
        length = deck.length()
        self._outbox.append(TrackEnded(item, "error", deck.meter.position, length, deck.meter.listened))
        self._state = PLAYING  # so the hand-over below is not mistaken for a stopped player
        self._hand_over("auto")

    def _drop_outgoing(self) -> None:
        """Stop the outgoing deck now (a fade is cut short) and preload the next item into it."""
        old, self._outgoing, self._fade = self._outgoing, None, None
        if old is None:
            return
        self._stop_deck(old)
        old.item = None
        if self._cur.fade != 1.0:
            self._cur.fade = 1.0
            self._apply_volume(self._cur)
        self._preload(old, self._next_item)

    def _start_crossfade(self, remaining: float) -> None:
        item, idle = self._next_item, self._idle()
        if idle.item != item:
            self._preload(idle, item)
        self._end_current("eos")
        self._hand_over("crossfade", keep_old=True)
        self._fade = (time.monotonic(), max(remaining / max(self._rate, 1e-3), _FADE_TICK_S))
        self._step_fade()

    def _step_fade(self) -> None:
        if self._outgoing is None:  # the old deck could not be kept (nothing preloaded): no fade
            self._fade = None
            return
        started, length = self._fade
        f = min((time.monotonic() - started) / length, 1.0)
        self._outgoing.fade, self._cur.fade = math.cos(f * math.pi / 2), math.sin(f * math.pi / 2)
        self._apply_volume(self._outgoing)
        self._apply_volume(self._cur)
        if f >= 1.0:
            self._drop_outgoing()

    # -- worker thread ----------------------------------------------------------------------------
    def _run(self) -> None:
        timeout = 0.25
        while True:
            try:
                message = self._inbox.get(timeout=timeout)
            except queue.Empty:
                message = None
            with self._lock:
                try:
                    if message is not None and message[0] != "wake":
                        self._handle(*message)
                    if not self._closed:
                        self._tick()
                except Exception:
                    log.exception("playback worker failed on %r", message)
                timeout = self._next_timeout()
                events = list(self._outbox)
                self._outbox.clear()
                closed = self._closed
            for event in events:
                self.events.emit(event)
            if closed:
                return

    def _next_timeout(self) -> float:
        if self._fade is not None:
            return _FADE_TICK_S
        if self._fine_mode():
            return _FINE_TICK_S
        return min(self.settings.position_interval_s, 0.25)

    def _fine_mode(self) -> bool:
        """Near the end of a track whose successor waits preloaded: poll finely to time the hand-over."""
        deck = self._cur
        crossfade = self.settings.crossfade_s
        if self._state != PLAYING or not deck.started or self._next_item is None:
            return False
        if not self.settings.gapless and crossfade <= 0:
            return False
        length = deck.length()
        if not length or self._rate <= 0:
            return False
        return (length - deck.meter.position - crossfade) / self._rate < _FINE_WINDOW_S

    def _estimated_position(self, deck: _Deck, now: float) -> float:
        """The position extrapolated from the latest precise step (libvlc's own is coarse and stops
        moving ~1.3 s before the end); the polled position when there is no anchor."""
        if deck.anchor is None or self._rate <= 0:
            return deck.meter.position
        anchor_ms, anchor_at = deck.anchor
        return max(anchor_ms / 1000.0 + (now - anchor_at) * self._rate, deck.meter.position)

    def _handle(self, index: int, gen: int, kind: str) -> None:
        deck = self._decks[index]
        if gen != deck.gen:
            return  # an event of a media this deck no longer plays
        if deck is self._outgoing:
            if kind in ("end", "error"):
                self._drop_outgoing()
            return
        if deck is not self._cur or self._state == STOPPED:
            return
        if kind == "end" and not self._decoded_audio(deck):
            # libvlc 3 reports a file it cannot demux or decode as an immediate end, not as an error.
            self._fail_current(f"cannot play {deck.item.path}: not a playable audio file")
        elif kind == "end":
            self._end_current("eos", at_end=True)
            self._hand_over("auto")
        elif kind == "error":
            self._fail_current(f"cannot play {deck.item.path}: libvlc reported an error")

    @staticmethod
    def _decoded_audio(deck: _Deck) -> bool:
        """Whether libvlc decoded any audio of the deck's media (or the length is known: a real file)."""
        media = deck.mp.get_media()
        if media is None:
            return False
        stats = vlc.MediaStats()
        if media.get_stats(stats) and stats.decoded_audio > 0:
            return True
        return deck.mp.get_length() > 0

    def _tick(self) -> None:
        now = time.monotonic()
        if self._fade is not None:
            self._step_fade()
        elif self._outgoing is not None and now - self._outgoing.outgoing_since > _OUTGOING_TIMEOUT_S:
            self._drop_outgoing()
        deck = self._cur
        if deck.item is None or self._state != PLAYING or not deck.started:
            return
        position = self._sample_position(deck)
        length = deck.length()
        if self._next_item is not None and length and self._outgoing is None and self._fade is None:
            remaining = length - self._estimated_position(deck, now)
            if self.settings.crossfade_s > 0 and length > 2 * self.settings.crossfade_s:
                if remaining <= self.settings.crossfade_s:
                    deck.meter.update(length - max(remaining, 0.0))  # credit up to the fade's start
                    self._start_crossfade(max(remaining, 0.0))
                    return
            elif self.settings.gapless and deck.anchor is not None and self._rate > 0:
                if remaining / self._rate <= _HANDOVER_LEAD_S:
                    self._end_current("eos", at_end=True)
                    self._hand_over("auto", keep_old=True)
                    return
        if now - self._last_position_emit >= self.settings.position_interval_s:
            self._last_position_emit = now
            self._outbox.append(PositionChanged(deck.item, position, length, deck.meter.listened))
