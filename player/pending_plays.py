"""``PendingPlays``: what the controller's commands say about plays the player has yet to report.

Why a module of its own: the player only knows that a play it ends was "replaced" or "stopped", and that
an item started; why (a new queue is "replaced", a jump or Next is "next", Previous "previous") and which
play a start takes up again (an Undo put back the entry a replacement cut: ``ListeningLog.start``'s
``takes_up``) are the controller's, and must wait for the player's report: libvlc reports it later, from
its own thread, after the command returned, and may still report the start or end of an item the command
cut short before it. So each is kept by the item (queue entry id) it is about and matched by that, never
by order. Callers hold the controller's lock.
"""

from __future__ import annotations

from typing import Any


class PendingPlays:
    """At most one end reason and one take-up, each waiting for its item's report."""

    def __init__(self) -> None:
        self._ending: tuple[Any, str] | None = None  # (item key, why the play ends)
        self._takes_up: tuple[int, int] | None = None  # (queue entry id, play id)

    def will_end(self, key: Any, reason: str) -> None:
        """The play of item ``key`` is about to end by a command of ours, for ``reason``."""
        self._ending = (key, reason)

    def ended(self, key: Any, reason: str) -> str:
        """Why the play of item ``key`` ended, which the player reports as ``reason``: a command's own
        reason when one ended it ("replaced" or "stopped" as the player saw it), else ``reason``."""
        ending = self._ending
        if ending is not None and ending[0] == key:
            self._ending = None
            if reason in ("replaced", "stopped"):
                reason = ending[1]  # a command of ours ended it: say why
        return reason

    def will_take_up(self, entry_id: int, play_id: int | None) -> None:
        """When entry ``entry_id`` starts, it takes play ``play_id`` up again (None: a play of its own)."""
        self._takes_up = (entry_id, play_id) if play_id else None

    def takes_up(self, entry_id: int) -> int | None:
        """The play that entry ``entry_id``, starting now, takes up again; None for a play of its own."""
        if self._takes_up is not None and self._takes_up[0] == entry_id:
            play_id, self._takes_up = self._takes_up[1], None
            return play_id
        return None
