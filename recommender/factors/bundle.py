"""The pretrained factor bundle as an object: its arrays (``recommender.factors.bundle_file`` reads and
writes the ``.npz`` they come from) and the queries the on-device recommender asks of them.

Why a module of its own: everything here works on arrays already in memory and already checked
(``recommender.factors.bundle_check``), so the radio, ``similar``, For you and training build on it without
knowing how the file is read, cached or refused; what costs time or pulls in scipy is built on first use.

API, on ``Bundle``: ``item_factors``, ``names``, ``keys``, ``popularity``, ``meta``, ``k``,
``key_index``, ``mbid_index``, ``foldin`` (a cached ``FoldIn``), ``confidence(counts)``,
``user_vector(items, counts)``, ``similar_items(i, n)``, ``item_similarity`` (sparse item-kNN cosine),
``model`` (the shipped model: scores users, also for evaluation), ``train_matrix`` / ``user_matrix``,
``tag_names`` (its genre words -> tag rows: ``recommender.factors.genre.vocabulary_of``); and
``CACHED_BY``, the code behind the bundle's caches in the user cache folder.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recommender.ranking import top_k

CACHED_BY = (
    "recommender/factors/bundle.py",
    "recommender/factors/bundle_file.py",
    "recommender/factors/bundle_check.py",
    "recommender/evaluation.py",
    "recommender/disk_cache.py",
    "recommender/array_file.py",
    "player/files.py",
)
"""The code behind the bundle's caches in the user cache folder (its uncompressed arrays, its item-kNN):
part of their keys, so an edit to any of these files never reads an old cache."""


@dataclass(eq=False)
class Bundle:
    item_factors: np.ndarray
    item_ids: np.ndarray
    names: np.ndarray
    keys: np.ndarray
    mbids: np.ndarray
    popularity: np.ndarray
    meta: dict[str, Any]
    train_indptr: np.ndarray | None = None
    train_indices: np.ndarray | None = None
    train_counts: np.ndarray | None = None
    bridge: dict[str, np.ndarray] = field(default_factory=dict)
    path: Path | None = None
    ease: tuple[Any, dict[str, Any]] | None = None
    """Pruned EASE weights and their meta (``recommender.factors.ease``): set by training, or read from
    the bundle's sibling file when the model is first built."""
    ranker: tuple[Any, dict[str, Any]] | None = None
    """The learned re-ranker's trees and meta (``recommender.factors.ranker``), likewise."""

    # --- shape -------------------------------------------------------------------------------------
    @property
    def n_items(self) -> int:
        return int(self.item_factors.shape[0])

    @property
    def k(self) -> int:
        return int(self.item_factors.shape[1])

    @property
    def hyper(self) -> dict[str, Any]:
        return self.meta.get("hyperparameters", {})

    # --- lookups (built once) ----------------------------------------------------------------------
    @functools.cached_property
    def key_index(self) -> dict[str, int]:
        """Match key -> item; on a key collision the most popular item wins."""
        return _first_of_each([str(k) for k in np.asarray(self.keys).tolist()], self.popularity)

    @functools.cached_property
    def mbid_index(self) -> dict[str, int]:
        return _first_of_each(
            [str(m).strip().lower() for m in np.asarray(self.mbids).tolist()], self.popularity
        )

    @functools.cached_property
    def normalised_factors(self) -> np.ndarray:
        y = self.item_factors.astype(np.float32)
        norms = np.linalg.norm(y, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return y / norms

    # --- model -------------------------------------------------------------------------------------
    @functools.cached_property
    def foldin(self):
        from recommender.factors.foldin import FoldIn

        return FoldIn(self.item_factors, float(self.hyper.get("regularization", 1.0)))

    def confidence(self, counts: np.ndarray) -> np.ndarray:
        """Confidence of play counts under the bundle's weighting (``c = 1 + α·log(1 + r/ε)``)."""
        from recommender.factors.foldin import confidence

        return confidence(counts, float(self.hyper.get("alpha", 1.0)), float(self.hyper.get("eps", 1.0)))

    def user_vector(self, items: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Fold in a user given item indices and their play counts (the ALS user step)."""
        return self.foldin.solve(np.asarray(items), self.confidence(counts))

    @property
    def train_rows(self):
        """The anonymised training rows (listeners, then tag pseudo-listeners) as ``CsrRows``, or ``None``."""
        if self.train_indptr is None:
            return None
        from recommender.csr import CsrRows

        n_users = len(self.train_indptr) - 1
        return CsrRows(self.train_counts, self.train_indices, self.train_indptr, (n_users, self.n_items))

    @property
    def train_matrix(self):
        """``train_rows`` as a scipy CSR matrix, or ``None``."""
        rows = self.train_rows
        return None if rows is None else rows.to_scipy()

    @property
    def user_matrix(self):
        """The training listeners' rows only (without tag pseudo-listener rows), or ``None``."""
        train = self.train_matrix
        if train is None:
            return None
        return train[: int(self.meta.get("n_user_rows", train.shape[0]))]

    @property
    def tag_names(self) -> np.ndarray | None:
        """The Last.fm tag of each tag pseudo-listener row (``bridge_tag_names``), or ``None``."""
        return self.bridge.get("tag_names")

    @functools.cached_property
    def item_similarity(self):
        """Sparse item-kNN cosine (top neighbours per item) from the training listeners, or ``None``."""
        arrays = self.item_similarity_arrays
        if arrays is None:
            return None
        import scipy.sparse as sp

        indptr, indices, data = arrays
        return sp.csr_matrix((data, indices, indptr), shape=(self.n_items, self.n_items))

    @functools.cached_property
    def item_similarity_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``item_similarity`` as CSR arrays (indptr, indices, data), or ``None``.

        Computing it costs about a second (a 15k x 15k sparse product and a top-k per row) and it
        depends on the bundle file alone, so it is kept in the user cache folder under the file's
        identity (``recommender.disk_cache``) and read back in milliseconds, without scipy."""
        if self.train_indptr is None:
            return None
        from recommender import disk_cache

        path = key = None
        if self.path is not None:
            try:
                neighbours = self.hyper.get("knn_neighbours", 200)
                path, key = disk_cache.file_copy(
                    Path(self.path),
                    Path(self.path).stat(),
                    CACHED_BY,
                    "bundle-{}.knn.arrays",
                    f"|{neighbours}",
                )
            except OSError:
                path = key = None
        cached = disk_cache.load_file(path, key)
        if cached is not None and self._knn_fits(cached):
            return cached["indptr"], cached["indices"], cached["data"]
        train = self.user_matrix
        if train is None:
            return None
        from recommender.evaluation import ItemKNNScorer

        sim = ItemKNNScorer(train, int(self.hyper.get("knn_neighbours", 200))).similarity
        arrays = (sim.indptr, sim.indices, sim.data)
        disk_cache.save_file(
            path,
            key,
            {"indptr": sim.indptr, "indices": sim.indices, "data": sim.data},
            replaces=path.with_suffix(".npz") if path is not None else None,  # its name before stop 24
        )
        return arrays

    def _knn_fits(self, arrays: dict[str, np.ndarray]) -> bool:
        """A cached item-kNN is a CSR over the bundle's items with finite weights; anything else (a
        tampered file under a valid key) is computed again and overwritten."""
        from recommender import disk_cache

        if not {"indptr", "indices", "data"} <= set(arrays):
            return False
        indptr, indices, data = arrays["indptr"], arrays["indices"], arrays["data"]
        n = self.n_items
        return (
            indptr.shape == (n + 1,)
            and indices.ndim == 1
            and data.shape == indices.shape
            and disk_cache.within(indptr, 0, len(indices) + 1)
            and int(indptr[0]) == 0
            and int(indptr[-1]) == len(indices)
            and bool((np.diff(indptr) >= 0).all())
            and disk_cache.within(indices, 0, n)
            and data.dtype.kind == "f"
            and disk_cache.finite(data)
        )

    def item_similarity_row(self, item: int) -> np.ndarray | None:
        """Row ``item`` of ``item_similarity`` as a dense float64 vector [n_items], or ``None``."""
        arrays = self.item_similarity_arrays
        if arrays is None:
            return None
        indptr, indices, data = arrays
        row = np.zeros(self.n_items, dtype=np.float64)
        lo, hi = indptr[item], indptr[item + 1]
        row[indices[lo:hi]] = data[lo:hi]
        return row

    def similar_items(self, item: int, n: int = 10) -> list[tuple[int, float]]:
        """Nearest items to ``item`` by cosine in factor space, best first (the item itself excluded)."""
        y = self.normalised_factors
        sims = y @ y[item]
        return [(int(i), float(sims[i])) for i in top_k(sims, [item], n)]

    @functools.cached_property
    def model(self):
        """The shipped model (``recommender.factors.scorer.ModelScorer``), built once per bundle."""
        from recommender.factors.scorer import ModelScorer

        return ModelScorer(self)


def _first_of_each(names: list[str], popularity: np.ndarray) -> dict[str, int]:
    """Name -> item, the most popular item (the first, among equals) where names collide; empty names left
    out. One dict built from the least popular up, so the most popular is written last."""
    order = np.argsort(-popularity, kind="stable")[::-1].tolist()
    out = {names[i]: i for i in order}
    out.pop("", None)
    return out
