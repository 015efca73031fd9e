"""Retagged tracks patched into the radio's start-up cache, in their rows, as a full build would number them.

Why: a retag (a new artist, album, title or genre on files already known, ``'changed'`` in the library's
change log) made the next radio start rebuild the arrays of every track: 1.4 s at 100k tracks, 16 s at a
million (issue 25, item 1). A retag leaves the analysis, the row order and the row count as they were, so
the audio, top tags, tempo and loudness of every row are kept; what moves is the rows' names and what is
derived from names: the artist, album and genre codes, the artist match, and the factors of the artists
the retagged tracks left or joined.

The result equals a full build given the frozen statistics (``load.full_static(store, bundle, frozen)``)
bit for bit: codes are numbered again by first appearance (a whole-array pass), each artist's display
name comes from its first row (read from the store where that row was not retagged), and the artists the
retagged tracks touched are matched again from all their tracks, in id order, as ``match_rows`` matches
them in a full build. None (build in full) when the cache cannot say enough (a match without its names'
keys, a track no longer there); past ``append.GROWTH`` retagged rows the caller builds in full.

API: ``retagged(static, store, bundle, ids) -> Static | None``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from player.store.schema import RECOMMENDER_COLUMNS
from recommender import cache_strings
from recommender.factors.bridge import place_from_store
from recommender.radio.codes import (
    ALBUM_SEP,
    KeyCodes,
    album_codes,
    album_title_key,
    artist_key,
    first_seen_codes,
    plus_strings,
)
from recommender.radio.library import RadioLibrary
from recommender.radio.shared_rows import artist_rows
from recommender.radio.stored import Static

_NAMES = ("id", *RECOMMENDER_COLUMNS)
"""What a retag can change that the static part reads: artist, album artist, album, genre, duration, title and
the two MusicBrainz artist ids (their order is what ``retagged`` indexes)."""


def retagged(static: Static, store: Any, bundle: Any, ids: Sequence[int]) -> Static | None:
    """``static`` with the rows of the tracks ``ids`` (cached, retagged since) as they are tagged now."""
    from player.store.tracks import track_columns

    lib = static.library
    ids_a = np.array(sorted({int(t) for t in ids}), dtype=np.int64)
    rows, found = lib.rows_of(ids_a)
    new = track_columns(store, _NAMES, order="id", ids=ids_a.tolist(), include_missing=True)
    if not found.all() or len(new) != len(ids_a) or lib.album_key is None:
        return None
    match = static.match
    if match is not None and (bundle is None or match.keys is None):
        return None
    credits = [r[1] or r[2] for r in new]
    artist, names = _artists(store, lib, rows, credits)
    album_key, pairs = _albums(lib, rows, new)
    genre, genre_keys = _genres(lib, rows, [r[4] for r in new])
    duration = lib.duration.copy()
    duration[rows] = [np.nan if r[5] is None else r[5] for r in new]
    titles = _titles(lib.titles, rows, [r[6] for r in new])
    # The cached library with its names replaced (the analysis, the rows' order and count stay as they are).
    out = dataclasses.replace(
        lib,
        artist=artist,
        album=album_codes(album_key, artist),
        artist_names=names,
        genre=genre,
        duration=duration,
        album_key=album_key,
        album_pairs=pairs,
        genre_keys=genre_keys,
        titles=titles,
        _stats=dict(lib._stats),
    )
    predicted = static.predicted
    rematched = match
    if match is not None:
        rematched, predicted = _rematched(store, bundle, match, predicted, ids_a, new)
    unmoved = rematched is match and artist is lib.artist and _same_vectors(predicted, static.predicted)
    if match is not None and not unmoved:  # else the rows' factors and co-listening are as they were
        _set_factors(out, rematched, predicted, bundle)
        from recommender.radio.scoring import artist_similarity

        out.artist_similarity = artist_similarity(out.artist, out.item, bundle)
    match = rematched
    built = (static.built_rows, static.built_analysed)
    patched = static.retagged + len(ids_a)
    return Static(out, match, predicted, static.seq, *built, gone=static.gone, retagged=patched)


def _artists(store: Any, lib: RadioLibrary, rows: np.ndarray, credits: list[Any]) -> tuple[np.ndarray, list]:
    """Each row's artist code and the codes' display names, numbered by first appearance as
    ``RadioLibrary.build`` numbers them (a row without a credit is an artist of its own)."""
    from player.store.tracks import track_columns

    names = list(lib.artist_names)
    if _same_artists(lib, rows, credits):
        return lib.artist, names
    code_of_key = {artist_key(a): c for c, a in enumerate(names) if a is not None}
    codes = lib.artist.copy()
    for r, credit in zip(rows.tolist(), credits, strict=True):
        key = artist_key(credit)
        code = code_of_key.get(key) if key is not None else None
        if code is None:
            code = len(names)
            names.append(None if key is None else credit.strip())
            if key is not None:
                code_of_key[key] = code
        codes[r] = code
    canonical = first_seen_codes(codes)
    firsts = np.unique(canonical, return_index=True)[1]
    old_firsts = np.full(len(names), -1, dtype=np.int64)
    seen = np.unique(lib.artist, return_index=True)
    old_firsts[seen[0]] = seen[1]
    tagged_now = dict(zip(rows.tolist(), credits, strict=True))
    display: list[Any] = []
    unread: dict[int, int] = {}  # first rows whose credit the cache does not hold -> their code
    for code, first in enumerate(firsts.tolist()):
        old = int(codes[first])
        if names[old] is None:
            display.append(None)
        elif first in tagged_now:
            display.append(tagged_now[first].strip())
        elif old_firsts[old] == first:  # still its first row, not retagged: the cached spelling
            display.append(names[old])
        else:
            display.append(None)
            unread[first] = code
    if unread:
        unread_ids = lib.track_ids[list(unread)].tolist()
        got = track_columns(store, ("id", "artist", "album_artist"), order="id", ids=unread_ids, include_missing=True)
        row_of = dict(zip(unread_ids, unread, strict=True))
        for track_id, a, aa in got:
            display[unread[row_of[track_id]]] = (a or aa).strip()
    return canonical, display


def _same_artists(lib: RadioLibrary, rows: np.ndarray, credits: list[Any]) -> bool:
    """Whether every retagged row kept its artist, spelled as before where it is its artist's first row
    (a retag of titles or albums): then the codes and names stay as they are."""
    if len(rows) > 64:
        return False
    names = lib.artist_names
    first = {c: int(np.argmax(lib.artist == c)) for c in set(lib.artist[rows].tolist())}
    for r, credit in zip(rows.tolist(), credits, strict=True):
        code = int(lib.artist[r])
        cached = names[code]
        if artist_key(credit) is None or cached is None or artist_key(credit) != artist_key(cached):
            return False
        if credit.strip() != cached and first[code] == r:  # its artist's first row, spelled anew
            return False
    return True


def _same_vectors(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return list(a) == list(b) and all(np.array_equal(a[k], b[k]) for k in a)


def _albums(lib: RadioLibrary, rows: np.ndarray, new: list[tuple]) -> tuple[np.ndarray, Any]:
    """Each row's album pair (-1 untitled) and the pairs' keys ("owner\x1ftitle": the album artist, else
    the artist's key), numbered by first appearance; the cached ones as they are when no row's pair moved."""
    pairs = lib.album_pairs or []
    keys = lib.album_key.copy()
    added: list[str] = []
    lookup = KeyCodes(pairs, added)
    for r, row in zip(rows.tolist(), new, strict=True):
        title = album_title_key(row[3])
        if title is None:
            keys[r] = -1
            continue
        owner = str(row[2]).casefold() if row[2] else (artist_key(row[1] or row[2]) or "")
        pair = owner + ALBUM_SEP + title
        if keys[r] < 0 or pairs[int(keys[r])] != pair:
            keys[r] = lookup.code(pair)
    if np.array_equal(keys[rows], lib.album_key[rows]):
        return lib.album_key, pairs
    return _renumbered(keys, plus_strings(pairs, added))


def _genres(lib: RadioLibrary, rows: np.ndarray, genres: list[Any]) -> tuple[np.ndarray, list]:
    """Each row's genre code (-1 none) and the genre keys, numbered by first appearance."""
    keys = list(lib.genre_keys or [])
    code_of = {g: j for j, g in enumerate(keys)}
    codes = lib.genre.copy()
    for r, genre in zip(rows.tolist(), genres, strict=True):
        g = artist_key(genre)
        if g is None:
            codes[r] = -1
            continue
        j = code_of.get(g)
        if j is None:
            j = code_of[g] = len(keys)
            keys.append(g)
        codes[r] = j
    return _renumbered(codes, keys)


def _renumbered(codes: np.ndarray, keys: Any) -> tuple[np.ndarray, Any]:
    """Codes (-1: none) numbered again by first appearance, and their keys in that order (unused ones
    dropped; a cache's ``StoredStrings`` stays one, undecoded)."""
    out = codes.copy()
    has = np.flatnonzero(codes >= 0)
    if not len(has):
        return out, []
    out[has] = first_seen_codes(codes[has])
    order = codes[has[np.unique(out[has], return_index=True)[1]]]  # each new code's old one
    if isinstance(keys, cache_strings.StoredStrings):
        return out, keys.subset(order)
    return out, [keys[int(k)] for k in order.tolist()]


def _titles(titles: Any, rows: np.ndarray, values: list[Any]) -> Any:
    """The titles with ``rows``' replaced by ``values``."""
    if isinstance(titles, cache_strings.StoredStrings):
        return titles.replaced(rows, values)
    out = list(titles or [])
    for r, value in zip(rows.tolist(), values, strict=True):
        out[r] = value
    return out


def _rematched(
    store: Any, bundle: Any, match: Any, predicted: dict[str, np.ndarray], ids: np.ndarray, new: list[tuple]
) -> tuple[Any, dict[str, np.ndarray]]:
    """The match with every artist the retagged tracks left or joined matched again from all its tracks
    (in id order, as a full build meets them: its first spelling names it, its first credit that matches
    decides its item), as an ``of_arrays`` match; and the placed factors, those artists' placed anew."""
    from player.store.tracks import track_columns
    from recommender.factors.match import LibraryMatch, match_rows

    credits = [(r[0], r[1], r[2], r[7], r[8]) for r in new]
    keys = dict(match.keys)
    old_locals = {a for a in match.track_artist.artists_of(ids) if a is not None}
    touched = {k for k, a in keys.items() if a in old_locals} | set(match_rows(credits, bundle).keys or {})
    touched_locals = {keys[k] for k in touched if k in keys}
    again = set(ids.tolist())
    for a in touched_locals:
        again.update(match.artist_tracks[a])
    credit_columns = ("id", "artist", "album_artist", "mb_artist_id", "mb_album_artist_id")
    rows = track_columns(store, credit_columns, order="id", ids=sorted(again), include_missing=True)
    part = match_rows(rows, bundle)
    if _same_match(
        match, part, touched_locals, again
    ):  # a retag of titles, albums or genres: no artist moved
        unmatched = [a for a in part.artist_tracks if a not in match.artist_to_item]
        every_placed = {
            **predicted,
            **place_from_store(store, bundle, match, unmatched),
        }  # genre words moved?
        return match, {a: every_placed[a] for a in match.unmatched if a in every_placed}
    names, tracks, local = match.arrays()
    keep = ~np.isin(tracks, np.fromiter(again, np.int64, len(again)))
    fresh = list(part.artist_tracks)
    every = [*names, *fresh]
    part_tracks = np.fromiter(part.track_artist, np.int64, len(part.track_artist))
    part_local = len(names) + np.fromiter(
        map({a: j for j, a in enumerate(fresh)}.__getitem__, part.track_artist.values()),
        np.int64,
        len(part_tracks),
    )
    all_tracks = np.concatenate([tracks[keep], part_tracks])
    all_local = np.concatenate([local[keep], part_local])
    order = np.argsort(all_tracks, kind="stable")
    all_tracks, all_local = all_tracks[order], all_local[order]
    canonical = first_seen_codes(all_local)
    firsts = np.unique(canonical, return_index=True)[1]
    ordered = [every[int(j)] for j in all_local[firsts].tolist()]
    out = LibraryMatch.of_arrays(ordered, all_tracks, canonical)
    out.artist_to_item = {a: i for a, i in match.artist_to_item.items() if a not in touched_locals}
    out.artist_to_item.update(part.artist_to_item)
    out.how = {a: h for a, h in match.how.items() if a not in touched_locals}
    out.how.update(part.how)
    out.keys = {k: a for k, a in keys.items() if k not in touched}
    out.keys.update(part.keys or {})
    out.unmatched = [a for a in ordered if a not in out.artist_to_item]
    new_placed = place_from_store(store, bundle, out, [a for a in fresh if a not in out.artist_to_item])
    every_placed = {**{a: v for a, v in predicted.items() if a not in touched_locals}, **new_placed}
    return out, {a: every_placed[a] for a in out.unmatched if a in every_placed}


def _same_match(match: Any, part: Any, touched: set[str], again: set[int]) -> bool:
    """Whether matching the touched artists' tracks (``again``) anew gave what the match holds: the same
    artists, spelled alike, with the same items, and every one of those tracks under the same artist (or
    none, as before)."""
    if set(part.artist_tracks) != touched:
        return False
    if any(match.artist_to_item.get(a) != part.artist_to_item.get(a) for a in touched):
        return False
    if any(match.how.get(a) != part.how.get(a) for a in touched):
        return False
    ids = sorted(again)
    return match.track_artist.artists_of(np.array(ids, dtype=np.int64)) == [
        part.track_artist.get(t) for t in ids
    ]


def _set_factors(out: RadioLibrary, match: Any, predicted: dict, bundle: Any) -> None:
    """Each row's bundle item, factors and their source from ``match`` and ``predicted``, as ``full_static``
    sets them (``artist_rows``); the rows find their artist by one search of the match's tracks."""
    names, tracks, local = match.arrays()
    ids = out.track_ids
    if len(tracks):
        pos = np.minimum(np.searchsorted(tracks, ids), len(tracks) - 1)
        local_of_row = np.where(tracks[pos] == ids, local[pos], -1)
    else:
        local_of_row = np.full(len(ids), -1, dtype=np.int64)
    out.item, out.raw_factors, out.has_factors, out.factor_source = artist_rows(
        names, match.artist_to_item, local_of_row, predicted, bundle
    )
    out.factors = out.raw_factors.normalised()
