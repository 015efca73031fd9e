"""SQL functions every Encore connection has (registered by ``Store.open``), for queries that SQLite's
own functions cannot express portably.

- ``encore_fold(text)``: an artist name as ratings key it (``player.text.fold``: NFKC + casefold, so
  NFC and NFD spellings are one key; trimmed, inner spaces collapsed; '' for NULL). SQLite's
  ``lower``/``NOCASE`` only fold ASCII.
- ``encore_match(text)`` / ``encore_search(text)``: what a typed query is compared by (NFKC +
  casefold; ``player.text.search_key``, the one search key: also without accents and punctuation).
- ``encore_file_title(title)`` / ``encore_untagged_artist(path, artist, album)``: how the scan names
  untagged files today (``player.naming``), for the migration that renames what older scans stored.
- ``encore_tag(blob, index)``: one analysis tag probability from a stored float32 tag vector (NULL when
  there is no vector), so smart playlists can filter and sort on any of the 50 tags.
- ``exp(x)``: SQLite's own math function where the library was built with it (Debian's is), else
  Python's, so the taste can weigh a million imported listens by age inside one query.
"""

from __future__ import annotations

import math
import sqlite3
import struct

from player.naming import file_title, renamed_untagged_artist
from player.text import fold, search_key


def fold_artist(name: str | None) -> str:
    """The key an artist is rated under: ``fold`` (NFKC + casefold), trimmed, inner spaces collapsed
    ('' for no name). Stored keys are computed with it (schema version 7 re-keyed older ones)."""
    return " ".join(fold(str(name)).split()) if name else ""


def tag_value(blob: bytes | None, index: int) -> float | None:
    if blob is None or index is None or index < 0 or len(blob) < 4 * (index + 1):
        return None
    return struct.unpack_from("<f", blob, 4 * index)[0]


def register(conn: sqlite3.Connection) -> None:
    """Add Encore's SQL functions to a new connection (before any statement runs on it)."""
    conn.create_function("encore_fold", 1, fold_artist, deterministic=True)
    conn.create_function("encore_tag", 2, tag_value, deterministic=True)
    conn.create_function("encore_match", 1, fold, deterministic=True)
    conn.create_function("encore_search", 1, search_key, deterministic=True)
    conn.create_function("encore_file_title", 1, file_title, deterministic=True)
    conn.create_function("encore_untagged_artist", 3, renamed_untagged_artist, deterministic=True)
    try:
        conn.execute("SELECT exp(0)").fetchone()
    except sqlite3.OperationalError:  # a SQLite built without its math functions
        conn.create_function("exp", 1, math.exp, deterministic=True)
