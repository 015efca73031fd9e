"""How the radio's library turns names into codes: artists, albums and genres, numbered by first appearance.

Why a module of its own: a full build (``RadioLibrary.build``) numbers every track at once, and rows added
later (``recommender.radio.append``) must be numbered the same way, so both take the keys and the
numbering from here. An artist's key is its credit stripped and casefolded; an album is the pair (album
artist or artist key, title key) with ``ALBUM_SEP`` between them; a genre's key is its tag's.

API: ``artist_key``, ``album_title_key``, ``ALBUM_SEP``, ``album_codes``, ``first_seen_codes``, ``keyed``,
``value_ids``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def value_ids(values: Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
    """(id of each value's distinct value [n], the distinct values in order of first appearance)."""
    distinct = list(dict.fromkeys(values))  # in order of first appearance; both passes run in C
    index = {v: j for j, v in enumerate(distinct)}
    ids = np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))
    return ids, distinct


def first_seen_codes(key_ids: np.ndarray) -> np.ndarray:
    """Dense codes numbered in order of first appearance; a key id < 0 (no value) gets a code of its own.

    The same numbering as walking the rows and giving each new key (and each missing one) the next
    code, but vectorised: at 100k tracks the walk cost a second."""
    n = len(key_ids)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    known = key_ids >= 0
    if not known.any():
        return np.arange(n, dtype=np.int64)
    rows = np.flatnonzero(known)
    ids = key_ids[known]
    # Key ids numbered by first appearance themselves (as ``keyed`` and the cache's appends number them):
    # each new key is one more than the greatest before it, so its first row is found without a sort.
    before = np.maximum.accumulate(np.concatenate([[-1], ids[:-1]]))
    if bool((ids <= before + 1).all()):
        first_row = rows[ids == before + 1]
        inverse = ids
    else:
        _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
        first_row = rows[first]  # the first row of each distinct key
    new = ~known
    new[first_row] = True
    code_at = np.cumsum(new) - 1
    out = code_at.copy()
    out[rows] = code_at[first_row[inverse.ravel()]]
    return out.astype(np.int64)


def keyed(values: Sequence[Any], key: Any) -> tuple[np.ndarray, list[Any]]:
    """(key id per row, -1 where the key is None; the distinct keys), computing ``key`` once per
    distinct value (a library repeats a few hundred names over 100k tracks)."""
    ids, distinct = value_ids(values)
    key_index: dict[Any, int] = {}
    mapped = np.empty(len(distinct), dtype=np.int64)
    for j, value in enumerate(distinct):
        k = key(value)
        mapped[j] = -1 if k is None else key_index.setdefault(k, len(key_index))
    return (mapped[ids] if len(ids) else ids), list(key_index)


def artist_key(a: Any) -> str | None:
    return a.strip().casefold() if isinstance(a, str) and a.strip() else None


def album_title_key(a: Any) -> str | None:
    return None if a in (None, "") else str(a).casefold()


ALBUM_SEP = "\x1f"
"""Between the owner and the title of an album pair's key (``RadioLibrary.album_pairs``)."""


def album_codes(album_key: np.ndarray, artist_codes: np.ndarray) -> np.ndarray:
    """Album codes from each row's album pair (-1: untitled, a code of its own). Album spacing keeps one
    artist's album from hogging the station; a compilation or soundtrack with many artists is left to
    artist spacing (otherwise a 40-track OST could play only every 25 tracks), so its tracks get their
    own codes, as untitled ones do."""
    n = len(album_key)
    codes = first_seen_codes(album_key)
    if not n:
        return codes
    # An album is shared when one of its rows has another artist than its first row. Codes are numbered
    # by first appearance, so a code's first row is where it exceeds every code before it.
    before = np.maximum.accumulate(np.concatenate([[-1], codes[:-1]]))
    first_row = np.flatnonzero(codes > before)  # [code] -> its first row
    differs = artist_codes != artist_codes[first_row][codes]
    shared = np.zeros(len(first_row), dtype=bool)
    shared[codes[differs]] = True
    return np.where(shared[codes], codes.max(initial=0) + 1 + np.arange(n), codes)
