"""The artist match's two maps read from arrays on demand: track id -> local artist (``TrackArtists``) and
local artist -> its track ids (``ArtistTracks``), over the radio cache's arrays (track ids ascending, each
one's index into the artists' names).

Why apart from ``recommender.factors.match``: matching credits is one job, holding a million tracks'
match without a dict of a million entries another (a dict of them cost a second at every warm start;
issue 25, item 2). ``LibraryMatch.of_arrays`` builds a match on them.

API: ``TrackArtists(tracks, local, names)`` (``.artists_of(ids)``), ``ArtistTracks(tracks, local, names)``
(``.grouped()``).
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, Mapping

import numpy as np


class TrackArtists(Mapping):
    """Track id -> local artist over ``LibraryMatch.of_arrays``' arrays: a binary search per look-up for
    the first ``SEARCHES`` (the taste's played tracks), then a dict, built once (a caller walking every
    track, as For you does, would pay microseconds a track otherwise)."""

    SEARCHES = 20_000

    def __init__(self, tracks: np.ndarray, local: np.ndarray, names: list[str]) -> None:
        tracks = np.asarray(tracks, dtype=np.int64)
        if len(tracks) > 1 and not bool((np.diff(tracks) > 0).all()):
            order = np.argsort(tracks, kind="stable")
            tracks, local = tracks[order], np.asarray(local)[order]
        self._tracks, self._local, self._names = tracks, np.asarray(local, dtype=np.int64), names
        self._searches = 0
        self._dict: dict[int, str] | None = None

    @property
    def tracks(self) -> np.ndarray:
        """The track ids, ascending."""
        return self._tracks

    @property
    def local(self) -> np.ndarray:
        """Each track's index into the artists' names."""
        return self._local

    def __getitem__(self, track_id: object) -> str:
        if self._dict is None:
            self._searches += 1
            if self._searches > self.SEARCHES:
                self._dict = dict(self.items())
        if self._dict is not None:
            return self._dict[track_id]  # type: ignore[index]
        if not isinstance(track_id, (int, np.integer)) or not -(2**63) <= int(track_id) < 2**63:
            raise KeyError(track_id)  # as the dict: only an id (of int64's range) is a key
        t = int(track_id)
        pos = int(np.searchsorted(self._tracks, t))
        if pos < len(self._tracks) and int(self._tracks[pos]) == t:
            return self._names[int(self._local[pos])]
        raise KeyError(track_id)

    def artists_of(self, track_ids: np.ndarray) -> list[str | None]:
        """Each track's artist (None: not a matched track), by one binary search over them all."""
        ids = np.asarray(track_ids, dtype=np.int64)
        if not len(self._tracks):
            return [None] * len(ids)
        pos = np.minimum(np.searchsorted(self._tracks, ids), len(self._tracks) - 1)
        found = self._tracks[pos] == ids
        names = self._names
        return [
            names[j] if ok else None for j, ok in zip(self._local[pos].tolist(), found.tolist(), strict=True)
        ]

    def __iter__(self) -> Iterator[int]:
        return iter(self._tracks.tolist())

    def __len__(self) -> int:
        return len(self._tracks)

    def items(self) -> ItemsView:  # type: ignore[override]
        if self._dict is not None:
            return self._dict.items()
        names = self._names
        return dict(zip(self._tracks.tolist(), [names[j] for j in self._local.tolist()], strict=True)).items()


class ArtistTracks(Mapping):
    """Local artist -> its track ids (ascending) over ``LibraryMatch.of_arrays``' arrays, grouped once on
    first use."""

    def __init__(self, tracks: np.ndarray, local: np.ndarray, names: list[str]) -> None:
        self._tracks, self._local = np.asarray(tracks, dtype=np.int64), np.asarray(local, dtype=np.int64)
        self._names = names
        self._index = {a: j for j, a in enumerate(names)}
        self._grouped: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def names(self) -> list[str]:
        """The artists, in their order."""
        return self._names

    def _group(self) -> tuple[np.ndarray, np.ndarray]:
        if self._grouped is None:
            order = np.lexsort((self._tracks, self._local))  # by artist, then by id
            bounds = np.searchsorted(self._local[order], np.arange(len(self._names) + 1))
            self._grouped = (self._tracks[order], bounds)
        return self._grouped

    def grouped(self) -> tuple[np.ndarray, np.ndarray]:
        """(every track id, grouped by artist in ``names``' order and ascending in each; where each
        artist's ids end): the whole map as two arrays, as ``recommender.similar``'s cache keeps it."""
        ordered, bounds = self._group()
        return ordered, bounds[1:]

    def __getitem__(self, name: object) -> list[int]:
        j = self._index[name]  # type: ignore[index]
        ordered, bounds = self._group()
        return ordered[bounds[j] : bounds[j + 1]].tolist()

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)
