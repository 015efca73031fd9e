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

API: ``Taste.from_store(store, bundle=None, settings=None, now=None)`` with
``user_vector``, ``artist_feedback`` (local artist -> ``ArtistFeedback``), ``track_feedback`` (track id ->
``TrackFeedback``), ``match`` (``LibraryMatch``), ``observe(event)``, ``item_scores()`` (what to hear next from them:
``recommender.taste.recommend.recommend(taste, n)``);
``user_vector(store, bundle=None)`` (the vector alone, None without plays). The records it fills, and
``TasteSettings``, are in ``recommender.taste.feedback``; imported listens in ``recommender.taste.elsewhere``.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from recommender.taste.elsewhere import add_listens
from recommender.taste.feedback import ArtistFeedback, TasteSettings, TrackFeedback

if TYPE_CHECKING:
    from player.store.core import Store
    from player.store.feedback import PlayEvent
    from recommender.factors.bundle import Bundle
    from recommender.factors.match import LibraryMatch


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
        from recommender.factors.bundle_file import load_bundle
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
        add_listens(taste, store)
        taste._add_ratings(store)
        taste._refresh_all()
        taste.solve()
        return taste

    def _refresh_all(self) -> None:
        """``_refresh_artist`` for every artist, without walking the tracks of those with no evidence at all
        (no play, no listen from elsewhere, no rating): they all get the same no-evidence values, computed
        once. At a million tracks by 20,000 artists the walk cost 1.2 s of a radio start."""
        touched = {fb.artist for fb in self.track_feedback.values()}
        touched.update(self.elsewhere, self.elsewhere_sources, self.artist_ratings)
        plain: tuple[float, float] | None = None
        for artist, af in self.artist_feedback.items():
            if artist in touched or plain is None:
                self._refresh_artist(artist)
                if artist not in touched:
                    plain = (af.preference, af.confidence)
            else:
                af.preference, af.confidence = plain

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
