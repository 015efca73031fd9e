"""``QueueChange`` and the queue's listeners: who is told about a change, on which thread, and how.

Why a module of its own: the controller (to keep the player's preloaded next item in step) and the UI
(through a Qt signal) both follow the queue; telling them is a job apart from ordering the entries. A
listener is called on the thread that made the change, once the change is made and saved; one that fails
is logged and never stops the others nor the change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueChange:
    """``kind``: "entries" (added, removed, moved, cleared), "current" (the cursor moved) or "modes"
    (shuffle/repeat)."""

    kind: str


Listener = Callable[[QueueChange], None]


class QueueListeners:
    """The listeners of one queue, guarded by the queue's own lock (shared with the controller)."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(QueueChange)`` after every change; returns an unsubscribe function."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def notify(self, *kinds: str) -> None:
        """Tell every listener, kind by kind, on the calling thread."""
        with self._lock:
            listeners = list(self._listeners)
        for kind in kinds:
            for listener in listeners:
                try:
                    listener(QueueChange(kind))
                except Exception:
                    log.exception("queue listener %r failed", listener)
