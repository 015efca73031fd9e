"""The library's browsing order: album artist, album, disc, track and title, with digit runs compared as
numbers (``player.naming.natural_key``: "Track 2" before "Track 10"), then path.

Why here, apart from the app's rows: the order is a fact about the library, not about Qt (the track
table, the album grid and the panes show rows in it), and it is the one place the browser sorts a
million rows. One ``list.sort`` with a key of natural keys per row took 5 s there; instead each distinct
artist and album name is keyed once and ranked, the rows are ordered by a ``numpy.lexsort`` of the ranks
and numbers, and titles are keyed only for rows whose artist, album, disc and track all tie (an album
numbers its tracks: few rows).

API: ``library_order(artists, albums, discs, tracks, titles, paths) -> list[int]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from player.naming import natural_key


def library_order(
    artists: Sequence[str],
    albums: Sequence[str | None],
    discs: Sequence[int | None],
    tracks: Sequence[int | None],
    titles: Sequence[str | None],
    paths: Sequence[str],
) -> list[int]:
    """The positions of the rows (one value per row in each column) in library order; a missing disc or
    track (or one that is not a number) counts as 0, a missing album or title as empty."""
    import numpy as np

    if not len(artists):
        return []
    artist = _ranks(artists)
    album = _ranks(albums)
    disc = np.array([d if type(d) is int else _number(d) for d in discs], dtype=np.int64)
    track = np.array([t if type(t) is int else _number(t) for t in tracks], dtype=np.int64)
    order = np.lexsort((track, disc, album, artist))
    keys = np.stack([artist, album, disc, track], axis=1)[order]
    tied = np.concatenate([[False], (keys[1:] == keys[:-1]).all(axis=1)])
    if not tied.any():
        return order.tolist()
    run = np.cumsum(~tied)  # which run of equal keys each position is in
    at = np.flatnonzero(tied | np.concatenate([tied[1:], [False]]))  # the positions in runs of two or more
    rows_at, run_at = order[at].tolist(), run[at].tolist()

    def title_key(p: int) -> tuple:
        row = rows_at[p]
        return run_at[p], natural_key(titles[row]), paths[row]

    order[at] = order[at][sorted(range(len(at)), key=title_key)]
    return order.tolist()


def _ranks(values: Sequence[Any]) -> Any:
    """Each value's rank among the distinct values by ``natural_key`` (equal keys, equal ranks)."""
    import numpy as np

    distinct = list(dict.fromkeys(values))  # in order of first appearance
    index = {v: j for j, v in enumerate(distinct)}
    ids = np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))
    keys = [natural_key(v) for v in distinct]
    by_key = sorted(range(len(keys)), key=keys.__getitem__)
    rank = np.empty(len(keys), dtype=np.int64)
    r = 0
    for pos, j in enumerate(by_key):
        if pos and keys[j] != keys[by_key[pos - 1]]:
            r += 1
        rank[j] = r
    return rank[ids]


def _number(value: Any) -> int:
    """A disc or track number as stored, as an int: 0 for none, and for anything that is not a number (a
    text a buggy tagger wrote) rather than an error that would leave the library unloaded."""
    if isinstance(value, float) and value == value and abs(value) < 2**62:
        return int(value)
    return 0
