"""The main window over the real corpus with the real libvlc player (silent ``adummy`` output).

Covers: the library loading into the table, starting a radio from a track (the queue shows the plan),
a skip re-planning the queue, the "Fans also like" panel, the first-run flow (folder question, scan in
the background), background analysis with pause, settings and window state persisted.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from player.store import Store
from player.store.plays import recent_plays
from player.store.tracks import count_tracks, find_track
from ui.library_rows import PLAYS, SKIPS
from ui.settings import UiSettings

WAIT = 30_000


@pytest.fixture(autouse=True)
def _silent_audio(monkeypatch):
    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")


def _settings(db_path: Path, **values) -> None:
    with Store.open(db_path) as store:
        settings = UiSettings.load(store)
        for key, value in values.items():
            setattr(settings, key, value)
        settings.save(store)


@pytest.fixture
def corpus_db(copy_corpus_store) -> Path:
    """A private copy of the scanned corpus, marked as past the first run, no background analysis."""
    path = Path(copy_corpus_store.path)
    copy_corpus_store.close()
    _settings(path, first_run_done=True, analysis_enabled=False, scan_on_start=False)
    return path


def _open_window(qtbot, db_path: Path, **kwargs):
    from ui.main_window import MainWindow

    store = Store.open(db_path)
    window = MainWindow(store, **kwargs)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.libraryLoaded, timeout=WAIT):
        window.start()
    return window, store


def _close(window, store) -> None:
    window.shutdown()
    store.close()


def test_window_loads_library_and_plays_a_track(qtbot, corpus_db):
    window, store = _open_window(qtbot, corpus_db)
    try:
        assert window.library.model.rowCount() == count_tracks(store)
        window.library.model.set_filter("wesnoth")
        window.library.table.doubleClicked.emit(window.library.model.index(2, 0))
        qtbot.waitUntil(lambda: window.controller.player.state == "playing", timeout=WAIT)
        expected = window.library.model.track_at(2)
        qtbot.waitUntil(lambda: window._current_track_id == expected[0], timeout=WAIT)
        assert window.now_playing.title.text() == expected[1]
        assert window.queue_model.rowCount() == window.library.model.rowCount()
        assert window.queue_model.current_row() == 2
        assert window.now_playing.why.text() == "From your library"
        # Named from the store (For you before the table has loaded): "missing" only when it is.
        assert window._stored_track_info(expected[0])[0] == expected[1]
        # Keyboard: space pauses and resumes, Ctrl+N skips, Ctrl+F focuses the filter.
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)
        window.library.table.setFocus()
        qtbot.keyClick(window.library.table, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: window.controller.player.state == "paused", timeout=WAIT)
        qtbot.keyClick(window.library.table, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: window.controller.player.state == "playing", timeout=WAIT)
        following = window.library.model.track_at(3)[0]
        qtbot.keyClick(window.library.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: window._current_track_id == following, timeout=WAIT)
        qtbot.keyClick(window.library.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        assert window.library.filter.hasFocus()
        # Tab leaves the track table at once (the arrows move within it), ...
        window.library.table.setFocus()
        qtbot.keyClick(window.library.table, Qt.Key.Key_Tab)
        assert not window.library.table.hasFocus()
        # ... and Space presses a focused button instead of pausing.
        shuffle = window.now_playing.shuffle_button
        shuffle.setFocus()
        was = shuffle.isChecked()
        qtbot.keyClick(shuffle, Qt.Key.Key_Space)  # a quick tap presses it once, not twice (a walk)
        qtbot.wait(400)
        assert shuffle.isChecked() != was
        assert window.controller.player.state == "playing"
        # A button focused by a click is not pressed again by Space, which pauses (a review: after a
        # click on For you's New mix, Space made another mix instead of pausing).
        from PySide6.QtWidgets import QPushButton

        refresh = QPushButton("Refresh")  # any button of the window that a click focuses
        window.statusBar().addWidget(refresh)
        refresh.show()
        qtbot.mouseClick(refresh, Qt.MouseButton.LeftButton)
        assert refresh.hasFocus()
        pressed: list[bool] = []
        refresh.clicked.connect(lambda: pressed.append(True))
        qtbot.keyClick(refresh, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: window.controller.player.state == "paused", timeout=WAIT)
        qtbot.wait(300)
        assert not pressed
        qtbot.keyClick(refresh, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: window.controller.player.state == "playing", timeout=WAIT)
        # Ctrl+A, Delete in the queue empties it, and the notice's Undo puts it all back, the playing
        # entry current again (a walk lost a whole queue that way, with no way back).
        queue = window.controller.queue
        before, playing = [e.track_id for e in queue.entries], queue.current.track_id
        window.queue_view.list.setFocus()
        window.queue_view.list.selectAll()
        qtbot.keyClick(window.queue_view.list, Qt.Key.Key_Delete)
        assert len(queue) == 0, len(queue)
        qtbot.waitUntil(lambda: window.queue_model.rowCount() == 0, timeout=WAIT)
        assert window.notice.text.text() == f"Removed {len(before)} tracks from the queue."
        window.notice.action_button.click()
        assert [e.track_id for e in queue.entries] == before and queue.current.track_id == playing
        qtbot.waitUntil(lambda: window.queue_model.rowCount() == len(before), timeout=WAIT)
        assert window.queue_model.current_row() is not None
        # Two entries removed one at a time: Ctrl+Z in the queue puts back each in turn (a walk could
        # undo only the last removal), and the notice says what one more Undo would do.
        for row in (len(before) - 1, 0):
            window.queue_view.list.setCurrentIndex(window.queue_model.index(row, 0))
            qtbot.keyClick(window.queue_view.list, Qt.Key.Key_Delete)
        assert len(queue) == len(before) - 2
        qtbot.keyClick(window.queue_view.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert (
            window.notice.text.text()
            == "Put back 1 track in the queue. Undo puts back one removal before it."
        )
        qtbot.keyClick(window.queue_view.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert [e.track_id for e in queue.entries] == before
        assert window.notice.text.text() == "Put back 1 track in the queue."
        qtbot.keyClick(window.queue_view.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert window.statusBar().currentMessage() == "Nothing removed from the queue to put back"
    finally:
        _close(window, store)


def _radio_entries(window) -> list:
    return [e for e in window.controller.queue.upcoming() if e.source == "radio"]


def test_start_radio_then_skip_replans_the_queue(qtbot, corpus_db):
    window, store = _open_window(qtbot, corpus_db)
    try:
        seed = find_track(store, "Weight of Revenge")
        assert seed is not None
        assert window.library.select_track(seed["id"])
        window.library.radio_action.trigger()  # the context-menu action / Ctrl+R
        qtbot.waitUntil(lambda: window.radio.active and len(_radio_entries(window)) >= 3, timeout=WAIT)
        assert (
            window._current_track_id == seed["id"] or window.controller.queue.current.track_id == seed["id"]
        )
        label = window.radio.label
        assert seed["title"] in label
        assert "Radio from" in window.queue_view.subheader.text()
        planned = [e.track_id for e in _radio_entries(window)]
        assert planned == window.radio.plan_ids()
        assert seed["id"] not in planned
        qtbot.waitUntil(lambda: window.now_playing.why.text().startswith("Radio from"), timeout=WAIT)

        # Skip: the seed's play is logged as skipped, the station learns, the queue shows the new plan.
        first_planned = planned[0]
        window.next()
        qtbot.waitUntil(lambda: window._current_track_id == first_planned, timeout=WAIT)
        qtbot.waitUntil(lambda: len(window.radio.station.skipped_rows) == 1, timeout=WAIT)
        qtbot.waitUntil(
            lambda: [e.track_id for e in _radio_entries(window)] == window.radio.plan_ids(), timeout=WAIT
        )
        with Store.open(corpus_db) as check:
            plays = recent_plays(check, 5)
        skipped = [p for p in plays if p["track_id"] == seed["id"]]
        assert skipped and skipped[0]["outcome"] == "skipped" and skipped[0]["source"] == "radio"
        assert skipped[0]["seed"] == label
        qtbot.waitUntil(
            lambda: window.library.model.track(seed["id"])[SKIPS] == 1, timeout=WAIT
        )  # Skips column: a skip is not shown as a play (issue 13)
        assert window.library.model.track(seed["id"])[PLAYS] == 0
        new_plan = window.radio.plan_ids()
        assert len(new_plan) >= 3 and seed["id"] not in new_plan and first_planned not in new_plan
        assert window.now_playing.why.text().startswith(f"Radio from {label}")

    finally:
        _close(window, store)

    # After a restart the station goes on: the queue keeps its entries and the plan is made again.
    window, store = _open_window(qtbot, corpus_db)
    try:
        assert window.controller.queue.current.track_id == first_planned
        qtbot.waitUntil(lambda: window.radio.active and len(_radio_entries(window)) >= 3, timeout=WAIT)
        assert window.radio.label == label and "Radio from" in window.queue_view.subheader.text()
        assert [e.track_id for e in _radio_entries(window)] == window.radio.plan_ids()
        assert first_planned not in window.radio.plan_ids() and seed["id"] not in window.radio.plan_ids()

        # Playing something from the library ends the station.
        window.play_tracks([seed["id"]], 0)
        qtbot.waitUntil(lambda: not window.radio.active, timeout=WAIT)
        assert window.queue_view.subheader.text().endswith("up next")
    finally:
        _close(window, store)


def test_queue_reorder_remove_and_play_next_persist(qtbot, corpus_db):
    window, store = _open_window(qtbot, corpus_db)
    try:
        ids = window.library.model.visible_ids()[:5]
        window.play_tracks(ids, 0)
        qtbot.waitUntil(lambda: window.queue_model.rowCount() == 5, timeout=WAIT)
        model = window.queue_model
        last = model.entry_at(4).id
        # Drag the last entry onto row 1 (what the list view does on a drop), right after the current one.
        mime = model.mimeData([model.index(4, 0)])
        assert model.dropMimeData(mime, Qt.DropAction.MoveAction, 1, 0, model.index(-1, -1))
        qtbot.waitUntil(lambda: model.entry_at(1).id == last, timeout=WAIT)
        assert [e.track_id for e in window.controller.queue.entries] == [
            ids[0],
            ids[4],
            ids[1],
            ids[2],
            ids[3],
        ]
        window.queue_view.list.setCurrentIndex(model.index(3, 0))
        window.queue_view.remove_selected()
        qtbot.waitUntil(lambda: model.rowCount() == 4, timeout=WAIT)
        window.queue_view.list.clearSelection()
        window.queue_view.list.setCurrentIndex(model.index(3, 0))
        window.queue_view.play_next_selected()
        order = [e.track_id for e in window.controller.queue.entries]
        assert order == [ids[0], ids[3], ids[4], ids[1]]
    finally:
        _close(window, store)
    # Persisted by the core queue: a new window shows the same queue.
    window, store = _open_window(qtbot, corpus_db)
    try:
        assert [e.track_id for e in window.controller.queue.entries] == order
        assert window.queue_model.rowCount() == 4
        # The restored current track is shown, ready to play.
        expected = window.library.model.track(window.controller.queue.current.track_id)
        assert window.now_playing.title.text() == expected[1]
    finally:
        _close(window, store)


def test_a_scan_shows_the_tracks_found_so_far(qtbot, tmp_path, corpus_dir, monkeypatch):
    """A walk's first scan of 120,000 files showed "0 tracks" beside "Scanning your music: 50300 of
    120000 files": the library loaded only once the scan ended. Now it loads what is stored as the scan
    goes (here every 20 files are stored, and reading a chunk takes 1.5 s)."""
    import time

    import player.library
    import ui.window_jobs

    monkeypatch.setattr(ui.window_jobs, "SCAN_RELOAD_S", 0.0)
    monkeypatch.setattr(player.library, "_WRITE_BATCH", 20)
    read_many = player.library.read_many

    def slow_read_many(chunk):
        time.sleep(1.5)
        return read_many(chunk)

    monkeypatch.setattr(player.library, "read_many", slow_read_many)
    db = tmp_path / "fresh.db"
    _settings(db, first_run_done=True, analysis_enabled=False, scan_on_start=False)
    window, store = _open_window(qtbot, db)
    try:
        shown: list[int] = []
        window.libraryLoaded.connect(lambda: shown.append(window.library.model.rowCount()))
        with qtbot.waitSignal(window.jobs.scanFinished, timeout=120_000):
            window.jobs.scan([str(corpus_dir)])
        qtbot.waitUntil(lambda: bool(shown) and shown[-1] == count_tracks(store), timeout=WAIT)
        assert any(0 < n < shown[-1] for n in shown), shown
    finally:
        _close(window, store)


def _answer_first_run(accept: bool) -> list[list[str]]:
    """Once the first-run dialog is up, note the folders it suggests and accept or close it: the list
    they are noted in."""
    from PySide6.QtCore import QTimer

    from ui.first_run import FirstRunDialog

    answered: list[list[str]] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, FirstRunDialog):
            QTimer.singleShot(50, answer)
            return
        answered.append(dialog.folders())
        dialog.accept() if accept else dialog.reject()

    QTimer.singleShot(50, answer)
    return answered


def test_first_run_asks_for_folders_and_scans_in_background(qtbot, tmp_path, corpus_dir, monkeypatch):
    monkeypatch.setenv("XDG_MUSIC_DIR", str(corpus_dir))
    db = tmp_path / "fresh.db"
    _settings(db, analysis_enabled=False)  # the analysis has its own test below

    answered = _answer_first_run(accept=True)
    window, store = _open_window(qtbot, db)
    try:
        qtbot.waitUntil(lambda: bool(answered), timeout=WAIT)
        assert answered[0] == [str(corpus_dir)]  # the XDG music folder is the suggestion
        with qtbot.waitSignal(window.libraryLoaded, timeout=120_000):
            pass
        assert window.library.model.rowCount() == count_tracks(store) > 150
        assert window.settings.folders == [str(corpus_dir)]
        assert "Scan finished" in window.status_label.text() or "tracks" in window.status_label.text()
    finally:
        _close(window, store)
    with Store.open(db) as check:
        saved = UiSettings.load(check)
        assert saved.first_run_done and saved.folders == [str(corpus_dir)]
        assert saved.geometry  # window state remembered


def test_first_run_over_a_library_scanned_already_suggests_its_folder(
    qtbot, tmp_path, corpus_dir, monkeypatch
):
    """Found in a walk of the app: a library scanned from the command line, then the app's first start,
    asked "Where is your music?" with no folder beside the tracks it showed."""
    from player.library import scan

    lib = tmp_path / "music"
    for name in ("a", "b"):  # two folders under one
        (lib / name).mkdir(parents=True)
        for src in sorted(corpus_dir.rglob("*.ogg"))[:2]:
            shutil.copy(src, lib / name / src.name)
    monkeypatch.setenv("XDG_MUSIC_DIR", str(tmp_path / "elsewhere"))
    db = tmp_path / "scanned.db"
    with Store.open(db) as s:
        scan(s, [lib / "a", lib / "b"])
    _settings(db, analysis_enabled=False)
    answered = _answer_first_run(accept=False)
    window, store = _open_window(qtbot, db)
    try:
        qtbot.waitUntil(lambda: bool(answered), timeout=WAIT)
        assert answered[0] == [str(lib)]
        # Declined: the tracks are there, so the window does not say "No music folder yet" over them,
        # and Library ▸ Rescan folders says why it cannot (it did nothing, without a word).
        qtbot.waitUntil(lambda: window.status_label.text().startswith("Not watching any music folder"))
        assert not window.notice.isVisible()
        rescan = next(
            a for a in window.menuBar().actions()[0].menu().actions() if a.text() == "Rescan folders"
        )
        rescan.trigger()
        assert window.notice.isVisible() and "No music folder to rescan" in window.notice.text.text()
        assert window.notice.action_button.text() == "Add music folder…"
        assert not window.jobs.busy
    finally:
        _close(window, store)


def test_background_analysis_reports_progress_and_pauses(qtbot, tmp_path, corpus_files):
    """Scan a small real folder, then analyse it in the background: progress, pause, resume, finish."""
    music = tmp_path / "music"
    music.mkdir()
    picks = [f for f in corpus_files if "wesnoth" in str(f)][:3] + [
        f for f in corpus_files if "muldjord" in str(f)
    ][:1]
    for f in picks:
        shutil.copy(f, music / f.name)
    db = tmp_path / "small.db"
    _settings(db, first_run_done=True, folders=[str(music)], analysis_enabled=True)
    window, store = _open_window(qtbot, db)
    try:
        jobs = window.jobs
        qtbot.waitUntil(lambda: jobs.kind == "analysis", timeout=WAIT)
        jobs.toggle_pause()
        assert jobs.paused and "(paused)" in window.status_label.text()
        assert window.pause_button.text() == "Resume"
        jobs.toggle_pause()
        with qtbot.waitSignal(jobs.analysisFinished, timeout=180_000) as finished:
            pass
        assert finished.args[0].analyzed == len(picks)
        assert "Audio analysis finished" in window.status_label.text()
        # The taste map draws the analysed tracks (PCA in recommender.taste.map, drawn by the view).
        window.tabs.setCurrentIndex(1)
        qtbot.waitUntil(lambda: window.taste is not None and window.taste.data is not None, timeout=WAIT)
        data = window.taste.data
        assert len(data["ids"]) == len(picks) and all(-2.0 <= v <= 2.0 for xy in data["xy"] for v in xy)
        # The map's first axis puts the death-metal track on the other side from the orchestral ones.
        metal = [
            xy[0]
            for tid, xy in zip(data["ids"], data["xy"], strict=True)
            if data["labels"][tid][1] == "Muldjord"
        ]
        others = [
            xy[0]
            for tid, xy in zip(data["ids"], data["xy"], strict=True)
            if data["labels"][tid][1] != "Muldjord"
        ]
        assert len(metal) == 1 and len(others) == 3
        assert all((m > 0) != (o > 0) for m in metal for o in others)
        assert window.taste.grab().width() > 0
    finally:
        _close(window, store)


def test_settings_dialog_round_trip(qtbot, corpus_db):
    from ui.settings_dialog import SettingsDialog

    window, store = _open_window(qtbot, corpus_db)
    try:
        dialog = SettingsDialog(window.settings, window.controller.settings, window)
        qtbot.addWidget(dialog)
        dialog.crossfade.setValue(3.5)
        dialog.replaygain.setCurrentIndex(dialog.replaygain.findData("track"))
        dialog.artist_spacing.setValue(4)
        dialog.analysis.setChecked(False)
        dialog.apply(window.settings, window.controller.settings)
        assert window.controller.settings.crossfade_s == 3.5
        assert window.settings.radio_artist_spacing == 4
        assert window.settings.radio_settings().artist_spacing == 4
    finally:
        _close(window, store)


def test_listenbrainz_settings_and_a_refused_token_notice(qtbot, corpus_db, monkeypatch):
    """Settings ▸ ListenBrainz turns listens on (saved with the profile); a token the server refuses
    shows a notice with a way to Settings; a good one sends "playing now" when a track starts."""
    from listenbrainz_server import TOKEN, FakeListenBrainz

    from player.listenbrainz.settings import ListenBrainzSettings
    from ui.settings_dialog import SettingsDialog

    server = FakeListenBrainz()
    with Store.open(corpus_db) as s:
        ListenBrainzSettings(api_root=server.root, timeout_s=2.0).save(s)  # off, at the local server
    window, store = _open_window(qtbot, corpus_db)
    try:
        assert window.submitter is not None and not window.submitter.running  # off: no thread

        def settings_ok(token):
            def exec_(dialog):
                assert dialog.lb_token.echoMode() == dialog.lb_token.EchoMode.Password
                assert dialog.lb_server.text() == server.root
                dialog.lb_enabled.setChecked(True)
                dialog.lb_token.setText(token)
                return 1

            return exec_

        monkeypatch.setattr(SettingsDialog, "exec", settings_ok(" wrong-token "))
        window.open_settings()
        saved = ListenBrainzSettings.load(store)
        assert saved.enabled and saved.token == "wrong-token" and saved.api_root == server.root
        qtbot.waitUntil(lambda: window.notice.isVisible(), timeout=WAIT)
        assert "does not accept your user token" in window.notice.text.text()
        assert window.notice.action_button.text() == "Settings…"
        assert [r.path for r in server.requests] == ["/1/validate-token"]

        monkeypatch.setattr(SettingsDialog, "exec", settings_ok(TOKEN))
        window.open_settings()
        assert not window.notice.isVisible()  # a new token: the refused one's notice goes
        defeat = find_track(store, "Timothy Pinkham - Defeat")
        window.play_tracks([defeat["id"]])
        server.wait_for(lambda rs: any(r.listen_type == "playing_now" for r in rs), timeout=WAIT / 1000)
        (now_playing,) = server.submits("playing_now")
        assert now_playing.titles == ["Defeat"] and now_playing.authorization == f"Token {TOKEN}"
        qtbot.waitUntil(lambda: window._current_track_id == defeat["id"], timeout=WAIT)
        qtbot.wait(300)  # the now-playing bar's cover and panels load before the window closes
    finally:
        _close(window, store)
        server.close()
    assert not window.submitter.running


def test_down_or_enter_in_the_filter_moves_into_the_results_and_media_keys_play(qtbot, corpus_dir, tmp_path):
    """Issue 26 item 6: from the filter, Down or Enter lands on the first result (it took three Tabs);
    the keyboard's media keys work with Encore in front; F1's list names the volume keys."""
    from ui_helpers import close_window, open_window, small_library

    db = small_library(corpus_dir, tmp_path / "music", tmp_path / "lib.db", wesnoth=3)
    window, store = open_window(qtbot, db)
    try:
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)
        table = window.library.table
        qtbot.waitUntil(lambda: window.library.model.rowCount() == 3, timeout=WAIT)
        window.focus_filter()
        qtbot.keyClicks(window.library.filter, "no such thing")
        qtbot.keyClick(window.library.filter, Qt.Key.Key_Escape)  # clears it, as in any search field
        assert window.library.filter.text() == "" and window.library.filter.hasFocus()
        for key in (Qt.Key.Key_Down, Qt.Key.Key_Return):
            table.setCurrentIndex(table.model().index(-1, -1))
            window.focus_filter()
            qtbot.keyClicks(window.library.filter, "wesnoth")
            assert window.library.filter.hasFocus()
            qtbot.keyClick(window.library.filter, key)
            assert table.hasFocus(), key
            assert table.currentIndex().row() == 0, key
            window.library.filter.clear()
        qtbot.keyClick(table, Qt.Key.Key_Return)  # plays the first row
        qtbot.waitUntil(lambda: window.controller.player.state == "playing", timeout=WAIT)
        qtbot.keyClick(table, Qt.Key.Key_MediaPlay)
        qtbot.waitUntil(lambda: window.controller.player.state == "paused", timeout=WAIT)
        qtbot.keyClick(table, Qt.Key.Key_MediaTogglePlayPause)
        qtbot.waitUntil(lambda: window.controller.player.state == "playing", timeout=WAIT)
        first = window.controller.queue.current.track_id
        qtbot.keyClick(table, Qt.Key.Key_MediaNext)
        qtbot.waitUntil(lambda: window.controller.queue.current.track_id != first, timeout=WAIT)
        volume = window.now_playing.volume.value()
        qtbot.keyClick(table, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
        assert window.now_playing.volume.value() == max(0, volume - 5)
        keys = dict(window.shortcut_list())
        assert any("Volume" in text for text in keys.values()) and "Media keys" in keys
    finally:
        close_window(window, store)


def test_an_empty_first_run_cannot_scan_nothing_and_the_empty_library_offers_a_folder(qtbot, tmp_path):
    """Issue 26 item 5: "Scan these folders" with no folder closed the dialog silently and the window
    then offered nothing but "The library is empty."."""
    from ui.first_run import FirstRunDialog

    dialog = FirstRunDialog(suggested=[])
    qtbot.addWidget(dialog)
    assert not dialog.scan_button.isEnabled() and not dialog.hint.isHidden()
    dialog.folder_list.add(str(tmp_path))
    assert dialog.scan_button.isEnabled() and dialog.hint.isHidden()
    dialog.folder_list.list.setCurrentRow(0)
    dialog.folder_list._remove()
    assert not dialog.scan_button.isEnabled()

    db = tmp_path / "fresh.db"
    _settings(db, analysis_enabled=False, first_run_done=True)  # "Not now" was chosen earlier
    window, store = _open_window(qtbot, db)
    try:
        qtbot.waitUntil(lambda: window.notice.isVisible(), timeout=WAIT)
        assert "empty" in window.notice.text.text()
        assert window.notice.action_button.text() == "Add music folder…"
        assert window.notice.action_button.isVisible()
    finally:
        _close(window, store)


def test_settings_refuse_listenbrainz_without_a_token_and_show_what_waits(qtbot):
    """Found in a walk of the app: sending turned on with no token was accepted without a word (and the
    plays of the meantime never queued); offline, listens waited with nothing said; the explanation under
    the fields showed a line and a half of its two."""
    from PySide6.QtWidgets import QDialog, QLabel

    from player.listenbrainz.settings import ListenBrainzSettings
    from ui.settings_dialog import SettingsDialog

    status = (
        "2 listens waiting to be sent. The last try failed (cannot reach the server: [Errno -2] Name or "
        "service not known); the next is at 12:40."
    )
    dialog = SettingsDialog(
        UiSettings(), None, listenbrainz=ListenBrainzSettings(), listenbrainz_status=status
    )
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.lb_status.text() == status and dialog.lb_status.isVisible()
    dialog.lb_enabled.setChecked(True)
    dialog.accept()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.lb_error.isVisible() and "Enter your user token" in dialog.lb_error.text()
    qtbot.wait(50)  # the layout takes the error line in
    for label in dialog.findChildren(QLabel):  # every wrapped line shown whole
        if label.isVisible() and label.wordWrap() and label.text():
            assert label.height() >= label.heightForWidth(label.width()), label.text()
    dialog.lb_token.setText(" a-token ")
    assert not dialog.lb_error.isVisible()  # the user acted: the error goes
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_the_split_between_artists_and_albums_is_kept_between_runs(qtbot, corpus_db):
    """A listener who drags the artists pane taller (long artist names, few albums) finds it so at the
    next start, as the other splitters are (found in a walk of the app: it came back half and half)."""
    window, store = _open_window(qtbot, corpus_db)
    try:
        panes = window.library.panes
        total = sum(panes.sizes())
        panes.setSizes([total * 3 // 4, total - total * 3 // 4])
        dragged = panes.sizes()
        assert dragged[0] > 2 * dragged[1]
    finally:
        _close(window, store)
    window, store = _open_window(qtbot, corpus_db)
    try:
        # The same share of the height (the window itself may come back a few pixels smaller).
        qtbot.waitUntil(lambda: (s := window.library.panes.sizes())[0] > 2 * s[1], timeout=WAIT)
    finally:
        _close(window, store)


def test_the_wheel_scrolls_the_settings_and_changes_no_value_on_the_way(qtbot):
    """Found in a walk of the app: scrolling down Settings with the wheel flipped the analysis device
    under the pointer to "GPU (CUDA)" (to be saved by OK). An unfocused field passes the wheel on to the
    page; a field the user clicked takes it."""
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    from ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(UiSettings(), None)
    qtbot.addWidget(dialog)
    dialog.resize(dialog.width(), 320)  # shorter than its groups: the page scrolls
    dialog.show()
    qtbot.waitExposed(dialog)
    combo, bar = dialog.device, dialog.scroll.verticalScrollBar()
    dialog.scroll.ensureWidgetVisible(combo)
    qtbot.wait(20)

    def turn_down(widget) -> None:
        at = QPointF(widget.width() / 2, widget.height() / 2)
        for _ in range(3):
            event = QWheelEvent(
                at,
                QPointF(widget.mapToGlobal(at.toPoint())),
                QPoint(0, 0),
                QPoint(0, -120),
                Qt.MouseButton.NoButton,
                Qt.KeyboardModifier.NoModifier,
                Qt.ScrollPhase.NoScrollPhase,
                False,
            )
            QApplication.sendEvent(widget, event)

    index, top = combo.currentIndex(), bar.value()
    assert combo.count() > 1 and bar.maximum() > 0
    turn_down(combo)
    assert combo.currentIndex() == index  # the value under the pointer is untouched
    assert bar.value() > top or bar.value() == bar.maximum()  # the page scrolled instead
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus, timeout=WAIT)
    turn_down(combo)
    assert combo.currentIndex() != index  # once chosen, the field takes the wheel as before


def test_a_first_window_fits_a_screen_smaller_than_its_usual_size(qtbot, corpus_db):
    """Found in a walk of the app: on a 1366 × 768 screen the first window (1280 × 800) put the transport
    bar below the screen's edge. The offscreen test screen is 800 × 800: the window fits its height, title
    bar room included, and keeps its size where a saved one exists."""
    window, store = _open_window(qtbot, corpus_db)
    try:
        free = window.screen().availableGeometry()
        assert free.height() - 48 < 800  # the case under test: a screen lower than the usual first size
        assert window.height() <= free.height() - 48
        # As narrow as the screen allows, down to what the window's parts need (about 950 px).
        assert window.width() <= max(free.width() - 16, window.minimumSizeHint().width())
        assert window.now_playing.isVisible()
        window.resize(1000, 600)
    finally:
        _close(window, store)
    window, store = _open_window(qtbot, corpus_db)
    try:
        assert window.height() == 600  # the saved size wins (its width kept to the screen by Qt)
    finally:
        _close(window, store)


def test_the_menus_put_each_item_where_it_belongs_and_help_has_about(qtbot, corpus_db):
    """Found in a walk of the app: "Radio to the selected track…" sat under Rate, "Stop radio" did
    nothing (and said nothing) while no station planned, and Help had no About."""
    window, store = _open_window(qtbot, corpus_db)
    try:
        menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions() if a.menu()}
        texts = {name: [a.text() for a in menu.actions()] for name, menu in menus.items()}
        assert "Radio to the selected track…" in texts["Playback"]
        assert "Radio to the selected track…" not in texts["Rate"]
        assert list(menus)[-1] == "Help" and "About Encore" in texts["Help"]
        menus["Playback"].aboutToShow.emit()
        assert not window.stop_radio_action.isEnabled()  # no station: nothing to stop
        window.start_radio(window.library.model.track_id_at(0))
        qtbot.waitUntil(lambda: window.radio.active, timeout=WAIT)
        menus["Playback"].aboutToShow.emit()
        assert window.stop_radio_action.isEnabled()
        window.stop_radio_action.trigger()
        assert not window.radio.active
        box = window.show_about()
        assert box.isVisible() and box.text().startswith("<b>Encore</b>, ")
        assert "GPL" in box.informativeText()
        box.close()
    finally:
        _close(window, store)
