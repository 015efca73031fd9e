"""``SavedQueue``: the play queue as kept in the store, written through at every change.

Why a module of its own: the queue (``player.queue``) orders entries in memory; keeping them across a
restart or a crash is a job apart, with rules of its own:

- what is read back at start is checked against the saved entries: a cursor, history or unshuffled order
  naming an entry that is gone is dropped, and an unknown repeat mode reads "off";
- entry ids are given out here, each above the highest this queue ever gave, even after the entries that
  held it were removed (``player.store.queue.save_order``: the player names its items by entry id);
- a cursor that cannot be saved (a full or read-only disk) is only logged: playback and the listening log
  go on, and only the cursor is lost.

The SQL itself is ``player.store.queue``'s. Callers hold the queue's lock.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from player.queue_entry import REPEAT_MODES, QueueEntry
from player.store import Store
from player.store import queue as queue_sql

log = logging.getLogger(__name__)


@dataclass
class SavedState:
    """The queue's cursor, modes and history, as saved next to its entries. ``repeat``: the saved mode
    (a mode given to one queue object only is never saved)."""

    current_id: int | None
    resume_index: int
    repeat: str
    shuffle: bool
    history: list[int]
    unshuffled: list[int]


class SavedQueue:
    """The saved entries and state of one store's queue."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.last_id = 0  # the highest entry id this queue gave out (see ``add``)

    def load(self) -> tuple[list[QueueEntry], SavedState]:
        """The saved entries in order, and the state checked against them."""
        entries = [
            QueueEntry(row["id"], row["track_id"], row["source"], row["seed"])
            for row in queue_sql.load_entries(self.store)
        ]
        state = queue_sql.load_state(self.store)
        ids = {e.id for e in entries}
        self.last_id = max(ids, default=0)
        current = state.get("current")
        return entries, SavedState(
            current_id=current if current in ids else None,
            resume_index=int(state.get("resume_index", 0) or 0),
            repeat=state.get("repeat") if state.get("repeat") in REPEAT_MODES else "off",
            shuffle=bool(state.get("shuffle", False)),
            history=[i for i in state.get("history", []) if i in ids],
            unshuffled=[i for i in state.get("unshuffled", []) if i in ids],
        )

    def add(
        self, order: list[int], rows: list[tuple[int, str, str | None]], removed: list[int] | None = None
    ) -> list[int]:
        """Save new entries (track id, source, seed) in ``order`` (``-1 - k`` for the k-th new one),
        dropping ``removed``; returns their ids, each above every id given before."""
        new_ids = queue_sql.save_order(self.store, order, rows, removed or (), first_id=self.last_id + 1)
        self.last_id = max([self.last_id, *new_ids])
        return new_ids

    def save_order(self, ids: list[int], removed: Sequence[int] = ()) -> None:
        """Save the entries' order, dropping ``removed``."""
        queue_sql.save_order(self.store, ids, removed=removed)

    def clear(self) -> None:
        queue_sql.clear_entries(self.store)

    def save_state(self, state: SavedState) -> None:
        """Save the cursor, modes and history; a failure is logged, never raised."""
        value = {
            "current": state.current_id,
            "resume_index": state.resume_index,
            "repeat": state.repeat,
            "shuffle": state.shuffle,
            "history": state.history,
            "unshuffled": state.unshuffled,
        }
        try:
            queue_sql.save_state(self.store, value)
        except (sqlite3.Error, OSError) as exc:
            # Only the cursor is lost (a full or read-only disk): playback and the listening log go on.
            log.info("could not save the queue position: %s", exc)
