"""``PlayItems``: the player's item for a queue entry, and which entry each item handed over stood for.

Why a module of its own: the controller (``player.session``) decides what plays; turning a queue entry
into what the player loads is a job apart, with rules of its own:

- the track is read fresh each time (a primary-key lookup): a background scan may have moved the file or
  changed its ReplayGain tags since the queue was built;
- the ReplayGain is the album's only for an album played in order (an album entry, shuffle off), else
  the track's (``player.playback.replaygain``);
- the player names each item by its queue entry's id, and its events come back with only the item, often
  late (libvlc reports from its own thread, after the queue moved on); the entry is kept by that id, so
  such an event is pinned on the entry that was handed over, not on whatever the queue holds now.
"""

from __future__ import annotations

from typing import Any

from player.playback import PlayItem
from player.playback.replaygain import track_gain_db
from player.playback.settings import PlaybackSettings
from player.queue_entry import QueueEntry
from player.store import Store
from player.store.tracks import get_track


class PlayItems:
    """Items for one store's queue entries. Callers hold the lock that guards its connection."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._entries: dict[int, QueueEntry] = {}  # queue entries of the items handed to the player

    def item(self, entry: QueueEntry, settings: PlaybackSettings, *, shuffle: bool) -> PlayItem | None:
        """The item that plays ``entry``; None when its track is no longer in the library."""
        track = get_track(self.store, entry.track_id)
        if track is None:
            return None
        album_in_order = entry.source == "album" and not shuffle
        gain = track_gain_db(track, settings, album_in_order=album_in_order)
        self._entries[entry.id] = entry
        return PlayItem(track["path"], key=entry.id, gain_db=gain, duration=track.get("duration"))

    def entry(self, key: Any) -> QueueEntry | None:
        """The queue entry an item handed to the player (named ``key``) stood for."""
        return self._entries.get(key)
