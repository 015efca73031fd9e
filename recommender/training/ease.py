"""EASE (Steck 2019) fitted at pretraining and pruned, so the app never inverts a matrix: ``encore
pretrain`` writes it next to the factor bundle (``lastfm2k-ease.npz``, ``recommender.factors.ease``).

Why: on the validation users EASE added to the WMF + RP3beta blend gains about +0.008 Recall@20
(resources/factors/README.md), but its dense inverse (one per catalogue, seconds and hundreds of MB)
cannot run at load. Inverted once here and pruned to each artist's strongest weights (by absolute
value, so the negative "people who play A rarely play B" weights stay), it ships as a sparse matrix of
a few MB.

Rows: the training listeners (played = 1) and the tag pseudo-listeners (tagged = 1), as in the search.
Items: those with at least ``min_listeners`` training listeners (an artist one listener played has no
co-occurrence to learn from; its column stays empty and the blend scores it from WMF and RP3beta).

API: ``fit_ease(train, n_user_rows, lam, min_listeners, keep) -> csr [n_items, n_items]``,
``prune_rows(dense, keep)``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

LAMBDA = 50.0
MIN_LISTENERS = 2
KEEP = 200
WEIGHT = 0.5


def prune_rows(b: np.ndarray, keep: int) -> sp.csr_matrix:
    """Each row's ``keep`` largest weights by absolute value, as CSR (the rest dropped)."""
    n = b.shape[0]
    keep = min(keep, b.shape[1])
    cols = np.argpartition(-np.abs(b), keep - 1, axis=1)[:, :keep]
    cols.sort(axis=1)
    vals = np.take_along_axis(b, cols, 1)
    indptr = np.arange(0, n * keep + 1, keep, dtype=np.int64)
    out = sp.csr_matrix((vals.ravel(), cols.ravel(), indptr), shape=b.shape)
    out.eliminate_zeros()
    return out


def fit_ease(
    train: sp.csr_matrix,
    n_user_rows: int,
    lam: float = LAMBDA,
    min_listeners: int = MIN_LISTENERS,
    keep: int = KEEP,
    ratio: float = 0.0,
) -> sp.csr_matrix:
    """EASE weights over all items of ``train`` (only items with ``min_listeners`` are fitted), each
    row pruned to ``keep`` weights (``keep <= 0``: unpruned); float32 CSR [n_items, n_items].
    ``ratio`` > 0 regularises each item by ``lam + ratio * its listeners`` (EDLAE, Steck 2020: dropout
    denoising in closed form; tried at stop 25, no gain: resources/factors/README.md)."""
    x = (sp.csr_matrix(train) > 0).astype(np.float32)
    listeners = np.asarray(x[:n_user_rows].sum(axis=0)).ravel()
    fitted = np.flatnonzero(listeners >= min_listeners)
    m = x[:, fitted].tocsc()
    gram = (m.T @ m).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += lam + ratio * np.diag(gram)
    p = np.linalg.inv(gram)
    b = p / (-np.diag(p))
    np.fill_diagonal(b, 0.0)
    b = b.astype(np.float32)
    small = prune_rows(b, keep) if 0 < keep < len(fitted) else sp.csr_matrix(b)
    del b, p, gram
    n = train.shape[1]
    coo = small.tocoo()
    out = sp.csr_matrix((coo.data, (fitted[coo.row], fitted[coo.col])), shape=(n, n), dtype=np.float32)
    out.sort_indices()
    return out


def attach_ease(
    bundle, keep: int = KEEP, lam: float = LAMBDA, weight: float = WEIGHT, ratio: float = 0.0
) -> None:
    """Fit EASE on the bundle's own training rows and set it on the bundle (``bundle.ease``), so its
    model (``bundle.model``) blends it in: what pretraining ships and what evaluation measures."""
    n_user_rows = int(bundle.meta.get("n_user_rows", bundle.meta.get("n_users", 0)))
    weights = fit_ease(bundle.train_matrix, n_user_rows, lam=lam, keep=keep, ratio=ratio)
    meta = {"weight": float(weight), "lambda": float(lam), "keep": int(keep), "min_listeners": MIN_LISTENERS}
    bundle.ease = (weights, meta)
    bundle.__dict__.pop("model", None)  # a model built before the weights were set is rebuilt
