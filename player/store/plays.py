"""SQL of the listening log: one ``plays`` row per play, and the per-track statistics derived from it.

A row is inserted with ``outcome`` NULL when a track starts, checkpointed while it plays and closed with
its outcome when it ends; rows still open at startup belong to a process that died (see
``open_plays``/``close_play``). ``track_stats`` (a view) aggregates plays per track for the recommender.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from player.store.core import Store

OUTCOMES = ("completed", "skipped", "stopped", "error", "replaced")


def start_play(
    store: Store,
    track_id: int,
    session_id: str,
    *,
    duration: float | None,
    source: str = "library",
    seed: str | None = None,
    first_in_session: bool = False,
    started_at: float | None = None,
) -> int:
    """Insert an open play (outcome NULL) and return its id."""
    now = time.time() if started_at is None else started_at
    cursor = store.conn.execute(
        "INSERT INTO plays (track_id, session_id, started_at, updated_at, duration, source, seed,"
        " first_in_session) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (track_id, session_id, now, now, duration, source, seed, int(first_in_session)),
    )
    return int(cursor.lastrowid)


def checkpoint_play(
    store: Store, play_id: int, *, position: float, seconds_listened: float, duration: float | None = None
) -> None:
    """Record progress of an open play (what a crash would otherwise lose)."""
    store.conn.execute(
        "UPDATE plays SET position = ?, seconds_listened = ?, duration = COALESCE(?, duration),"
        " updated_at = ? WHERE id = ? AND outcome IS NULL",
        (position, seconds_listened, duration, time.time(), play_id),
    )


def close_play(
    store: Store,
    play_id: int,
    *,
    outcome: str,
    position: float | None = None,
    seconds_listened: float | None = None,
    duration: float | None = None,
    ended_at: float | None = None,
) -> None:
    """Close a play with its outcome; None values keep what the row already holds."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
    now = time.time()
    store.conn.execute(
        "UPDATE plays SET outcome = ?, ended_at = ?, updated_at = ?, position = COALESCE(?, position),"
        " seconds_listened = COALESCE(?, seconds_listened), duration = COALESCE(?, duration) WHERE id = ?",
        (outcome, now if ended_at is None else ended_at, now, position, seconds_listened, duration, play_id),
    )


def reopen_play(store: Store, play_id: int, track_id: int, session_id: str) -> dict[str, Any] | None:
    """Open again a play of ``track_id`` in this session that ended "replaced" (the listener undid the
    replacement and the track goes on), and return its row; None when there is no such play. Only a replaced play can be
    reopened: a judged one (a skip, a completion) stays as it was."""
    cursor = store.conn.execute(
        "UPDATE plays SET outcome = NULL, ended_at = NULL, updated_at = ?"
        " WHERE id = ? AND track_id = ? AND session_id = ? AND outcome = 'replaced' RETURNING *",
        (time.time(), play_id, track_id, session_id),
    )
    row = cursor.fetchone()
    return _as_dict(cursor, row) if row else None


def skipped_since(store: Store, since: float) -> list[tuple[int, float]]:
    """(track id, when) of every skip since ``since`` (epoch seconds), oldest first."""
    rows = store.conn.execute(
        "SELECT track_id, started_at FROM plays WHERE outcome = 'skipped' AND started_at >= ?"
        " ORDER BY started_at, id",
        (since,),
    ).fetchall()
    return [(int(t), float(at)) for t, at in rows]


def session_plays(store: Store, session_id: str) -> list[dict[str, Any]]:
    """Every play of one listening session (one run of the app or of ``encore play``), in order."""
    cursor = store.conn.execute("SELECT * FROM plays WHERE session_id = ? ORDER BY id", (session_id,))
    return [_as_dict(cursor, row) for row in cursor.fetchall()]


def open_plays(store: Store, exclude_session: str | None = None) -> list[dict[str, Any]]:
    """Plays never closed (their process died), oldest first."""
    cursor = store.conn.execute(
        "SELECT * FROM plays WHERE outcome IS NULL AND session_id IS NOT ? ORDER BY id", (exclude_session,)
    )
    return [_as_dict(cursor, row) for row in cursor.fetchall()]


def get_play(store: Store, play_id: int) -> dict[str, Any] | None:
    cursor = store.conn.execute("SELECT * FROM plays WHERE id = ?", (play_id,))
    row = cursor.fetchone()
    return _as_dict(cursor, row) if row else None


def recent_plays(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    """The latest plays, newest first, with the track's artist and title."""
    cursor = store.conn.execute(
        "SELECT p.*, t.artist, t.title, t.path FROM plays p JOIN tracks t ON t.id = p.track_id"
        " ORDER BY p.started_at DESC, p.id DESC LIMIT ?",
        (limit,),
    )
    return [_as_dict(cursor, row) for row in cursor.fetchall()]


def track_stats(store: Store, track_ids: Iterable[int] | None = None) -> dict[int, dict[str, Any]]:
    """Per-track play count, completions, skips, seconds listened and last played (the view)."""
    sql = "SELECT * FROM track_stats"
    params: tuple[Any, ...] = ()
    if track_ids is not None:
        ids = list(track_ids)
        if not ids:
            return {}
        sql += f" WHERE track_id IN ({','.join('?' * len(ids))})"
        params = tuple(ids)
    cursor = store.conn.execute(sql, params)
    return {row[0]: _as_dict(cursor, row) for row in cursor.fetchall()}


def top_tracks(store: Store, limit: int = 10) -> list[dict[str, Any]]:
    """Most listened tracks: by completed plays (ties: fewer skips, then more recent). Why not by plays
    started: a track skipped twenty times would lead the list it is least liked in."""
    cursor = store.conn.execute(
        "SELECT s.*, t.artist, t.title, t.album FROM track_stats s JOIN tracks t ON t.id = s.track_id"
        " ORDER BY s.completions DESC, s.skips ASC, s.last_played DESC LIMIT ?",
        (limit,),
    )
    return [_as_dict(cursor, row) for row in cursor.fetchall()]


def top_artists(store: Store, limit: int = 10) -> list[dict[str, Any]]:
    """Artists by completed plays, as ``top_tracks`` (untagged tracks grouped as "(unknown)")."""
    cursor = store.conn.execute(
        "SELECT COALESCE(NULLIF(t.artist, ''), '(unknown)') AS artist, COUNT(*) AS play_count,"
        " SUM(p.outcome = 'completed') AS completions, SUM(p.outcome = 'skipped') AS skips,"
        " SUM(p.seconds_listened) AS seconds_listened"
        " FROM plays p JOIN tracks t ON t.id = p.track_id GROUP BY 1"
        " ORDER BY completions DESC, skips ASC, artist LIMIT ?",
        (limit,),
    )
    return [_as_dict(cursor, row) for row in cursor.fetchall()]


def outcome_counts(store: Store) -> dict[str, int]:
    """Number of plays per outcome ("open" for plays still running), plus "total"."""
    counts = {name: 0 for name in (*OUTCOMES, "open")}
    for outcome, n in store.conn.execute("SELECT outcome, COUNT(*) FROM plays GROUP BY outcome"):
        counts[outcome or "open"] = int(n)
    counts["total"] = sum(counts.values())
    counts["seconds_listened"] = float(
        store.conn.execute("SELECT COALESCE(SUM(seconds_listened), 0) FROM plays").fetchone()[0]
    )
    return counts


def _as_dict(cursor: Any, row: tuple) -> dict[str, Any]:
    return {desc[0]: value for desc, value in zip(cursor.description, row, strict=True)}
