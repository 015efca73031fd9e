"""Static accuracy on listeners that no model saw and no setting was tuned on (``encore evaluate``).

Two ways to get such listeners:

- ``evaluate_history(FILE, bundle)``: the users of a ``user_artists.dat``-style file are only folded
  into a bundle that never trained on them (the withheld Last.fm users, or a file written by
  ``pretrain --holdout-users``).
- ``evaluate_groups(FOLDER)``: the shared Last.fm 2k users fall into disjoint groups
  (``recommender.evaluation.user_groups``):

  * **validation** (``factor_validation``, ``split_users(n, 0.2, seed 1)``, 303 users): every factor
    hyper-parameter (WMF, tag rows, RP3beta, blend weights) was chosen on them;
  * **test** (``report``, 303 other users drawn with seed 10): never used to choose anything.

  For each group a bundle is trained with the shipped recipe on every other user (and only those
  users' tags), and the group is evaluated. The headline is the test figure; the gap to validation
  says how much the tuning flattered the validation users.

Each evaluation is the protocol of ``recommender.evaluation`` repeated over the 80/20 split seeds
0-3 and averaged (the per-seed figures are kept: user-to-user variation is large at 300 users).
References: the WMF + RP3beta blend without EASE (the model before issue 23), plain WMF (the fold-in
alone), item-kNN cosine, popularity, all from the same training rows. The trained bundles get their EASE
weights like a pretrained one (``recommender.training.ease.attach_ease``).

API: ``SEEDS``, ``GROUPS``, ``history_matrix``, ``evaluate_matrix``, ``evaluate_history``,
``load_folder``, ``trained_without``, ``evaluate_groups``, ``validate``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

SEEDS = (0, 1, 2, 3)
GROUPS = {"validation": "factor_validation", "test": "report"}
ROWS = ("model", "blend", "wmf", "item_knn", "popularity")


def scorers_for(bundle: Any, train: sp.csr_matrix | None = None) -> dict[str, Any]:
    """The shipped model and its references, all from the bundle's own training listeners. ``blend``:
    the model without its EASE part (WMF + RP3beta, the model before issue 23 and its fallback)."""
    from recommender.evaluation import ItemKNNScorer, PopularityScorer
    from recommender.factors.scorer import ModelScorer

    train = bundle.user_matrix if train is None else train
    if train is None:
        raise ValueError("this bundle carries no training counts, which the item-kNN baseline needs")
    return {
        "model": bundle.model,
        "blend": ModelScorer(bundle, use_ease=False),
        "wmf": ModelScorer(bundle, use_rp3=False, use_ease=False),
        "item_knn": ItemKNNScorer(train, int(bundle.hyper.get("knn_neighbours", 200))),
        "popularity": PopularityScorer(train),
    }


def evaluate_matrix(
    scorers: dict[str, Any], matrix: sp.csr_matrix, seeds: Sequence[int] = SEEDS
) -> dict[str, Any]:
    """Per seed and mean over seeds of every scorer on the users (rows) of ``matrix``."""
    from recommender.evaluation import METRICS, evaluate_scorers, make_split

    per_seed = []
    users = 0
    for seed in seeds:
        res = evaluate_scorers(scorers, make_split(matrix, 0.8, int(seed)))
        users = int(res.pop("_users")["evaluated"])
        per_seed.append(
            {"seed": int(seed), **{k: {m: round(v, 4) for m, v in d.items()} for k, d in res.items()}}
        )
    mean = {
        name: {m: round(float(np.mean([s[name][m] for s in per_seed])), 4) for m in METRICS}
        for name in scorers
    }
    return {"mean": mean, "per_seed": per_seed, "users": users, "seeds": [int(s) for s in seeds]}


def history_matrix(bundle: Any, history: str) -> tuple[sp.csr_matrix, dict[str, int]]:
    """Users x bundle items counts from a user_artists file; artists the bundle lacks are dropped."""
    from recommender.training.data import read_user_artists

    users, artists, counts = read_user_artists(history)
    if len(users) == 0:
        raise ValueError(f"{history}: no rows")
    index = {str(a): i for i, a in enumerate(bundle.item_ids)}
    cols = np.array([index.get(str(a), -1) for a in artists], dtype=np.int64)
    known = cols >= 0
    user_ids, rows = np.unique(users, return_inverse=True)
    matrix = sp.csr_matrix(
        (counts[known], (rows[known], cols[known])), shape=(len(user_ids), bundle.n_items), dtype=np.float32
    )
    matrix.sum_duplicates()
    return matrix, {
        "file_users": int(len(user_ids)),
        "items": int(len(cols)),
        "unknown_items": int((~known).sum()),
    }


def evaluate_history(history: str, bundle_path: str | None = None, seeds: Sequence[int] = SEEDS) -> dict:
    """The protocol on a user_artists file against a bundle (its users are only folded in)."""
    from recommender.factors.bundle_file import load_bundle

    bundle = load_bundle(bundle_path)
    matrix, info = history_matrix(bundle, history)
    result = evaluate_matrix(scorers_for(bundle), matrix, seeds)
    info["skipped_users"] = info["file_users"] - result["users"]
    result["info"] = info
    return result


def validate(
    inter: Any, config: Any, progress: Callable[[str], None] | None = None, trainer: Any = None
) -> dict[str, dict]:
    """The bundle's recorded validation figures: ``config.validation_fraction`` of the users held out
    (seed ``config.validation_seed``), one 80/20 split with that seed (``meta["validation"]``).
    ``trainer``: the ALS engine (``pretrain.implicit_trainer`` by default)."""
    from recommender.evaluation import evaluate_scorers, make_split, split_users
    from recommender.training.als import train_without

    _, valid_rows = split_users(inter.n_users, config.validation_fraction, config.validation_seed)
    from recommender.training.ease import attach_ease

    bundle, held = train_without(inter, valid_rows, config, progress, trainer)
    attach_ease(bundle)
    results = evaluate_scorers(scorers_for(bundle), make_split(held, 0.8, config.validation_seed))
    return {k: {m: round(v, 4) for m, v in d.items()} for k, d in results.items()}


def load_folder(folder: str) -> Any:
    """The Last.fm 2k folder's interactions, remembering the folder (its tags are read from there)."""
    from recommender.training import data

    inter = data.load_lastfm2k(folder)
    inter.extra["folder"] = str(folder)
    return inter


def trained_without(
    inter: Any,
    group: str,
    config: Any = None,
    progress: Callable[[str], None] | None = None,
    ease: bool = True,
) -> tuple[Any, sp.csr_matrix]:
    """The shipped recipe trained on every user but ``group``'s (a ``GROUPS`` name; only the others'
    tags), with its EASE part unless ``ease`` is False; and the group's counts, to fold in. What the
    headline and every search on validation users start from."""
    from recommender.evaluation import user_groups
    from recommender.training.als import PretrainConfig, train_without
    from recommender.training.ease import attach_ease

    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r} ({', '.join(GROUPS)})")
    rows = user_groups(inter.n_users)[GROUPS[group]]
    if progress:
        progress(f"training without the {len(rows)} {group} users...")
    bundle, held = train_without(inter, rows, config or PretrainConfig(), progress)
    if ease:
        attach_ease(bundle)
    return bundle, held


def evaluate_groups(
    folder: str,
    config: Any = None,
    seeds: Sequence[int] = SEEDS,
    groups: Sequence[str] = ("validation", "test"),
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Validation and test figures of the shipped recipe on the Last.fm 2k folder (see the module doc)."""
    inter = load_folder(folder)
    out: dict[str, Any] = {}
    for group in groups:
        bundle, held = trained_without(inter, group, config, progress)
        out[group] = evaluate_matrix(scorers_for(bundle), held, seeds)
    if "validation" in out and "test" in out:
        out["gap"] = {
            name: {
                m: round(out["validation"]["mean"][name][m] - out["test"]["mean"][name][m], 4)
                for m in out["test"]["mean"][name]
            }
            for name in out["test"]["mean"]
        }
    return out
