"""``QueueEntry``: one entry of the play queue, and the values its fields and the queue's modes may take.

Why a module of its own: the queue (``player.queue``), its saved copy (``player.queue_saved``), the
controller, the undo snapshots and the UI all speak in entries; they share this vocabulary without
depending on the queue's ordering rules, and the saved copy builds entries without importing the queue.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Where an entry came from; the listening log copies it into each play so the recommender knows which
#: plays it caused.
SOURCES = ("library", "album", "playlist", "radio")
REPEAT_MODES = ("off", "one", "all")


@dataclass(frozen=True)
class QueueEntry:
    """``id``: never given twice (the player names its items by it); ``seed``: the radio's seed."""

    id: int
    track_id: int
    source: str = "library"
    seed: str | None = None


def check_source(source: str) -> None:
    """Refuse a ``source`` outside ``SOURCES`` before anything is written (the store keeps any text)."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")


@dataclass(frozen=True)
class Removal:
    """Entries taken out of the queue (``Queue.take``), kept to put them back (the Undo of a removal: a
    walk of the app lost a 29-entry queue to Ctrl+A, Delete). Each entry as (its position in the list
    then, track id, source, seed), in list order; ``current``: the position among them of the entry that
    was playing, which goes on playing after its removal and comes back as the current one."""

    entries: tuple[tuple[int, int, str, str | None], ...]
    current: int | None = None
    current_id: int | None = None  # that entry's id then (the player's item still carries it)
    generation: int = 0  # how many times the queue was replaced then: a queue replaced since takes none back

    def __len__(self) -> int:
        return len(self.entries)
