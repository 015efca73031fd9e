"""Scoring "Fans also like" lists by held-out listeners' co-listening (``encore evaluate-similar``).

See ``recommender.cli.similar_eval`` for the protocol.

API: ``read_history(path, bundle, users=...)``, ``list_scores(history, queries, lists)``,
``method_lists(bundle, queries, n, settings)``, ``evaluate_similar(...)``, ``grid_scores(...)``.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np


def read_history(path: str, bundle: Any, users: str = "all", seed: int = 0):
    """Binary listeners x bundle items (CSC) from a user_artists file; artists unknown to the bundle
    are dropped. ``users``: 'all', or the 'validation' / 'test' half of a seeded shuffle of the users."""
    import scipy.sparse as sp

    from recommender.training.data import read_user_artists

    u, a, _counts = read_user_artists(path)
    if len(u) == 0:
        raise ValueError(f"{path}: no rows")
    index = {str(x): i for i, x in enumerate(bundle.item_ids)}
    cols = np.array([index.get(str(x), -1) for x in a], dtype=np.int64)
    ids, rows = np.unique(u, return_inverse=True)
    if users != "all":
        order = np.random.default_rng(seed).permutation(len(ids))
        half = (
            set(order[: len(ids) // 2].tolist())
            if users == "validation"
            else set(order[len(ids) // 2 :].tolist())
        )
        keep_rows = np.array([r in half for r in rows])
    else:
        keep_rows = np.ones(len(rows), dtype=bool)
    keep = (cols >= 0) & keep_rows
    m = sp.csc_matrix(
        (np.ones(int(keep.sum()), dtype=np.float64), (rows[keep], cols[keep])),
        shape=(len(ids), bundle.n_items),
    )
    m.data[:] = 1.0  # duplicates (the same artist twice for a user) count once
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def list_scores(history, queries: np.ndarray, lists: np.ndarray) -> np.ndarray:
    """Per query artist: the mean co-listening cosine |X∩Y|/√(|X||Y|) over its list (rows of ``lists``)."""
    import scipy.sparse as sp

    h = sp.csc_matrix(history)
    sizes = np.asarray(h.sum(axis=0)).ravel()
    out = np.zeros(len(queries))
    for r, q in enumerate(np.asarray(queries, dtype=np.int64)):
        col = h[:, int(q)]
        common = np.asarray((col.T @ h[:, lists[r]]).todense()).ravel()
        denom = np.sqrt(sizes[int(q)] * sizes[lists[r]])
        out[r] = float(np.mean(np.where(denom > 0, common / np.maximum(denom, 1e-12), 0.0)))
    return out


def method_lists(bundle: Any, queries: np.ndarray, n: int, settings: Any = None) -> dict[str, np.ndarray]:
    """Each method's top-``n`` list for every query item (rows), from the same bundle."""
    from recommender.ranking import top_k
    from recommender.similar.support import shipped_neighbours

    y = bundle.normalised_factors
    sim = bundle.item_similarity
    pop = np.asarray(bundle.popularity, dtype=np.float64)
    from recommender.factors.scorer import ease_of

    ease, _ = ease_of(bundle)
    out: dict[str, list[np.ndarray]] = {"shipped": [], "item_knn": [], "factor_cosine": [], "popularity": []}
    if ease is not None:
        out["ease"] = []
    pop_order = top_k(pop, (), n + 1)
    for q in np.asarray(queries, dtype=np.int64).tolist():
        out["shipped"].append(shipped_neighbours(bundle, q, n, settings))
        row = np.full(bundle.n_items, -np.inf)
        lo, hi = sim.indptr[q], sim.indptr[q + 1]
        row[sim.indices[lo:hi]] = sim.data[lo:hi]
        knn = top_k(row, [q], n)
        if len(knn) < n:  # fewer stored neighbours than n: fill up by popularity (its best public form)
            knn = np.concatenate([knn, [i for i in top_k(pop, [q, *knn.tolist()], n)][: n - len(knn)]])
        out["item_knn"].append(knn.astype(np.int64))
        out["factor_cosine"].append(top_k(y @ y[q], [q], n))
        if ease is not None:  # the artist's strongest EASE weights (its pruned row), popularity after
            row = np.full(bundle.n_items, -np.inf)
            lo, hi = ease.indptr[q], ease.indptr[q + 1]
            row[ease.indices[lo:hi]] = ease.data[lo:hi]
            row[row <= 0] = -np.inf
            e = top_k(row, [q], n)
            e = e[np.isfinite(row[e])]
            if len(e) < n:
                e = np.concatenate([e, top_k(pop, [q, *e.tolist()], n)[: n - len(e)]])
            out["ease"].append(e.astype(np.int64))
        out["popularity"].append(np.array([i for i in pop_order if i != q][:n], dtype=np.int64))
    return {k: np.vstack(v) for k, v in out.items()}


def _interval(values: np.ndarray, boot: int, rng: np.random.Generator) -> tuple[float, float]:
    if boot <= 0 or len(values) < 2:
        return float("nan"), float("nan")
    idx = rng.integers(0, len(values), size=(boot, len(values)))
    means = values[idx].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def evaluate_similar(
    history,
    bundle: Any,
    min_listeners: int = 5,
    n: int = 10,
    settings: Any = None,
    boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Mean list score and 95% interval per method, and the shipped lists' paired lead over each."""
    sizes = np.asarray(history.sum(axis=0)).ravel()
    queries = np.flatnonzero(sizes >= min_listeners)
    if len(queries) == 0:
        raise ValueError(f"no artist has {min_listeners} or more listeners in the history")
    lists = method_lists(bundle, queries, n, settings)
    per = {name: list_scores(history, queries, rows) for name, rows in lists.items()}
    rng = np.random.default_rng(seed)
    methods = {}
    for name, values in per.items():
        lo, hi = _interval(values, boot, rng)
        methods[name] = {"mean": round(float(values.mean()), 4), "ci95": [round(lo, 4), round(hi, 4)]}
    lead = {}
    for name in [m for m in per if m != "shipped"]:
        diff = per["shipped"] - per[name]
        lo, hi = _interval(diff, boot, rng)
        lead[name] = {"mean": round(float(diff.mean()), 4), "ci95": [round(lo, 4), round(hi, 4)]}
    return {
        "queries": int(len(queries)),
        "listeners": int((np.diff(history.tocsr().indptr) > 0).sum()),
        "min_listeners": min_listeners,
        "n": n,
        "methods": methods,
        "shipped_lead": lead,
    }


GRID = {"min_support": (1, 3, 5), "shrinkage": (0.0, 10.0, 20.0, 50.0), "knn_weight": (0.0, 0.3, 0.5)}


def grid_scores(history, bundle: Any, min_listeners: int = 5, n: int = 10) -> list[dict[str, Any]]:
    """The shipped lists' mean score for every support setting of ``GRID`` (best first)."""
    from recommender.similar.support import SupportSettings

    sizes = np.asarray(history.sum(axis=0)).ravel()
    queries = np.flatnonzero(sizes >= min_listeners)
    from recommender.similar.support import shipped_neighbours

    rows = []
    for ms, sh, kw in itertools.product(GRID["min_support"], GRID["shrinkage"], GRID["knn_weight"]):
        s = SupportSettings(ms, sh, kw)
        lists = np.vstack([shipped_neighbours(bundle, int(q), n, s) for q in queries])
        rows.append(
            {
                "min_support": ms,
                "shrinkage": sh,
                "knn_weight": kw,
                "mean": round(float(list_scores(history, queries, lists).mean()), 4),
            }
        )
    rows.sort(key=lambda r: -r["mean"])
    return rows
