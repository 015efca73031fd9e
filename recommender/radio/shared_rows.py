"""``SharedRows``: a per-track matrix whose rows repeat a few vectors, held as the vectors and an index.

Why: every track carries its artist's factors, so a library of a million tracks by 20,000 artists held
them as two [n, 64] float32 arrays (512 bytes a track, half of the radio's memory at that size) that
repeat 20,000 vectors (issue 25, item 2). Held as the vectors and each row's index into them, a track
costs 4 bytes, the start-up cache shrinks alike, and a similarity to every track is one product over
the artists then a gather.

It reads like the dense matrix where the radio reads rows: ``m[row]``, ``m[rows]``, ``m[mask]``,
``m @ q``, ``len(m)``, ``m.shape``; anything else goes through ``np.asarray(m)`` (the dense matrix: right,
but a million rows' worth of memory). Rows are not assigned in place: the vectors or the index are.
Row 0 of ``vectors`` is zero by convention (rows with no vector point at it), so vectors added later
never renumber it.

API: ``SharedRows(vectors, index)``, ``SharedRows.dense(matrix)``, ``.subset(keep)``, ``.normalised()``;
``normalise_rows(matrix)``; ``artist_rows(names, artist_to_item, local_of_row, predicted, bundle)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class SharedRows:
    """[n, k] rows ``vectors[index]``: ``vectors`` float32 [m, k] (row 0 zero), ``index`` int32 [n]."""

    def __init__(self, vectors: np.ndarray, index: np.ndarray) -> None:
        self.vectors = vectors
        self.index = index

    @classmethod
    def dense(cls, matrix: np.ndarray) -> SharedRows:
        """A dense [n, k] matrix as shared rows (one vector per row: no saving; simulations and tests)."""
        matrix = np.asarray(matrix, dtype=np.float32)
        vectors = np.vstack([np.zeros((1, matrix.shape[1]), dtype=np.float32), matrix])
        return cls(vectors, np.arange(1, len(matrix) + 1, dtype=np.int32))

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.index), self.vectors.shape[1])

    @property
    def dtype(self) -> np.dtype:
        return self.vectors.dtype

    ndim = 2

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, key: Any) -> np.ndarray:
        """The dense rows ``key`` selects (an int, a slice, an index array or a bool mask)."""
        return self.vectors[self.index[key]]

    def __matmul__(self, other: Any) -> np.ndarray:
        """Every row times ``other`` (a vector or a matrix): the product over the vectors, gathered."""
        return (self.vectors @ other)[self.index]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        dense = self.vectors[self.index]
        return dense if dtype is None else dense.astype(dtype)

    def subset(self, keep: np.ndarray) -> SharedRows:
        """The rows in ``keep`` (a bool mask or row indices), sharing the vectors."""
        return SharedRows(self.vectors, self.index[keep])

    def normalised(self) -> SharedRows:
        """The same rows at unit length (zero rows stay zero), sharing the index."""
        return SharedRows(normalise_rows(self.vectors), self.index)


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Each row at unit length (float32; zero rows stay zero), row by row."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def artist_rows(
    names: list[str],
    artist_to_item: dict[str, int],
    local_of_row: np.ndarray,
    predicted: dict[str, np.ndarray],
    bundle: Any,
) -> tuple[np.ndarray, SharedRows, np.ndarray, np.ndarray]:
    """(each row's bundle item, -1 none; its factors; whether it has any; their source: 0 none, 1 the
    bundle, 2 placed) for rows of the match artists ``names`` (``local_of_row``: each row's index into
    them, -1 none): one vector per artist (row 0: none), the bundle's for a matched one, ``predicted``'s
    for a placed one. The radio's full build and its retag patch both set the rows' factors so."""
    item_of_local = np.array([artist_to_item.get(a, -1) for a in names] + [-1], dtype=np.int64)
    vectors = np.zeros((len(names) + 1, bundle.k), dtype=np.float32)
    matched = item_of_local[:-1] >= 0
    vectors[1:][matched] = np.asarray(bundle.item_factors, dtype=np.float32)[item_of_local[:-1][matched]]
    is_placed = np.zeros(len(names) + 1, dtype=bool)
    index = {a: j for j, a in enumerate(names)}
    for artist, vector in predicted.items():
        vectors[index[artist] + 1] = vector
        is_placed[index[artist]] = True
    item_of_row = item_of_local[local_of_row]
    has = item_of_row >= 0
    source = has.astype(np.int8)
    placed_rows = is_placed[local_of_row]
    has[placed_rows] = True
    source[placed_rows] = 2
    return item_of_row, SharedRows(vectors, (local_of_row + 1).astype(np.int32)), has, source
