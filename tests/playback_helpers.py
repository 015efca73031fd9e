"""Shared helpers of the playback tests: corpus tracks by file name, and waiting for player events."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from player.store import Store
from player.store.tracks import get_track_by_path

WESNOTH = "wesnoth-1.16-music/games/wesnoth/1.16/data/core/music"


def wesnoth(corpus_dir: Path, name: str) -> Path:
    return corpus_dir / WESNOTH / name


def track(store: Store, corpus_dir: Path, name: str) -> dict[str, Any]:
    """The tracks row of a Wesnoth soundtrack file (e.g. "defeat.ogg": 8.5 s)."""
    row = get_track_by_path(store, str(wesnoth(corpus_dir, name)))
    assert row is not None, f"{name} is not in the scanned corpus"
    return row


class Recorder:
    """Collects events from any thread; ``wait_for`` blocks until one matches (generous timeouts)."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self._cond = threading.Condition()

    def __call__(self, event: Any) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[Any], bool], timeout: float = 30.0, count: int = 1) -> list[Any]:
        with self._cond:
            ok = self._cond.wait_for(lambda: len([e for e in self.events if predicate(e)]) >= count, timeout)
            found = [e for e in self.events if predicate(e)]
        assert ok, f"timed out waiting for an event; got {[type(e).__name__ for e in self.events]}"
        return found

    def of(self, kind: type) -> list[Any]:
        with self._cond:
            return [e for e in self.events if isinstance(e, kind)]

    def kinds(self, *, skip: tuple[type, ...] = ()) -> list[str]:
        with self._cond:
            return [type(e).__name__ for e in self.events if not isinstance(e, skip)]
