"""What the recommender's start-up caches are keyed by: the library's change state, read from the store.

Why here: the store is the one owner of SQL. The caches (``recommender.radio.cache``) only need a value
that changes whenever a track or an analysis changes; this module gives it. Ratings are in neither
value: the only thing a cache derives from them is the set of banned tracks, which the radio masks
out at load and ``similar`` applies per query, so a love or a ban keeps every cache:

- ``change_state(store)``: the schema-v4 change counter (``library_changes``: this database's id and a
  count that triggers raise on every insert, update or delete of a track or an analysis; of a rating
  too before schema v8),
  read in O(1), plus the newest track id, ``added_at`` and analysed id (index look-ups) in case an
  older copy of the file was put back; None on a database without the counter (opened read-only
  before its migration);
- ``scanned_state(store, model_version)``: the fallback, a scan of the tracks (count, id sum, newest
  ``updated_at`` / ``added_at``, missing count) and the current analyses (count, id sum, newest
  ``analyzed_at``), about 70 ms at 100k tracks.

- ``log_position(store)``, ``changes_since(store, seq)``, ``trim_log(store)``: the schema-v10 log of which
  tracks changed (added, changed, removed, analysed, unanalysed; since schema v12 also gone, back and moved,
  and 'changed' only for a column the recommender reads, ``schema.RECOMMENDER_COLUMNS``), so a cache can
  update just those rows.

Plays are in neither: what depends on them is recomputed at every load.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from player.store.core import Store


def change_state(store: Store) -> list[Any] | None:
    """The change counter and a few index look-ups (~0.1 ms), or None on a database without it."""
    conn = store.conn
    try:
        row = conn.execute("SELECT uid, n FROM library_changes WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # no such table: a database not migrated to schema v4
        return None
    if row is None:
        return None
    # One aggregate per statement: SQLite answers a lone MAX from the index's end, but two in one
    # statement scan the whole index (10 ms at 100k tracks, at every start).
    newest = [
        conn.execute(f"SELECT MAX({column}) FROM tracks").fetchone()[0] for column in ("id", "added_at")
    ]
    analysed = conn.execute("SELECT MAX(track_id) FROM analysis").fetchone()
    return [*row, *newest, *analysed]


LOG_KEEP = 200_000
"""How many of the newest log rows ``trim_log`` keeps: two full rescans of a 100k library."""


def log_position(store: Store) -> int | None:
    """The newest ``seq`` of the change log (0 when empty), or None on a database without the log."""
    try:
        row = store.conn.execute("SELECT MAX(seq) FROM library_log").fetchone()
    except sqlite3.OperationalError:  # a database not migrated to schema v10 (opened read-only)
        return None
    return int(row[0] or 0)


def changes_since(store: Store, seq: int) -> dict[str, set[int]] | None:
    """Which tracks changed after log position ``seq``: {what: track ids} ('added', 'changed', 'removed',
    'analysed', 'unanalysed', 'gone', 'back', 'moved'), or None when the log cannot tell (no log, or
    trimmed past ``seq``)."""
    conn = store.conn
    try:  # the rows first, the floor after: a trim committed in between raises the floor read last
        rows = conn.execute(
            "SELECT DISTINCT what, track_id FROM library_log WHERE seq > ?", (int(seq),)
        ).fetchall()
        floor = conn.execute("SELECT seq FROM library_log_floor WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        return None
    if floor is None or int(floor[0]) > seq:
        return None
    out: dict[str, set[int]] = {}
    for what, track_id in rows:
        out.setdefault(what, set()).add(int(track_id))
    return out


def trim_log(store: Store, keep: int = LOG_KEEP) -> int:
    """Drop all but the newest ``keep`` log rows (raising the floor past them); how many were dropped."""
    conn = store.conn
    try:
        with store.transaction():
            newest = conn.execute("SELECT MAX(seq) FROM library_log").fetchone()[0]
            if newest is None or newest <= keep:
                return 0
            cut = int(newest) - keep
            dropped = conn.execute("DELETE FROM library_log WHERE seq <= ?", (cut,)).rowcount
            conn.execute("UPDATE library_log_floor SET seq = MAX(seq, ?) WHERE id = 1", (cut,))
    except sqlite3.OperationalError:  # no log (an old database opened read-only)
        return 0
    return int(dropped)


def scanned_state(store: Store, model_version: str) -> dict[str, Any]:
    """What the caches depend on, by scanning the tables (see the module doc)."""
    conn = store.conn
    return {
        "tracks": list(
            conn.execute(
                "SELECT COUNT(*), TOTAL(id), MAX(updated_at), MAX(added_at), TOTAL(missing) FROM tracks"
            ).fetchone()
        ),
        "analysis": list(
            conn.execute(
                "SELECT COUNT(*), TOTAL(track_id), MAX(analyzed_at) FROM analysis WHERE model_version = ?",
                (model_version,),
            ).fetchone()
        ),
    }
