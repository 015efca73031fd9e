"""``PlaybackController``: the one object that wires a ``Player``, the ``Queue`` and the ``ListeningLog``.

The CLI (``encore play``) and the desktop UI both drive playback through it, so a play is logged the same
way whatever started it. It keeps the player's preloaded *next* item in step with the queue (so the
hand-over stays gapless after any queue edit), moves the queue's cursor when the player advances by
itself, computes each track's ReplayGain, and turns player events into plays rows.

Threading: player events arrive on the player's event thread, commands on the caller's thread; both
paths take ``self.lock``, which also guards the store's connection (the queue and the log share it), so
give the controller a ``Store`` of its own. UI code subscribes to ``controller.events`` (playback) and
``controller.queue.subscribe`` (queue changes) and forwards them with Qt signals.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from player.listening import FinishedPlay, ListeningLog
from player.playback import Player, PlayItem, create_player
from player.playback.events import Event, PositionChanged, TrackEnded, TrackStarted
from player.playback.replaygain import track_gain_db
from player.playback.settings import PlaybackSettings
from player.queue import Queue, QueueChange, QueueEntry
from player.store import Store
from player.store.tracks import get_track

log = logging.getLogger(__name__)

#: "previous" within this many seconds of the start goes to the previous track; later it restarts
#: the current one (as most players do).
RESTART_THRESHOLD_S = 3.0


class PlaybackController:
    def __init__(
        self,
        store: Store,
        *,
        settings: PlaybackSettings | None = None,
        player: Player | None = None,
        backend: str = "vlc",
        queue: Queue | None = None,
        listening_log: ListeningLog | None = None,
    ) -> None:
        self.store = store
        self.lock = threading.RLock()
        self.settings = settings or PlaybackSettings.load(store)
        self.player = player or create_player(self.settings, backend)
        self.events = self.player.events
        self.queue = queue or Queue(store, lock=self.lock)
        self.log = listening_log or ListeningLog(store, self.settings, lock=self.lock)
        self._entries: dict[int, QueueEntry] = {}  # queue entries of the items handed to the player
        self.player.events.subscribe(self._on_player_event)
        self.queue.subscribe(self._on_queue_change)

    # -- what to play -----------------------------------------------------------------------------
    def play_tracks(
        self,
        track_ids: Iterable[int],
        source: str = "library",
        seed: str | None = None,
        start: int = 0,
        position: float = 0.0,
    ) -> QueueEntry | None:
        """Replace the queue with these tracks and play entry ``start`` from ``position`` seconds."""
        with self.lock:
            entry = self.queue.replace(track_ids, source, seed, start)
            if entry is not None:
                self._load(entry, start=position)
            return entry

    def play_entry(self, entry_id: int, start: float = 0.0) -> QueueEntry | None:
        """Jump to a queue entry (double-click in the queue)."""
        with self.lock:
            entry = self.queue.set_current(entry_id)
            if entry is not None:
                self._load(entry, start=start)
            return entry

    def enqueue(
        self, track_ids: Iterable[int], source: str = "library", seed: str | None = None
    ) -> list[QueueEntry]:
        return self.queue.append(track_ids, source, seed)

    def play_next(
        self, track_ids: Iterable[int], source: str = "library", seed: str | None = None
    ) -> list[QueueEntry]:
        return self.queue.play_next(track_ids, source, seed)

    def restore(self) -> QueueEntry | None:
        """After startup: load the queue's current entry without playing (the UI shows it)."""
        with self.lock:
            entry = self.queue.current
            if entry is not None and self.player.current is None:
                self._load(entry, play=False)
            return entry

    # -- transport --------------------------------------------------------------------------------
    def play(self) -> None:
        with self.lock:
            if self.player.current is not None:
                self.player.play()
                return
            entry = self.queue.current or self.queue.advance()
            if entry is not None:
                self._load(entry)

    def pause(self) -> None:
        self.player.pause()

    def toggle(self) -> None:
        with self.lock:
            if self.player.current is None:
                self.play()
            else:
                self.player.toggle()

    def stop(self) -> None:
        self.player.stop()

    def seek(self, seconds: float) -> None:
        self.player.seek(seconds)

    def set_volume(self, volume: int) -> None:
        self.player.set_volume(volume)
        with self.lock:
            self.settings.volume = self.player.volume

    def next(self) -> QueueEntry | None:
        """User skip to the next entry (repeat-one does not hold a user "next")."""
        with self.lock:
            target = self.queue.peek_next(auto=False)
            preloaded = self.player.next_item
            if target is None:
                self.player.stop()
                return None
            if preloaded is not None and preloaded.key == target.id:
                self.player.next()  # the queue follows on TrackStarted("next")
            else:
                self.queue.advance(auto=False)
                self._load(target)
            return target

    def previous(self) -> QueueEntry | None:
        """Back to the previous entry, or to the start of this one after ``RESTART_THRESHOLD_S``."""
        with self.lock:
            if self.player.current is not None and self.player.position > RESTART_THRESHOLD_S:
                self.player.seek(0.0)
                return self.queue.current
            entry = self.queue.previous()
            if entry is not None:
                self._load(entry)
            return entry

    def on_play_finished(self, hook: Callable[[FinishedPlay], None]) -> Callable[[], None]:
        """Hook for the recommender: called after each finished play (keep it cheap)."""
        return self.log.on_finished(hook)

    def shutdown(self) -> None:
        """Stop playback, close the open play (outcome by the usual rules) and release the player."""
        self.player.shutdown()
        with self.lock:
            if self.log.open_play_id is not None:  # events the player did not get to deliver
                self.log.finish("stopped")

    # -- internals --------------------------------------------------------------------------------
    def _track(self, track_id: int) -> dict[str, Any] | None:
        # Read fresh each time (a primary-key lookup): a background scan may have moved the file or
        # changed its ReplayGain tags since the queue was built.
        return get_track(self.store, track_id)

    def _item(self, entry: QueueEntry) -> PlayItem | None:
        track = self._track(entry.track_id)
        if track is None:
            return None
        album_in_order = entry.source == "album" and not self.queue.shuffle
        gain = track_gain_db(track, self.settings, album_in_order=album_in_order)
        self._entries[entry.id] = entry
        return PlayItem(track["path"], key=entry.id, gain_db=gain, duration=track.get("duration"))

    def _load(self, entry: QueueEntry, *, start: float = 0.0, play: bool = True) -> None:
        item = self._item(entry)
        if item is None:
            log.warning("queue entry %s: track %s is not in the library", entry.id, entry.track_id)
            return
        # The next item first: a file that fails at once hands over to it before ``load`` returns.
        self._sync_next()
        self.player.load(item, start=start, play=play)

    def _sync_next(self) -> None:
        """Tell the player what follows the current entry, so it can preload it."""
        entry = self.queue.peek_next(auto=True)
        self.player.set_next(self._item(entry) if entry is not None else None)

    def _on_queue_change(self, change: QueueChange) -> None:
        with self.lock:
            if self.player.current is not None:
                self._sync_next()

    def _on_player_event(self, event: Event) -> None:
        with self.lock:
            if isinstance(event, TrackStarted):
                self._started(event)
            elif isinstance(event, PositionChanged):
                self.log.progress(event.position, event.listened, event.duration)
            elif isinstance(event, TrackEnded):
                self.log.finish(event.reason, event.position, event.listened, event.duration)

    def _started(self, event: TrackStarted) -> None:
        key = event.item.key
        entry = self._entries.get(key)
        if event.transition != "load":
            # The player moved on by itself (or to its preloaded next): move the queue's cursor along.
            auto = event.transition != "next"
            following = self.queue.peek_next(auto=auto)
            if following is not None and following.id == key:
                self.queue.advance(auto=auto)
            elif self.queue.get(key) is not None and self.queue.current != self.queue.get(key):
                self.queue.set_current(key)
        if entry is not None:
            self.log.start(entry.track_id, event.duration or event.item.duration, entry.source, entry.seed)
        self._sync_next()
