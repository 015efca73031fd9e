"""The radio on the real corpus (scanned and analysed): lean-back rules, in-session learning, tiny
libraries, a seed without analysis, recently played tracks, and the ``radio`` command."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from main import main
from player.library import scan
from player.listening import FinishedPlay
from player.store import Store
from player.store.analysis import get_analysis
from player.store.plays import close_play, start_play
from player.store.tracks import find_track, get_track_by_path, iter_tracks
from recommender.radio.load import load_library
from recommender.radio.station import PlayEvent, RadioSettings, Station


@pytest.fixture
def analyzed(analyzed_corpus_db: Path):
    with Store.open(analyzed_corpus_db) as store:
        yield store


@pytest.fixture(scope="module")
def library(analyzed_corpus_db: Path):
    with Store.open(analyzed_corpus_db) as store:
        return load_library(store, taste=False)


def _seed(store: Store, fragment: str) -> int:
    """The first music track (not a jingle) whose path contains ``fragment``."""
    for t in iter_tracks(store):
        if fragment in t["path"] and (t["duration"] or 0) > 60:
            return int(t["id"])
    raise AssertionError(f"no corpus track under {fragment}")


def test_station_never_repeats_and_spaces_artists(library, analyzed):
    seed = _seed(analyzed, "wesnoth-1.16-music/")
    settings = RadioSettings()
    station = Station(library, seed, settings, rng=1)
    played = [station.next() for _ in range(30)]
    assert len(set(played)) == len(played) and seed not in played
    # The station's effective spacing is scaled to the pool's artists but is never zero here, and every
    # pick respects it (the corpus has ~20 artists, so 15 scales down).
    spacing = station._artist_spacing
    assert 1 <= spacing <= settings.artist_spacing
    artists = [library.artist[library.row(t)] for t in [seed, *played]]
    for i in range(1, len(artists)):
        window = artists[max(0, i - spacing) : i]
        assert artists[i] not in window or station.tiny, (i, spacing)
    # Sound effects (< 30 s) only once real music has run out: the first picks are all music.
    durations = [library.duration[library.row(t)] for t in played[:20]]
    assert min(durations) >= settings.min_duration_s


def test_seed_sets_the_character(library, analyzed):
    """The first tracks of a metal station sound more like the metal seed than an orchestral station's
    tracks do, and the other way round."""
    metal = _seed(analyzed, "fretsonfire-songs-muldjord/")
    orchestral = _seed(analyzed, "wesnoth-1.16-music/")
    a = library.audio

    def picks(seed: int) -> list[int]:
        station = Station(library, seed, rng=0)
        return [library.row(station.next()) for _ in range(6)]

    def sim(rows: list[int], seed: int) -> float:
        return float(np.mean(a[rows] @ a[library.row(seed)]))

    from_metal, from_orchestral = picks(metal), picks(orchestral)
    assert sim(from_metal, metal) > sim(from_orchestral, metal)
    assert sim(from_orchestral, orchestral) > sim(from_metal, orchestral)


def test_a_skip_changes_the_next_plan(library, analyzed):
    """Same station, same randomness: after a skip the plan moves away from the skipped track's sound
    and artist, after a completion it does not."""
    seed = _seed(analyzed, "wesnoth-1.16-music/")
    settings = RadioSettings(exploration_rate=0.0, noise=0.0)
    liked = Station(library, seed, settings, rng=3)
    skipped = Station(library, seed, settings, rng=3)
    first = liked.next()
    assert skipped.next() == first
    assert [p.track_id for p in liked.plan] == [p.track_id for p in skipped.plan]
    liked.observe(PlayEvent(first, "completed"))
    # What the listening log hands its on_finished hooks: the station takes it as is.
    skipped.observe(
        FinishedPlay(
            play_id=1,
            track_id=first,
            outcome="skipped",
            seconds_listened=4.0,
            duration=200.0,
            position=4.0,
            source="radio",
            seed=str(seed),
            first_in_session=False,
            started_at=0.0,
            ended_at=4.0,
        )
    )
    plan_liked = [p.index for p in liked.plan]
    plan_skipped = [p.index for p in skipped.plan]
    assert plan_liked != plan_skipped
    a = library.audio
    r = library.row(first)
    assert np.mean(a[plan_skipped] @ a[r]) < np.mean(a[plan_liked] @ a[r])
    assert skipped.artist_feedback[library.artist[r]] < 0 < liked.artist_feedback[library.artist[r]]


def test_tiny_library_plays_on_without_repeating_too_soon(corpus_dir, tmp_path):
    files = sorted((corpus_dir / "wesnoth-1.16-music").rglob("*.ogg"))[:4]
    folder = tmp_path / "music"
    folder.mkdir()
    for f in files:
        shutil.copy(f, folder / f.name)
    with Store.open(tmp_path / "tiny.db") as store:
        scan(store, [folder])
        library = load_library(store)
        ids = [int(t) for t in library.track_ids]
        assert len(ids) == 4
        station = Station(library, ids[0], rng=0)
        assert station.tiny
        played = [station.next() for _ in range(12)]
    # Every track before any repeat, and never the same track twice in a row.
    assert set(played[:3]) == set(ids[1:])
    assert all(a != b for a, b in zip(played, played[1:], strict=False))
    assert set(played) == set(ids)


def test_seed_without_analysis_uses_metadata(corpus_store):
    """No analysis at all (scanned only): the station still plays, from the seed's genre first."""
    library = load_library(corpus_store, taste=False)
    assert library.audio is None
    seed = int(find_track(corpus_store, "Mattias Westlund - Breaking the Chains")["id"])
    station = Station(library, seed, rng=0)
    picks = [station.next() for _ in range(8)]
    assert len(set(picks)) == 8
    genre = library.genre[library.row(seed)]
    assert genre >= 0 and sum(library.genre[library.row(t)] == genre for t in picks) >= 7


def test_unanalysed_seed_is_analysed_on_demand(analyzed_corpus_db, corpus_dir, tmp_path, capsys):
    db = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, db)
    new = tmp_path / "new"
    new.mkdir()
    source = sorted((corpus_dir / "fretsonfire-songs-muldjord").rglob("*.ogg"))[0]
    target = new / "fresh copy.ogg"
    shutil.copy(source, target)
    with Store.open(db) as store:
        scan(store, [new])
        track = get_track_by_path(store, str(target.resolve()))
        assert track is not None and get_analysis(store, track["id"]) is None
    assert main(["radio", str(target), "--n", "8", "--json", "--db", str(db), "--random-seed", "0"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 8 and all(set(r) == {"path", "artist", "title", "why"} for r in rows)
    assert str(target.resolve()) not in [r["path"] for r in rows]
    with Store.open(db) as store:
        assert get_analysis(store, track["id"]) is not None
    # The station was built from the seed's sound (the other Muldjord tracks wait for artist spacing).
    assert any(r["why"].startswith("sounds like") for r in rows)


def test_recently_played_tracks_wait(copy_corpus_store):
    store = copy_corpus_store
    seed = _seed(store, "wesnoth-1.16-music/")
    before = Station(load_library(store, taste=False), seed, rng=0)
    first = [before.next() for _ in range(3)]
    now = time.time()
    for t in first:
        play_id = start_play(store, t, "s1", duration=100.0, started_at=now - 600)
        close_play(store, play_id, outcome="completed", ended_at=now - 500)
    library = load_library(store, taste=False)
    after = Station(library, seed, rng=0, now=now)
    later = [after.next() for _ in range(20)]
    assert not set(first) & set(later)


def test_radio_cli_json(analyzed_corpus_db, analyzed, capsys):
    seed = find_track(analyzed, "Mattias Westlund - Breaking the Chains")
    assert seed is not None
    assert (
        main(
            [
                "radio",
                "Mattias Westlund - Breaking the Chains",
                "--n",
                "30",
                "--json",
                "--db",
                str(analyzed_corpus_db),
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 30
    assert len({r["path"] for r in rows}) == 30 and seed["path"] not in {r["path"] for r in rows}
    assert all(r["why"] for r in rows)
    assert main(["radio", "no such song anywhere", "--db", str(analyzed_corpus_db)]) == 2


def _tempo_jump(library, rows: list[int]) -> float:
    """Mean tempo change between consecutive tracks, in octaves (half/double time counts as smooth)."""
    t = library.tempo[rows]
    r = np.abs(np.log2(t[1:] / t[:-1]))
    return float(np.mean(np.minimum(r, np.abs(r - 1.0))))


def test_transitions_are_smoother_with_the_penalty(library, analyzed):
    seed = int(find_track(analyzed, "Mattias Westlund - Breaking the Chains")["id"])
    assert np.isfinite(library.tempo).sum() > 150

    def run(settings: RadioSettings) -> list[int]:
        station = Station(library, seed, settings, rng=5)
        return [library.row(seed)] + [library.row(station.next()) for _ in range(20)]

    smooth = run(RadioSettings(tempo_penalty=4.0, exploration_rate=0.0))
    free = run(RadioSettings(tempo_penalty=0.0, loudness_penalty=0.0, exploration_rate=0.0))
    assert _tempo_jump(library, smooth) < _tempo_jump(library, free)


def test_exploration_varies_stations_from_the_same_seed(library, analyzed):
    seed = int(find_track(analyzed, "Mattias Westlund - Breaking the Chains")["id"])
    a, b = (Station(library, seed, rng=r) for r in (10, 11))
    first, second = [a.next() for _ in range(15)], [b.next() for _ in range(15)]
    assert first != second and len(set(first) & set(second)) >= 3


def test_a_jump_to_a_later_planned_track_counts_as_played(library, analyzed):
    seed = int(find_track(analyzed, "Mattias Westlund - Breaking the Chains")["id"])
    station = Station(library, seed, rng=2)
    later = station.plan[2].track_id
    station.observe({"track_id": later, "outcome": "started"})
    assert later not in [p.track_id for p in station.plan] and len(station.plan) == RadioSettings().lookahead
    assert library.row(later) in station.history
    assert later not in [station.next() for _ in range(20)]


def test_playing_a_later_planned_track_passes_over_the_ones_before(library, analyzed):
    """Jumping to the 3rd planned track: it becomes the current track, the two passed-over tracks leave
    the plan (neither played nor disliked) and the next plan is spaced from the jumped-to track."""
    seed = _seed(analyzed, "wesnoth-1.16-music/")
    station = Station(library, seed, rng=4)
    first, second, third = station.plan[:3]
    assert station.playing(third.track_id) is third
    assert station.history[-1] == third.index and station.played[third.index]
    assert not station.played[[first.index, second.index]].any()
    assert station.artist_feedback[library.artist[[first.index, second.index]]].tolist() == [0.0, 0.0]
    plan = [p.index for p in station.plan]
    assert len(plan) == RadioSettings().lookahead
    assert first.index not in plan and second.index not in plan and third.index not in plan
    spacing = station._artist_spacing
    assert spacing >= 1
    sequence = [library.artist[r] for r in [*station.history, *plan]]
    start = len(station.history)
    for i in range(start, len(sequence)):
        assert sequence[i] not in sequence[max(0, i - spacing) : i], (i, spacing)
    # Not planned again later in the session either (while other tracks are left).
    later = [station.next() for _ in range(20)]
    assert first.track_id not in later and second.track_id not in later


def test_playing_an_unplanned_track_replans_after_it(library, analyzed):
    """The resume case: a track outside the plan becomes the current one and the plan follows it."""
    seed = _seed(analyzed, "wesnoth-1.16-music/")
    station = Station(library, seed, rng=4)
    planned = {p.track_id for p in station.plan}
    other = next(int(t) for t in library.track_ids if int(t) not in planned and int(t) != seed)
    assert station.playing(other) is None
    assert station.history[-1] == library.row(other)
    row = library.row(other)
    artists = [library.artist[p.index] for p in station.plan[: station._artist_spacing]]
    assert library.artist[row] not in artists and other not in [p.track_id for p in station.plan]
