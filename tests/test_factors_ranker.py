"""The learned re-ranker: LightGBM's trees as arrays score like LightGBM (training-time and load-time
parity), the file loads without pickle and a damaged one is refused with a clear message, and without a
ranker the model is the blend (its candidates keep their blend scores, only their order changes)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.factors import notice
from recommender.factors.bundle_file import read_bundle, save_bundle
from recommender.factors.ranker import FEATURES, RankerError, ranker_path_for, read_ranker, save_ranker
from recommender.factors.scorer import ModelScorer
from recommender.training import data
from recommender.training.als import PretrainConfig
from recommender.training.pretrain import build_bundle
from recommender.training.ranker import PARAMS, trees_from_lightgbm

REPO = Path(__file__).resolve().parent.parent
LASTFM = REPO.parent / "shared" / "data" / "lastfm-2k"


@pytest.fixture(scope="module")
def booster_and_rows():
    lgb = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40 * 50, len(FEATURES)))
    # Popularity against the blend: a ranker that must reorder the candidates.
    y = (x[:, 8] - 0.5 * x[:, 0] + rng.normal(scale=0.5, size=len(x)) > 1.0).astype(float)
    booster = lgb.train(
        {**PARAMS, "min_data_in_leaf": 5}, lgb.Dataset(x, y, group=[50] * 40), num_boost_round=30
    )
    return booster, x


@pytest.fixture(scope="module")
def saved(tmp_path_factory, booster_and_rows) -> Path:
    full = data.load_lastfm2k(LASTFM)
    m = full.matrix[:200]
    cols = np.flatnonzero(np.asarray((m > 0).sum(axis=0)).ravel() > 0)
    inter = data.Interactions(
        matrix=m[:, cols].tocsr(),
        user_ids=full.user_ids[:200],
        item_ids=full.item_ids[cols],
        names=full.names[cols],
        artists=full.artists[cols],
        mbids=full.mbids[cols],
        source="lastfm2k",
        licence=full.licence,
        extra={"folder": str(LASTFM)},
    )
    b = build_bundle(inter, PretrainConfig(factors=16, iterations=4), None, run_validation=False)
    path = save_bundle(b, tmp_path_factory.mktemp("ranker") / "small-wmf.npz")
    save_ranker(ranker_path_for(path), trees_from_lightgbm(booster_and_rows[0]), b.item_ids, {})
    return path


def test_trees_as_arrays_score_like_lightgbm(booster_and_rows, saved):
    booster, x = booster_and_rows
    trees, meta = read_ranker(ranker_path_for(saved), read_bundle(saved).item_ids)
    assert meta["features"] == list(FEATURES) and len(trees.roots) == 30
    np.testing.assert_allclose(trees.predict(x), booster.predict(x), atol=1e-9)


def test_ranker_reorders_only_the_candidates(saved):
    with_ranker = ModelScorer(read_bundle(saved))
    assert with_ranker.ranker is not None
    blend = ModelScorer(read_bundle(saved), use_ranker=False)
    user = sp.csr_matrix(read_bundle(saved).train_matrix[:4])
    a, b = with_ranker(user), blend(user)
    for j in range(4):
        # The same multiset of scores: the scale callers read is unchanged.
        np.testing.assert_allclose(np.sort(a[j]), np.sort(b[j]))
    assert not np.array_equal(a, b)
    one = with_ranker.score(user[0].indices, user[0].data)
    assert one.shape == (user.shape[1],)


@pytest.mark.parametrize(
    "how, message",
    [
        ("cut", "not a readable ranker file"),
        ("child", "child outside the nodes"),
        ("feature", "unknown feature"),
        ("nan", "non-finite"),
        ("features", "are not this Encore's"),
        ("object", "not a readable ranker file"),
    ],
)
def test_damaged_ranker_is_refused_and_the_blend_goes_on(saved, tmp_path, capsys, how, message):
    bundle_path = tmp_path / "small-wmf.npz"
    shutil.copy(saved, bundle_path)
    good, bad = ranker_path_for(saved), ranker_path_for(bundle_path)
    with np.load(good, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    if how == "cut":
        bad.write_bytes(good.read_bytes()[:200])
    else:
        if how == "child":
            inner = np.flatnonzero(arrays["feature"] >= 0)
            arrays["left"] = arrays["left"].copy()
            arrays["left"][inner[0]] = inner[0]  # a loop
        elif how == "feature":
            arrays["feature"] = np.where(arrays["feature"] >= 0, 99, -1).astype(np.int32)
        elif how == "nan":
            arrays["value"] = arrays["value"].copy()
            arrays["value"][0] = np.nan
        elif how == "features":
            meta = json.loads(str(arrays["meta"]))
            arrays["meta"] = np.array(json.dumps({**meta, "features": ["model"]}))
        else:
            arrays["value"] = np.array([object()] * len(arrays["value"]), dtype=object)
        np.savez(bad, **arrays)
    b = read_bundle(bundle_path)
    with pytest.raises(RankerError, match=message):
        read_ranker(bad, b.item_ids)
    notice._WARNED.clear()
    scorer = ModelScorer(b)
    assert scorer.ranker is None
    assert "re-ranker is refused" in capsys.readouterr().err
    user = sp.csr_matrix(b.train_matrix[:3])
    np.testing.assert_allclose(scorer(user), ModelScorer(read_bundle(saved), use_ranker=False)(user))
