"""The training recipe's core: listening counts (+ tag rows) -> WMF item factors -> a ``Bundle``.

WMF as in Hu, Koren & Volinsky (2008): preference p = 1 for every played item, confidence
``c = 1 + α·log(1 + r/ε)`` from the play count r, trained with ``implicit``'s exact ALS solver (CUDA
when ``implicit.gpu`` has it, else CPU). Reproducible: fixed seed, BLAS limited to one thread, and
every row's least-squares solve is independent of thread scheduling, so a rebuild gives the same
factors within float tolerance (bit for bit on the same machine and library versions).

For Last.fm data the tags of ``user_taggedartists.dat`` join the listeners as pseudo-listener rows
(one row per tag, counts = how many users gave it to each artist, x ``tag_scale``): more signal for
long-tail artists. Only the training users' tags are used, so held-out users leak nothing.

``train_without`` is the one way to train without some users (held-out evaluation, the simulation's
held-out listeners). The shipped model that scores users from the bundle is
``recommender.factors.scorer.ModelScorer``; the whole pretraining command is ``recommender.training.pretrain``.

API: ``PretrainConfig``, ``train_item_factors(counts, config)``, ``tag_side_rows(inter, config, users)``,
``bundle_from(inter, factors, config, meta_extra, side)``, ``Trainer``, ``implicit_trainer``,
``fit_factors(inter, config, side, progress, trainer)``, ``train_without(inter, held_rows, config, ...)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp

from recommender.factors.bundle import Bundle
from recommender.factors.bundle_file import FORMAT
from recommender.factors.foldin import confidence
from recommender.factors.match import normalise_artist
from recommender.training.data import Interactions

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


def tag_side_rows(
    inter: Interactions, config: PretrainConfig, users: np.ndarray | None = None
) -> sp.csr_matrix | None:
    """Tag pseudo-listener rows (scaled) for Last.fm data, from ``users``' tag applications only."""
    folder = inter.extra.get("folder")
    if not config.tag_rows or inter.source != "lastfm2k" or folder is None:
        return None
    from recommender.training.data import load_tag_rows

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


def bundle_from(
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


def fit_factors(
    inter: Interactions, config: PretrainConfig, side, progress, trainer: Trainer | None = None
) -> np.ndarray:
    return (trainer or implicit_trainer)(inter, side, config, progress)


def train_without(
    inter: Interactions,
    held_rows: np.ndarray,
    config: PretrainConfig,
    progress: Callable[[str], None] | None = None,
    trainer: Trainer | None = None,
    all_items: bool = False,
) -> tuple[Bundle, sp.csr_matrix]:
    """A bundle trained on every user but ``held_rows`` (and only their tags); the held rows' counts.

    Tags given by held-out users would tell the model which artists they know, so they are left out.
    ``all_items``: keep every item of ``inter`` in the bundle, also those only the held-out users played
    (the simulation places its listeners' whole libraries in the catalogue); by default the bundle holds
    the items its training users played, as a bundle built from those users alone would.
    """
    train_rows = np.setdiff1d(np.arange(inter.n_users), held_rows)
    sub, seen = inter.subset_users(train_rows, all_items=all_items)
    side = tag_side_rows(sub, config, users=sub.user_ids)
    bundle = bundle_from(sub, fit_factors(sub, config, side, progress, trainer), config, {}, side)
    return bundle, inter.matrix[held_rows][:, seen].tocsr()
