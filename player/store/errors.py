"""SQL for ``scan_errors``: the files a scan could not read, one row per path, newest reason kept."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from player.store.core import Store


def record_scan_errors(store: Store, errors: Iterable[tuple[str, str, str]]) -> None:
    """Record (path, kind, message) rows; a path seen again replaces its old error."""
    now = time.time()
    rows = [(path, kind, message, now) for path, kind, message in errors]
    if rows:
        with store.transaction() as conn:
            conn.executemany(
                "INSERT INTO scan_errors (path, kind, message, at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (path) DO UPDATE SET kind = excluded.kind, message = excluded.message, "
                "at = excluded.at",
                rows,
            )


def clear_scan_errors(store: Store, paths: Iterable[str]) -> None:
    """Forget errors of files that now scan fine (or are gone)."""
    with store.transaction() as conn:
        conn.executemany("DELETE FROM scan_errors WHERE path = ?", [(p,) for p in paths])


def scan_error_paths(store: Store) -> set[str]:
    return {row[0] for row in store.conn.execute("SELECT path FROM scan_errors")}


def scan_error(store: Store, path: str) -> dict[str, Any] | None:
    """Why the scan refused the file at ``path`` (path, kind, message, at), or None."""
    row = store.conn.execute(
        "SELECT path, kind, message, at FROM scan_errors WHERE path = ?", (path,)
    ).fetchone()
    return dict(zip(("path", "kind", "message", "at"), row, strict=True)) if row else None


def list_scan_errors(store: Store) -> list[dict[str, Any]]:
    cursor = store.conn.execute("SELECT path, kind, message, at FROM scan_errors ORDER BY kind, path")
    return [dict(zip(("path", "kind", "message", "at"), row, strict=True)) for row in cursor]


def list_missing_tracks(store: Store) -> list[dict[str, Any]]:
    """Tracks whose file has vanished (flagged by a scan or by playback), by path."""
    cursor = store.conn.execute("SELECT id, path, updated_at FROM tracks WHERE missing = 1 ORDER BY path")
    return [dict(zip(("track_id", "path", "at"), row, strict=True)) for row in cursor]
