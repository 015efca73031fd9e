"""Big per-row matrices worked a block of rows at a time: the audio projection and the in-place compaction.

Why a module of its own: both exist for the same two reasons, a result that must not depend on where a
row sits among the others (a BLAS kernel's last bit does, ``project_audio``) and memory a million rows
must not double (``compacted``, ``taken_grown``); the library (``recommender.radio.library``) and the cache's updates
(``recommender.radio.append``) use them.

API: ``project_audio(audio, mean, basis, rows=None)``, ``PROJECT_ROWS``, ``compacted(matrix, keep)``,
``COMPACT_ROWS``, ``taken_grown(owner, name, extra)``.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from recommender.radio.shared_rows import normalise_rows

PROJECT_ROWS = 1024
"""Library rows per block of ``project_audio``: every product is this tall, each row at its own place, so a
row projected alone later (``recommender.radio.append``) gets the bits a whole build gave it."""


def project_audio(
    audio: np.ndarray, mean: np.ndarray | None, basis: np.ndarray | None, rows: np.ndarray | None = None
) -> np.ndarray:
    """Raw embeddings [n, d_raw] centred on ``mean``, projected on ``basis`` and L2-normalised.

    ``rows``: where each embedding sits in the library (default: 0..n-1). The product is taken in blocks of
    ``PROJECT_ROWS`` library rows, each row at its own place in its block and the places of rows not given
    left zero: a BLAS kernel's result for a row depends on that place (seen: 30 of 64 rows differed in the
    last bit when moved), not on the other rows, so rows projected later, alone, get the same bits."""
    audio = np.asarray(audio, dtype=np.float32)
    n = len(audio)
    rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    width = basis.shape[1] if basis is not None else audio.shape[1]
    out = np.empty((n, width), dtype=np.float32)
    block = np.zeros((PROJECT_ROWS, audio.shape[1]), dtype=np.float32)
    blocks = rows // PROJECT_ROWS
    bounds = np.flatnonzero(np.diff(blocks)) + 1 if n else np.zeros(0, np.int64)
    for lo, hi in zip([0, *bounds.tolist()], [*bounds.tolist(), n], strict=True):
        if lo == hi:
            continue
        place = rows[lo:hi] % PROJECT_ROWS
        block[:] = 0.0
        block[place] = audio[lo:hi]
        if mean is not None:
            block[place] -= mean
        out[lo:hi] = (block @ basis)[place] if basis is not None else block[place]
    return normalise_rows(out)


COMPACT_ROWS = 65_536
"""Rows moved at a time by ``compacted`` (a 16 MB block of 64 float32 audio columns)."""


def compacted(matrix: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``matrix[keep]`` written over ``matrix``'s own first rows, a block at a time, and returned as a view
    of them: no second copy of the whole matrix. ``matrix`` is overwritten."""
    written = 0
    for lo in range(0, len(matrix), COMPACT_ROWS):
        rows = lo + np.flatnonzero(keep[lo : lo + COMPACT_ROWS])
        if len(rows) and not (written == lo and len(rows) == min(COMPACT_ROWS, len(matrix) - lo)):
            matrix[written : written + len(rows)] = matrix[rows]  # read whole before written: no overlap
        written += len(rows)
    return matrix[:written]


def taken_grown(owner: Any, name: str, extra: np.ndarray) -> np.ndarray:
    """``owner.name`` (a matrix) with ``extra``'s rows below it, taken from ``owner`` (whose ``name`` is
    left None): grown in its own memory where numpy can (it owns its data and no other array or name
    holds it: a ``realloc`` moves pages, not bytes), else a copy. Why: a cache brought up to date adds
    rows below a million cached audio rows, and a copy held both, 256 MB more at the peak (issue 25)."""
    matrix = getattr(owner, name)
    setattr(owner, name, None)
    n = len(matrix)
    if not len(extra):  # numpy checks nothing for a resize to the same size: held elsewhere, a copy
        return matrix if sys.getrefcount(matrix) <= 2 else matrix.copy()  # (this name and the call's)
    try:
        matrix.resize((n + len(extra), *matrix.shape[1:]))  # refuses (ValueError) while anything else holds it
    except ValueError:
        return np.concatenate([matrix, extra])
    matrix[n:] = extra
    return matrix
