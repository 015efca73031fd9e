"""The stored Discover mix: 30 tracks with their reasons, kept until the user asks for a new one.

One JSON value in the ``state`` table (no table of its own: the mix is replaced whole, never queried
by parts). Tracks removed from the library since the mix was made are dropped when it is read.

API: ``save_mix(store, entries, created_at=None)``, ``load_mix(store) -> (created_at, entries) | None``;
an entry is ``{"track_id": int, "reason": str}``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from player.store.core import Store

STATE_KEY = "discover.mix"


def save_mix(store: Store, entries: Iterable[dict[str, Any]], created_at: float | None = None) -> None:
    """Replace the stored mix."""
    rows = [{"track_id": int(e["track_id"]), "reason": str(e.get("reason") or "")} for e in entries]
    value = {"created_at": time.time() if created_at is None else float(created_at), "tracks": rows}
    with store.transaction():
        store.set_state(STATE_KEY, json.dumps(value, sort_keys=True))


def load_mix(store: Store) -> tuple[float, list[dict[str, Any]]] | None:
    """(created_at, entries) of the stored mix, without tracks no longer in the library; None if none."""
    raw = store.get_state(STATE_KEY)
    if not raw:
        return None
    try:
        value = json.loads(raw)
        rows = [{"track_id": int(e["track_id"]), "reason": str(e.get("reason", ""))} for e in value["tracks"]]
        created = float(value.get("created_at", 0.0))
    except (ValueError, KeyError, TypeError):
        return None  # a damaged value: as if no mix had been made
    ids = [r["track_id"] for r in rows]
    if ids:
        present = {
            int(r[0])
            for r in store.conn.execute(
                f"SELECT id FROM tracks WHERE missing = 0 AND id IN ({','.join('?' * len(ids))})", ids
            )
        }
        rows = [r for r in rows if r["track_id"] in present]
    return created, rows
