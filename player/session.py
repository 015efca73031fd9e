"""``PlaybackController``: the one object that wires a ``Player``, the ``Queue`` and the ``ListeningLog``.

The CLI (``encore play``) and the desktop UI both drive playback through it, so a play is logged the same
way whatever started it. It keeps the player's preloaded *next* item in step with the queue (so the
hand-over stays gapless after any queue edit), moves the queue's cursor when the player advances by
itself, computes each track's ReplayGain, and turns player events into plays rows. Its parts with rules of
their own are modules of their own: the player's item for a queue entry (``player.play_items``), why a
play our command ends ended (``player.pending_plays``), the position kept for the next start
(``player.saved_position``), Undo's snapshots (``player.queue_snapshot``) and unplayable files
(``player.failed_files``).

Threading: player events arrive on the player's event thread, commands on the caller's thread; both
paths take ``self.lock``, which also guards the store's connection (the queue and the log share it), so
give the controller a ``Store`` of its own. UI code subscribes to ``controller.events`` (playback) and
``controller.queue.subscribe`` (queue changes) and forwards them with Qt signals.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from player.failed_files import SKIP, STAY, FailedFiles, describe_failure
from player.listening import FinishedPlay, ListeningLog
from player.pending_plays import PendingPlays
from player.play_items import PlayItems
from player.playback import Player, PlayItem, create_player
from player.playback.base import STOPPED
from player.playback.events import (
    Event,
    PlaybackError,
    PositionChanged,
    StateChanged,
    TrackEnded,
    TrackStarted,
)
from player.playback.settings import PlaybackSettings
from player.queue import Queue
from player.queue_changes import QueueChange
from player.queue_entry import QueueEntry, Removal
from player.queue_snapshot import QueueSnapshot, take_snapshot
from player.saved_position import SavedPosition
from player.store import Store

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
        repeat: str | None = None,
    ) -> None:
        """``repeat``: the repeat mode of this controller's queue, not saved (see ``Queue``)."""
        self.store = store
        self.lock = threading.RLock()
        self.settings = settings or PlaybackSettings.load(store)
        self.player = player or create_player(self.settings, backend)
        self.events = self.player.events
        self.queue = queue or Queue(store, lock=self.lock, repeat=repeat)
        self.log = listening_log or ListeningLog(store, self.settings, lock=self.lock)
        self._items = PlayItems(store)  # the player's items, and the queue entry each stood for
        self.failed = FailedFiles(store)  # the file that just failed: skip it, or stop (its folder is gone)
        self._resume_at: float | None = None  # restored position of the loaded, not yet started entry
        self._saved_position = SavedPosition(store)  # where playback was, for the next start
        self._ran_out = False  # the last entry played to its end with nothing after it: Play starts over
        self._pending = PendingPlays()  # why the plays our commands end ended, and what a start takes up
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
        """Replace the queue with these tracks and play entry ``start`` from ``position`` seconds.
        The play this ends is logged "replaced" (``player.outcomes.REPLACED``): neither a skip nor a
        completion. ``snapshot()`` before and ``restore(snapshot)`` after undo it."""
        with self.lock:
            entry = self.queue.replace(track_ids, source, seed, start)
            if entry is not None:
                self._load(entry, start=position, reason="replaced")
            return entry

    def snapshot(self) -> QueueSnapshot:
        """What plays now, to bring it back after a replacement (Undo): the queue's entries, the current
        one and the position in it."""
        with self.lock:
            loaded = self.queue.current is not None and self.player.current is not None
            position = self.position if loaded else 0.0
            return take_snapshot(self.queue, position, self.player.state != STOPPED, self.log.open_play_id)

    def restore_snapshot(self, snapshot: QueueSnapshot) -> QueueEntry | None:
        """Put back the queue a ``snapshot`` saw, at its entry and position (playing if it was); what
        plays now ends as "replaced", and the play the snapshot saw goes on where it was cut (one play,
        its seconds heard on both sides of the Undo: ``ListeningLog.start``'s ``takes_up``). An empty snapshot
        only stops."""
        with self.lock:
            if not snapshot.entries:
                self._will_end("replaced")
                self.player.stop()
                self.queue.clear()
                return None
            entry = self.queue.replace_entries(snapshot.entries, snapshot.index)
            if entry is not None:
                self._pending.will_take_up(entry.id, snapshot.play_id)
                self._load(entry, start=snapshot.position, play=snapshot.playing, reason="replaced")
            return entry

    def put_back(self, removal: Removal) -> list[QueueEntry]:
        """Undo a removal from the queue (``Queue.take``): the entry that was playing is current again only
        while the player still has it (playing or paused); stopped since, Play starts what followed it (a
        walk found the queue marking a current track the player no longer had: "Nothing playing")."""
        with self.lock:
            item = self.player.current
            loaded = item is not None and item.key == removal.current_id and self.player.state != STOPPED
            return self.queue.put_back(removal, current=loaded)

    def play_entry(self, entry_id: int, start: float = 0.0) -> QueueEntry | None:
        """Jump to a queue entry (double-click in the queue): the listener moved on, as with Next."""
        with self.lock:
            entry = self.queue.set_current(entry_id)
            if entry is not None:
                self._load(entry, start=start, reason="next")
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
        """After startup: load the queue's current entry without playing (the UI shows it), at the
        position it had when the app closed; ``play`` goes on from there."""
        with self.lock:
            entry = self.queue.current
            if entry is not None and self.player.current is None:
                self._load(entry, play=False)
                saved = self._saved_position.load()
                if saved is not None and saved.entry == entry.id and saved.ran_out:
                    self._ran_out = True  # not resumed at its very end, where it would stop at once
                elif saved is not None and saved.entry == entry.id and saved.position > 0:
                    self._resume_at = saved.position
            return entry

    @property
    def resume_position(self) -> float | None:
        """Seconds into the restored entry where ``play`` will start; None once it played."""
        return self._resume_at

    @property
    def position(self) -> float:
        """Seconds into the current entry (the restored position before it starts)."""
        return self._resume_at if self._resume_at is not None else self.player.position

    def save_position(self, position: float | None = None) -> None:
        """Remember the current entry and ``position`` (default: where it is) for the next start
        (the lock must be held)."""
        entry = self.queue.current
        if position is None:
            position = self.position if self.player.current is not None else 0.0
        self._saved_position.save(entry.id if entry is not None else None, position, self._ran_out)

    # -- transport --------------------------------------------------------------------------------
    def play(self) -> None:
        with self.lock:
            if self._ran_out and self.player.state == STOPPED:
                entry = self._start_over()
                if entry is not None:
                    self._load(entry)
                return
            entry = self.queue.current
            if self._resume_at is not None and entry is not None and self.player.state == STOPPED:
                self._load(entry, start=self._resume_at)  # the restored entry, where it was left
                return
            if self.player.current is not None and (entry is not None or self.player.state != STOPPED):
                self.player.play()  # what is loaded goes on (a removed entry too, while paused)
                return
            # Stopped on an entry since taken out of the queue: not that file again, as a bare file (a walk),
            # but what followed its place.
            entry = self.queue.current or self.queue.advance()
            if entry is not None:
                self._load(entry)

    def pause(self) -> None:
        self.player.pause()
        with self.lock:
            self.save_position()

    def toggle(self) -> None:
        with self.lock:
            if self.player.current is None or self._resume_at is not None or self.player.state == STOPPED:
                self.play()  # it decides what a stopped player plays (never a file the queue dropped)
            else:
                self.player.toggle()

    def _start_over(self) -> QueueEntry | None:
        """What Play starts once the queue ran out: an entry queued since the end, else the queue again
        from its first entry (the last one when it is alone), as a listener who played it all expects;
        None for an empty queue."""
        if self.queue.peek_next() is not None:
            return self.queue.advance()
        entries = self.queue.entries
        return self.queue.set_current(entries[0].id) if entries else None

    def stop(self) -> None:
        self.failed.handed_over()  # a stop is the user's: never read as the player stopping on a failed file
        self.player.stop()
        with self.lock:
            self._resume_at = None
            self.save_position(0.0)  # a stopped track starts again from its beginning

    def seek(self, seconds: float) -> None:
        with self.lock:
            if self._resume_at is not None and self.player.state == STOPPED:
                self._resume_at = max(0.0, float(seconds))  # moves the restored start
                return
        self.player.seek(seconds)

    def set_volume(self, volume: int) -> None:
        self.player.set_volume(volume)
        with self.lock:
            self.settings.volume = self.player.volume

    def next(self) -> QueueEntry | None:
        """User skip to the next entry (repeat-one does not hold a user "next"). On the last entry it
        stops, and the play it ends counts as Next does (a skip when short), not as a plain stop."""
        with self.lock:
            target = self.queue.peek_next(auto=False)
            preloaded = self.player.next_item
            if target is None:
                self._will_end("next")
                self.player.stop()
                self._resume_at = None  # nothing to resume: Play starts over (or plays nothing)
                return None
            if preloaded is not None and preloaded.key == target.id:
                self.player.next()  # the queue follows on TrackStarted("next")
            else:
                self.queue.advance(auto=False)
                self._load(target, reason="next")
            return target

    def previous(self) -> QueueEntry | None:
        """Back to the previous entry, or to the start of this one after ``RESTART_THRESHOLD_S``."""
        with self.lock:
            if self.player.current is not None and self.player.position > RESTART_THRESHOLD_S:
                self.player.seek(0.0)
                return self.queue.current
            entry = self.queue.previous()
            if entry is not None:
                self._load(entry, reason="previous")
            return entry

    def on_play_finished(self, hook: Callable[[FinishedPlay], None]) -> Callable[[], None]:
        """Hook for the recommender: called after each finished play (keep it cheap)."""
        return self.log.on_finished(hook)

    def shutdown(self) -> None:
        """Stop playback, close the open play (outcome by the usual rules) and release the player."""
        with self.lock:
            self.save_position()
        self.player.shutdown()
        with self.lock:
            if self.log.is_open:  # events the player did not get to deliver
                self.log.finish("stopped")
            self.log.flush_unsaved()  # a last try for plays a full disk refused

    # -- internals --------------------------------------------------------------------------------
    def _item(self, entry: QueueEntry) -> PlayItem | None:
        return self._items.item(entry, self.settings, shuffle=self.queue.shuffle)

    def _load(
        self, entry: QueueEntry, *, start: float = 0.0, play: bool = True, reason: str | None = None
    ) -> None:
        """Load ``entry`` into the player; ``reason``: why the play it ends (if any) ended."""
        self.failed.handed_over()  # a failure of what played before is no longer the queue's to act on
        item = self._item(entry)
        if item is None:
            log.warning("queue entry %s: track %s is not in the library", entry.id, entry.track_id)
            return
        # The next item first: a file that fails at once hands over to it before ``load`` returns.
        self._resume_at = None
        self._ran_out = False
        self._sync_next()
        if reason is not None:
            self._will_end(reason)
        self.player.load(item, start=start, play=play)

    def _will_end(self, reason: str) -> None:
        """The current play is about to end by a command of ours: remember why for its TrackEnded."""
        current = self.player.current
        if current is not None and self.player.state != STOPPED:
            self._pending.will_end(current.key, reason)

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
                if event.transition != "load":
                    self.failed.handed_over()
                self._started(event)
            elif isinstance(event, PositionChanged):
                self.log.progress(event.position, event.listened, event.duration)
                if event.listened > 0:
                    self.failed.heard()
                if self._saved_position.due():
                    self.save_position()
            elif isinstance(event, TrackEnded):
                reason = self._pending.ended(event.item.key, event.reason)
                self.log.finish(reason, event.position, event.listened, event.duration)
                # Played to its end with nothing to follow (not a Stop, a Next or a failure): the queue ran out.
                self._ran_out = event.reason == "eos" and self.queue.peek_next(auto=True) is None
                if self._ran_out:
                    self.save_position()
            elif isinstance(event, PlaybackError):
                key = getattr(event.item, "key", None)
                entry = self._items.entry(key)
                path = getattr(event.item, "path", "") or ""
                self.failed.failed(key, entry.track_id if entry is not None else None, path)
            elif isinstance(event, StateChanged) and event.state == STOPPED and self.failed.key is not None:
                self._after_failure()

    # -- unplayable files ---------------------------------------------------------------------------
    @staticmethod
    def describe_error(event: PlaybackError) -> str:
        """The plain reason a file could not be played, for the status bar and the CLI."""
        return describe_failure(getattr(event.item, "path", "") or "")

    def _after_failure(self) -> None:
        """The player stopped on a failed file (nothing was preloaded yet): play the entry after it, or
        stay on it when its folder is gone (``player.failed_files``)."""
        current = self.queue.current
        step = self.failed.after_stop(current.id if current is not None else None, len(self.queue))
        if step == SKIP:
            entry = self.queue.advance(auto=False)
            if entry is not None:
                self._load(entry)
        elif step == STAY:
            self._resume_at = 0.0  # Play loads the entry afresh, from its start, once the folder is back

    def _started(self, event: TrackStarted) -> None:
        self._ran_out = False
        key = event.item.key
        entry = self._items.entry(key)
        if event.transition != "load":
            # The player moved on by itself (or to its preloaded next): move the queue's cursor along.
            auto = event.transition != "next"
            following = self.queue.peek_next(auto=auto)
            if following is not None and following.id == key:
                self.queue.advance(auto=auto)
            elif self.queue.get(key) is not None and self.queue.current != self.queue.get(key):
                self.queue.set_current(key)
        if entry is not None:
            takes_up = self._pending.takes_up(entry.id)
            self.log.start(
                entry.track_id, event.duration or event.item.duration, entry.source, entry.seed, takes_up
            )
        self._sync_next()
