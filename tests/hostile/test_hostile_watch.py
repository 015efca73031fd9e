"""Issue 27 item 5: the folder watcher must not keep a half-written file. A real copy that pauses
half-way into a watched folder (``head -c 20000; sleep; tail -c +20001``): the library ends with the
whole file, and an analysis that failed on the partial file is due again."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from ui_helpers import WAIT, WESNOTH, close_window, open_window, set_ui_settings, small_library

from player.store import Store
from player.store.analysis import save_analysis_errors, tracks_to_analyze
from player.store.tracks import get_track_by_path

PAUSE_S = 4.0  # longer than the watcher's debounce: the old code scanned the file during the pause


@pytest.fixture(autouse=True)
def _silent_audio(monkeypatch):
    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")


def _write_with_a_pause(src: Path, dest: Path, started: threading.Event, first_half: threading.Event) -> None:
    data = src.read_bytes()
    with open(dest, "wb") as out:
        started.set()
        out.write(data[:20000])
        out.flush()
        first_half.set()
        time.sleep(PAUSE_S)
        out.write(data[20000:])


def test_a_file_written_with_a_pause_lands_whole_and_its_failed_analysis_is_retried(
    qtbot, corpus_dir, tmp_path
):
    music = tmp_path / "music"
    db = small_library(corpus_dir, music, tmp_path / "encore.db", wesnoth=1)
    set_ui_settings(db, analysis_enabled=False)
    src = sorted((corpus_dir / WESNOTH).glob("*.ogg"))[4]
    late = music / "late.ogg"
    window, store = open_window(qtbot, db)
    started, first_half = threading.Event(), threading.Event()
    writer = threading.Thread(target=_write_with_a_pause, args=(src, late, started, first_half))
    try:
        qtbot.waitUntil(lambda: window.watcher.directories == [str(music)], timeout=WAIT)
        writer.start()

        def partial_seen() -> bool:  # what the app stored while the copy paused, if anything
            row = get_track_by_path(store, str(late))
            return writer.is_alive() and row is not None and row["size"] == 20000

        # While paused, the app either waits or stores the partial file; mark a failed analysis on it
        # then (what the analysis of a truncated file records), to check that it is retried.
        deadline = time.monotonic() + PAUSE_S + 30
        while writer.is_alive() and time.monotonic() < deadline:
            qtbot.wait(100)
            if partial_seen():
                row = get_track_by_path(store, str(late))
                save_analysis_errors(store, [(row["id"], "decode: truncated")])
                break
        writer.join(timeout=PAUSE_S + 30)
        size = src.stat().st_size

        def whole() -> bool:
            row = get_track_by_path(store, str(late))
            return row is not None and row["size"] == size

        qtbot.waitUntil(whole, timeout=WAIT)
        row = get_track_by_path(store, str(late))
        import mutagen

        assert row["duration"] == pytest.approx(mutagen.File(src).info.length, abs=0.1)
        assert row["id"] in {job.track_id for job in tracks_to_analyze(store)}
    finally:
        writer.join(timeout=PAUSE_S + 30)
        close_window(window, store)


def test_the_scan_leaves_a_file_still_being_written_for_later(tmp_path, corpus_dir):
    from player.library import scan

    music = tmp_path / "music"
    music.mkdir()
    src = sorted((corpus_dir / WESNOTH).glob("*.ogg"))[0]
    (music / "fresh.ogg").write_bytes(src.read_bytes())
    with Store.open(tmp_path / "encore.db") as store:
        summary = scan(store, [music], settle_s=3600)
        assert summary.added == 0 and summary.settling == [str(music / "fresh.ogg")]
        assert summary.missing == 0 and summary.errors == 0
        summary = scan(store, [music])  # the CLI's scan reads it at once
        assert summary.added == 1
