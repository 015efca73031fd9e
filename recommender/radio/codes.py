"""How the radio's library turns names into codes: artists, albums and genres, numbered by first appearance.

Why a module of its own: a full build (``RadioLibrary.build``) numbers every track at once, and rows added
later (``recommender.radio.append``) must be numbered the same way, so both take the keys and the
numbering from here. An artist's key is its credit stripped and casefolded; an album is the pair (album
artist or artist key, title key) with ``ALBUM_SEP`` between them; a genre's key is its tag's.

API: ``artist_key``, ``album_title_key``, ``ALBUM_SEP``, ``album_codes``, ``first_seen_codes``, ``keyed``,
``value_ids``; ``KeyCodes`` and ``plus_strings`` (cached keys looked up and extended, for
``recommender.radio.append`` and ``recommender.radio.retag``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from recommender import cache_strings


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


KEY_SEARCHES = 64
"""New keys (albums) looked up by a search of the cached keys' text before one dict of them all is built."""


class KeyCodes:
    """The code of each album key new or retagged rows name: its place among the cached keys, else a new
    one after them (appended to ``added``). The first ``KEY_SEARCHES`` keys are searched for in the cached
    text (a few new albums never decode or index a million cached keys) when it is one text in order (a
    list a retag reordered is not); past them, one dict of every cached key is cheaper (a search of a
    million keys' text costs about 7 ms, the dict 0.7 s)."""

    def __init__(self, cached: Sequence[str | None], added: list[str]) -> None:
        self.cached, self.added = cached, added
        self.found: dict[str, int] = {}
        self.searches = 0
        self.index: dict[str | None, int] | None = None  # every cached key's code, once built

    def code(self, key: str) -> int:
        code = self.found.get(key)
        if code is None:
            code = self._cached(key)
            if code is None:
                code = len(self.cached) + len(self.added)
                self.added.append(key)
            self.found[key] = code
        return code

    def _cached(self, key: str) -> int | None:
        cached = self.cached
        if (
            isinstance(cached, cache_strings.StoredStrings)
            and cached.contiguous()
            and self.searches < KEY_SEARCHES
        ):
            self.searches += 1
            return self.cached.index_of(key)
        if self.index is None:
            self.index = {}
            for j, k in enumerate(self.cached):
                self.index.setdefault(k, j)
        return self.index.get(key)


def plus_strings(old: Sequence[str | None], new: list[str | None]) -> Sequence[str | None]:
    """A cached list of strings with new items below it (a ``StoredStrings`` stays one, undecoded)."""
    return old.plus(new) if isinstance(old, cache_strings.StoredStrings) else [*old, *new]
