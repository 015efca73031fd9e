"""What a ``similar`` answer is: the artists near an artist, the tracks that sound like a track, and where to
read about an artist the library does not have.

Why a module of its own: ``recommender.similar.index`` computes the answers; the command line, the app's
similar panel, For you and the wishlist read them (and the Last.fm link) without the index.

API: ``Similar``, ``SimilarArtist``, ``SoundsLike``, ``lastfm_link(name)``.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class SimilarArtist:
    name: str
    score: float  # cosine in factor space
    in_library: bool
    track_ids: list[int] = field(default_factory=list)  # in-library artists: their tracks
    link: str | None = None  # discoveries: where to read about them
    predicted: bool = False  # factors predicted from audio (artist unknown to the bundle)


@dataclass
class SoundsLike:
    track_id: int
    score: float  # cosine of audio embeddings


@dataclass
class Similar:
    artist: str
    known: str  # 'bundle' | 'audio' (bridge) | 'none'
    artists: list[SimilarArtist]
    sounds_like: list[SoundsLike]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def lastfm_link(name: str) -> str:
    """The Last.fm page of an artist (the bundle is built from Last.fm data, so names are Last.fm's)."""
    return "https://www.last.fm/music/" + urllib.parse.quote_plus(name)
