"""Lists of strings kept in a cache file as plain arrays, and read back on demand.

Why a module of its own: a library's titles, artist names and album keys are most of what the radio's
and ``similar``'s start-up caches hold besides numbers; numpy's string arrays drop trailing NULs and an
object array needs pickle, so each list is kept as the UTF-8 of all its items joined and where each ends
(``strings``), and read back either whole (``unstrings``) or as a ``StoredStrings``, which slices items
out of the one decoded text when they are asked for (a million titles as Python strings cost half a
second at every warm start). A file whose offsets do not fit its text raises ``disk_cache.Doubt``.

API: ``strings(values)``, ``unstrings(arrays, prefix)``, ``StoredStrings`` (``.of(arrays, prefix)``,
``.plus``, ``.replaced``, ``.subset``, ``.index_of``, ``.tolist``), ``prefixed(prefix, arrays)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from recommender.disk_cache import Doubt


def strings(values: list[Any]) -> dict[str, np.ndarray]:
    """A list of str-or-None as arrays: the UTF-8 of all of them joined, and where each ends (in
    characters), exact for any text unlike numpy's string arrays (which drop trailing NULs); no pickle."""
    if isinstance(values, StoredStrings):
        if values.contiguous():  # its text is already what would be written: no item decoded
            text = values._text[: int(values._ends[-1])] if len(values) else ""
            return {
                "bytes": np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8),
                "ends": values._ends.copy(),
                "none": values._none.copy(),
            }
        values = values.tolist()
    joined, texts, none = _texts(values)
    return {
        "bytes": np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8),
        "ends": np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))),
        "none": none,
    }


def _texts(values: Sequence[Any]) -> tuple[str, Sequence[str], np.ndarray]:
    """(the items joined, the items as str, which were None). Why: a library's hundred thousand titles
    are all str but for a few missing ones; the join is tried on them as they are first (one pass in C)."""
    try:
        return "".join(values), values, np.zeros(len(values), dtype=bool)
    except TypeError:  # a None or another type among them
        texts = ["" if v is None else str(v) for v in values]
        return "".join(texts), texts, np.fromiter((v is None for v in values), dtype=bool, count=len(values))


def unstrings(arrays: dict[str, np.ndarray], prefix: str) -> list[str | None]:
    """The list ``strings`` saved under ``prefix`` (keys ``prefix + "bytes"`` etc.), whole (``StoredStrings``
    reads it on demand)."""
    return StoredStrings.of(arrays, prefix).tolist()


class StoredStrings(Sequence):
    """A list ``strings`` saved, read on demand: each item a slice of one decoded text. Why: a million
    titles as a list of str cost half a second at every warm start, and the radio reads a few of them."""

    def __init__(self, text: str, starts: np.ndarray, ends: np.ndarray, none: np.ndarray) -> None:
        self._text, self._starts, self._ends, self._none = text, starts, ends, none
        self._contiguous: bool | None = None

    @classmethod
    def of(cls, arrays: dict[str, np.ndarray], prefix: str) -> StoredStrings:
        text = arrays[prefix + "bytes"].tobytes().decode("utf-8", "surrogatepass")
        ends = np.asarray(arrays[prefix + "ends"], dtype=np.int64)
        starts = np.concatenate([np.zeros(1, np.int64), ends[:-1]]) if len(ends) else ends
        none = np.asarray(arrays[prefix + "none"], dtype=bool)
        if len(none) != len(ends) or (len(ends) and (int(ends[-1]) > len(text) or (np.diff(ends) < 0).any())):
            raise Doubt(f"{prefix} strings")
        return cls(text, starts, ends, none)

    def __len__(self) -> int:
        return len(self._ends)

    def __iter__(self) -> Iterator[str | None]:
        return iter(self.tolist())

    def contiguous(self) -> bool:
        """Whether the items are the text from its start, in order, nothing between (not a ``subset``);
        worked out once."""
        if self._contiguous is None:
            starts, ends = self._starts, self._ends
            self._contiguous = len(self) == 0 or (
                int(starts[0]) == 0 and bool((starts[1:] == ends[:-1]).all())
            )
        return self._contiguous

    def plus(self, values: Sequence[str | None]) -> StoredStrings:
        """These items, then ``values``: one text, without decoding an item (new rows added to a cache)."""
        if not self.contiguous():
            return StoredStrings.of(strings([*self.tolist(), *values]), "")
        end = int(self._ends[-1]) if len(self) else 0
        joined, texts, missing = _texts(values)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        ends = np.concatenate([self._ends, end + np.cumsum(lengths)])
        starts = np.concatenate([np.zeros(1, np.int64), ends[:-1]]) if len(ends) else ends
        none = np.concatenate([self._none, missing])
        return StoredStrings(self._text[:end] + joined, starts, ends, none)

    def replaced(self, rows: np.ndarray, values: Sequence[str | None]) -> StoredStrings:
        """These items with those at ``rows`` (ascending, distinct) replaced by ``values``: one text, the
        items between them kept as slices (a retag of a few tracks re-decodes no million titles)."""
        if not self.contiguous():
            items = self.tolist()
            for r, v in zip(np.asarray(rows).tolist(), values, strict=True):
                items[r] = v
            return StoredStrings.of(strings(items), "")
        rows = np.asarray(rows, dtype=np.int64)
        _joined, texts, missing = _texts(list(values))
        pieces, at = [], 0
        for r, t in zip(rows.tolist(), texts, strict=True):
            pieces += [self._text[at : int(self._starts[r])], t]
            at = int(self._ends[r])
        pieces.append(self._text[at : int(self._ends[-1])] if len(self) else "")
        lengths = self._ends - self._starts
        lengths[rows] = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        ends = np.cumsum(lengths)
        starts = np.concatenate([np.zeros(1, np.int64), ends[:-1]]) if len(ends) else ends
        none = self._none.copy()
        none[rows] = missing
        return StoredStrings("".join(pieces), starts, ends, none)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if self._none[i]:
            return None
        return self._text[int(self._starts[i]) : int(self._ends[i])]

    def tolist(self) -> list[str | None]:
        """Every item: one pass of slices (100k titles in a few ms)."""
        text = self._text
        return [
            None if missing else text[start:end]
            for start, end, missing in zip(
                self._starts.tolist(), self._ends.tolist(), self._none.tolist(), strict=True
            )
        ]

    def index_of(self, value: str) -> int | None:
        """The first item equal to ``value``, or None: a search of the joined text, for a few look-ups in a
        long list (a dict of a million items costs half a second to build)."""
        if not self.contiguous():
            return next((i for i, v in enumerate(self) if v == value), None)
        at = self._text.find(value)
        while at >= 0:  # an item starts there (several may: empty ones) and ends where the value does
            lo, hi = (int(np.searchsorted(self._starts, at, side)) for side in ("left", "right"))
            for i in range(lo, hi):
                if int(self._ends[i]) == at + len(value) and not self._none[i]:
                    return i
            at = self._text.find(value, at + 1)
        return None

    def subset(self, rows: np.ndarray) -> StoredStrings:
        """The items at ``rows`` (indices or a bool mask), sharing the text."""
        return StoredStrings(self._text, self._starts[rows], self._ends[rows], self._none[rows])


def prefixed(prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {prefix + k: v for k, v in arrays.items()}
