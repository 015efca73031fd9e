"""A library row as the UI reads it: the fields of ``player.store.browse.library_rows``' tuples by name, how
each shows (title, artist, album, duration, plays), the artist and album lists counted from them, and
untagged rows made browsable.

Why a module of its own: the track table's model (``ui.library_model``) holds, filters and sorts rows for
Qt; the bar, the queue, the album grid, MPRIS and the playlists read the same rows the same way without
needing the model, so how a row reads is a job apart (no Qt here).

API: the field positions ``ID``, ``TITLE``, ... ``ELSEWHERE``; ``row_title``, ``row_artist``,
``row_album_artist``, ``row_album``, ``format_duration``, ``plays_text``, ``plays_tooltip``,
``artist_counts``, ``album_counts``, ``tidy_untagged``, ``search_haystack``,
``load_rows(db_path)`` -> ``LoadedRows``; ``UNKNOWN_ARTIST``, ``UNKNOWN_ALBUM``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from player.library_order import library_order
from player.naming import PLACEHOLDER_ARTIST, is_untagged_artist, natural_key, tidy_titles, untagged_artist
from player.store.browse import BROWSE_COLUMNS
from player.text import count_text, search_key

# Positions of the fields in each row tuple, in ``BROWSE_COLUMNS`` order.
(
    ID,
    TITLE,
    ARTIST,
    ALBUM,
    ALBUM_ARTIST,
    GENRE,
    YEAR,
    TRACKNO,
    DISCNO,
    DURATION,
    PATH,
    PLAYS,
    ADDED,
    SKIPS,
    RATING,
    ELSEWHERE,
) = range(len(BROWSE_COLUMNS))

UNKNOWN_ARTIST = "Unknown artist"
UNKNOWN_ALBUM = "Unknown album"


def format_duration(seconds: float | None) -> str:
    """ "3:07", "1:02:03"; a sound under half a second is "0:01", not a length of nothing ("0:00" read
    as broken in a walk of the app)."""
    if seconds is None or seconds != seconds or seconds < 0:
        return ""
    seconds = max(int(round(seconds)), 1 if seconds > 0 else 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def row_title(row: tuple) -> str:
    if row[TITLE]:
        return row[TITLE]
    path = row[PATH] or ""
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def row_artist(row: tuple) -> str:
    return row[ARTIST] or row[ALBUM_ARTIST] or UNKNOWN_ARTIST


def row_album_artist(row: tuple) -> str:
    return row[ALBUM_ARTIST] or row[ARTIST] or UNKNOWN_ARTIST


def row_album(row: tuple) -> str:
    return row[ALBUM] or UNKNOWN_ALBUM


def plays_text(row: tuple) -> str:
    """Encore's own plays, with the listens imported from elsewhere beside them: "3", "3 (+37)", "0 (+37)"."""
    own, elsewhere = row[PLAYS] or 0, row[ELSEWHERE] or 0
    if elsewhere:
        return f"{own} (+{elsewhere})"
    return str(own) if own else ""


def plays_tooltip(row: tuple) -> str | None:
    """The Plays cell's tooltip when listens from elsewhere are shown in it, else None."""
    elsewhere = row[ELSEWHERE] or 0
    if not elsewhere:
        return None
    own = row[PLAYS] or 0
    return (
        f"{count_text(own, 'play')} in Encore\n{count_text(elsewhere, 'play')} elsewhere "
        "(imported listening history)"
    )


def artist_counts(rows: Sequence[tuple]) -> list[tuple[str, int]]:
    """(artist, number of tracks) for every artist credited (as artist or album artist), sorted by name.

    Counted by ``Counter`` over generators (the counting loop runs in C; a Python loop of ``row_artist``
    calls took 1.4 s at a million rows, on every keystroke in the filter)."""
    counts = Counter(r[ARTIST] or r[ALBUM_ARTIST] or UNKNOWN_ARTIST for r in rows)
    # The album artist counts too where it differs from the artist (both given): what ``row_album_artist``
    # and ``row_artist`` tell apart.
    counts.update(
        r[ALBUM_ARTIST] for r in rows if r[ALBUM_ARTIST] and r[ARTIST] and r[ALBUM_ARTIST] != r[ARTIST]
    )
    return sorted(
        counts.items(), key=lambda kv: (kv[0].startswith(UNKNOWN_ARTIST), natural_key(kv[0]), kv[0])
    )


def album_counts(rows: Sequence[tuple], artist: str | None = None) -> list[tuple[str, str, int]]:
    """(album artist, album, number of tracks), optionally only albums ``artist`` appears on."""
    if artist is not None:
        rows = [r for r in rows if artist in (row_artist(r), row_album_artist(r))]
    counts = Counter(
        (r[ALBUM_ARTIST] or r[ARTIST] or UNKNOWN_ARTIST, r[ALBUM] or UNKNOWN_ALBUM) for r in rows
    )
    names: dict[str, tuple] = {}  # album artists repeat: one natural key each

    def name_key(name: str) -> tuple:
        key = names.get(name)
        if key is None:
            key = names[name] = natural_key(name)
        return key

    return sorted(
        ((aa, al, n) for (aa, al), n in counts.items()),
        key=lambda t: (t[1] == UNKNOWN_ALBUM, natural_key(t[1]), name_key(t[0])),
    )


def _stem(path: str) -> str:
    name = (path or "").rsplit("/", 1)[-1]
    return (name.rsplit(".", 1)[0] if "." in name else name).replace("_", " ")


def tidy_untagged(rows: Sequence[tuple]) -> list[tuple]:
    """Library rows made browsable when files are untagged, in natural library order.

    Titles taken from file names lose the prefix their folder's files share (``player.naming``), an
    all-digit rest becomes "Track N" (and its track number); files with no artist anywhere show as
    "Unknown artist (<folder>)" (what new scans store, for databases scanned before); rows are sorted
    by album artist, album, disc, track and title with digit runs compared as numbers.
    """
    rows = list(rows)
    folders: dict[str, list[int]] = {}
    for k, r in enumerate(rows):
        title, path = r[TITLE], r[PATH] or ""
        if title and title in _stem(path):  # a title from the file name (cheap test, no regex)
            folders.setdefault(path.rsplit("/", 1)[0], []).append(k)
    for members in folders.values():
        if len(members) < 2:
            continue
        for k, title in zip(members, tidy_titles([rows[k][TITLE] for k in members]), strict=True):
            r = rows[k]
            if title != r[TITLE]:
                number = int(title[6:]) if title.startswith("Track ") and title[6:].isdigit() else None
                rows[k] = (
                    *r[:TITLE],
                    title,
                    *r[TITLE + 1 : TRACKNO],
                    r[TRACKNO] or number,
                    *r[TRACKNO + 1 :],
                )
    for k, r in enumerate(rows):
        if (not r[ARTIST] or r[ARTIST] == PLACEHOLDER_ARTIST) and not r[ALBUM_ARTIST]:
            rows[k] = (*r[:ARTIST], untagged_artist(r[PATH] or ""), *r[ARTIST + 1 :])
    order = library_order(
        [r[ALBUM_ARTIST] or r[ARTIST] or UNKNOWN_ARTIST for r in rows],
        [r[ALBUM] for r in rows],
        [r[DISCNO] for r in rows],
        [r[TRACKNO] for r in rows],
        [r[TITLE] or r[PATH] for r in rows],
        [r[PATH] or "" for r in rows],
    )
    return [rows[i] for i in order]


def search_haystack(rows: Sequence[tuple]) -> list[str]:
    """Per row, what the filter words are looked for in: title, artist, album, album artist and genre,
    each by ``player.text.search_key``, joined by NULs (no word spans two fields); for a file that names
    no artist, its file name too (its shown title is the name tidied: "hunting" for
    hr-domina-hunting.ogg, which a walk could not find by "domina"). The worker that loads the rows makes
    it (``load_rows``)."""
    sep = "\x00"
    names: dict[str, str] = {}  # artists, albums and genres repeat: each keyed once
    no_artist: dict[str | None, bool] = {}  # ... and each artist is an untagged group or not once

    def haystack(r: tuple) -> str:
        fields = (row_title(r), r[ARTIST] or "", r[ALBUM] or "", r[ALBUM_ARTIST] or "", r[GENRE] or "")
        untagged = no_artist.get(r[ARTIST])
        if untagged is None:
            untagged = no_artist[r[ARTIST]] = is_untagged_artist(r[ARTIST])
        if untagged:
            fields = (*fields, _stem(r[PATH]))
        joined = sep.join(fields)
        if joined.isascii():  # most rows: one call on the fast path
            return search_key(joined)
        keys = []
        for text in fields:
            found = names.get(text)
            if found is None:
                found = names[text] = search_key(text)
            keys.append(found)
        return sep.join(keys)

    return [haystack(r) for r in rows]


@dataclass
class LoadedRows:
    """The library as the loading worker leaves it for the GUI thread: the rows in library order, what the
    filter searches in them, and both panes' counts over all of them (together two seconds at a million
    rows that would otherwise block the window)."""

    rows: list[tuple]
    haystack: list[str]
    artists: list[tuple[str, int]]
    albums: list[tuple[str, str, int]]


def load_rows(db_path: str) -> LoadedRows:
    """All library rows for the track table (``tidy_untagged``) and what is derived from them alone: the
    app's library load, run in a worker on its own connection."""
    from player.store import Store
    from player.store.browse import library_rows

    with Store.open(db_path) as store:
        rows = library_rows(store)
    rows = tidy_untagged(rows)
    return LoadedRows(rows, search_haystack(rows), artist_counts(rows), album_counts(rows))
