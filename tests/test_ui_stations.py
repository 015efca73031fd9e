"""The Stations tab and the daily mixes (issue 24) in the real window: a prompt typed into the box (its
parse error shown under it with a caret), completion, the dial, playing a station with Undo, saved
stations, and the daily mixes in the For you tab."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from ui_helpers import WAIT

from player.store import Store
from player.store import plays as plays_sql
from player.store.stations import list_stations, save_station
from player.store.tracks import get_track
from ui.settings import UiSettings


@pytest.fixture(autouse=True)
def _silent_audio(monkeypatch):
    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")


@pytest.fixture
def db(analyzed_corpus_db, tmp_path) -> Path:
    path = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, path)
    with Store.open(path) as store:
        settings = UiSettings.load(store)
        settings.first_run_done, settings.analysis_enabled, settings.scan_on_start = True, False, False
        settings.save(store)
        ids = [
            int(r[0])
            for r in store.conn.execute(
                "SELECT id FROM tracks WHERE artist IN ('Muldjord', 'Mattias Westlund', 'NeonCorridor') ORDER BY id"
            )
        ]
        when = (dt.datetime.now() - dt.timedelta(days=3)).timestamp()
        with store.transaction():
            for i, t in enumerate(ids):
                pid = plays_sql.start_play(store, t, "old", duration=100.0, started_at=when + 200 * i)
                plays_sql.close_play(
                    store, pid, outcome="completed", seconds_listened=100.0, ended_at=when + 200 * i + 100
                )
    return path


def _open(qtbot, db):
    from ui.main_window import MainWindow

    store = Store.open(db)
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.libraryLoaded, timeout=WAIT):
        window.start()
    return window, store


def test_the_prompt_box_shows_parse_errors_with_a_caret_completes_and_plays(qtbot, db):
    window, store = _open(qtbot, db)
    try:
        view = window.stations
        window.tabs.setCurrentWidget(view)
        qtbot.keyClicks(view.prompt, "sounds:(calm) aritst:(Muse)")
        lines = view.error.text().split("\n")
        assert lines[0] == "sounds:(calm) aritst:(Muse)" and lines[1] == " " * 14 + "^" * 7
        assert "did you mean artist" in lines[2] and not view.play_button.isEnabled()
        view.prompt.clear()
        assert view.error.text() == ""
        # Completion of the word under the cursor: the library's artists as artist:(Name).
        qtbot.keyClicks(view.prompt, "sounds:(calm) -Muld")
        popup = view.completer.popup()
        qtbot.waitUntil(popup.isVisible, timeout=WAIT)
        shown = [
            view.completer.completionModel().index(i, 0).data()
            for i in range(view.completer.completionCount())
        ]
        assert "artist:(Muldjord)" in shown
        view.completer.activated.emit("artist:(Muldjord)")
        assert view.prompt.text() == "sounds:(calm) -artist:(Muldjord)"
        # Tags complete from the analysis tags and the factor bundle's Last.fm tags ("soundtrack").
        view.prompt.clear()
        qtbot.keyClicks(view.prompt, "tag:(soundt")
        qtbot.waitUntil(popup.isVisible, timeout=WAIT)
        shown = [
            view.completer.completionModel().index(i, 0).data()
            for i in range(view.completer.completionCount())
        ]
        assert "tag:(soundtrack)" in shown, shown
        view.prompt.setText("sounds:(ambient) -artist:(Wesnoth)")
        assert view.play_button.isEnabled() and view.error.text() == ""
        first = window.library.model.visible_ids()[:2]
        window.play_tracks(first, 0)  # something plays: the station replaces it, with Undo
        qtbot.waitUntil(lambda: window.controller.log.open_play_id is not None, timeout=WAIT)
        view.dial.setValue(1)
        assert view.dial_label.text() == "more new"
        qtbot.mouseClick(view.play_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: window.radio.active and len(window.controller.queue.upcoming()) >= 3, timeout=WAIT
        )
        assert window.radio.prompt == "sounds:(ambient) -artist:(Wesnoth)"
        assert window.radio.core.station.settings.enjoy_explore > 0  # the dial reached the station
        queued = [e.track_id for e in window.controller.queue.entries]
        assert not [t for t in queued if "wesnoth" in get_track(store, t)["path"].lower()]
        assert window.notice.isVisible() and window.notice.action_button.text() == "Undo"
        assert (
            window.settings.radio_prompt == "sounds:(ambient) -artist:(Wesnoth)"
            and window.settings.radio_dial == 1
        )
        # A prompt the library cannot answer: said under the box, what plays goes on.
        window.notice.dismiss()
        view.prompt.setText("artist:(Nobody We Know)")
        qtbot.mouseClick(view.play_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "no artist in your library" in view.error.text(), timeout=WAIT)
        assert window.radio.active and window.radio.label == "sounds:(ambient) -artist:(Wesnoth)"
        assert window.controller.queue.entries[0].track_id == queued[0]  # the station plays on
        # Nothing was replaced, so no "… was replaced" with Undo (found in a walk of the app); the status
        # line says the error on one line, not the box's caret drawing flattened.
        assert not window.notice.isVisible(), window.notice.text.text()
        status = window.statusBar().currentMessage()
        assert status.startswith("The station could not start: ") and "no artist in your library" in status
        assert "^" not in status and "\n" not in status, status
        # The dial steers the station playing (found in a walk: the queue stayed as it was).
        playing, explore = (
            window.controller.queue.current.track_id,
            window.radio.core.station.settings.enjoy_explore,
        )
        view.dial.setValue(-2)
        qtbot.waitUntil(
            lambda: window.radio.active and window.radio.core.station.settings.enjoy_explore < explore,
            timeout=WAIT,
        )
        assert window.controller.queue.current.track_id == playing and window.settings.radio_dial == -2
        qtbot.waitUntil(lambda: len(window.controller.queue.upcoming()) >= 3, timeout=WAIT)
    finally:
        window.shutdown()
        store.close()


def test_saved_stations_play_again_and_can_be_deleted(qtbot, db):
    with Store.open(db) as store:
        save_station(store, "Heavy", "artist:(Muldjord)", 0)
    window, store = _open(qtbot, db)
    try:
        view = window.stations
        assert view.saved.count() == 1 and view.saved.item(0).text().startswith("Heavy")
        view._saved_activated(view.saved.item(0))  # as a double-click does
        qtbot.waitUntil(lambda: window.radio.active and window.radio.label == "Heavy", timeout=WAIT)
        artists = {get_track(store, e.track_id)["artist"] for e in window.controller.queue.entries}
        assert "Muldjord" in artists
        view.delete("heavy")
        assert view.saved.count() == 0 and list_stations(store) == []
    finally:
        window.shutdown()
        store.close()


def test_daily_mixes_show_in_for_you_and_play(qtbot, db):
    window, store = _open(qtbot, db)
    try:
        box = window.for_you.daily
        window.tabs.setCurrentWidget(window.for_you)
        # The daily mixes, and the time-of-day mix when this hour of the day has plays (it may not).
        qtbot.waitUntil(lambda: box.list.count() >= 1, timeout=WAIT)
        names = [box.list.item(i).text() for i in range(box.list.count())]
        assert any(n.startswith("Daily Mix 1: ") for n in names)
        item = next(
            box.list.item(i)
            for i in range(box.list.count())
            if box.list.item(i).text().startswith("Daily Mix 1")
        )
        tracks, name = item.data(Qt.ItemDataRole.UserRole)
        box._activated(item)
        qtbot.waitUntil(
            lambda: [e.track_id for e in window.controller.queue.entries] == list(tracks), timeout=WAIT
        )
        assert window.notice.action_button.text() == "Undo" or window.controller.queue.current is not None
        before = [box.list.item(i).data(Qt.ItemDataRole.UserRole)[0] for i in range(box.list.count())]
        qtbot.mouseClick(box.refresh_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: (
                not box._busy
                and [box.list.item(i).data(Qt.ItemDataRole.UserRole)[0] for i in range(box.list.count())]
                != before
            ),
            timeout=WAIT,
        )
    finally:
        window.shutdown()
        store.close()


def test_a_discovery_marked_not_interested_never_comes_back_and_the_list_exports(qtbot, db, tmp_path):
    import csv

    from player.store.ratings import BAN, rated_artists

    window, store = _open(qtbot, db)
    try:
        view = window.for_you
        with qtbot.waitSignal(view.loaded, timeout=WAIT):
            window.tabs.setCurrentWidget(view)
        assert view.artists.count() > 1
        item = view.artists.item(0)
        name = item.data(Qt.ItemDataRole.UserRole + 32)
        menu = view.artist_menu(item)
        action = next(a for a in menu.actions() if a.text().startswith("Not interested"))
        action.trigger()
        assert all(
            view.artists.item(i).data(Qt.ItemDataRole.UserRole + 32) != name
            for i in range(view.artists.count())
        )
        assert rated_artists(store).get(" ".join(name.casefold().split())) == BAN
        with qtbot.waitSignal(view.loaded, timeout=WAIT):
            view.refresh()
        assert all(
            view.artists.item(i).data(Qt.ItemDataRole.UserRole + 32) != name
            for i in range(view.artists.count())
        )
        out = tmp_path / "wish.csv"
        message = view.export_wishlist(str(out))
        rows = list(csv.reader(out.open(encoding="utf-8")))
        assert (
            message.startswith(f"Wrote {view.artists.count()} artists")
            and len(rows) == view.artists.count() + 1
        )
        assert rows[1][1] and rows[1][2].startswith("https://musicbrainz.org/search")
    finally:
        window.shutdown()
        store.close()


def test_a_path_prompt_queues_the_path_with_undo(qtbot, db):
    window, store = _open(qtbot, db)
    try:
        rows = store.conn.execute(
            "SELECT t.id FROM tracks t JOIN analysis a ON a.track_id = t.id"
            " WHERE t.artist IN ('Muldjord', 'NeonCorridor', 'Doug Kaufman') GROUP BY t.artist ORDER BY t.artist"
        ).fetchall()
        a, c, b = (int(r[0]) for r in rows)
        window.play_tracks(window.library.model.visible_ids()[:1], 0)
        qtbot.waitUntil(lambda: window.controller.log.open_play_id is not None, timeout=WAIT)
        view = window.stations
        view.prompt.setText(f"from:({a}) via:({c}) to:({b})")
        qtbot.mouseClick(view.play_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.controller.queue.entries[0].track_id == a, timeout=WAIT)
        ids = [e.track_id for e in window.controller.queue.entries]
        assert ids[-1] == b and c in ids and len(ids) >= 10
        assert window.notice.action_button.text() == "Undo"
    finally:
        window.shutdown()
        store.close()
