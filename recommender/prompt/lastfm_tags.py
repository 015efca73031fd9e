"""``tag:(trip hop)`` read through the factor bundle's Last.fm tags: the library's tracks whose artists sit
near the tag in taste space.

Why: the 50 analysis tags say how a track sounds, and a file's genre tag says what its tagger wrote; neither
knows "trip hop", "soundtrack", "video game music" or "death metal" for a library whose files carry no such
genre. The factor bundle does: its 1,856 Last.fm tags are placed in the same factor space as the artists
(``recommender.factors.genre.TagVocabulary``: a tag's position is the mean of its artists' unit vectors,
weighted by the tag's share of each artist's tags). So a tag term pulls toward the library rows whose
artist factors (the bundle's, or the audio bridge's for artists the bundle does not know) have the highest
cosine to that position, as ``Fans also like`` places artists, offline.

The cosine is z-scored over the library's rows that have factors, so "near" means near *for this library*:
for ``-tag:`` a row is left out when its z-score is at least ``EXCLUDE_Z`` (clearly nearer the tag than the
library's usual track; a library that is all soundtracks keeps its least soundtrack-like rows rather than
losing everything), and the pull toward the tag is the same clipped z-score every sound term adds
(``recommender.prompt.resolve``). Words are matched as the genre words of files are
(``TagVocabulary.find``: case, spaces and punctuation, plurals, and aliases such as "OST" or "vgm").

API: ``LastfmTag`` (``name``, ``cosine``, ``near_artists``), ``read_lastfm_tag(value, library, bundle=None)``,
``lastfm_tag_names()``, ``closest_lastfm_tags(value)``.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

#: A row is "near" a Last.fm tag (left out by ``-tag:``) this many s.d. above the library's mean cosine.
EXCLUDE_Z = 1.5


@dataclass
class LastfmTag:
    """A tag term's reading: the tag's own spelling and each library row's cosine to it (NaN: no factors)."""

    name: str
    cosine: np.ndarray

    def z(self) -> np.ndarray:
        """The cosine z-scored over the rows that have factors; 0 where a row has none."""
        ok = np.isfinite(self.cosine)
        if ok.sum() < 2:
            return np.zeros(len(self.cosine))
        values = self.cosine[ok]
        spread = float(values.std()) or 1.0
        out = np.zeros(len(self.cosine))
        out[ok] = (values - float(values.mean())) / spread
        return out

    def near_artists(self, library: Any, rows: np.ndarray, n: int = 3) -> list[str]:
        """The first ``n`` distinct artists of ``rows`` (nearest first), for ``--explain``."""
        names: list[str] = []
        for r in rows.tolist():
            name = library.artist_names[int(library.artist[r])]
            if name and str(name) not in names:
                names.append(str(name))
            if len(names) == n:
                break
        return names


def _bundle(bundle: Any = None) -> Any:
    if bundle is not None:
        return bundle
    from recommender.factors.bundle_file import load_bundle

    return load_bundle(or_none=True)


def read_lastfm_tag(value: str, library: Any, bundle: Any = None) -> LastfmTag | None:
    """``value`` as a Last.fm tag of the bundle, with each library row's cosine to it; None when there is no
    bundle, the library has no factors from it, or no tag of the bundle is called so."""
    from recommender.factors.genre import vocabulary_of

    bundle = _bundle(bundle)
    factors = getattr(library, "factors", None)
    if bundle is None or factors is None or factors.shape[1] != bundle.k:
        return None
    vocabulary = vocabulary_of(bundle)
    found = vocabulary.find(value)
    if not found:
        return None
    position = np.mean([vocabulary.position(r) for r in found], axis=0)
    norm = float(np.linalg.norm(position))
    if norm == 0.0:
        return None
    cosine = np.asarray(factors, dtype=np.float64) @ (position / norm)
    has = getattr(library, "has_factors", None)
    if has is not None:
        cosine[~np.asarray(has, dtype=bool)] = np.nan
    return LastfmTag(" / ".join(vocabulary.names[r] for r in found), cosine)


@functools.lru_cache(maxsize=1)
def lastfm_tag_names() -> tuple[str, ...]:
    """The bundle's Last.fm tag names (for the prompt box's completion and an error's suggestions); none
    without a bundle."""
    from recommender.factors.genre import vocabulary_of

    bundle = _bundle()
    if bundle is None:
        return ()
    vocabulary = vocabulary_of(bundle)
    return tuple(vocabulary.names)


def closest_lastfm_tags(value: str, n: int = 3) -> list[str]:
    """Last.fm tags spelled like ``value``, for an error's suggestions."""
    return difflib.get_close_matches(
        value.casefold(), [t.casefold() for t in lastfm_tag_names()], n=n, cutoff=0.6
    )
