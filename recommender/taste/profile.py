"""The user's taste: implicit feedback from their own plays, folded into the pretrained factor space.

From the plays log (``player.store.feedback``) each track gets a positive weight (completions, plus
stopped plays in proportion to how much was heard) and a negative weight (skips), every play
discounted by its age (half-life ``TasteSettings.half_life_days``: last week's listen counts more than
one from two years ago). Tracks add up into their artists; an artist whose positive weight outweighs
``skip_penalty`` x its skips is a preference (p = 1) with the bundle's confidence
``c = 1 + α·log(1 + r/ε)``; an artist that is mostly skipped is negative evidence (p = 0 with
confidence ``1 + skip_alpha·log(1 + skips)``). Merely having an artist in the library is weak positive
evidence (``library_weight``), so a new user without plays still gets a taste. Library artists that the
bundle does not know enter through factors predicted from their audio tags (``factors.bridge``).

The user vector is the closed-form ALS user step (``factors.foldin``), a few milliseconds; ``observe``
updates one play incrementally and re-solves.

API: ``TasteSettings``; ``Taste.from_store(store, bundle=None, settings=None, now=None)`` with
``user_vector``, ``artist_feedback`` (local artist -> ``ArtistFeedback``), ``track_feedback`` (track id ->
``TrackFeedback``), ``match`` (``LibraryMatch``), ``observe(event)``, ``item_scores()`` (what to hear next from them:
``recommender.taste.recommend.recommend(taste, n)``);
``user_vector(store, bundle=None)`` (the vector alone, None without plays).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from player.store.core import Store
    from player.store.feedback import PlayEvent
    from recommender.factors.bundle import Bundle
    from recommender.factors.match import LibraryMatch


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


class Taste:
    """The folded-in user. Build with ``Taste.from_store``; cheap to update with ``observe``."""

    def __init__(
        self,
        bundle: Bundle,
        match: LibraryMatch,
        settings: TasteSettings | None = None,
        audio_factors: dict[str, np.ndarray] | None = None,
        now: float | None = None,
    ) -> None:
        self.bundle = bundle
        self.match = match
        self.settings = settings or TasteSettings()
        self.audio_factors = audio_factors or {}
        self.now = time.time() if now is None else now
        self.track_feedback: dict[int, TrackFeedback] = {}
        self.artist_feedback: dict[str, ArtistFeedback] = {}
        self.user_vector = np.zeros(bundle.k)
        self.solve_seconds = 0.0
        self.artist_ratings: dict[str, int] = {}  # local artist -> 1 loved / -1 banned
        # Imported listens not tied to a library track, per artist: [positive, negative, completions, skips,
        # last listened] (``_add_listens``); and every imported listen, per artist and source.
        self.elsewhere: dict[str, list[float]] = {}
        self.elsewhere_sources: dict[str, Counter[str]] = {}
        for artist, tracks in match.artist_tracks.items():
            self.artist_feedback[artist] = ArtistFeedback(
                artist=artist, item=match.artist_to_item.get(artist), tracks=len(tracks)
            )

    # --- building ----------------------------------------------------------------------------------
    @classmethod
    def from_store(
        cls,
        store: Store,
        bundle: Bundle | None = None,
        settings: TasteSettings | None = None,
        now: float | None = None,
        audio: bool = True,
        match: LibraryMatch | None = None,
        audio_factors: dict[str, np.ndarray] | None = None,
    ) -> Taste:
        """Match the library (unless ``match``, already made for this bundle, is given), read every
        finished play, fold the user in. ``audio_factors``: the unmatched artists' audio-predicted
        factors when the caller has them already (the radio's loader), so the analysis is not read twice."""
        from player.store.feedback import play_events
        from recommender.factors.bundle import load_bundle
        from recommender.factors.match import match_library

        bundle = bundle or load_bundle()
        match = match if match is not None else match_library(store, bundle)
        if not audio:
            audio_factors = {}
        elif audio_factors is None:
            from recommender.factors.bridge import audio_factors_for_unmatched

            audio_factors = audio_factors_for_unmatched(store, bundle, match)
        taste = cls(bundle, match, settings, audio_factors, now)
        for event in play_events(store):
            taste._add(event)
        taste._add_listens(store)
        taste._add_ratings(store)
        for artist in taste.artist_feedback:
            taste._refresh_artist(artist)
        taste.solve()
        return taste

    def _decay(self, at: float) -> float:
        age_days = max(0.0, self.now - at) / 86400.0
        return math.pow(0.5, age_days / self.settings.half_life_days)

    def _add(self, event: PlayEvent) -> str | None:
        artist = self.match.track_artist.get(event.track_id)
        fb = self.track_feedback.get(event.track_id)
        if fb is None:
            fb = self.track_feedback[event.track_id] = TrackFeedback(event.track_id, artist)
        w = self._decay(event.started_at)
        if event.outcome == "completed":
            fb.completions += 1
            fb.positive += w
            fb.last_completed = max(fb.last_completed or 0.0, event.started_at)
        elif event.outcome == "skipped":
            fb.skips += 1
            fb.negative += w
        elif event.outcome == "stopped":
            fb.stops += 1
            if event.duration and event.duration > 0:
                fb.positive += (
                    self.settings.partial_weight * w * min(1.0, event.seconds_listened / event.duration)
                )
        else:
            return artist  # errors say nothing about taste
        fb.last_played = max(fb.last_played or 0.0, event.started_at)
        return artist

    def _add_listens(self, store: Store) -> None:
        """Listening history imported from elsewhere (``player.store.listens``) joins the same evidence
        as Encore's own plays, weighed by age with the same half-life: a listen matched to a library
        track counts for that track; any other listen counts for its artist, the library's spelling of
        it when the library holds it, else the catalogue artist itself (an artist known only from
        elsewhere shapes the taste but is neither "in your library" nor a discovery). A "stopped"
        stream counts as half heard (``partial_weight`` x 0.5: the export says how long, not how much of
        the track), a skip as Encore's own skip does."""
        from player.store.listens import listen_feedback

        s = self.settings
        rows = listen_feedback(store, self.now, s.half_life_days)
        if not rows:
            return
        item_of = {str(v): i for i, v in enumerate(self.bundle.item_ids)}
        local_of_item: dict[int, str] = {}
        for artist, item in self.match.artist_to_item.items():
            local_of_item.setdefault(int(item), artist)
        from recommender.factors.match import normalise_artist

        local_of_key = {normalise_artist(a): a for a in self.match.artist_tracks}
        for track_id, catalogue_id, artist, source, outcome, count, weighted, last in rows:
            weight = float(weighted or 0.0)
            if track_id is not None and int(track_id) in self.match.track_artist:
                fb = self.track_feedback.get(int(track_id))
                if fb is None:
                    fb = self.track_feedback[int(track_id)] = TrackFeedback(
                        int(track_id), self.match.track_artist[int(track_id)]
                    )
                if outcome == "completed":
                    fb.completions += int(count)
                    fb.positive += weight
                elif outcome == "skipped":
                    fb.skips += int(count)
                    fb.negative += weight
                else:
                    fb.stops += int(count)
                    fb.positive += s.partial_weight * 0.5 * weight
                fb.last_played = max(fb.last_played or 0.0, float(last))
                if fb.artist:
                    self.elsewhere_sources.setdefault(fb.artist, Counter())[source] += int(count)
                    if outcome == "completed":
                        self.elsewhere_sources[fb.artist]["completed"] += int(count)
                continue
            item = item_of.get(str(catalogue_id)) if catalogue_id is not None else None
            name = local_of_item.get(item) if item is not None else None
            name = name or local_of_key.get(normalise_artist(artist))
            if name is None and item is not None:
                name = str(self.bundle.names[item])
                if name not in self.artist_feedback:
                    self.artist_feedback[name] = ArtistFeedback(artist=name, item=item, in_library=False)
            if name is None:
                continue  # neither in the library nor in the catalogue: nothing to fold in
            self.elsewhere_sources.setdefault(name, Counter())[source] += int(count)
            if outcome == "completed":
                self.elsewhere_sources[name]["completed"] += int(count)
            acc = self.elsewhere.setdefault(name, [0.0, 0.0, 0.0, 0.0, 0.0])
            if outcome == "completed":
                acc[0] += weight
                acc[2] += int(count)
            elif outcome == "skipped":
                acc[1] += weight
                acc[3] += int(count)
            else:
                acc[0] += s.partial_weight * 0.5 * weight
            acc[4] = max(acc[4], float(last))

    def _add_ratings(self, store: Store) -> None:
        """Loves and bans (``player.store.ratings``): explicit, so they weigh more than a play and do not
        fade with age. A track rating joins the track's feedback; an artist rating its artist's."""
        from player.store.ratings import fold_artist, rated_artists, rated_tracks

        s = self.settings
        for track_id, rating in rated_tracks(store).items():
            if track_id not in self.match.track_artist:
                continue
            fb = self.track_feedback.get(track_id)
            if fb is None:
                fb = self.track_feedback[track_id] = TrackFeedback(
                    track_id, self.match.track_artist[track_id]
                )
            if rating > 0:
                fb.positive += s.love_weight
            else:
                fb.negative += s.ban_weight
        by_key = rated_artists(store)
        self.artist_ratings = {
            a: by_key[fold_artist(a)] for a in self.artist_feedback if fold_artist(a) in by_key
        }

    def _refresh_artist(self, artist: str) -> None:
        af = self.artist_feedback.get(artist)
        if af is None:
            return
        s = self.settings
        af.positive = af.negative = 0.0
        af.completions = af.skips = 0
        af.last_played = None
        for tid in self.match.artist_tracks.get(artist, ()):
            fb = self.track_feedback.get(tid)
            if fb is None:
                continue
            af.positive += fb.positive
            af.negative += fb.negative
            af.completions += fb.completions
            af.skips += fb.skips
            if fb.last_played is not None:
                af.last_played = max(af.last_played or 0.0, fb.last_played)
        extra = self.elsewhere.get(artist)
        if extra is not None:
            af.positive += extra[0]
            af.negative += extra[1]
            af.completions += int(extra[2])
            af.skips += int(extra[3])
            if extra[4]:
                af.last_played = max(af.last_played or 0.0, extra[4])
        sources = self.elsewhere_sources.get(artist)
        if sources:
            by_source = Counter({k: v for k, v in sources.items() if k != "completed"})
            af.elsewhere = sum(by_source.values())
            af.elsewhere_source = by_source.most_common(1)[0][0] if by_source else None
            af.elsewhere_completions = int(sources.get("completed", 0))
        rating = self.artist_ratings.get(artist, 0)
        if rating > 0:
            af.positive += s.love_weight
        elif rating < 0:
            af.negative += s.ban_weight
        net = af.positive - s.skip_penalty * af.negative
        if rating < 0:
            af.preference = 0.0
            af.confidence = 1.0 + s.skip_alpha * math.log1p(af.negative)
        elif net > 0:
            af.preference = 1.0
            af.confidence = float(self.bundle.confidence(np.array([net + s.library_weight]))[0])
        elif af.negative > 0:
            af.preference = 0.0
            af.confidence = 1.0 + s.skip_alpha * math.log1p(af.negative)
        else:
            af.preference = 1.0 if s.library_weight > 0 else 0.0
            af.confidence = float(self.bundle.confidence(np.array([s.library_weight]))[0])

    # --- solving -----------------------------------------------------------------------------------
    def _strongest(self) -> dict[int, ArtistFeedback]:
        # Several local spellings ("AC/DC", "ACDC") can match one bundle item: it enters the solve
        # once, with its strongest evidence, rather than counted once per spelling.
        strongest: dict[int, ArtistFeedback] = {}
        for af in self.artist_feedback.values():
            if af.item is not None and af.confidence > 1.0:
                best = strongest.get(af.item)
                if best is None or af.confidence > best.confidence:
                    strongest[af.item] = af
        return strongest

    def _evidence(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray]:
        items, conf, pref, extra_names, extra = [], [], [], [], []
        strongest = self._strongest()
        for item, af in strongest.items():
            items.append(item)
            conf.append(af.confidence)
            pref.append(af.preference)
        for af in self.artist_feedback.values():
            if af.item is None and af.artist in self.audio_factors and af.confidence > 1.0:
                extra_names.append(af.artist)
                extra.append(self.audio_factors[af.artist])
                conf.append(af.confidence)
                pref.append(af.preference)
        k = self.bundle.k
        return (
            np.asarray(items, dtype=np.int64),
            np.asarray(conf, dtype=np.float64),
            np.asarray(pref, dtype=np.float64),
            extra_names,
            np.asarray(extra, dtype=np.float64).reshape(-1, k),
        )

    def solve(self) -> np.ndarray:
        """Recompute the user vector from the current feedback (closed form)."""
        t = time.perf_counter()
        items, conf, pref, _names, extra = self._evidence()
        self.user_vector = self.bundle.foldin.solve(items, conf, pref, extra_factors=extra)
        self.solve_seconds = time.perf_counter() - t
        return self.user_vector

    def evidence_artists(self) -> list[ArtistFeedback]:
        """The artists behind the fold-in, in the order of its evidence rows (bundle, then audio)."""
        out = list(self._strongest().values())
        out += [
            af
            for af in self.artist_feedback.values()
            if af.item is None and af.artist in self.audio_factors and af.confidence > 1.0
        ]
        return out

    def contributions(self, vectors: np.ndarray) -> tuple[list[ArtistFeedback], np.ndarray]:
        """Each evidence artist's additive share of ``user_vector · v`` for rows ``v`` of ``vectors``.

        The fold-in is linear in its evidence: ``u = A⁻¹ Σ_j c_j p_j y_j`` with ``A`` the solve's
        matrix, so ``u · v = Σ_j c_j p_j (A⁻¹ y_j) · v`` exactly. Returns (artists, [m, n_evidence]).
        """
        items, conf, pref, _names, extra = self._evidence()
        artists = self.evidence_artists()
        y = np.asarray(self.bundle.item_factors[items], dtype=np.float64)  # not all items cast per call
        if len(extra):
            y = np.vstack([y, extra])
        v = np.atleast_2d(np.asarray(vectors, dtype=np.float64))
        if len(y) == 0:
            return artists, np.zeros((len(v), 0))
        a = self.bundle.foldin.gram + (y.T * (conf - 1.0)) @ y
        g = np.linalg.solve(a, y.T)  # [k, n_evidence] = A⁻¹ y_j (A is symmetric)
        return artists, (v @ g) * (conf * pref)

    def observe(self, event: PlayEvent) -> np.ndarray:
        """Add one finished play and re-solve: what the player calls after each track."""
        self.now = max(self.now, event.started_at)
        artist = self._add(event)
        if artist is not None:
            self._refresh_artist(artist)
        return self.solve()

    # --- scoring -----------------------------------------------------------------------------------
    def liked_items(self) -> tuple[np.ndarray, np.ndarray]:
        """Bundle items with positive feedback and their net weights (for the neighbourhood model)."""
        weights: dict[int, float] = {}  # per item: spellings of one artist add up
        for af in self.artist_feedback.values():
            if af.item is not None and af.preference > 0:
                net = max(af.positive - self.settings.skip_penalty * af.negative, 0.0)
                weights[af.item] = weights.get(af.item, self.settings.library_weight) + net
        return np.fromiter(weights, dtype=np.int64, count=len(weights)), np.asarray(
            list(weights.values()), dtype=np.float64
        )

    def item_scores(self) -> np.ndarray:
        """The shipped model's score of every bundle item for this user (z-scored blend)."""
        from recommender.factors.foldin import single_blas_thread

        items, weights = self.liked_items()
        with single_blas_thread():
            scores = self.bundle.model.score(items, weights, user=self.user_vector)
        # Tiny popularity prior: breaks ties (and orders everything for a user with no evidence).
        pop = np.log1p(self.bundle.popularity.astype(np.float64))
        return scores + 1e-3 * pop / max(pop.max(), 1.0)


def user_vector(store: Store, bundle: Bundle | None = None) -> np.ndarray | None:
    """The fold-in user vector [k] from the plays, or ``None`` when nothing has been played yet."""
    taste = Taste.from_store(store, bundle)
    if not any(fb.completions or fb.skips or fb.stops for fb in taste.track_feedback.values()):
        return None
    return taste.user_vector
