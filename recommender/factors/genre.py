"""Place artists the listening data does not know by their files' own words: genre tags and folder names.

Why: the audio bridge (``recommender.factors.bridge``) sees only the 50 MSD tags, which have no
"soundtrack", "orchestral" or "score", so every game or film score lands among the same indie-rock
artists. The catalogue knows far more words: its ~1,900 Last.fm tags, each placed in the factor space
by folding in its tag pseudo-listener row (``bridge_tag_factors``, made at pretraining). A library artist's
genre tags ("Romantic Classical", "Death Metal", "Game") and the words of its folders ("soundtrack",
"jazz") are matched against that vocabulary; the matched tags' positions, averaged, place the artist.

Matching (``words_of``, ``TagVocabulary.match``): Unicode folded, lower case, "&" and "and" alike; a
genre tag matches as a whole ("death metal", weight 1); its last word, the head of most genre names
("Romantic Classical" is classical music, "Progressive Rock" rock), weighs 0.5, its other words 0.2; a few
file-tag genres have another name in the catalogue (``ALIASES``: "Game" is "video game music"); folder
names are split at punctuation, and version numbers and words every path has ("usr", "share", "music",
"data", ...) are dropped; a folder word weighs 0.25.

Combining (``combine``): the tag position (scaled to the audio prediction's length) and the audio
bridge's prediction are mixed with ``TAG_WEIGHT`` (measured on held-out catalogue artists:
``benchmarks/genre_placement.py``). Words only move an artist the audio placed: an artist with no analysed
track stays unplaced, as before, so a library with neither plays nor analysis still says it has no
signal rather than guess from folder names alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

TAG_WEIGHT = 0.25
"""Share of the tag position in an artist placed by both its words and its sound (0: audio alone): the
largest weight that kept held-out catalogue artists' specific neighbours (recall@10 within 0.02 of sound
alone) while bringing more of the same genre among them (``benchmarks/genre_placement.py``, tuning half)."""
GENRE_WHOLE, GENRE_HEAD, GENRE_WORD, FOLDER_WORD = 1.0, 0.5, 0.2, 0.25
ALIASES = {
    "game": "video game music",
    "games": "video game music",
    "videogame": "video game music",
    "ost": "soundtrack",
    "film score": "soundtrack",
    "score": "soundtrack",
    "classic": "classical",
}
PATH_STOP = frozenset(
    "usr share local lib opt home media mnt srv var tmp root data core music musique musik audio sound "
    "sounds song songs track tracks mp3 ogg flac opus m4a wav disc cd vol volume various artists "
    "unknown misc other new old the a an of and".split()
)
_SPLIT = re.compile(r"[\s/\\_\-.,;:()\[\]{}+|!?\"']+")
_VERSION = re.compile(r"^(v?\d+([._]\d+)*|\d+(st|nd|rd|th)?)$")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.replace("&", " and ").split())


def words_of(genres: Iterable[str | None], paths: Iterable[str | None]) -> Counter[str]:
    """Candidate tag texts of one artist with their weights: its genre tags whole, their words and word
    pairs, and the informative words of its tracks' folder names (the two folders above each file)."""
    out: Counter[str] = Counter()
    for genre in set(g for g in genres if g):
        for value in re.split(r"[;/,]", str(genre)):
            whole = _fold(value)
            if not whole:
                continue
            out[ALIASES.get(whole, whole)] += GENRE_WHOLE
            words = [w for w in whole.split() if w not in PATH_STOP]
            if len(words) > 1:
                for w in words[:-1]:
                    out[ALIASES.get(w, w)] += GENRE_WORD
                out[ALIASES.get(words[-1], words[-1])] += GENRE_HEAD
    folders: set[str] = set()
    for path in set(p for p in paths if p):
        parts = str(path).replace("\\", "/").split("/")[:-1]
        folders.update(parts[-2:])
    for folder in folders:
        for w in _SPLIT.split(_fold(folder)):
            if len(w) > 2 and w not in PATH_STOP and not _VERSION.match(w):
                out[ALIASES.get(w, w)] += FOLDER_WORD
    return out


class TagVocabulary:
    """The bundle's tags by folded text, with their factor positions."""

    def __init__(self, bundle: Any) -> None:
        names = bundle.bridge.get("tag_names")
        factors = bundle.bridge.get("tag_factors")
        self.factors = None if factors is None else np.asarray(factors, dtype=np.float64)
        self.index: dict[str, int] = {}
        if names is not None and self.factors is not None:
            for j, name in enumerate(np.asarray(names).tolist()):
                self.index.setdefault(_fold(str(name)), j)
        norms = np.linalg.norm(np.asarray(bundle.item_factors, dtype=np.float64), axis=1)
        self.typical_norm = float(np.median(norms)) if len(norms) else 1.0

    def __bool__(self) -> bool:
        return bool(self.index)

    def match(self, words: Counter[str]) -> dict[str, float]:
        """Tag text -> weight for the candidate words that are tags of the vocabulary."""
        return {w: weight for w, weight in words.items() if w in self.index}

    def position(self, words: Counter[str]) -> np.ndarray | None:
        """The weighted mean position of the matched tags (unit length), or None when none matched."""
        matched = self.match(words)
        if not matched or self.factors is None:
            return None
        rows = self.factors[[self.index[w] for w in matched]]
        rows = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        mean = np.asarray(list(matched.values())) @ rows
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm > 0 else None


def combine(audio: np.ndarray | None, tags: np.ndarray | None, typical_norm: float) -> np.ndarray | None:
    """An artist's factors from its sound (the bridge's prediction) and its words (a unit tag position)."""
    if tags is None or audio is None:
        return audio
    a = np.asarray(audio, dtype=np.float64)
    scale = float(np.linalg.norm(a)) or typical_norm
    return ((1.0 - TAG_WEIGHT) * a + TAG_WEIGHT * tags * scale).astype(np.float32)


def place_unmatched(
    unmatched: Iterable[str],
    audio: dict[str, np.ndarray],
    words: dict[str, Counter[str]],
    bundle: Any,
) -> dict[str, np.ndarray]:
    """Factors for the artists the bundle does not know: ``audio`` (the bridge's predictions, in the
    order of ``unmatched``) moved by each artist's own words where they match the catalogue's tags."""
    vocab = TagVocabulary(bundle)
    if not vocab:
        return dict(audio)
    out: dict[str, np.ndarray] = {}
    for artist in unmatched:
        sound = audio.get(artist)
        if sound is not None:
            out[artist] = combine(sound, vocab.position(words.get(artist, Counter())), vocab.typical_norm)
    return out


def artist_words(
    rows: Iterable[tuple[Any, Any, Any]], track_artist: dict[int, str]
) -> dict[str, Counter[str]]:
    """Per local artist, its candidate tag words (``words_of``) from (track id, genre, path) rows."""
    genres: dict[str, set[str]] = {}
    folders: dict[str, set[str]] = {}
    for track_id, genre, path in rows:
        artist = track_artist.get(int(track_id))
        if artist is None:
            continue
        if genre:
            genres.setdefault(artist, set()).add(str(genre))
        if path:
            folders.setdefault(artist, set()).add(str(path).rsplit("/", 1)[0] + "/x")
    return {a: words_of(genres.get(a, ()), folders.get(a, ())) for a in set(genres) | set(folders)}
