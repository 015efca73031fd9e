"""SQL for the ``tracks`` table: what the scanner writes and how everything else looks tracks up.

Tracks are never deleted by a scan: a file that vanished is flagged ``missing`` so that its play
history and analysis survive an unmounted drive, and the flag clears when the file comes back.
"""

from __future__ import annotations

import os
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from player.store.core import Store, like_contains, select_in
from player.text import MAX_QUERY_CHARS, decoded, fold, search_key, search_words

TRACK_COLUMNS = (
    "path",
    "size",
    "mtime",
    "duration",
    "artist",
    "album_artist",
    "album",
    "title",
    "track_number",
    "disc_number",
    "year",
    "genre",
    "mb_track_id",
    "mb_artist_id",
    "mb_album_id",
    "mb_album_artist_id",
    "format",
    "bitrate",
    "sample_rate",
    "channels",
    "rg_track_gain",
    "rg_track_peak",
    "rg_album_gain",
    "rg_album_peak",
    "tags_from_path",
)


def known_files(store: Store) -> dict[str, tuple[int, int, float, int]]:
    """path -> (id, size, mtime, missing) for every known track: what an incremental scan compares."""
    return {
        path: (track_id, size, mtime, missing)
        for track_id, path, size, mtime, missing in store.conn.execute(
            "SELECT id, path, size, mtime, missing FROM tracks"
        )
    }


def upsert_tracks(store: Store, rows: Iterable[dict[str, Any]]) -> int:
    """Insert new tracks or refresh known ones (matched by path), clearing ``missing``; returns how many
    were new (decided under the write lock, so two concurrent scans do not both count a track as added).

    A known track keeps its id and ``added_at``. Runs inside the caller's transaction when there is one.
    Plain ``executemany`` with prepared statements: sqlite-utils' bulk insert cost 0.19 ms a row in
    Python (building and JSON-checking every value), most of a 10,000-file scan's main-process time,
    and importing it pulls in numpy (0.25 s of the scan's start-up).
    """
    now = time.time()
    batch = [tuple(map(row.get, TRACK_COLUMNS)) for row in rows]
    if not batch:
        return 0
    with store.transaction() as conn:
        paths = [row[0] for row in batch]
        known: set[str] = set()
        for i in range(0, len(paths), 900):
            chunk = paths[i : i + 900]
            marks = ", ".join("?" * len(chunk))
            known.update(
                p for (p,) in conn.execute(f"SELECT path FROM tracks WHERE path IN ({marks})", chunk)
            )
        new = [(*row, now, now) for row in batch if row[0] not in known]
        changed = [(*row[1:], now, row[0]) for row in batch if row[0] in known]
        if new:
            conn.executemany(_INSERT_TRACK, new)
        if changed:
            conn.executemany(_UPDATE_TRACK, changed)
        return len(new)


_INSERT_TRACK = (
    f"INSERT INTO tracks ({', '.join(TRACK_COLUMNS)}, added_at, updated_at, missing) "
    f"VALUES ({', '.join('?' * (len(TRACK_COLUMNS) + 2))}, 0)"
)
# A known track: every scanned column refreshed, ``added_at`` (and the id) kept.
_UPDATE_TRACK = (
    f"UPDATE tracks SET {', '.join(f'{c} = ?' for c in TRACK_COLUMNS[1:])}, updated_at = ?, missing = 0 "
    "WHERE path = ?"
)


def move_track(store: Store, track_id: int, new_path: str) -> None:
    """A known track found at a new path (renamed or moved): keep its id, history and analysis."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE tracks SET path = ?, missing = 0, updated_at = ? WHERE id = ?",
            (new_path, time.time(), track_id),
        )


def named_from_path(store: Store, track_ids: Sequence[int]) -> set[int]:
    """Which of these tracks were named from their file's path (they had no artist or title tag): a scan
    reads one again when its file moves, for the name it has now."""
    sql = "SELECT id FROM tracks WHERE tags_from_path = 1 AND id IN ({marks})"
    return {int(i) for (i,) in select_in(store.conn, sql, [int(t) for t in track_ids])}


def set_missing(store: Store, track_ids: Iterable[int], missing: bool = True) -> int:
    """Flag tracks whose files vanished (or came back); returns how many rows changed."""
    ids = list(track_ids)
    with store.transaction() as conn:
        # rowcount, not total_changes: the latter also counts the change counter's trigger updates.
        cursor = conn.executemany(
            "UPDATE tracks SET missing = ?, updated_at = ? WHERE id = ? AND missing != ?",
            [(int(missing), time.time(), i, int(missing)) for i in ids],
        )
        return max(cursor.rowcount, 0)


def get_track(store: Store, track_id: int) -> dict[str, Any] | None:
    cursor = store.conn.execute("SELECT * FROM tracks WHERE id = ?", (track_id,))
    row = cursor.fetchone()
    return _as_dict(cursor, row) if row else None


def get_track_by_path(store: Store, path: str) -> dict[str, Any] | None:
    cursor = store.conn.execute("SELECT * FROM tracks WHERE path = ?", (path,))
    row = cursor.fetchone()
    return _as_dict(cursor, row) if row else None


def tracks_by_artist_title(store: Store) -> dict[tuple[str, str], int]:
    """(artist key, title key) -> track id over the present tracks, for matching "Artist - Title" text
    written elsewhere (a playlist made on another machine) to this library. Keys are ``fold_artist``
    (the key artists are rated by: NFKC + casefold, spaces collapsed); a track is keyed under its artist
    and its album artist; where two tracks share a key the oldest wins (as ``find_track`` prefers)."""
    from player.store.functions import fold_artist

    index: dict[tuple[str, str], int] = {}
    rows = store.conn.execute(
        "SELECT id, artist, album_artist, title FROM tracks WHERE missing = 0 AND title IS NOT NULL ORDER BY id"
    )
    for track_id, artist, album_artist, title in rows:
        title_key = fold_artist(title)
        for credit in (artist, album_artist):
            if credit:
                index.setdefault((fold_artist(credit), title_key), int(track_id))
    return index


LIBRARY_ORDER = (
    "COALESCE(album_artist, artist) COLLATE NOCASE, album COLLATE NOCASE, disc_number, track_number, path"
)
"""The order the library is listed in: album artist, album, disc, track (the radio numbers its rows by id)."""

_COLUMNS = frozenset(
    "id path size mtime duration artist album_artist album title track_number disc_number year genre"
    " mb_track_id mb_artist_id mb_album_id mb_album_artist_id format added_at updated_at missing".split()
)


def iter_tracks(store: Store, include_missing: bool = False) -> Iterator[dict[str, Any]]:
    """Every track as a dict, in library order (album artist, album, disc, track number)."""
    sql = "SELECT * FROM tracks"
    if not include_missing:
        sql += " WHERE missing = 0"
    sql += " ORDER BY " + LIBRARY_ORDER
    cursor = store.conn.execute(sql)
    for row in cursor:
        yield _as_dict(cursor, row)


def track_columns(
    store: Store,
    columns: Sequence[str],
    *,
    order: str = "library",
    include_missing: bool = False,
    after_id: int | None = None,
    ids: Sequence[int] | None = None,
) -> list[tuple]:
    """Some columns of every track as plain tuples, in library order (``order="library"``) or by id;
    only those with an id above ``after_id``, or among ``ids``, when given.

    Why: a dict per track (``iter_tracks``) costs seconds at 100k tracks; the radio and ``similar``
    need a few columns of every track at start-up and read them through this (and the rows added since,
    or one artist's tracks, when their start-up cache is brought up to date)."""
    unknown = [c for c in columns if c not in _COLUMNS]
    if unknown or not columns:
        raise ValueError(f"unknown track columns: {unknown}")
    where, params = ([] if include_missing else ["missing = 0"]), []
    if after_id is not None:
        where.append("id > ?")
        params.append(int(after_id))
    if ids is not None:
        if order != "id":
            raise ValueError("tracks chosen by id are read in id order")
        clause = " AND ".join([*where, "id IN ({marks})"])
        sql = f"SELECT {', '.join(columns)} FROM tracks WHERE {clause} ORDER BY id"
        return select_in(store.conn, sql, sorted({int(t) for t in ids}), params)
    sql = f"SELECT {', '.join(columns)} FROM tracks"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY " + (LIBRARY_ORDER if order == "library" else "id")
    return store.conn.execute(sql, params).fetchall()


def missing_track_ids(store: Store) -> list[int]:
    """The tracks whose files are missing (``missing``: a scan or the player found them gone)."""
    return [int(t) for (t,) in store.conn.execute("SELECT id FROM tracks WHERE missing = 1")]


def library_folder(store: Store) -> str | None:
    """The deepest folder that holds every present track, below the home folder (None: no track, or
    only the home folder or above holds them all, which watched would scan everything in it): what the
    first-run dialog suggests for a library scanned before any folder was set (from the command line).
    The paths' first and last in text order share what every path between them shares."""
    # One aggregate per statement: a lone MIN or MAX walks the path index from one end.
    low = store.conn.execute("SELECT MIN(path) FROM tracks WHERE missing = 0").fetchone()[0]
    high = store.conn.execute("SELECT MAX(path) FROM tracks WHERE missing = 0").fetchone()[0]
    if low is None or high is None:
        return None
    try:
        folder = os.path.commonpath([os.path.dirname(low), os.path.dirname(high)])
    except ValueError:  # a relative path beside an absolute one
        return None
    home = os.path.expanduser("~")
    if folder in ("", os.sep) or os.path.commonpath([folder, home]) == folder:
        return None  # the home folder or above: watching it would scan everything in it
    return folder


def count_tracks(store: Store, include_missing: bool = False) -> int:
    sql = "SELECT COUNT(*) FROM tracks" + ("" if include_missing else " WHERE missing = 0")
    return int(store.conn.execute(sql).fetchone()[0])


def find_track(store: Store, path_or_query: str) -> dict[str, Any] | None:
    """Resolve what a user typed on the command line: a file path, a track id, or a query.

    A query is "artist - title" or any words; every word must occur in artist, album or title, taken
    literally (``%`` and ``_`` are not wildcards). Matching tries the text as stored, then NFKC +
    casefold (``BJÖRK``, NFD tags), then the search key every search uses (``player.text.search_key``:
    ``bjork`` finds ``Björk``, ``journeys end`` finds ``Journey's End``). The best match prefers an exact
    title, then the shortest title, then an analysed track, then the oldest.
    """
    return find_track_among(store, path_or_query)[0]


def find_track_among(store: Store, path_or_query: str) -> tuple[dict[str, Any] | None, int]:
    """``find_track``'s pick and how many tracks it was chosen among (1 for a path or an id, 0 when none):
    the tracks of the rule that found it, so an exact title is one song even where other titles hold
    the word. A command can then say that more words pick another."""
    text = unicodedata.normalize("NFC", path_or_query.strip())
    if not text or not _storable(text):
        return None, 0  # no stored track has a path or tag that is not valid Unicode
    if os.path.exists(text):
        found = get_track_by_path(store, os.path.abspath(text))
        if found:
            return found, 1
    if text.isdigit() and len(text) < 19:
        found = get_track(store, int(text))
        if found:
            return found, 1
    if len(text) > MAX_QUERY_CHARS:  # no name is this long; SQLite refuses a LIKE pattern past 50 KB
        return None, 0
    for key in (None, fold, search_key):
        found, among = _query_track(store, text, key)
        if found:
            return found, among
    return None, 0


def closest_tracks(store: Store, query: str, limit: int = 3) -> list[dict[str, Any]]:
    """The tracks sharing the most of ``query``'s words (by ``search_key``) in artist and title, best
    first: what a lookup that found nothing offers instead ("did you mean ...")."""
    words = search_words(decoded(query[:MAX_QUERY_CHARS]))[:8]  # bytes not UTF-8 (argv) become U+FFFD
    if not words:
        return []
    haystack = "encore_search(COALESCE(artist,'') || ' ' || COALESCE(title,''))"
    score = " + ".join("(h LIKE ? ESCAPE '\\')" for _ in words)
    cursor = store.conn.execute(
        f"SELECT * FROM (SELECT *, {haystack} AS h FROM tracks WHERE missing = 0) AS t"
        f" WHERE ({score}) > 0 ORDER BY ({score}) DESC, length(title), id LIMIT ?",
        (*[like_contains(w) for w in words], *[like_contains(w) for w in words], limit),
    )
    return [{k: v for k, v in _as_dict(cursor, row).items() if k != "h"} for row in cursor.fetchall()]


def _storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _query_track(
    store: Store, text: str, key: Callable[[str | None], str] | None
) -> tuple[dict[str, Any] | None, int]:
    """One matching pass: the best match and how many its rule matched; ``key`` (``fold`` or ``search_key``)
    is applied to both text and columns."""
    sql_key = {None: "", fold: "encore_match", search_key: "encore_search"}[key]

    def col(expr: str) -> str:
        return f"{sql_key}({expr})" if sql_key else expr

    def k(value: str) -> str:
        return key(value) if key else value

    def best(where: str, params: tuple[Any, ...], order: str) -> tuple[dict[str, Any] | None, int]:
        cursor = store.conn.execute(
            f"SELECT *, COUNT(*) OVER () AS {_AMONG} FROM tracks WHERE missing = 0 AND {where} {order} LIMIT 1",
            params,
        )
        row = cursor.fetchone()
        if row is None:
            return None, 0
        found = _as_dict(cursor, row)
        return found, found.pop(_AMONG)

    order = f"ORDER BY ({col('title')} = ? COLLATE NOCASE) DESC, length(title), {_ANALYSED} DESC, id"
    if " - " in text:
        artist, title = (part.strip() for part in text.split(" - ", 1))
        found, among = best(
            f"({col('artist')} LIKE ? ESCAPE '\\' OR {col('album_artist')} LIKE ? ESCAPE '\\') "
            f"AND {col('title')} LIKE ? ESCAPE '\\'",
            (like_contains(k(artist)), like_contains(k(artist)), like_contains(k(title)), k(title)),
            order,
        )
        if found:
            return found, among
    words = search_words(text) if key is search_key else text.split()
    if not words:
        return None, 0
    if key is None:  # an exact title wins the ordering below: found through the title index, no scan
        found, among = best(
            "title = ? COLLATE NOCASE", (text,), f"ORDER BY length(title), {_ANALYSED} DESC, id"
        )
        if found:
            return found, among
    haystack = col("COALESCE(artist,'') || ' ' || COALESCE(album,'') || ' ' || COALESCE(title,'')")
    where = " AND ".join(f"{haystack} LIKE ? ESCAPE '\\'" for _ in words)
    return best(where, (*[like_contains(k(w)) for w in words], k(text)), order)


#: The column ``_query_track`` counts its matches in.
_AMONG = "encore_among"
#: Of copies alike in name, the one with an audio analysis (of any model) wins: a walk's ``encore path
#: graveyard hell`` took the oldest of 18 copies of "Graveyard", not analysed yet, and failed.
_ANALYSED = "EXISTS (SELECT 1 FROM analysis WHERE analysis.track_id = tracks.id)"


def _as_dict(cursor: Any, row: tuple) -> dict[str, Any]:
    return {desc[0]: value for desc, value in zip(cursor.description, row, strict=True)}
