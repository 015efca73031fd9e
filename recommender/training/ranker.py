"""Training the learned re-ranker (``recommender.factors.ranker``) with LightGBM's lambdarank.

Why this protocol: the generators' scores on users they were trained on are flattering (the held-out
artists were in their training rows), so the trees would learn to trust them too much. So the training
users are cut into ``FOLDS`` folds; for each, the generators (WMF, RP3beta, EASE) are trained on the
other training users with the shipped recipe, and the fold's own 80/20 splits (seeds 0, 1) give the rows: each user's top
``CANDIDATES`` of the blend, labelled 1 if held out. Validation and test users are never in it: the
caller passes only training users. LightGBM is imported here only: the app walks the trees as arrays.

API: ``fit_ranker(inter, config, rows, seed) -> (Trees, report)``, ``trees_from_lightgbm(booster)``,
``candidate_rows(bundle, given, held)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.factors.ranker import FEATURES, Trees

FOLDS = 3
PARAMS = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [20, 100],
    "learning_rate": 0.05,
    "num_leaves": 15,
    "max_depth": 6,
    "min_data_in_leaf": 200,
    "lambda_l2": 10.0,
    "feature_fraction": 0.9,
    "lambdarank_truncation_level": 100,
    "num_threads": 1,
    "deterministic": True,
    "seed": 20111023,
    "verbose": -1,
}
ROUNDS = 60


def trees_from_lightgbm(booster: Any) -> Trees:
    """The booster's trees as flat arrays, each tree's nodes in preorder (children after parents)."""
    feature, threshold, left, right, value, roots = [], [], [], [], [], []

    def add(node: dict) -> int:
        i = len(feature)
        feature.append(-1)
        threshold.append(0.0)
        left.append(-1)
        right.append(-1)
        value.append(0.0)
        if "leaf_value" in node:
            value[i] = float(node["leaf_value"])
            return i
        if node.get("decision_type", "<=") != "<=":
            raise ValueError(f"unsupported split {node.get('decision_type')}")
        feature[i] = int(node["split_feature"])
        threshold[i] = float(node["threshold"])
        left[i] = add(node["left_child"])
        right[i] = add(node["right_child"])
        return i

    for tree in booster.dump_model()["tree_info"]:
        roots.append(add(tree["tree_structure"]))
    return Trees(
        np.array(feature, dtype=np.int32),
        np.array(threshold),
        np.array(left, dtype=np.int32),
        np.array(right, dtype=np.int32),
        np.array(value),
        np.array(roots, dtype=np.int32),
    )


def candidate_rows(
    scorer: Any, given: sp.csr_matrix, held: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Features [users * CANDIDATES, F] and labels for the users of ``given`` (held-out sets ``held``)."""
    parts, cands = scorer.ranker_inputs(given)
    x = scorer.ranker_features(parts, given, cands)
    y = np.stack([np.isin(cands[j], h) for j, h in enumerate(held)]).astype(np.float64)
    return x.reshape(-1, len(FEATURES)), y.ravel()


def fit_ranker(
    inter: Any, config: Any, rows: np.ndarray, seed: int = 0, rounds: int = ROUNDS
) -> tuple[Trees, dict]:
    """Trees trained on a fold of the users ``rows`` of ``inter`` (the only users it may learn from)."""
    import lightgbm as lgb

    from recommender.evaluation import make_split
    from recommender.factors.scorer import ModelScorer
    from recommender.training.als import train_without
    from recommender.training.ease import attach_ease

    rng = np.random.default_rng(seed)
    xs, ys, groups = [], [], []
    for fold in np.array_split(rng.permutation(rows), FOLDS):
        fold = np.sort(fold)
        # Generators trained on the other training users only (never on the fold, nor on non-rows).
        held_rows = np.concatenate([fold, np.setdiff1d(np.arange(inter.n_users), rows)])
        bundle, held_matrix = train_without(inter, held_rows, config)
        attach_ease(bundle)
        scorer = ModelScorer(bundle, use_ranker=False)
        matrix = held_matrix[: len(fold)]
        for split_seed in (0, 1):
            split = make_split(matrix, 0.8, split_seed)
            users = np.array([u for u, h in enumerate(split.heldout) if len(h)])
            x, y = candidate_rows(scorer, split.given[users].tocsr(), [split.heldout[u] for u in users])
            xs.append(x)
            ys.append(y)
            groups += [len(y) // len(users)] * len(users)
    x, y = np.concatenate(xs), np.concatenate(ys)
    data = lgb.Dataset(x, y, group=groups, feature_name=list(FEATURES), free_raw_data=False)
    booster = lgb.train(PARAMS, data, num_boost_round=rounds)
    trees = trees_from_lightgbm(booster)
    if not np.allclose(trees.predict(x[:2000]), booster.predict(x[:2000]), atol=1e-6):
        raise AssertionError("the trees as arrays disagree with LightGBM")
    report = {
        "users": int(len(rows)),
        "folds": FOLDS,
        "rows": int(len(y)),
        "positives": int(y.sum()),
        "rounds": rounds,
    }
    return trees, report


def training_rows(n_users: int) -> np.ndarray:
    """The users the ranker may learn from: neither validation nor test users
    (``recommender.evaluation.user_groups``)."""
    from recommender.evaluation import user_groups

    groups = user_groups(n_users)
    return np.setdiff1d(np.arange(n_users), np.union1d(groups["factor_validation"], groups["report"]))


def attach_ranker(bundle: Any, inter: Any, config: Any, exclude: np.ndarray | None = None) -> dict:
    """Train the ranker on ``inter``'s training users (minus ``exclude``) and set it on the bundle."""
    rows = training_rows(inter.n_users)
    if exclude is not None:
        rows = np.setdiff1d(rows, exclude)
    trees, report = fit_ranker(inter, config, rows)
    bundle.ranker = (trees, report)
    bundle.__dict__.pop("model", None)
    return report
