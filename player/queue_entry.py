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
