"""The libvlc backend playing real corpus tracks (silent ``adummy`` output, high rates to finish fast)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from playback_helpers import Recorder, landed_at, track, wesnoth

from player.outcomes import classify
from player.playback import PlaybackSettings, PlayItem
from player.playback.events import PlaybackError, PositionChanged, StateChanged, TrackEnded, TrackStarted
from player.playback.vlc import VlcPlayer
from player.session import PlaybackController
from player.store.plays import recent_plays
from player.store.tracks import get_track_by_path

FAST = 32.0


def _settings(**kw) -> PlaybackSettings:
    return PlaybackSettings(**{"audio_output": "adummy", "position_interval_s": 0.05, **kw})


@pytest.fixture
def player():
    p = VlcPlayer(_settings())
    yield p
    p.shutdown()


def _item(corpus_dir: Path, name: str, key: object = None) -> PlayItem:
    return PlayItem(str(wesnoth(corpus_dir, name)), key=key or name)


def test_event_sequence_and_preloaded_hand_over(player, corpus_dir):
    rec = Recorder()
    player.events.subscribe(rec)
    player.set_rate(FAST)
    player.load(_item(corpus_dir, "victory.ogg"))
    first_deck = player.deck_index
    player.set_next(_item(corpus_dir, "defeat.ogg"))
    rec.wait_for(lambda e: isinstance(e, StateChanged) and e.state == "stopped")

    assert rec.kinds(skip=(PositionChanged,)) == [
        "TrackStarted",
        "StateChanged",
        "TrackEnded",
        "TrackStarted",
        "TrackEnded",
        "StateChanged",
    ]
    started, ended = rec.of(TrackStarted), rec.of(TrackEnded)
    assert [s.transition for s in started] == ["load", "auto"]
    assert [e.item.key for e in ended] == ["victory.ogg", "defeat.ogg"]
    assert all(e.reason == "eos" for e in ended)
    for e in ended:  # played to the end at 32x: the whole track counts as listened
        assert e.position == pytest.approx(e.duration, abs=0.01)
        assert e.listened == pytest.approx(e.duration, rel=0.02)
    assert ended[0].duration == pytest.approx(5.46, abs=0.1)
    # The preloaded second media player took over.
    assert player.deck_index != first_deck
    assert rec.of(PositionChanged), "position events while playing"
    # libavformat (the Ogg demuxer) knows the length ~60 ms after the start; a report before that has
    # no duration, as these items carry none of their own (the app's come from the library).
    positions = [p for p in rec.of(PositionChanged) if p.duration is not None]
    assert positions and all(p.listened <= p.duration + 0.01 for p in positions)


def test_events_arrive_on_the_player_thread_in_order(player, corpus_dir):
    import threading

    threads = []
    player.events.subscribe(lambda e: threads.append(threading.current_thread().name))
    rec = Recorder()
    player.events.subscribe(rec)
    player.set_rate(FAST)
    player.load(_item(corpus_dir, "defeat.ogg"))
    rec.wait_for(lambda e: isinstance(e, TrackEnded))
    assert set(threads) == {"encore-vlc"}


def test_pause_resume_seek_and_listened_time(player, corpus_dir):
    rec = Recorder()
    player.events.subscribe(rec)
    player.load(_item(corpus_dir, "defeat2.ogg"))  # 14.2 s at 1x
    rec.wait_for(lambda e: isinstance(e, PositionChanged) and e.position > 0.3)
    player.pause()
    rec.wait_for(lambda e: isinstance(e, StateChanged) and e.state == "paused")
    assert player.state == "paused"
    player.play()
    rec.wait_for(lambda e: isinstance(e, StateChanged) and e.state == "playing", count=2)
    player.seek(12.5)  # jump forward: the jump is not listening time
    ended = rec.wait_for(lambda e: isinstance(e, TrackEnded))[0]
    assert ended.reason == "eos"
    assert ended.position == pytest.approx(ended.duration, abs=0.01)
    assert ended.listened < 8.0, ended  # ~0.5 s before the seek + what played after it
    assert classify(ended.listened, ended.duration, ended.reason, PlaybackSettings()) == "skipped"


def _recording_player(wav: Path) -> VlcPlayer:
    """A player writing what it plays to ``wav`` (libvlc's ``afile`` output, at 1x)."""
    return VlcPlayer(_settings(audio_output="afile", extra_vlc_args=[f"--audiofile-file={wav}"]))


# libvlc's own Ogg demuxer landed these 5.9 s and 6.3 s late (byte offset from the nominal bitrate).
OGG_TARGETS = [("wanderer.ogg", 60.0), ("knalgan_theme.ogg", 306.0)]


@pytest.mark.parametrize(("name", "target"), OGG_TARGETS)
def test_a_restored_position_starts_where_it_was_on_ogg_vorbis(corpus_dir, tmp_path, name, target):
    wav = tmp_path / "out.wav"
    player = _recording_player(wav)
    try:
        rec = Recorder()
        player.events.subscribe(rec)
        player.load(_item(corpus_dir, name), start=target)  # the restored position (``:start-time``)
        moved = rec.wait_for(lambda e: isinstance(e, PositionChanged) and e.position > target + 0.05)
        # The first position libvlc reports once audio plays: at most one report step (~0.25 s) plus
        # the polling interval after the landing point.
        assert moved[0].position - target < 1.0, moved[0]
        rec.wait_for(lambda e: isinstance(e, PositionChanged) and e.position > moved[0].position + 0.4)
    finally:
        player.shutdown()  # closes the WAV
    assert landed_at(wav, wesnoth(corpus_dir, name), target) == pytest.approx(target, abs=0.5)


@pytest.mark.parametrize(("name", "target"), OGG_TARGETS)
def test_a_seek_lands_where_asked_on_ogg_vorbis(corpus_dir, tmp_path, name, target):
    wav = tmp_path / "out.wav"
    player = _recording_player(wav)
    try:
        rec = Recorder()
        player.events.subscribe(rec)
        player.load(_item(corpus_dir, name))
        rec.wait_for(lambda e: isinstance(e, PositionChanged) and e.position > 0.3)
        player.seek(target)
        moved = rec.wait_for(lambda e: isinstance(e, PositionChanged) and e.position > target + 0.05)
        assert moved[0].position - target < 1.0, moved[0]
        last = rec.wait_for(lambda e: isinstance(e, PositionChanged) and e.position > moved[0].position + 0.4)
        assert last[0].listened > 0.3, "listening time counts again after the seek"
    finally:
        player.shutdown()
    # The audio before the seek (the first ~0.5 s of the file) lies outside the searched window.
    assert landed_at(wav, wesnoth(corpus_dir, name), target) == pytest.approx(target, abs=0.5)


def test_next_goes_to_the_preloaded_track_and_stop_keeps_it_loaded(player, corpus_dir):
    rec = Recorder()
    player.events.subscribe(rec)
    player.load(_item(corpus_dir, "victory2.ogg"))
    player.set_next(_item(corpus_dir, "defeat2.ogg"))
    rec.wait_for(lambda e: isinstance(e, PositionChanged))
    assert player.next()
    started = rec.wait_for(lambda e: isinstance(e, TrackStarted), count=2)[1]
    assert started.transition == "next" and started.item.key == "defeat2.ogg"
    assert rec.of(TrackEnded)[0].reason == "next"
    player.stop()
    rec.wait_for(lambda e: isinstance(e, TrackEnded) and e.reason == "stopped")
    assert player.state == "stopped" and player.current.key == "defeat2.ogg"
    assert player.next() is False  # nothing queued after it


def test_unplayable_files_give_error_events_and_playback_goes_on(player, corpus_dir, tmp_path):
    corrupt = tmp_path / "corrupt.ogg"
    corrupt.write_bytes(b"OggS" + bytes(range(256)) * 64)
    rec = Recorder()
    player.events.subscribe(rec)
    player.set_rate(FAST)

    def chain(event):  # subscribers run before the worker handles libvlc's next message
        if isinstance(event, TrackStarted) and event.item.key == "missing":
            player.set_next(_item(corpus_dir, "victory.ogg"))

    player.events.subscribe(chain)
    player.set_next(PlayItem(str(tmp_path / "missing.ogg"), key="missing"))  # before: it may fail at once
    player.load(PlayItem(str(corrupt), key="corrupt"))
    rec.wait_for(lambda e: isinstance(e, StateChanged) and e.state == "stopped")
    assert [e.item.key for e in rec.of(PlaybackError)] == ["corrupt", "missing"]
    ended = rec.of(TrackEnded)
    assert [(e.item.key, e.reason) for e in ended] == [
        ("corrupt", "error"),
        ("missing", "error"),
        ("victory.ogg", "eos"),
    ]


def test_crossfade_starts_the_next_track_before_the_end(corpus_dir):
    # 3 s: the silent adummy output ends a track when its demuxer ends, ~1.3 s before the audio would.
    player = VlcPlayer(_settings(crossfade_s=3.0))
    try:
        rec = Recorder()
        player.events.subscribe(rec)
        player.set_rate(8.0)
        player.load(_item(corpus_dir, "defeat2.ogg"))
        player.set_next(_item(corpus_dir, "victory.ogg"))
        rec.wait_for(lambda e: isinstance(e, StateChanged) and e.state == "stopped")
        started = rec.of(TrackStarted)
        assert [s.transition for s in started] == ["load", "crossfade"]
        first_end = rec.of(TrackEnded)[0]
        assert first_end.reason == "eos"
        assert 2.0 <= first_end.duration - first_end.position <= 3.5  # ended ~3 s early: the fade
        assert classify(first_end.listened, first_end.duration, "eos", PlaybackSettings()) == "completed"
    finally:
        player.shutdown()


def test_controller_logs_completed_skipped_stopped_and_error(copy_corpus_store, corpus_dir, tmp_path):
    store = copy_corpus_store
    # A library track whose file got corrupted after the scan.
    from player.library import scan

    broken = tmp_path / "broken.ogg"
    shutil.copyfile(wesnoth(corpus_dir, "victory.ogg"), broken)
    scan(store, [broken])
    broken_row = get_track_by_path(store, str(broken))
    broken.write_bytes(b"OggS" + b"\0" * 5000)

    defeat = track(store, corpus_dir, "defeat.ogg")
    victory2 = track(store, corpus_dir, "victory2.ogg")
    defeat2 = track(store, corpus_dir, "defeat2.ogg")
    controller = PlaybackController(store, settings=_settings())
    rec = Recorder()
    controller.events.subscribe(rec)
    finished = []
    controller.on_play_finished(finished.append)
    try:
        controller.player.set_rate(FAST)
        controller.play_tracks([broken_row["id"], defeat["id"]], source="album")
        rec.wait_for(lambda e: isinstance(e, StateChanged) and e.state == "stopped")
        assert [f.outcome for f in finished] == ["error", "completed"]
        assert controller.queue.current.track_id == defeat["id"]  # the queue went on past the error

        controller.player.set_rate(1.0)
        controller.play_tracks([victory2["id"], defeat2["id"]], source="radio", seed="track:1")
        rec.wait_for(lambda e: isinstance(e, PositionChanged) and e.item.path == victory2["path"])
        controller.next()  # a few tenths of a second in: a skip
        rec.wait_for(lambda e: isinstance(e, PositionChanged) and e.item.path == defeat2["path"])
        controller.stop()
        rec.wait_for(lambda e: isinstance(e, TrackEnded) and e.reason == "stopped")
    finally:
        controller.shutdown()
    assert [f.outcome for f in finished] == ["error", "completed", "skipped", "stopped"]
    rows = {r["track_id"]: r for r in recent_plays(store, 10)}
    assert rows[defeat["id"]]["outcome"] == "completed"
    assert rows[defeat["id"]]["seconds_listened"] == pytest.approx(defeat["duration"], rel=0.02)
    assert rows[defeat["id"]]["source"] == "album"
    assert rows[victory2["id"]]["outcome"] == "skipped"
    assert (rows[victory2["id"]]["source"], rows[victory2["id"]]["seed"]) == ("radio", "track:1")
    assert rows[defeat2["id"]]["outcome"] == "stopped"
    assert rows[broken_row["id"]]["outcome"] == "error"
    assert all(r["ended_at"] >= r["started_at"] for r in rows.values())
    assert sum(r["first_in_session"] for r in rows.values()) == 1


def test_why_a_play_ended_survives_libvlcs_late_end_report(copy_corpus_store, corpus_dir):
    """libvlc reports a track's end from its own thread after the command returned: a new queue is still
    "replaced", a jump to a queue entry and Next on the last track are still skips (issue 21)."""
    store = copy_corpus_store
    a, b, c = (track(store, corpus_dir, n) for n in ("defeat.ogg", "victory2.ogg", "defeat2.ogg"))
    controller = PlaybackController(store, settings=_settings())
    rec = Recorder()
    controller.events.subscribe(rec)
    finished = []
    controller.on_play_finished(finished.append)

    def playing(t: dict) -> None:
        rec.wait_for(
            lambda e: isinstance(e, PositionChanged) and e.item.path == t["path"] and e.position > 0.5
        )

    try:
        controller.play_tracks([a["id"], b["id"], c["id"]])
        playing(a)
        controller.play_entry(controller.queue.entries[2].id)  # a jump: a skip of a
        playing(c)
        controller.play_tracks([b["id"]])  # a new queue: c is replaced
        playing(b)
        controller.next()  # Next on the last track: a skip of b
        rec.wait_for(lambda e: isinstance(e, TrackEnded) and e.item.path == b["path"])
        deadline = time.monotonic() + 10
        while len(finished) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        controller.shutdown()
    assert [(f.track_id, f.outcome) for f in finished[:3]] == [
        (a["id"], "skipped"),
        (c["id"], "replaced"),
        (b["id"], "skipped"),
    ]
