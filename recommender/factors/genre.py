"""Genre words: what a library's own files say about an artist the factor bundle does not know, in the
bundle's Last.fm tag vocabulary, and where those tags sit in factor space.

Why: the audio bridge (``recommender.factors.bridge``) places unknown artists from the 50 MSD musicnn
tags alone, which have no "soundtrack", "classical", "orchestral" or "game"; so every orchestral or
electronic game score landed near Radiohead, Björk and Depeche Mode. The files say more: a genre tag
("Soundtrack", "Death Metal", "Game"), a folder ("Soundtracks", ".../games/..."), an album title
("... OST"). The bundle holds the 1,856 Last.fm tags used on ≥ 5 artists as pseudo-listener rows of its
training rows, and their names (``bridge_tag_names``, ``Bundle.tag_names``), so each such word can be
looked up and placed.

Matching (``fold_phrase``, then ``TagVocabulary.find``), tried in this order, first hit wins:

1. the phrase itself, compared without spaces and punctuation ("Hip-Hop" = "hip hop" = "hiphop");
2. a few aliases for words Last.fm spells otherwise or uses on too few artists: "game", "games",
   "vgm" -> "video game music"; "ost", "score", "film score" -> "soundtrack";
3. the phrase without a plural "s" ("Soundtracks" -> "soundtrack"; where the plural is a tag of its
   own, whichever of the two is on more artists);
4. the phrase without stop words (path and library words: "music", "songs", "audio", "data", ...) and
   version numbers ("wesnoth-1.16-music" -> "wesnoth"), again through 1-3; a phrase of nothing else
   ("Music", "CD 2") names no tag at all, even where Last.fm has it as a tag ("music");
5. genre tags only: the longest trailing part that matches, since English genre names put the genre
   last and the qualifier first ("Romantic Classical" -> "classical", "Melodic Death Metal" is a tag
   itself). Not for folder names: an album folder "Dark Side of the Moon" must not become "moon".

Where each word comes from (``TagVocabulary.track_tags``): the genre tag, split on "/", ";", ",", "|"
(several genres in one tag); the album title, for the soundtrack markers only ("OST", "Soundtrack",
"Original Score": other album words are too often just words); and only when those two name no tag,
every folder of the file's path, each folder name matched whole (hidden folders skipped). Why folders
come last: a tag is what the tagger said about the music, a folder is often just where a package or a
download put it (Debian ships the death-metal songs of Frets on Fire under ``/usr/share/games``).

A tag's position (``TagVocabulary.positions``): the mean of its artists' unit factor vectors, each
weighted by the tag's share of that artist's tag applications. Why the share and not the count: the
most listened artists get every tag from someone (Muse, Madonna and Depeche Mode are all tagged
"soundtrack" by many users), and counts let them define the tag; by share, "soundtrack" sits among Hans
Zimmer, John Williams, James Horner and Howard Shore, the artists it describes best. (An earlier version
folded each tag row in like a listener, stored the result in the bundle and mixed a quarter of it in;
this one replaced it, ``benchmarks/genre_placement.py`` measures it.) Positions
are computed from the bundle's own rows when first asked for, not stored: they cannot disagree with the
factors.

API: ``fold_phrase(text)``, ``TagVocabulary(bundle)`` with ``find``, ``genre_tags``, ``folder_tags``,
``album_tags``, ``track_tags``, ``positions``, ``names``; ``ArtistGenres`` and
``TagVocabulary.artist_genres(rows, track_artist)``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from recommender.factors.match import fold_text

ALIASES: dict[str, tuple[str, ...]] = {
    "game": ("video game music",),
    "games": ("video game music",),
    "videogame": ("video game music",),
    "videogames": ("video game music",),
    "gamemusic": ("video game music",),
    "videogamemusic": ("video game music",),
    "vgm": ("video game music",),
    "ost": ("soundtrack",),
    "score": ("soundtrack",),
    "filmscore": ("soundtrack",),
    "moviescore": ("soundtrack",),
    "originalscore": ("soundtrack",),
    "originalsoundtrack": ("soundtrack",),
    "filmmusic": ("soundtrack",),
    "moviemusic": ("soundtrack",),
}
"""Folded phrase (no spaces) -> the Last.fm tags it stands for (those the bundle has are used)."""

STOP_WORDS = frozenset(
    """music musics musique musik musica song songs track tracks audio sound sounds sfx ogg mp3 flac opus wav
    m4a aac wma files file data core share usr local home root mnt media disc disk cd dvd vol volume part
    the a an of and my our your various artist artists album albums misc other others collection library
    new unknown download downloads original""".split()
)
"""Words of folder names and genre tags that say nothing about a genre (paths, formats, library words)."""

_SPLIT_GENRE = re.compile(r"\s*[/;,|]\s*")
_NUMBER = re.compile(r"^v?\d+$")  # "1", "16", "v2", "2011": versions, years and disc numbers ("80s" stays)
_SOUNDTRACK_MARKERS = ("ost", "soundtrack", "soundtracks", "original score", "original soundtrack")


def fold_phrase(text: str | None) -> str:
    """Unicode- and case-folded words separated by single spaces ("Death-Metal!" -> "death metal");
    "&" and "+" read as "and" ("Drum & Bass" -> "drum and bass")."""
    if not text:
        return ""
    text = fold_text(text).replace("&", " and ").replace("+", " and ")
    return " ".join(re.findall(r"[^\W_]+", text))


def _key(phrase: str) -> str:
    return phrase.replace(" ", "")


def _singular(phrase: str) -> str | None:
    if len(phrase) > 3 and phrase.endswith("s") and not phrase.endswith("ss"):
        return phrase[:-1]
    return None


def _cleaned(phrase: str) -> str:
    return " ".join(w for w in phrase.split() if w not in STOP_WORDS and not _NUMBER.match(w))


@dataclass
class ArtistGenres:
    """What an artist's tracks say: how many tracks it has, and per tag row how many carry that tag."""

    tracks: int = 0
    tag_tracks: dict[int, int] = field(default_factory=dict)
    covered: int = 0  # tracks with at least one tag

    @property
    def coverage(self) -> float:
        """The share of the artist's tracks that name at least one tag of the vocabulary."""
        return self.covered / self.tracks if self.tracks else 0.0


def _remember(memo: dict, key: str, value: frozenset[int]) -> None:
    if len(memo) < 1 << 16:  # bounded: a pathological library must not grow it without end
        memo[key] = value


class TagVocabulary:
    """The bundle's Last.fm tags (``Bundle.tag_names``), looked up by genre words; empty without names."""

    def __init__(self, bundle: Any) -> None:
        self.bundle = bundle
        names = bundle.tag_names
        indptr = bundle.train_indptr
        n_users = int(bundle.meta.get("n_user_rows", 0)) if indptr is not None else 0
        usable = names is not None and indptr is not None and len(indptr) - 1 - n_users == len(names)
        self.names: list[str] = [str(n) for n in names] if usable else []
        self._first = n_users  # the first tag row among the training rows
        # Artists per tag: the more a tag covers, the more it is the usual spelling ("post-rock" over
        # "post rock"). Read from the training rows' offsets: no scipy at a radio start.
        self._spread = np.diff(indptr[n_users:]) if usable else np.zeros(0, dtype=np.int64)
        by_key: dict[str, int] = {}
        for row in np.argsort(-self._spread, kind="stable").tolist():
            key = _key(fold_phrase(self.names[row]))
            if key and key not in by_key:
                by_key[key] = row
        self._by_key = by_key
        self._aliases = {
            alias: tuple(by_key[_key(t)] for t in targets if _key(t) in by_key)
            for alias, targets in ALIASES.items()
        }
        # Memos: a library repeats a few hundred genres and a few thousand albums and folders.
        self._genres: dict[str, frozenset[int]] = {}
        self._albums: dict[str, frozenset[int]] = {}
        self._folders: dict[str, frozenset[int]] = {}
        self._names: dict[str, frozenset[int]] = {}  # single folder names, shared by many folders
        self._positions: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._by_key)

    @functools.cached_property
    def _tag_totals(self) -> np.ndarray:
        """Per catalogue artist, the sum of its tag applications over every tag row."""
        b = self.bundle
        lo = int(b.train_indptr[self._first])
        return np.bincount(
            b.train_indices[lo:], weights=b.train_counts[lo:].astype(np.float64), minlength=b.n_items
        )

    def position(self, row: int) -> np.ndarray:
        """Tag ``row``'s position [k] (float64): the mean of its artists' unit factor vectors, each
        weighted by the tag's share of that artist's tag applications (see the module docstring)."""
        found = self._positions.get(row)
        if found is None:
            b = self.bundle
            lo, hi = int(b.train_indptr[self._first + row]), int(b.train_indptr[self._first + row + 1])
            items = b.train_indices[lo:hi]
            # A zero count (a damaged bundle: validation only asks for >= 0) weighs nothing, never NaN.
            share = b.train_counts[lo:hi].astype(np.float64) / np.maximum(self._tag_totals[items], 1e-12)
            y = np.asarray(b.normalised_factors[items], dtype=np.float64)
            found = share @ y / max(float(share.sum()), 1e-12)
            self._positions[row] = found
        return found

    @property
    def positions(self) -> np.ndarray:
        """[n_tags, k] float64: every tag's ``position`` (for evaluations; the run time asks per tag)."""
        return np.array([self.position(r) for r in range(len(self.names))]).reshape(-1, self.bundle.k)

    # --- words -> tag rows --------------------------------------------------------------------------
    def _direct(self, phrase: str) -> tuple[int, ...]:
        """Steps 1-3 of the module docstring; a plural that is a rarer tag of its own yields to its
        singular ("soundtracks", 5 artists, is read as "soundtrack", 538)."""
        key = _key(phrase)
        if not key:
            return ()
        exact = self._by_key.get(key)
        single = _singular(phrase)
        plain = self._by_key.get(_key(single)) if single is not None else None
        if exact is not None and plain is not None:
            return (exact if self._spread[exact] >= self._spread[plain] else plain,)
        if exact is not None:
            return (exact,)
        if self._aliases.get(key):
            return self._aliases[key]
        if plain is not None:
            return (plain,)
        return self._aliases.get(_key(single), ()) if single is not None else ()

    def find(self, text: str | None, *, trailing: bool = False) -> tuple[int, ...]:
        """Tag rows that ``text`` names (usually one; an alias may name several), or ``()``.

        ``trailing``: also try the longest trailing part of the words (genre tags, not folder names)."""
        phrase = fold_phrase(text)
        cleaned = _cleaned(phrase)
        if not cleaned or not self._by_key:
            return ()  # nothing but stop words and numbers ("Music", "CD 2", "Other") names no genre
        for candidate in (phrase, cleaned) if cleaned != phrase else (phrase,):
            found = self._direct(candidate)
            if found:
                return found
        if trailing:
            words = cleaned.split()
            for start in range(1, len(words)):
                found = self._direct(" ".join(words[start:]))
                if found:
                    return found
        return ()

    def genre_tags(self, genre: str | None) -> frozenset[int]:
        """Tag rows of a file's genre tag (several genres split on "/", ";", ",", "|")."""
        if not genre:
            return frozenset()
        found = self._genres.get(genre)
        if found is None:
            found = frozenset(r for part in _SPLIT_GENRE.split(genre) for r in self.find(part, trailing=True))
            _remember(self._genres, genre, found)
        return found

    def folder_tags(self, path: str | None) -> frozenset[int]:
        """Tag rows named by the folders of a file's path (each folder name whole; hidden ones skipped)."""
        if not path:
            return frozenset()
        folder = path[: max(path.rfind("/"), path.rfind("\\")) + 1]
        found = self._folders.get(folder)
        if found is None:
            found = frozenset().union(
                *(self._folder_name(f) for f in re.split(r"[/\\]", folder) if f and not f.startswith("."))
            )
            _remember(self._folders, folder, found)
        return found

    def _folder_name(self, name: str) -> frozenset[int]:
        found = self._names.get(name)
        if found is None:
            found = frozenset(self.find(name))
            _remember(self._names, name, found)
        return found

    def album_tags(self, album: str | None) -> frozenset[int]:
        """Tag rows of the soundtrack markers in an album title ("The Battle for Wesnoth OST")."""
        if not album:
            return frozenset()
        found = self._albums.get(album)
        if found is None:
            padded = f" {fold_phrase(album)} "
            marked = any(f" {marker} " in padded for marker in _SOUNDTRACK_MARKERS)
            found = frozenset(self.find("soundtrack")) if marked else frozenset()
            _remember(self._albums, album, found)
        return found

    def track_tags(self, genre: str | None, album: str | None, path: str | None) -> frozenset[int]:
        """Tag rows one file names: its genre tag and album title, or else its folders."""
        return self.genre_tags(genre) | self.album_tags(album) or self.folder_tags(path)

    def artist_genres(self, rows: Iterable[tuple], track_artist: dict[int, str]) -> dict[str, ArtistGenres]:
        """Local artist -> ``ArtistGenres`` from (track id, genre, album, path) rows; tracks without a
        local artist in ``track_artist`` are skipped. Empty when the bundle has no tag names."""
        out: dict[str, ArtistGenres] = {}
        if not self._by_key:
            return out
        get_artist = track_artist.get
        for track_id, genre, album, path in rows:
            artist = get_artist(int(track_id))
            if artist is None:
                continue
            entry = out.get(artist)
            if entry is None:
                entry = out[artist] = ArtistGenres()
            entry.tracks += 1
            found = self.track_tags(genre, album, path)  # memoised per genre, album and folder
            if found:
                entry.covered += 1
                counts = entry.tag_tracks
                for row in found:
                    counts[row] = counts.get(row, 0) + 1
        return out


def vocabulary_of(bundle: Any) -> TagVocabulary:
    """The bundle's tags as a ``TagVocabulary``, built once per bundle object (kept on it)."""
    made = vars(bundle).get("genre_vocabulary")
    if made is None:
        made = TagVocabulary(bundle)
        vars(bundle)["genre_vocabulary"] = made
    return made
