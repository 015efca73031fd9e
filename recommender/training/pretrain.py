"""Pretraining: read a source, train the bundle with the recipe (``recommender.training.als``), record
its validation figures and fit the audio bridge: ``encore pretrain``.

The shipped model blends, per user, the z-scored WMF fold-in scores with RP3beta scores
(``recommender.factors.scorer``); the validation figures it records (``meta["validation"]``) come from
``recommender.training.heldout.validate``: users held out, a bundle trained without them.

API: ``build_bundle(interactions, config, artist_tags=None, trainer=None)`` (``trainer``: the ALS engine,
``implicit_trainer`` by default, ``spark_als.SparkTrainer`` for ``--engine spark``),
``hold_out_users(interactions, n, seed)``, ``pretrain(source, paths, config, holdout=None)``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from recommender.factors.bundle import Bundle
from recommender.training.als import PretrainConfig, Trainer, bundle_from, fit_factors, tag_side_rows
from recommender.training.data import Interactions


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
        from recommender.training.heldout import validate

        extra["validation"] = validate(inter, config, progress, trainer)
        extra["validation_protocol"] = (
            f"{config.validation_fraction:.0%} of users held out (seed {config.validation_seed}), "
            "80% of their items given, Recall@20/50 / min(K, held-out), NDCG@100"
        )
    side = tag_side_rows(inter, config)
    bundle = bundle_from(inter, fit_factors(inter, config, side, progress, trainer), config, extra, side)
    del bundle.meta["built_at_utc"]
    if bundle.train_indptr is not None:
        from recommender.training.ease import attach_ease

        attach_ease(bundle)
    engine = getattr(trainer, "engine", "implicit")
    if engine != "implicit":
        bundle.meta["engine"] = engine
        bundle.meta["model"] = bundle.meta["model"].replace("implicit ALS", f"{engine} ALS")
    if artist_tags:
        from recommender.training.bridge_fit import fit_bridge

        arrays, report = fit_bridge(bundle, artist_tags, seed=config.seed)
        bundle.bridge = arrays
        bundle.meta["bridge"] = report
        if progress:
            progress(f"bridge: {report}")
    if side is not None and side.shape[0]:
        from recommender.training.data import load_tag_row_names

        users = inter.extra.get("tag_users")
        names = load_tag_row_names(inter.extra["folder"], inter.item_ids, users, config.tag_min_artists)
        bundle.bridge["tag_names"] = tag_names_for(bundle, names)
    return bundle


def tag_names_for(bundle: Bundle, names: list[str]) -> np.ndarray:
    """``bridge_tag_names``: the Last.fm tag of each tag pseudo-listener row of the bundle's training rows,
    in row order (``recommender.training.data.load_tag_row_names``), so a library's own genre words
    ("Soundtrack", "Death Metal") can find the rows and place artists the listening data does not know
    (``recommender.factors.genre``). Refuses names that do not fit the rows."""
    train = bundle.train_indptr
    first = int(bundle.meta.get("n_user_rows", 0))
    rows = 0 if train is None else len(train) - 1 - first
    if rows != len(names):
        raise ValueError(f"{len(names)} tag names for {rows} tag rows")
    return np.asarray(names, dtype=str)


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
    from recommender.training import data

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
        from recommender.training.msd import load_msd

        inter = load_msd(paths[0], paths[1] if len(paths) > 1 else None, level=level)
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
