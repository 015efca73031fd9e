"""The radio session as the window sees it: Qt signals over the core ``RadioSession``.

Why so thin: what the queue does with a station, a skip or a replaced queue is product logic that
tests and the app-level simulation must reach, so it lives in ``recommender.radio.session``. This
object only loads the station's library in the thread pool (results come back on the GUI thread) and
turns the core's hooks into signals.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from ui.workers import TaskRunner


def build_radio_library(db_path: str) -> Any:
    """The station's arrays for the library in ``db_path`` (runs in a worker thread)."""
    from player.store import Store
    from recommender.radio.load import load_library

    with Store.open(db_path) as store:
        return load_library(store)


def resolve_station_prompt(db_path: str, library: Any, prompt: str) -> Any:
    """A station prompt read against the library (runs in a worker thread, with a store of its own)."""
    from player.store import Store
    from recommender.prompt.resolve import read_prompt

    with Store.open(db_path) as store:
        return read_prompt(prompt, store, library)


class RadioSession(QObject):
    stationChanged = Signal(object)  # the seed label, or None when no radio plays
    planChanged = Signal(list)  # PlanItems
    failed = Signal(str)

    def __init__(
        self, controller: Any, db_path: str, runner: TaskRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        from recommender.radio.session import RadioSession as CoreSession

        def run(job: Any, on_result: Any, on_error: Any) -> None:
            runner.start(job, on_result=on_result, on_error=on_error)

        self.core = CoreSession(
            controller,
            lambda: build_radio_library(str(db_path)),
            run,
            resolve=lambda library, prompt: resolve_station_prompt(str(db_path), library, prompt),
        )
        self.core.on_station_changed.append(self.stationChanged.emit)
        self.core.on_plan_changed.append(self.planChanged.emit)
        self.core.on_failed.append(self.failed.emit)

    # The core's API, forwarded: the window calls these on the GUI thread.
    def __getattr__(self, name: str) -> Any:
        core = self.__dict__.get("core")
        if core is None:
            raise AttributeError(name)
        return getattr(core, name)

    @property
    def active(self) -> bool:
        return self.core.active

    @property
    def label(self) -> str | None:
        return self.core.label

    @property
    def seed_track_id(self) -> int | None:
        return self.core.seed_track_id

    @property
    def station(self) -> Any:
        return self.core.station
