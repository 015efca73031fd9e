"""The shipped model at run time: z(WMF fold-in scores) + w·z(RP3beta scores) + w_e·z(EASE scores), per
user.

Why a blend: on our validation users WMF alone reaches Recall@20 ≈ 0.325, the blend ≈ 0.336 (figures
in the bundle's ``meta["validation"]`` and resources/factors/README.md); the WMF factors stay the
model's factor space for fold-in, artist similarity and the audio bridge. RP3beta (Paudel et al. 2017:
random walk item->user->item over the bundle's anonymised training rows, divided by item
popularity^β) is rebuilt at load, factorised: two sparse products per user.

EASE (Steck 2019) is the pruned item-item weight matrix shipped beside the bundle
(``recommender.factors.ease``, fitted by ``recommender.training.ease``); when it is absent or refused
(damaged, another catalogue) the scorer is the WMF + RP3beta blend, as before it existed.

Kept apart from the training recipe (``recommender.training.pretrain``), which builds the bundle: the
app scores users with this and never imports training code. Evaluation scores many users with it too.

API: ``ModelScorer(bundle, use_rp3=True, use_ease=True)`` (``.score(items, counts)`` one user, ``__call__(csr)`` many),
``RP3Beta(train, alpha, beta, neighbours)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.factors.foldin import FoldIn
from recommender.ranking import zscore


class RP3Beta:
    """RP3beta (Paudel et al. 2017) kept factorised: score = ((x · P_ui→) · P_i→u) / popularity^β.

    ``W = P_iu^α · P_ui^α`` (random walk item -> user -> item over log-scaled counts, transition
    probabilities raised to α) is never materialised: a user's scores are two sparse products, so
    building the model at load time is instant and scoring one user takes about a millisecond.
    With ``neighbours > 0`` the dense-ish W is built and pruned to the top neighbours per item instead
    (the textbook variant; slower to build, about the same accuracy here).
    """

    def __init__(self, train: sp.csr_matrix, alpha: float, beta: float, neighbours: int = 0) -> None:
        x = sp.csr_matrix(train, dtype=np.float64, copy=True)
        x.data = np.log1p(x.data)
        row = np.asarray(x.sum(axis=1)).ravel()
        pui = (sp.diags(1.0 / np.maximum(row, 1e-12)) @ x).tocsr()
        xt = x.T.tocsr()
        col = np.asarray(xt.sum(axis=1)).ravel()
        piu = (sp.diags(1.0 / np.maximum(col, 1e-12)) @ xt).tocsr()
        if alpha != 1.0:
            pui = pui.power(alpha)
            piu = piu.power(alpha)
        listeners = np.asarray((x > 0).sum(axis=0)).ravel().astype(np.float64)
        self.scale = np.power(np.maximum(listeners, 1.0), -beta)
        self.piu, self.pui = piu, pui
        self.w = None
        if neighbours > 0:
            from recommender.evaluation import keep_top_per_row

            w = ((piu @ pui) @ sp.diags(self.scale)).tocsr()
            w.setdiag(0.0)
            w.eliminate_zeros()
            self.w = keep_top_per_row(w, neighbours)

    def __call__(self, weights: sp.csr_matrix) -> np.ndarray:
        """Scores [n_users, n_items] for rows of (already transformed) user weights."""
        if self.w is not None:
            return np.asarray((weights @ self.w).todense())
        walk = (weights @ self.piu) @ self.pui
        return np.asarray(walk.todense()) * self.scale


class ModelScorer:
    """The shipped model: z(WMF fold-in scores) + w·z(RP3beta scores) + w_e·z(EASE scores), per user;
    with a re-ranker, its top candidates reordered by the trees (``_final``).

    ``score(items, counts)`` scores one user; ``__call__(given_csr)`` scores many (evaluation).
    """

    def __init__(
        self, bundle: Any, use_rp3: bool = True, use_ease: bool = True, use_ranker: bool = True
    ) -> None:
        self.bundle = bundle
        self.ranker = ranker_of(bundle) if use_ranker and use_ease else None
        self.ease, self.ease_weight = ease_of(bundle) if use_ease else (None, 0.0)
        self._ease_fitted = (
            None if self.ease is None else np.bincount(self.ease.indices, minlength=bundle.n_items) > 0
        )
        h = bundle.hyper
        self.rp3_weight = float(h.get("rp3_weight", 0.0)) if use_rp3 else 0.0
        self.y = bundle.item_factors.astype(np.float64)
        self.foldin: FoldIn = bundle.foldin
        self._rp3 = None
        if self.rp3_weight and bundle.train_indptr is not None:
            self._rp3 = RP3Beta(
                bundle.train_matrix,
                float(h.get("rp3_alpha", 0.8)),
                float(h.get("rp3_beta", 0.4)),
                int(h.get("rp3_neighbours", 0)),
            )

    def wmf_scores(self, users: np.ndarray) -> np.ndarray:
        return np.atleast_2d(users) @ self.y.T

    def rp3_scores(self, given: sp.csr_matrix) -> np.ndarray | None:
        if self._rp3 is None:
            return None
        x = sp.csr_matrix(given, dtype=np.float64, copy=True)
        x.data = np.log1p(np.maximum(x.data, 0.0))
        return self._rp3(x)

    def ease_scores(self, given: sp.csr_matrix) -> np.ndarray | None:
        """Played (1) x EASE weights; artists EASE was not fitted on get the user's lowest score."""
        if self.ease is None:
            return None
        x = (sp.csr_matrix(given) > 0).astype(np.float32)
        out = np.asarray((x @ self.ease).todense(), dtype=np.float64)
        out[:, ~self._ease_fitted] = out[:, self._ease_fitted].min(axis=1, keepdims=True)
        return out

    def parts(self, users: np.ndarray, given: sp.csr_matrix) -> dict[str, np.ndarray]:
        """Each generator's z-scored rows (a missing one is zeros) and their blend, ``model``."""
        zw = zscore(np.atleast_2d(np.asarray(self.wmf_scores(users), dtype=np.float64)), axis=1)
        out = {"wmf": zw, "rp3": np.zeros_like(zw), "ease": np.zeros_like(zw)}
        rp3 = self.rp3_scores(given)
        if rp3 is not None:
            out["rp3"] = zscore(np.atleast_2d(np.asarray(rp3, dtype=np.float64)), axis=1)
        ease = self.ease_scores(given)
        if ease is not None:
            out["ease"] = zscore(np.atleast_2d(ease), axis=1)
        out["model"] = zw + self.rp3_weight * out["rp3"] + self.ease_weight * out["ease"]
        return out

    def ranker_inputs(self, given: sp.csr_matrix, users: np.ndarray | None = None) -> tuple[dict, np.ndarray]:
        """The parts and each user's top ``CANDIDATES`` unplayed items of the blend (best first)."""
        from recommender.factors.ranker import CANDIDATES

        given = sp.csr_matrix(given)
        parts = self.parts(self._users(given) if users is None else users, given)
        s = parts["model"].copy()
        for j in range(given.shape[0]):
            s[j, given.indices[given.indptr[j] : given.indptr[j + 1]]] = -np.inf
        n = min(CANDIDATES, s.shape[1] - 1)
        cands = np.argpartition(-s, n, axis=1)[:, :n]
        cands = np.take_along_axis(cands, np.argsort(-np.take_along_axis(s, cands, 1), 1, kind="stable"), 1)
        return parts, cands

    def ranker_features(self, parts: dict, given: sp.csr_matrix, cands: np.ndarray) -> np.ndarray:
        from recommender.factors.ranker import features

        profile = np.diff(sp.csr_matrix(given).indptr)
        return features(parts, self.bundle.popularity, profile, cands)

    def _final(self, users: np.ndarray, given: sp.csr_matrix) -> np.ndarray:
        """The blend; with a ranker its candidates keep their blend scores, reordered by the trees."""
        if self.ranker is None:
            return self.parts(users, given)["model"]
        parts, cands = self.ranker_inputs(given, users)
        x = self.ranker_features(parts, given, cands)
        r = self.ranker.predict(x.reshape(-1, x.shape[2])).reshape(cands.shape)
        out = parts["model"].copy()
        values = np.take_along_axis(out, cands, 1)  # best first
        order = np.argsort(-r, axis=1, kind="stable")
        np.put_along_axis(out, np.take_along_axis(cands, order, 1), values, 1)
        return out

    def _users(self, given: sp.csr_matrix) -> np.ndarray:
        conf = sp.csr_matrix(given).copy()
        conf.data = self.bundle.confidence(conf.data)
        return self.foldin.solve_many(conf)

    def score(self, items: np.ndarray, counts: np.ndarray, user: np.ndarray | None = None) -> np.ndarray:
        """Scores over all items for one user given played items and their (positive) counts."""
        items = np.asarray(items, dtype=np.int64)
        counts = np.asarray(counts, dtype=np.float64)
        if user is None:
            user = self.bundle.user_vector(items, counts)
        given = sp.csr_matrix(
            (counts, (np.zeros(len(items), dtype=np.int64), items)), shape=(1, self.bundle.n_items)
        )
        return self._final(np.atleast_2d(user), given)[0]

    def __call__(self, given: sp.csr_matrix) -> np.ndarray:
        given = sp.csr_matrix(given)
        return self._final(self._users(given), given)


def ease_of(bundle: Any) -> tuple[sp.csr_matrix | None, float]:
    """The bundle's EASE weights and blend weight: the ones set on it in memory (``bundle.ease``, as
    training sets them), else its sibling file (``ease_path_for``); ``(None, 0.0)`` when there is none or
    it is refused (warned once on stderr: the blend goes on without it)."""
    if bundle.ease is not None:
        weights, meta = bundle.ease
        return weights, float(meta.get("weight", 1.0))
    if bundle.path is None:
        return None, 0.0
    from recommender.factors.ease import EaseError, ease_path_for, read_ease
    from recommender.factors.notice import warn_once

    path = ease_path_for(bundle.path)
    try:
        weights, meta = read_ease(path, bundle.item_ids)
    except FileNotFoundError:
        return None, 0.0
    except EaseError as exc:
        warn_once(f"the EASE weights are refused ({exc}); recommending from WMF and RP3beta alone")
        return None, 0.0
    bundle.ease = (weights, meta)
    return weights, float(meta["weight"])


def ranker_of(bundle: Any) -> Any:
    """The bundle's re-ranker trees (``recommender.factors.ranker``): set in memory by training
    (``bundle.ranker``), else its sibling file; ``None`` when absent or refused (warned once)."""
    if bundle.ranker is not None:
        return bundle.ranker[0]
    if bundle.path is None:
        return None
    from recommender.factors.notice import warn_once
    from recommender.factors.ranker import RankerError, ranker_path_for, read_ranker

    try:
        bundle.ranker = read_ranker(ranker_path_for(bundle.path), bundle.item_ids)
    except FileNotFoundError:
        return None
    except RankerError as exc:
        warn_once(f"the re-ranker is refused ({exc}); ranking by the blend")
        return None
    return bundle.ranker[0]
