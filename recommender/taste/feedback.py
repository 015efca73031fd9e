"""What the taste is made of: how plays become feedback (``TasteSettings``), and the evidence kept per track
(``TrackFeedback``) and per artist (``ArtistFeedback``).

Why a module of its own: the taste (``recommender.taste.profile``) gathers evidence from several sources
(Encore's plays, listens imported from elsewhere: ``recommender.taste.elsewhere``, ratings) and folds it
in; the records they all fill are shared by them, and by the views that show why a taste is what it is.

API: ``TasteSettings``, ``TrackFeedback``, ``ArtistFeedback``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TasteSettings:
    """How plays become feedback. Defaults are documented next to each field."""

    half_life_days: float = 180.0  # a play's weight halves every 180 days
    partial_weight: float = 0.5  # a 'stopped' play counts this much x the fraction heard
    skip_penalty: float = 0.5  # an artist is liked while positive > 0.5 x skips
    skip_alpha: float = 4.0  # confidence of a disliked artist: 1 + 4·log(1 + skips)
    library_weight: float = 0.2  # pseudo-plays for merely owning an artist's music
    why_count: int = 3  # nearest listened artists quoted as "why"
    min_support: int = 3  # discoveries need this many training listeners (as For you, Fans also like)
    love_weight: float = 2.0  # a loved track or artist counts as 2 fresh completions
    ban_weight: float = 3.0  # a banned track counts as 3 fresh skips; a banned artist is disliked outright


@dataclass
class TrackFeedback:
    track_id: int
    artist: str | None
    completions: int = 0
    skips: int = 0
    stops: int = 0
    positive: float = 0.0  # recency-weighted completions (+ partial stops)
    negative: float = 0.0  # recency-weighted skips
    last_played: float | None = None
    last_completed: float | None = None  # start of the latest completed play (For you rests it a while)

    @property
    def score(self) -> float:
        """> 0 liked, < 0 mostly skipped (radio uses this to avoid disliked tracks)."""
        return self.positive - self.negative


@dataclass
class ArtistFeedback:
    artist: str
    item: int | None  # bundle index, None when only predicted from audio or unknown
    positive: float = 0.0
    negative: float = 0.0
    completions: int = 0
    skips: int = 0
    tracks: int = 0
    last_played: float | None = None
    preference: float = 0.0  # p for the fold-in
    confidence: float = 1.0  # c for the fold-in (1 = no evidence)
    in_library: bool = True  # False: known only from listening history imported from elsewhere
    elsewhere: int = 0  # listens imported from elsewhere (ListenBrainz, Spotify, Last.fm)
    elsewhere_source: str | None = None  # where most of them come from ('spotify', ...)
    elsewhere_completions: int = 0  # of ``completions``, those imported from elsewhere
