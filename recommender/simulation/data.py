"""Which users a simulation may use, and bundles trained without them.

The users of a history file fall into disjoint groups (``recommender.evaluation.user_groups``):
``factor_validation`` (the factors were tuned on them), ``report`` (the README table and the default
``--holdout`` run use only them; no setting was ever tuned on them) and ``tuning``
(``recommender.simulation.tune`` tunes ``RadioSettings`` on them only).

``holdout_bundle(history, group)`` trains a bundle with the shipped recipe on every user but the
group's (``recommender.training.als.train_without``, keeping every artist of the file in the
catalogue) and returns the group's triples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

GROUPS = ("report", "tuning")


def holdout_bundle(
    history: str | Path,
    group: str = "report",
    config: Any = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Any, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Train a bundle without ``group``'s users: (bundle, the group's (user, artist, count) triples).

    Training mirrors ``recommender.training.heldout.validate`` (the shipped model's recipe, including Last.fm tags as
    pseudo-listeners when ``user_taggedartists.dat`` lies next to ``history``, from training users'
    tags only). Artist names come from ``artists.dat`` next to ``history``. Cached per process.
    """
    from recommender.evaluation import user_groups
    from recommender.training.als import PretrainConfig, train_without
    from recommender.training.data import interactions_from_history
    from recommender.training.ease import attach_ease

    if group not in GROUPS:
        raise ValueError(f"unknown user group {group!r} ({', '.join(GROUPS)})")
    config = config or PretrainConfig()
    path = Path(history).resolve()
    key = (str(path), path.stat().st_mtime_ns, group, repr(config))
    if key in _HOLDOUT_CACHE:
        return _HOLDOUT_CACHE[key]
    inter, (users, artists, counts) = interactions_from_history(path)
    held_rows = user_groups(inter.n_users)[group]
    bundle, _ = train_without(inter, held_rows, config, progress, all_items=True)
    attach_ease(bundle)  # the shipped model's EASE part, fitted on the same training listeners
    held = np.isin(users, inter.user_ids[held_rows])
    _HOLDOUT_CACHE[key] = bundle, (users[held], artists[held], counts[held])
    return _HOLDOUT_CACHE[key]


_HOLDOUT_CACHE: dict[tuple, tuple[Any, tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
"""Training takes seconds; one process (the tests, a notebook) reuses a held-out bundle it built."""


def pretrain_config_of(bundle: Any) -> Any:
    """The ``PretrainConfig`` a bundle was trained with (defaults for what it does not record)."""
    from recommender.training.als import PretrainConfig

    hyper = getattr(bundle, "hyper", {}) or {}
    names = {f.name for f in fields(PretrainConfig)}
    return PretrainConfig(**{k: v for k, v in hyper.items() if k in names})
