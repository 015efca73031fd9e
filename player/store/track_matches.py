"""How many library tracks a command-line query names, by the rules ``find_track`` uses to pick one.

Why a module of its own: ``find_track`` (``player.store.tracks``) takes the best match and says nothing of
the others, so ``encore path track wanderer`` silently started from one of 31 songs that hold "track". A
command that counts the matches can say which song it took and that more words pick another. The count
follows ``find_track``'s passes (the text as stored, then NFKC + casefold, then the search key) and tiers
("artist - title", then an exact title, then every word), so it counts the tier the pick came from: an
exact title is one song even where other titles hold the word. Keep the two in step (the tests compare
them).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable

from player.store.core import Store, like_contains
from player.store.tracks import find_track
from player.text import MAX_QUERY_CHARS, fold, search_key, search_words


def count_track_matches(store: Store, path_or_query: str) -> int:
    """How many tracks ``find_track(store, path_or_query)`` chose among: 1 for a path or an id it names,
    0 when it names none."""
    text = unicodedata.normalize("NFC", path_or_query.strip())
    found = find_track(store, text)
    if found is None:
        return 0
    if os.path.exists(text) and os.path.abspath(text) == found["path"]:
        return 1
    if text.isdigit() and str(found["id"]) == text:
        return 1
    if len(text) > MAX_QUERY_CHARS:
        return 1
    for key in (None, fold, search_key):
        count = _count(store, text, key)
        if count:
            return count
    return 1  # found by a rule this count does not know: at least the one found


def _count(store: Store, text: str, key: Callable[[str | None], str] | None) -> int:
    """One of ``find_track``'s passes (``_query_track``), counted: the first tier that matches decides."""
    sql_key = {None: "", fold: "encore_match", search_key: "encore_search"}[key]

    def col(expr: str) -> str:
        return f"{sql_key}({expr})" if sql_key else expr

    def k(value: str) -> str:
        return key(value) if key else value

    def count(sql: str, params: tuple) -> int:
        row = store.conn.execute(
            f"SELECT COUNT(*) FROM tracks WHERE missing = 0 AND {sql}", params
        ).fetchone()
        return int(row[0])

    if " - " in text:
        artist, title = (part.strip() for part in text.split(" - ", 1))
        n = count(
            f"({col('artist')} LIKE ? ESCAPE '\\' OR {col('album_artist')} LIKE ? ESCAPE '\\')"
            f" AND {col('title')} LIKE ? ESCAPE '\\'",
            (like_contains(k(artist)), like_contains(k(artist)), like_contains(k(title))),
        )
        if n:
            return n
    words = search_words(text) if key is search_key else text.split()
    if not words:
        return 0
    if key is None:
        n = count("title = ? COLLATE NOCASE", (text,))
        if n:
            return n
    haystack = col("COALESCE(artist,'') || ' ' || COALESCE(album,'') || ' ' || COALESCE(title,'')")
    where = " AND ".join(f"{haystack} LIKE ? ESCAPE '\\'" for _ in words)
    return count(where, tuple(like_contains(k(w)) for w in words))
