"""Read-only SQL the taste model needs: who each track is by, and what happened when it played.

The plays table is written by ``player/store/plays.py``; this module only reads it (and ``tracks``).
Per-play rows rather than SQL aggregates because the fold-in weights each play by its age (recency
decay), which SQLite cannot compute portably (``exp()`` needs the optional math functions).

API: ``track_credits(store)``, ``play_events(store, since=None)``, ``track_play_counts(store)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from player.store.core import Store
from player.store.plays import track_stats


@dataclass(frozen=True)
class TrackCredit:
    track_id: int
    artist: str | None
    album_artist: str | None
    title: str | None
    mb_artist_id: str | None
    mb_album_artist_id: str | None


@dataclass(frozen=True)
class PlayEvent:
    track_id: int
    started_at: float
    outcome: str | None  # 'completed', 'skipped', 'stopped', 'error' or None while playing
    seconds_listened: float
    duration: float | None


def track_credits(store: Store) -> list[TrackCredit]:
    """Artist credits of every track that is still in the library (not marked missing)."""
    rows = store.conn.execute(
        "SELECT id, artist, album_artist, title, mb_artist_id, mb_album_artist_id "
        "FROM tracks WHERE missing = 0 ORDER BY id"
    ).fetchall()
    return [TrackCredit(*row) for row in rows]


def play_events(store: Store, since: float | None = None) -> list[PlayEvent]:
    """Every finished play (outcome set) of a track, oldest first; only those after ``since`` if given."""
    sql = (
        "SELECT p.track_id, p.started_at, p.outcome, p.seconds_listened, COALESCE(p.duration, t.duration) "
        "FROM plays p JOIN tracks t ON t.id = p.track_id WHERE p.outcome IS NOT NULL"
    )
    params: tuple = ()
    if since is not None:
        sql += " AND p.started_at > ?"
        params = (since,)
    sql += " ORDER BY p.started_at, p.id"
    return [
        PlayEvent(int(a), float(b), c, float(d or 0.0), e)
        for a, b, c, d, e in store.conn.execute(sql, params)
    ]


def track_play_counts(store: Store) -> dict[int, int]:
    """track_id -> number of plays (any outcome), for ordering coverage reports."""
    return {int(t): int(s["play_count"]) for t, s in track_stats(store).items()}
