"""Radio policies under one set of lean-back rules: Encore's station and the baselines.

Every policy sees the same things: the seed track, the history (log with counts plus earlier sessions'
completions and skips: ``models.History``), the listener's library and the outcomes within the session.
Every baseline obeys the station's rules (``RadioSettings``): no track twice in a session, none heard
within the repeat window, no artist again within the artist spacing (scaled down for small libraries
as the station scales it). Among an artist's tracks a baseline plays the one heard longest ago (never
heard first). Baselines that can adapt re-rank after every outcome: a skipped artist is dropped for
the session, and artists co-listened with a skipped (completed) one move down (up) by
``ADAPT_WEIGHT`` × their item-kNN cosine.

Baselines (``BASELINES``): ``library_shuffle``; ``seed_knn`` (item-kNN continuation of the seed
artist); ``user_knn`` (item-kNN over the log); ``wmf`` (plain WMF fold-in ranking; re-folded with the
session's outcomes); ``ease``; ``seed_taste`` (z(seed item-kNN) + z(WMF fold-in)); ``log_replay`` (the
user's most-played log artists nearest the seed). ``oracle`` (knows the liked set and the satiety) and
``disliked`` (plays only artists the listener does not like) check the world model itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from recommender.radio.station import PlayEvent, RadioSettings, Station
from recommender.ranking import zscore
from recommender.simulation.models import History, LibraryModels
from recommender.simulation.world import Listener, Satiety

ADAPT_WEIGHT = 3.0
"""Shift (in s.d. of the base score) per unit of item-kNN cosine to an artist completed (+) or skipped
(-) in the session: a neighbour at cosine 0.3 of a skipped artist drops by about one s.d."""


@dataclass
class SessionInput:
    """What a policy is given at the start of a session (the same for every policy)."""

    listener: Listener
    models: LibraryModels
    history: History
    seed_row: int
    now: float
    rng: np.random.Generator
    radio: RadioSettings
    satiety: Satiety | None = None  # the listener's true state: only the oracle may look at it


class Rules:
    """The station's lean-back rules applied to any policy's choices over library rows."""

    def __init__(self, inp: SessionInput) -> None:
        lib = inp.listener.library
        s = inp.radio
        self.artist = lib.artist
        self.n_artists = int(lib.artist.max()) + 1
        self.played = np.zeros(len(lib), dtype=bool)
        last = lib.last_played
        self.recent = np.isfinite(last) & (last > inp.now - s.repeat_window_hours * 3600.0)
        self.heard_at = np.where(np.isfinite(last), last, -np.inf)
        self.spacing = s.effective_spacing(len(np.unique(lib.artist[~self.recent])), s.artist_spacing)
        self.sequence: list[int] = []
        self.play(inp.seed_row)

    def play(self, row: int) -> None:
        self.played[row] = True
        self.sequence.append(int(row))

    def allowed(self, spacing: int | None = None) -> np.ndarray:
        spacing = self.spacing if spacing is None else spacing
        ok = ~self.played & ~self.recent
        if not ok.any():
            ok = ~self.played
        if spacing > 0 and self.sequence:
            blocked = np.zeros(self.n_artists, dtype=bool)
            blocked[self.artist[self.sequence[-spacing:]]] = True
            ok &= ~blocked[self.artist]
        return ok

    def choose(self, row_scores: np.ndarray) -> int:
        """Best allowed row; within its artist the track heard longest ago. Spacing halves when none."""
        spacing = self.spacing
        while True:
            ok = self.allowed(spacing)
            if ok.any() or spacing == 0:
                break
            spacing //= 2
        if not ok.any():
            self.played[:] = False  # a tiny library: start over
            ok = self.allowed(0)
        best = int(np.argmax(np.where(ok, row_scores, -np.inf)))
        same = np.flatnonzero(ok & (self.artist == self.artist[best]))
        row = int(same[np.argmin(self.heard_at[same])])
        self.play(row)
        return row


class Policy:
    name = ""
    adaptive = False

    def start(self, inp: SessionInput) -> None:
        raise NotImplementedError

    def next(self) -> int:
        raise NotImplementedError

    def observe(self, row: int, completed: bool) -> None:
        """In-session feedback."""


class Scored(Policy):
    """A baseline that ranks library artists (``base``) and plays them under the rules."""

    def base(self, inp: SessionInput) -> np.ndarray:
        raise NotImplementedError

    def start(self, inp: SessionInput) -> None:
        self.inp = inp
        self.rules = Rules(inp)
        lst = inp.listener
        self.pos_of_row = np.searchsorted(lst.library_items, lst.item_of_row)
        self.score = zscore(self.base(inp))
        self.adjust = np.zeros(len(lst.library_items))

    def row_scores(self) -> np.ndarray:
        return (self.score + self.adjust)[self.pos_of_row]

    def next(self) -> int:
        return self.rules.choose(self.row_scores())

    def observe(self, row: int, completed: bool) -> None:
        if not self.adaptive:
            return
        p = int(self.pos_of_row[row])
        knn = self.inp.models.knn[p]
        if completed:
            self.adjust += ADAPT_WEIGHT * knn
        else:
            self.adjust -= ADAPT_WEIGHT * knn
            self.adjust[p] -= 1e3


class LibraryShuffle(Scored):
    name = "library_shuffle"

    def base(self, inp):
        return inp.rng.random(len(inp.listener.library_items))

    def row_scores(self):
        return self.inp.rng.random(len(self.pos_of_row))


class SeedKNN(Scored):
    name = "seed_knn"
    adaptive = True

    def base(self, inp):
        return inp.models.seed_knn(int(inp.listener.item_of_row[inp.seed_row]))


class UserKNN(Scored):
    name = "user_knn"
    adaptive = True

    def base(self, inp):
        return inp.models.user_knn(inp.history)


class WMF(Scored):
    """Plain WMF fold-in ranking; after each outcome the taste is folded in again with the session's
    completions as plays and skips as negatives (the closed form costs a millisecond)."""

    name = "wmf"
    adaptive = True

    def base(self, inp):
        self.completed: list[int] = []
        self.skipped: list[int] = []
        return inp.models.wmf(inp.history)

    def observe(self, row, completed):
        item = int(self.inp.listener.item_of_row[row])
        (self.completed if completed else self.skipped).append(item)
        h = self.inp.history.with_session(self.completed, self.skipped)
        self.score = zscore(self.inp.models.wmf(h))
        for i in self.skipped:
            self.score[self.inp.models.pos(i)] -= 1e3


class EASE(Scored):
    name = "ease"
    adaptive = True

    def base(self, inp):
        return inp.models.ease(inp.history)


class SeedTaste(Scored):
    name = "seed_taste"
    adaptive = True

    def base(self, inp):
        seed = int(inp.listener.item_of_row[inp.seed_row])
        return zscore(inp.models.seed_knn(seed)) + zscore(inp.models.wmf(inp.history))


class LogReplay(Scored):
    """The user's most-played log artists nearest the seed: z(log play count) + z(item-kNN to the
    seed) over log artists; other artists only when the log's are used up (by their kNN to the seed)."""

    name = "log_replay"
    adaptive = True

    def base(self, inp):
        m = inp.models
        seed = int(inp.listener.item_of_row[inp.seed_row])
        near = zscore(m.seed_knn(seed))
        count = np.zeros(len(m.items))
        pos = np.searchsorted(m.items, inp.history.items)
        count[pos] = np.log1p(inp.history.counts)
        in_log = np.zeros(len(m.items), dtype=bool)
        in_log[pos] = True
        score = np.where(in_log, zscore(np.where(in_log, count, 0.0)) + near, near - 100.0)
        return score


class Oracle(Scored):
    """Knows what the listener likes and how sated they are: the floor any policy can reach."""

    name = "oracle"

    def base(self, inp):
        return np.zeros(len(inp.listener.library_items))

    def row_scores(self):
        lst = self.inp.listener
        sat = self.inp.satiety
        p = np.array(
            [
                sat.completion_probability(int(i) in lst.liked, int(i), int(t))
                for i, t in zip(lst.item_of_row, lst.library.track_ids, strict=True)
            ]
        )
        return p


class Disliked(Scored):
    name = "disliked"

    def base(self, inp):
        lst = inp.listener
        return -np.array([int(i) in lst.liked for i in lst.library_items], dtype=np.float64)


def app_state(listener: Listener, models: LibraryModels, history: History) -> tuple[np.ndarray, np.ndarray]:
    """What the app hands the station for this history: the library's per-artist finished plays and
    skips (``artist_completions``, ``artist_skips``) are set; returns (fold-in taste, the shipped
    model's score per library row)."""
    lst, lib, m = listener, listener.library, models
    taste = m.taste_vector(history)
    scores = m.bundle.model.score(history.items, history.counts, user=taste)
    per_row = np.searchsorted(lst.library_items, lst.item_of_row)
    counts = np.zeros(len(lst.library_items))
    counts[np.searchsorted(lst.library_items, history.items)] = history.counts
    skips = np.zeros(len(lst.library_items))
    for item, k in history.skips.items():
        skips[m.pos(item)] = k
    n_codes = int(lib.artist.max()) + 1
    lib.artist_completions = np.zeros(n_codes)
    lib.artist_completions[lib.artist] = counts[per_row]
    lib.artist_skips = np.zeros(n_codes)
    lib.artist_skips[lib.artist] = skips[per_row]
    return taste, scores[lst.item_of_row]


class Encore(Policy):
    """Encore's radio (``radio.Station``, default ``RadioSettings``) with the shipped model's taste."""

    name = "encore"
    adaptive = True

    dial = 0  # the familiar <-> new dial (``RadioSettings.dial``); 0: the app's default

    def start(self, inp: SessionInput) -> None:
        lib = inp.listener.library
        self.lib = lib
        taste, scores = app_state(inp.listener, inp.models, inp.history)
        radio = replace(inp.radio, dial=self.dial) if self.dial else inp.radio
        self.station = Station(
            lib,
            int(lib.track_ids[inp.seed_row]),
            radio,
            rng=inp.rng,
            now=inp.now,
            taste=taste.astype(np.float32),
            taste_scores=scores,
        )

    def next(self) -> int:
        return self.lib.row(self.station.next())

    def observe(self, row: int, completed: bool) -> None:
        outcome = "completed" if completed else "skipped"
        self.station.observe(PlayEvent(int(self.lib.track_ids[row]), outcome))


def _dialled(step: int) -> type[Encore]:
    """Encore at one step of the familiar <-> new dial, named ``encore@+1`` etc."""
    return type(f"EncoreDial{step + 2}", (Encore,), {"name": f"encore@{step:+d}", "dial": step})


#: Encore at each step of the dial, familiar (-2) to new (+2): ``evaluate-radio --dial``.
DIAL_POLICIES = tuple(f"encore@{step:+d}" for step in (-2, -1, 0, 1, 2))
_DIAL_CLASSES = tuple(_dialled(step) for step in (-2, -1, 0, 1, 2))

BASELINES = ("library_shuffle", "seed_knn", "user_knn", "wmf", "ease", "seed_taste", "log_replay")
POLICIES = ("encore", *BASELINES)
CHECKS = ("oracle", "disliked")
POLICY_CLASSES: dict[str, type[Policy]] = {
    c.name: c
    for c in (
        Encore,
        LibraryShuffle,
        SeedKNN,
        UserKNN,
        WMF,
        EASE,
        SeedTaste,
        LogReplay,
        Oracle,
        Disliked,
        *_DIAL_CLASSES,
    )
}
STATIC = ("user_knn", "wmf", "ease")
"""The static recommendation lists (taste only, no seed): the bar for liked-but-unplayed found."""
