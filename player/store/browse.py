"""Read-only SQL for browsing the library in the desktop app: one cheap bulk load of plain tuples.

Why a bulk load: the track table must stay smooth at 100k tracks, so the UI keeps every row as a tuple in
memory and filters and sorts in Python, never querying per row while painting.
``library_rows`` costs ≈ 3.5 s per million rows on this machine (2 cores, shared).

Listens imported from elsewhere (``listens.elsewhere_counts``) come in a column of their own, never added
to Encore's own plays: the table shows them beside them ("3 (+37)").

API: ``BROWSE_COLUMNS``, ``library_rows(store)``. (Play counts alone: ``feedback.track_play_counts``.)
"""

from __future__ import annotations

from player.store.core import Store
from player.store.listens import elsewhere_counts
from player.store.ratings import ratings_of

#: The fields of each tuple returned by ``library_rows``, in order.
BROWSE_COLUMNS = (
    "id",
    "title",
    "artist",
    "album",
    "album_artist",
    "genre",
    "year",
    "track_number",
    "disc_number",
    "duration",
    "path",
    "play_count",  # completed plays: what the user is shown as plays
    "added_at",
    "skips",
    "rating",  # effective rating (``ratings.effective_rating``): 1 loved, -1 banned, 0 none; rows show it
    "elsewhere",  # completed listens imported from elsewhere matched to it (``listens.elsewhere_counts``)
)


def library_rows(store: Store) -> list[tuple]:
    """Every present track as a ``BROWSE_COLUMNS`` tuple, in id order. The app shows them in library order
    (``player.library_order``: names compared with their numbers as numbers, which SQL's collations
    cannot do), so no ORDER BY here: at a million rows it cost 1.4 s."""
    sql = (
        "SELECT t.id, t.title, t.artist, t.album, t.album_artist, t.genre, t.year, t.track_number,"
        " t.disc_number, t.duration, t.path, COALESCE(s.completions, 0), t.added_at,"
        " COALESCE(s.skips, 0), 0, 0"
        " FROM tracks t LEFT JOIN track_stats s"
        " ON s.track_id = t.id WHERE t.missing = 0"
    )
    # Both bulk, then patched in: a per-row rating in SQL folds 100k credits, and one grouped count of the
    # listens is cheaper than a join per row.
    rated = ratings_of(store)
    elsewhere = elsewhere_counts(store)
    # Artists, albums, genres and years repeat: each distinct one is one object shared by its rows, where
    # SQLite gives every row its own (a quarter of a gigabyte of the app's memory at a million tracks).
    names: dict[str | None, str | None] = {}
    share = names.setdefault
    years: dict[int | None, int | None] = {}  # (an INTEGER column: 1998.0 comes back as 1998, never a float
    year_of = years.setdefault  # that a shared int could stand for)
    return [
        (
            i,
            title,
            share(artist, artist),
            share(album, album),
            share(album_artist, album_artist),
            share(genre, genre),
            year_of(year, year),
            number,
            disc,
            duration,
            path,
            plays,
            added,
            skips,
            rated.get(i, 0) if rated else rating,
            elsewhere.get(i, 0) if elsewhere else others,
        )
        for (
            i, title, artist, album, album_artist, genre, year, number, disc, duration, path, plays, added, skips,
            rating, others,
        ) in store.conn.execute(sql)
    ]  # fmt: skip
