"""The play queue: ordered entries with a cursor, history, shuffle and repeat.

Played entries stay in the list above the cursor (the UI shows them greyed), so "previous" normally
steps back; an explicit history stack makes "previous" return to where the user jumped from. Every entry
records where it came from (``source``: library, album, playlist or radio, plus the radio ``seed``; see
``player.queue_entry``), which the listening log copies into each play so the recommender knows which
plays it caused.

Every change is written through ``player.queue_saved`` at once, so the queue survives a restart or a
crash. Listeners registered with ``subscribe`` get a ``QueueChange`` after each change, on the thread that
made it (``player.queue_changes``; the UI forwards it through a Qt signal). All methods are thread-safe.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable

from player.queue_changes import Listener, QueueListeners
from player.queue_entry import REPEAT_MODES, QueueEntry, Removal, check_source
from player.queue_saved import SavedQueue, SavedState
from player.store import Store

#: Entries remembered for "previous" (beyond the list order).
HISTORY_LIMIT = 200


class Queue:
    """The persisted play queue of one store. Create one per app (two would overwrite each other)."""

    def __init__(
        self,
        store: Store,
        rng: random.Random | None = None,
        lock: threading.RLock | None = None,
        repeat: str | None = None,
    ) -> None:
        """``lock``: share a lock with the other users of ``store``'s connection (the controller's).
        ``repeat``: a mode for this queue object only, never saved (``encore play`` plays what it was
        asked once, whatever the app's saved mode; the app's mode stays as it was); None: the saved mode."""
        self._saved = SavedQueue(store)
        self._rng = rng or random.Random()
        self._lock = lock or threading.RLock()
        self._listeners = QueueListeners(self._lock)
        self._entries, saved = self._saved.load()
        self._current_id: int | None = saved.current_id
        self._resume_index = saved.resume_index
        self._saved_repeat = saved.repeat
        if repeat is not None and repeat not in REPEAT_MODES:
            raise ValueError(f"repeat must be one of {REPEAT_MODES}, not {repeat!r}")
        self._repeat = repeat or self._saved_repeat
        self._shuffle = saved.shuffle
        self._history: list[int] = saved.history
        self._unshuffled: list[int] = saved.unshuffled
        self._generation = 0  # raised each time the whole queue is replaced or cleared

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(QueueChange)`` after every change; returns an unsubscribe function."""
        return self._listeners.subscribe(listener)

    # -- reading ----------------------------------------------------------------------------------
    @property
    def entries(self) -> list[QueueEntry]:
        with self._lock:
            return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def current(self) -> QueueEntry | None:
        with self._lock:
            return self._by_id(self._current_id)

    @property
    def current_index(self) -> int | None:
        with self._lock:
            index = self._index(self._current_id)
            return index

    def get(self, entry_id: int) -> QueueEntry | None:
        with self._lock:
            return self._by_id(entry_id)

    def upcoming(self) -> list[QueueEntry]:
        """Entries after the current one, in play order."""
        with self._lock:
            return self._entries[self._next_index() :]

    @property
    def repeat(self) -> str:
        return self._repeat

    @property
    def shuffle(self) -> bool:
        return self._shuffle

    # -- editing ----------------------------------------------------------------------------------
    def append(
        self, track_ids: Iterable[int], source: str = "library", seed: str | None = None
    ) -> list[QueueEntry]:
        """Add tracks at the end (radio appends its planned tracks here)."""
        with self._lock:
            return self.insert(len(self._entries), track_ids, source, seed)

    def insert(
        self, index: int, track_ids: Iterable[int], source: str = "library", seed: str | None = None
    ) -> list[QueueEntry]:
        """Add tracks before position ``index`` (clamped to the list)."""
        check_source(source)
        tracks = [int(t) for t in track_ids]
        if not tracks:
            return []
        with self._lock:
            index = min(max(int(index), 0), len(self._entries))
            order = [e.id for e in self._entries]
            order[index:index] = [-1 - k for k in range(len(tracks))]
            new_ids = self._saved.add(order, [(t, source, seed) for t in tracks])
            added = [QueueEntry(i, t, source, seed) for i, t in zip(new_ids, tracks, strict=True)]
            self._entries[index:index] = added
            if self._current_id is None and index < self._resume_index:
                self._resume_index += len(added)
            self._save_state()
        self._listeners.notify("entries")
        return added

    def play_next(
        self, track_ids: Iterable[int], source: str = "library", seed: str | None = None
    ) -> list[QueueEntry]:
        """Add tracks right after the current one."""
        with self._lock:
            return self.insert(self._next_index(), track_ids, source, seed)

    def replace(
        self, track_ids: Iterable[int], source: str = "library", seed: str | None = None, start: int = 0
    ) -> QueueEntry | None:
        """Replace the whole queue (play an album, a playlist, a radio) and make entry ``start`` current."""
        check_source(source)
        return self._replace([(int(t), source, seed) for t in track_ids], start, reshuffle=True)

    def replace_entries(
        self, entries: Iterable[tuple[int, str, str | None]], start: int = 0
    ) -> QueueEntry | None:
        """Replace the whole queue with (track id, source, seed) entries as they are, in this order (an
        Undo putting back a queue seen before), and make entry ``start`` current."""
        rows = [(int(t), src, seed) for t, src, seed in entries]
        for _t, src, _seed in rows:
            check_source(src)
        return self._replace(rows, start, reshuffle=False)

    def _replace(
        self, rows: list[tuple[int, str, str | None]], start: int, reshuffle: bool
    ) -> QueueEntry | None:
        with self._lock:
            self._generation += 1
            removed = [e.id for e in self._entries]
            new_ids = self._saved.add([-1 - k for k in range(len(rows))], rows, removed)
            self._entries = [QueueEntry(i, *row) for i, row in zip(new_ids, rows, strict=True)]
            self._history = []
            self._unshuffled = []
            self._current_id = self._entries[min(max(start, 0), len(self._entries) - 1)].id if rows else None
            self._resume_index = 0
            if self._shuffle and reshuffle:
                self._shuffle_upcoming()
            self._save_state()
            current = self.current
        self._listeners.notify("entries", "current")
        return current

    def remove(self, entry_ids: Iterable[int]) -> int:
        """Remove entries; removing the current one leaves the cursor where it was (next plays the
        entry that followed it). Returns how many were removed."""
        with self._lock:
            doomed = set(entry_ids) & {e.id for e in self._entries}
            if not doomed:
                return 0
            current_gone = self._current_id in doomed
            if current_gone:
                self._resume_index = sum(
                    1 for e in self._entries[: self._index(self._current_id)] if e.id not in doomed
                )
                self._current_id = None
            self._entries = [e for e in self._entries if e.id not in doomed]
            self._saved.save_order([e.id for e in self._entries], removed=sorted(doomed))
            self._history = [i for i in self._history if i not in doomed]
            self._unshuffled = [i for i in self._unshuffled if i not in doomed]
            self._save_state()
        self._listeners.notify("entries", *(("current",) if current_gone else ()))
        return len(doomed)

    def take(self, entry_ids: Iterable[int]) -> Removal | None:
        """``remove``, keeping what ``put_back`` needs to undo it; None when nothing was removed."""
        with self._lock:
            doomed = set(entry_ids)
            taken = [(k, e) for k, e in enumerate(self._entries) if e.id in doomed]
            if not taken:
                return None
            current = next((n for n, (_k, e) in enumerate(taken) if e.id == self._current_id), None)
            removal = Removal(
                tuple((k, e.track_id, e.source, e.seed) for k, e in taken),
                current,
                self._current_id if current is not None else None,
                self._generation,
            )
            self.remove(doomed)
            return removal

    def can_put_back(self, removal: Removal) -> bool:
        """Whether ``put_back`` takes ``removal``: not once the queue it came from was replaced or cleared
        (its entries would land among a station's that never held them)."""
        return removal.generation == self._generation

    def put_back(self, removal: Removal, current: bool = True) -> list[QueueEntry]:
        """Undo ``take``: the entries return to their places (as new entries: ids are never given twice),
        and the one that was playing becomes the current one again (``current``: it still plays; see
        ``PlaybackController.put_back``), unless another was chosen since. One write and one notice for
        all of them (one insert each took 5 s for 2,000 entries). Nothing, where ``can_put_back`` says no."""
        with self._lock:
            if not self.can_put_back(removal):
                return []
            rows = [(t, source, seed) for _k, t, source, seed in removal.entries]
            order = [e.id for e in self._entries]
            entries: list[QueueEntry | None] = list(self._entries)
            for j, (k, *_rest) in enumerate(removal.entries):  # ascending: each lands where it was
                at = min(k, len(order))
                order.insert(at, -1 - j)
                entries.insert(at, None)
                if self._current_id is None and at < self._resume_index:
                    self._resume_index += 1
            new_ids = self._saved.add(order, rows)
            back = [QueueEntry(i, *row) for i, row in zip(new_ids, rows, strict=True)]
            fresh = iter(back)
            self._entries = [e if e is not None else next(fresh) for e in entries]
            current = current and removal.current is not None and self._current_id is None
            if current:
                self._current_id = back[removal.current].id
            elif removal.current is not None and self._current_id is None:  # it waits in its place for Play
                self._resume_index = self._entries.index(back[removal.current])
            self._save_state()
        self._listeners.notify("entries", *(("current",) if current else ()))
        return back

    def move(self, entry_id: int, index: int) -> None:
        """Move an entry so that it ends up at position ``index``."""
        with self._lock:
            old = self._index(entry_id)
            if old is None:
                raise KeyError(f"no queue entry {entry_id}")
            entry = self._entries.pop(old)
            index = min(max(int(index), 0), len(self._entries))
            self._entries.insert(index, entry)
            self._saved.save_order([e.id for e in self._entries])
        self._listeners.notify("entries")

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._saved.clear()
            self._entries, self._history, self._unshuffled = [], [], []
            self._current_id, self._resume_index = None, 0
            self._save_state()
        self._listeners.notify("entries", "current")

    # -- the cursor -------------------------------------------------------------------------------
    def set_current(self, entry_id: int | None) -> QueueEntry | None:
        """Jump to an entry (the user picked it); the one left is remembered for "previous"."""
        with self._lock:
            if entry_id is not None and self._index(entry_id) is None:
                raise KeyError(f"no queue entry {entry_id}")
            if entry_id != self._current_id:
                self._push_history()
                self._current_id = entry_id
                self._save_state()
            current = self.current
        self._listeners.notify("current")
        return current

    def peek_next(self, auto: bool = False) -> QueueEntry | None:
        """The entry that follows the current one. ``auto``: the current track ran out by itself, so
        repeat-one repeats it (a user "next" always moves on)."""
        with self._lock:
            if auto and self._repeat == "one" and self._current_id is not None:
                return self.current
            index = self._next_index()
            if index < len(self._entries):
                return self._entries[index]
            if self._repeat == "all" and self._entries:
                return self._entries[0]
            return None

    def advance(self, auto: bool = False) -> QueueEntry | None:
        """Move the cursor to ``peek_next(auto)``; None (and no cursor) at the end of the queue."""
        with self._lock:
            entry = self.peek_next(auto)
            if entry is not None and entry.id == self._current_id:
                return entry  # repeat one
            self._push_history()
            if entry is None:
                self._resume_index = len(self._entries)
            self._current_id = entry.id if entry else None
            self._save_state()
        self._listeners.notify("current")
        return entry

    def previous(self) -> QueueEntry | None:
        """Go back: to where the user jumped from, else the entry above the current one."""
        with self._lock:
            target = None
            while self._history and target is None:
                target = self._by_id(self._history.pop())
            if target is None:
                index = self._index(self._current_id)
                if index is None:
                    index = self._resume_index
                if index > 0:
                    target = self._entries[index - 1]
                elif self._repeat == "all" and self._entries:
                    target = self._entries[-1]
            if target is None:
                return None
            self._current_id = target.id
            self._save_state()
        self._listeners.notify("current")
        return target

    # -- modes ------------------------------------------------------------------------------------
    def set_repeat(self, mode: str) -> None:
        if mode not in REPEAT_MODES:
            raise ValueError(f"repeat must be one of {REPEAT_MODES}, not {mode!r}")
        with self._lock:
            self._repeat = self._saved_repeat = mode
            self._save_state()
        self._listeners.notify("modes")

    def set_shuffle(self, on: bool) -> None:
        """On: the upcoming entries are put in random order (the order is remembered); off: the upcoming
        entries go back to their remembered order. Played entries and the current one never move."""
        with self._lock:
            if bool(on) == self._shuffle:
                return
            self._shuffle = bool(on)
            if self._shuffle:
                self._unshuffled = [e.id for e in self._entries]
                self._shuffle_upcoming()
            else:
                rank = {entry_id: k for k, entry_id in enumerate(self._unshuffled)}
                start = self._next_index()
                upcoming = self._entries[start:]
                upcoming.sort(key=lambda e: rank.get(e.id, len(rank)))  # stable: new entries keep order
                self._entries[start:] = upcoming
                self._unshuffled = []
                self._saved.save_order([e.id for e in self._entries])
            self._save_state()
        self._listeners.notify("entries", "modes")

    # -- internals (lock held) --------------------------------------------------------------------
    def _shuffle_upcoming(self) -> None:
        start = self._next_index()
        upcoming = self._entries[start:]
        self._rng.shuffle(upcoming)
        self._entries[start:] = upcoming
        self._saved.save_order([e.id for e in self._entries])

    def _index(self, entry_id: int | None) -> int | None:
        if entry_id is None:
            return None
        for k, entry in enumerate(self._entries):
            if entry.id == entry_id:
                return k
        return None

    def _by_id(self, entry_id: int | None) -> QueueEntry | None:
        index = self._index(entry_id)
        return None if index is None else self._entries[index]

    def _next_index(self) -> int:
        index = self._index(self._current_id)
        if index is None:
            return min(self._resume_index, len(self._entries))
        return index + 1

    def _push_history(self) -> None:
        if self._current_id is not None:
            self._history.append(self._current_id)
            del self._history[:-HISTORY_LIMIT]

    def _save_state(self) -> None:
        self._saved.save_state(
            SavedState(
                self._current_id,
                self._resume_index,
                self._saved_repeat,
                self._shuffle,
                self._history,
                self._unshuffled,
            )
        )
