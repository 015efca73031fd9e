"""``encore play`` end to end in a subprocess, including a process killed while playing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playback_helpers import track

from player.listening import ListeningLog
from player.playback import PlaybackSettings
from player.store import Store
from player.store.plays import get_play, open_plays, recent_plays

REPO = Path(__file__).resolve().parent.parent


def _encore(*args: str, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, str(REPO / "main.py"), *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kw,
    )


def test_play_command_plays_and_logs(copy_corpus_store, corpus_dir):
    store = copy_corpus_store
    db = str(store.path)
    proc = _encore("play", "--db", db, "--no-audio", "--rate", "32", "Timothy Pinkham - Defeat", "victory")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert out.count("completed") == 2, out
    rows = recent_plays(store, 5)
    assert [r["title"] for r in rows] == ["Victory", "Defeat"]
    assert all(r["outcome"] == "completed" and r["source"] == "library" for r in rows)

    proc = _encore("play", "--db", db, "no such track anywhere")
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "no track matches" in out


def test_a_killed_player_loses_at_most_one_checkpoint(copy_corpus_store, corpus_dir):
    store = copy_corpus_store
    PlaybackSettings(checkpoint_interval_s=0.5, position_interval_s=0.25).save(store)
    long = track(store, corpus_dir, "knalgan_theme.ogg")  # 557 s: still playing when killed
    proc = _encore("play", "--db", str(store.path), "--no-audio", "--rate", "4", long["path"])
    try:
        deadline = time.monotonic() + 60
        row = None
        while time.monotonic() < deadline:
            rows = open_plays(store)
            if rows and rows[0]["position"] >= 2.0:
                row = rows[0]
                break
            time.sleep(0.1)
        assert row is not None, "the play was never checkpointed"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    killed = open_plays(store)
    assert len(killed) == 1 and killed[0]["id"] == row["id"]
    last = killed[0]  # what the dead process wrote last

    log = ListeningLog(store, PlaybackSettings.load(store))  # what the next start does
    assert [p.play_id for p in log.recovered] == [row["id"]]
    closed = get_play(store, row["id"])
    assert closed["outcome"] == "stopped"
    assert closed["position"] == pytest.approx(last["position"])
    assert closed["seconds_listened"] == pytest.approx(last["seconds_listened"])
    assert closed["ended_at"] == pytest.approx(last["updated_at"])
    assert closed["position"] >= 2.0
    assert open_plays(store) == []
    with Store.open(store.path) as again:  # and it stays closed for every later reader
        assert get_play(again, row["id"])["outcome"] == "stopped"


def test_no_sound_card_says_so_once_and_keeps_libasound_quiet(copy_corpus_store, tmp_path):
    """With no sound card libvlc's ALSA output retries all the time, and libasound printed eight lines
    a try to the terminal (1,904 lines in 4 s here); Encore says in one line that no sound reaches a
    device, and libasound's own lines go to its log. ``ALSA_CARD`` names a card no machine has."""
    db = str(copy_corpus_store.path)
    env = dict(os.environ, PYTHONUNBUFFERED="1", ENCORE_AUDIO_OUTPUT="alsa", ALSA_CARD="99")
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "main.py"), "play", "--db", db, "victory"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    err = ""
    try:
        import selectors

        ready = selectors.DefaultSelector()
        ready.register(proc.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        lines: list[str] = []
        while time.monotonic() < deadline:  # the warning comes a second or two into the track
            if not ready.select(timeout=1):  # a silent child never blocks the test past its deadline
                continue
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            if "no sound is reaching" in line:
                break
        time.sleep(2)  # libasound's retries go on meanwhile
    finally:
        proc.send_signal(signal.SIGINT)
        rest, more = proc.communicate(timeout=60)
        err = "".join(lines) + more
    assert "encore: no sound is reaching an audio device (alsa)" in err
    assert err.count("no sound is reaching") == 1
    assert "ALSA lib" not in err, err[:500]
    assert "▶" in rest
