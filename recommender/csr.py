"""A CSR matrix as its three numpy arrays: row reads and sums of weighted rows, without scipy.

Why: importing ``scipy.sparse`` costs about 150 ms (most of it scipy's array-API layer cloning numpy),
a quarter of a warm radio start. What runs at every start only needs a few rows of a sparse matrix
(the co-listening of an artist) or one user's product with one (the RP3beta walk and the EASE weights
of one listener's artists): a gather and a ``bincount``. Many users at once (evaluation, training) still
go through scipy (``to_scipy``).

API: ``CsrRows(data, indices, indptr, shape)``, ``CsrRows.of(matrix)``; ``row(i)``, ``positions(rows)``,
``weighted_sum(rows, weights)``, ``transpose()``, ``to_scipy()``, ``nnz``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class CsrRows:
    """A CSR matrix as its three arrays (duplicates allowed; rows' columns in any order).

    Has the attributes of a scipy CSR matrix that its readers use (``data``, ``indices``, ``indptr``,
    ``shape``, ``nnz``, ``tocsr()``)."""

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]):
        if len(indptr) != shape[0] + 1 or len(data) != len(indices) or int(indptr[-1]) != len(data):
            raise ValueError("inconsistent CSR arrays")
        if len(indices) and (int(indices.min()) < 0 or int(indices.max()) >= shape[1]):
            raise ValueError("CSR column out of range")
        self.data, self.indices, self.indptr, self.shape = data, indices, indptr, shape

    @classmethod
    def of(cls, matrix: Any) -> CsrRows:
        """A ``CsrRows`` of a scipy CSR matrix (its arrays, not a copy) or of a ``CsrRows`` (itself)."""
        if isinstance(matrix, CsrRows):
            return matrix
        m = matrix.tocsr()
        return cls(m.data, m.indices, m.indptr, tuple(int(x) for x in m.shape))

    @property
    def nnz(self) -> int:
        return len(self.data)

    def tocsr(self) -> CsrRows:
        return self

    def row(self, i: int) -> np.ndarray:
        """Row ``i`` as a dense float64 vector (duplicates summed, as scipy's ``toarray`` does)."""
        out = np.zeros(self.shape[1], dtype=np.float64)
        lo, hi = int(self.indptr[i]), int(self.indptr[i + 1])
        np.add.at(out, self.indices[lo:hi], self.data[lo:hi].astype(np.float64))
        return out

    def positions(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(every stored position of ``rows``, row after row, in stored order; how many each row has)."""
        rows = np.asarray(rows, dtype=np.int64)
        lo, hi = self.indptr[rows].astype(np.int64), self.indptr[rows + 1].astype(np.int64)
        counts = hi - lo
        # Each row's start, then one step per entry.
        starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
        return starts + np.arange(int(counts.sum())), counts

    def weighted_sum(self, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """``Σ_j weights[j] · row(rows[j])`` as a dense float64 vector: a one-row matrix times this one."""
        at, counts = self.positions(rows)
        scaled = self.data[at].astype(np.float64) * np.repeat(np.asarray(weights, dtype=np.float64), counts)
        return np.bincount(self.indices[at], weights=scaled, minlength=self.shape[1])

    def transpose(self) -> CsrRows:
        """The transposed matrix, each of its rows in the order of this one's rows."""
        n_rows, n_cols = self.shape
        order = np.argsort(self.indices, kind="stable")
        row_of = np.repeat(np.arange(n_rows), np.diff(self.indptr))
        indptr = np.concatenate([[0], np.cumsum(np.bincount(self.indices, minlength=n_cols))])
        return CsrRows(self.data[order], row_of[order], indptr, (n_cols, n_rows))

    def to_scipy(self) -> Any:
        """The same matrix as a scipy CSR matrix (imports scipy)."""
        import scipy.sparse as sp

        return sp.csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)
