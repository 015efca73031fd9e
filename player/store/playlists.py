"""SQL for playlists: ``playlists`` (name, and for a smart playlist its rules as JSON data) and
``playlist_entries`` (the ordered tracks of a static playlist).

Names are unique regardless of case. A smart playlist keeps no entries: its tracks are computed from its
rules each time (``player.store.smart``). Positions are dense (0..n-1) after every change.

Rules are validated before they are saved (``validate_rules``: a size the SQL can run). Stored rules that
cannot be used all the same (an older version's, a hand edit) make that one playlist's ``problem`` (a
sentence; ``rules`` is then None): it is listed with that note, and every other playlist works.

API: ``PlaylistError``, ``create_playlist``, ``rename_playlist``, ``delete_playlist``, ``list_playlists``,
``get_playlist``, ``find_playlist``, ``playlist_tracks``, ``iter_playlist_tracks``, ``playlist_track_ids``, ``add_tracks``,
``remove_entries``, ``move_entries``, ``set_entry_order``, ``set_rules``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from player.store.core import Store
from player.store.smart import SmartRuleError, load_rules, validate_rules


class PlaylistError(ValueError):
    """A playlist operation that cannot be done (unknown playlist, a name already taken...)."""


def _clean_name(name: str) -> str:
    clean = " ".join(str(name).split())
    if not clean:
        raise PlaylistError("a playlist needs a name")
    return clean


def create_playlist(store: Store, name: str, rules: dict[str, Any] | None = None) -> int:
    """A new, empty playlist (smart when ``rules`` are given: JSON-able data); returns its id.
    Rules that cannot run raise ``SmartRuleError`` and nothing is saved."""
    clean = _clean_name(name)
    rules = None if rules is None else validate_rules(rules)
    now = time.time()
    try:
        with store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO playlists (name, rules, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (clean, None if rules is None else json.dumps(rules), now, now),
            )
    except sqlite3.IntegrityError as exc:
        raise PlaylistError(f"a playlist named “{clean}” already exists") from exc
    return int(cursor.lastrowid)


def rename_playlist(store: Store, playlist_id: int, name: str) -> None:
    clean = _clean_name(name)
    _require(store, playlist_id)
    try:
        with store.transaction() as conn:
            conn.execute(
                "UPDATE playlists SET name = ?, updated_at = ? WHERE id = ?",
                (clean, time.time(), playlist_id),
            )
    except sqlite3.IntegrityError as exc:
        raise PlaylistError(f"a playlist named “{clean}” already exists") from exc


def delete_playlist(store: Store, playlist_id: int) -> None:
    with store.transaction() as conn:
        conn.execute("DELETE FROM playlists WHERE id = ?", (int(playlist_id),))


def set_rules(store: Store, playlist_id: int, rules: dict[str, Any]) -> None:
    """Replace a smart playlist's rules (data, stored as JSON); rules that cannot run raise
    ``SmartRuleError`` and the old ones stay."""
    rules = validate_rules(rules)
    _require(store, playlist_id)
    with store.transaction() as conn:
        conn.execute(
            "UPDATE playlists SET rules = ?, updated_at = ? WHERE id = ?",
            (json.dumps(rules), time.time(), int(playlist_id)),
        )


def _row(row: tuple) -> dict[str, Any]:
    pid, name, text, created, updated, count = row
    rules, problem = None, None
    if text is not None:
        try:
            rules = load_rules(text)
        except SmartRuleError as exc:
            problem = f"unusable rules: {exc} (encore smart edit or delete it)"
    return {
        "id": int(pid),
        "name": name,
        "smart": text is not None,
        "rules": rules,
        "problem": problem,
        "created_at": created,
        "updated_at": updated,
        "tracks": int(count),
    }


_SELECT = (
    "SELECT p.id, p.name, p.rules, p.created_at, p.updated_at,"
    " (SELECT COUNT(*) FROM playlist_entries e WHERE e.playlist_id = p.id) FROM playlists p"
)


def list_playlists(store: Store) -> list[dict[str, Any]]:
    """Every playlist by name: id, name, smart, rules (dict or None), problem (why a smart playlist's
    stored rules cannot be used, else None), tracks (entries of a static one)."""
    return [_row(r) for r in store.conn.execute(_SELECT + " ORDER BY p.name COLLATE NOCASE")]


def get_playlist(store: Store, playlist_id: int) -> dict[str, Any] | None:
    row = store.conn.execute(_SELECT + " WHERE p.id = ?", (int(playlist_id),)).fetchone()
    return _row(row) if row else None


def find_playlist(store: Store, name_or_id: str) -> dict[str, Any] | None:
    """A playlist by name (any case) or by id."""
    text = " ".join(str(name_or_id).split())
    row = store.conn.execute(_SELECT + " WHERE p.name = ? COLLATE NOCASE", (text,)).fetchone()
    if row is None and text.isdigit():
        return get_playlist(store, int(text))
    return _row(row) if row else None


def _require(store: Store, playlist_id: int) -> None:
    if store.conn.execute("SELECT 1 FROM playlists WHERE id = ?", (int(playlist_id),)).fetchone() is None:
        raise PlaylistError(f"no playlist with id {playlist_id}")


def playlist_tracks(store: Store, playlist_id: int) -> list[dict[str, Any]]:
    """A static playlist's entries in order: entry id, position and the track's columns."""
    return list(iter_playlist_tracks(store, playlist_id))


def iter_playlist_tracks(store: Store, playlist_id: int) -> Iterator[dict[str, Any]]:
    """``playlist_tracks`` one entry at a time, for callers that write or print them as they come (a
    playlist of a million entries as dicts is gigabytes)."""
    cursor = store.conn.execute(
        "SELECT e.id AS entry_id, e.position, t.* FROM playlist_entries e JOIN tracks t ON t.id = e.track_id"
        " WHERE e.playlist_id = ? ORDER BY e.position, e.id",
        (int(playlist_id),),
    )
    names = [d[0] for d in cursor.description]
    for row in cursor:
        yield dict(zip(names, row, strict=True))


def playlist_track_ids(store: Store, playlist_id: int) -> list[int]:
    return [
        int(r[0])
        for r in store.conn.execute(
            "SELECT track_id FROM playlist_entries WHERE playlist_id = ? ORDER BY position, id",
            (int(playlist_id),),
        )
    ]


def _renumber(conn: sqlite3.Connection, playlist_id: int, entry_ids: Sequence[int]) -> None:
    conn.executemany(
        "UPDATE playlist_entries SET position = ? WHERE id = ? AND playlist_id = ?",
        [(i, e, playlist_id) for i, e in enumerate(entry_ids)],
    )
    conn.execute("UPDATE playlists SET updated_at = ? WHERE id = ?", (time.time(), playlist_id))


def _entry_ids(conn: sqlite3.Connection, playlist_id: int) -> list[int]:
    return [
        int(r[0])
        for r in conn.execute(
            "SELECT id FROM playlist_entries WHERE playlist_id = ? ORDER BY position, id", (playlist_id,)
        )
    ]


def add_tracks(
    store: Store, playlist_id: int, track_ids: Iterable[int], position: int | None = None
) -> list[int]:
    """Insert tracks (duplicates allowed, as in any player) at ``position`` (default: the end);
    returns the new entry ids."""
    playlist = get_playlist(store, playlist_id)
    if playlist is None:
        raise PlaylistError(f"no playlist with id {playlist_id}")
    if playlist["smart"]:
        raise PlaylistError(f"“{playlist['name']}” is a smart playlist: its rules choose its tracks")
    ids = [int(t) for t in track_ids]
    with store.transaction() as conn:
        order = _entry_ids(conn, playlist_id)
        new = [
            int(
                conn.execute(
                    "INSERT INTO playlist_entries (playlist_id, position, track_id) VALUES (?, ?, ?)",
                    (playlist_id, len(order) + i, t),
                ).lastrowid
            )
            for i, t in enumerate(ids)
        ]
        at = len(order) if position is None else max(0, min(int(position), len(order)))
        _renumber(conn, playlist_id, order[:at] + new + order[at:])
    return new


def remove_entries(store: Store, playlist_id: int, entry_ids: Iterable[int]) -> int:
    """Remove entries (by entry id); returns how many went."""
    gone = {int(e) for e in entry_ids}
    with store.transaction() as conn:
        order = _entry_ids(conn, playlist_id)
        keep = [e for e in order if e not in gone]
        conn.executemany(
            "DELETE FROM playlist_entries WHERE id = ? AND playlist_id = ?", [(e, playlist_id) for e in gone]
        )
        _renumber(conn, playlist_id, keep)
    return len(order) - len(keep)


def move_entries(store: Store, playlist_id: int, entry_ids: Sequence[int], position: int) -> None:
    """Move entries (kept in their order) so that the first lands at ``position`` of the remaining list
    (what a drag and drop does)."""
    moving = [int(e) for e in entry_ids]
    with store.transaction() as conn:
        order = _entry_ids(conn, playlist_id)
        moving = [e for e in moving if e in set(order)]
        rest = [e for e in order if e not in set(moving)]
        at = max(0, min(int(position), len(rest)))
        _renumber(conn, playlist_id, rest[:at] + moving + rest[at:])


def set_entry_order(store: Store, playlist_id: int, entry_ids: Sequence[int]) -> None:
    """Put the entries in exactly this order (entries not named keep their relative order at the end)."""
    wanted = [int(e) for e in entry_ids]
    with store.transaction() as conn:
        order = _entry_ids(conn, playlist_id)
        known = set(order)
        first = [e for e in wanted if e in known]
        _renumber(conn, playlist_id, first + [e for e in order if e not in set(first)])
