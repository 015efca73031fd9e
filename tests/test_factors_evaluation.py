"""The evaluation protocol: hand-checkable metrics, the 80/20 split, and the ``evaluate`` command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from main import main
from recommender import evaluation as ev

REPO = Path(__file__).resolve().parent.parent
LASTFM = REPO.parent / "shared" / "data" / "lastfm-2k"


def test_metrics_by_hand():
    ranked = np.array([5, 3, 9, 1, 4])
    relevant = np.array([3, 1, 7])
    assert ev.recall_at_k(ranked, relevant, 2) == pytest.approx(1 / 2)  # 1 hit / min(2, 3)
    assert ev.recall_at_k(ranked, relevant, 20) == pytest.approx(2 / 3)  # 2 hits / min(20, 3)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)  # hits at ranks 2 and 4
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ev.ndcg_at_k(ranked, relevant, 100) == pytest.approx(dcg / idcg)
    assert ev.ndcg_at_k(np.array([3, 1, 7]), relevant, 100) == pytest.approx(1.0)
    assert ev.ndcg_at_k(ranked, relevant, 2) == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))


def test_top_k_excludes_given_and_breaks_ties_by_index():
    scores = np.array([0.5, 0.9, 0.9, 0.1, 0.7])
    assert ev.top_k(scores, np.array([1]), 3).tolist() == [2, 4, 0]
    assert ev.top_k(scores, np.array([], dtype=int), 10).tolist() == [1, 2, 4, 0, 3]


def test_split_gives_80_percent_and_is_seeded():
    counts = sp.csr_matrix(
        np.array([[1, 2, 3, 4, 5, 0, 6, 7, 8, 9], [0, 0, 3, 0, 0, 0, 0, 0, 0, 0]], dtype=np.float32)
    )
    a = ev.make_split(counts, 0.8, seed=3)
    b = ev.make_split(counts, 0.8, seed=3)
    assert (a.given != b.given).nnz == 0 and all(
        (x == y).all() for x, y in zip(a.heldout, b.heldout, strict=True)
    )
    given = set(a.given[0].indices)
    held = set(a.heldout[0])
    assert len(given) == 7 and len(held) == 2 and not given & held and given | held == set(counts[0].indices)
    assert all(a.given[0, j] == counts[0, j] for j in given)  # counts travel with the given items
    assert len(a.heldout[1]) == 0  # a single item cannot be split


def test_evaluate_scorers_on_a_tiny_case():
    # Two items always co-occur; the kNN baseline must find the partner, popularity the hit.
    train = sp.csr_matrix(
        np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 0, 0]], dtype=np.float32)
    )
    split = ev.Split(given=sp.csr_matrix(np.array([[0, 0, 1, 0]], dtype=np.float32)), heldout=[np.array([3])])
    res = ev.evaluate_scorers({"knn": ev.ItemKNNScorer(train), "pop": ev.PopularityScorer(train)}, split)
    assert res["knn"] == {"recall@20": 1.0, "recall@50": 1.0, "ndcg@100": 1.0}
    # Popularity ranks item 0 (3 listeners), 1 (2), 3 (1): the hit is third.
    assert res["pop"]["ndcg@100"] == pytest.approx(1 / math.log2(4))


def test_evaluate_command_json(tmp_path, capsys):
    lines = (LASTFM / "user_artists.dat").read_text().splitlines()
    users = sorted({line.split("\t")[0] for line in lines[1:]}, key=int)[:60]
    history = tmp_path / "history.dat"
    history.write_text(
        "\n".join([lines[0]] + [x for x in lines[1:] if x.split("\t")[0] in set(users)]) + "\n"
    )
    assert main(["evaluate", "--history", str(history), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["seeds"] == [0, 1, 2, 3] and len(out["per_seed"]) == 4
    assert set(out["mean"]) == {"model", "blend", "wmf", "popularity", "item_knn"}
    for m in out["mean"].values():
        assert set(m) == {"recall@20", "recall@50", "ndcg@100"} and all(0 <= v <= 1 for v in m.values())
    # The headline is the mean of the per-seed figures (each seed is a different 80/20 split).
    for name, m in out["mean"].items():
        per = [s[name]["recall@20"] for s in out["per_seed"]]
        assert m["recall@20"] == pytest.approx(sum(per) / 4, abs=1e-4)
    assert len({s["model"]["recall@20"] for s in out["per_seed"]}) > 1
    # These users were trained on (the shipped bundle saw them), so this only checks the plumbing.
    assert out["mean"]["model"]["recall@20"] > out["mean"]["popularity"]["recall@20"]
    assert main(["evaluate", "--history", str(history), "--seeds", "3", "--per-seed"]) == 0
    text = capsys.readouterr().out
    assert "item_knn" in text and "seed 3:" in text and "seed 0:" not in text
    assert main(["evaluate", "--history", str(history), "--seeds", "x"]) == 2
    assert main(["evaluate", "--history", str(tmp_path / "missing.dat")]) == 2


def test_holdout_users_are_never_trained_on(tmp_path, capsys):
    """``pretrain --holdout-users`` leaves users out; ``evaluate`` then folds them in honestly."""
    out, hist = tmp_path / "ho.npz", tmp_path / "ho.dat"
    argv = ["pretrain", "--source", "lastfm2k", str(LASTFM), "--out", str(out), "--factors", "16",
            "--iterations", "4", "--no-validation", "--cpu", "--holdout-users", "150", "5", str(hist)]  # fmt: skip
    assert main(argv) == 0
    held = {line.split("\t")[0] for line in hist.read_text().splitlines()[1:]}
    assert len(held) == 150
    from recommender.factors.bundle_file import read_bundle

    b = read_bundle(out)
    assert b.meta["n_users"] == 1514 - 150
    capsys.readouterr()
    assert main(["evaluate", "--history", str(hist), "--bundle", str(out), "--seeds", "0", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)["mean"]
    assert res["model"]["recall@20"] > res["item_knn"]["recall@20"] > res["popularity"]["recall@20"]


def test_evaluate_groups_keeps_test_users_out_of_training_and_tuning(capsys):
    """``evaluate --groups``: validation (tuned on) and test users are disjoint, never trained on."""
    from dataclasses import replace

    from recommender.evaluation import user_groups
    from recommender.training import data
    from recommender.training.als import PretrainConfig, train_without
    from recommender.training.heldout import GROUPS, evaluate_groups

    config = replace(PretrainConfig(), factors=8, iterations=2, use_gpu=False)
    inter = data.load_lastfm2k(LASTFM)
    groups = user_groups(inter.n_users)
    valid, test = groups[GROUPS["validation"]], groups[GROUPS["test"]]
    assert len(valid) == len(test) == 303 and not set(valid.tolist()) & set(test.tolist())
    # The validation users are the ones the bundle's recorded figures (and all tuning) used.
    assert np.array_equal(valid, ev.split_users(inter.n_users, 0.2, 1)[1])
    bundle, held = train_without(inter, test, config)
    assert bundle.meta["n_users"] == inter.n_users - 303 and held.shape[0] == 303
    # The held rows are the test users' own counts, less the artists only they played (no model can
    # know those).
    assert 0.8 * inter.matrix[test].sum() < held.sum() <= inter.matrix[test].sum()

    res = evaluate_groups(str(LASTFM), config, seeds=(0, 1))
    for group in ("validation", "test"):
        assert res[group]["seeds"] == [0, 1] and res[group]["users"] > 290
        assert set(res[group]["mean"]) == {"model", "blend", "wmf", "item_knn", "popularity"}
    gap = res["gap"]["model"]["recall@20"]
    assert gap == pytest.approx(
        res["validation"]["mean"]["model"]["recall@20"] - res["test"]["mean"]["model"]["recall@20"], abs=2e-4
    )
