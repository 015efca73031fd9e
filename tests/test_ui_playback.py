"""Playback in the main window with the real libvlc player (silent ``adummy`` output), on private copies
of real corpus tracks: a vanished file is skipped and flagged, the seek bar jumps where it is clicked,
the position survives a restart (restored paused), and the transport controls (stop, shuffle, repeat).
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QPoint, Qt
from ui_helpers import WAIT, close_window, open_window, small_library

from player.store import Store
from player.store.tracks import get_track


@pytest.fixture(autouse=True)
def _silent_audio(monkeypatch):
    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")


@pytest.fixture
def small_db(corpus_dir, tmp_path) -> Path:
    return small_library(corpus_dir, tmp_path / "music", tmp_path / "encore.db")


def _ids(window) -> list[int]:
    return window.library.model.visible_ids()


def test_a_vanished_file_is_skipped_flagged_missing_and_explained(qtbot, small_db, tmp_path):
    window, store = open_window(qtbot, small_db)
    try:
        ids = _ids(window)[:3]
        window.play_tracks(ids, 0)
        qtbot.waitUntil(lambda: window.controller.player.state == "playing", timeout=WAIT)
        gone = Path(get_track(store, ids[1])["path"])
        gone.rename(tmp_path / "moved-away.ogg")
        window.next()  # the preloaded next file has vanished
        qtbot.waitUntil(lambda: window._current_track_id == ids[2], timeout=WAIT)
        qtbot.waitUntil(lambda: window.controller.player.state == "playing", timeout=WAIT)
        assert window.statusBar().currentMessage() == f"file not found: {gone} (skipped)"
        with Store.open(small_db) as check:
            assert get_track(check, ids[1])["missing"] == 1
            assert get_track(check, ids[2])["missing"] == 0
    finally:
        close_window(window, store)


def test_after_shutdown_the_queue_shows_nothing_and_reads_no_closed_store(qtbot, small_db):
    """CI once caught the queue view painted after the window's shutdown and the store's close: naming
    a row then read the closed store (a Qt-loop error). A shut window's queue shows no rows."""
    window, store = open_window(qtbot, small_db)
    try:
        window.play_tracks(_ids(window)[:3], 0)
        qtbot.waitUntil(lambda: window.queue_model.rowCount() == 3, timeout=WAIT)
    finally:
        close_window(window, store)
    assert window.queue_model.rowCount() == 0
    window.queue_model.changed.emit()  # a change queued before the close, delivered after it
    qtbot.wait(50)
    assert window.queue_model.rowCount() == 0
    window.queue_view.grab()  # a last paint names no row


def test_quitting_takes_the_window_off_screen_before_waiting_for_background_work(qtbot, small_db):
    """A walk pressed Ctrl+Q during a start-up scan: the window stayed on screen, not answering, for 5 s
    while the scan was being stopped, and read as Ctrl+Q doing nothing. By the time quitting waits for the
    background work, the window is gone."""
    window, store = open_window(qtbot, small_db)
    seen = []
    real_wait = window.runner.wait

    def wait(*args):
        seen.append(window.isVisible())
        return real_wait(*args)

    window.runner.wait = wait
    try:
        assert window.isVisible()
    finally:
        close_window(window, store)
    assert seen and seen[0] is False


def test_a_queued_entry_names_its_album_and_file_in_its_tooltip(qtbot, small_db):
    """Two queued tracks of one title and artist (two albums, two takes) read alike in the list: the
    tooltip tells them apart."""
    from PySide6.QtCore import Qt

    window, store = open_window(qtbot, small_db)
    try:
        ids = _ids(window)[:2]
        window.play_tracks(ids, 0)
        qtbot.waitUntil(lambda: window.queue_model.rowCount() == 2, timeout=WAIT)
        model = window.queue_model
        for row, track_id in enumerate(ids):
            stored = get_track(store, track_id)
            tip = model.data(model.index(row, 0), Qt.ItemDataRole.ToolTipRole)
            assert tip == f"From the library\nAlbum: {stored['album']}\nFile: {stored['path']}", tip
    finally:
        close_window(window, store)


def test_clicking_the_seek_bar_seeks_and_dragging_updates_both_times(qtbot, small_db):
    window, store = open_window(qtbot, small_db)
    try:
        window.play_tracks(_ids(window)[:1], 0)
        qtbot.waitUntil(lambda: (window.controller.player.duration or 0) > 60, timeout=WAIT)
        bar = window.now_playing
        duration = window.controller.player.duration
        slider = bar.seek
        qtbot.waitUntil(slider.isEnabled, timeout=WAIT)
        with qtbot.waitSignal(bar.seekRequested, timeout=WAIT) as sought:
            qtbot.mouseClick(
                slider,
                Qt.MouseButton.LeftButton,
                pos=QPoint(int(slider.width() * 0.75), slider.height() // 2),
            )
        assert 0.6 * duration < sought.args[0] < 0.9 * duration
        qtbot.waitUntil(lambda: window.controller.player.position > 0.5 * duration, timeout=WAIT)
        # While dragging, elapsed and remaining follow the handle (the player is not asked yet).
        bar._press()
        slider.setValue(250)  # where the user holds the handle
        slider.sliderMoved.emit(250)
        assert bar.elapsed.text() == _fmt(duration * 0.25)
        assert bar.remaining.text() == "-" + _fmt(duration * 0.75)
        qtbot.wait(1200)  # position reports keep coming while the handle is held: they must not win
        assert bar.elapsed.text() == _fmt(duration * 0.25)
        assert bar.remaining.text() == "-" + _fmt(duration * 0.75) and slider.value() == 250
        with qtbot.waitSignal(bar.seekRequested, timeout=WAIT) as released:
            bar._release()
        assert released.args[0] == pytest.approx(duration * 0.25)
    finally:
        close_window(window, store)


def _fmt(seconds: float) -> str:
    from ui.library_rows import format_duration

    return format_duration(seconds)


def test_the_position_is_restored_paused_after_a_restart(qtbot, small_db):
    window, store = open_window(qtbot, small_db)
    try:
        ids = _ids(window)[:2]
        window.play_tracks(ids, 1)
        qtbot.waitUntil(lambda: window.controller.player.state == "playing", timeout=WAIT)
        window.seek(40.0)
        qtbot.waitUntil(lambda: window.controller.player.position >= 40.0, timeout=WAIT)
    finally:
        close_window(window, store)
    window, store = open_window(qtbot, small_db)
    try:
        controller = window.controller
        assert controller.queue.current.track_id == ids[1]
        assert controller.player.state == "stopped"  # restored, not playing
        assert 40.0 <= controller.position < 50.0
        from ui.mpris import Mpris

        # Paused at its place, for the desktop too (a walk read "Stopped" at 2:40 with the track shown).
        assert Mpris(window).playback_status() == "Paused"
        assert window.now_playing.elapsed.text() == _fmt(controller.position)
        window.toggle()  # play goes on from there
        qtbot.waitUntil(lambda: controller.player.state == "playing", timeout=WAIT)
        qtbot.waitUntil(lambda: controller.player.position >= 40.0, timeout=WAIT)
        assert controller.resume_position is None
    finally:
        close_window(window, store)
    window, store = open_window(qtbot, small_db)  # restored paused again
    try:
        controller = window.controller
        assert controller.player.state == "stopped" and controller.resume_position is not None
        # The whole queue removed under it, then Next: nothing is left, and the bar says so (a walk saw
        # the track stay, and Play play its file again as a bare file).
        assert window.love_button.isEnabled()
        removal = controller.queue.take([e.id for e in controller.queue.entries])
        # Emptied under a stopped track, the bar says so at once, with nothing to love or ban (a walk
        # saw the track stay and Play do nothing; Next cleared it).
        qtbot.waitUntil(lambda: window.now_playing.title.text() == "Nothing playing", timeout=WAIT)
        assert window.current_entry is None and not window.love_button.isEnabled()
        window.next()
        assert window.now_playing.title.text() == "Nothing playing" and window.current_entry is None
        from ui.mpris import Mpris

        assert Mpris(window).playback_status() == "Stopped"
        window.toggle()
        qtbot.wait(300)
        assert controller.player.state == "stopped"
        controller.put_back(removal)  # the Undo: back in its place; Play plays it, a queue entry again
        window.toggle()
        qtbot.waitUntil(lambda: controller.player.state == "playing", timeout=WAIT)
        assert controller.queue.current.track_id == ids[1]
    finally:
        close_window(window, store)


def _radio_entries(window) -> list:
    return [e for e in window.controller.queue.upcoming() if e.source == "radio"]


def test_double_click_plays_the_visible_list_and_a_replaced_radio_can_come_back(qtbot, copy_corpus_store):
    from ui_helpers import set_ui_settings

    from player.store.tracks import find_track

    db = Path(copy_corpus_store.path)
    copy_corpus_store.close()
    set_ui_settings(db, first_run_done=True, analysis_enabled=False, scan_on_start=False)
    window, store = open_window(qtbot, db)
    try:
        seed = find_track(store, "Weight of Revenge")
        window.start_radio(seed["id"])
        qtbot.waitUntil(lambda: window.radio.active and len(_radio_entries(window)) >= 3, timeout=WAIT)
        label = window.radio.label
        window.library.model.set_filter("wesnoth")
        visible = window.library.model.visible_ids()
        window.library.table.doubleClicked.emit(window.library.model.index(2, 0))
        qtbot.waitUntil(lambda: window._current_track_id == visible[2], timeout=WAIT)
        assert [e.track_id for e in window.controller.queue.entries] == visible  # the list as shown
        assert not window.radio.active
        assert window.notice.isVisible() and label in window.notice.text.text()
        assert window.notice.action_button.text() == "Undo"
        window.notice.action_button.click()
        qtbot.waitUntil(lambda: window.radio.active and len(_radio_entries(window)) >= 3, timeout=WAIT)
        assert window.radio.label == label and window.controller.queue.current.track_id == seed["id"]
        assert not window.notice.isVisible()
        # A queued track starts a station of its own from the queue's menu, as from the library's.
        model = window.queue_model
        row = next(r for r in range(model.rowCount()) if model.entry_at(r).track_id != seed["id"])
        other = model.entry_at(row).track_id
        menu = window.queue_view.context_menu(model.index(row, 0))
        next(a for a in menu.actions() if a.text() == "Start radio from this song").trigger()
        qtbot.waitUntil(lambda: window.radio.active and window.radio.seed_track_id == other, timeout=WAIT)
    finally:
        close_window(window, store)


def test_transport_controls_enter_shortcuts_and_settings_key(qtbot, small_db):
    from PySide6.QtGui import QKeySequence
    from PySide6.QtWidgets import QTableWidget

    window, store = open_window(qtbot, small_db)
    try:
        ids = _ids(window)
        window.library.select_track(ids[2])
        window.library.table.setFocus()
        window.activateWindow()
        qtbot.keyClick(window.library.table, Qt.Key.Key_Return)  # Enter plays the selected row
        qtbot.waitUntil(lambda: window._current_track_id == ids[2], timeout=WAIT)
        assert [e.track_id for e in window.controller.queue.entries] == ids
        bar = window.now_playing
        bar.stop_button.click()
        qtbot.waitUntil(lambda: window.controller.player.state == "stopped", timeout=WAIT)
        bar.shuffle_button.click()
        assert window.controller.queue.shuffle
        assert sorted(e.track_id for e in window.controller.queue.upcoming()) == sorted(ids[3:])
        modes = []
        for _ in range(3):
            bar.repeat_button.click()
            modes.append((window.controller.queue.repeat, bar.repeat_mode))
        assert modes == [("all", "all"), ("one", "one"), ("off", "off")]
        assert window.settings_action.shortcut() == QKeySequence("Ctrl+,")
        window.show_shortcuts()
        table = window.shortcuts_dialog.findChild(QTableWidget)
        listed = dict(window.shortcut_list())
        assert listed[QKeySequence("Ctrl+,").toString(QKeySequence.SequenceFormat.NativeText)] == "Settings"
        assert listed["Enter"].startswith("Play the selected") and "Space" in listed
        assert table.rowCount() == len(window.shortcut_list()) > 10
        window.shortcuts_dialog.close()
    finally:
        close_window(window, store)


def test_no_audio_device_warns_and_settings_offer_the_output_devices(qtbot, small_db, monkeypatch):
    from player.playback.settings import PlaybackSettings
    from ui.settings_dialog import SettingsDialog

    monkeypatch.delenv("ENCORE_AUDIO_OUTPUT")
    with Store.open(small_db) as s:  # an ALSA device that exists nowhere: decoded audio goes nowhere
        PlaybackSettings(
            audio_output="alsa", extra_vlc_args=["--alsa-audio-device=encore-no-such-device"]
        ).save(s)
    window, store = open_window(qtbot, small_db)
    try:
        window.play_tracks(_ids(window)[:1], 0)
        qtbot.waitUntil(lambda: window.notice.isVisible(), timeout=WAIT)
        assert window.notice.text.text().startswith("No sound is reaching an audio device (alsa)")
        assert window.notice.action_button.text() == "Settings…"
        devices = window.controller.player.output_devices()
        assert devices  # libvlc's list for the ALSA output
        dialog = SettingsDialog(window.settings, window.controller.settings, window, devices=devices)
        qtbot.addWidget(dialog)
        assert dialog.output_device.count() == len(devices) + 1  # "Default" first
        labels = [dialog.output_device.itemText(i) for i in range(dialog.output_device.count())]
        assert len(set(labels)) == len(labels)  # ALSA's own "Default" is told apart from ours
        dialog.output_device.setCurrentIndex(1)
        dialog.apply(window.settings, window.controller.settings)
        assert window.controller.settings.audio_device == devices[0][0]
    finally:
        close_window(window, store)


def test_scan_problems_stay_on_screen_and_the_problems_view_lists_them(
    qtbot, small_db, tmp_path, monkeypatch
):
    from ui_helpers import set_ui_settings

    music = tmp_path / "music"
    (music / "broken.ogg").write_bytes(b"OggS" + bytes(range(256)) * 8)
    set_ui_settings(small_db, scan_on_start=True)
    window, store = open_window(qtbot, small_db)
    try:
        qtbot.waitUntil(lambda: window.notice.isVisible(), timeout=WAIT)
        assert window.notice.text.text() == "1 file could not be read in the last scan."
        window.notice.action_button.click()  # "Show problems"
        dialog = window.problems_dialog
        qtbot.waitUntil(lambda: len(dialog.rows) == 1, timeout=WAIT)
        where, path, reason = dialog.rows[0]
        assert where == "Scan" and path == str(music / "broken.ogg") and reason
        dialog.table.selectRow(0)
        assert dialog.table.textElideMode() == Qt.TextElideMode.ElideMiddle  # a long path keeps its file name
        assert dialog.folder_url().toLocalFile() == str(music)
        # No file manager on this desktop: the view says so and puts the folder on the clipboard.
        from PySide6.QtGui import QDesktopServices, QGuiApplication

        import ui.problems_view as problems_view

        monkeypatch.setattr(problems_view, "show_item", lambda path: False)
        monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: False))
        width = dialog.width()
        dialog.show_button.click()
        assert dialog.summary.text().startswith("No file manager could open ")
        assert dialog.summary.toolTip() == str(music) and dialog.width() == width  # cut, not stretched
        assert QGuiApplication.clipboard().text() == str(music)
        with qtbot.waitSignal(dialog.rescanRequested, timeout=WAIT):
            dialog.rescan_button.click()
        dialog.close()
        # Each file the folder watcher picks up rescans: the same bad file is not announced again.
        qtbot.waitUntil(lambda: not window.jobs.busy, timeout=WAIT)
        window.notice.dismiss()
        with qtbot.waitSignal(window.jobs.scanFinished, timeout=WAIT):
            window.jobs.scan(window.settings.folders)
        assert not window.notice.isVisible()
        (music / "broken2.ogg").write_bytes(b"OggS" + bytes(range(256)) * 8)
        window.jobs.scan(window.settings.folders)
        # A file just written is read once it has settled (by the scan that follows on its own).
        qtbot.waitUntil(
            lambda: window.notice.text.text() == "2 files could not be read in the last scan.", timeout=WAIT
        )
    finally:
        close_window(window, store)


def _undo_restores(qtbot, window, before: list[int], replace) -> None:
    """``replace()`` swaps the queue while ``before`` plays: the notice offers Undo, which puts the
    queue, the entry and (about) the position back; the replacement's own play is logged "replaced" and
    the play it cut goes on (the same row, open again)."""
    from player.store.plays import outcome_counts

    qtbot.waitUntil(lambda: window.controller.player.state == "playing", timeout=WAIT)
    qtbot.waitUntil(lambda: window.controller.player.position > 1.0, timeout=WAIT)
    replaced_before = outcome_counts(window.store)["replaced"]
    cut_play = window.controller.log.open_play_id
    replace()
    qtbot.waitUntil(lambda: [e.track_id for e in window.controller.queue.entries] != before, timeout=WAIT)
    # As a person would: Undo once the replacement plays (libvlc reports its start a moment later).
    qtbot.waitUntil(lambda: window.controller.log.open_play_id not in (None, cut_play), timeout=WAIT)
    assert window.notice.isVisible() and window.notice.action_button.text() == "Undo"
    window.notice.action_button.click()
    qtbot.waitUntil(lambda: [e.track_id for e in window.controller.queue.entries] == before, timeout=WAIT)
    assert window.controller.queue.current.track_id == before[0]
    qtbot.waitUntil(lambda: window.controller.player.position > 0.9, timeout=WAIT)
    qtbot.waitUntil(lambda: outcome_counts(window.store)["replaced"] >= replaced_before + 1, timeout=WAIT)
    qtbot.waitUntil(lambda: window.controller.log.open_play_id == cut_play, timeout=WAIT)
    assert outcome_counts(window.store)["skipped"] == 0


def test_every_replacement_of_what_plays_offers_undo(qtbot, small_db, tmp_path):
    from player.store import playlists
    from player.store.tracks import get_track

    window, store = open_window(qtbot, small_db)
    try:
        ids = _ids(window)
        before = ids[:2]
        window.play_tracks(before, 0)
        # Another list or an album.
        _undo_restores(qtbot, window, before, lambda: window.play_tracks(ids[2:4], 0, source="album"))
        # A playlist (a smart playlist plays through the same call).
        pid = playlists.create_playlist(store, "Two")
        playlists.add_tracks(store, pid, ids[2:4])
        _undo_restores(qtbot, window, before, lambda: window.play_playlist(ids[2:4], 0, "Two"))
        # A file from the command line (a second ``encore FILE``).
        path = get_track(store, ids[3])["path"]
        _undo_restores(qtbot, window, before, lambda: window.open_files([path]))
        # A radio.
        _undo_restores(qtbot, window, before, lambda: window.start_radio(ids[3]))
        assert not window.radio.active
    finally:
        close_window(window, store)
