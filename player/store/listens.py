"""SQL for ``listen_imports`` and ``listens``: listening history imported from elsewhere (schema v6).

An import is one row of ``listen_imports`` (source, file, when, counts and a JSON report) owning its
listens; forgetting it deletes them (``ON DELETE CASCADE``). Listens are inserted with ``INSERT OR
IGNORE`` on their natural key, so a listen already imported (the same file again, an overlapping later
export) is not added twice. Encore's own plays stay in ``plays``: nothing here changes them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from typing import Any

from player.store.core import Store

LISTEN_COLUMNS = (
    "import_id",
    "source",
    "listened_at",
    "artist",
    "title",
    "album",
    "artist_mbid",
    "recording_mbid",
    "release_mbid",
    "ms_played",
    "outcome",
    "track_id",
    "catalogue_item",
    "natural_key",
)


def create_import(store: Store, source: str, file: str, now: float | None = None) -> int:
    """A new import row (inside the caller's transaction); its id."""
    cur = store.conn.execute(
        "INSERT INTO listen_imports (source, file, imported_at) VALUES (?, ?, ?)",
        (source, file, time.time() if now is None else now),
    )
    return int(cur.lastrowid)


def insert_listens(store: Store, rows: Sequence[Sequence[Any]]) -> int:
    """Insert listens (tuples in ``LISTEN_COLUMNS`` order); those whose natural key is known already are
    left out. Returns how many were added."""
    if not rows:
        return 0
    before = store.conn.total_changes
    store.conn.executemany(
        f"INSERT OR IGNORE INTO listens ({', '.join(LISTEN_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(LISTEN_COLUMNS))})",
        rows,
    )
    return store.conn.total_changes - before


def finish_import(store: Store, import_id: int, read: int, kept: int, report: dict[str, Any]) -> None:
    """Record an import's counts, its date range and its report."""
    first, last = store.conn.execute(
        "SELECT MIN(listened_at), MAX(listened_at) FROM listens WHERE import_id = ?", (import_id,)
    ).fetchone()
    store.conn.execute(
        "UPDATE listen_imports SET listens_read = ?, listens_kept = ?, first_at = ?, last_at = ?, report = ?"
        " WHERE id = ?",
        (read, kept, first, last, json.dumps(report, ensure_ascii=False, sort_keys=True), import_id),
    )


def drop_import(store: Store, import_id: int) -> None:
    """Delete an import row that kept no listens (inside the caller's transaction)."""
    store.conn.execute("DELETE FROM listen_imports WHERE id = ?", (import_id,))


def list_imports(store: Store) -> list[dict[str, Any]]:
    """Every import, oldest first, with its report decoded and its listens still held."""
    cursor = store.conn.execute(
        "SELECT i.*, (SELECT COUNT(*) FROM listens l WHERE l.import_id = i.id) AS listens_held"
        " FROM listen_imports i ORDER BY i.id"
    )
    names = [d[0] for d in cursor.description]
    out = []
    for row in cursor.fetchall():
        item = dict(zip(names, row, strict=True))
        try:
            item["report"] = json.loads(item["report"] or "{}")
        except json.JSONDecodeError:
            item["report"] = {}
        out.append(item)
    return out


def forget_import(store: Store, import_id: int) -> int | None:
    """Delete an import and its listens; how many listens went, or None when there is no such import."""
    with store.transaction() as conn:
        if conn.execute("SELECT 1 FROM listen_imports WHERE id = ?", (import_id,)).fetchone() is None:
            return None
        n = conn.execute("SELECT COUNT(*) FROM listens WHERE import_id = ?", (import_id,)).fetchone()[0]
        conn.execute("DELETE FROM listens WHERE import_id = ?", (import_id,))
        conn.execute("DELETE FROM listen_imports WHERE id = ?", (import_id,))
    return int(n)


def listen_feedback(store: Store, now: float, half_life_days: float) -> list[tuple[Any, ...]]:
    """Imported listens summed for the taste: one row per (library track, catalogue item, artist, source,
    outcome) with the count, the recency-weighted count (a listen's weight halves every
    ``half_life_days``) and the latest time. Summed in SQL: a decade of history is a million rows."""
    rate = 0.6931471805599453 / (max(half_life_days, 1e-6) * 86400.0)
    return store.conn.execute(
        "SELECT track_id, catalogue_item, MIN(artist), source, outcome, COUNT(*),"
        " SUM(exp(-? * MAX(0.0, ? - listened_at))), MAX(listened_at)"
        " FROM listens GROUP BY track_id, catalogue_item, CASE WHEN catalogue_item IS NULL AND track_id IS NULL"
        " THEN encore_fold(artist) END, source, outcome",
        (rate, now),
    ).fetchall()


def elsewhere_counts(store: Store, track_ids: Iterable[int] | None = None) -> dict[int, int]:
    """track id -> completed listens imported from elsewhere matched to it, shown beside Encore's own
    plays, which count completions too (a skip on Spotify is no play, as a skip in Encore is none)."""
    rows = store.conn.execute(
        "SELECT track_id, COUNT(*) FROM listens WHERE track_id IS NOT NULL AND outcome = 'completed'"
        " GROUP BY track_id"
    ).fetchall()
    counts = {int(t): int(n) for t, n in rows}
    if track_ids is None:
        return counts
    wanted = {int(t) for t in track_ids}
    return {t: n for t, n in counts.items() if t in wanted}


def listen_outcomes(store: Store) -> dict[int, tuple[int, int, int]]:
    """track id -> (completed, skipped, all) listens imported from elsewhere matched to it."""
    rows = store.conn.execute(
        "SELECT track_id, SUM(outcome = 'completed'), SUM(outcome = 'skipped'), COUNT(*) FROM listens"
        " WHERE track_id IS NOT NULL GROUP BY track_id"
    ).fetchall()
    return {int(t): (int(c or 0), int(k or 0), int(n)) for t, c, k, n in rows}


def listen_total(store: Store) -> int:
    return int(store.conn.execute("SELECT COUNT(*) FROM listens").fetchone()[0])


def listens_by_source(store: Store) -> dict[str, int]:
    """source -> listens held from it, largest first: what ``encore stats`` shows beside Encore's plays."""
    rows = store.conn.execute(
        "SELECT source, COUNT(*) AS n FROM listens GROUP BY source ORDER BY n DESC, source"
    ).fetchall()
    return {str(source): int(n) for source, n in rows}
