"""What the user banned, in the form the lists and panels leave it out by: banned tracks and banned artists.

A ban (``player.store.ratings``) means "never offer this again", so besides the radio and the mixes it
keeps a track or an artist out of every list and panel: For you (tracks, albums, artists to discover),
Fans also like and sounds like (``recommender.similar.index``), ``encore recommend``.

Why read per query rather than baked into the cached indexes: the ``SimilarIndex`` is kept on disk and
in the panel's memory across many lookups, and a ban made a moment ago must count in the next one;
reading the bans is two small queries (``banned_track_ids``, ``rated_artists``), while rebuilding an
index costs seconds on a large library.

Artist names are compared by their match key (``recommender.factors.match.normalise_artist``), the
same key that matches a library credit to the listening data, so a ban of the library's "Bjork" also
keeps the listening data's "Björk" out of the discoveries.

API: ``Bans`` (``Bans.from_store(store)``, ``.track_ids``, ``.artist_keys``, ``.artist(name)``,
``.items(bundle)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recommender.factors.match import normalise_artist

if TYPE_CHECKING:
    from player.store.core import Store


@dataclass(frozen=True)
class Bans:
    """Banned track ids (banned themselves or through their artist) and banned artists' match keys."""

    track_ids: frozenset[int] = frozenset()
    artist_keys: frozenset[str] = frozenset()

    @classmethod
    def from_store(cls, store: Store) -> Bans:
        """The bans as they stand now (two queries)."""
        from player.store.ratings import BAN, banned_track_ids, rated_artists

        keys = (normalise_artist(folded) for folded, rating in rated_artists(store).items() if rating == BAN)
        return cls(frozenset(banned_track_ids(store)), frozenset(k for k in keys if k is not None))

    def artist(self, name: str | None) -> bool:
        """True when ``name`` is a banned artist (compared by match key)."""
        return bool(self.artist_keys) and normalise_artist(name) in self.artist_keys

    def items(self, bundle: Any) -> list[int]:
        """The bundle items (listening-data artists) that are banned artists."""
        if bundle is None:
            return []
        return [int(bundle.key_index[k]) for k in self.artist_keys if k in bundle.key_index]

    def __bool__(self) -> bool:
        return bool(self.track_ids or self.artist_keys)
