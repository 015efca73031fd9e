"""The library browser: artists and albums on the left, the track table on the right, one filter box.

Selecting an artist narrows the albums and tracks; selecting an album narrows the tracks; the filter box
searches artist, album, title and genre as you type (debounced by a few milliseconds so that a fast
typist does not filter 100k rows per keystroke). Actions on tracks are signals for the main window.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from player.text import count_text, search_words
from ui.browse_panes import BrowsePanes
from ui.icons import icon
from ui.library_model import TrackTableModel
from ui.library_rows import LoadedRows, album_counts, artist_counts, row_artist
from ui.track_table import TrackTable

FILTER_DELAY_MS = 120
SOUNDS_PREFIX = "sounds:"  # "sounds: calm piano" in the filter box searches by sound


class LibraryView(QWidget):
    playRequested = Signal(list, int)  # track ids (the visible list), index to start at
    radioRequested = Signal(int)
    enqueueRequested = Signal(list)
    playNextRequested = Signal(list)
    artistActivated = Signal(str)
    albumPlayRequested = Signal(list)  # track ids of an album, in order
    contextMenuAboutToShow = Signal(object, list)  # the QMenu and the selected ids: others add actions
    soundsRequested = Signal(str)  # the filter reads "sounds: QUERY": search by sound (ui.window_shaping)

    def __init__(self, parent: QWidget | None = None, covers: Any = None) -> None:
        super().__init__(parent)
        self.model = TrackTableModel(self)
        self._covers = covers

        self.filter = QLineEdit()
        self.filter.setPlaceholderText(
            "Filter by artist, album, title or genre (Ctrl+F); by sound: sounds: calm piano"
        )
        self.filter.setClearButtonEnabled(True)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self._apply_filter)
        self.filter.textChanged.connect(lambda _text: self._filter_timer.start())
        self.filter.returnPressed.connect(self._filter_done)
        self.filter.installEventFilter(self)  # Down moves into the results, as Enter does

        self.panes = BrowsePanes()
        self.artists, self.albums = self.panes.artists, self.panes.albums
        self.panes.artistChanged.connect(self._fill_albums)
        self.panes.albumChanged.connect(
            lambda: self.model.set_scope(self.current_artist(), self.current_album())
        )

        self.table = TrackTable(self.model)
        self.table.doubleClicked.connect(lambda index: self._play_from(index.row()))
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.count_label = QLabel("")
        self.count_label.setObjectName("trackCount")

        # Tracks or albums: the table, or a grid of covers (built on first use), over the same rows.
        self.tracks_button = QToolButton()
        self.tracks_button.setText("Tracks")
        self.albums_button = QToolButton()
        self.albums_button.setText("Albums")
        views = QButtonGroup(self)
        for k, button in enumerate((self.tracks_button, self.albums_button)):
            button.setCheckable(True)
            button.setAutoRaise(True)
            views.addButton(button, k)
        self.tracks_button.setChecked(True)
        views.idClicked.connect(lambda k: self.show_albums(k == 1))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.album_grid: Any = None
        self._grid_stale = True
        switch = QHBoxLayout()
        switch.setContentsMargins(0, 0, 0, 0)
        switch.addWidget(self.tracks_button)
        switch.addWidget(self.albums_button)
        switch.addStretch(1)
        switch.addWidget(self.count_label)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.stack, 1)
        right_layout.addLayout(switch)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.panes)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([190, 800])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter)
        layout.addWidget(self.splitter, 1)

        self.radio_action = QAction(icon("radio"), "Start radio from this song", self)
        self.radio_action.setShortcut(QKeySequence("Ctrl+R"))
        self.radio_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.radio_action.triggered.connect(self._radio_from_selection)
        self.table.addAction(self.radio_action)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            enter = QShortcut(QKeySequence(key), self.table)
            enter.setContext(Qt.ShortcutContext.WidgetShortcut)
            enter.activated.connect(self._play_current)
        self.model.modelReset.connect(self._update_count)
        self.model.layoutChanged.connect(self._update_count)
        self.model.modelReset.connect(self._rows_changed)

    # -- album grid ----------------------------------------------------------------------------------
    def show_albums(self, on: bool = True) -> None:
        """Show the album grid (covers) instead of the track table, over the same visible rows."""
        if on and self.album_grid is None:
            from ui.album_grid import AlbumGrid
            from ui.covers import CoverCache

            covers = self._covers
            if covers is None:
                from ui.workers import TaskRunner

                covers = CoverCache(TaskRunner(parent=self), size=128, parent=self)
            self.album_grid = AlbumGrid(covers)
            self.album_grid.albumPlayRequested.connect(self.albumPlayRequested)
            self.stack.addWidget(self.album_grid)
        (self.albums_button if on else self.tracks_button).setChecked(True)
        if on:
            self._refresh_grid()
            self.stack.setCurrentWidget(self.album_grid)
        else:
            self.stack.setCurrentWidget(self.table)

    def showing_albums(self) -> bool:
        return self.album_grid is not None and self.stack.currentWidget() is self.album_grid

    def _rows_changed(self) -> None:
        self._grid_stale = True
        if self.album_grid is not None and self.stack.currentWidget() is self.album_grid:
            self._refresh_grid()

    def _refresh_grid(self) -> None:
        if self._grid_stale and self.album_grid is not None:
            self._grid_stale = False
            self.album_grid.set_rows([self.model.track_at(r) for r in range(self.model.rowCount())])

    # -- content -------------------------------------------------------------------------------------
    def set_rows(self, rows: list[tuple]) -> None:
        """Replace the library content, keeping the user's narrowing; the panes are counted here."""
        self._replace(rows, None)

    def set_loaded(self, loaded: LoadedRows) -> None:
        """Replace the library content with what the loading worker left (``library_rows.load_rows``,
        after start-up or a scan), keeping the user's narrowing: its haystack, and its counts where the
        narrowing leaves them valid."""
        self._replace(loaded.rows, loaded)

    def _replace(self, rows: list[tuple], loaded: LoadedRows | None) -> None:
        artist = self.current_artist()
        album = self.current_album()
        self.model.set_rows(rows, loaded.haystack if loaded is not None else None)
        whole = loaded if loaded is not None and self.model.unfiltered() else None
        self._fill_artists(artist, whole.artists if whole is not None else None)
        every_album = whole is not None and self.current_artist() is None
        self._fill_albums(album, whole.albums if whole is not None and every_album else None)
        self._update_count()

    def _fill_artists(self, keep: str | None, counts: list[tuple[str, int]] | None = None) -> None:
        """The artist pane: ``counts`` (``artist_counts`` of the rows the filter matches), or counted now."""
        self.panes.fill_artists(artist_counts(self.model.matching_rows()) if counts is None else counts, keep)

    def _fill_albums(
        self, keep: tuple[str, str] | None = None, albums: list[tuple[str, str, int]] | None = None
    ) -> None:
        """The album pane: ``albums`` (``album_counts`` of the rows the filter matches, for the artist
        chosen), or counted now; the table follows the choice."""
        if albums is None:
            albums = album_counts(self.model.matching_rows(), self.current_artist())
        self.panes.fill_albums(albums, keep)
        self.model.set_scope(self.current_artist(), self.current_album())

    def current_artist(self) -> str | None:
        return self.panes.current_artist()

    def current_album(self) -> tuple[str, str] | None:
        return self.panes.current_album()

    def show_artist(self, artist: str) -> bool:
        """Select ``artist`` in the artist list (clearing the filter); False if the library lacks it."""
        if artist not in self.panes.artist_values:
            return False
        self.filter.clear()
        self._apply_filter()
        return self.panes.choose_artist(artist)

    def show_only(self, track_ids: list[int] | None) -> None:
        """Show just these tracks, in this order (a search by sound), or all again; the panes follow.

        A search by sound is over the whole library: it starts from "All artists", so that the table
        shows every track the status bar counts (a chosen artist hid most of them, in a walk of the app)."""
        artist, album = (
            (None, None) if track_ids is not None else (self.current_artist(), self.current_album())
        )
        self.model.set_only(track_ids)
        self._fill_artists(artist)
        self._fill_albums(album)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (
            obj is self.filter
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
        ):
            self._filter_done()
            return True
        if (  # Escape clears a filter, as in every search field (found in a walk of the app: it did not)
            obj is self.filter
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and self.filter.text()
        ):
            self.filter.clear()
            return True
        return super().eventFilter(obj, event)

    def _filter_done(self) -> None:
        """Enter or Down in the filter: apply it now and move into the results, on the first row (three
        Tabs and no visible focus used to separate the typed words from the tracks they found)."""
        self._apply_filter()
        if self.filter.text().strip().casefold().startswith(SOUNDS_PREFIX):
            return  # a search by sound answers later, in the status bar and the table
        view = self.album_grid if self.showing_albums() and self.album_grid is not None else self.table
        view.setFocus(Qt.FocusReason.TabFocusReason)
        model = view.model()
        if model is not None and model.rowCount() > 0 and not view.currentIndex().isValid():
            view.setCurrentIndex(model.index(0, 0))

    def _apply_filter(self) -> None:
        self._filter_timer.stop()
        text = self.filter.text()
        if text.strip().casefold().startswith(SOUNDS_PREFIX):
            self.soundsRequested.emit(text.strip()[len(SOUNDS_PREFIX) :].strip())
            return
        changed = " ".join(search_words(text)) != self.model.filter_text()
        was_sounds = self.model._only is not None
        self.model.set_only(None)
        if not changed and not was_sounds:
            return
        artist, album = self.current_artist(), self.current_album()
        self.model.set_filter(text)
        self._fill_artists(artist)  # the panes list only what the filter matches
        self._fill_albums(album)

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), len(self.model.all_rows())
        if shown == 0 and total and self.model.filter_text():
            # Said, not left as an empty table: a miss looks like a broken filter otherwise.
            self.count_label.setText(f"No matches for '{self.filter.text().strip()[:60]}'")
            return
        self.count_label.setText(f"{shown} of {count_text(total)}" if shown != total else count_text(total))

    # -- actions -------------------------------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        if not rows and self.table.currentIndex().isValid():
            rows = [self.table.currentIndex().row()]
        return [self.model.track_id_at(r) for r in rows]

    def select_track(self, track_id: int) -> bool:
        row = self.model.row_of(track_id)
        if row is None:
            return False
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def _play_from(self, row: int) -> None:
        self.playRequested.emit(self.model.visible_ids(), row)

    def _play_current(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self._play_from(index.row())

    def _radio_from_selection(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.radioRequested.emit(ids[0])

    def _context_menu(self, pos: object) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        ids = self.selected_ids()
        self.context_track_id = self.model.track_id_at(index.row())  # its artist is the one offered
        menu = QMenu(self)
        menu.addAction(icon("play"), "Play", lambda: self._play_from(index.row()))
        menu.addAction(self.radio_action)
        menu.addAction("Play next", lambda: self.playNextRequested.emit(ids))
        menu.addAction("Add to queue", lambda: self.enqueueRequested.emit(ids))
        artist = row_artist(self.model.track_at(index.row()))
        menu.addSeparator()
        menu.addAction("Fans also like…", lambda: self.artistActivated.emit(artist))
        self.contextMenuAboutToShow.emit(menu, ids)
        menu.exec(self.table.viewport().mapToGlobal(pos))
