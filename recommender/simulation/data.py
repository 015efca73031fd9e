"""Which users a simulation may use, and bundles trained without them.

The users of a history file fall into disjoint groups (by their first-seen order, seeded):

- ``factor_validation``: the factors' validation users (``split_users(n, 0.2, seed 1)``, as
  ``recommender.factors.pretrain.validate``): the factor hyper-parameters were tuned on them;
- ``report``: 20% of all users drawn (seed 10) from the others: the README table and the default
  ``--holdout`` run use only them; no setting was ever tuned on them;
- ``tuning``: the next 20%: ``recommender.simulation.tune`` tunes ``RadioSettings`` on them only.

``holdout_bundle(history, group)`` trains a bundle with the shipped recipe on every user but the
group's and returns the group's triples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

GROUPS = ("report", "tuning")
GROUP_FRACTION = 0.2
GROUP_SEED = 10


def user_groups(n_users: int) -> dict[str, np.ndarray]:
    """Disjoint sorted row indices of the groups (see the module doc)."""
    from recommender.evaluation import split_users

    rest, factor_validation = split_users(n_users, GROUP_FRACTION, 1)
    order = np.random.default_rng(GROUP_SEED).permutation(rest)
    k = int(round(GROUP_FRACTION * n_users))
    return {
        "factor_validation": factor_validation,
        "report": np.sort(order[:k]),
        "tuning": np.sort(order[k : 2 * k]),
    }


def holdout_bundle(
    history: str | Path,
    group: str = "report",
    config: Any = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Any, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Train a bundle without ``group``'s users: (bundle, the group's (user, artist, count) triples).

    Training mirrors ``pretrain.validate`` (the shipped model's recipe, including Last.fm tags as
    pseudo-listeners when ``user_taggedartists.dat`` lies next to ``history``, from training users'
    tags only). Artist names come from ``artists.dat`` next to ``history``. Cached per process.
    """
    from recommender.factors.data import (
        LASTFM2K_LICENCE,
        Interactions,
        interactions_from_triples,
        read_artist_names,
        read_user_artists,
    )
    from recommender.factors.pretrain import PretrainConfig, _bundle_from, _fit, _tag_rows

    if group not in GROUPS:
        raise ValueError(f"unknown user group {group!r} ({', '.join(GROUPS)})")
    config = config or PretrainConfig()
    path = Path(history).resolve()
    key = (str(path), path.stat().st_mtime_ns, group, repr(config))
    if key in _HOLDOUT_CACHE:
        return _HOLDOUT_CACHE[key]
    users, artists, counts = read_user_artists(history)
    matrix, user_ids, item_ids = interactions_from_triples(users, artists, counts)
    held_rows = user_groups(len(user_ids))[group]
    train_rows = np.setdiff1d(np.arange(len(user_ids)), held_rows)
    folder = path.parent
    names_by_id = read_artist_names(folder) if (folder / "artists.dat").exists() else {}
    names = np.array([names_by_id.get(a, a) for a in item_ids], dtype=str)
    inter = Interactions(
        matrix=matrix[train_rows].tocsr(),
        user_ids=user_ids[train_rows],
        item_ids=item_ids,
        names=names,
        artists=names,
        mbids=np.full(len(item_ids), "", dtype=str),
        level="artist",
        source="lastfm2k",
        licence=LASTFM2K_LICENCE,
        extra={"folder": str(folder)} if (folder / "user_taggedartists.dat").exists() else {},
    )
    side = _tag_rows(inter, config, users=inter.user_ids)
    bundle = _bundle_from(inter, _fit(inter, config, side, progress), config, {}, side)
    held = np.isin(users, user_ids[held_rows])
    _HOLDOUT_CACHE[key] = bundle, (users[held], artists[held], counts[held])
    return _HOLDOUT_CACHE[key]


_HOLDOUT_CACHE: dict[tuple, tuple[Any, tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
"""Training takes seconds; one process (the tests, a notebook) reuses a held-out bundle it built."""


def pretrain_config_of(bundle: Any) -> Any:
    """The ``PretrainConfig`` a bundle was trained with (defaults for what it does not record)."""
    from recommender.factors.pretrain import PretrainConfig

    hyper = getattr(bundle, "hyper", {}) or {}
    names = {f.name for f in fields(PretrainConfig)}
    return PretrainConfig(**{k: v for k, v in hyper.items() if k in names})
