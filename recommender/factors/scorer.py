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

from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.csr import CsrRows
from recommender.factors.foldin import FoldIn
from recommender.ranking import zscore

if TYPE_CHECKING:
    import scipy.sparse as sp


class RP3Beta:
    """RP3beta (Paudel et al. 2017) kept factorised: score = ((x · P_ui→) · P_i→u) / popularity^β.

    ``W = P_iu^α · P_ui^α`` (random walk item -> user -> item over log-scaled counts, transition
    probabilities raised to α) is never materialised: a user's scores are two sparse products, so
    building the model at load time is instant and scoring one user takes about a millisecond. The
    transition matrices are built and walked for one user with numpy alone (``one``), so the app's
    taste never imports scipy; many users at once (``__call__``) go through scipy.
    With ``neighbours > 0`` the dense-ish W is built and pruned to the top neighbours per item instead
    (the textbook variant; slower to build, about the same accuracy here).
    """

    def __init__(self, train: Any, alpha: float, beta: float, neighbours: int = 0) -> None:
        x = CsrRows.of(train)
        n_users, n_items = x.shape
        data = np.log1p(np.asarray(x.data, dtype=np.float64))
        user_of = np.repeat(np.arange(n_users), np.diff(x.indptr))
        row = np.bincount(user_of, weights=data, minlength=n_users)
        pui = CsrRows(data * (1.0 / np.maximum(row, 1e-12))[user_of], x.indices, x.indptr, x.shape)
        xt = CsrRows(data, x.indices, x.indptr, x.shape).transpose()
        col = np.bincount(x.indices, weights=data, minlength=n_items)
        item_of = np.repeat(np.arange(n_items), np.diff(xt.indptr))
        piu = CsrRows(xt.data * (1.0 / np.maximum(col, 1e-12))[item_of], xt.indices, xt.indptr, xt.shape)
        if alpha != 1.0:
            pui.data = np.power(pui.data, alpha)
            piu.data = np.power(piu.data, alpha)
        listeners = np.bincount(x.indices[data > 0], minlength=n_items).astype(np.float64)
        self.scale = np.power(np.maximum(listeners, 1.0), -beta)
        self.piu, self.pui = piu, pui
        self._scipy: tuple[Any, Any] | None = None
        self.w = None
        if neighbours > 0:
            import scipy.sparse as sp

            from recommender.evaluation import keep_top_per_row

            w = ((piu.to_scipy() @ pui.to_scipy()) @ sp.diags(self.scale)).tocsr()
            w.setdiag(0.0)
            w.eliminate_zeros()
            self.w = keep_top_per_row(w, neighbours)

    def __call__(self, weights: Any) -> np.ndarray:
        """Scores [n_users, n_items] for rows of (already transformed) user weights (scipy CSR)."""
        if self.w is not None:
            return np.asarray((weights @ self.w).todense())
        if self._scipy is None:
            self._scipy = (self.piu.to_scipy(), self.pui.to_scipy())
        piu, pui = self._scipy
        walk = (weights @ piu) @ pui
        return np.asarray(walk.todense()) * self.scale

    def one(self, items: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Scores [n_items] for one user's (already transformed) weights of ``items``."""
        if self.w is not None:
            return CsrRows.of(self.w).weighted_sum(items, weights)
        users = self.piu.weighted_sum(items, weights)
        reached = np.flatnonzero(users)
        return self.pui.weighted_sum(reached, users[reached]) * self.scale


class ModelScorer:
    """The shipped model: z(WMF fold-in scores) + w·z(RP3beta scores) + w_e·z(EASE scores), per user;
    with a re-ranker, its top candidates reordered by the trees (``_final``).

    ``score(items, counts)`` scores one user (with numpy alone unless a re-ranker is present: the app's
    taste at every radio start); ``__call__(given_csr)`` scores many (evaluation, through scipy).
    """

    def __init__(
        self, bundle: Any, use_rp3: bool = True, use_ease: bool = True, use_ranker: bool = True
    ) -> None:
        self.bundle = bundle
        self.ranker = ranker_of(bundle) if use_ranker and use_ease else None
        ease, self.ease_weight = ease_of(bundle) if use_ease else (None, 0.0)
        self.ease = None if ease is None else CsrRows.of(ease)
        self._ease_scipy: Any = None
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
                bundle.train_rows,
                float(h.get("rp3_alpha", 0.8)),
                float(h.get("rp3_beta", 0.4)),
                int(h.get("rp3_neighbours", 0)),
            )

    def wmf_scores(self, users: np.ndarray) -> np.ndarray:
        return np.atleast_2d(users) @ self.y.T

    def rp3_scores(self, given: sp.csr_matrix) -> np.ndarray | None:
        if self._rp3 is None:
            return None
        import scipy.sparse as sp

        x = sp.csr_matrix(given, dtype=np.float64, copy=True)
        x.data = np.log1p(np.maximum(x.data, 0.0))
        return self._rp3(x)

    def ease_scores(self, given: sp.csr_matrix) -> np.ndarray | None:
        """Played (1) x EASE weights; artists EASE was not fitted on get the user's lowest score."""
        if self.ease is None:
            return None
        import scipy.sparse as sp

        if self._ease_scipy is None:
            self._ease_scipy = self.ease.to_scipy()
        x = (sp.csr_matrix(given) > 0).astype(np.float32)
        return self._ease_unfitted(np.asarray((x @ self._ease_scipy).todense(), dtype=np.float64))

    def _ease_unfitted(self, out: np.ndarray) -> np.ndarray:
        """Artists EASE was not fitted on get each user's lowest score (rows of ``out``, in place)."""
        out[:, ~self._ease_fitted] = out[:, self._ease_fitted].min(axis=1, keepdims=True)
        return out

    def parts(self, users: np.ndarray, given: sp.csr_matrix) -> dict[str, np.ndarray]:
        """Each generator's z-scored rows (a missing one is zeros) and their blend, ``model``."""
        return self._blend(self.wmf_scores(users), self.rp3_scores(given), self.ease_scores(given))

    def _blend(
        self, wmf: np.ndarray, rp3: np.ndarray | None, ease: np.ndarray | None
    ) -> dict[str, np.ndarray]:
        zw = zscore(np.atleast_2d(np.asarray(wmf, dtype=np.float64)), axis=1)
        out = {"wmf": zw, "rp3": np.zeros_like(zw), "ease": np.zeros_like(zw)}
        if rp3 is not None:
            out["rp3"] = zscore(np.atleast_2d(np.asarray(rp3, dtype=np.float64)), axis=1)
        if ease is not None:
            out["ease"] = zscore(np.atleast_2d(ease), axis=1)
        out["model"] = zw + self.rp3_weight * out["rp3"] + self.ease_weight * out["ease"]
        return out

    def ranker_inputs(self, given: sp.csr_matrix, users: np.ndarray | None = None) -> tuple[dict, np.ndarray]:
        """The parts and each user's top ``CANDIDATES`` unplayed items of the blend (best first)."""
        import scipy.sparse as sp

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
        import scipy.sparse as sp

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
        import scipy.sparse as sp

        conf = sp.csr_matrix(given).copy()
        conf.data = self.bundle.confidence(conf.data)
        return self.foldin.solve_many(conf)

    def score(self, items: np.ndarray, counts: np.ndarray, user: np.ndarray | None = None) -> np.ndarray:
        """Scores over all items for one user given played items and their (positive) counts."""
        items, at = np.unique(np.asarray(items, dtype=np.int64), return_inverse=True)
        counts = np.bincount(at.ravel(), weights=np.asarray(counts, dtype=np.float64), minlength=len(items))
        if user is None:
            user = self.bundle.user_vector(items, counts)
        if self.ranker is not None:  # the trees take the batch path's features
            import scipy.sparse as sp

            given = sp.csr_matrix(
                (counts, (np.zeros(len(items), dtype=np.int64), items)), shape=(1, self.bundle.n_items)
            )
            return self._final(np.atleast_2d(user), given)[0]
        rp3 = None if self._rp3 is None else self._rp3.one(items, np.log1p(np.maximum(counts, 0.0)))
        ease = None
        if self.ease is not None:
            played = items[counts > 0]
            ease = self._ease_unfitted(self.ease.weighted_sum(played, np.ones(len(played)))[None, :])
        return self._blend(self.wmf_scores(user), rp3, ease)["model"][0]

    def __call__(self, given: sp.csr_matrix) -> np.ndarray:
        import scipy.sparse as sp

        given = sp.csr_matrix(given)
        return self._final(self._users(given), given)


def ease_of(bundle: Any) -> tuple[Any, float]:
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
