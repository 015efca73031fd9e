"""``SavedPosition``: where playback was (the queue entry and the seconds into it), kept for the next start.

Why a module of its own: the controller (``player.session``) drives playback; keeping its place across a
restart is a job apart, with rules of its own. The controller saves it on pause, stop and shutdown and,
while playing, at most every ``POSITION_SAVE_INTERVAL_S`` so a crash loses little; at start it resumes
there only when the saved entry is still the queue's current one. A queue that ran out (its last entry
played to its end) is saved as such, so that Play after a restart starts the queue again rather than
resuming the last track at its very end (where it stops at once). A full or read-only database must not
stop playback, so a failed save is only logged, and an unreadable saved value reads as none.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from typing import NamedTuple

from player.store import Store

log = logging.getLogger(__name__)

#: Where the playback position is kept for the next start (JSON: queue entry id and seconds).
POSITION_KEY = "playback.position"
#: While playing, the position is saved at most this often (seconds), so a crash loses little.
POSITION_SAVE_INTERVAL_S = 5.0


class Saved(NamedTuple):
    """A saved place: the queue entry, the seconds into it, and whether the queue had run out there."""

    entry: int
    position: float
    ran_out: bool = False


class SavedPosition:
    """The saved playback position of one store. Callers hold the lock that guards its connection."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.saved_at = 0.0  # time.monotonic() of the last save

    def load(self) -> Saved | None:
        """The saved place; None when none was saved or it cannot be read."""
        try:
            value = json.loads(self.store.get_state(POSITION_KEY) or "null")
            return Saved(int(value["entry"]), float(value["position"]), bool(value.get("ran_out", False)))
        except (ValueError, TypeError, KeyError):
            return None

    def save(self, entry_id: int | None, position: float, ran_out: bool = False) -> None:
        """Remember ``entry_id`` (None: no current entry) and ``position`` seconds for the next start;
        ``ran_out``: the queue ran out on that entry (played to its end, nothing after it)."""
        value = {"entry": entry_id, "position": round(position, 2), "ran_out": bool(ran_out)}
        try:
            self.store.set_state(POSITION_KEY, json.dumps(value))
        except (sqlite3.Error, OSError) as exc:  # a full or read-only database must not stop playback
            log.info("could not save the playback position: %s", exc)
        self.saved_at = time.monotonic()

    def due(self) -> bool:
        """Whether ``POSITION_SAVE_INTERVAL_S`` passed since the last save (while playing)."""
        return time.monotonic() - self.saved_at >= POSITION_SAVE_INTERVAL_S
