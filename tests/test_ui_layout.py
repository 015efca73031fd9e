"""Window layout on the real corpus: every column visible at the default width, the side column giving
way at 1000×700, honest pane counts, the filter narrowing the panes, the "Radio from …" line, plays that
count completions (skips apart) and the taste map's signed heat and hover text."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip
from ui_helpers import WAIT, close_window, open_window, set_ui_settings

from player.store import Store
from ui.library_model import TrackTableModel
from ui.library_rows import ARTIST, PLAYS, SKIPS


@pytest.fixture(autouse=True)
def _silent_audio(monkeypatch):
    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")


@pytest.fixture
def corpus_db(copy_corpus_store) -> Path:
    path = Path(copy_corpus_store.path)
    copy_corpus_store.close()
    set_ui_settings(path, first_run_done=True, analysis_enabled=False, scan_on_start=False)
    return path


def _table_at(qtbot, window, width: int, height: int):
    """The window resized, once its track table has laid out its columns."""
    window.resize(width, height)
    QApplication.processEvents()
    table = window.library.table
    qtbot.waitUntil(lambda: table.viewport().width() > 300, timeout=WAIT)
    return table


def test_columns_share_the_width_by_what_their_texts_need(qtbot, corpus_db):
    """Seen in the walk: filtered to the untagged drascula tracks, the title column ("Track 19") had room to
    spare while "Unknown artist (drascula)" was cut to "Unknown artist…". The flex columns now share the
    width by what the shown rows' texts need."""
    window, store = open_window(qtbot, corpus_db)
    try:
        table = _table_at(qtbot, window, 1280, 800)
        window.library.filter.setText("drascula track")
        qtbot.waitUntil(lambda: 0 < table.model().rowCount() < 40, timeout=WAIT)
        artist = "Unknown artist (drascula)"
        assert all(table.model().track_at(r)[ARTIST] == artist for r in range(table.model().rowCount()))
        need = table.fontMetrics().horizontalAdvance(artist)
        qtbot.waitUntil(lambda: table.columnWidth(1) >= need, timeout=WAIT)
        assert table.horizontalScrollBar().maximum() == 0  # and still no sideways scroll
        window.library.filter.setText("")
        qtbot.waitUntil(lambda: table.model().rowCount() > 100, timeout=WAIT)
        assert table.columnWidth(0) >= 120  # the whole library: titles get their room back
    finally:
        close_window(window, store)


def test_layout_columns_panes_filter_and_why_line(qtbot, corpus_db):
    window, store = open_window(qtbot, corpus_db)
    try:
        table = _table_at(qtbot, window, 1280, 800)
        assert table.horizontalScrollBar().maximum() == 0  # Length, Plays, Skips all in view
        assert table.columnWidth(0) >= 120  # the title keeps a readable width
        wide_side = window.side.width()
        window.resize(1000, 700)
        QApplication.processEvents()
        qtbot.waitUntil(lambda: window.side.width() < wide_side, timeout=WAIT)
        assert table.width() > 450
        qtbot.waitUntil(
            lambda: table.horizontalScrollBar().maximum() == 0, timeout=WAIT
        )  # no sideways scroll
        # Issue 26 item 7: the title shows 20-odd characters, not 8; Skips, #, Year (then Genre) give way.
        minstrels = table.fontMetrics().horizontalAdvance("Traveling Minstrels")
        assert table.columnWidth(0) >= minstrels, (table.columnWidth(0), minstrels)
        hh = table.horizontalHeader()
        shown = [
            table.model().headerData(c, Qt.Orientation.Horizontal)
            for c in range(9)
            if not hh.isSectionHidden(c)
        ]
        assert {"Title", "Artist", "Album", "Length", "Plays"} <= set(shown), shown
        assert table.columnWidth(0) > table.columnWidth(1) >= 48  # the title keeps the largest share
        window.resize(1280, 800)
        QApplication.processEvents()
        qtbot.waitUntil(lambda: not any(hh.isSectionHidden(c) for c in range(9)), timeout=WAIT)  # all back
        window.resize(1000, 700)
        QApplication.processEvents()
        table.horizontalHeader().resizeSection(1, 300)  # the user widens the artist column: theirs wins
        window.resize(1100, 700)
        QApplication.processEvents()
        assert table.columnWidth(1) == 300 and table.user_sized
        # Pane counts: the "All" rows count the entries listed below them.
        library = window.library
        assert library.artists.item(0).text() == f"All artists ({library.artists.count() - 1})"
        assert library.albums.item(0).text() == f"All albums ({library.albums.count() - 1})"
        # Issue 26 item 10: album names are cut at their end, after the album and its count.
        assert library.albums.textElideMode() == Qt.TextElideMode.ElideRight
        shared = [library.albums.item(i).text() for i in range(1, library.albums.count())]
        assert all(t.split(" — ")[0].endswith(")") for t in shared), shared  # "album (n)" comes first
        # Each album's tooltip names it whole, with its album artist (made when shown, not per item).
        viewport = library.albums.viewport()
        for row in (1, library.albums.count() - 1):
            library.albums.scrollToItem(library.albums.item(row))
            QApplication.processEvents()
            at = library.albums.visualItemRect(library.albums.item(row)).center()
            QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, at, viewport.mapToGlobal(at)))
            album_artist, album = library.panes.album_values[row]
            assert QToolTip.isVisible() and QToolTip.text() == f"{album} — {album_artist}"
            assert QToolTip.text().startswith(library.albums.item(row).text().split(" (")[0])
        for pane in (window.queue_view.list, window.similar.artists, window.similar.tracks):
            assert pane.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff  # elided
            assert pane.textElideMode() == Qt.TextElideMode.ElideMiddle  # the length at the end stays
        artists_before = library.artists.count()
        library.filter.setText("wesnoth")
        library._apply_filter()
        assert 1 < library.artists.count() < artists_before  # the filter narrows the artist pane
        shown = {library.artists.item(r).text().rsplit(" (", 1)[0] for r in range(1, library.artists.count())}
        assert all(any(a in (r[2], r[4]) for r in library.model.matching_rows()) for a in shown)
        # "From your library"/"Radio from …": clicking shows the track; Stop hides it.
        ids = library.model.visible_ids()
        window.play_tracks(ids, 3)
        qtbot.waitUntil(lambda: window.now_playing.why.text() == "From your library", timeout=WAIT)
        library.select_track(ids[0])
        qtbot.mouseClick(window.now_playing.why, Qt.MouseButton.LeftButton)
        assert library.selected_ids() == [ids[3]]
        window.stop()
        assert window.now_playing.why.text() == ""
    finally:
        close_window(window, store)


def test_the_window_fits_an_800_pixel_screen(qtbot, corpus_db):
    """A walk could not make the window narrower than 953 px (the Playlists tab's eight buttons in one
    row): it fits 800 px, where those buttons wrap onto a second row, each whole and none on another."""
    window, store = open_window(qtbot, corpus_db)
    try:
        assert window.minimumSizeHint().width() <= 800
        window.resize(800, 600)
        window.tabs.setCurrentWidget(window.playlists)
        QApplication.processEvents()
        qtbot.waitUntil(lambda: window.width() == 800, timeout=WAIT)
        panel = window.playlists
        boxes = [b.geometry() for b in panel.buttons.values()]
        holder = next(iter(panel.buttons.values())).parentWidget().rect()
        assert all(
            holder.contains(box) and box.width() >= b.sizeHint().width()
            for box, b in zip(boxes, panel.buttons.values(), strict=True)
        )
        assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
        assert len({box.y() for box in boxes}) >= 2  # wrapped
        flow = next(iter(panel.buttons.values())).parentWidget()
        below = flow.mapTo(panel, flow.rect().bottomLeft()).y()
        assert (
            panel.lists.mapTo(panel, panel.lists.rect().topLeft()).y()
            > below
            >= max(b.bottom() for b in boxes)
        )
        window.resize(1366, 700)
        QApplication.processEvents()
        qtbot.waitUntil(lambda: len({b.geometry().y() for b in panel.buttons.values()}) == 1, timeout=WAIT)
    finally:
        close_window(window, store)


def test_plays_count_completions_and_skips_apart():
    model = TrackTableModel()
    model.set_rows([(1, "a", "x", "y", None, None, None, 1, None, 100.0, "/m/a.ogg", 0, 0.0, 0)])
    for outcome in ("skipped", "skipped", "completed", "stopped", "error"):
        model.add_play(1, outcome)
    assert (model.track(1)[PLAYS], model.track(1)[SKIPS]) == (1, 2)


def test_taste_heat_has_true_signs_and_the_map_explains_a_dot(qtbot):
    from recommender.taste.map import region_heat, taste_signal
    from ui.taste_view import TasteView
    from ui.workers import TaskRunner

    xy = np.array([[-0.8, -0.8], [0.8, 0.8]], dtype=np.float32)
    weights = taste_signal(np.array([4, 0]), np.array([0, 5]), np.array([0.0, 0.0]))
    heat = region_heat(xy, weights, grid=20)
    assert heat.max() > 0.5 and heat.min() < -0.5  # finished region warm, skipped region cold
    assert taste_signal(np.array([0]), np.array([0]), np.array([1.0]))[0] > 0  # a love warms
    view = TasteView(TaskRunner(), ":memory:")
    qtbot.addWidget(view)
    view._loaded(
        {
            "ids": [7, 8],
            "xy": xy.tolist(),
            "plays": [4, 0],
            "skips": [0, 5],
            "heat": heat.tolist(),
            "explained": (0.3, 0.2),
            "labels": {7: ("Song", "Band"), 8: ("Other", "Band")},
        }
    )
    assert view.tooltip_text(8) == "Other — Band\nnever played to the end, skipped 5×\nDouble-click: radio"
    assert view.hasMouseTracking()
    view.resize(700, 500)
    assert view.grab().width() == 700
    rect = view._plot_rect()  # a track beyond the map's percentiles is drawn on its edge, not outside
    for x, y in ((5.0, 5.0), (-9.0, 0.0), (0.0, -3.0)):
        assert rect.contains(view._to_screen(x, y, rect))


def test_album_grid_shows_covers_and_a_click_plays_the_album_in_order(qtbot, corpus_dir, tmp_path):
    from PySide6.QtCore import QBuffer, QIODevice
    from PySide6.QtGui import QColor, QImage
    from ui_helpers import small_library

    from ui.library_rows import DISCNO, ID, TRACKNO

    music = tmp_path / "music"
    db = small_library(corpus_dir, music, tmp_path / "encore.db", wesnoth=4, drascula=3)
    image = QImage(200, 200, QImage.Format.Format_RGB32)
    image.fill(QColor("#00aa00"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    (music / "cover.png").write_bytes(bytes(buffer.data()))  # the folder image of the Wesnoth album
    window, store = open_window(qtbot, db)
    try:
        library = window.library
        library.albums_button.click()
        grid = library.album_grid
        assert library.stack.currentWidget() is grid
        albums = grid.album_model.albums
        assert len(albums) == 2  # the tagged album and the untagged folder
        k = next(i for i, a in enumerate(albums) if str(music / "drascula") not in a[3])
        index = grid.album_model.index(k, 0)
        grid.scrollTo(index)

        def green() -> bool:
            icon = grid.album_model.data(index, Qt.ItemDataRole.DecorationRole)
            pixmap = icon.pixmap(64, 64)
            return not pixmap.isNull() and pixmap.toImage().pixelColor(32, 32) == QColor("#00aa00")

        qtbot.waitUntil(green, timeout=WAIT)
        rows = {r[ID]: r for r in library.model.all_rows()}
        ids = albums[k][2]
        assert [(rows[i][DISCNO] or 0, rows[i][TRACKNO] or 0) for i in ids] == sorted(
            (rows[i][DISCNO] or 0, rows[i][TRACKNO] or 0) for i in ids
        )
        qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.visualRect(index).center())
        qtbot.waitUntil(lambda: window._current_track_id == ids[0], timeout=WAIT)
        entries = window.controller.queue.entries
        assert [e.track_id for e in entries] == ids and {e.source for e in entries} == {"album"}
        assert window.now_playing.why.text() == "Playing the album"
        library.tracks_button.click()
        assert library.stack.currentWidget() is library.table
        library.albums_button.click()
    finally:
        close_window(window, store)
    # The album view is kept across restarts: the grid is on screen from the start, filled on load.
    window, store = open_window(qtbot, db)
    try:
        assert window.library.showing_albums()
        assert window.library.album_grid.album_model.rowCount() == 2
    finally:
        close_window(window, store)


def test_a_watched_folder_picks_up_a_new_file(qtbot, corpus_dir, tmp_path):
    import shutil

    from ui_helpers import WESNOTH, small_library

    music = tmp_path / "music"
    db = small_library(corpus_dir, music, tmp_path / "encore.db", wesnoth=2)
    window, store = open_window(qtbot, db)
    try:
        qtbot.waitUntil(lambda: window.watcher.directories == [str(music)], timeout=WAIT)
        assert window.library.model.rowCount() == 2
        (music / "new album").mkdir()
        new = sorted((corpus_dir / WESNOTH).glob("*.ogg"))[5]
        shutil.copy(new, music / "new album" / new.name)
        qtbot.waitUntil(lambda: window.library.model.rowCount() == 3, timeout=WAIT)
        # The new subfolder is watched too: a file removed from it leaves the library.
        qtbot.waitUntil(lambda: str(music / "new album") in window.watcher.directories, timeout=WAIT)
        (music / "new album" / new.name).unlink()
        qtbot.waitUntil(lambda: window.library.model.rowCount() == 2, timeout=WAIT)
    finally:
        close_window(window, store)


def test_a_second_launch_raises_the_first_and_hands_over_its_files(qtbot, corpus_dir, tmp_path):
    import subprocess
    import sys
    import threading

    from ui_helpers import small_library

    music = tmp_path / "music"
    db = small_library(corpus_dir, music, tmp_path / "encore.db", wesnoth=3)
    window, store = open_window(qtbot, db)
    try:
        target = sorted(music.glob("*.ogg"))[2]
        repo = Path(__file__).resolve().parent.parent
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ENCORE_AUDIO_OUTPUT": "adummy"}
        done: dict = {}

        def second_launch() -> None:  # the real entry point, in its own process
            done["proc"] = subprocess.run(
                [sys.executable, str(repo / "main.py"), "--db", str(db), str(target)],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )

        thread = threading.Thread(target=second_launch)
        thread.start()
        qtbot.waitUntil(lambda: "proc" in done, timeout=60_000)  # it exits: one window only
        thread.join()
        assert done["proc"].returncode == 0, done["proc"].stderr
        with Store.open(db) as check:
            from player.store.tracks import get_track_by_path

            wanted = get_track_by_path(check, str(target))["id"]
        qtbot.waitUntil(lambda: window._current_track_id == wanted, timeout=WAIT)
        # Close with "keep playing in the tray" on: the window hides only where a tray icon is shown.
        window.settings.close_to_tray = True
        assert window.tray.keep_running() == window.tray.available
    finally:
        close_window(window, store)
