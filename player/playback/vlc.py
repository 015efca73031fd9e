"""The libvlc backend: ``VlcPlayer``, the public player on two media players ("decks").

What plays on which deck, the near-gapless hand-over, the crossfade and the position clock that times
them live in ``player.playback.decks`` (``DeckPair``); this module is the ``Player`` the rest of the app
sees: the libvlc instance and how it opens files, the transport commands, volume and rate, the audio
output and its devices, and the worker thread that handles libvlc's end/error messages (``EndReached``
is the hand-over's fallback) and delivers the events.

Threading: libvlc calls event callbacks on its own threads, and calling libvlc from inside them can
deadlock. The callbacks here only put a message in a queue; one worker thread ("encore-vlc") handles the
messages, samples the position, schedules hand-overs, runs the crossfade ramp, and is the only thread that
emits events, so subscribers see them in order and always on that thread. Public methods may be called
from any thread; they take the player's lock and queue their events for the worker.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import vlc

from player.playback.alsa_quiet import quiet_alsa, release_alsa
from player.playback.base import PAUSED, PLAYING, STOPPED, Player, PlayItem
from player.playback.decks import Deck, DeckPair
from player.playback.events import Event, PositionChanged
from player.playback.settings import PlaybackSettings

log = logging.getLogger(__name__)

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
        quiet_alsa()  # no sound card: libasound's retries flooded the terminal (``alsa_quiet``)
        self._instance = vlc.Instance(vlc_args(self.settings))
        if self._instance is None:
            raise RuntimeError(f"libvlc could not start with {vlc_args(self.settings)}")
        self._inbox: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._outbox: deque[Event] = deque()
        self._decks = DeckPair(self._instance, self.settings, self._inbox, self._outbox, self._media)
        if configure is not None:
            for deck in self._decks.decks:
                configure(deck.mp)
        if self.settings.audio_device:
            for deck in self._decks.decks:
                deck.mp.audio_output_device_set(None, self.settings.audio_device)
        self._closed = False
        self._worker = threading.Thread(target=self._run, name="encore-vlc", daemon=True)
        self._worker.start()

    # -- public API -------------------------------------------------------------------------------
    def load(self, item: PlayItem, *, start: float = 0.0, play: bool = True) -> None:
        with self._lock:
            decks = self._decks
            decks.end_current("replaced")
            decks.drop_outgoing()
            decks.start_deck(decks.cur, item, "load", start=start, play=play)
        self._wake()

    def set_next(self, item: PlayItem | None) -> None:
        with self._lock:
            decks = self._decks
            decks.next_item = item
            idle = decks.idle()
            if idle is not decks.outgoing:  # else: preloaded once the outgoing deck is done
                decks.preload(idle, item)

    def next(self) -> bool:
        with self._lock:
            decks = self._decks
            decks.drop_outgoing()
            decks.end_current("next")
            if decks.next_item is None:
                decks.stop_deck(decks.cur)
                decks.set_state(STOPPED)
                return False
            decks.hand_over("next")
        self._wake()
        return True

    def play(self) -> None:
        with self._lock:
            decks = self._decks
            deck = decks.cur
            if deck.item is None:
                return
            if decks.state == PAUSED:
                deck.mp.set_pause(0)
                deck.reset_clock()
                if decks.outgoing is not None:
                    decks.outgoing.mp.set_pause(0)
                decks.set_state(PLAYING)
            elif decks.state == STOPPED:
                decks.start_deck(deck, deck.item, "load")
        self._wake()

    def pause(self) -> None:
        with self._lock:
            decks = self._decks
            if decks.state != PLAYING:
                return
            decks.sample_position(decks.cur)
            decks.cur.mp.set_pause(1)
            if decks.outgoing is not None:
                decks.outgoing.mp.set_pause(1)
            decks.set_state(PAUSED)
        self._wake()

    def stop(self) -> None:
        with self._lock:
            decks = self._decks
            decks.drop_outgoing()
            decks.end_current("stopped")
            decks.stop_deck(decks.cur)
            decks.set_state(STOPPED)
        self._wake()

    def seek(self, seconds: float) -> None:
        with self._lock:
            decks = self._decks
            deck = decks.cur
            if deck.item is None or decks.state == STOPPED:
                return
            decks.sample_position(deck)
            decks.drop_outgoing()
            length = deck.length()
            target = max(0.0, min(seconds, length - 0.05 if length else seconds))
            deck.mp.set_time(int(target * 1000))
            deck.meter.seeked(target)
            deck.reset_clock()
            self._outbox.append(PositionChanged(deck.item, target, length, deck.meter.listened))
        self._wake()

    def set_volume(self, volume: int) -> None:
        with self._lock:
            decks = self._decks
            decks.volume = min(max(int(volume), 0), 100)
            decks.apply_volume(decks.cur)
            if decks.outgoing is not None:
                decks.apply_volume(decks.outgoing)

    def set_rate(self, rate: float) -> None:
        with self._lock:
            decks = self._decks
            decks.rate = float(rate)
            for deck in decks.decks:
                deck.reset_clock()
                if deck.started:
                    deck.mp.set_rate(decks.rate)

    def shutdown(self) -> None:
        with self._lock:
            if self._closed:
                return
            decks = self._decks
            decks.drop_outgoing()
            decks.end_current("stopped")
            decks.set_state(STOPPED)
            self._closed = True
        self._wake()
        self._worker.join(timeout=10)
        for deck in self._decks.decks:
            deck.mp.stop()
            deck.mp.release()
        self._instance.release()
        release_alsa()  # the last player gone: libasound's own printing back (``alsa_quiet``)

    # -- audio output -----------------------------------------------------------------------------
    def output_devices(self) -> list[tuple[str, str]]:
        with self._lock:
            found: list[tuple[str, str]] = []
            node = self._decks.cur.mp.audio_output_device_enum()
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
            for deck in self._decks.decks:
                deck.mp.audio_output_device_set(None, device or "")

    def audio_reaches_output(self) -> bool | None:
        with self._lock:
            deck = self._decks.cur
            if not deck.started or self._decks.state != PLAYING or deck.meter.listened < _AUDIO_CHECK_S:
                return None
            media = deck.mp.get_media()
            stats = vlc.MediaStats()
            if media is None or not media.get_stats(stats) or stats.decoded_audio <= 0:
                return None
            return stats.played_abuffers > 0

    @property
    def state(self) -> str:
        return self._decks.state

    @property
    def current(self) -> PlayItem | None:
        return self._decks.cur.item

    @property
    def position(self) -> float:
        with self._lock:
            return self._decks.sample_position(self._decks.cur)

    @property
    def duration(self) -> float | None:
        with self._lock:
            deck = self._decks.cur
            return deck.length() if deck.item else None

    @property
    def volume(self) -> int:
        return self._decks.volume

    @property
    def next_item(self) -> PlayItem | None:
        return self._decks.next_item

    @property
    def deck_index(self) -> int:
        """Which of the two libvlc media players plays the current track (0 or 1; for diagnostics)."""
        return self._decks.cur.index

    # -- internals --------------------------------------------------------------------------------
    def _wake(self) -> None:
        self._inbox.put(("wake",))

    def _media(self, item: PlayItem, start: float = 0.0) -> vlc.Media:
        """A new libvlc media for ``item`` (the decks call this to load a deck)."""
        media = self._instance.media_new_path(item.path)
        if _is_ogg(item.path):
            media.add_option(_OGG_DEMUX)  # precise seeks; see _OGG_DEMUX
        if start > 0:
            media.add_option(f":start-time={start:.3f}")
        return media

    # -- worker thread ----------------------------------------------------------------------------
    def _handle(self, index: int, gen: int, kind: str) -> None:
        """A deck's libvlc event (``kind`` "end" or "error"), as its callback queued it."""
        decks = self._decks
        deck = decks.decks[index]
        if gen != deck.gen:
            return  # an event of a media this deck no longer plays
        if deck is decks.outgoing:
            if kind in ("end", "error"):
                decks.drop_outgoing()
            return
        if deck is not decks.cur or decks.state == STOPPED:
            return
        if kind == "end" and not self._decoded_audio(deck):
            # libvlc 3 reports a file it cannot demux or decode as an immediate end, not as an error.
            decks.fail_current(f"cannot play {deck.item.path}: not a playable audio file")
        elif kind == "end":
            decks.end_current("eos", at_end=True)
            decks.hand_over("auto")
        elif kind == "error":
            decks.fail_current(f"cannot play {deck.item.path}: libvlc reported an error")

    @staticmethod
    def _decoded_audio(deck: Deck) -> bool:
        """Whether libvlc decoded any audio of the deck's media (or the length is known: a real file)."""
        media = deck.mp.get_media()
        if media is None:
            return False
        stats = vlc.MediaStats()
        if media.get_stats(stats) and stats.decoded_audio > 0:
            return True
        return deck.mp.get_length() > 0

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
                        self._decks.tick()
                except Exception:
                    log.exception("playback worker failed on %r", message)
                timeout = self._decks.next_timeout()
                events = list(self._outbox)
                self._outbox.clear()
                closed = self._closed
            for event in events:
                self.events.emit(event)
            if closed:
                return
