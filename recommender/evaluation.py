"""Offline evaluation of the collaborative model: held-out listeners, given 80%, score the rest.

Protocol (the one the issue fixes, so figures compare across models and with the reference numbers):
for every evaluated user, a seeded shuffle of the artists they listened to gives 80% (with their play
counts) to the model; the model ranks every catalogue item except the given ones; the other 20% are the
relevant items. Metrics, averaged over users:

- Recall@K = |top-K ∩ held-out| / min(K, |held-out|)  (K = 20, 50)
- NDCG@100 with binary relevance, normalised by the ideal DCG of min(100, |held-out|) hits.

Items of the user that the catalogue does not contain cannot be recommended by any model; they are
dropped before the split (and counted in ``EvalResult.unknown_items``). Users need ≥ 2 known items.

Scorers map a CSR matrix of given counts (users x catalogue items) to dense scores. Baselines:
``PopularityScorer`` (number of training listeners) and ``ItemKNNScorer`` (item-item cosine on the
training matrix). The shipped model's scorer is ``recommender.factors.scorer.ModelScorer``
(``Bundle.model``). Which users of a history file may be used for what is ``user_groups``.

API: ``split_users``, ``user_groups``, ``make_split``, ``recall_at_k``, ``ndcg_at_k``, ``evaluate_scorers``,
``PopularityScorer``, ``ItemKNNScorer``, ``keep_top_per_row``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.ranking import top_k

Scorer = Callable[[sp.csr_matrix], np.ndarray]
METRICS = ("recall@20", "recall@50", "ndcg@100")


def split_users(n_users: int, valid_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of user rows into (train, validation) index arrays."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(n_users)
    n_valid = int(round(n_users * valid_fraction))
    return np.sort(order[n_valid:]), np.sort(order[:n_valid])


@dataclass
class Split:
    given: sp.csr_matrix  # counts given to the model, users x items
    heldout: list[np.ndarray]  # per user, the item indices to find
    unknown_items: int = 0


def make_split(counts: sp.csr_matrix, given_fraction: float = 0.8, seed: int = 0) -> Split:
    """Per user, a seeded shuffle: the first ``round(0.8 n)`` items are given, the rest held out.

    Rows with fewer than 2 items are kept with nothing held out and are skipped by the metrics.
    """
    counts = sp.csr_matrix(counts)
    rng = np.random.default_rng(seed)
    rows, cols, vals = [], [], []
    heldout: list[np.ndarray] = []
    for u in range(counts.shape[0]):
        lo, hi = counts.indptr[u], counts.indptr[u + 1]
        items, data = counts.indices[lo:hi], counts.data[lo:hi]
        n = len(items)
        if n < 2:
            heldout.append(np.empty(0, dtype=np.int64))
            continue
        order = rng.permutation(n)
        n_given = min(n - 1, max(1, int(round(given_fraction * n))))
        g, h = order[:n_given], order[n_given:]
        rows.extend([u] * n_given)
        cols.extend(items[g].tolist())
        vals.extend(data[g].tolist())
        heldout.append(np.sort(items[h]).astype(np.int64))
    given = sp.csr_matrix(
        (
            np.asarray(vals, dtype=np.float32),
            (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)),
        ),
        shape=counts.shape,
    )
    return Split(given=given, heldout=heldout)


def recall_at_k(ranked: np.ndarray, relevant: np.ndarray, k: int) -> float:
    """|top-k ∩ relevant| / min(k, |relevant|)."""
    if len(relevant) == 0:
        raise ValueError("no relevant items")
    hits = np.isin(ranked[:k], relevant).sum()
    return float(hits) / min(k, len(relevant))


def ndcg_at_k(ranked: np.ndarray, relevant: np.ndarray, k: int) -> float:
    """Binary-relevance NDCG@k: Σ_hits 1/log2(rank+2) over the ideal for min(k, |relevant|) hits."""
    if len(relevant) == 0:
        raise ValueError("no relevant items")
    gains = np.isin(ranked[:k], relevant).astype(np.float64)
    discounts = 1.0 / np.log2(np.arange(2, len(gains) + 2))
    ideal = discounts[: min(k, len(relevant))].sum() if len(gains) else 1.0
    return float((gains * discounts).sum() / ideal)


def evaluate_scorers(
    scorers: dict[str, Scorer], split: Split, batch: int = 256, k_max: int = 100
) -> dict[str, dict[str, float]]:
    """Mean Recall@20, Recall@50, NDCG@100 of each scorer over the split's users with held-out items."""
    users = np.array([u for u, h in enumerate(split.heldout) if len(h)], dtype=np.int64)
    if len(users) == 0:
        raise ValueError("no user has items to hold out (each needs at least 2 known items)")
    out: dict[str, dict[str, float]] = {}
    for name, scorer in scorers.items():
        sums = dict.fromkeys(METRICS, 0.0)
        for start in range(0, len(users), batch):
            rows = users[start : start + batch]
            given = split.given[rows]
            scores = np.asarray(scorer(given))
            for j, u in enumerate(rows):
                exclude = given.indices[given.indptr[j] : given.indptr[j + 1]]
                ranked = top_k(scores[j], exclude, k_max)
                rel = split.heldout[u]
                sums["recall@20"] += recall_at_k(ranked, rel, 20)
                sums["recall@50"] += recall_at_k(ranked, rel, 50)
                sums["ndcg@100"] += ndcg_at_k(ranked, rel, 100)
        out[name] = {m: sums[m] / len(users) for m in METRICS}
    out["_users"] = {"evaluated": float(len(users))}
    return out


class PopularityScorer:
    """Everyone gets the same ranking: the number of training listeners per item."""

    def __init__(self, train: sp.csr_matrix) -> None:
        self.popularity = np.asarray((sp.csr_matrix(train) > 0).sum(axis=0)).ravel().astype(np.float64)

    def __call__(self, given: sp.csr_matrix) -> np.ndarray:
        return np.tile(self.popularity, (given.shape[0], 1))


class ItemKNNScorer:
    """Item-based kNN: score_i = Σ_j∈given cos(i, j), cosine over binarised training item columns.

    Only the ``neighbours`` most similar items of each item are kept (the usual sparsified kNN).
    """

    def __init__(self, train: sp.csr_matrix, neighbours: int = 200) -> None:
        x = (sp.csc_matrix(train) > 0).astype(np.float32)
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=0)).ravel())
        norms[norms == 0] = 1.0
        xn = x @ sp.diags(1.0 / norms)
        sim = (xn.T @ xn).tocsr()
        sim.setdiag(0.0)
        sim.eliminate_zeros()
        self.similarity = keep_top_per_row(sim, neighbours)

    def __call__(self, given: sp.csr_matrix) -> np.ndarray:
        g = (sp.csr_matrix(given) > 0).astype(np.float32)
        # sim is top-n per row i (i's neighbours j); score_i = Σ_j given_j sim[i, j].
        return np.asarray((g @ self.similarity.T).todense())


def keep_top_per_row(m: sp.csr_matrix, n: int) -> sp.csr_matrix:
    m = sp.csr_matrix(m)
    rows, cols, vals = [], [], []
    for i in range(m.shape[0]):
        lo, hi = m.indptr[i], m.indptr[i + 1]
        data = m.data[lo:hi]
        idx = m.indices[lo:hi]
        if hi - lo > n:
            keep = np.argpartition(-data, n - 1)[:n]
            data, idx = data[keep], idx[keep]
        rows.append(np.full(len(idx), i))
        cols.append(idx)
        vals.append(data)
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=m.shape, dtype=np.float32
    )


GROUP_FRACTION = 0.2
GROUP_SEED = 10


def user_groups(n_users: int) -> dict[str, np.ndarray]:
    """Disjoint sorted row indices of the user groups of a history file (by first-seen order, seeded):

    - ``factor_validation``: the factors' validation users (``split_users(n, 0.2, seed 1)``, as
      ``recommender.training.heldout.validate``): the factor hyper-parameters were tuned on them;
    - ``report``: 20% of all users drawn (seed 10) from the others: the README tables and the default
      held-out runs use only them; no setting was ever tuned on them;
    - ``tuning``: the next 20%: ``recommender.simulation.tune`` tunes ``RadioSettings`` on them only.
    """
    rest, factor_validation = split_users(n_users, GROUP_FRACTION, 1)
    order = np.random.default_rng(GROUP_SEED).permutation(rest)
    k = int(round(GROUP_FRACTION * n_users))
    return {
        "factor_validation": factor_validation,
        "report": np.sort(order[:k]),
        "tuning": np.sort(order[k : 2 * k]),
    }
