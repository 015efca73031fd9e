"""What a file that failed to play means for the queue: skip it, or stop because its folder is gone.

Why a module of its own: the controller (``player.session``) wires the player, the queue and the log; the
rules for an unplayable file are a job apart, and one a listener depends on:

- a file that cannot be decoded, or that vanished on its own (deleted, moved), is skipped: the entry after
  it plays, and a vanished file is flagged ``missing`` so the library stops offering it;
- a file whose *folder* is gone (the music folder unplugged or renamed) is not skipped: every entry after
  it is usually in the same folder, and skipping would race through the whole queue in a second, logging
  each as a failed play and leaving the queue at its end (seen in the first-hour walk, issue 26 item 4).
  Playback stops on that entry instead; Play starts it again once the folder is back;
- a queue of nothing but failing files stops after one round, never loops.

API: ``FailedFiles(store)`` with ``failed(key, track_id, path)``, ``handed_over()``, ``heard()``,
``after_stop(current_id, queue_length)``; ``describe_failure(path)`` (``folder_gone`` is the players' own
rule, in ``player.playback.base``).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from player.playback.base import folder_gone
from player.store import Store
from player.store.tracks import set_missing

log = logging.getLogger(__name__)

SKIP = "skip"
STAY = "stay"


def describe_failure(path: str) -> str:
    """The plain reason a file could not be played, for the status bar and the CLI."""
    if path and folder_gone(path):
        return (  # not "music folder": often a folder inside one (found in a walk of the app)
            f"Folder missing (unplugged, renamed or moved?): {os.path.dirname(path)}. Stopped here: "
            "press Play when the folder is back"
        )
    if path and not os.path.exists(path):
        return f"file not found: {path} (skipped)"
    return f"cannot decode {path}: the file is damaged or not audio (skipped)"


class FailedFiles:
    """The file that just failed and how many failed in a row, and what the queue does about it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.key: Any = None  # the queue entry whose file just failed, until playback moved past it
        self.path = ""
        self.in_a_row = 0

    def failed(self, key: Any, track_id: int | None, path: str) -> None:
        """A file failed to open or decode: flag a vanished file missing and remember the entry."""
        if track_id is not None and path and not os.path.exists(path):
            try:
                set_missing(self.store, [track_id], missing=True)
            except Exception:  # a read-only or full database must not stop playback
                log.exception("could not flag track %s missing", track_id)
        self.key, self.path = key, path
        self.in_a_row += 1

    def handed_over(self) -> None:
        """The player moved past the failed file by itself (to its preloaded next)."""
        self.key = None

    def heard(self) -> None:
        """Something played audibly: the run of failures is over."""
        self.in_a_row = 0

    def after_stop(self, current_id: Any, queue_length: int) -> str | None:
        """The player stopped on the failed file: ``SKIP`` to the entry after it, ``STAY`` on it (its folder
        is gone), or None (it is no longer the queue's current entry, or a whole round failed)."""
        key, self.key = self.key, None
        if key is None or current_id != key or self.in_a_row > max(queue_length, 1):
            return None
        if folder_gone(self.path):
            self.in_a_row = 0
            return STAY
        return SKIP
