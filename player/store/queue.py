"""SQL of the play queue: ``queue_entries`` rows (position, track, source, seed) and the queue's state.

The queue is small (hundreds to a few thousand entries), so a change rewrites the positions of all
entries in one transaction: simple, and a crash leaves either the old or the new order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from player.store.core import Store

STATE_KEY = "queue.state"


def load_entries(store: Store) -> list[dict[str, Any]]:
    """All entries in queue order: dicts with id, position, track_id, source, seed."""
    cursor = store.conn.execute(
        "SELECT id, position, track_id, source, seed FROM queue_entries ORDER BY position, id"
    )
    return [dict(zip(("id", "position", "track_id", "source", "seed"), row, strict=True)) for row in cursor]


def save_order(
    store: Store,
    order: Sequence[int],
    new_entries: Sequence[tuple[int, str, str | None]] = (),
    removed: Sequence[int] = (),
    first_id: int = 1,
) -> list[int]:
    """Insert ``new_entries`` (track_id, source, seed), delete ``removed`` ids and set every position.

    ``order`` lists entry ids, with ``-1 - k`` standing for the k-th new entry; returns the new ids. New
    ids are above every id in the table and at least ``first_id``: an id is never given twice while its
    old entry may still be playing (the player names its items by entry id, and libvlc reports the end of
    an item after the queue moved on, so a reused id would pin a late event on the wrong entry).
    """
    with store.transaction() as conn:
        (top,) = conn.execute("SELECT COALESCE(MAX(id), 0) FROM queue_entries").fetchone()
        next_id = max(int(top) + 1, int(first_id))
        new_ids = []
        for track_id, source, seed in new_entries:
            conn.execute(
                "INSERT INTO queue_entries (id, position, track_id, source, seed) VALUES (?, -1, ?, ?, ?)",
                (next_id, track_id, source, seed),
            )
            new_ids.append(next_id)
            next_id += 1
        if removed:
            conn.executemany("DELETE FROM queue_entries WHERE id = ?", [(i,) for i in removed])
        ids = [new_ids[-1 - i] if i < 0 else i for i in order]
        conn.executemany("UPDATE queue_entries SET position = ? WHERE id = ?", list(enumerate(ids)))
        return new_ids


def clear_entries(store: Store) -> None:
    store.conn.execute("DELETE FROM queue_entries")


def load_state(store: Store) -> dict[str, Any]:
    """The queue's cursor, modes and history (JSON in ``state``); {} when never saved."""
    raw = store.get_state(STATE_KEY)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def save_state(store: Store, state: dict[str, Any]) -> None:
    store.set_state(STATE_KEY, json.dumps(state, sort_keys=True))
