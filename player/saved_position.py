"""``SavedPosition``: where playback was (the queue entry and the seconds into it), kept for the next start.

Why a module of its own: the controller (``player.session``) drives playback; keeping its place across a
restart is a job apart, with rules of its own. The controller saves it on pause, stop and shutdown and,
while playing, at most every ``POSITION_SAVE_INTERVAL_S`` so a crash loses little; at start it resumes
there only when the saved entry is still the queue's current one. A full or read-only database must not
stop playback, so a failed save is only logged, and an unreadable saved value reads as none.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time

from player.store import Store

log = logging.getLogger(__name__)

#: Where the playback position is kept for the next start (JSON: queue entry id and seconds).
POSITION_KEY = "playback.position"
#: While playing, the position is saved at most this often (seconds), so a crash loses little.
POSITION_SAVE_INTERVAL_S = 5.0


class SavedPosition:
    """The saved playback position of one store. Callers hold the lock that guards its connection."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.saved_at = 0.0  # time.monotonic() of the last save

    def load(self) -> tuple[int, float] | None:
        """The saved (queue entry id, seconds); None when none was saved or it cannot be read."""
        try:
            value = json.loads(self.store.get_state(POSITION_KEY) or "null")
            return int(value["entry"]), float(value["position"])
        except (ValueError, TypeError, KeyError):
            return None

    def save(self, entry_id: int | None, position: float) -> None:
        """Remember ``entry_id`` (None: no current entry) and ``position`` seconds for the next start."""
        value = {"entry": entry_id, "position": round(position, 2)}
        try:
            self.store.set_state(POSITION_KEY, json.dumps(value))
        except (sqlite3.Error, OSError) as exc:  # a full or read-only database must not stop playback
            log.info("could not save the playback position: %s", exc)
        self.saved_at = time.monotonic()

    def due(self) -> bool:
        """Whether ``POSITION_SAVE_INTERVAL_S`` passed since the last save (while playing)."""
        return time.monotonic() - self.saved_at >= POSITION_SAVE_INTERVAL_S
