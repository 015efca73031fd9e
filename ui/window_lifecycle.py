"""The main window's start-up and shutdown (a mixin of ``MainWindow``).

Start-up is split in two so the window paints at once: ``MainWindow.__init__`` only builds widgets;
``start()`` (queued right after ``show()``) loads the library rows in a worker, creates the playback
controller (libvlc), restores the queue, and only then kicks off the first-run question, the background
scan and the background analysis. Nothing heavy (torch, librosa, implicit, scipy) is imported before the
first paint; the recommender loads lazily in workers when a radio or a panel first needs it.

Shutdown is here too because it undoes what ``start()`` made, in the order that is safe: state saved,
background work stopped and drained, then D-Bus (MPRIS, single instance), tray, notifications, playback
and the store released.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent

from player.store import Store

log = logging.getLogger(__name__)


def first_and_last(message: str) -> str:
    """A message drawn over lines (a prompt, a caret line, the error) on one line for the status bar:
    its first line and its last ("The station could not start: no artist … is called 'X'")."""
    lines = [line for line in message.splitlines() if line.strip()]
    return message if len(lines) < 2 else f"{lines[0].rstrip()} {lines[-1].strip()}"


class WindowLifecycle:
    """``start()`` once the window is on screen; ``closeEvent``, ``quit()`` and ``shutdown()`` at the end."""

    def start(self) -> None:
        """The slow half of start-up, run once the window is on screen."""
        self.status_label.setText("Loading the library…")
        self.reload_library()
        from player.queue_removals import RemovalUndo
        from player.session import PlaybackController
        from ui.playback_bridge import PlaybackBridge
        from ui.queue_model import QueueModel
        from ui.radio_session import RadioSession

        self.controller = PlaybackController(Store.open(self.db_path), backend=self.backend)
        self.removals = RemovalUndo(self.controller)  # what Undo puts back in the queue
        self.controller.set_volume(self.settings.volume)
        self.bridge = PlaybackBridge(self.controller, self)
        self.bridge.trackStarted.connect(self._track_started)
        self.bridge.positionChanged.connect(self._position_changed)
        self.bridge.stateChanged.connect(self._state_changed)
        self.bridge.error.connect(self._playback_error)
        self.queue_model = QueueModel(self.controller.queue, self._track_info, self)
        self.queue_view.set_model(self.queue_model)
        self.queue_model.changed.connect(self._sync_modes)
        self.queue_model.changed.connect(self._show_queue_emptied)
        self.radio = RadioSession(self.controller, self.db_path, self.runner, self)
        from recommender.radio.listening import ListeningSession

        self.listening = ListeningSession(self.controller, self.radio.core)
        self.listening.on_replaced.append(self.offer_undo)  # a station from a prompt, once it is read
        self.queue_model.reason_of = self.radio.why  # radio picks say why in the queue's tooltip
        self.queue_model.place_of = self.library.model.place_of  # ... and every entry its album and file
        self.radio.stationChanged.connect(self._station_changed)
        self.radio.failed.connect(
            lambda message: self.statusBar().showMessage(first_and_last(message), 10000)
        )
        self.radio.failed.connect(lambda m: m.startswith("The station") and self.stations.show_error(m))
        self.bridge.playFinished.connect(self.radio.play_finished)
        self.bridge.playFinished.connect(self._play_finished)
        self._start_listenbrainz()
        entry = self.controller.restore()
        s = self.settings
        if entry is not None and entry.source == "radio" and s.radio_label and entry.seed == s.radio_label:
            if s.radio_prompt:  # a station from a prompt: read it again, plan on from this track
                self.radio.set_settings(self._radio_settings(s.radio_dial))
                self.radio.resume(entry.track_id, s.radio_label, entry.track_id, prompt=s.radio_prompt)
            elif s.radio_seed_id is not None:
                self.radio.set_settings(self._radio_settings())
                self.radio.resume(s.radio_seed_id, s.radio_label, entry.track_id)
        self._start_desktop_integration()
        self._sync_modes()
        self.start_watching()
        self.started.emit()
        if not self.settings.first_run_done and not self.settings.folders:
            if self.first_run_dialog:
                QTimer.singleShot(0, self.ask_for_folders)
        elif self.settings.folders and self.settings.scan_on_start:
            self.jobs.scan(self.settings.folders)
        elif self.settings.analysis_enabled:
            self.jobs.analyze(self.settings.analysis_device)

    def _radio_settings(self, dial: int = 0) -> Any:
        """The radio's settings as the user set them, at this step of the familiar <-> new dial."""
        try:
            settings = self.settings.radio_settings()
            return replace(settings, dial=int(dial)) if dial else settings
        except Exception:  # the radio module failed to import: the station uses its defaults
            log.exception("radio settings")
            return None

    def _start_listenbrainz(self) -> None:
        """Listens out (opt-in): the submitter queues qualifying plays and sends them from its own thread,
        which only starts once the user has turned it on (``player.listenbrainz``)."""
        from player.listenbrainz.settings import ListenBrainzSettings
        from player.listenbrainz.submitter import ListenBrainzSubmitter

        self.submitter = ListenBrainzSubmitter(self.db_path, ListenBrainzSettings.load(self.store))
        self.submitter.on_problem(self.listenBrainzProblem.emit)  # queued to the GUI thread
        self.submitter.attach(self.controller)
        self.submitter.start()

    def _start_desktop_integration(self) -> None:
        try:
            from ui.mpris import Mpris

            self.mpris = Mpris(self)
            self.mpris.register()
        except Exception:
            log.exception("MPRIS is not available")
            self.mpris = None
        from ui.tray import Tray

        self.tray = Tray(self)
        try:
            from ui.notifications import TrackNotifier

            self.notifier = TrackNotifier(parent=self)
        except Exception:  # QtDBus missing: the app plays on without notifications
            log.exception("desktop notifications are not available")
            self.notifier = None
        from ui.single_instance import InstanceServer, server_name

        self.instance_server = InstanceServer(server_name(self.db_path), self)
        self.instance_server.activated.connect(self.open_files)
        if not self.instance_server.listen():
            log.warning("single-instance server %s could not listen", self.instance_server.name)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.tray is not None and self.tray.keep_running() and not self._closing:
            self.hide()
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def quit(self) -> None:
        """Close and end the app (menu, tray, MPRIS). Closing a window that is already hidden in the tray
        is not "the last window closed", so Qt's event loop would go on with no window, icon or sound
        (issue 26 item 1): once shut down, the loop is told to end."""
        self._closing = True
        self.close()
        if getattr(self, "_shut", False):
            from PySide6.QtCore import QCoreApplication

            QCoreApplication.quit()

    def shutdown(self) -> None:
        """Save state, stop background work and playback, release libvlc and D-Bus."""
        if getattr(self, "_shut", False):
            return
        self._shut = True
        if not getattr(self, "store_damaged", False):  # a damaged file is never written again
            try:
                self.save_window_state()
            except (sqlite3.Error, OSError) as exc:  # read-only or full: the user was told (ui.faults)
                log.warning("the window state was not saved: %s", exc)
        if getattr(self, "watcher", None) is not None:
            self.watcher.stop()
        self.jobs.cancel_all()
        if self.radio is not None:
            self.radio.close()
        # Out of sight at once: the wait below can take seconds (a scan or an analysis being stopped), and
        # a window left on screen that no longer answered read as Ctrl+Q doing nothing (a walk: 5 s).
        self.hide()
        if self.tray is not None:
            self.tray.hide()
        # Let running workers finish (a cancelled job stops at its next progress report) and deliver
        # their queued results now, while every receiver and the controller still exist.
        self.runner.wait(60000)
        from PySide6.QtCore import QCoreApplication

        QCoreApplication.processEvents()
        if self.mpris is not None:
            self.mpris.unregister()
        if getattr(self, "instance_server", None) is not None:
            self.instance_server.close()
        if self.tray is not None:
            self.tray.hide()
        if getattr(self, "notifier", None) is not None:
            self.notifier.close()
        if self.queue_model is not None:
            self.queue_model.close()
        if self.bridge is not None:
            self.bridge.close()
        if self.controller is not None:
            self.controller.shutdown()  # the last play's listen is queued here, sent by the next run
            if self.submitter is not None:
                self.submitter.close()
            self.controller.store.close()
