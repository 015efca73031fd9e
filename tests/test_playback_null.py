"""The null backend (fake clock), the controller's queue/player wiring, ReplayGain and settings."""

from __future__ import annotations

import pytest
from playback_helpers import Recorder, track, wesnoth

from player.playback import PlaybackSettings, PlayItem, create_player
from player.playback.base import ListenMeter, gain_to_volume
from player.playback.events import PlaybackError, PositionChanged, StateChanged, TrackEnded, TrackStarted
from player.playback.null import NullPlayer
from player.playback.replaygain import track_gain_db
from player.session import PlaybackController


def test_null_player_event_sequence_and_hand_over(corpus_dir):
    player = create_player(PlaybackSettings(position_interval_s=1.0), backend="null")
    assert isinstance(player, NullPlayer)
    rec = Recorder()
    player.events.subscribe(rec)
    player.load(PlayItem(str(wesnoth(corpus_dir, "victory.ogg")), key=1, duration=5.0))
    player.set_next(PlayItem(str(wesnoth(corpus_dir, "defeat.ogg")), key=2, duration=8.0))
    player.advance(6.0)  # 5 s of the first track, 1 s of the second
    assert [type(e).__name__ for e in rec.events if not isinstance(e, PositionChanged)] == [
        "TrackStarted",
        "StateChanged",
        "TrackEnded",
        "TrackStarted",
    ]
    assert rec.of(TrackEnded)[0].listened == pytest.approx(5.0)
    assert [s.transition for s in rec.of(TrackStarted)] == ["load", "auto"]
    assert player.position == pytest.approx(1.0)
    player.pause()
    player.advance(10.0)
    assert player.position == pytest.approx(1.0)
    player.play()
    player.advance(10.0)
    assert rec.of(StateChanged)[-1].state == "stopped"


def test_null_player_reports_missing_files(tmp_path):
    player = NullPlayer()
    rec = Recorder()
    player.events.subscribe(rec)
    player.load(PlayItem(str(tmp_path / "nope.ogg"), key="x"))
    assert [type(e).__name__ for e in rec.events] == [
        "TrackStarted",
        "PlaybackError",
        "TrackEnded",
        "StateChanged",
    ]
    assert isinstance(rec.events[1], PlaybackError) and rec.events[2].reason == "error"


def test_listen_meter_ignores_seeks_and_stale_samples():
    m = ListenMeter()
    for p in (0.4, 0.8, 1.2):
        m.update(p)
    m.seeked(100.0)
    m.update(1.3)  # the backend still reports the old position
    m.update(100.4)
    m.update(100.2)  # jitter backwards
    m.update(100.8)
    assert m.listened == pytest.approx(2.0) and m.position == pytest.approx(100.8)
    m.seeked(10.0)  # backwards
    m.update(100.9)  # stale
    m.update(10.5)
    assert m.listened == pytest.approx(2.5)


def test_replaygain_choice(copy_corpus_store, corpus_dir):
    row = dict(track(copy_corpus_store, corpus_dir, "battle.ogg"))
    s = PlaybackSettings()
    assert track_gain_db(row, s, album_in_order=False) == s.replaygain_fallback_db  # the corpus is untagged
    row.update(rg_track_gain=-7.5, rg_track_peak=0.9, rg_album_gain=-9.0, rg_album_peak=0.95)
    assert track_gain_db(row, s, album_in_order=False) == -7.5
    assert track_gain_db(row, s, album_in_order=True) == -9.0
    assert track_gain_db(row, PlaybackSettings(replaygain="album"), album_in_order=False) == -9.0
    assert track_gain_db(row, PlaybackSettings(replaygain="off"), album_in_order=True) == 0.0
    loud = dict(row, rg_track_gain=+6.0, rg_track_peak=0.8)  # +6 dB would clip a 0.8 peak
    assert track_gain_db(loud, PlaybackSettings(replaygain="track"), album_in_order=False) == pytest.approx(
        1.938, abs=1e-3
    )
    assert track_gain_db(dict(row, rg_track_gain=None), s, album_in_order=False) == -9.0  # album as fallback
    for junk_peak in (0.0, -0.5):  # a broken peak tag is ignored, never a crash
        assert track_gain_db(dict(row, rg_track_peak=junk_peak), s, album_in_order=False) == -7.5
    # libvlc's volume is cubic in amplitude: -6.02 dB (amplitude 0.5) is 100 * 0.5 ** (1/3).
    assert gain_to_volume(100, -6.0206) == 79
    assert gain_to_volume(100, 0.0) == 100 and gain_to_volume(0, 6.0) == 0


def test_controller_applies_album_gain_only_for_albums_in_order(copy_corpus_store, corpus_dir):
    store = copy_corpus_store
    a, b = track(store, corpus_dir, "battle.ogg"), track(store, corpus_dir, "defeat.ogg")
    s = PlaybackSettings(replaygain_fallback_db=-4.0)
    ctl = PlaybackController(store, settings=s, player=NullPlayer(s))
    ctl.play_tracks([a["id"], b["id"]], source="album")
    assert ctl.player.current.gain_db == -4.0 and ctl.player.next_item.key == ctl.queue.entries[1].id


def test_controller_keeps_the_players_next_in_step_with_the_queue(copy_corpus_store, corpus_dir):
    store = copy_corpus_store
    a, b, c, d = (track(store, corpus_dir, n) for n in ("battle.ogg", "defeat.ogg", "victory.ogg", "sad.ogg"))
    s = PlaybackSettings(position_interval_s=1.0)
    ctl = PlaybackController(store, settings=s, player=NullPlayer(s))
    ctl.play_tracks([a["id"], b["id"]])
    assert ctl.player.next_item.path == b["path"]
    ctl.play_next([c["id"]])  # queue edits re-target the preloaded track
    assert ctl.player.next_item.path == c["path"]
    ctl.enqueue([d["id"]], source="radio", seed="track:1")
    ctl.next()
    assert ctl.player.current.path == c["path"] and ctl.queue.current.track_id == c["id"]
    ctl.player.advance(c["duration"] + 0.5)  # plays out: the queue follows the player
    assert ctl.queue.current.track_id == b["id"]
    ctl.player.seek(1.0)
    ctl.previous()  # early in the track: back to the previous entry
    assert ctl.player.current.path == c["path"]
    ctl.player.advance(5.0)
    ctl.previous()  # later on: restart the track
    assert ctl.player.current.path == c["path"] and ctl.player.position == pytest.approx(0.0)
    ctl.queue.set_repeat("one")
    ctl.player.advance(c["duration"] + 0.5)
    assert ctl.queue.current.track_id == c["id"]  # repeated
    ctl.shutdown()


def test_controller_restores_the_queue_after_restart(copy_corpus_store, corpus_dir):
    store = copy_corpus_store
    a, b = track(store, corpus_dir, "battle.ogg"), track(store, corpus_dir, "defeat.ogg")
    s = PlaybackSettings()
    ctl = PlaybackController(store, settings=s, player=NullPlayer(s))
    ctl.play_tracks([a["id"], b["id"]], source="album")
    ctl.next()
    ctl.shutdown()
    again = PlaybackController(store, settings=s, player=NullPlayer(s))
    assert again.restore().track_id == b["id"]
    assert again.player.current.path == b["path"] and again.player.state == "stopped"
    again.play()
    assert again.player.state == "playing"


def test_a_removed_entry_is_put_back_current_only_while_the_player_has_it(copy_corpus_store, corpus_dir):
    """A walk emptied the queue (Ctrl+A, Delete) under a paused track and pressed Next: the bar kept the
    track, and Play played its file again as a bare file; an Undo after that marked a current entry the
    player no longer had. Stopped on a removed entry, Play starts what followed its place, and an Undo
    makes it current only while it is still loaded (playing or paused); otherwise it waits in its place
    for Play."""
    store = copy_corpus_store
    a, b, c = (track(store, corpus_dir, n) for n in ("battle.ogg", "defeat.ogg", "victory.ogg"))
    s = PlaybackSettings(position_interval_s=1.0)
    ctl = PlaybackController(store, settings=s, player=NullPlayer(s))
    ctl.play_tracks([a["id"], b["id"], c["id"]], start=1)
    ctl.player.advance(3.0)
    removal = ctl.queue.take([e.id for e in ctl.queue.entries])  # everything, while b plays
    assert ctl.player.state == "playing" and ctl.queue.current is None
    ctl.put_back(removal)  # still playing: current again
    assert ctl.queue.current.track_id == b["id"] and [e.track_id for e in ctl.queue.entries] == [
        a["id"],
        b["id"],
        c["id"],
    ]
    removal = ctl.queue.take([ctl.queue.current.id])  # b taken out while it plays ...
    ctl.pause()
    ctl.play()  # ... a pause and a play go on with it
    assert ctl.player.current.path == b["path"] and ctl.player.state == "playing"
    ctl.queue.take([e.id for e in ctl.queue.upcoming()])  # nothing after it
    assert ctl.next() is None and ctl.player.state == "stopped"
    ctl.play()  # not b's file again, as a bare file: nothing follows its place
    assert ctl.player.state == "stopped"
    ctl.put_back(removal)  # stopped since: b is back in its place, not current
    assert ctl.queue.current is None and [e.track_id for e in ctl.queue.entries] == [a["id"], b["id"]]
    ctl.play()  # Play starts it, a queue entry again
    assert ctl.queue.current.track_id == b["id"] and ctl.player.state == "playing"
    ctl.shutdown()


def test_play_after_the_queue_ran_out_starts_it_again_from_its_first_entry(copy_corpus_store, corpus_dir):
    """A walk played every track of the queue to its end, then pressed Play: nothing played (restored
    after a restart, the last track resumed at its very end and stopped at once). Play after the queue
    ran out starts it again from its first entry, in the same run and after a restart; a track queued
    since plays first."""
    store = copy_corpus_store
    a, b, c = (track(store, corpus_dir, n) for n in ("defeat.ogg", "victory.ogg", "battle.ogg"))
    s = PlaybackSettings(position_interval_s=1.0)
    ctl = PlaybackController(store, settings=s, player=NullPlayer(s))
    ctl.play_tracks([a["id"], b["id"]])
    both = a["duration"] + b["duration"] + 1.0
    ctl.player.advance(both)
    assert ctl.player.state == "stopped" and ctl.queue.current.track_id == b["id"]  # ran out on b
    ctl.toggle()  # the window's Play
    assert ctl.queue.current.track_id == a["id"] and ctl.player.current.path == a["path"]
    assert ctl.player.state == "playing" and ctl.player.position == pytest.approx(0.0)
    ctl.player.advance(both)
    ctl.shutdown()
    again = PlaybackController(store, settings=s, player=NullPlayer(s))
    assert again.restore().track_id == b["id"] and again.resume_position is None  # not at b's very end
    again.play()
    again.player.advance(1.0)
    assert again.queue.current.track_id == a["id"] and again.player.state == "playing"
    again.player.advance(both)
    again.enqueue([c["id"]])  # queued after the end: Play plays it rather than the first entry
    again.play()
    assert again.queue.current.track_id == c["id"] and again.player.current.path == c["path"]
    again.stop()  # a Stop is not the queue running out: Play plays the same track again
    again.play()
    assert again.queue.current.track_id == c["id"] and again.player.state == "playing"
    again.shutdown()


def test_settings_round_trip_and_validation(tmp_store, monkeypatch):
    s = PlaybackSettings(crossfade_s=25.0, volume=150)
    assert s.crossfade_s == 10.0 and s.volume == 100
    with pytest.raises(ValueError):
        PlaybackSettings(replaygain="loud")
    PlaybackSettings(crossfade_s=2.5, skip_max_s=20.0).save(tmp_store)
    monkeypatch.delenv("ENCORE_AUDIO_OUTPUT", raising=False)
    loaded = PlaybackSettings.load(tmp_store)
    assert (loaded.crossfade_s, loaded.skip_max_s, loaded.audio_output) == (2.5, 20.0, None)
    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")
    overridden = PlaybackSettings.load(tmp_store)
    assert overridden.audio_output == "adummy"
    overridden.crossfade_s = 4.0
    overridden.save(tmp_store)  # e.g. the user pressed OK in Settings during a run with the override
    monkeypatch.delenv("ENCORE_AUDIO_OUTPUT")
    reloaded = PlaybackSettings.load(tmp_store)
    assert (reloaded.crossfade_s, reloaded.audio_output) == (4.0, None)  # the override was not saved
    with pytest.raises(ValueError):
        create_player(backend="gstreamer")


def test_each_undo_puts_back_the_newest_removal_left_and_none_into_a_replaced_queue(
    copy_corpus_store, corpus_dir
):
    """A walk removed tracks one by one and could undo only the last removal. Each Undo puts back the
    newest removal left, so three Undos after three removals give the queue back as it was; a removal
    from a queue replaced since (an album played) is never put into the new one."""
    from player.queue_removals import RemovalUndo

    store = copy_corpus_store
    songs = [track(store, corpus_dir, n)["id"] for n in ("battle.ogg", "defeat.ogg", "victory.ogg")]
    s = PlaybackSettings()
    ctl = PlaybackController(store, settings=s, player=NullPlayer(s))
    undo = RemovalUndo(ctl)
    ctl.play_tracks([*songs, *songs], source="album")
    before = [e.track_id for e in ctl.queue.entries]
    for position in (4, 2, 0):  # the fifth, the third, then the first entry, one at a time
        undo.took(ctl.queue.take([ctl.queue.entries[position].id]))
    assert len(ctl.queue) == 3 and len(undo) == 3
    assert undo.undo() is not None and len(ctl.queue) == 4  # the first entry is back ...
    assert [e.track_id for e in ctl.queue.entries][0] == before[0]
    assert undo.undo() is not None and undo.undo() is not None  # ... and the two before it
    assert [e.track_id for e in ctl.queue.entries] == before
    assert undo.undo() is None and len(undo) == 0

    undo.took(ctl.queue.take([ctl.queue.entries[1].id]))
    ctl.play_tracks(songs[:2], source="album")  # the queue replaced before the Undo
    assert len(undo) == 0 and undo.undo() is None
    assert [e.track_id for e in ctl.queue.entries] == songs[:2]
    ctl.shutdown()
