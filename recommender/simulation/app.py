"""The app-level simulation (``encore evaluate-radio --app``): simulated listeners drive the app itself.

``runner.simulate`` drives a ``Station`` directly, which proves the station object. Here each listener
gets what a person gets: a real SQLite file with their library as tracks (placeholder files: the null
player only checks that a file exists) and their log as plays; the real ``PlaybackController`` with the
null player backend (an exact clock), the real queue and listening log, and the core
``ListeningSession`` / ``RadioSession`` the window uses. Every session starts a radio from a seed song
(the same seeds and the same random outcomes as the station-only run: common random numbers); the
listener presses Next to skip (a few seconds in) and lets a track play to its end to complete it. The
station is made by the app's own loader (``recommender.radio.load.load_library``: the taste folded in
from the plays table, recency from it) for every session. Between sessions For you and the Discover mix
are rebuilt from the database as the app does.

Metrics are read from what the app logged (the plays table, the seed left out as in the station-only
run), never from a policy's bookkeeping; the product's rules are counted as violations (all must be 0):
a skipped track queued or played again in the session, an artist played after two skips in the session,
a play logged with no outcome, and For you or the Discover mix serving a track finished in the session
before.

What differs from the station-only run, by design: the app knows the log only as plays it can hold
(``log_plays``), not as raw Last.fm counts; the station sees the fold-in taste from the plays table (as
the app does), not the model scores handed to it; the seed is played to its end.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recommender.radio.settings import RadioSettings
from recommender.simulation.metrics import Coherence, ListenerScore, longest_streak, summarise
from recommender.simulation.runner import START
from recommender.simulation.world import Listener, Satiety, WorldSettings

SKIP_AFTER_S = 5.0
"""A simulated skip: Next pressed this many seconds into the track (well under any skip threshold)."""
MAX_LOG_PLAYS = 12
"""A log artist's play count becomes ``1 + round(log2(count))`` completed plays, at most this many: a
history of plays the app can hold (Last.fm counts run to thousands), in the order of magnitude the
fold-in's log confidence sees anyway."""
LOG_START_DAYS = 30.0
LOG_EVERY_DAYS = 7.0
"""The log's plays are dated a week apart, the newest a month before the first session: the world's log
is history with no recent plays (the station-only run gives it no dates), so the radio's freshness terms
(plays in the last days) must not see it as yesterday's listening."""


def log_plays(count: float) -> int:
    """Completed plays written for a log artist with ``count`` plays (see ``MAX_LOG_PLAYS``)."""
    return int(min(MAX_LOG_PLAYS, 1 + round(math.log2(max(1.0, float(count))))))


@dataclass
class Violations:
    """Counts of broken product rules over a run (each must be 0)."""

    requeued_skipped: int = 0
    replayed_skipped: int = 0
    rested_artist_played: int = 0
    open_plays: int = 0
    for_you_just_finished: int = 0
    mix_just_finished: int = 0

    def add(self, other: Violations) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: int(getattr(self, name)) for name in self.__dataclass_fields__}


class SimClock:
    """The simulated epoch: the listening log dates plays by it, the station and the taste use it."""

    def __init__(self, start: float) -> None:
        self.now = float(start)

    def __call__(self) -> float:
        return self.now


@dataclass
class _App:
    """One listener's app: the store, the controller and the sessions over them."""

    store: Any
    controller: Any
    radio: Any
    listening: Any
    row_of_id: dict[int, int] = field(default_factory=dict)  # track id in the database -> world row
    id_of_row: dict[int, int] = field(default_factory=dict)


def _build_store(listener: Listener, bundle: Any, folder: Path, clock: SimClock) -> tuple[Any, dict, dict]:
    """The listener's library as tracks (placeholder files) and their log as completed plays."""
    from player.store import Store
    from player.store import plays as plays_sql
    from player.store.tracks import track_columns, upsert_tracks

    folder.mkdir(parents=True, exist_ok=True)
    blank = folder / "blank.ogg"
    blank.write_bytes(b"")
    lib = listener.library
    rows = []
    for row, item in enumerate(listener.item_of_row.tolist()):
        path = folder / f"t{int(lib.track_ids[row])}.ogg"
        os.link(blank, path)
        name = str(bundle.names[item])
        rows.append(
            {
                "path": str(path),
                "size": 0,
                "mtime": 0.0,
                "duration": float(lib.duration[row]),
                "artist": name,
                "album_artist": name,
                "album": f"{name} album",
                "title": f"{name} {row % 1000}",
                "tags_from_path": 0,
            }
        )
    store = Store.open(folder / "encore.db")
    upsert_tracks(store, rows)
    by_path = {str(p): int(t) for t, p in track_columns(store, ("id", "path"))}
    id_of_row = {row: by_path[r["path"]] for row, r in enumerate(rows)}
    row_of_id = {t: row for row, t in id_of_row.items()}
    # The log: completed plays of each log artist's tracks, weekly, going back from a month before.
    rng = np.random.default_rng(len(rows))
    with store.transaction():
        for item, count in zip(listener.log_items.tolist(), listener.log_counts.tolist(), strict=True):
            artist_rows = listener.rows_of(int(item))
            for k in range(log_plays(count)):
                row = int(artist_rows[rng.integers(len(artist_rows))])
                days = LOG_START_DAYS + k * LOG_EVERY_DAYS
                at = clock.now - days * 86400.0 - float(rng.random()) * 3600.0
                duration = float(lib.duration[row])
                pid = plays_sql.start_play(store, id_of_row[row], "log", duration=duration, started_at=at)
                plays_sql.close_play(
                    store, pid, outcome="completed", seconds_listened=duration, ended_at=at + duration
                )
    return store, row_of_id, id_of_row


def _open_app(store: Any, bundle: Any, clock: SimClock, radio_settings: RadioSettings) -> _App:
    """A fresh app session on the listener's database (a new day: a new listening session)."""
    from player.listening import ListeningLog
    from player.playback.events import TrackStarted
    from player.playback.null import NullPlayer
    from player.playback.settings import PlaybackSettings
    from player.session import PlaybackController
    from recommender.radio.load import load_library
    from recommender.radio.session import ListeningSession, RadioSession

    settings = PlaybackSettings(position_interval_s=15.0, checkpoint_interval_s=60.0)
    log = ListeningLog(store, settings, clock=clock, wall_clock=clock)
    controller = PlaybackController(store, settings=settings, player=NullPlayer(settings), listening_log=log)
    radio = RadioSession(
        controller,
        lambda: load_library(store, bundle=bundle, now=clock()),
        settings=radio_settings,
        clock=clock,
    )
    controller.on_play_finished(radio.play_finished)

    def started(event: Any) -> None:
        if isinstance(event, TrackStarted):
            radio.track_started(controller.queue.current)

    controller.events.subscribe(started)
    return _App(store, controller, radio, ListeningSession(controller, radio))


def _play(app: _App, clock: SimClock, seconds: float) -> None:
    app.controller.player.advance(seconds)
    clock.now += seconds


def run_listener_app(
    index: int,
    listener: Listener,
    bundle: Any,
    coherence: Coherence,
    settings: WorldSettings,
    radio: RadioSettings,
    folder: Path,
    rebuild_for_you: bool = True,
) -> tuple[ListenerScore, Violations]:
    """All sessions of one listener through the app (see the module doc)."""
    from player.store.plays import session_plays

    clock = SimClock(START)
    store, row_of_id, id_of_row = _build_store(listener, bundle, folder, clock)
    score, violations = ListenerScore(), Violations()
    satiety = Satiety(settings)
    draws = np.random.default_rng([settings.seed, index, 1])  # the station-only run's seeds and outcomes
    lib = listener.library
    log_set = set(listener.log_items.tolist())
    hidden = set(listener.hidden_items.tolist())
    try:
        for _ in range(settings.sessions):
            p = listener.log_counts / listener.log_counts.sum()
            seed_item = int(listener.log_items[draws.choice(len(p), p=p)])
            rows = listener.rows_of(seed_item)
            seed_row = int(rows[draws.integers(len(rows))])
            uniforms = draws.random(settings.length)
            app = _open_app(store, bundle, clock, radio)
            app.listening.start_radio(id_of_row[seed_row], f"Radio from {bundle.names[seed_item]}")
            satiety.played(seed_item, int(lib.track_ids[seed_row]), clock.now)
            _play(app, clock, float(lib.duration[seed_row]) + 0.5)  # the seed plays to its end
            skipped_ids: set[int] = set()
            artist_skips: dict[int, int] = {}
            played_ids: list[int] = []
            for step in range(settings.length):
                entry = app.controller.queue.current
                if entry is None:
                    break
                track_id = int(entry.track_id)
                row = row_of_id[track_id]
                item = int(listener.item_of_row[row])
                if track_id in skipped_ids:
                    violations.replayed_skipped += 1
                if artist_skips.get(item, 0) >= max(1, radio.rest_artist_after_skips):
                    violations.rested_artist_played += 1
                played_ids.append(track_id)
                liked = item in listener.liked
                done = bool(
                    uniforms[step] < satiety.completion_probability(liked, item, int(lib.track_ids[row]))
                )
                satiety.played(item, int(lib.track_ids[row]), clock.now)
                if done:
                    _play(app, clock, float(lib.duration[row]) + 0.5)
                else:
                    _play(app, clock, SKIP_AFTER_S)
                    app.controller.next()
                    skipped_ids.add(track_id)
                    artist_skips[item] = artist_skips.get(item, 0) + 1
                upcoming = {int(e.track_id) for e in app.controller.queue.upcoming()}
                violations.requeued_skipped += len(upcoming & skipped_ids)
            app.controller.stop()
            app.radio.close()
            session_id = app.controller.log.session_id
            plays = session_plays(store, session_id)
            violations.open_plays += sum(1 for r in plays if r["outcome"] is None)
            judged = [
                r for r in plays if not r["first_in_session"] and r["outcome"] in ("completed", "skipped")
            ]
            items = [int(listener.item_of_row[row_of_id[int(r["track_id"])]]) for r in judged]
            completed = [i for i, r in zip(items, judged, strict=True) if r["outcome"] == "completed"]
            score.plays += len(judged)
            score.skips += sum(1 for r in judged if r["outcome"] == "skipped")
            score.log_plays += sum(i in log_set for i in items)
            score.found.append(len({i for i in completed if i in hidden}))
            score.coherence.append(
                float(coherence.with_seed(index, seed_item, np.array(items)).mean()) if items else 0.0
            )
            score.distinct.append(len(set(items)))
            score.streak.append(longest_streak(items))
            satiety.end_session()
            clock.now += settings.hours_between_sessions * 3600.0
            if rebuild_for_you:
                finished = {int(r["track_id"]) for r in plays if r["outcome"] == "completed"}
                served, mix = _for_you_and_mix(store, bundle, clock.now)
                violations.for_you_just_finished += len(set(served) & finished)
                violations.mix_just_finished += len(set(mix) & finished)
    finally:
        store.close()
    return score, violations


def _for_you_and_mix(store: Any, bundle: Any, now: float) -> tuple[list[int], list[int]]:
    """For you's in-library tracks and a fresh Discover mix, built from the database as the app does."""
    from recommender.for_you.lists import for_you
    from recommender.for_you.mix import discover_mix

    result = for_you(store, bundle, now=now)
    tracks = [int(t) for item in result.tracks for t in item.track_ids]
    mix = [int(e["track_id"]) for e in discover_mix(store, result, refresh=True, rng=0)]
    return tracks, mix


def simulate_app(
    listeners: list[Listener],
    bundle: Any,
    settings: WorldSettings | None = None,
    radio: RadioSettings | None = None,
    progress: Callable[[int, int], None] | None = None,
    resamples: int = 1000,
    folder: str | os.PathLike[str] | None = None,
    rebuild_for_you: bool = True,
) -> dict[str, Any]:
    """Encore's radio through the app for every listener: the metrics (as ``runner.simulate`` reports
    them, read from the plays table) and the rule violations."""
    settings = settings or WorldSettings()
    radio = radio or RadioSettings()
    if not listeners:
        raise ValueError("no listeners with enough known artists to simulate")
    coherence = Coherence([lst.own_items for lst in listeners])
    scores, total = [], Violations()
    with tempfile.TemporaryDirectory(prefix="encore-app-sim-", dir=folder) as tmp:
        for i, lst in enumerate(listeners):
            score, violations = run_listener_app(
                i, lst, bundle, coherence, settings, radio, Path(tmp) / f"listener{i}", rebuild_for_you
            )
            scores.append(score)
            total.add(violations)
            if progress is not None:
                progress(i + 1, len(listeners))
    return {
        "listeners": len(listeners),
        "sessions_per_listener": settings.sessions,
        "tracks_per_session": settings.length,
        "policies": {"encore (app)": summarise(scores, resamples, settings.seed)},
        "violations": total.as_dict(),
    }
