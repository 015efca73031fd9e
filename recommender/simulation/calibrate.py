"""Fit the radio's liking curve for unplayed artists on the *tuning* users (never the reported ones).

``radio_enjoy.Enjoyment`` gives an artist the user never finished a track of the log-odds
``enjoy_unknown_logit + enjoy_taste_slope x z(taste)``. Those two numbers are a logistic regression:
over the tuning listeners' libraries, each artist outside the log is one example, its label whether the
listener likes it (the hidden part of the world model), its feature the z-value the station computes
(the shipped model's score, among the unplayed artists of that library). The fit is a plain Newton
iteration on two parameters, so no new dependency.

    .venv/bin/python -m recommender.simulation.calibrate ../shared/data/lastfm-2k/user_artists.dat
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from recommender.radio.enjoy import Enjoyment
from recommender.radio.settings import RadioSettings
from recommender.simulation.models import History, LibraryModels
from recommender.simulation.policies import app_state
from recommender.simulation.world import Listener


def liking_examples(listeners: list[Listener], bundle) -> tuple[np.ndarray, np.ndarray]:
    """(z(taste), liked) for every unplayed artist of every listener's library at the first session."""
    xs, ys = [], []
    for lst in listeners:
        models = LibraryModels(bundle, lst.library_items)
        _, scores = app_state(lst, models, History(lst.log_items, lst.log_counts, {}))
        lib = lst.library
        enjoy = Enjoyment(lib, RadioSettings(), 0.0, scores)
        item_of_code = np.full(len(enjoy.known), -1, dtype=np.int64)
        item_of_code[lib.artist] = lst.item_of_row
        codes = np.flatnonzero(~enjoy.known & (item_of_code >= 0))
        xs.append(enjoy.taste_z[codes])
        ys.append(np.isin(item_of_code[codes], lst.hidden_items))
    return np.concatenate(xs), np.concatenate(ys).astype(np.float64)


def fit_logistic(x: np.ndarray, y: np.ndarray, iterations: int = 50) -> tuple[float, float]:
    """(intercept, slope) maximising the likelihood of ``y`` under ``sigmoid(a + b x)`` (Newton)."""
    a = float(np.log(max(y.mean(), 1e-6) / max(1.0 - y.mean(), 1e-6)))
    w = np.array([a, 0.0])
    design = np.column_stack([np.ones(len(x)), x])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ w, -30, 30)))
        grad = design.T @ (y - p)
        hess = design.T @ (design * (p * (1 - p))[:, None]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        w += step
        if float(np.abs(step).max()) < 1e-10:
            break
    return float(w[0]), float(w[1])


def calibrate(history: str, listeners: int = 100, log=print) -> tuple[float, float]:
    from recommender.simulation.data import holdout_bundle
    from recommender.simulation.world import WorldSettings, build_listeners

    bundle, triples = holdout_bundle(history, "tuning")
    people = build_listeners(*triples, bundle, WorldSettings(max_listeners=listeners, seed=1))
    x, y = liking_examples(people, bundle)
    a, b = fit_logistic(x, y)
    log(
        f"{len(people)} tuning listeners, {len(x)} unplayed artists ({y.mean():.3f} liked): "
        f"enjoy_unknown_logit={a:.2f} enjoy_taste_slope={b:.2f}"
    )
    return a, b


def main(argv: list[str] | None = None) -> int:
    from player.cli.common import bounded_int

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("history")
    p.add_argument("--listeners", type=bounded_int(1, 100_000), default=100)
    a = p.parse_args(argv)
    calibrate(a.history, a.listeners, log=lambda s: print(s, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
