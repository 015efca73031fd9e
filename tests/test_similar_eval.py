"""``evaluate-similar`` on a tiny history whose co-listening cosines are computed by hand, with the
shipped Last.fm bundle; and support-aware lists keep single-listener artists out."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from main import main
from recommender.factors.bundle_file import load_bundle
from recommender.similar.support import shipped_neighbours
from recommender.training.similar_eval import list_scores, read_history


@pytest.fixture(scope="module")
def bundle():
    return load_bundle()


def test_hand_computed_co_listening_cosine(bundle, tmp_path, capsys):
    # The bundle's three most heard artists A, B, C; four listeners nobody trained on.
    a, b, c = (int(i) for i in np.argsort(-bundle.popularity, kind="stable")[:3])
    ida, idb, idc = (str(bundle.item_ids[i]) for i in (a, b, c))
    rows = [(1, ida), (1, idb), (2, ida), (2, idb), (2, idc), (3, ida), (3, idc), (4, idb), (4, "999999")]
    path = tmp_path / "history.dat"
    path.write_text("userID\tartistID\tweight\n" + "".join(f"{u}\t{x}\t10\n" for u, x in rows))
    # X_A = {1,2,3}, X_B = {1,2,4}, X_C = {2,3}: cos(A,B) = 2/3, cos(A,C) = 2/√6, cos(B,C) = 1/√6.
    history = read_history(str(path), bundle)
    got = list_scores(history, np.array([a, b]), np.array([[b, c], [a, c]]))
    np.testing.assert_allclose(got, [(2 / 3 + 2 / math.sqrt(6)) / 2, (2 / 3 + 1 / math.sqrt(6)) / 2])
    # A neighbour nobody in the file heard scores 0.
    assert list_scores(history, np.array([c]), np.array([[a, 5000]]))[0] == pytest.approx(
        2 / math.sqrt(6) / 2
    )
    # The command: A and B have 3 listeners; popularity's top-2 lists are exactly [B, C] and [A, C].
    argv = ["evaluate-similar", "--history", str(path), "--min-listeners", "3", "--n", "2", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["queries"] == 2 and out["listeners"] == 4
    assert out["methods"]["popularity"]["mean"] == pytest.approx(float(got.mean()), abs=1e-4)
    for m in out["methods"].values():
        assert 0.0 <= m["mean"] <= 1.0
    # The shipped EASE weights' own lists are scored too, with the shipped lists' paired lead over them.
    assert "ease" in out["methods"] and "ease" in out["shipped_lead"]


def test_shipped_lists_need_support(bundle):
    cash = bundle.key_index["johnnycash"]
    raw = [i for i in np.argsort(-(bundle.normalised_factors @ bundle.normalised_factors[cash]))[1:11]]
    shipped = shipped_neighbours(bundle, cash, 10)
    assert len(shipped) == 10 and cash not in shipped
    assert all(bundle.popularity[i] >= 3 for i in shipped)
    assert any(bundle.popularity[i] < 3 for i in raw)  # the raw cosine lets single listeners in
