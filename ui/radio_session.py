"""Glue between a radio ``Station`` (core, Qt-free) and the play queue: the queue shows the plan.

Why here: the station plans track ids and learns from finished plays; the queue plays entries. This
object keeps the two in step on the GUI thread: it puts the station's planned tracks into the queue as
"radio" entries, tells the station which planned track started, feeds it every finished play of the
station (skips and completions re-plan at once) and then replaces the upcoming radio entries with the
new plan. Building the ``RadioLibrary`` (arrays from the store and the factor bundle) is the only slow
part; it runs in the thread pool on its own ``Store`` and is cached until the library changes.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal

from ui.workers import TaskRunner

log = logging.getLogger(__name__)


def build_radio_library(db_path: str) -> Any:
    """The station's arrays for the library in ``db_path`` (runs in a worker thread)."""
    from player.store import Store
    from recommender.radio.load import load_library

    with Store.open(db_path) as store:
        return load_library(store)


class RadioSession(QObject):
    stationChanged = Signal(object)  # the seed label, or None when no radio plays
    planChanged = Signal(list)  # PlanItems
    failed = Signal(str)

    def __init__(
        self, controller: Any, db_path: str, runner: TaskRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.db_path = db_path
        self.runner = runner
        self.station: Any = None
        self.label: str | None = None
        self.seed_track_id: int | None = None
        self._library: Any = None
        self._loading = False
        self._why: dict[int, str] = {}
        self._settings: Any = None
        self._excluded: set[int] = set()  # tracks banned during the session: never queued

    # -- lifecycle ---------------------------------------------------------------------------------
    def invalidate(self) -> None:
        """The library changed (scan, analysis): the next station rebuilds its arrays."""
        self._library = None

    def exclude(self, track_ids: Any) -> None:
        """Tracks just banned: out of the queue now, out of every plan; the next station's library
        leaves them out anyway (``load_library``)."""
        self._excluded |= {int(t) for t in track_ids}
        self._library = None
        self._sync_queue()

    def set_settings(self, settings: Any) -> None:
        self._settings = settings

    def start(self, seed_track_id: int, label: str) -> None:
        """Play the seed now and plan the station (at once if the arrays are cached, else when loaded)."""
        self.stop()
        self.label = label
        self.seed_track_id = int(seed_track_id)
        self.controller.play_tracks([seed_track_id], "radio", label)
        self.stationChanged.emit(label)
        self._plan_when_ready()

    def resume(self, seed_track_id: int, label: str, current_track_id: int | None) -> None:
        """After a restart: the queue still holds this station's entries; plan on from where it was."""
        self.label = label
        self.seed_track_id = int(seed_track_id)
        self._resume_current = current_track_id
        self.stationChanged.emit(label)
        self._plan_when_ready()

    def _plan_when_ready(self) -> None:
        """Make the station now if the library arrays are loaded, else load them in the background."""
        if self._library is not None:
            self._make_station()
        elif not self._loading:
            self._loading = True
            self.runner.start(
                build_radio_library,
                str(self.db_path),
                on_result=self._library_loaded,
                on_error=self._load_failed,
            )

    def close(self) -> None:
        """The app is closing: end the station and ignore results still on their way."""
        self.stop()
        self._closed = True

    def stop(self) -> None:
        if self.station is None and self.label is None:
            return
        self.station = None
        self.label = None
        self.seed_track_id = None
        self._why = {}
        self.stationChanged.emit(None)

    @property
    def active(self) -> bool:
        return self.station is not None

    def why(self, track_id: int) -> str:
        return self._why.get(int(track_id), "")

    def plan_ids(self) -> list[int]:
        return [p.track_id for p in self.station.plan] if self.station is not None else []

    # -- events (GUI thread) -------------------------------------------------------------------------
    def track_started(self, entry: Any) -> None:
        """A queue entry started playing; if it belongs to this station, the station moves past it."""
        if self.station is None or entry is None or entry.source != "radio" or entry.seed != self.label:
            if entry is not None and self.station is not None and entry.source != "radio":
                self.stop()  # the user played something else: the station ends
            return
        track_id = int(entry.track_id)
        if track_id == self.seed_track_id and not self.station.history[1:]:
            return
        planned = self.plan_ids()
        if planned and planned[0] == track_id:
            item = self.station.next_item()  # the planned next track: the station moves on and re-plans
            self._why[item.track_id] = item.why
        else:
            # The user jumped to a later planned track (or dragged one up): it becomes the station's
            # current track, the planned tracks before it are passed over and the plan goes on after it.
            self.station.playing(track_id)
        self._sync_queue()

    def play_finished(self, play: Any) -> None:
        """A play of this station ended: learn from it (skip or completion) and re-plan the queue."""
        if self.station is None or play.source != "radio" or play.seed != self.label:
            return
        from recommender.radio.station import PlayEvent

        self.station.observe(PlayEvent(int(play.track_id), str(play.outcome)))
        self._sync_queue()

    # -- internals -----------------------------------------------------------------------------------
    def _library_loaded(self, library: Any) -> None:
        self._loading = False
        if getattr(self, "_closed", False):
            return
        self._library = library
        if self.label is not None and self.station is None:
            self._make_station()

    def _load_failed(self, message: str) -> None:
        self._loading = False
        log.error("radio library failed to load: %s", message)
        self.failed.emit(f"The radio could not start: {message}")

    def _make_station(self) -> None:
        from recommender.radio.station import Station

        try:
            self.station = Station(self._library, self.seed_track_id, self._settings)
        except Exception as exc:  # e.g. the seed is not in the library any more
            log.exception("cannot start a station from track %s", self.seed_track_id)
            self.failed.emit(f"The radio could not start: {exc}")
            return
        self._why[self.seed_track_id] = "the seed"
        current = getattr(self, "_resume_current", None)
        self._resume_current = None
        if current is not None and current != self.seed_track_id:
            self.station.playing(int(current))  # plan on from the track that was playing
        self._sync_queue()

    def _sync_queue(self) -> None:
        """Make the queue's upcoming radio entries equal to the station's plan."""
        if self.station is None:
            return
        for item in self.station.plan:
            self._why[item.track_id] = item.why
        queue = self.controller.queue
        with self.controller.lock:
            upcoming = queue.upcoming()
            ours = [e for e in upcoming if e.source == "radio" and e.seed == self.label]
            plan = [t for t in self.plan_ids() if t not in self._excluded]
            if [e.track_id for e in ours] != plan:
                if ours:
                    queue.remove([e.id for e in ours])
                queue.append(plan, "radio", self.label)
        self.planChanged.emit(list(self.station.plan))
