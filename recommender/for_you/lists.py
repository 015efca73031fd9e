"""For you: what to hear next, from the user's own library and beyond, each with its reason.

Three lists, all ranked by the folded-in taste (``recommender.taste.profile``):

- **tracks** and **albums** the user owns but has played little or never. A track's fit is its
  artist's taste score (the shipped model's blend for bundle artists; for artists the bundle does not
  know, the fold-in against the factors the audio bridge predicts from the track's own tags, averaged
  with its artist's), plus how close the track sounds to the tracks the user completes; every play
  already made lowers it (``play_penalty``), so the under-played lead, and tracks played more than
  ``max_plays`` times, mostly skipped ones and jingles are left out. What was finished recently
  **rests** (``rest_days``): those tracks, and albums mostly made of them, are left out of the lists
  and of a new Discover mix until the window has passed (``ForYou.rested`` keeps them, ranked, for a
  mix that would otherwise come out too short).
- **artists** to discover: bundle artists the user does not own with at least ``min_support``
  listeners behind their factors (a single listener's artist is noise, not a discovery).

Nothing banned is offered (``recommender.taste.bans``): banned tracks, tracks of banned artists, and
banned artists among the discoveries.

Cold start by sound: when few of the library's artists match the bundle, the fold-in's evidence is the
artists the audio bridge placed from their sound (plus whatever plays there are). With no evidence at
all (nothing matched and nothing analysed), ``signal`` is ``"none"``, the lists are empty and
``summary`` says so: global hits are never offered as a taste. Popularity only breaks ties (the
taste's 1e-3 prior).

Reasons come from the terms that ranked an item: the fold-in is linear in its evidence, so the artists
with the largest share of an item's score are named (``Taste.contributions``), with how they entered
(played, owned, placed by sound); a track close in sound to a completed track names that track; an
unplayed track says "new to you: never played".

API: ``ForYouSettings``, ``ForYouItem``, ``ForYou``, ``for_you(store, bundle=None, settings=None,
taste=None, n=30, now=None)``; the Discover mix built from the result is ``recommender.for_you.mix``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from player.text import count_text
from recommender.for_you.items import ForYouItem, ForYouSettings, contributors
from recommender.reasons import NEVER_PLAYED as NEVER_PLAYED  # the tracks' reasons start with it
from recommender.reasons import taste_reason

if TYPE_CHECKING:
    from player.store.core import Store
    from recommender.taste.profile import Taste


@dataclass
class ForYou:
    signal: str  # 'plays' | 'library' | 'sound' | 'none'
    summary: str  # where the taste comes from, in words
    tracks: Sequence[ForYouItem]  # a ``RankedTracks``: items made when read
    albums: list[ForYouItem]
    artists: list[ForYouItem]
    matched_artists: int = 0
    sound_artists: int = 0
    played_tracks: int = 0
    rested: Sequence[ForYouItem] = field(default_factory=list)  # resting tracks, ranked (``rest_days``)

    def as_dict(self, n: int | None = None) -> dict[str, Any]:
        """Plain data; ``n``: only the first ``n`` tracks (the rest of the ranking is never made)."""
        return {
            "signal": self.signal,
            "summary": self.summary,
            "tracks": [t.as_dict() for t in self.tracks[:n]],
            "albums": [a.as_dict() for a in self.albums],
            "artists": [a.as_dict() for a in self.artists],
        }


NO_SIGNAL = (
    "Encore cannot tell your taste yet: none of your library's artists are in its listening data and "
    "no track has been analysed for its sound. Run the audio analysis (encore analyze) or play some "
    "music, and suggestions will follow."
)


def for_you(
    store: Store,
    bundle: Any = None,
    settings: ForYouSettings | None = None,
    taste: Taste | None = None,
    n: int = 30,
    now: float | None = None,
) -> ForYou:
    """The three For-you lists (``n`` items each; all under-played tracks ranked for the mix).

    ``now``: the clock that resting is measured against (default: the taste's, which is the time of
    the call when ``taste`` is not given)."""
    from player.store.analysis import load_analysis_matrix
    from player.store.listens import listen_outcomes
    from player.store.plays import track_stats
    from player.store.tracks import track_columns
    from recommender.similar.answers import lastfm_link
    from recommender.taste.bans import Bans
    from recommender.taste.profile import Taste

    s = settings or ForYouSettings()
    if taste is None:
        if bundle is None:
            from recommender.factors.bundle_file import load_bundle

            bundle = load_bundle()
        from recommender.radio.stored import cached_match

        # The match and the placed artists from the radio's start-up cache when it is current: making
        # them again is most of the cost at 100k tracks (issue 27).
        match, audio_factors = cached_match(store, bundle) or (None, None)
        taste = Taste.from_store(store, bundle, now=now, match=match, audio_factors=audio_factors)
    now = taste.now if now is None else now
    bundle = taste.bundle
    match = taste.match
    evidence = taste.evidence_artists()
    played_tracks = sum(1 for fb in taste.track_feedback.values() if fb.completions or fb.positive > 0)
    matched, placed = len(match.artist_to_item), len(taste.audio_factors)
    if not evidence:
        return ForYou("none", NO_SIGNAL, [], [], [], matched, placed, played_tracks)
    if played_tracks:
        signal = "plays"
    elif matched >= max(3, placed):
        signal = "library"
    else:
        signal = "sound"
    summary = _summary(signal, matched, placed, played_tracks, len(match.artist_tracks))

    scores = taste.item_scores()

    # --- tracks and albums of the library (``recommender.for_you.ranked``) ---------------------------
    from recommender.for_you.ranked import one_copy_per_song, rank_albums, rank_library, ranked

    stats = track_stats(store)
    # Listens imported from elsewhere are plays too: a track heard on Spotify is not "never played",
    # and is no longer among the under-played.
    for tid, (_done, _skipped, heard) in listen_outcomes(store).items():
        row = stats.setdefault(tid, {})
        row["play_count"] = (row.get("play_count") or 0) + heard  # every outcome, as Encore's own count
    bans = Bans.from_store(store)  # never offered
    columns = ("id", "title", "path", "artist", "album_artist", "album", "duration")
    present = track_columns(store, columns, order="id")  # files there now (missing ones are not offered)
    tracks = {r[0]: r[1:] for r in present if r[0] not in bans.track_ids}
    rest_since = now - s.rest_days * 86400.0

    def resting(tid: int) -> bool:
        fb = taste.track_feedback.get(tid)
        return fb is not None and fb.last_completed is not None and fb.last_completed > rest_since

    ranking = rank_library(taste, tracks, stats, scores, load_analysis_matrix(store), s)
    track_items, rested = ranked(ranking, resting)
    albums = rank_albums(tracks, track_items, match.track_artist, resting, list(taste.track_feedback), s, n)
    track_items = one_copy_per_song(track_items)  # after the albums: a compilation keeps its copy

    # --- artists to discover -----------------------------------------------------------------------
    # Owned: an artist with a file there now. One whose every file is missing (deleted long ago, or on a
    # drive unplugged) may be discovered again, as ``similar`` offers it (``SimilarIndex.from_library``).
    here = set(match.artists_of([r[0] for r in present]))
    owned = {af.item for af in taste.artist_feedback.values() if af.item is not None and af.artist in here}
    allowed = np.asarray(bundle.popularity) >= s.min_support
    masked = np.where(allowed, scores, -np.inf)
    if owned:
        masked[list(owned)] = -np.inf
    masked[bans.items(bundle)] = -np.inf
    from recommender.ranking import top_k

    top = top_k(masked, (), n)
    dcontrib = (
        contributors(taste, bundle.item_factors[top].astype(np.float64), (set() for _ in top), s.n_reasons)
        if len(top)
        else []
    )
    artists = []
    for j, i in enumerate(top.tolist()):
        name = str(bundle.names[i])
        reason = taste_reason(dcontrib[j], discovery=True) or "close to your library's taste"
        artists.append(ForYouItem("artist", name, name, float(scores[i]), reason, [], 0, lastfm_link(name)))
    return ForYou(signal, summary, track_items, albums, artists, matched, placed, played_tracks, rested)


def _summary(signal: str, matched: int, placed: int, played: int, artists: int) -> str:
    if signal == "plays":
        return (
            f"From your plays of {count_text(played)} and your library of {count_text(artists, 'artist')} "
            f"({matched} known from listening data, {placed} placed by their sound)."
        )
    if signal == "library":
        return (
            f"From what you own: {matched} of your {artists} artists are known from listening data"
            f"{f', {placed} more placed by their sound' if placed else ''}. Play music to sharpen it."
        )
    return (
        f"From the sound of your library: {placed} of your {artists} artists placed by their audio"
        f"{f', {matched} known from listening data' if matched else ''}. Play music to sharpen it."
    )
