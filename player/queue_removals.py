"""The queue's removals that can still be undone, each Undo putting back the newest one left.

Why a module of its own: the window offered an Undo for the last removal only, so a listener who removed
three tracks one by one got the third back and lost the other two (a walk of the app). Which removal an
Undo puts back, and that a removal from a queue replaced since (a station started, an album played) is
never put into the new one, is what the listener relies on: it lives here, beside the queue, where tests
reach it; the window forwards its Undo button and Ctrl+Z to ``undo``.
"""

from __future__ import annotations

from player.queue_entry import Removal
from player.session import PlaybackController

#: Removals kept for Undo; an older one is forgotten.
KEPT = 20


class RemovalUndo:
    """Removals from one controller's queue, newest last."""

    def __init__(self, controller: PlaybackController) -> None:
        self.controller = controller
        self._removals: list[Removal] = []

    def took(self, removal: Removal) -> None:
        """Remember a removal (``Queue.take``'s answer) for Undo."""
        self._removals = [*self._undoable(), removal][-KEPT:]

    def undo(self) -> Removal | None:
        """Put back the newest removal that can still be; None when none can."""
        removals = self._undoable()
        if not removals:
            self._removals = []
            return None
        removal = removals.pop()
        self._removals = removals
        self.controller.put_back(removal)
        return removal

    def __len__(self) -> int:
        """How many removals an Undo can still put back."""
        return len(self._undoable())

    def _undoable(self) -> list[Removal]:
        return [r for r in self._removals if self.controller.queue.can_put_back(r)]
