"""Encore's main window: library browser, queue, "Fans also like", taste map and the now-playing bar.

``__init__`` only builds widgets, so the window paints at once; the slow half of start-up (``start()``)
and the shutdown live in ``ui.window_lifecycle``. The window's other jobs are mixins too: menus and
shortcuts (``ui.window_actions``), playback (``ui.window_playback``), background jobs
(``ui.window_jobs``) and shaping what plays (``ui.window_shaping``).
"""

from __future__ import annotations

import base64
import logging
import os
import time
from typing import Any

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from player.queue_entry import Removal
from player.store import Store
from player.text import count_text
from ui.background import BackgroundJobs
from ui.covers import CoverCache
from ui.icons import icon
from ui.library_rows import LoadedRows, load_rows, row_artist
from ui.library_view import LibraryView
from ui.notice import NoticeBar
from ui.now_playing import NowPlayingBar
from ui.queue_view import QueueView
from ui.settings import UiSettings
from ui.similar_panel import SimilarPanel
from ui.window_actions import WindowActions
from ui.window_jobs import WindowJobs
from ui.window_lifecycle import WindowLifecycle
from ui.window_now_playing import WindowNowPlaying
from ui.window_playback import WindowPlayback
from ui.window_shaping import WindowShaping
from ui.workers import TaskRunner

log = logging.getLogger(__name__)


def first_size(screen: Any) -> tuple[int, int]:
    """The window's size before any saved one: 1280 × 800 where the screen has room, else what fits its
    free area with room for the title bar (found in a walk of the app: on a 1366 × 768 screen the
    transport bar was below the screen's edge until the window was maximised)."""
    width, height = 1280, 800
    if screen is None:
        return width, height
    free = screen.availableGeometry()
    return min(width, free.width() - 16), min(height, free.height() - 48)


class MainWindow(
    WindowShaping, WindowActions, WindowPlayback, WindowNowPlaying, WindowJobs, WindowLifecycle, QMainWindow
):
    libraryLoaded = Signal()  # rows are in the track table
    started = Signal()  # controller ready (queue restored)
    listenBrainzProblem = Signal(object)  # str | None, from the ListenBrainz sender's thread

    def __init__(self, store: Store, *, backend: str | None = None, first_run_dialog: bool = True) -> None:
        super().__init__()
        self.store = store
        self.db_path = str(store.path)
        self.backend = backend or os.environ.get("ENCORE_PLAYBACK_BACKEND", "vlc")
        self.first_run_dialog = first_run_dialog
        self.settings = UiSettings.load(store)
        self.runner = TaskRunner(parent=self)
        self.covers = CoverCache(self.runner, size=144, parent=self)
        self.controller: Any = None
        self.removals: Any = None  # ``player.queue_removals.RemovalUndo``, with the controller
        self.rows_loading, self.load_started, self.last_load_s = False, 0.0, 0.0  # the library's loads
        self.scan_reload_at = time.monotonic()  # its last load while a scan runs (``WindowJobs``)
        self.bridge: Any = None
        self.radio: Any = None
        self.listening: Any = None  # recommender.radio.session.ListeningSession, once playback starts
        self.submitter: Any = None  # ListenBrainzSubmitter (player.listenbrainz), once playback starts
        self.mpris: Any = None
        self.tray: Any = None
        self.notifier: Any = None
        self.queue_model: Any = None
        self.current_entry: Any = None
        self._current_track_id: int | None = None
        self._closing = False

        self.setWindowTitle("Encore")
        self.setWindowIcon(icon("encore"))
        self.resize(*first_size(self.screen()))

        self.album_covers = CoverCache(self.runner, size=128, parent=self)
        self.library = LibraryView(covers=self.album_covers)
        self.queue_view = QueueView()
        self.similar = SimilarPanel(self.runner, self.db_path)
        self.similar.track_label = self._library_label
        self.tabs = QTabWidget()
        self.tabs.addTab(self.library, icon("library"), "Library")
        self.taste = None  # created on first visit of the tab (keeps start-up lean)
        self.tabs.addTab(QLabel("Your taste map appears here."), "Your taste")
        self.tabs.currentChanged.connect(self._tab_changed)
        from ui.for_you_view import ForYouView

        self.for_you = ForYouView(self.runner, self.db_path)  # loads on its first visit
        self.for_you.track_info = self._track_info  # names tracks as the library does
        self.for_you.place_of = self.library.model.place_of  # ... and says where each one lives
        self.for_you.store = store  # where its export dialog remembers its folder
        self.tabs.addTab(self.for_you, icon("discovery"), "For you")
        self.tabs.currentChanged.connect(
            lambda i: self.tabs.widget(i) is self.for_you and self.for_you.ensure_loaded()
        )
        from ui.stations_view import StationsView

        self.stations = StationsView(self.store)
        self.stations.names = lambda: sorted({row_artist(r) for r in self.library.model.all_rows()})
        self.stations.playRequested.connect(self.start_prompt_station)
        self.stations.dial.valueChanged.connect(self.for_you.daily.set_dial)
        self.stations.dial.valueChanged.connect(
            lambda v: not self.stations.dial.isSliderDown() and self._steer(v)
        )
        self.stations.dial.sliderReleased.connect(lambda: self._steer(self.stations.dial.value()))
        self.for_you.daily.playRequested.connect(lambda ids, name: self.play_playlist(ids, 0, name))
        self.for_you.notInterested.connect(lambda name: self.rate([], -1, artist=name))
        self.similar.notInterested.connect(lambda name: self.rate([], -1, artist=name))
        self.tabs.addTab(self.stations, icon("radio"), "Stations")

        self.side = QSplitter(Qt.Orientation.Vertical)
        self.side.addWidget(self.queue_view)
        self.side.addWidget(self.similar)
        self.side.setSizes([300, 500])
        self.main_split = QSplitter(Qt.Orientation.Horizontal)
        self.main_split.addWidget(self.tabs)
        self.main_split.addWidget(self.side)
        # Both columns give way when the window narrows (the side column by a third as much).
        self.main_split.setStretchFactor(0, 3)
        self.main_split.setStretchFactor(1, 1)
        self.side.setMinimumWidth(220)
        self.main_split.setSizes([960, 320])

        self.now_playing = NowPlayingBar()
        self.notice = NoticeBar()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.main_split, 1)
        layout.addWidget(self.notice)
        layout.addWidget(self.now_playing)
        self.setCentralWidget(central)

        # Status bar: background jobs (scan, analysis) with progress, ETA and pause.
        self.status_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        # No percentage inside the bar: the label beside it gives the counts, and the style's text,
        # half over the fill, read "39%" as "9%" (a walk).
        self.progress.setTextVisible(False)
        self.progress.setVisible(False)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setVisible(False)
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.pause_button)
        self.jobs = BackgroundJobs(self, self.runner, self.db_path)
        self.jobs.status.connect(self._show_job_status)
        self.jobs.scanFinished.connect(self._scan_finished)
        self.jobs.analysisFinished.connect(self._analysis_finished)
        self.jobs.historyImported.connect(self._history_imported)
        self.pause_button.clicked.connect(self.jobs.toggle_pause)

        self._build_menus()
        self._build_shortcuts()
        self._build_shaping()  # love/ban, Playlists tab, search by sound, Radio to… (ui.window_shaping)
        self._restore_geometry()
        if self.settings.library_view == "albums":
            self.library.show_albums(True)  # as the user left it; filled when the rows load

        self.library.playRequested.connect(self.play_tracks)
        self.library.radioRequested.connect(self.start_radio)
        self.library.albumPlayRequested.connect(lambda ids: self.play_tracks(ids, 0, source="album"))
        self.library.enqueueRequested.connect(lambda ids: self.controller and self.controller.enqueue(ids))
        self.library.playNextRequested.connect(lambda ids: self.controller and self.controller.play_next(ids))
        self.library.artistActivated.connect(self.similar.show_artist)
        self.similar.showArtistRequested.connect(self._show_artist_tracks)
        self.similar.radioRequested.connect(self.start_radio)
        self.similar.playRequested.connect(lambda tid: self.play_tracks([tid], 0))
        self.for_you.playRequested.connect(lambda ids, name: self.play_playlist(ids, 0, name))
        self._wire_playback_controls()
        self.queue_view.playEntryRequested.connect(self.play_entry)
        self.queue_view.radioRequested.connect(self.start_radio)
        self.queue_view.entriesRemoved.connect(self._queue_entries_removed)
        self.queue_view.undoRequested.connect(self.undo_removal)
        self.listenBrainzProblem.connect(self._listenbrainz_problem)

    # -- library rows ----------------------------------------------------------------------------------
    def reload_library(self) -> None:
        self.rows_loading, self.load_started = True, time.monotonic()
        worker = self.runner.start(load_rows, self.db_path, on_result=self._rows_loaded)
        worker.signals.done.connect(lambda: setattr(self, "rows_loading", False))  # a failed load too

    def _rows_loaded(self, loaded: LoadedRows) -> None:
        from player.store.ratings import rated_artists

        self.last_load_s = time.monotonic() - self.load_started
        rows = loaded.rows
        # Read here, not by the loading worker: a rating made while it loaded would be undone.
        self.library.panes.set_artist_ratings(rated_artists(self.store))
        self.library.set_loaded(loaded)
        self.__dict__.pop("_stored_info", None)  # names of tracks the table lacks: look them up again
        if self._current_track_id is not None:
            self.library.model.set_playing(self._current_track_id)
            self.refresh_shown_entry()
        elif self.controller is not None and self.controller.player.current is not None:
            # The queue restored at start-up (loaded, not playing): show where it stands.
            current = self.controller.player.current
            entry = self.controller.queue.get(current.key)
            if entry is not None and self.library.model.track(entry.track_id) is not None:
                self._show_entry(entry, current.path, current.duration)
                self._position_changed(self.controller.position, current.duration or 0.0)
        if not self.jobs.busy:
            self.status_label.setText(self.library_status(len(rows)))
            if not rows and self.settings.first_run_done and not self.settings.folders:
                self.offer_first_folder()
        if self.queue_model is not None:
            self.queue_model.refresh()
        self.libraryLoaded.emit()

    # -- panels ------------------------------------------------------------------------------------------
    def _queue_entries_removed(self, removal: Removal) -> None:
        """Entries removed from the queue can be put back (a walk lost a whole queue to Ctrl+A, Delete),
        each removal in turn (``player.queue_removals``)."""
        if self.removals is not None:
            self.removals.took(removal)
            self.notice.show_notice(
                f"Removed {count_text(len(removal))} from the queue.", "Undo", self.undo_removal
            )

    def undo_removal(self) -> None:
        """Put back the newest removal from the queue (the notice's Undo, Ctrl+Z in the queue)."""
        removal = self.removals.undo() if self.removals is not None else None
        if removal is None:
            self.statusBar().showMessage("Nothing removed from the queue to put back", 5000)
            return
        text = f"Put back {count_text(len(removal))} in the queue."
        left = len(self.removals)
        if left:
            more = "one removal" if left == 1 else f"{left} removals"
            self.notice.show_notice(f"{text} Undo puts back {more} before it.", "Undo", self.undo_removal)
        else:
            self.notice.show_notice(text)

    def _show_artist_tracks(self, artist: str) -> None:
        self.tabs.setCurrentWidget(self.library)
        if not self.library.show_artist(artist):
            self.statusBar().showMessage(f"{artist} is not in your library", 5000)

    def _steer(self, dial: int) -> None:
        """The dial steers the station from the Stations tab that plays now (not a radio from a song,
        which the dial never set): planned again from the playing track (``ListeningSession.steer``)."""
        if self.listening is None or self.radio is None or self.radio.prompt is None:
            return
        if self.listening.steer(self._radio_settings(dial)):
            self.settings.radio_dial = int(dial)
            self.settings.save(self.store)

    def _tab_changed(self, index: int) -> None:
        if index == 1 and self.taste is None:
            from ui.taste_view import TasteView

            self.taste = TasteView(self.runner, self.db_path)
            self.taste.radioRequested.connect(self.start_radio)
            self.tabs.blockSignals(True)
            self.tabs.removeTab(1)
            self.tabs.insertTab(1, self.taste, "Your taste")
            self.tabs.setCurrentIndex(1)
            self.tabs.blockSignals(False)
            self.taste.set_playing(self._current_track_id)
            self.taste.refresh()
        elif index == 1 and self.taste is not None:
            self.taste.refresh_if_stale()
        elif self.tabs.widget(index) is getattr(self, "playlists", None):
            # A smart playlist's tracks follow plays, skips and ratings made since it was shown (found in
            # a walk of the app: a track played to its end stayed in "plays < 1" until another was chosen).
            shown = self.playlists.current()
            if shown is not None and shown["smart"]:
                self.playlists.show_current()

    # -- window state -----------------------------------------------------------------------------------
    def _splitters(self) -> dict[str, QSplitter]:
        """The splitters whose sizes the window keeps between runs, by their name in the settings."""
        return {
            "main": self.main_split,
            "side": self.side,
            "library": self.library.splitter,
            "panes": self.library.panes,  # artists over albums
        }

    def _restore_geometry(self) -> None:
        s = self.settings
        try:
            if s.geometry:
                self.restoreGeometry(QByteArray(base64.b64decode(s.geometry)))
            if s.window_state:
                self.restoreState(QByteArray(base64.b64decode(s.window_state)))
            for name, value in s.splitters.items():
                splitter = self._splitters().get(name)
                if splitter is not None and value:
                    splitter.restoreState(QByteArray(base64.b64decode(value)))
        except (ValueError, TypeError):
            log.warning("ignoring a damaged saved window geometry")

    def save_window_state(self) -> None:
        def b64(data: QByteArray) -> str:
            return base64.b64encode(bytes(data.data())).decode("ascii")

        self.settings.library_view = "albums" if self.library.showing_albums() else "tracks"
        self.settings.geometry = b64(self.saveGeometry())
        self.settings.window_state = b64(self.saveState())
        self.settings.splitters = {
            name: b64(splitter.saveState()) for name, splitter in self._splitters().items()
        }
        self.settings.save(self.store)
