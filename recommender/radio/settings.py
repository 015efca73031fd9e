"""``RadioSettings``: every number a user (or a tuner) may change about the radio, documented once.

Defaults marked "tuned" were chosen by ``recommender.simulation.tune`` on the simulation's *tuning*
users (``recommender.simulation.data.user_groups``), never on the users its reported table uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace


@dataclass
class RadioSettings:
    """Everything a user (or a tuner) may change about the radio, with the defaults used everywhere."""

    # --- lean-back rules -----------------------------------------------------------------------------
    artist_spacing: int = 15
    """No artist twice within this many tracks (scaled down for libraries with few artists)."""
    album_spacing: int = 25
    """No album twice within this many tracks (scaled down likewise)."""
    small_library_fraction: float = 0.5
    """Spacing is at most this fraction of the distinct artists (albums) among the candidates, minus one,
    so a library of 8 artists still rotates instead of locking up."""
    repeat_window_hours: float = 4.0
    """Tracks played (anywhere in the app) within this many hours are left out, unless the library is tiny."""
    tiny_library_tracks: int = 60
    """Below this many playable tracks the library counts as tiny: recently played tracks are allowed
    (after the others) and, once every track has been played, the station starts over."""
    min_duration_s: float = 30.0
    """Tracks shorter than this (jingles, sound effects) are played only when nothing else is left."""
    # --- planning ------------------------------------------------------------------------------------
    lookahead: int = 5
    """How many tracks are planned ahead; the plan is redone after every play event."""
    pool_size: int = 4000
    pool_fraction: float = 0.1
    """Candidates kept per re-plan: the best-fitting tracks for the current query, at most ``pool_size``
    and ``pool_fraction`` of the playable tracks (at least 30), so taste chooses only among tracks that
    fit the seed even in a small library."""
    # --- fit (the station's character) -----------------------------------------------------------------
    audio_weight: float = 0.6
    """Share of audio similarity in the fit when a track has both audio and factors (the rest: factors)."""
    predicted_factor_weight: float = 0.3
    """Factors predicted from audio (artists the bundle does not know) count this much of a bundle
    artist's factors in the fit: they are a coarse echo of the audio tags, not co-listening evidence."""
    metadata_weight: float = 1.0
    """Bonus (in s.d.) for the seed's genre / album / artist: helps tracks without analysis or factors."""
    session_weight_per_completion: float = 0.1
    session_weight_max: float = 0.0
    """Weight of the centroid of the tracks completed so far against the (moving) seed query. Tuned on the
    tuning users (``python -m recommender.simulation.tune``, issue 10)."""
    # --- taste and learning ----------------------------------------------------------------------------
    taste_weight: float = 1.0
    taste_full_after: int = 30
    """The taste term reaches ``taste_weight`` once this many tracks have plays; with fewer it is scaled
    down (a new user's "taste" is only what the library holds, it should not outvote the seed).
    Weight (in s.d. over the candidates) of the user's fold-in taste among tracks that fit. Tuned on
    the tuning users (``python -m recommender.simulation.tune``, issue 10)."""
    complete_rate: float = 0.0
    """How far a completion pulls the query toward the finished track. Tuned on the tuning users (``python
    -m recommender.simulation.tune``, issue 10)."""
    skip_rate: float = 0.35
    """How far a skip pushes the query away from the skipped track."""
    feedback_decay: float = 0.85
    """Older session feedback fades by this factor per event, so the station follows the listener."""
    skip_region_penalty: float = 1.5
    """Penalty (s.d.) × audio/factor similarity above ``skip_region_threshold`` to a skipped track."""
    skip_region_threshold: float = 0.3
    artist_skip_penalty: float = 1.5
    """Penalty (s.d.) per skip of an artist in this session."""
    rest_artist_after_skips: int = 2
    """A rule, not a weight: a track skipped in a session is never planned again in it, and an artist
    skipped this many times rests for the rest of the session (a listener who skipped an artist twice
    has said enough). Only a library with nothing else left to play brings them back (then the least
    recently skipped first would be no better: the station starts over from the rested tracks)."""
    session_hours: float = 6.0
    """What a listening session is for that rule: the skips of the last this many hours, whatever
    played them (the app, an earlier station, ``encore play``), so a new station, a restart of the
    app or ``encore radio`` an hour later does not bring back what was just skipped; the next day's
    radio may play them again (the taste still remembers the skips)."""
    artist_complete_bonus: float = 0.3
    """Bonus (s.d.) per completion of an artist in this session (spacing still applies)."""
    # --- co-listening and satiety (``recommender.radio.scoring``) --------------------------------------
    # known_weight, artist_repeat_penalty, heard_penalty and artist_rest_penalty are 0 by default since
    # issue 10: the chance-of-finishing term (enjoy_*, below) weighs the same evidence (completions,
    # plays this session, tracks and artists heard lately) as one probability; they stay as knobs.
    taste_pool_fraction: float = 0.1
    """Candidates are the best-fitting tracks *and* this share of the playable tracks (at most
    ``pool_size``) that the user's taste scores highest, so a seed with few close neighbours in the
    library does not starve the station of tracks the user likes."""
    known_weight: float = 0.0
    """Bonus (s.d.) for an artist the user has finished tracks of in the app, scaled by
    log(1 + completions) against the library's most finished artist: what the user chose to hear is
    the surest sign of what they like (the model's taste ranks similar popular artists beside it).
    Tuned on the tuning users (``python -m recommender.simulation.tune``, issue 10)."""
    colisten_weight: float = 1.5
    """Weight (s.d. over the candidates) of co-listening with the seed artist and the session's finished
    artists (item-kNN cosine over the bundle's training listeners), when the library has it. Tuned
    on the tuning users (``python -m recommender.simulation.tune``, issue 10)."""
    colisten_rate: float = 0.1
    """How much a finished (skipped) artist's co-listening neighbours gain (lose) against the seed's.
    Tuned on the tuning users (``python -m recommender.simulation.tune``, issue 10)."""
    artist_repeat_penalty: float = 0.0
    """Penalty (s.d.) per earlier play of an artist in this session: a second track of an artist is
    welcome less often than a fresh artist (spacing only sets the minimum distance). Tuned on the
    tuning users (``python -m recommender.simulation.tune``, issue 10)."""
    heard_penalty: float = 0.0
    """Penalty (s.d.) for a track heard before (any time, fading with ``heard_half_life_days``): among
    equally good tracks, one not heard lately wins. Tuned on the tuning users (``python -m
    recommender.simulation.tune``, issue 10)."""
    heard_half_life_days: float = 7.0
    artist_rest_penalty: float = 0.0
    """Penalty (s.d.) per track of the artist heard before (fading likewise): an artist heard yesterday
    is less fresh today, so the station rests it for artists not heard for a while. Tuned on the
    tuning users (``python -m recommender.simulation.tune``, issue 10)."""
    # --- chance of a finished track (``recommender.radio.enjoy``) ---------------------------------------
    enjoy_weight: float = 10.0
    """Weight (s.d. per unit of probability) of the estimated chance that the listener finishes the
    track: liking (known favourites, the taste for unplayed artists) times freshness. Tuned on the
    tuning users (``python -m recommender.simulation.tune``, issue 10)."""
    enjoy_known_logit: float = 3.0
    """Log-odds that an artist the user has finished tracks of is liked (about 95%)."""
    enjoy_unknown_logit: float = -3.5
    enjoy_taste_slope: float = 1.2
    """Log-odds that an unplayed artist is liked: ``unknown_logit + slope x z(taste)`` among the unplayed
    artists (most of a collection's unplayed artists are not favourites; the taste's best few often
    are). A logistic regression fitted on the tuning users' libraries (-3.47, 1.19:
    ``python -m recommender.simulation.calibrate``, issue 10)."""
    enjoy_skip_logit: float = 3.0
    """Log-odds lost per skip of an artist, divided by (1 + its completions): a skip of an artist never
    finished is close to a verdict."""
    enjoy_known_skip: float = 1.0
    """Log-odds a favourite loses for a skip within the session (usually a mood, not a verdict)."""
    enjoy_neighbour_rate: float = 1.5
    """Log-odds an unplayed artist gains (loses) per unit of co-listening cosine with an artist finished
    (skipped) in the session. Tuned on the tuning users (``python -m recommender.simulation.tune``,
    issue 10)."""
    enjoy_satiety: float = 0.75
    """Factor on the chance of a finished track per play of the artist this session, and per track of it
    heard before (fading): the same artist again soon is welcome less often."""
    enjoy_rest: float = 1.0
    """Weight of the artist's earlier plays (fading) against this session's in that satiety."""
    enjoy_half_life_days: float = 1.0
    """Days over which an earlier play's weight in the satiety halves (yesterday's artists are less fresh
    today, last month's are fresh again)."""
    enjoy_heard_drop: float = 0.5
    """Share of the chance lost by a track heard just now (fading likewise): the same song again the next
    day is the clearest case of satiety."""
    enjoy_explore: float = 0.0
    """Bonus (in probability units) of ``P(like)`` for artists the user has never finished a track of:
    finding liked artists the user never played is what a radio is for."""
    enjoy_find_bonus: float = 0.4
    """Bonus (probability units) for a recent find: an artist with at most ``enjoy_find_plays`` finished
    tracks, heard in the last days (a discovery is replayed while it is new). Tuned on the tuning
    users (``python -m recommender.simulation.tune``, issue 10)."""
    enjoy_find_plays: int = 3
    # --- transitions --------------------------------------------------------------------------------
    tempo_penalty: float = 1.0
    """Penalty per octave of tempo change beyond ``tempo_tolerance`` (half/double time counts as smooth)."""
    tempo_tolerance: float = 0.08
    loudness_penalty: float = 0.08
    """Penalty per dB of loudness jump beyond ``loudness_tolerance_db``."""
    loudness_tolerance_db: float = 3.0
    # --- exploration ------------------------------------------------------------------------------------
    exploration_rate: float = 0.0
    """Probability that a pick is drawn from the top ``exploration_top_k`` instead of the best. Tuned on
    the tuning users (``python -m recommender.simulation.tune``, issue 10)."""
    exploration_top_k: int = 25
    noise: float = 0.15
    """Scale (s.d.) of the Gumbel noise on every score: ties and near-ties vary between sessions."""
    # --- the familiar <-> new dial -------------------------------------------------------------------
    dial: int = 0
    """The listener's familiar <-> new dial, five steps: -2 (familiar) .. 0 (the tuned default) .. +2
    (new). Toward "new" it raises the chance the station gives artists the listener never finished
    (``enjoy_explore``, ``enjoy_unknown_logit``) and loosens the taste's hold (``taste_weight``), so it
    reaches further from what is known; toward "familiar" it does the opposite and rewards finished
    artists (``known_weight``). ``dialled`` applies it; the steps are in ``DIAL_STEPS``. Measured, not
    tuned: ``evaluate-radio --dial`` traces found per session and skip rate over the five steps."""

    def dialled(self) -> RadioSettings:
        """These settings with the dial applied (the same object at step 0)."""
        step = max(-2, min(2, int(self.dial)))
        if step == 0:
            return self
        move = DIAL_STEPS[step]
        return replace(
            self,
            dial=0,
            enjoy_explore=self.enjoy_explore + move["explore"],
            enjoy_unknown_logit=self.enjoy_unknown_logit + move["unknown_logit"],
            taste_weight=self.taste_weight * move["taste"],
            known_weight=self.known_weight + move["known"],
        )

    def effective_spacing(self, distinct: int, spacing: int) -> int:
        """Spacing scaled down for pools with few distinct artists (albums)."""
        if distinct <= 1:
            return 0
        return int(max(0, min(spacing, math.floor(self.small_library_fraction * (distinct - 1)))))


#: What each step of the dial changes (added to the setting, or a factor for ``taste``).
DIAL_STEPS: dict[int, dict[str, float]] = {
    -2: {"explore": 0.0, "unknown_logit": -2.0, "taste": 1.0, "known": 1.0},
    -1: {"explore": 0.0, "unknown_logit": -1.0, "taste": 1.0, "known": 0.5},
    1: {"explore": 0.15, "unknown_logit": 0.75, "taste": 0.8, "known": 0.0},
    2: {"explore": 0.35, "unknown_logit": 1.5, "taste": 0.6, "known": 0.0},
}
#: The dial's steps as a listener reads them.
DIAL_LABELS = {-2: "familiar", -1: "mostly familiar", 0: "balanced", 1: "more new", 2: "new"}
