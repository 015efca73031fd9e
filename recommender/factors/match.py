"""Matching the user's library artists to bundle items by normalised name (or MusicBrainz id).

``normalise_artist(name)`` is the match key written into the bundle at pretraining time and computed
for local tags at match time, so both sides agree: Unicode-folded (diacritics dropped, case-folded),
"&" / "+" / "and" unified, a leading "The" (or trailing ", The") dropped, featuring credits removed,
punctuation and spaces removed ("AC/DC" = "ACDC", "Guns N' Roses" = "Guns N Roses"). Placeholders
such as "Various Artists", "Unknown Artist" or "Original Soundtrack" normalise to ``None``: they are
not artists, and the track falls back to its album artist.

A track's candidates, tried in order: MusicBrainz artist id (when the bundle has ids too), its artist
credit, its album artist (soundtracks often credit the composer there), then the single names inside
a joint credit ("A & B", "A feat. B", "A; B", "Composer / Orchestra"), first name first.

Artist-level bundles only (the shipped Last.fm one): song-level MSD bundles key their items as
``artist key + "\x1f" + title key`` and match no artist name here.

API: ``fold_text``, ``normalise_artist``, ``split_credit``, ``match_library(store, bundle) -> LibraryMatch`` with
``artist_to_item`` (local artist -> bundle index), ``unmatched`` (local artists without an item),
``track_artist`` (track id -> local artist) and ``artist_tracks``; ``LibraryMatch.of_arrays`` (the same read
from arrays on demand, ``recommender.factors.track_artists``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from recommender.factors.track_artists import ArtistTracks, TrackArtists

if TYPE_CHECKING:
    from player.store.core import Store
    from recommender.factors.bundle import Bundle

_PLACEHOLDERS = {
    "variousartists",
    "various",
    "va",
    "unknownartist",
    "unknown",
    "artist",
    "noartist",
    "originalsoundtrack",
    "soundtrack",
    "ost",
    "originalscore",
    "originalcast",
    "anonymous",
    "traditional",
}
_FEAT = re.compile(r"[\(\[]?\s*\b(?:feat\.?|ft\.?|featuring)\s.*$", re.IGNORECASE)
_WITH_PAREN = re.compile(r"[\(\[]\s*with\s[^\)\]]*[\)\]]", re.IGNORECASE)
_ROLE = re.compile(
    r"[\(\[]\s*(?:composer|composed by|music by|soundtrack|ost|original soundtrack|score)\s*[\)\]]",
    re.IGNORECASE,
)
_ROLE_PREFIX = re.compile(r"^\s*(?:composer|composed by|music by|music)\s*[:\-]\s*", re.IGNORECASE)
_AND = re.compile(r"\s*(?:&|\+|\band\b|\bn'|\bn\b)\s*", re.IGNORECASE)
_THE = re.compile(r"^the\s+|,\s*the$", re.IGNORECASE)
_SPLIT = re.compile(
    r"\s*(?:;|/|\||,|&|\+|\s(?:and|with|vs\.?|x|feat\.?|ft\.?|featuring)\s)\s*", re.IGNORECASE
)


def fold_text(text: str) -> str:
    """Unicode-folded text: diacritics dropped (also letters NFKD keeps whole, "ø" "ß" "ł"...), case-folded.

    Shared by the artist match keys and the genre words (``recommender.factors.genre``), so both read
    "Björk" / "BJORK" and "Électronique" / "electronique" alike."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    # Letters NFKD does not decompose.
    text = text.translate(
        str.maketrans(
            {
                "ø": "o",
                "Ø": "O",
                "æ": "ae",
                "Æ": "AE",
                "ß": "ss",
                "ð": "d",
                "þ": "th",
                "ł": "l",
                "Ł": "L",
                "đ": "d",
            }
        )
    )
    return text.casefold()


def normalise_artist(name: str | None) -> str | None:
    """The match key of an artist name, or ``None`` for placeholders and empty names.

    Cached: a library repeats a few hundred artist names over 100k tracks (600k calls per radio start
    before the cache)."""
    if not name:
        return None
    return _normalise_cached(name)


@functools.lru_cache(maxsize=1 << 16)
def _normalise_cached(name: str) -> str | None:
    text = fold_text(name.strip())
    text = _ROLE_PREFIX.sub("", text)
    text = _ROLE.sub(" ", text)
    text = _WITH_PAREN.sub(" ", text)
    stripped = _FEAT.sub("", text).strip()
    text = stripped or text
    text = _THE.sub("", text.strip()).strip()
    text = _AND.sub(" and ", text)
    key = "".join(ch for ch in text if ch.isalnum())
    if not key:
        # All punctuation ("!!!"): keep the symbols rather than matching nothing.
        key = re.sub(r"\s+", "", text)
    if not key or key in _PLACEHOLDERS:
        return None
    return key


def split_credit(name: str) -> list[str]:
    """The single names inside a joint credit, in order ("A feat. B & C" -> ["A", "B", "C"])."""
    parts = [p.strip(" ()[]") for p in _SPLIT.split(name)]
    return [p for p in parts if p]


def candidate_names(artist: str | None, album_artist: str | None) -> list[str]:
    """Names to try for one track, best first (see the module docstring)."""
    out: list[str] = []
    for credit in (artist, album_artist):
        if credit and credit.strip() and credit not in out:
            out.append(credit.strip())
    for credit in list(out):
        for part in split_credit(credit):
            if part not in out:
                out.append(part)
    return out


@dataclass
class LibraryMatch:
    """Result of ``match_library``. Local artists are display names as tagged in the library."""

    artist_to_item: dict[str, int] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    track_artist: dict[int, str] = field(default_factory=dict)
    artist_tracks: dict[str, list[int]] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)  # local artist -> 'mbid' | 'name' | 'credit'
    # normalised key -> local artist, when known (what ``match_rows`` matched new spellings against; the
    # radio's cache keeps it, so a new artist's album normalises no cached name)
    keys: dict[str, str] | None = None

    @property
    def track_item(self) -> dict[int, int]:
        return {t: self.artist_to_item[a] for t, a in self.track_artist.items() if a in self.artist_to_item}

    @property
    def artists(self) -> list[str]:
        return list(self.artist_tracks)

    def artists_of(self, track_ids: Sequence[int]) -> list[str | None]:
        """Each track's local artist (None: no matched credit): one search over an ``of_arrays`` match's
        tracks, a look-up each in a plain one."""
        if isinstance(self.track_artist, TrackArtists):
            return self.track_artist.artists_of(np.asarray(track_ids, dtype=np.int64))
        return [self.track_artist.get(int(t)) for t in track_ids]

    @classmethod
    def of_arrays(cls, names: list[str], tracks: np.ndarray, local: np.ndarray) -> LibraryMatch:
        """A match whose track artists and artist tracks are read from two arrays on demand (track ids in
        ascending order, each track's index into ``names``): what the radio's cache gives back, without
        dicts of a million tracks (a second at a warm start; issue 25, item 2). Read-only: ``plus`` gives
        one with more tracks."""
        match = cls()
        match.track_artist = TrackArtists(tracks, local, names)  # type: ignore[assignment]
        match.artist_tracks = ArtistTracks(tracks, local, names)  # type: ignore[assignment]
        return match

    def arrays(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(the local artists, every matched track id in ascending order, each one's index into the
        artists): the match as the radio's cache keeps it, read as it is from an ``of_arrays`` match."""
        if isinstance(self.track_artist, TrackArtists) and isinstance(self.artist_tracks, ArtistTracks):
            return self.artist_tracks.names, self.track_artist.tracks, self.track_artist.local
        names = list(self.artist_tracks)
        local_id = {a: j for j, a in enumerate(names)}
        n = len(self.track_artist)
        tracks = np.fromiter(self.track_artist, np.int64, n)
        local = np.fromiter((local_id[a] for a in self.track_artist.values()), np.int64, n)
        if n > 1 and not bool((np.diff(tracks) > 0).all()):
            order = np.argsort(tracks, kind="stable")
            tracks, local = tracks[order], local[order]
        return names, tracks, local

    def plus(self, rows: Iterable[tuple], bundle: Bundle) -> LibraryMatch:
        """This match with ``rows`` matched too (``match_rows``' tuples, of tracks with higher ids than any
        matched here): what ``match_rows`` over all the tracks gives, as an ``of_arrays`` match. Why: the
        radio's cache adds a new album this way, and dicts of every cached track cost 40 ms at 100k
        tracks to build and as much again to save (issue 25, item 1)."""
        names, tracks, local = self.arrays()
        known = LibraryMatch(
            artist_to_item=dict(self.artist_to_item),
            artist_tracks={a: [] for a in names},  # the spellings seen so far, in order
            how=dict(self.how),
            keys=dict(self.keys) if self.keys is not None else None,
        )
        part = match_rows(rows, bundle, into=known)  # the new tracks only; old artists keep their places
        every = list(part.artist_tracks)
        local_id = {a: j for j, a in enumerate(every)}
        n = len(part.track_artist)
        out = LibraryMatch.of_arrays(
            every,
            np.concatenate([tracks, np.fromiter(part.track_artist, np.int64, n)]),
            np.concatenate(
                [local, np.fromiter((local_id[a] for a in part.track_artist.values()), np.int64, n)]
            ),
        )
        out.artist_to_item, out.how, out.unmatched, out.keys = (
            part.artist_to_item,
            part.how,
            part.unmatched,
            part.keys,
        )
        return out


def _local_artist(artist: str | None, album_artist: str | None) -> str | None:
    """The name a track is grouped under: its artist unless that is missing or a placeholder."""
    for name in (artist, album_artist):
        if name and normalise_artist(name) is not None:
            return name.strip()
    return None


def match_credits(credits: Iterable, bundle: Bundle) -> LibraryMatch:
    """Match ``TrackCredit``-like rows (track_id, artist, album_artist, mb_artist_id...) to the bundle."""
    return match_rows(
        ((c.track_id, c.artist, c.album_artist, c.mb_artist_id, c.mb_album_artist_id) for c in credits),
        bundle,
    )


_UNSEEN = object()


def match_rows(rows: Iterable[tuple], bundle: Bundle, into: LibraryMatch | None = None) -> LibraryMatch:
    """``match_credits`` on plain (track_id, artist, album_artist, mb_artist_id, mb_album_artist_id)
    tuples, in track id order. ``into``: a match of the tracks before these (lower ids) to carry on
    from, updated in place: the same result as matching all of them at once (the radio's cache adds a
    new album's tracks this way, ``recommender.radio.append``).

    Why it works per distinct credit: a library repeats a few hundred credits over 100k tracks, and
    which local artist a track is grouped under (and whether a credit matches an item) depends on the
    credit alone, so each is worked out once; a track only costs a dict look-up and an append. The
    result is the same as trying every track in turn: the first spelling of an artist seen names it,
    and its first credit that matches decides its item.
    """
    index: dict[str, int] | None = None  # read on the first credit to match by name (15k names, 10 ms)
    mbid_index: dict[str, int] | None = None  # read on the first credit that has an id (17k entries)
    result = LibraryMatch() if into is None else into
    # Normalised key -> first display spelling seen (``LibraryMatch.keys``), made on the first spelling
    # not seen before unless the match carries it: a new album by an artist already matched, spelled
    # alike, normalises no name (20,000 of them at a million tracks cost a second).
    key_of_local: dict[str, str] | None = result.keys

    def local_spelling(local: str) -> str:
        nonlocal key_of_local
        if key_of_local is None:
            if local in result.artist_tracks:  # a name seen, spelled alike: its key is that name's
                return local
            key_of_local = result.keys = {normalise_artist(a): a for a in result.artist_tracks}
        return key_of_local.setdefault(normalise_artist(local), local)

    local_of: dict[tuple, str | None] = {}  # (artist, album_artist) -> local artist
    tried: set[tuple] = set()  # credits that matched no item
    track_artist = result.track_artist
    artist_tracks = result.artist_tracks
    matched = result.artist_to_item
    for track_id, artist, album_artist, mb_artist, mb_album_artist in rows:
        pair = (artist, album_artist)
        local = local_of.get(pair, _UNSEEN)
        if local is _UNSEEN:
            local = _local_artist(artist, album_artist)
            if local is not None:
                local = local_spelling(local)
            local_of[pair] = local
        if local is None:
            continue
        track_artist[track_id] = local
        tracks = artist_tracks.get(local)
        if tracks is None:
            tracks = artist_tracks[local] = []
        tracks.append(track_id)
        if local in matched:
            continue
        credit = (local, artist, album_artist, mb_artist, mb_album_artist)
        if credit in tried:
            continue
        item, how = None, None
        for mbid in (mb_artist, mb_album_artist):
            if mbid and mbid_index is None:
                mbid_index = bundle.mbid_index
            if mbid and mbid_index and mbid.strip().lower() in mbid_index:
                item, how = mbid_index[mbid.strip().lower()], "mbid"
                break
        if item is None:
            if index is None:
                index = bundle.key_index
            for n, name in enumerate(candidate_names(artist, album_artist)):
                k = normalise_artist(name)
                if k is not None and k in index:
                    item, how = index[k], ("name" if n == 0 or name == local else "credit")
                    break
        if item is not None:
            matched[local] = int(item)
            result.how[local] = how or "name"
        else:
            tried.add(credit)
    result.unmatched = [a for a in result.artist_tracks if a not in result.artist_to_item]
    return result


def match_library(store: Store, bundle: Bundle) -> LibraryMatch:
    """Map every library artist to a bundle item where one fits (see the module docstring). Tracks whose
    file is missing are matched too, as the radio's cache matches them: their plays still count for the
    taste, and an unplugged drive changes no one's artists."""
    from player.store.tracks import track_columns

    columns = ("id", "artist", "album_artist", "mb_artist_id", "mb_album_artist_id")
    rows = track_columns(store, columns, order="id", include_missing=True)
    return match_rows(rows, bundle)
