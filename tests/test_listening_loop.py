"""The learning loop's rules, through the real controller (null player, exact clock), the real queue, the
real listening log on a real SQLite file and the core radio session the app uses:

- replacing the queue ends the current play as "replaced" (neither a skip nor a completion), and every
  replacement can be undone: the queue, the entry and the position come back (and the station);
- Next on the last queued track is a skip, as Next anywhere else;
- a track skipped in a session is never queued again in it, even by a station made again (an Undo);
  an artist skipped twice rests for the rest of the session.
"""

from __future__ import annotations

import shutil

import pytest

from player.listening import ListeningLog
from player.playback.null import NullPlayer
from player.playback.settings import PlaybackSettings
from player.session import PlaybackController
from player.store import Store
from player.store.plays import get_play
from player.store.tracks import get_track, track_columns
from recommender.prompt.resolve import read_prompt
from recommender.radio.listening import ListeningSession
from recommender.radio.load import load_library
from recommender.radio.session import RadioSession


@pytest.fixture
def store(analyzed_corpus_db, tmp_path):
    db = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, db)
    with Store.open(db) as s:
        yield s


def _session(store: Store) -> tuple[PlaybackController, RadioSession, ListeningSession, list]:
    settings = PlaybackSettings(position_interval_s=1.0)
    ctl = PlaybackController(
        store, settings=settings, player=NullPlayer(settings), listening_log=ListeningLog(store, settings)
    )
    library = load_library(store)
    radio = RadioSession(ctl, lambda: library, resolve=lambda lib, text: read_prompt(text, store, lib))
    finished: list = []
    ctl.on_play_finished(finished.append)
    ctl.on_play_finished(radio.play_finished)

    def started(event) -> None:
        from player.playback.events import TrackStarted

        if isinstance(event, TrackStarted):
            radio.track_started(ctl.queue.current)

    ctl.events.subscribe(started)
    return ctl, radio, ListeningSession(ctl, radio), finished


def _long_tracks(store: Store, n: int) -> list[int]:
    rows = track_columns(store, ("id", "duration"), order="id")
    return [int(t) for t, d in rows if (d or 0) > 60][:n]


def test_a_new_queue_ends_the_play_as_replaced_and_undo_brings_it_back(store):
    ctl, _radio, listening, finished = _session(store)
    a, b, c, d = _long_tracks(store, 4)
    assert listening.play([a, b]) is None  # nothing played before: nothing to undo
    ctl.player.advance(12.0)
    replacement = listening.play([c, d], source="playlist", seed="Mix")
    assert replacement is not None and replacement.message == "The queue was replaced."
    assert [f.outcome for f in finished] == ["replaced"]  # 12 s of a: not a skip
    assert get_play(store, finished[0].play_id)["outcome"] == "replaced"
    ctl.player.advance(3.0)
    assert listening.undo(replacement) and not listening.undo(replacement)
    assert [e.track_id for e in ctl.queue.entries] == [a, b]
    assert ctl.queue.current.track_id == a
    assert ctl.player.position == pytest.approx(12.0, abs=0.01)  # where it was
    assert [f.outcome for f in finished] == ["replaced", "replaced"]  # c, 3 s in: not a skip either
    ctl.player.advance(5.0)
    ctl.next()
    assert finished[-1].outcome == "skipped" and finished[-1].track_id == a  # the listener's own Next


def test_next_on_the_last_track_is_a_skip(store):
    ctl, _radio, listening, finished = _session(store)
    (a,) = _long_tracks(store, 1)
    listening.play([a])
    ctl.player.advance(5.0)
    assert ctl.next() is None
    assert [f.outcome for f in finished] == ["skipped"]


def test_replacing_a_radio_offers_undo_that_brings_the_station_back(store):
    ctl, radio, listening, finished = _session(store)
    seed = _long_tracks(store, 1)[0]
    listening.start_radio(seed, "Radio from the seed")
    assert radio.active and len(ctl.queue.upcoming()) >= 3
    ctl.player.advance(30.0)
    replacement = listening.play(_long_tracks(store, 3)[1:], source="album")
    assert not radio.active and replacement.radio == (seed, "Radio from the seed")
    assert replacement.message == "The radio from Radio from the seed was replaced."
    listening.undo(replacement)
    assert radio.active and radio.label == "Radio from the seed"
    assert ctl.queue.current.track_id == seed and ctl.player.position == pytest.approx(30.0, abs=0.01)
    assert [f.outcome for f in finished] == ["replaced", "replaced"]
    assert len([e for e in ctl.queue.upcoming() if e.source == "radio"]) >= 3


def _skip(ctl: PlaybackController) -> int:
    current = ctl.queue.current.track_id
    ctl.player.advance(2.0)
    ctl.next()
    return current


def test_a_skipped_track_never_comes_back_in_the_session_even_after_undo(store):
    ctl, radio, listening, finished = _session(store)
    seed = _long_tracks(store, 1)[0]
    listening.start_radio(seed, "R")
    ctl.player.advance(get_track(store, seed)["duration"] + 0.5)  # the seed plays out
    skipped = [_skip(ctl) for _ in range(3)]  # the station's first three picks, each skipped
    assert [f.outcome for f in finished if f.track_id in skipped] == ["skipped"] * 3
    # An Undo makes the station again from the seed: the picks it would start with are the ones skipped.
    listening.undo(listening.play(_long_tracks(store, 3)[1:]))
    assert radio.active
    for _ in range(20):
        upcoming = [e.track_id for e in ctl.queue.upcoming()]
        assert not set(upcoming) & set(skipped), "a skipped track was queued again"
        ctl.player.advance(400.0)  # let tracks play out
    assert len(finished) > 20


def test_an_artist_skipped_twice_rests_for_the_session(store):
    from recommender.radio.station import PlayEvent, RadioSettings, Station

    library = load_library(store)
    names = [library.artist_name(i) for i in range(len(library))]
    long = [i for i in range(len(library)) if library.duration[i] >= 60]
    counts = {a: sum(names[i] == a for i in long) for a in set(names)}
    seed_row = max(long, key=lambda i: (counts[names[i]], -i))
    artist = names[seed_row]
    assert counts[artist] >= 6
    # A rule, not a weight: it holds with every skip penalty off.
    settings = RadioSettings(
        artist_skip_penalty=0.0, skip_region_penalty=0.0, skip_rate=0.0, enjoy_weight=0.0, colisten_weight=0.0
    )
    station = Station(library, int(library.track_ids[seed_row]), settings)
    same = [int(library.track_ids[i]) for i in long if names[i] == artist and i != seed_row]
    for track_id in same[:2]:
        station.playing(track_id)
        station.observe(PlayEvent(track_id, "skipped"))
    picks = [station.next() for _ in range(40)]
    assert not [t for t in picks if names[library.row(t)] == artist]


def test_a_new_station_hours_later_still_rests_what_was_skipped(store):
    """The listening session is the last hours, not one station: ``encore radio`` (or a new station in
    the app) right after some skips does not bring them back; the next day's radio may."""
    import time

    from recommender.radio.station import Station

    ctl, _radio, listening, finished = _session(store)
    seed = _long_tracks(store, 1)[0]
    listening.start_radio(seed, "R")
    ctl.player.advance(get_track(store, seed)["duration"] + 0.5)
    skipped = [_skip(ctl) for _ in range(3)]
    assert [f.outcome for f in finished][-3:] == ["skipped"] * 3
    ctl.stop()
    later = load_library(store, now=time.time() + 5 * 3600.0)  # past the 4-h repeat window
    station = Station(later, seed, now=time.time() + 5 * 3600.0)
    picks = [station.next() for _ in range(30)]
    assert not set(picks) & set(skipped)
    next_day = load_library(store, now=time.time() + 86400.0)
    assert not Station(next_day, seed, now=time.time() + 86400.0).resting().any()


def test_a_path_rests_what_was_skipped_and_following_the_playing_track_can_be_undone(store):
    from recommender.shaping.path import song_path

    ctl, radio, listening, finished = _session(store)
    seed = _long_tracks(store, 1)[0]
    listening.start_radio(seed, "R")
    ctl.player.advance(get_track(store, seed)["duration"] + 0.5)
    skipped = [_skip(ctl) for _ in range(3)]
    a, b = ctl.queue.current.track_id, _long_tracks(store, 40)[-1]
    steps = [s.track_id for s in song_path(store, a, b, n=12)]
    assert steps[0] == a and steps[-1] == b and not set(steps[1:-1]) & set(skipped)
    before = [e.track_id for e in ctl.queue.entries]
    here = ctl.queue.current_index
    ctl.player.advance(3.0)
    replacement = listening.follow_with(steps[1:], "radio", "Path to B")
    assert replacement is not None and not radio.active
    assert ctl.queue.current.track_id == a and [e.track_id for e in ctl.queue.upcoming()] == steps[1:]
    listening.undo(replacement)
    assert radio.active and ctl.queue.current.track_id == a  # the station is back and plans on
    assert [e.track_id for e in ctl.queue.entries][: here + 1] == before[: here + 1]


def test_a_track_heard_to_its_end_across_an_undo_is_one_completed_play(store):
    """Issue 21, D4: the listened time once restarted at the restored position, so a track heard to its
    end across an Undo was logged "stopped" (plus a "replaced" row)."""
    ctl, _radio, listening, finished = _session(store)
    a, b, c = _long_tracks(store, 3)
    listening.play([a, b])
    duration = float(get_track(store, a)["duration"])
    heard = duration * 0.6  # more than half: only the rest after the Undo is short of a completion
    ctl.player.advance(heard)
    replacement = listening.play([c], source="playlist", seed="Mix")
    first_id = finished[0].play_id
    assert finished[0].outcome == "replaced"
    ctl.player.advance(4.0)
    listening.undo(replacement)
    ctl.player.advance(duration - heard + 1.0)  # to the end of a, and on into b
    ended_a = [f for f in finished if f.track_id == a]
    assert [f.outcome for f in ended_a] == ["replaced", "completed"]
    assert ended_a[-1].play_id == first_id  # one play, taken up again: not a second row
    assert ended_a[-1].seconds_listened == pytest.approx(duration, abs=1.5)
    rows = store.conn.execute("SELECT outcome FROM plays WHERE track_id = ?", (a,)).fetchall()
    assert rows == [("completed",)]
    assert ctl.queue.current.track_id == b


def test_only_a_replaced_play_of_the_same_track_is_taken_up_again(store):
    """``start(..., takes_up=)`` reopens a play of this session that ended "replaced"; a judged play
    (a skip) or a play of another track is left as it was, and the start opens a play of its own."""
    log = ListeningLog(store, PlaybackSettings())
    a, b = _long_tracks(store, 2)
    first = log.start(a, 200.0)
    log.finish("replaced", position=30.0, listened=30.0)
    assert log.start(b, 200.0, takes_up=first) != first  # another track: a play of its own
    log.finish("next", position=2.0, listened=2.0)
    assert get_play(store, first)["outcome"] == "replaced"
    assert log.start(a, 200.0, takes_up=first) == first
    log.finish("next", position=40.0, listened=10.0)  # 30 + 10 s heard: still short, a skip
    assert get_play(store, first)["outcome"] == "skipped"
    assert get_play(store, first)["seconds_listened"] == pytest.approx(40.0)
    assert log.start(a, 200.0, takes_up=first) != first  # judged: never reopened
    assert get_play(store, first)["outcome"] == "skipped"


def test_a_station_from_a_prompt_plays_keeps_its_exclusions_and_comes_back_after_undo(store):
    """Issue 24: the app's radio from a prompt, through the real controller and queue."""
    ctl, radio, listening, finished = _session(store)
    (other,) = _long_tracks(store, 1)
    listening.play([other])
    ctl.player.advance(5.0)
    replaced: list = []
    listening.on_replaced.append(replaced.append)
    listening.start_prompt("sounds:(ambient) -artist:(Wesnoth)", "Ambient, no Wesnoth")
    (replacement,) = replaced  # handed over once the prompt was read
    assert radio.active and radio.prompt is not None
    assert replacement.message == "The queue was replaced."
    queued = [e.track_id for e in ctl.queue.entries]
    assert ctl.queue.current.track_id == radio.seed_track_id and len(ctl.queue.upcoming()) >= 3
    paths = [get_track(store, t)["path"].lower() for t in queued]
    assert not [p for p in paths if "wesnoth" in p]
    for _ in range(4):  # skips re-plan, and the plan keeps to the prompt
        _skip(ctl)
        assert not [
            e for e in ctl.queue.upcoming() if "wesnoth" in get_track(store, e.track_id)["path"].lower()
        ]
    entries = ctl.queue.entries
    upto = [e.track_id for e in entries[: entries.index(ctl.queue.current) + 1]]
    ctl.player.advance(3.0)
    again = listening.play([other])
    assert again.radio_prompt == "sounds:(ambient) -artist:(Wesnoth)"
    assert again.message == "The station Ambient, no Wesnoth was replaced."
    listening.undo(again)
    assert radio.active and radio.label == "Ambient, no Wesnoth" and radio.prompt == again.radio_prompt
    assert [e.track_id for e in ctl.queue.entries][: len(upto)] == upto  # heard so far, and where it was
    assert ctl.queue.current.track_id == upto[-1] and len(ctl.queue.upcoming()) >= 3
    skipped = {f.track_id for f in finished if f.outcome == "skipped"}
    assert not skipped & {e.track_id for e in ctl.queue.upcoming()}  # skipped tracks stay out


def test_the_dial_steers_the_station_playing_and_the_track_goes_on(store):
    """Found in a walk of the app: moving the familiar <-> new dial changed nothing in the queue."""
    from recommender.radio.settings import RadioSettings

    ctl, radio, listening, _finished = _session(store)
    listening.start_prompt("sounds:(ambient) -artist:(Wesnoth)", "Ambient")
    playing = ctl.queue.current.track_id
    explore = radio.station.settings.enjoy_explore
    assert listening.steer(RadioSettings(dial=2))
    assert radio.active and radio.prompt == "sounds:(ambient) -artist:(Wesnoth)" and radio.label == "Ambient"
    assert radio.station.settings.enjoy_explore > explore  # the new station has the dial
    assert ctl.queue.current.track_id == playing  # what plays goes on
    upcoming = [e for e in ctl.queue.upcoming() if e.source == "radio" and e.seed == "Ambient"]
    assert [e.track_id for e in upcoming] == radio.plan_ids() and len(upcoming) >= 3
    assert not [e for e in upcoming if "wesnoth" in get_track(store, e.track_id)["path"].lower()]
    radio.stop()
    assert not listening.steer(RadioSettings(dial=-2))  # nothing plays: kept for the next station
    assert radio.settings.dial == -2


def test_a_prompt_that_cannot_be_read_says_so_and_keeps_what_plays(store):
    ctl, radio, listening, _finished = _session(store)
    (a,) = _long_tracks(store, 1)
    listening.play([a])
    errors: list[str] = []
    radio.on_failed.append(errors.append)
    replaced: list = []
    listening.on_replaced.append(replaced.append)
    listening.start_prompt("artist:(Nobody We Know)", "Nobody")
    assert errors and "no artist in your library" in errors[0]
    assert ctl.queue.current.track_id == a and not radio.active
    assert replaced == []  # nothing was replaced: no notice, no Undo (found in a walk of the app)
    # Nor by a path (from/to, any case): no station, so the one playing plays on, with nothing replaced.
    listening.start_prompt("sounds:(ambient)", "Ambient")
    (replacement,) = replaced
    playing = ctl.queue.current.track_id
    one, two = (get_track(store, t) for t in _long_tracks(store, 3)[1:])
    listening.start_prompt(
        f"From:({one['artist']} - {one['title']}) To:({two['artist']} - {two['title']})", "Path"
    )
    assert errors[-1].startswith("A path (from/to) plays from the library's Path command")
    assert replaced == [replacement] and radio.active and radio.label == "Ambient"
    assert ctl.queue.current.track_id == playing


def test_a_radio_from_a_track_whose_file_went_missing_says_so(store):
    from recommender.radio.session import SEED_NOT_IN_LIBRARY

    (seed,) = _long_tracks(store, 1)
    with store.transaction() as conn:  # as the player marks a file it cannot open
        conn.execute("UPDATE tracks SET missing = 1 WHERE id = ?", (seed,))
    ctl, radio, listening, _finished = _session(store)
    errors: list[str] = []
    radio.on_failed.append(errors.append)
    listening.start_radio(seed, "Radio from the seed")
    assert errors == [f"The radio could not start: {SEED_NOT_IN_LIBRARY}"]
    assert radio.station is None


def test_a_station_playing_when_files_go_missing_plans_on_without_them(store):
    """Found in a walk of the app: after a folder was unplugged and rescanned, the station went on planning
    its tracks ("file missing" in the queue). Once the library changes, the station playing stops planning
    the missing files: nothing missing is queued, and it goes on (with what it learnt) even though its
    seed's file is gone too."""
    ctl, radio, listening, _finished = _session(store)
    seed = _long_tracks(store, 1)[0]
    listening.start_radio(seed, "Radio from the seed")
    ctl.player.advance(30.0)
    ctl.next()  # the station's first planned track plays
    playing = ctl.queue.current.track_id
    planned = [e.track_id for e in ctl.queue.upcoming() if e.source == "radio"]
    assert playing != seed and len(planned) >= 3
    gone = {seed, *planned[:3]}
    with store.transaction() as conn:  # as a scan marks the files of an unplugged folder
        conn.executemany("UPDATE tracks SET missing = 1 WHERE id = ?", [(t,) for t in gone])
    station = radio.station
    radio.invalidate()
    upcoming = [e.track_id for e in ctl.queue.upcoming() if e.source == "radio"]
    assert radio.station is station and radio.label == "Radio from the seed"  # the same station goes on
    assert ctl.queue.current.track_id == playing
    assert len(upcoming) >= 3 and not set(upcoming) & gone
    for _ in range(5):  # and it plans on without them
        _skip(ctl)
        assert not {e.track_id for e in ctl.queue.upcoming()} & gone
