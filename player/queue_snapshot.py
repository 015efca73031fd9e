"""``QueueSnapshot``: what played at one moment, kept to put it back (the Undo of a replaced queue).

Why a module of its own: the radio (``recommender.radio.listening``) holds snapshots across a
replacement, and what a snapshot keeps is a rule of its own: the entries by track, source and seed, not
by entry id (they are made anew when put back, and ids are never given twice), the current one by its
index, and the listening log's open play, which the play put back takes up again so the seconds heard on
both sides of the Undo count as one play. Taking and restoring one is the controller's
(``PlaybackController.snapshot`` and ``restore_snapshot`` in ``player.session``).
"""

from __future__ import annotations

from dataclasses import dataclass

from player.queue import Queue


@dataclass(frozen=True)
class QueueSnapshot:
    """What played at one moment: the queue's entries as (track id, source, seed), the current one's
    index, the position in it (seconds), whether it was playing and the listening log's open play
    (taken up again by ``restore_snapshot``) (``PlaybackController.snapshot``)."""

    entries: tuple[tuple[int, str, str | None], ...]
    index: int
    position: float
    playing: bool
    play_id: int | None = None


def take_snapshot(queue: Queue, position: float, playing: bool, play_id: int | None) -> QueueSnapshot:
    """``queue`` as it is now, at ``position`` seconds into its current entry; ``playing`` counts only
    with a current entry. The lock the queue shares with the controller must be held."""
    entries = queue.entries
    current = queue.current
    index = next((k for k, e in enumerate(entries) if current is not None and e.id == current.id), 0)
    return QueueSnapshot(
        tuple((e.track_id, e.source, e.seed) for e in entries),
        index,
        float(position),
        playing and current is not None,
        play_id,
    )
