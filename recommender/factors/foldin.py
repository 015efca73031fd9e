"""Closed-form fold-in of one user against fixed item factors (the ALS user step).

WMF (Hu, Koren & Volinsky 2008) minimises ``sum_i c_ui (p_ui - x_u . y_i)^2 + reg |x_u|^2`` over all
items; with the item factors ``Y`` fixed the user vector has the closed form

    x_u = (YᵀY + reg·I + Σ_i∈S (c_ui - 1) y_i y_iᵀ)⁻¹ · Σ_i∈S c_ui p_ui y_i

where S are the items with feedback (every other item has p = 0, c = 1, which ``YᵀY`` accounts for).
``YᵀY + reg·I`` is the same for every user and is cached by ``FoldIn``, so one fold-in costs
O(|S|·k² + k³): about a millisecond for a library of a few hundred artists at k = 64.

Negative evidence (skips) is an item with p = 0 and a confidence above 1: it pulls the user vector away
from that item instead of being treated as merely unobserved.

API: ``confidence(counts, alpha, eps)``; ``FoldIn(item_factors, reg)`` with ``.solve(items, conf, pref)``
and ``.solve_many(csr_rows)``; ``single_blas_thread()``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import numpy as np

if TYPE_CHECKING:  # scipy costs ~100 ms to import: the radio's start-up folds in without it
    import scipy.sparse as sp

P = ParamSpec("P")
R = TypeVar("R")


@functools.cache
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def single_blas_thread() -> AbstractContextManager:
    """BLAS on one thread inside the block (≈10 µs to enter).

    Fold-in works on k x k matrices: threads only add overhead there, and on a busy 2-core machine an
    OpenBLAS thread pool competing with playback and analysis made a 2,000-artist solve 25x slower.
    """
    return _controller().limit(limits=1, user_api="blas")


def on_one_blas_thread(method: Callable[P, R]) -> Callable[P, R]:
    """``method`` run inside ``single_blas_thread`` (the radio's steps: ``Station._refresh_pool``,
    ``Planner._replan``)."""

    @functools.wraps(method)
    def limited(*args: P.args, **kwargs: P.kwargs) -> R:
        with single_blas_thread():
            return method(*args, **kwargs)

    return limited


def confidence(counts: np.ndarray, alpha: float, eps: float) -> np.ndarray:
    """``c = 1 + α·log(1 + r/ε)``: grows with plays, but a 1000-play artist is not 1000x a 1-play one."""
    counts = np.asarray(counts, dtype=np.float64)
    return 1.0 + alpha * np.log1p(np.maximum(counts, 0.0) / eps)


class FoldIn:
    """Solves user vectors against fixed item factors; caches the shared Gram matrix."""

    def __init__(self, item_factors: np.ndarray, regularization: float) -> None:
        self.item_factors = np.asarray(item_factors)
        y = self.item_factors.astype(np.float64)
        self._y64 = y
        k = y.shape[1]
        with single_blas_thread():  # a small product: waking BLAS threads costs more than it saves
            self.gram = y.T @ y + regularization * np.eye(k)
        self.regularization = float(regularization)

    @property
    def k(self) -> int:
        return self.item_factors.shape[1]

    def solve(
        self,
        items: np.ndarray,
        conf: np.ndarray,
        pref: np.ndarray | None = None,
        extra_factors: np.ndarray | None = None,
    ) -> np.ndarray:
        """The user vector (float64, [k]) for confidences ``conf`` (≥ 1) and preferences ``pref``.

        ``items`` index the item factors; ``extra_factors`` [m, k] are items outside the bundle (for
        example artists whose factors were predicted from audio) whose feedback follows after
        ``items`` in ``conf`` / ``pref``. They enter only through their observed terms.
        """
        items = np.asarray(items, dtype=np.int64)
        conf = np.asarray(conf, dtype=np.float64)
        pref = np.ones_like(conf) if pref is None else np.asarray(pref, dtype=np.float64)
        y = self._y64[items]
        if extra_factors is not None and len(extra_factors):
            y = np.vstack([y, np.asarray(extra_factors, dtype=np.float64)])
        if len(y) != len(conf):
            raise ValueError(f"{len(y)} items but {len(conf)} confidences")
        if len(y) == 0:
            return np.zeros(self.k)
        with single_blas_thread():
            a = self.gram + (y.T * (conf - 1.0)) @ y
            b = y.T @ (conf * pref)
            return np.linalg.solve(a, b)

    def solve_many(self, conf_rows: sp.csr_matrix) -> np.ndarray:
        """One user per row of a CSR matrix of confidences (p = 1 where stored). Returns [n, k]."""
        import scipy.sparse as sp

        conf_rows = sp.csr_matrix(conf_rows)
        out = np.zeros((conf_rows.shape[0], self.k))
        for u in range(conf_rows.shape[0]):
            lo, hi = conf_rows.indptr[u], conf_rows.indptr[u + 1]
            if hi > lo:
                out[u] = self.solve(conf_rows.indices[lo:hi], conf_rows.data[lo:hi])
        return out
