"""SQL of the ListenBrainz submit queue: one ``submit_queue`` row per qualifying play waiting to be sent.

The sender (``player.listenbrainz.sender``) never holds a transaction over a network request. It *claims* the
entries it is about to send: in the transaction that reads them, their ``next_try_at`` moves past the
request's timeout, so the app and ``encore play`` on one database never send the same listen at the same
time, and a process that dies mid-request leaves its entries due again once the claim runs out. After
the answer it deletes them (sent), postpones them (``attempts`` + 1, the backoff's next time, the error
kept in ``last_error``) or gives the claim back unchanged (a rate limit, a refused token: not their fault).

A listen the server refuses for good (HTTP 400) is deleted; what it was and why is kept in the ``state``
table under ``REFUSED_KEY`` (the latest ``REFUSED_KEEP``), so the reason stays visible after the log is gone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from player.store.core import Store

REFUSED_KEY = "listenbrainz.refused"
#: How many refused listens ``REFUSED_KEY`` keeps (the newest).
REFUSED_KEEP = 50


@dataclass(frozen=True)
class SubmitEntry:
    """One queued listen: ``listen`` is the ListenBrainz listen object (``listened_at``, ``track_metadata``);
    None when the stored JSON is damaged (the sender drops it as refused)."""

    id: int
    play_id: int | None
    listen: dict[str, Any] | None
    attempts: int
    next_try_at: float
    last_error: str | None
    created_at: float


_COLUMNS = "id, play_id, payload, attempts, next_try_at, last_error, created_at"


def _entry(row: tuple) -> SubmitEntry:
    entry_id, play_id, payload, attempts, next_try_at, last_error, created_at = row
    try:
        listen = json.loads(payload)
    except ValueError:
        listen = None
    return SubmitEntry(
        int(entry_id),
        None if play_id is None else int(play_id),
        listen if isinstance(listen, dict) else None,
        int(attempts),
        float(next_try_at),
        last_error,
        float(created_at),
    )


def enqueue(store: Store, play_id: int, listen: dict[str, Any], *, now: float) -> bool:
    """Queue the listen of play ``play_id``, due at once; False when that play is queued already (a play
    is one listen, however often its hook runs)."""
    cursor = store.conn.execute(
        "INSERT INTO submit_queue (play_id, payload, attempts, next_try_at, created_at)"
        " VALUES (?, ?, 0, ?, ?)"
        " ON CONFLICT(play_id) DO NOTHING",
        (play_id, json.dumps(listen, ensure_ascii=False, sort_keys=True), now, now),
    )
    return cursor.rowcount == 1


def claim_due(store: Store, *, now: float, limit: int, claim_until: float) -> list[SubmitEntry]:
    """Up to ``limit`` entries due at ``now``, oldest first, claimed until ``claim_until`` (see above)."""
    with store.transaction() as conn:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM submit_queue WHERE next_try_at <= ? ORDER BY next_try_at, id LIMIT ?",
            (now, limit),
        ).fetchall()
        conn.executemany(
            "UPDATE submit_queue SET next_try_at = ? WHERE id = ?", [(claim_until, row[0]) for row in rows]
        )
    return [_entry(row) for row in rows]


def mark_sent(store: Store, ids: Sequence[int]) -> None:
    """The server took these listens: they leave the queue."""
    with store.transaction() as conn:
        conn.executemany("DELETE FROM submit_queue WHERE id = ?", [(i,) for i in ids])


def postpone(store: Store, ids: Sequence[int], *, next_try_at: float, error: str) -> None:
    """A failed attempt (no answer, a server error): count it, keep why, try again at ``next_try_at``."""
    with store.transaction() as conn:
        conn.executemany(
            "UPDATE submit_queue SET attempts = attempts + 1, next_try_at = ?, last_error = ? WHERE id = ?",
            [(next_try_at, error, i) for i in ids],
        )


def release(store: Store, ids: Sequence[int], *, next_try_at: float) -> None:
    """Give claimed entries back, due at ``next_try_at``, without counting an attempt."""
    with store.transaction() as conn:
        conn.executemany(
            "UPDATE submit_queue SET next_try_at = ? WHERE id = ?", [(next_try_at, i) for i in ids]
        )


def drop_refused(store: Store, entry: SubmitEntry, reason: str, *, now: float) -> None:
    """The server refused this listen for good: delete it and keep what it was and why."""
    meta = (entry.listen or {}).get("track_metadata") or {}
    record = {
        "at": now,
        "play_id": entry.play_id,
        "artist": meta.get("artist_name"),
        "title": meta.get("track_name"),
        "listened_at": (entry.listen or {}).get("listened_at"),
        "reason": reason,
    }
    with store.transaction() as conn:
        kept = refused(store)
        kept.append(record)
        store.set_state(REFUSED_KEY, json.dumps(kept[-REFUSED_KEEP:], ensure_ascii=False))
        conn.execute("DELETE FROM submit_queue WHERE id = ?", (entry.id,))


def refused(store: Store) -> list[dict[str, Any]]:
    """The listens the server refused (newest last): at, play_id, artist, title, listened_at, reason."""
    try:
        value = json.loads(store.get_state(REFUSED_KEY) or "[]")
    except ValueError:
        return []
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def entries(store: Store) -> list[SubmitEntry]:
    """Every queued entry, in the order it will be sent."""
    cursor = store.conn.execute(f"SELECT {_COLUMNS} FROM submit_queue ORDER BY next_try_at, id")
    return [_entry(row) for row in cursor.fetchall()]


def waiting(store: Store) -> tuple[int, str | None, float | None]:
    """How many listens wait, and the error and next try of the failed one due first (None, None when no
    try failed): what Settings says, without decoding every listen of a queue that grew offline."""
    (count,) = store.conn.execute("SELECT COUNT(*) FROM submit_queue").fetchone()
    failed = store.conn.execute(
        "SELECT last_error, next_try_at FROM submit_queue WHERE last_error IS NOT NULL"
        " ORDER BY next_try_at, id LIMIT 1"
    ).fetchone()
    return int(count), (failed[0] if failed else None), (float(failed[1]) if failed else None)


def next_due_at(store: Store) -> float | None:
    """When the earliest entry is due (claimed ones included); None when the queue is empty."""
    value = store.conn.execute("SELECT MIN(next_try_at) FROM submit_queue").fetchone()[0]
    return None if value is None else float(value)
