"""Lean-back radio from a seed song: an endless station, planned a few tracks ahead.

Why it is shaped this way: the station must choose the next track in a few milliseconds for a 100k-track
library, learn from every skip and completion within the session, and obey the rules listeners expect
(no repeats, no same-artist streaks, smooth transitions). So the maths runs on plain arrays
(``RadioLibrary``: one row per track) and ``Station`` takes plain values in and gives track ids out; it
knows nothing of the player, the queue or SQL. ``recommender.radio.library.load_library(store, ...)``
builds the arrays from the database and the other recommender parts (audio analysis, factor bundle,
fold-in taste).

How a track is scored (all similarity terms are z-scored over the library, so the weights below mean
"standard deviations", whatever the embedding):

- **fit** (the station's character): similarity to a *query* in audio-embedding space and in factor space
  (the artist's pretrained factors, or factors predicted from audio for artists the bundle does not know).
  The query starts at the seed and moves with the session: a completion pulls it toward that track
  (``complete_rate``), a skip pushes it away (``skip_rate``); the tracks finished so far also form a
  session centroid whose weight grows with each completion.
- The ``pool_size`` best-fitting tracks are the candidates (``recommender.radio.pool``); among them the
  **user's taste** (fold-in vector · artist factors, the WMF preference estimate) decides, with
  ``taste_weight``: the seed sets the character, taste picks among tracks that fit it.
- **Chance of a finished track** (``recommender.radio.enjoy``, ``enjoy_weight``): liking (artists the
  user finished tracks of; the taste's calibrated guess for the others) times freshness (the artist's
  plays this session and in the last days, the track heard before). This is the term that keeps skips
  low: the station rotates through what the user likes instead of replaying yesterday's favourites,
  tries unplayed artists only where the taste is confident, and replays a recent find.
- In-session feedback: tracks close in audio to a skipped one lose ``skip_region_penalty`` × similarity,
  a skipped artist loses ``artist_skip_penalty`` per skip, a finished artist gains
  ``artist_complete_bonus``.
- Transitions: a tempo change (octave-aware: half/double time is smooth) and a loudness jump against
  the previous track cost ``tempo_penalty`` / ``loudness_penalty``.
- Exploration: a little Gumbel noise on every choice, and with probability ``exploration_rate`` a pick
  from the top ``exploration_top_k`` instead of the best, so the station does not collapse onto the same
  20 songs.

Hard rules: no track twice in a session; none played in the last ``repeat_window_hours`` unless the
library is tiny; no artist again within ``artist_spacing`` tracks and no album within ``album_spacing``
(both scaled down for libraries with few artists/albums; compilations and soundtracks with many artists
are left to artist spacing); very short tracks (jingles, sound effects) only when nothing else is left.
When no pool track satisfies the spacing, the best-fitting allowed track of the whole library is taken;
only when there is none anywhere is the spacing halved, step by step. A tiny library starts over once
every track has been played.

Large libraries: audio embeddings are centred and projected on 64 principal axes, similarity z-scores
come from precomputed means and covariances, and each play event costs one pass over the library (two
matrix-vector products and a partial sort): a few ms for 100k tracks (``benchmarks/radio.py``).

API: ``RadioSettings``, ``PlayEvent``, ``PlanItem``, ``Station`` (``next``, ``next_item``, ``observe``,
``playing``, ``plan``); the arrays (``RadioLibrary``, ``load_library``) live in ``recommender.radio.library``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from recommender.radio.enjoy import Enjoyment
from recommender.radio.fit import QueryFit
from recommender.radio.library import RadioLibrary
from recommender.radio.planning import PlanItem, Planner
from recommender.radio.pool import CandidatePool
from recommender.radio.scoring import SessionSignals
from recommender.radio.settings import RadioSettings

__all__ = ["PlanItem", "PlayEvent", "RadioSettings", "Station"]


@dataclass
class PlayEvent:
    """What the player tells the station after a track: its id and how it ended."""

    track_id: int
    outcome: str  # completed | skipped | stopped | error | started
    at: float | None = None


class Station(QueryFit, CandidatePool, Planner):
    """An endless radio station from one seed track; plain values in, track ids out.

    ``next()`` returns the next track id (and re-plans); ``observe(event)`` takes a ``PlayEvent`` (or a
    mapping with ``track_id`` and ``outcome``, e.g. a plays row) and re-plans, so a skip or a completion
    changes the planned tracks at once; ``playing(track_id)`` moves the session to a track the listener
    started (a later planned one, or one from outside the plan); ``plan`` holds the next ``lookahead``
    ``PlanItem``s with a human-readable ``why``. Iterating a station yields track ids forever.
    """

    def __init__(
        self,
        library: RadioLibrary,
        seed_track_id: int,
        settings: RadioSettings | None = None,
        *,
        seed_audio: np.ndarray | None = None,
        seed_factors: np.ndarray | None = None,
        rng: np.random.Generator | int | None = None,
        now: float | None = None,
        seed_played: bool = True,
        taste: np.ndarray | None = None,
        taste_scores: np.ndarray | None = None,
        skipped: Iterable[int] = (),
        seeds: Mapping[int, float] | None = None,
        excluded: np.ndarray | None = None,
        pull: np.ndarray | None = None,
        why_prompt: Any = None,
    ) -> None:
        """``seed_audio`` / ``seed_factors`` stand in for a seed the library has no vectors for (for
        example a freshly analysed file); ``seed_played`` counts the seed as the session's first track;
        ``skipped``: track ids the listener already skipped in this listening session (a station made
        again after an Undo or a restart), which rest as ``observe``'s skips do, as do the library's
        ``recent_skips`` (``RadioSettings.session_hours``);
        ``taste`` overrides the library's fold-in user vector; ``taste_scores`` ([n], NaN where unknown)
        replaces taste · factors by a model's per-track scores (e.g. the shipped WMF + RP3beta blend);
        ``seeds`` (track id -> weight): several seeds, the station starting from their weighted centroid
        (``seed_track_id`` is then the one its reasons name); ``excluded`` (bool [n]): rows never planned
        (a prompt's exclusions and filters, ``recommender.prompt``); ``pull`` (float [n], in standard
        deviations): added to every row's fit for good (a prompt's sound and tag terms); ``why_prompt(row)``:
        the prompt's words for why a row fits it (``ResolvedPrompt.why``), for the reasons."""
        self.lib = library
        self.settings = (settings or RadioSettings()).dialled()
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.now = time.time() if now is None else float(now)
        self.seed_row = library.row(seed_track_id)
        self.seed_track_id = int(seed_track_id)
        n = len(library)
        s = self.settings

        # Query vectors (the moving "character" of the station).
        if seed_audio is not None:
            seed_audio = library.prepare_audio(seed_audio)
        self.seed_audio = self._seed_vector(library.audio, library.has_audio, seed_audio)
        self.seed_factors = self._seed_vector(library.factors, library.has_factors, seed_factors)
        self.seed_rows = None
        self.why_prompt = why_prompt
        if seeds:
            self._seed_centroids(dict(seeds))
        self._pull_audio = None if self.seed_audio is None else np.zeros_like(self.seed_audio)
        self._pull_factors = None if self.seed_factors is None else np.zeros_like(self.seed_factors)
        self._done_audio = None if self.seed_audio is None else np.zeros_like(self.seed_audio)
        self._done_factors = None if self.seed_factors is None else np.zeros_like(self.seed_factors)
        self.completions = 0

        # Session state.
        self.played = np.zeros(n, dtype=bool)
        self.passed = np.zeros(n, dtype=bool)  # planned, but the listener jumped past them (``playing``)
        self.history: list[int] = []  # rows, in play order
        self.outcomes: dict[int, str] = {}
        self.artist_feedback = np.zeros(int(library.artist.max()) + 1 if n else 1, dtype=np.float64)
        self.skipped_rows: list[int] = []
        self.skip_weights: list[float] = []
        # Resting (``RadioSettings.rest_artist_after_skips``): skipped tracks, and artists skipped twice.
        self.skipped = np.zeros(n, dtype=bool)
        self.excluded = (
            np.zeros(n, dtype=bool) if excluded is None else np.asarray(excluded, dtype=bool).copy()
        )
        self.session_artist_skips = np.zeros_like(self.artist_feedback, dtype=np.int64)
        self._rested_key: bytes | None = None  # which artists ``_rested_rows`` marks the rows of
        self._rested_rows = np.zeros(n, dtype=bool)
        session_start = self.now - s.session_hours * 3600.0
        recent = [t for t, at in library.recent_skips if session_start <= at <= self.now]
        for track_id in (*recent, *skipped):
            try:
                self._rest(library.row(int(track_id)))
            except KeyError:
                continue

        # Static masks and terms.
        dur = library.duration
        self.short = np.isfinite(dur) & (dur < s.min_duration_s)
        self.short[self.seed_row] = False
        recent = np.isfinite(library.last_played) & (
            library.last_played > self.now - s.repeat_window_hours * 3600.0
        )
        self.recent = recent
        playable = ~self.short
        self.tiny = int(playable.sum()) < s.tiny_library_tracks
        self.meta = self._metadata_term()
        if pull is not None:
            self.meta = self.meta + np.nan_to_num(np.asarray(pull, dtype=np.float64))
        self._fit_weights()
        self.taste_raw = None
        taste = library.taste if taste is None else taste
        if taste_scores is None and taste is library.taste:
            taste_scores = library.taste_scores  # the app's loader scored the rows with the shipped model
        if taste_scores is not None:
            self.taste_raw = np.asarray(taste_scores, dtype=np.float64)
        elif taste is not None and library.raw_factors is not None:
            t = library.raw_factors @ np.asarray(taste, dtype=np.float32)
            self.taste_raw = np.where(library.has_factors, t, np.nan)
        # The taste's candidate list ranks rows with no taste score last (``SessionSignals.top_rows``).
        self._taste_ranked = (
            None if self.taste_raw is None else np.where(np.isfinite(self.taste_raw), self.taste_raw, -np.inf)
        )
        self._taste_texts: dict[tuple[bytes, str], str] = {}  # ``Planner._taste_text``'s, per station

        self.taste_weight = s.taste_weight
        if library.taste_evidence is not None and (
            taste_scores is None or taste_scores is library.taste_scores
        ):
            self.taste_weight *= min(1.0, library.taste_evidence / max(1, s.taste_full_after))

        # Spacing scaled to the artists (albums) the station can draw from, fixed for the session.
        playable_rows = (~self.short if self.tiny else ~self.short & ~recent) & ~self.excluded
        # How many artists (albums) there are among them: counted, not sorted (0.35 s each at 1M rows).
        artists = np.count_nonzero(np.bincount(library.artist[playable_rows])) if playable_rows.any() else 0
        albums = np.count_nonzero(np.bincount(library.album[playable_rows])) if playable_rows.any() else 0
        self._artist_spacing = s.effective_spacing(int(artists), s.artist_spacing)
        self._album_spacing = s.effective_spacing(int(albums), s.album_spacing)
        self.signals = SessionSignals(library, s, self.seed_row, self.now)
        self.enjoy = Enjoyment(library, s, self.now, self.taste_raw) if s.enjoy_weight > 0 else None
        self.plan: list[PlanItem] = []
        self._pool: np.ndarray | None = None
        if seed_played:
            self._mark_played(self.seed_row)
        self._refresh_pool()
        self._replan()

    # ---------------------------------------------------------------------------------------- public

    def exclude(self, track_ids: Iterable[int]) -> bool:
        """Never plan these tracks from now on (their files went missing); the candidates and the plan are
        worked out again without them. False when none was left to exclude (nothing changed)."""
        ids = np.fromiter((int(t) for t in track_ids), dtype=np.int64)
        rows, found = self.lib.rows_of(ids)
        rows = rows[found]
        rows = rows[~self.excluded[rows]]
        if not len(rows):
            return False
        self.excluded[rows] = True
        self._refresh_pool()
        self._replan()
        return True

    def next(self) -> int:
        """The next track id; it counts as played from now on (its outcome comes through ``observe``)."""
        return self.next_item().track_id

    def next_item(self) -> PlanItem:
        """The next planned track with its score and reason; the plan is extended by one track (no new
        evidence, so the rest of the plan stands; ``observe`` re-plans it all)."""
        if not self.plan:
            self._replan()
        item = self.plan.pop(0)
        self._mark_played(item.index)
        self._replan(keep=self.plan)
        return item

    def __iter__(self) -> Iterator[int]:
        while True:
            yield self.next()

    def playing(self, track_id: int) -> PlanItem | None:
        """The listener started this track (planned or not): it becomes the session's current position.

        It is marked played and joins the history, and the plan is redone after it, so spacing and
        transitions count from this track. Planned tracks before it were passed over (the listener jumped
        ahead): they leave the plan and are not planned again while other tracks are left, but they are
        neither played (no history, no spacing) nor disliked (no skip penalty: passing over a track in a
        list says little about its sound). Returns the plan item of the track if it was planned. Its
        outcome still comes through ``observe``. A track not in the library is ignored.
        """
        try:
            row = self.lib.row(track_id)
        except KeyError:
            return None
        at = next((i for i, p in enumerate(self.plan) if p.index == row), None)
        item = None if at is None else self.plan[at]
        passed = [p.index for p in self.plan[: at or 0]]
        if passed:
            self.passed[passed] = True
        if not self.history or self.history[-1] != row:
            self._mark_played(row)
        if at == 0:
            self._replan(keep=self.plan[1:])  # the planned next track: the rest of the plan stands
        else:
            self._replan()
        return item

    def observe(self, event: PlayEvent | Mapping[str, Any]) -> None:
        """Learn from a play: completions pull the station toward it, skips push away (both re-plan).

        Any other outcome (``started``, ``stopped``, ``error``) only marks the track as played. A track
        played outside ``next()`` (the listener picked a later planned track) joins the history.
        """
        if isinstance(event, Mapping):
            track_id, outcome = int(event["track_id"]), str(event.get("outcome") or "")
        else:
            track_id, outcome = int(event.track_id), str(event.outcome or "")
        try:
            row = self.lib.row(track_id)
        except KeyError:
            return
        if not self.played[row]:
            self._mark_played(row)
        self.outcomes[row] = outcome
        if outcome == "completed":
            self._learn(row, +1)
        elif outcome == "skipped":
            self._rest(row)
            self._learn(row, -1)
        else:
            # started / stopped / error: no evidence about taste; the track counts as played, so the
            # plan drops it (e.g. the listener jumped ahead to a later planned track).
            self._replan(keep=[p for p in self.plan if not self.played[p.index]])
            return
        self._refresh_pool()
        self._replan()

    # ------------------------------------------------------------------------------------- learning

    def _learn(self, row: int, sign: int) -> None:
        s = self.settings
        lib = self.lib
        self.signals.learn(row, sign)
        if self.enjoy is not None:
            self.enjoy.learn(row, sign)
        decay = s.feedback_decay
        for name, matrix, mask in (
            ("audio", lib.audio, lib.has_audio),
            ("factors", lib.factors, lib.has_factors),
        ):
            pull = getattr(self, f"_pull_{name}")
            if pull is None or matrix is None or not mask[row]:
                continue
            pull *= decay
            pull += (s.complete_rate if sign > 0 else -s.skip_rate) * matrix[row]
            if sign > 0:
                getattr(self, f"_done_{name}")[:] += matrix[row]
        if sign > 0:
            self.completions += 1
            self.artist_feedback[lib.artist[row]] += s.artist_complete_bonus
        else:
            self.artist_feedback[lib.artist[row]] -= s.artist_skip_penalty
            self.skip_weights = [w * decay for w in self.skip_weights]
            self.skipped_rows.append(row)
            self.skip_weights.append(1.0)
            if len(self.skipped_rows) > 12:  # the oldest have faded anyway
                self.skipped_rows.pop(0)
                self.skip_weights.pop(0)

    def _mark_played(self, row: int) -> None:
        self.played[row] = True
        self.signals.played(row)
        if self.enjoy is not None:
            self.enjoy.played(row)
        self.history.append(int(row))
