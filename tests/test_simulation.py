"""The simulated-listener evaluation on the shared Last.fm data, with users the factors never saw."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from main import main
from recommender.evaluation import split_users
from recommender.factors.data import interactions_from_triples, read_user_artists
from recommender.simulation import SimulationSettings, SimWorld, holdout_bundle, users_from_triples

LASTFM = Path(__file__).resolve().parents[2] / "shared" / "data" / "lastfm-2k"
HISTORY = LASTFM / "user_artists.dat"


@pytest.fixture(scope="module")
def history() -> Path:
    if not HISTORY.exists():
        pytest.fail(f"the shared Last.fm data is missing at {LASTFM}")
    return HISTORY


def test_evaluate_radio_encore_beats_the_baselines(history, capsys):
    """A small sample (40 sessions of 30 tracks) of held-out users: Encore skips at most half as often
    as shuffle, clearly less than tag overlap and seed-nearest-neighbours, and never plays one artist
    twice in a row."""
    argv = ["evaluate-radio", "--history", str(history), "--holdout", "0.2", "--sessions", "40", "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    policies = result["policies"]
    assert set(result) == {"policies"}
    assert set(policies) == {"encore", "shuffle", "tag_overlap", "popularity", "nearest_neighbours"}
    for metrics in policies.values():
        assert set(metrics) == {"skip_rate", "discovery_rate", "distinct_artists", "longest_artist_streak"}
        assert 0.0 <= metrics["skip_rate"] <= 1.0 and 0.0 <= metrics["discovery_rate"] <= 1.0
    encore = policies["encore"]
    assert encore["skip_rate"] <= 0.5 * policies["shuffle"]["skip_rate"]
    assert encore["skip_rate"] < policies["tag_overlap"]["skip_rate"] - 0.1
    assert encore["skip_rate"] < policies["nearest_neighbours"]["skip_rate"] - 0.1
    assert encore["longest_artist_streak"] == 1
    assert encore["discovery_rate"] > policies["shuffle"]["discovery_rate"]


def test_holdout_users_are_the_factor_validation_users_and_split_80_20(history):
    bundle, held = holdout_bundle(history, 0.2)
    users, artists, counts = read_user_artists(history)
    _, user_ids, _ = interactions_from_triples(users, artists, counts)
    train_rows, valid_rows = split_users(len(user_ids), 0.2, 1)
    assert set(held[0].tolist()) == set(user_ids[valid_rows].tolist())
    # The held-out users are not in the training data: it has exactly the training users' rows (plus
    # the tag pseudo-listeners, built from training users' tags only).
    assert bundle.meta["n_users"] == len(train_rows)
    assert bundle.train_matrix.shape[0] == len(train_rows) + bundle.meta.get("n_tag_rows", 0)
    world = SimWorld.from_bundle(bundle, None, SimulationSettings(tracks_per_artist=2))
    assert len(world.library) == 2 * int((np.asarray(bundle.popularity) > 0).sum())
    sim_users = users_from_triples(*held, world)
    assert len(sim_users) > 200
    for u in sim_users[:50]:
        given, hidden = set(u.given_items.tolist()), set(u.hidden_items.tolist())
        assert not given & hidden
        assert abs(len(given) / (len(given) + len(hidden)) - 0.8) < 0.1
