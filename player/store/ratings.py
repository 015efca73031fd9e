"""SQL for love and ban: ``track_ratings`` (one row per rated track) and ``artist_ratings`` (by artist name).

A rating is +1 (love) or -1 (ban); unrating deletes the row. An artist is matched by its folded name
(``fold_artist``: NFKC + casefold, trimmed) against each track's credit (its artist, or its album artist
when the artist tag is empty), so "MULDJORD" and "Muldjord" are one artist, and so are "Björk" in NFC and
in NFD. A typed name that matches nothing that way falls back to the one artist it matches without
accents (``resolve_artist``: "BJORK" rates "Björk"). A track is **banned** when it is
banned itself or its artist is: a ban of either keeps it out of the radio, mixes and smart playlists
(``banned_track_ids``, ``BANNED_SQL``; the SQL function ``encore_fold`` of ``player.store.functions``
folds names inside queries).

API: ``LOVE``, ``BAN``, ``rate_track``, ``rate_artist``, ``unrate_track``, ``unrate_artist``,
``track_rating``, ``artist_rating``, ``effective_rating``, ``banned_track_ids``, ``loved_track_ids``,
``list_ratings``, ``rated_artists``, ``rated_tracks``, ``ratings_of``, ``artist_track_count``, ``fold_artist``,
``resolve_artist``,
``BANNED_SQL``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from player.store.core import Store
from player.store.functions import fold_artist
from player.text import search_key

LOVE = 1
BAN = -1

#: The artist a track is credited to, as SQL over ``tracks t``: its artist, else its album artist.
CREDIT_SQL = "COALESCE(NULLIF(TRIM(t.artist), ''), t.album_artist)"

#: A condition over ``tracks t`` that is true for banned tracks (the track or its artist is banned).
BANNED_SQL = (
    "(t.id IN (SELECT track_id FROM track_ratings WHERE rating = -1)"
    f" OR encore_fold({CREDIT_SQL}) IN (SELECT artist_key FROM artist_ratings WHERE rating = -1))"
)


def _check(rating: int) -> int:
    if rating not in (LOVE, BAN):
        raise ValueError(f"a rating is {LOVE} (love) or {BAN} (ban), not {rating!r}")
    return rating


def rate_track(store: Store, track_id: int, rating: int) -> None:
    """Love (+1) or ban (-1) one track, replacing an earlier rating."""
    _check(rating)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO track_ratings (track_id, rating, rated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(track_id) DO UPDATE SET rating = excluded.rating, rated_at = excluded.rated_at",
            (int(track_id), rating, time.time()),
        )


def rate_artist(store: Store, artist: str, rating: int) -> None:
    """Love (+1) or ban (-1) an artist by name (every track credited to it)."""
    _check(rating)
    key = fold_artist(artist)
    if not key:
        raise ValueError("an artist to rate needs a name")
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO artist_ratings (artist_key, artist, rating, rated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(artist_key) DO UPDATE SET artist = excluded.artist, rating = excluded.rating,"
            " rated_at = excluded.rated_at",
            (key, " ".join(artist.split()), rating, time.time()),
        )


def unrate_track(store: Store, track_id: int) -> bool:
    """Forget a track's love or ban; True when there was one."""
    with store.transaction() as conn:
        return conn.execute("DELETE FROM track_ratings WHERE track_id = ?", (int(track_id),)).rowcount > 0


def unrate_artist(store: Store, artist: str) -> bool:
    """Forget an artist's love or ban; True when there was one."""
    with store.transaction() as conn:
        return (
            conn.execute("DELETE FROM artist_ratings WHERE artist_key = ?", (fold_artist(artist),)).rowcount
            > 0
        )


def track_rating(store: Store, track_id: int) -> int:
    """The track's own rating: 1 loved, -1 banned, 0 none."""
    row = store.conn.execute(
        "SELECT rating FROM track_ratings WHERE track_id = ?", (int(track_id),)
    ).fetchone()
    return int(row[0]) if row else 0


def artist_rating(store: Store, artist: str | None) -> int:
    """An artist's rating: 1 loved, -1 banned, 0 none."""
    key = fold_artist(artist)
    if not key:
        return 0
    row = store.conn.execute("SELECT rating FROM artist_ratings WHERE artist_key = ?", (key,)).fetchone()
    return int(row[0]) if row else 0


def effective_rating(store: Store, track_id: int) -> int:
    """What counts for playing a track: -1 if it or its artist is banned, else 1 if either is loved, else 0."""
    row = store.conn.execute(
        f"SELECT (SELECT rating FROM track_ratings WHERE track_id = t.id),"
        f" (SELECT rating FROM artist_ratings WHERE artist_key = encore_fold({CREDIT_SQL}))"
        " FROM tracks t WHERE t.id = ?",
        (int(track_id),),
    ).fetchone()
    if row is None:
        return 0
    own, artist = row
    if BAN in (own, artist):
        return BAN
    return LOVE if LOVE in (own, artist) else 0


def banned_track_ids(store: Store) -> set[int]:
    """Ids of every track that must not be played by the radio, mixes or smart playlists.

    The same set as ``SELECT id FROM tracks t WHERE BANNED_SQL``, but artist bans are folded once per
    distinct credit rather than once per track (that query calls Python 100k times on a big library)."""
    return _rated_track_ids(store, BAN)


def _rated_track_ids(store: Store, rating: int) -> set[int]:
    """Ids of the tracks rated ``rating`` themselves or through their artist (each credit folded once)."""
    conn = store.conn
    ids = {
        int(r[0])
        for r in conn.execute(
            "SELECT t.id FROM track_ratings r JOIN tracks t ON t.id = r.track_id WHERE r.rating = ?",
            (rating,),
        )
    }
    keys = {r[0] for r in conn.execute("SELECT artist_key FROM artist_ratings WHERE rating = ?", (rating,))}
    if not keys:
        return ids
    credits = [
        c for (c,) in conn.execute(f"SELECT DISTINCT {CREDIT_SQL} FROM tracks t") if fold_artist(c) in keys
    ]
    if "" in keys and None in credits:
        ids.update(int(r[0]) for r in conn.execute(f"SELECT t.id FROM tracks t WHERE {CREDIT_SQL} IS NULL"))
    names = [c for c in credits if c is not None]
    for i in range(0, len(names), 500):  # stay far below SQLite's bound-parameter limit
        chunk = names[i : i + 500]
        ids.update(
            int(r[0])
            for r in conn.execute(
                f"SELECT t.id FROM tracks t WHERE {CREDIT_SQL} IN ({','.join('?' * len(chunk))})", chunk
            )
        )
    return ids


def loved_track_ids(store: Store) -> set[int]:
    """Ids of tracks loved themselves or through their artist (and not banned)."""
    return _rated_track_ids(store, LOVE) - _rated_track_ids(store, BAN)


def artist_track_count(store: Store, artist: str) -> int:
    """How many present tracks are credited to this artist (as a rating of it would match them)."""
    return int(
        store.conn.execute(
            f"SELECT COUNT(*) FROM tracks t WHERE t.missing = 0 AND encore_fold({CREDIT_SQL}) = ?",
            (fold_artist(artist),),
        ).fetchone()[0]
    )


def resolve_artist(store: Store, name: str) -> str:
    """The artist a typed name means: ``name`` itself when a library credit or a rating has its key,
    else the one library or rated artist it matches by the search key (``player.text.search_key``:
    "bjork" -> "Björk", "guns n roses" -> "Guns N' Roses"); ``name`` when none or several do. Why: the CLI's ``play bjork`` finds Björk, so ``ban --artist bjork`` must."""
    key = fold_artist(name)
    rated = store.conn.execute("SELECT 1 FROM artist_ratings WHERE artist_key = ?", (key,)).fetchone()
    if rated or artist_track_count(store, name):
        return name
    wanted = " ".join(search_key(name).split())
    found: dict[str, str] = {}
    credits = store.conn.execute(f"SELECT DISTINCT {CREDIT_SQL} FROM tracks t WHERE t.missing = 0")
    for (credit,) in [*credits, *store.conn.execute("SELECT artist FROM artist_ratings")]:
        if credit and " ".join(search_key(credit).split()) == wanted:
            found.setdefault(fold_artist(credit), " ".join(credit.split()))
    return next(iter(found.values())) if len(found) == 1 else name


def rated_artists(store: Store) -> dict[str, int]:
    """Folded artist name -> rating (what the taste fold-in weighs)."""
    return {k: int(r) for k, r in store.conn.execute("SELECT artist_key, rating FROM artist_ratings")}


def rated_tracks(store: Store) -> dict[int, int]:
    """Track id -> its own rating."""
    return {int(t): int(r) for t, r in store.conn.execute("SELECT track_id, rating FROM track_ratings")}


def list_ratings(store: Store, rating: int | None = None) -> list[dict[str, Any]]:
    """Rated tracks and artists, newest first: dicts with kind ('track' or 'artist'), rating, rated_at,
    and track_id/artist/title/path (tracks) or artist (artists). ``rating`` keeps only loves or bans."""
    rows: list[dict[str, Any]] = []
    where, params = ("WHERE r.rating = ?", (rating,)) if rating is not None else ("", ())
    for tid, r, at, artist, title, path in store.conn.execute(
        "SELECT r.track_id, r.rating, r.rated_at, COALESCE(NULLIF(TRIM(t.artist), ''), t.album_artist),"
        f" t.title, t.path FROM track_ratings r JOIN tracks t ON t.id = r.track_id {where}",
        params,
    ):
        rows.append(
            {
                "kind": "track",
                "rating": r,
                "rated_at": at,
                "track_id": tid,
                "artist": artist,
                "title": title,
                "path": path,
            }
        )
    for name, r, at in store.conn.execute(
        f"SELECT r.artist, r.rating, r.rated_at FROM artist_ratings r {where}", params
    ):
        rows.append({"kind": "artist", "rating": r, "rated_at": at, "artist": name})
    rows.sort(key=lambda row: -row["rated_at"])
    return rows


def ratings_of(store: Store, track_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Effective rating (see ``effective_rating``) of several tracks, or of every track when ``track_ids``
    is None; unrated tracks are left out. Two bulk reads, not a query per track: the library table
    marks every row with it (``player.store.browse.library_rows``)."""
    out = dict.fromkeys(_rated_track_ids(store, LOVE), LOVE)
    out.update(dict.fromkeys(_rated_track_ids(store, BAN), BAN))  # a ban outweighs a love
    if track_ids is not None:
        ids = {int(t) for t in track_ids}
        out = {t: r for t, r in out.items() if t in ids}
    return out
