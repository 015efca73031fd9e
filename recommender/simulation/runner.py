"""Run policies over simulated listeners: the same listeners, seeds and random outcomes for each.

Common random numbers: each listener's seed tracks and the uniform draws that decide completions are
fixed by (seed, listener), so policies differ only by what they play.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from recommender.radio.station import RadioSettings
from recommender.simulation.metrics import Coherence, ListenerScore, longest_streak, summarise
from recommender.simulation.models import History, LibraryModels
from recommender.simulation.policies import POLICIES, POLICY_CLASSES, SessionInput
from recommender.simulation.world import Listener, Satiety, WorldSettings

START = 1.7e9


def run_listener(
    policy_name: str,
    index: int,
    listener: Listener,
    models: LibraryModels,
    coherence: Coherence,
    settings: WorldSettings,
    radio: RadioSettings,
    trace: Callable[[int, list[int], list[bool]], None] | None = None,
) -> ListenerScore:
    """All sessions of one listener under one policy; ``trace(seed_row, rows, completed)`` sees each
    session's plays (tests check the rules with it)."""
    policy = POLICY_CLASSES[policy_name]()
    score = ListenerScore()
    satiety = Satiety(settings)
    history = History(listener.log_items, listener.log_counts, {})
    draws = np.random.default_rng([settings.seed, index, 1])  # seeds and outcomes: same for all policies
    policy_rng = np.random.default_rng([settings.seed, index, 2])
    lib = listener.library
    log_set = set(listener.log_items.tolist())
    hidden = set(listener.hidden_items.tolist())
    now = START
    for _ in range(settings.sessions):
        p = listener.log_counts / listener.log_counts.sum()
        seed_item = int(listener.log_items[draws.choice(len(p), p=p)])
        rows = listener.rows_of(seed_item)
        seed_row = int(rows[draws.integers(len(rows))])
        uniforms = draws.random(settings.length)
        lib.last_played[:] = np.nan
        for track_id, t in satiety.heard.items():
            lib.last_played[lib.row(track_id)] = t
        inp = SessionInput(listener, models, history, seed_row, now, policy_rng, radio, satiety)
        satiety.played(seed_item, int(lib.track_ids[seed_row]), now)
        now += settings.minutes_per_track * 60.0
        policy.start(inp)
        played: list[int] = []
        rows_played: list[int] = []
        outcomes: list[bool] = []
        completed: list[int] = []
        skipped: list[int] = []
        for step in range(settings.length):
            row = policy.next()
            item = int(listener.item_of_row[row])
            track_id = int(lib.track_ids[row])
            liked = item in listener.liked
            done = bool(uniforms[step] < satiety.completion_probability(liked, item, track_id))
            satiety.played(item, track_id, now)
            now += settings.minutes_per_track * 60.0
            policy.observe(row, done)
            played.append(item)
            rows_played.append(row)
            outcomes.append(done)
            (completed if done else skipped).append(item)
        if trace is not None:
            trace(seed_row, rows_played, outcomes)
        score.plays += len(played)
        score.skips += len(skipped)
        score.log_plays += sum(i in log_set for i in played)
        score.found.append(len({i for i in completed if i in hidden}))
        score.coherence.append(float(coherence.with_seed(index, seed_item, np.array(played)).mean()))
        score.distinct.append(len(set(played)))
        score.streak.append(longest_streak(played))
        satiety.end_session()
        history = history.with_session(completed, skipped)
        now += settings.hours_between_sessions * 3600.0
    lib.last_played[:] = np.nan
    return score


def simulate(
    listeners: list[Listener],
    bundle: Any,
    settings: WorldSettings | None = None,
    policies: tuple[str, ...] = POLICIES,
    radio: RadioSettings | None = None,
    progress: Callable[[int, int], None] | None = None,
    resamples: int = 1000,
) -> dict[str, Any]:
    """Every policy over every listener; per policy each metric's mean and 95% bootstrap interval."""
    settings = settings or WorldSettings()
    radio = radio or RadioSettings()
    if not listeners:
        raise ValueError("no listeners with enough known artists to simulate")
    coherence = Coherence([lst.own_items for lst in listeners])
    models = [LibraryModels(bundle, lst.library_items) for lst in listeners]
    out: dict[str, Any] = {}
    total = len(policies) * len(listeners)
    done = 0
    for name in policies:
        scores = []
        for i, lst in enumerate(listeners):
            scores.append(run_listener(name, i, lst, models[i], coherence, settings, radio))
            done += 1
            if progress is not None:
                progress(done, total)
        out[name] = summarise(scores, resamples, settings.seed)
    return {
        "listeners": len(listeners),
        "sessions_per_listener": settings.sessions,
        "tracks_per_session": settings.length,
        "policies": out,
    }
