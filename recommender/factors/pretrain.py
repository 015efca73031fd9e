"""Pretraining: listening counts -> WMF item factors (implicit ALS) -> a bundle file.

WMF as in Hu, Koren & Volinsky (2008): preference p = 1 for every played item, confidence
``c = 1 + α·log(1 + r/ε)`` from the play count r, trained with ``implicit``'s exact ALS solver (CUDA
when ``implicit.gpu`` has it, else CPU). Reproducible: fixed seed, BLAS limited to one thread, and
every row's least-squares solve is independent of thread scheduling, so a rebuild gives the same
factors within float tolerance (bit for bit on the same machine and library versions).

For Last.fm data the tags of ``user_taggedartists.dat`` join the listeners as pseudo-listener rows
(one row per tag, counts = how many users gave it to each artist, x ``tag_scale``): more signal for
long-tail artists. Only the training users' tags are used, so held-out users leak nothing.

The shipped model blends, per user, the z-scored WMF fold-in scores with RP3beta scores (Paudel et al.
2017: random walk item->user->item over the same training rows, divided by item popularity^β), which
the bundle's anonymised counts let us rebuild at load (factorised: two sparse products per user).
Why a blend: on our validation users WMF alone reaches Recall@20 ≈ 0.325, the blend ≈ 0.336 (figures
in the bundle's ``meta["validation"]`` and resources/factors/README.md); the WMF factors stay the
model's factor space for fold-in, artist similarity and the audio bridge.

API: ``PretrainConfig``, ``train_item_factors(counts, config)``, ``RP3Beta(train, ...)``,
``ModelScorer(bundle)`` (scores users for evaluation and for the app), ``build_bundle(interactions,
config, artist_tags=None, trainer=None)`` (``trainer``: the ALS engine, ``implicit_trainer`` by default,
``spark_als.SparkTrainer`` for ``--engine spark``), ``hold_out_users(interactions, n, seed)``, ``pretrain(source, paths,
config, holdout=None)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recommender.factors.bundle import FORMAT, Bundle
from recommender.factors.data import Interactions
from recommender.factors.foldin import FoldIn, confidence
from recommender.factors.match import normalise_artist

VERSION = "1.0"


@dataclass
class PretrainConfig:
    """Hyper-parameters (defaults: the values tuned on our Last.fm 2k validation users)."""

    factors: int = 64
    regularization: float = 5.0
    alpha: float = 2.0  # confidence scale α in c = 1 + α·log(1 + r/ε)
    eps: float = 1.0  # ε: counts are divided by it inside the log
    iterations: int = 15
    seed: int = 20111023  # RecSys 2011, the data's workshop
    rp3_weight: float = 0.4  # weight of the z-scored RP3beta scores in the blend (0: WMF alone)
    rp3_alpha: float = 0.8
    rp3_beta: float = 0.5
    rp3_neighbours: int = 0  # 0: RP3beta kept factorised (exact, unpruned); > 0: pruned item graph
    knn_neighbours: int = 200  # for the item-kNN cosine baseline and artist similarity
    tag_rows: bool = True  # add Last.fm tags as pseudo-listeners (rows of tagged artists)
    tag_min_artists: int = 5  # a tag must cover this many artists to become a row
    tag_scale: float = 10.0  # tag application counts are multiplied by this before the confidence
    use_gpu: bool | None = None  # None: CUDA if implicit has it
    validation_fraction: float = 0.2  # users held out to record validation figures in the bundle
    validation_seed: int = 1


def confidence_matrix(counts: sp.csr_matrix, config: PretrainConfig) -> sp.csr_matrix:
    c = sp.csr_matrix(counts, dtype=np.float32, copy=True)
    c.data = confidence(c.data, config.alpha, config.eps).astype(np.float32)
    return c


def train_item_factors(
    counts: sp.csr_matrix, config: PretrainConfig, progress: Callable[[str], None] | None = None
) -> np.ndarray:
    """Item factors float32 [n_items, k] from a rows x items count matrix (users, then tag rows)."""
    import implicit
    from threadpoolctl import threadpool_limits

    use_gpu = config.use_gpu
    if use_gpu is None:
        use_gpu = bool(getattr(implicit.gpu, "HAS_CUDA", False))
    with threadpool_limits(1, "blas"):
        model = implicit.als.AlternatingLeastSquares(
            factors=config.factors,
            regularization=config.regularization,
            alpha=1.0,  # the confidence is already in the matrix
            iterations=config.iterations,
            random_state=config.seed,
            use_gpu=use_gpu,
            **({} if use_gpu else {"use_cg": False, "num_threads": 1}),
        )
        t = time.perf_counter()
        model.fit(confidence_matrix(counts, config), show_progress=False)
        if use_gpu:
            model = model.to_cpu()
    if progress:
        progress(
            f"ALS: {counts.shape[0]} users x {counts.shape[1]} items, k={config.factors}, "
            f"{config.iterations} iterations, {time.perf_counter() - t:.1f} s ({'GPU' if use_gpu else 'CPU'})"
        )
    return np.ascontiguousarray(model.item_factors, dtype=np.float32)


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
            from recommender.evaluation import _keep_top_per_row

            w = ((piu @ pui) @ sp.diags(self.scale)).tocsr()
            w.setdiag(0.0)
            w.eliminate_zeros()
            self.w = _keep_top_per_row(w, neighbours)

    def __call__(self, weights: sp.csr_matrix) -> np.ndarray:
        """Scores [n_users, n_items] for rows of (already transformed) user weights."""
        if self.w is not None:
            return np.asarray((weights @ self.w).todense())
        walk = (weights @ self.piu) @ self.pui
        return np.asarray(walk.todense()) * self.scale


def zscore(scores: np.ndarray) -> np.ndarray:
    """Per row: (s - mean) / std over the finite entries; so that blended models share a scale."""
    s = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    mu = s.mean(axis=1, keepdims=True)
    sd = s.std(axis=1, keepdims=True)
    sd[sd == 0] = 1.0
    return (s - mu) / sd


class ModelScorer:
    """The shipped model: z(WMF fold-in scores) + w·z(RP3beta scores), per user.

    ``score(items, counts)`` scores one user; ``__call__(given_csr)`` scores many (evaluation).
    """

    def __init__(self, bundle: Bundle, use_rp3: bool = True) -> None:
        self.bundle = bundle
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

    def blend(self, wmf: np.ndarray, rp3: np.ndarray | None) -> np.ndarray:
        out = zscore(wmf)
        if rp3 is not None:
            out = out + self.rp3_weight * zscore(rp3)
        return out

    def score(self, items: np.ndarray, counts: np.ndarray, user: np.ndarray | None = None) -> np.ndarray:
        """Scores over all items for one user given played items and their (positive) counts."""
        items = np.asarray(items, dtype=np.int64)
        counts = np.asarray(counts, dtype=np.float64)
        if user is None:
            user = self.bundle.user_vector(items, counts)
        given = sp.csr_matrix(
            (counts, (np.zeros(len(items), dtype=np.int64), items)), shape=(1, self.bundle.n_items)
        )
        return self.blend(self.wmf_scores(user), self.rp3_scores(given))[0]

    def __call__(self, given: sp.csr_matrix) -> np.ndarray:
        given = sp.csr_matrix(given)
        conf = given.copy()
        conf.data = self.bundle.confidence(conf.data)
        users = self.foldin.solve_many(conf)
        return self.blend(self.wmf_scores(users), self.rp3_scores(given))


def _tag_rows(
    inter: Interactions, config: PretrainConfig, users: np.ndarray | None = None
) -> sp.csr_matrix | None:
    """Tag pseudo-listener rows (scaled) for Last.fm data, from ``users``' tag applications only."""
    folder = inter.extra.get("folder")
    if not config.tag_rows or inter.source != "lastfm2k" or folder is None:
        return None
    from recommender.factors.data import load_tag_rows

    if users is None and "tag_users" in inter.extra:
        users = inter.extra["tag_users"]  # held-out users' tags must not leak into training
    rows = load_tag_rows(
        folder,
        inter.item_ids,
        users=None if users is None else {str(u) for u in users},
        min_artists=config.tag_min_artists,
    )
    rows.data *= np.float32(config.tag_scale)
    return rows


def _bundle_from(
    inter: Interactions,
    factors: np.ndarray,
    config: PretrainConfig,
    meta_extra: dict,
    side: sp.csr_matrix | None = None,
) -> Bundle:
    counts = inter.matrix
    keys = np.array([normalise_artist(a) or "" for a in inter.artists], dtype=str)
    if inter.level == "song" and "titles" in inter.extra:
        titles = inter.extra["titles"]
        keys = np.array(
            [f"{k}\x1f{normalise_artist(t) or ''}" if k else "" for k, t in zip(keys, titles, strict=True)],
            dtype=str,
        )
    popularity = np.asarray((counts > 0).sum(axis=0)).ravel().astype(np.int32)
    hyper = asdict(config)
    hyper.pop("use_gpu")
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "source": inter.source,
        "level": inter.level,
        "licence": inter.licence,
        "hyperparameters": hyper,
        "weighting": "c = 1 + alpha*log(1 + r/eps)",
        "model": "WMF (implicit ALS) fold-in" + (" + RP3beta blend" if config.rp3_weight else ""),
        "n_users": int(counts.shape[0]),
        "n_user_rows": int(counts.shape[0]),
        "n_tag_rows": int(side.shape[0]) if side is not None else 0,
        "n_items": int(counts.shape[1]),
        "n_interactions": int(counts.nnz),
        **meta_extra,
    }
    stored = sp.vstack([counts, side]) if side is not None and side.shape[0] else counts
    stored = sp.csr_matrix(stored, dtype=np.float32)
    stored.sort_indices()
    return Bundle(
        item_factors=factors,
        item_ids=np.asarray(inter.item_ids, dtype=str),
        names=np.asarray(inter.names, dtype=str),
        keys=keys,
        mbids=np.asarray(inter.mbids, dtype=str),
        popularity=popularity,
        meta=meta,
        train_indptr=stored.indptr.astype(np.int32),
        train_indices=stored.indices.astype(np.int32),
        train_counts=stored.data.astype(np.float32),
    )


# A trainer maps (interactions, tag side rows or None, config, progress) to item factors [n_items, k].
Trainer = Callable[
    [Interactions, "sp.csr_matrix | None", PretrainConfig, "Callable[[str], None] | None"], np.ndarray
]


def implicit_trainer(
    inter: Interactions, side: sp.csr_matrix | None, config: PretrainConfig, progress=None
) -> np.ndarray:
    """The default engine: ``implicit`` ALS on the listening rows stacked over the tag rows."""
    rows = sp.vstack([inter.matrix, side]).tocsr() if side is not None and side.shape[0] else inter.matrix
    return train_item_factors(rows, config, progress)


def _fit(
    inter: Interactions, config: PretrainConfig, side, progress, trainer: Trainer | None = None
) -> np.ndarray:
    return (trainer or implicit_trainer)(inter, side, config, progress)


def build_bundle(
    inter: Interactions,
    config: PretrainConfig,
    artist_tags: dict[str, dict[str, int]] | None = None,
    run_validation: bool = True,
    progress: Callable[[str], None] | None = None,
    trainer: Trainer | None = None,
) -> Bundle:
    """Train on all users of ``inter``; record validation figures and fit the audio bridge if tags given."""
    extra: dict = {"built_at_utc": None}
    if run_validation and inter.n_users >= 20:
        from recommender.factors.heldout import validate

        extra["validation"] = validate(inter, config, progress, trainer)
        extra["validation_protocol"] = (
            f"{config.validation_fraction:.0%} of users held out (seed {config.validation_seed}), "
            "80% of their items given, Recall@20/50 / min(K, held-out), NDCG@100"
        )
    side = _tag_rows(inter, config)
    bundle = _bundle_from(inter, _fit(inter, config, side, progress, trainer), config, extra, side)
    del bundle.meta["built_at_utc"]
    engine = getattr(trainer, "engine", "implicit")
    if engine != "implicit":
        bundle.meta["engine"] = engine
        bundle.meta["model"] = bundle.meta["model"].replace("implicit ALS", f"{engine} ALS")
    if artist_tags:
        from recommender.factors.bridge import fit_bridge

        arrays, report = fit_bridge(bundle, artist_tags, seed=config.seed)
        bundle.bridge = arrays
        bundle.meta["bridge"] = report
        if progress:
            progress(f"bridge: {report}")
    return bundle


def hold_out_users(inter: Interactions, n: int, seed: int) -> tuple[Interactions, np.ndarray]:
    """Remove ``n`` seeded-random users (and, for Last.fm, their tags) from training data.

    Returns the reduced data and the removed users' ids; their rows can then be evaluated with
    ``encore evaluate --history`` against a bundle that never saw them.
    """
    if not 0 < n < inter.n_users:
        raise ValueError(f"cannot hold out {n} of {inter.n_users} users")
    rng = np.random.default_rng(seed)
    out = np.sort(rng.choice(inter.n_users, size=n, replace=False))
    keep = np.setdiff1d(np.arange(inter.n_users), out)
    reduced, _ = inter.subset_users(keep)
    return reduced, inter.user_ids[out]


def pretrain(
    source: str,
    paths: list[str],
    config: PretrainConfig,
    level: str = "song",
    run_validation: bool = True,
    progress: Callable[[str], None] | None = None,
    holdout: tuple[int, int, str] | None = None,
    trainer: Trainer | None = None,
) -> Bundle:
    """Read ``source`` ('lastfm2k': [folder]; 'msd': [triplets, metadata]) and build its bundle.

    ``holdout = (n, seed, path)`` leaves ``n`` random users out of training (Last.fm only) and writes
    their ``user_artists.dat`` rows to ``path`` for ``encore evaluate --history``.
    """
    from recommender.factors import data

    if source == "lastfm2k":
        if len(paths) != 1:
            raise ValueError("--source lastfm2k takes one folder (with user_artists.dat, artists.dat)")
        inter = data.load_lastfm2k(paths[0])
        inter.extra["folder"] = str(paths[0])
        tags = data.load_artist_tags(paths[0])
    elif source == "msd":
        if len(paths) not in (1, 2):
            raise ValueError("--source msd takes TRIPLETS [METADATA]")
        if holdout:
            raise ValueError("--holdout-users is implemented for --source lastfm2k only")
        inter = data.load_msd(paths[0], paths[1] if len(paths) > 1 else None, level=level)
        tags = None
    else:
        raise ValueError(f"unknown source {source!r} (lastfm2k or msd)")
    if holdout:
        n, seed, out_path = holdout
        inter, removed = hold_out_users(inter, n, seed)
        removed_set = set(removed.tolist())
        lines = (Path(paths[0]) / "user_artists.dat").read_text(encoding="utf-8").splitlines()
        Path(out_path).write_text(
            "\n".join([lines[0]] + [x for x in lines[1:] if x.split("\t", 1)[0] in removed_set]) + "\n",
            encoding="utf-8",
        )
        # Tags given by held-out users say which artists they know: keep them out of the bridge too.
        tags = data.load_artist_tags(paths[0], users=inter.extra["tag_users"])
        if progress:
            progress(f"held out {len(removed)} users (seed {seed}) -> {out_path}")
    if progress:
        progress(f"read {inter.n_users} users x {inter.n_items} items, {inter.matrix.nnz} interactions")
    return build_bundle(
        inter, config, tags, run_validation=run_validation, progress=progress, trainer=trainer
    )
