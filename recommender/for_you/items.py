"""What For you offers, as values: the settings of the lists (``ForYouSettings``), one offered item
(``ForYouItem``) and the evidence artists named in a reason (``contributors``). Kept apart from the
list building (``recommender.for_you.lists``) and the array ranking (``recommender.for_you.ranked``),
which both use them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.reasons import Contributor

if TYPE_CHECKING:
    from recommender.taste.profile import Taste


@dataclass
class ForYouSettings:
    """How the lists are made. Defaults are documented next to each field."""

    max_plays: int = 2  # tracks played more often than this are not "under-played"
    play_penalty: float = 0.5  # fit minus 0.5·log(1 + plays)
    audio_weight: float = 0.5  # weight of the z-scored closeness in sound to completed tracks
    track_artist_mix: float = 0.5  # unknown artists: share of the track's own audio-predicted factors
    min_support: int = 3  # discoveries need this many listeners behind their factors
    min_seconds: float = 30.0  # shorter tracks (jingles, sound effects) are not offered
    sounds_like_min: float = 0.6  # cosine to a completed track above which "sounds like" is the reason
    n_reasons: int = 2  # artists named in a reason
    mix_size: int = 30
    mix_per_artist: int = 3
    rest_days: float = 14.0
    """A track completed in the last 14 days rests: it is left out of the tracks and of a new Discover mix,
    and comes back once the window has passed. What was just heard in full is the last thing to suggest
    hearing next (issue 21: the 8 tracks just finished filled the top of the list), yet a favourite is
    still a favourite a fortnight later."""
    album_rest_share: float = 0.5
    """An album more than half of whose tracks rest is left out of the albums: an album just played
    (mostly) through is not one to suggest, one with a single track heard lately still is."""
    mix_min: int = 10
    """A new Discover mix shorter than this, because most candidates rest (a small library just played
    through), is topped up with resting tracks, placed last: a short mix of what was heard lately
    beats an empty one."""


@dataclass
class ForYouItem:
    kind: str  # 'track' | 'album' | 'artist'
    name: str  # track title, album title or artist name
    artist: str | None
    score: float
    reason: str
    track_ids: list[int] = field(default_factory=list)
    plays: int = 0
    link: str | None = None  # artists to discover: where to read about them

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["score"] = round(float(self.score), 4)
        return d


def contributors(
    taste: Taste, rows: np.ndarray, exclude: Iterable[set[str]], n: int
) -> list[list[Contributor]]:
    """Per row of factor vectors: the evidence artists with the largest positive shares, best first."""
    artists, share = taste.contributions(rows)
    out: list[list[Contributor]] = []
    for r, skip in zip(range(len(share)), exclude, strict=False):
        order = np.argsort(-share[r], kind="stable")
        picked: list[Contributor] = []
        for j in order:
            if share[r, j] <= 0 or len(picked) >= n:
                break
            af = artists[j]
            if af.artist in skip:
                continue
            played = af.completions > 0 or af.positive > 0
            kind = "played" if played else ("sound" if af.item is None else "owned")
            picked.append(Contributor(af.artist, float(share[r, j]), kind, af.completions, af.item is None))
        # The played artists say more than owned ones: name them first when they contribute at all.
        picked.sort(key=lambda c: c.kind != "played")
        out.append(picked)
    return out
