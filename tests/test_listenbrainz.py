"""Listens out to ListenBrainz (opt-in), against a local ListenBrainz (``listenbrainz_server``) on 127.0.0.1.

Plays go through the real ``PlaybackController`` with the null player (its clock moves when told) and a
real SQLite file; the submitter's own rounds (``send_pending``) run with a fake wall clock where a test
checks backoff and rate limits, so no test sleeps through a delay; one test runs the real sender thread
through a failure, a hang and a success; ``encore play`` runs in a subprocess.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from listenbrainz_server import TOKEN, FakeListenBrainz
from playback_helpers import track

from player.listenbrainz.listen import client_version, qualifies, qualifying_seconds, track_metadata
from player.listenbrainz.settings import ListenBrainzSettings
from player.listenbrainz.status import queue_status
from player.listenbrainz.submitter import ListenBrainzSubmitter
from player.listening import ListeningLog
from player.playback import PlaybackSettings
from player.playback.null import NullPlayer
from player.session import PlaybackController
from player.store import Store
from player.store import submit as submit_sql

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parent.parent


class Clock:
    """A wall clock that moves when told."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _no_sender_left_running():
    """Every test stops the sender threads it starts."""
    yield
    _wait(lambda: not any(t.name == "listenbrainz-sender" for t in threading.enumerate()), 6.0)


@pytest.fixture
def server():
    lb = FakeListenBrainz()
    yield lb
    lb.close()


def _settings(server: FakeListenBrainz, **values) -> ListenBrainzSettings:
    """On, at the local server, with delays short enough for a test."""
    base = dict(
        enabled=True,
        token=TOKEN,
        api_root=server.root,
        timeout_s=0.3,
        backoff_base_s=0.05,
        backoff_cap_s=0.4,
        poll_interval_s=0.2,
        exit_flush_s=5.0,
    )
    base.update(values)
    return ListenBrainzSettings(**base)


def _controller(store: Store) -> PlaybackController:
    settings = PlaybackSettings(position_interval_s=1.0)
    log = ListeningLog(store, settings, clock=lambda: 0.0)
    return PlaybackController(store, settings=settings, player=NullPlayer(settings), listening_log=log)


def _play_through(ctl: PlaybackController, tracks: list[dict]) -> list:
    """Play ``tracks`` to their ends; the finished plays."""
    finished: list = []
    unhook = ctl.on_play_finished(finished.append)
    ctl.play_tracks([t["id"] for t in tracks])
    ctl.player.advance(sum(t["duration"] for t in tracks) + 1.0)
    unhook()
    return finished


def _wait(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# -- the rules ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listened", "duration", "counts"),
    [
        (150.0, 300.0, True),  # half the track
        (149.0, 300.0, False),
        (240.0, 600.0, True),  # 4 minutes come first
        (239.0, 600.0, False),
        (240.0, None, True),  # unknown length: the 4 minutes
        (200.0, None, False),
        (4.25, 8.5, True),
        (4.0, 8.5, False),
    ],
)
def test_a_play_qualifies_at_half_the_track_or_four_minutes(listened, duration, counts):
    assert qualifies(listened, duration) is counts
    assert qualifying_seconds(557.0) == 240.0 and qualifying_seconds(100.0) == 50.0


def test_track_metadata_sends_tags_only():
    row = {
        "artist": " Portishead ",
        "title": "Roads",
        "album": "Dummy",
        "duration": 305.4,
        "track_number": 4,
        "tags_from_path": 0,
        "mb_track_id": "1F7E4C5C-4E9B-4E8B-9C1A-3C7C1C1B2A10",
        "mb_artist_id": "8f6bd1e4-fbe1-4f50-aa9b-94c450ec0f11/not-an-id",
        "mb_album_id": "broken",
    }
    meta = track_metadata(row)
    assert meta == {
        "artist_name": "Portishead",
        "track_name": "Roads",
        "release_name": "Dummy",
        "additional_info": {
            "media_player": "Encore",
            "submission_client": "Encore",
            "submission_client_version": client_version(),
            "duration_ms": 305400,
            "tracknumber": 4,
            "recording_mbid": "1f7e4c5c-4e9b-4e8b-9c1a-3c7c1c1b2a10",
            "artist_mbids": ["8f6bd1e4-fbe1-4f50-aa9b-94c450ec0f11"],
        },
    }
    assert track_metadata({**row, "tags_from_path": 1}) is None  # a name guessed from the file
    assert track_metadata({**row, "artist": ""}) is None
    assert "release_name" not in track_metadata({**row, "album": None})


def test_settings_are_off_by_default_and_persist(tmp_store):
    assert ListenBrainzSettings.load(tmp_store) == ListenBrainzSettings()
    assert (
        not ListenBrainzSettings().active
        and ListenBrainzSettings().api_root == "https://api.listenbrainz.org"
    )
    s = ListenBrainzSettings(enabled=True, token=" abc ", api_root="http://lb.local/", batch_size=5000)
    assert s.token == "abc" and s.api_root == "http://lb.local" and s.batch_size == 1000 and s.active
    assert "abc" not in repr(s)  # the token never lands in a log
    s.save(tmp_store)
    assert ListenBrainzSettings.load(tmp_store) == s
    assert [s.backoff(n) for n in (1, 2, 3, 10)] == [30.0, 60.0, 120.0, 3600.0]


# -- queueing plays -------------------------------------------------------------------------------------


def test_nothing_is_queued_or_sent_when_off(copy_corpus_store, corpus_dir, server):
    store = copy_corpus_store
    defeat = track(store, corpus_dir, "defeat.ogg")
    for settings in (_settings(server, enabled=False), _settings(server, token="")):
        ctl = _controller(store)
        submitter = ListenBrainzSubmitter(store.path, settings)
        detach = submitter.attach(ctl)
        submitter.start()
        assert not submitter.running  # off: no thread at all
        finished = _play_through(ctl, [defeat])
        assert [f.outcome for f in finished] == ["completed"]
        assert submitter.send_pending(store) == settings.poll_interval_s
        detach()
        ctl.shutdown()
    assert submit_sql.entries(store) == []
    assert server.requests == []


def test_a_completed_play_is_queued_then_sent(copy_corpus_store, corpus_dir, server):
    store = copy_corpus_store
    defeat = track(store, corpus_dir, "defeat.ogg")
    ctl = _controller(store)
    submitter = ListenBrainzSubmitter(store.path, _settings(server))
    submitter.attach(ctl)
    (play,) = _play_through(ctl, [defeat])

    (entry,) = submit_sql.entries(store)  # queued in SQLite before anything is sent
    assert entry.play_id == play.play_id and entry.attempts == 0
    expected = {
        "listened_at": int(play.started_at),
        "track_metadata": {
            "artist_name": "Timothy Pinkham",
            "track_name": "Defeat",
            "release_name": "The Battle for Wesnoth OST",
            "additional_info": {
                "media_player": "Encore",
                "submission_client": "Encore",
                "submission_client_version": client_version(),
                "duration_ms": round(play.duration * 1000),
            },
        },
    }
    assert entry.listen == expected

    submitter.start()
    try:
        assert submitter.flush(10.0)
        assert submit_sql.entries(store) == []
    finally:
        assert submitter.close()
        ctl.shutdown()
    (sent,) = server.submits()  # no "playing now": the track had ended before the sender started
    assert sent.body == {"listen_type": "single", "payload": [expected]}
    assert sent.authorization == f"Token {TOKEN}"
    assert sent.content_type.startswith("application/json")


def test_playing_now_at_start_and_only_qualifying_plays_are_sent(copy_corpus_store, corpus_dir, server):
    store = copy_corpus_store
    battle = track(store, corpus_dir, "battle.ogg")  # 318 s
    knalgan = track(store, corpus_dir, "knalgan_theme.ogg")  # 557 s
    silence = track(store, corpus_dir, "silence.ogg")  # no tags: its name comes from the file
    ctl = _controller(store)
    submitter = ListenBrainzSubmitter(store.path, _settings(server))
    submitter.attach(ctl)
    submitter.start()
    try:
        ctl.play_tracks([battle["id"], knalgan["id"], silence["id"]])
        server.wait_for(lambda rs: any(r.listen_type == "playing_now" for r in rs))
        (now_playing,) = server.submits("playing_now")
        assert now_playing.body["payload"] == [
            {"track_metadata": track_metadata(battle, battle["duration"])}  # no listened_at
        ]
        ctl.player.advance(20.0)
        ctl.next()  # a skip after 20 s: no listen
        server.wait_for(lambda rs: len([r for r in rs if r.listen_type == "playing_now"]) == 2)
        assert server.submits("playing_now")[1].titles == ["Knalgan Theme"]
        ctl.player.advance(241.0)  # 4 minutes of 9: a listen, though the log calls it a skip
        ctl.next()
        ctl.player.advance(silence["duration"] + 1.0)  # untagged: neither playing now nor a listen
        assert submitter.flush(10.0)
    finally:
        submitter.close()
        ctl.shutdown()
    outcomes = [p["outcome"] for p in _plays(store)]
    assert outcomes == ["skipped", "skipped", "completed"]
    assert [r.titles for r in server.submits("single")] == [["Knalgan Theme"]]
    assert len(server.submits("playing_now")) == 2
    assert submit_sql.entries(store) == []


def _plays(store: Store) -> list[dict]:
    from player.store.plays import recent_plays

    return list(reversed(recent_plays(store, 10)))


# -- answers from the server ------------------------------------------------------------------------------


def _queued(
    store: Store, corpus_dir: Path, submitter: ListenBrainzSubmitter, *names: str
) -> PlaybackController:
    """Play these short tracks to their ends with ``submitter`` attached: their listens are queued."""
    ctl = _controller(store)
    submitter.attach(ctl)
    _play_through(ctl, [track(store, corpus_dir, n) for n in names])
    assert len(submit_sql.entries(store)) == len(names)
    return ctl


def test_server_errors_and_a_hang_are_retried_with_growing_backoff(copy_corpus_store, corpus_dir, server):
    store = copy_corpus_store
    clock = Clock()
    settings = _settings(server, backoff_base_s=10.0, backoff_cap_s=25.0, timeout_s=0.3)
    submitter = ListenBrainzSubmitter(store.path, settings, clock=clock)
    _queued(store, corpus_dir, submitter, "defeat.ogg")
    server.answers = ["error", "error", "hang", "error"]
    server.hang_s = 2.0
    start = clock.now
    seen = []
    for step, wait in enumerate([10.0, 20.0, 25.0, 25.0]):  # 10, 20, then the cap
        assert submitter.send_pending(store) == pytest.approx(wait)
        (entry,) = submit_sql.entries(store)
        seen.append((entry.attempts, entry.next_try_at - clock.now, entry.last_error))
        # What Settings says meanwhile (offline, nothing else tells the user).
        status = queue_status(store, now=clock.now)
        assert status.startswith("1 listen waiting to be sent. The last try failed (") and entry.last_error in status
        assert time.strftime("the next is at %H:%M", time.localtime(entry.next_try_at)) in status
        assert len(server.submits()) == step + 1
        assert submitter.send_pending(store) == pytest.approx(wait)  # nothing goes out before then
        assert len(server.submits()) == step + 1
        clock.now += wait
    assert [(a, pytest.approx(d)) for a, d, _ in seen] == [(1, 10.0), (2, 20.0), (3, 25.0), (4, 25.0)]
    assert "HTTP 500" in seen[0][2] and seen[2][2] == "no answer within 0.3 s"
    assert submitter.send_pending(store) == 0.0  # the server answers 200 now: go on at once
    assert submit_sql.entries(store) == [] and queue_status(store) is None
    bodies = [r.body for r in server.submits()]
    assert len(bodies) == 5 and all(b == bodies[0] for b in bodies)
    assert clock.now - start == 80.0


def test_the_sender_thread_retries_until_the_server_answers(copy_corpus_store, corpus_dir, server):
    store = copy_corpus_store
    submitter = ListenBrainzSubmitter(store.path, _settings(server, backoff_base_s=0.1, timeout_s=0.3))
    server.answers = ["error", "hang"]
    server.hang_s = 2.0
    ctl = _queued(store, corpus_dir, submitter, "victory.ogg")
    began = time.monotonic()
    submitter.start()
    try:
        _wait(lambda: submit_sql.entries(store) == [])
    finally:
        submitter.close()
        ctl.shutdown()
    times = [r.at for r in server.submits()]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.1 * 0.9  # backoff after the 500
    assert times[2] - times[1] >= 0.3 + 0.2 * 0.9  # the client's timeout, then a longer backoff
    assert time.monotonic() - began < 5.0


def test_a_refused_listen_is_dropped_with_its_reason(copy_corpus_store, corpus_dir, server):
    store = copy_corpus_store
    submitter = ListenBrainzSubmitter(store.path, _settings(server))
    _queued(store, corpus_dir, submitter, "victory.ogg", "defeat2.ogg", "elf-land.ogg")
    server.refuse_titles = {"Defeat"}
    assert submitter.send_pending(store) == 0.0
    assert submit_sql.entries(store) == []
    assert [(r.listen_type, r.titles) for r in server.submits()] == [
        ("import", ["Victory", "Defeat", "Elf Land"]),  # one batch, refused as a whole
        ("single", ["Victory"]),  # then one by one
        ("single", ["Defeat"]),
        ("single", ["Elf Land"]),
    ]
    (refused,) = submit_sql.refused(store)
    assert (refused["artist"], refused["title"]) == ("Ryan Reilly", "Defeat")
    assert refused["reason"] == "HTTP 400: Value for key track_name is refused by the test"


def _refused(
    store: Store, corpus_dir: Path, server: FakeListenBrainz
) -> tuple[ListenBrainzSubmitter, ListenBrainzSettings, list]:
    """A listen queued and one round sent with a token the server refuses: the submitter, its settings and
    the problems it reported."""
    settings = _settings(server, token="wrong-token")
    submitter = ListenBrainzSubmitter(store.path, settings)
    problems: list = []
    submitter.on_problem(problems.append)
    _queued(store, corpus_dir, submitter, "victory.ogg")
    submitter.send_pending(store)
    return submitter, settings, problems


def test_a_refused_token_stops_sending_until_it_changes(copy_corpus_store, corpus_dir, server):
    store = copy_corpus_store
    submitter, settings, problems = _refused(store, corpus_dir, server)
    assert len(server.requests) == 1 and server.requests[0].authorization == "Token wrong-token"
    assert problems and "does not accept your user token" in problems[-1] and "Settings" in problems[-1]
    assert "HTTP" not in problems[-1]  # the server's words, not a status code that reads as success
    assert submitter.problem == problems[-1]
    (entry,) = submit_sql.entries(store)
    assert entry.attempts == 0  # the listen is kept, its attempts untouched
    submitter.play_started(track(store, corpus_dir, "battle.ogg")["id"], 318.0)
    for _ in range(3):
        assert submitter.send_pending(store) == settings.poll_interval_s
    assert len(server.requests) == 1  # stopped: not even "playing now"

    submitter.update_settings(dataclasses.replace(settings, token="another-wrong-one"))
    assert problems[-1] is None and submitter.problem is None
    submitter.send_pending(store)  # checked first: the server does not know it
    assert [(r.method, r.path) for r in server.requests[1:]] == [("GET", "/1/validate-token")]
    assert problems[-1] and submitter.problem
    assert submitter.send_pending(store) == settings.poll_interval_s and len(server.requests) == 2

    submitter.update_settings(dataclasses.replace(settings, token=TOKEN))
    submitter.send_pending(store)
    assert [(r.method, r.path, r.listen_type) for r in server.requests[2:]] == [
        ("GET", "/1/validate-token", None),
        ("POST", "/1/submit-listens", "single"),
    ]
    assert server.requests[-1].authorization == f"Token {TOKEN}"
    assert submit_sql.entries(store) == [] and submitter.problem is None


def test_a_rate_limit_waits_for_the_reset(copy_corpus_store, corpus_dir, server):
    store = copy_corpus_store
    clock = Clock()
    submitter = ListenBrainzSubmitter(store.path, _settings(server, backoff_cap_s=60.0), clock=clock)
    _queued(store, corpus_dir, submitter, "victory.ogg")
    server.answers = ["rate"]
    server.reset_in = 7
    assert submitter.send_pending(store) == pytest.approx(7.0)
    (entry,) = submit_sql.entries(store)
    assert entry.attempts == 0 and entry.next_try_at == pytest.approx(clock.now + 7.0)
    clock.now += 6.9
    assert submitter.send_pending(store) == pytest.approx(0.1)
    assert len(server.submits()) == 1  # nothing before the reset
    clock.now += 0.1
    server.answers = ["ok-last"]  # accepted, but the window is used up: wait again before the next
    assert submitter.send_pending(store) == pytest.approx(7.0)
    assert submit_sql.entries(store) == [] and len(server.submits()) == 2
    _queued(store, corpus_dir, submitter, "defeat.ogg")
    assert submitter.send_pending(store) == pytest.approx(7.0) and len(server.submits()) == 2
    clock.now += 7.0
    submitter.send_pending(store)
    assert submit_sql.entries(store) == [] and len(server.submits()) == 3


def test_the_queue_survives_a_restart(copy_corpus_store, corpus_dir, server):
    store = copy_corpus_store
    path = store.path
    server.default = "error"  # the server is down for this whole run
    first = ListenBrainzSubmitter(path, _settings(server, backoff_base_s=0.05))
    ctl = _queued(store, corpus_dir, first, "victory.ogg", "defeat.ogg")
    first.send_pending(store)
    ctl.shutdown()
    store.close()

    server.default = "ok"
    with Store.open(path) as reopened:
        entries = submit_sql.entries(reopened)
        assert [e.attempts for e in entries] == [1, 1] and all("HTTP 500" in e.last_error for e in entries)
        second = ListenBrainzSubmitter(path, _settings(server))
        second.start()
        try:
            _wait(lambda: submit_sql.entries(reopened) == [])
        finally:
            assert second.close()
    batches = server.submits("import")
    assert len(batches) == 2 and batches[0].body == batches[1].body  # the same listens, sent after all


def test_two_senders_never_claim_the_same_listen(tmp_store):
    from player.store.plays import start_play

    play_id = start_play(tmp_store, _a_track(tmp_store), "s", duration=100.0)
    assert submit_sql.enqueue(tmp_store, play_id, {"listened_at": 1}, now=10.0)
    assert not submit_sql.enqueue(tmp_store, play_id, {"listened_at": 1}, now=10.0)  # one play, one listen
    assert len(submit_sql.claim_due(tmp_store, now=10.0, limit=5, claim_until=20.0)) == 1
    assert submit_sql.claim_due(tmp_store, now=15.0, limit=5, claim_until=25.0) == []
    assert len(submit_sql.claim_due(tmp_store, now=20.0, limit=5, claim_until=30.0)) == 1  # claim ran out


def _a_track(store: Store) -> int:
    from player.store.tracks import upsert_tracks

    upsert_tracks(
        store,
        [{"path": "/music/a.ogg", "size": 1, "mtime": 1.0, "artist": "A", "title": "T", "tags_from_path": 0}],
    )
    return int(store.conn.execute("SELECT id FROM tracks").fetchone()[0])


# -- encore play ------------------------------------------------------------------------------------------


def test_encore_play_sends_its_listens_before_it_exits(copy_corpus_store, corpus_dir, server):
    store = copy_corpus_store
    _settings(server, timeout_s=2.0).save(store)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "play", "--db", str(store.path), "--no-audio", "--rate", "32"]
        + ["Timothy Pinkham - Defeat"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [r.titles for r in server.submits("single")] == [["Defeat"]]
    assert submit_sql.entries(store) == []


def test_a_hanging_server_never_holds_playback(copy_corpus_store, corpus_dir, server):
    """The player's thread only writes to SQLite: a play closes at once while the sender hangs."""
    store = copy_corpus_store
    server.default = "hang"
    server.hang_s = 5.0
    submitter = ListenBrainzSubmitter(store.path, _settings(server, timeout_s=3.0))
    ctl = _controller(store)
    submitter.attach(ctl)
    submitter.start()
    try:
        victory, defeat = track(store, corpus_dir, "victory.ogg"), track(store, corpus_dir, "defeat.ogg")
        ctl.play_tracks([victory["id"], defeat["id"]])
        server.wait_for(lambda rs: len(rs) >= 1)  # "playing now" hangs in the sender
        began = time.monotonic()
        done = threading.Event()
        ctl.on_play_finished(lambda play: done.set())
        ctl.player.advance(victory["duration"] + 0.5)
        assert done.is_set() and time.monotonic() - began < 0.5
        assert len(submit_sql.entries(store)) == 1
    finally:
        server.close()  # releases the hang
        submitter.close(join_s=5.0)
        ctl.shutdown()


def test_a_refused_token_turned_off_and_on_again_is_said_again(copy_corpus_store, corpus_dir, server):
    """Found in a review: sending turned off cleared the refused token's notice, and turned on again with
    the same token, sending stopped without a word while listens piled up."""
    store = copy_corpus_store
    submitter, settings, problems = _refused(store, corpus_dir, server)
    assert submitter.problem and "does not accept your user token" in submitter.problem
    submitter.update_settings(dataclasses.replace(settings, enabled=False))
    assert submitter.problem is None and problems[-1] is None  # off: nothing to fix
    submitter.update_settings(settings)  # on again, with the same token
    submitter.send_pending(store)
    assert submitter.problem and "does not accept your user token" in submitter.problem
    assert [r.path for r in server.requests] == ["/1/submit-listens", "/1/validate-token"]  # checked again
