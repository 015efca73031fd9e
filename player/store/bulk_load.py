"""A first scan fills the tracks table without its secondary indexes and builds them once at the end.

Each row inserted into an indexed table also goes into each index's b-tree: with the tracks table's four
secondary indexes (artist, album and title, all without case, and the date added), 10,000 rows cost 0.27 s
of CPU to write; without them, and building them after, 0.12 s. The scan's main process, which writes
every row, is half of what a first scan on two cores waits for; building an index over rows already
there (a sort) costs a fraction of keeping it up to date row by row.

So when a scan finds the table empty and has many files to read, ``defer_track_indexes`` drops those
indexes, keeping their SQL in ``deferred_indexes`` in the same transaction, and the scan builds them
again when it ends, interrupted or not (``Store.build_deferred_indexes(mine=True)``). The SQL names the
scan's process: another open meanwhile (the app's other threads, a command) leaves the indexes to it, and
the first open after that process ended without building them (killed) builds them. Queries meanwhile give the same answers,
only without the indexes' help; the unique index on ``path`` stays, as the scan looks paths up through
it. Two scans at once: only the first finds the table empty with its indexes there, and it builds them.
"""

from __future__ import annotations

from player.store import process_owner
from player.store.core import Store


def defer_track_indexes(store: Store) -> bool:
    """Drop the tracks table's secondary indexes if the table is empty; True if this call dropped them."""
    with store.transaction() as conn:
        if conn.execute("SELECT 1 FROM tracks LIMIT 1").fetchone() is not None:
            return False
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tracks' AND sql IS NOT NULL"
        ).fetchall()
        owner = process_owner.this_process()
        for name, sql in indexes:
            conn.execute(
                "INSERT OR REPLACE INTO deferred_indexes (name, sql, owner) VALUES (?, ?, ?)",
                (name, sql, owner),
            )
            conn.execute(f'DROP INDEX "{name}"')  # a name read from sqlite_master, not from input
        return bool(indexes)
