"""The world model of the radio evaluation, on held-out Last.fm users (small samples, seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from main import main
from recommender.evaluation import user_groups
from recommender.radio.station import RadioSettings
from recommender.simulation.data import holdout_bundle
from recommender.simulation.metrics import Coherence
from recommender.simulation.models import LibraryModels
from recommender.simulation.policies import BASELINES, POLICIES
from recommender.simulation.runner import run_listener, simulate
from recommender.simulation.world import WorldSettings, build_listeners
from recommender.training.data import interactions_from_triples, read_user_artists

LASTFM = Path(__file__).resolve().parents[2] / "shared" / "data" / "lastfm-2k"
HISTORY = LASTFM / "user_artists.dat"


@pytest.fixture(scope="module")
def held():
    if not HISTORY.exists():
        pytest.fail(f"the shared Last.fm data is missing at {LASTFM}")
    return holdout_bundle(HISTORY, "report")


@pytest.fixture(scope="module")
def small_world(held):
    bundle, triples = held
    settings = WorldSettings(max_listeners=12, sessions=2, length=20, noise=0.2, seed=3)
    return bundle, settings, build_listeners(*triples, bundle, settings)


def test_user_groups_are_disjoint_and_never_trained_on(held):
    bundle, (users, _, _) = held
    all_users, artists, counts = read_user_artists(HISTORY)
    _, user_ids, _ = interactions_from_triples(all_users, artists, counts)
    groups = user_groups(len(user_ids))
    sets = {k: set(v.tolist()) for k, v in groups.items()}
    assert not sets["report"] & sets["tuning"]
    assert not sets["report"] & sets["factor_validation"]
    assert not sets["tuning"] & sets["factor_validation"]
    assert set(users.tolist()) == set(user_ids[groups["report"]].tolist())
    n_train = len(user_ids) - len(groups["report"])
    assert bundle.meta["n_users"] == n_train
    assert bundle.train_matrix.shape[0] == n_train + bundle.meta.get("n_tag_rows", 0)


def test_library_holds_own_artists_and_distractors_with_an_80_20_split(small_world):
    bundle, settings, listeners = small_world
    assert len(listeners) == 12
    for lst in listeners:
        log, hidden = set(lst.log_items.tolist()), set(lst.hidden_items.tolist())
        own = log | hidden
        assert not log & hidden and own == set(lst.liked)
        assert abs(len(log) / len(own) - 0.8) < 0.1
        lib = set(lst.library_items.tolist())
        assert own <= lib
        assert len(lib - own) == settings.distractors_per_artist * len(own)
        assert len(lst.library) == settings.tracks_per_artist * len(lib)


def _skip_rate(policy, bundle, settings, listeners, radio=None):
    r = simulate(listeners, bundle, settings, (policy,), radio, resamples=50)
    return r["policies"][policy]["skip_rate"]["mean"]


def test_oracle_reaches_the_oracle_skip_rate(small_world):
    """With enough fresh liked artists, the best possible skip rate is the noise floor."""
    bundle, settings, listeners = small_world
    one = WorldSettings(**{**settings.__dict__, "sessions": 1, "length": 10})
    rich = [x for x in listeners if len(x.liked) >= 25]
    assert len(rich) >= 5
    assert _skip_rate("oracle", bundle, one, rich) == pytest.approx(one.noise, abs=0.07)
    # Satiety: over more sessions the oracle must reuse artists and tracks, so it skips more.
    assert (
        _skip_rate(
            "oracle", bundle, WorldSettings(**{**settings.__dict__, "sessions": 4, "length": 30}), rich
        )
        > one.noise
    )


def test_disliked_only_skips_at_one_minus_noise(small_world):
    bundle, settings, listeners = small_world
    assert _skip_rate("disliked", bundle, settings, listeners) == pytest.approx(1 - settings.noise, abs=0.05)


def test_coherence_is_bounded_symmetric_and_leaves_the_listener_out(small_world):
    _, _, listeners = small_world
    coh = Coherence([x.own_items for x in listeners])
    rng = np.random.default_rng(0)
    pool = np.concatenate([x.own_items for x in listeners])
    for _ in range(200):
        u = int(rng.integers(len(listeners)))
        a, b = (int(v) for v in rng.choice(pool, 2))
        assert 0.0 <= coh.pair(u, a, b) <= 1.0
        assert coh.pair(u, a, b) == pytest.approx(coh.pair(u, b, a))
    # Two listeners with the same artists, a third with others: for listener 0 only listener 1 counts.
    twins = Coherence([np.array([1, 2]), np.array([1, 2]), np.array([3])])
    assert twins.pair(0, 1, 2) == pytest.approx(1.0)
    assert twins.pair(2, 1, 2) == pytest.approx(1.0)
    assert twins.pair(0, 1, 3) == 0.0
    alone = Coherence([np.array([1, 2]), np.array([1])])
    assert alone.pair(0, 1, 2) == 0.0  # only the listener itself co-listened 1 and 2


@pytest.mark.parametrize("policy", POLICIES)
def test_every_policy_respects_the_lean_back_rules(small_world, policy):
    bundle, settings, listeners = small_world
    radio = RadioSettings()
    for i, lst in enumerate(listeners[:4]):
        sessions = []
        models = LibraryModels(bundle, lst.library_items)
        coh = Coherence([x.own_items for x in listeners])
        run_listener(
            policy,
            i,
            lst,
            models,
            coh,
            settings,
            radio,
            trace=lambda s, r, o, out=sessions: out.append([s, *r]),
        )
        assert len(sessions) == settings.sessions
        spacing = radio.effective_spacing(len(lst.library_items), radio.artist_spacing)
        assert spacing > 5
        for rows in sessions:
            assert len(rows) == settings.length + 1
            assert len(set(rows)) == len(rows), "a track twice in a session"
            artists = [int(lst.item_of_row[r]) for r in rows]
            for k in range(1, len(artists)):
                assert artists[k] not in artists[max(0, k - spacing) : k], f"{policy}: artist spacing"


def test_evaluate_radio_cli_prints_the_table_json_and_plot(tmp_path, capsys):
    png = tmp_path / "radio.png"
    argv = [
        "evaluate-radio",
        "--history",
        str(HISTORY),
        "--holdout",
        "--listeners",
        "6",
        "--sessions",
        "1",
        "--length",
        "8",
        "--json",
        "--plot",
        str(png),
    ]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["policies"]) == set(POLICIES) and set(BASELINES) < set(POLICIES)
    assert result["listeners"] == 6
    for metrics in result["policies"].values():
        for m in metrics.values():
            assert m["low"] <= m["mean"] <= m["high"]
        assert 0.0 <= metrics["skip_rate"]["mean"] <= 1.0
        assert 0.0 <= metrics["coherence"]["mean"] <= 1.0
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"
    assert main(argv[:-3]) == 0
    text = capsys.readouterr().out
    assert "skip rate" in text and "log_replay" in text and "[" in text


def test_the_liking_curve_fit_recovers_a_known_logistic():
    from recommender.simulation.calibrate import fit_logistic

    rng = np.random.default_rng(0)
    x = rng.normal(size=20_000)
    y = (rng.random(len(x)) < 1.0 / (1.0 + np.exp(-(-3.0 + 1.5 * x)))).astype(np.float64)
    a, b = fit_logistic(x, y)
    assert a == pytest.approx(-3.0, abs=0.15) and b == pytest.approx(1.5, abs=0.1)


def test_the_taste_predicts_which_unplayed_artists_a_listener_likes(small_world):
    from recommender.simulation.calibrate import fit_logistic, liking_examples

    bundle, _, listeners = small_world
    x, y = liking_examples(listeners, bundle)
    assert 0.0 < y.mean() < 0.5  # hidden artists among distractors
    _, slope = fit_logistic(x, y)
    assert slope > 0.5


def test_the_app_level_run_reads_the_plays_table_and_keeps_the_rules(small_world, tmp_path):
    """``evaluate-radio --app``: listeners drive the real controller, queue and log; the figures come
    from the plays table, the radio's rules hold, and the figures are in the station-only run's range."""
    from recommender.simulation.app import log_plays, simulate_app

    bundle, settings, listeners = small_world
    few = listeners[:4]
    app = simulate_app(few, bundle, settings, folder=tmp_path, rebuild_for_you=False)
    station = simulate(few, bundle, settings, ("encore",))
    v = app["violations"]
    assert v["requeued_skipped"] == v["replayed_skipped"] == v["rested_artist_played"] == v["open_plays"] == 0
    a, s = app["policies"]["encore (app)"], station["policies"]["encore"]
    assert 0.0 < a["skip_rate"]["mean"] < 1.0 and a["distinct_artists"]["mean"] > 5
    # The same seeds and listeners: within noise of each other (a world of 20 % flips).
    assert abs(a["skip_rate"]["mean"] - s["skip_rate"]["mean"]) < 0.25
    assert [log_plays(c) for c in (1, 2, 500, 10**6)] == [1, 2, 10, 12]
    assert not list(tmp_path.iterdir())  # the listeners' databases are gone


def test_the_dial_trades_skips_for_finds_in_the_simulation(small_world):
    """Issue 24: familiar (-2) to new (+2) reaches more liked-but-unplayed artists and is skipped more;
    step 0 is the radio as it was (the same picks as ``encore``)."""
    bundle, settings, listeners = small_world
    r = simulate(listeners, bundle, settings, ("encore", "encore@-2", "encore@+0", "encore@+2"), resamples=50)
    p = {name: {k: v["mean"] for k, v in m.items()} for name, m in r["policies"].items()}
    assert p["encore@+0"] == p["encore"]
    assert (
        p["encore@-2"]["found_per_session"]
        < p["encore@+0"]["found_per_session"]
        < p["encore@+2"]["found_per_session"]
    )
    assert p["encore@-2"]["skip_rate"] < p["encore@+2"]["skip_rate"]
