"""Simulated listeners: measure radio policies against people with a hidden taste taken from real data.

A world model in the spirit of Spotify's simulated-listener work for playlist RL: the listener is a real
Last.fm user (a file in the ``user_artists.dat`` format), the station plays, the listener completes or
skips, the station may learn from it. Nothing needs audio, so it runs anywhere in seconds.

The protocol (``simulate``):

- **Library**: every artist of the factor bundle, ``tracks_per_artist`` metadata-only tracks each (in
  albums of ``tracks_per_album``); tracks carry their artist's factor vector and no audio.
- **Users**: for each user of the history file, a seeded shuffle of their artists (those the bundle
  knows) gives 80% with play counts to the app as its listening log (the fold-in taste); the other 20%
  are hidden. The listener's full taste is both parts.
- **Sessions**: ``sessions`` in all, round-robin over the (shuffled) users; each is seeded with a track
  of an artist from the user's log (drawn by play count) and lasts ``length`` tracks after the seed.
  A simulated clock advances ``minutes_per_track`` per track and ``hours_between_sessions`` between a
  user's sessions, so the repeat window behaves as in real life.
- **Listener**: completes a track whose artist is in the full taste and skips the others; with
  probability ``noise`` (default 0.05) the outcome flips either way (a liked song skipped because of
  mood, a new artist given a chance).
- **Metrics** per policy: ``skip_rate`` (skips / tracks), ``discovery_rate`` (share of tracks by
  hidden-but-liked artists: liked artists the app had never seen), ``distinct_artists`` (mean per
  session) and ``longest_artist_streak`` (the longest run of one artist in any session).

Policies: ``encore`` (``radio.Station`` with default ``RadioSettings``; its taste term is the shipped
model's score for the user's log, WMF fold-in blended with RP3beta, as in ``encore recommend``; it learns
within the session and folds the session's completions and skips into the fold-in across sessions); ``shuffle``; ``tag_overlap`` (random
tracks whose artist shares one of the seed artist's top Last.fm tags: what Jellyfin's instant mix does
with genres); ``popularity`` (most-listened artists first); ``nearest_neighbours`` (tracks by factor
cosine to the seed artist, nearest first, no feedback, no taste).

API: ``SimulationSettings``, ``SimWorld.from_bundle(bundle, tags)``, ``load_users(path, bundle)``,
``simulate(world, users, settings) -> dict`` (the JSON ``evaluate-radio`` prints).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recommender.radio import PlayEvent, RadioSettings, Station
from recommender.radio_library import RadioLibrary

POLICIES = ("encore", "shuffle", "tag_overlap", "popularity", "nearest_neighbours")


@dataclass
class SimulationSettings:
    """The simulation's knobs, with the defaults ``evaluate-radio`` uses."""

    sessions: int = 200
    length: int = 30
    tracks_per_artist: int = 4
    tracks_per_album: int = 2
    given_fraction: float = 0.8
    noise: float = 0.05
    """Probability that the listener's outcome flips (liked -> skipped, unknown -> completed)."""
    minutes_per_track: float = 4.0
    hours_between_sessions: float = 20.0
    genre_tags: int = 3
    """How many of an artist's most-applied Last.fm tags count as its genres (tag_overlap)."""
    skip_confidence: float = 2.0
    """Confidence of a skip as negative evidence when a session's plays are folded into the taste."""
    seed: int = 0
    model_scores: bool = True
    """Encore's taste term: the shipped model's scores (WMF + RP3beta); False: the fold-in vector alone."""
    radio: RadioSettings = field(default_factory=RadioSettings)


@dataclass
class SimUser:
    user_id: str
    given_items: np.ndarray  # bundle item indices in the app's listening log
    given_counts: np.ndarray
    hidden_items: np.ndarray  # liked, never shown to the app

    @property
    def taste_items(self) -> set[int]:
        return set(self.given_items.tolist()) | set(self.hidden_items.tolist())


@dataclass
class SimWorld:
    """The simulated library (``RadioLibrary`` over bundle artists) plus what the baselines need."""

    library: RadioLibrary
    item_of_row: np.ndarray  # bundle item of each track row
    rows_of_item: list[np.ndarray]
    bundle: Any
    genres: list[frozenset[str]]  # per bundle item: its top tags

    @classmethod
    def from_bundle(
        cls,
        bundle: Any,
        artist_tags: dict[str, dict[str, int]] | None = None,
        settings: SimulationSettings | None = None,
    ) -> SimWorld:
        """The library: every bundle artist that has training listeners, ``tracks_per_artist`` each."""
        settings = settings or SimulationSettings()
        per = settings.tracks_per_artist
        items = np.flatnonzero(np.asarray(bundle.popularity) > 0)
        item_of_row = np.repeat(items, per)
        n = len(item_of_row)
        names = [str(x) for x in bundle.names]
        track_no = np.tile(np.arange(per), len(items))
        library = RadioLibrary.build(
            track_ids=np.arange(1, n + 1),
            artists=[names[i] for i in item_of_row],
            albums=[f"album {t // max(1, settings.tracks_per_album)}" for t in track_no],
            factors=np.asarray(bundle.item_factors, dtype=np.float32)[item_of_row],
            duration=np.full(n, 240.0),
        )
        empty = np.zeros(0, dtype=np.int64)
        rows_of_item = [empty] * bundle.n_items
        for j, i in enumerate(items):
            rows_of_item[int(i)] = np.arange(j * per, (j + 1) * per)
        genres: list[frozenset[str]] = [frozenset()] * bundle.n_items
        if artist_tags:
            for i in items:
                tags = artist_tags.get(str(bundle.item_ids[i]))
                if tags:
                    top = sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))[: settings.genre_tags]
                    genres[int(i)] = frozenset(t.strip().casefold() for t, _ in top)
        return cls(library, item_of_row, rows_of_item, bundle, genres)

    def in_library(self, item: int) -> bool:
        return len(self.rows_of_item[item]) > 0


def load_users(
    path: str | Path, world: SimWorld, given_fraction: float = 0.8, seed: int = 0, min_items: int = 5
) -> list[SimUser]:
    """Users of a ``user_artists.dat``-style file, split 80/20 per user (seeded).

    Only artists in the simulated library count (an artist nobody in the training data played has no
    factors and no tracks); users with fewer than ``min_items`` of them are left out.
    """
    from recommender.factors.data import read_user_artists

    users, artists, counts = read_user_artists(path)
    return users_from_triples(users, artists, counts, world, given_fraction, seed, min_items)


def users_from_triples(
    users: np.ndarray,
    artists: np.ndarray,
    counts: np.ndarray,
    world: SimWorld,
    given_fraction: float = 0.8,
    seed: int = 0,
    min_items: int = 5,
) -> list[SimUser]:
    """``load_users`` on parallel arrays (user id, Last.fm artist id, play count)."""
    index = {str(a): i for i, a in enumerate(world.bundle.item_ids) if world.in_library(i)}
    per_user: dict[str, dict[int, float]] = {}
    for u, a, c in zip(users.tolist(), artists.tolist(), counts.tolist(), strict=True):
        item = index.get(str(a))
        if item is None:
            continue
        d = per_user.setdefault(str(u), {})
        d[item] = d.get(item, 0.0) + float(c)
    rng = np.random.default_rng(seed)
    out: list[SimUser] = []
    for user_id in sorted(per_user, key=lambda x: (len(x), x)):
        items = np.array(sorted(per_user[user_id]), dtype=np.int64)
        if len(items) < min_items:
            continue
        c = np.array([per_user[user_id][i] for i in items], dtype=np.float64)
        order = rng.permutation(len(items))
        n_given = min(len(items) - 1, max(1, int(round(given_fraction * len(items)))))
        g, h = order[:n_given], order[n_given:]
        out.append(SimUser(user_id, items[g], c[g], np.sort(items[h])))
    return out


def holdout_bundle(
    history: str | Path,
    fraction: float = 0.2,
    split_seed: int = 1,
    config: Any = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Any, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Split the users of ``history`` and train a bundle on the others: (bundle, held-out triples).

    The split is ``recommender.evaluation.split_users`` over users in first-seen order, with the
    factors' validation seed (1), so on the shared Last.fm file the held-out users are exactly the
    validation users of ``recommender.factors.pretrain.validate`` and never enter training here.
    Training mirrors ``pretrain.validate`` (the shipped model's recipe, including Last.fm tags as
    pseudo-listeners when ``user_taggedartists.dat`` lies next to ``history``, from training users'
    tags only). Artist names come from ``artists.dat`` next to ``history``. Cached per process.
    """
    from recommender.evaluation import split_users
    from recommender.factors.data import (
        LASTFM2K_LICENCE,
        Interactions,
        interactions_from_triples,
        read_artist_names,
        read_user_artists,
    )
    from recommender.factors.pretrain import PretrainConfig, _bundle_from, _fit, _tag_rows

    config = config or PretrainConfig()
    path = Path(history).resolve()
    key = (str(path), path.stat().st_mtime_ns, fraction, split_seed, repr(config))
    if key in _HOLDOUT_CACHE:
        return _HOLDOUT_CACHE[key]
    users, artists, counts = read_user_artists(history)
    matrix, user_ids, item_ids = interactions_from_triples(users, artists, counts)
    train_rows, eval_rows = split_users(len(user_ids), fraction, split_seed)
    folder = path.parent
    names_by_id = read_artist_names(folder) if (folder / "artists.dat").exists() else {}
    names = np.array([names_by_id.get(a, a) for a in item_ids], dtype=str)
    inter = Interactions(
        matrix=matrix[train_rows].tocsr(),
        user_ids=user_ids[train_rows],
        item_ids=item_ids,
        names=names,
        artists=names,
        mbids=np.full(len(item_ids), "", dtype=str),
        level="artist",
        source="lastfm2k",
        licence=LASTFM2K_LICENCE,
        extra={"folder": str(folder)} if (folder / "user_taggedartists.dat").exists() else {},
    )
    # As the factors' own validation does: tag pseudo-listeners from the training users' tags only.
    side = _tag_rows(inter, config, users=inter.user_ids)
    bundle = _bundle_from(inter, _fit(inter, config, side, progress), config, {}, side)
    held = np.isin(users, user_ids[eval_rows])
    _HOLDOUT_CACHE[key] = bundle, (users[held], artists[held], counts[held])
    return _HOLDOUT_CACHE[key]


_HOLDOUT_CACHE: dict[tuple, tuple[Any, tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
"""Training takes seconds; one process (the tests, a notebook) reuses a held-out bundle it built."""


def pretrain_config_of(bundle: Any) -> Any:
    """The ``PretrainConfig`` a bundle was trained with (defaults for what it does not record)."""
    from dataclasses import fields

    from recommender.factors.pretrain import PretrainConfig

    hyper = getattr(bundle, "hyper", {}) or {}
    names = {f.name for f in fields(PretrainConfig)}
    return PretrainConfig(**{k: v for k, v in hyper.items() if k in names})


# --- policies -----------------------------------------------------------------------------------------


class Policy:
    """One radio session: ``start`` with a seed row, then ``next()`` rows, told each outcome."""

    name = ""

    def start(self, seed_row: int, user: SimUser, ctx: _Context) -> None:
        raise NotImplementedError

    def next(self) -> int:
        raise NotImplementedError

    def observe(self, row: int, outcome: str) -> None:
        """Feedback; the baselines ignore it."""


class _Ordered(Policy):
    """Plays a precomputed order of rows, skipping rows already played this session."""

    def _order(self, seed_row: int, user: SimUser, ctx: _Context) -> np.ndarray:
        raise NotImplementedError

    def start(self, seed_row: int, user: SimUser, ctx: _Context) -> None:
        self._rows = self._order(seed_row, user, ctx)
        self._pos = 0
        self._played = {seed_row}
        self._fallback = ctx.rng.permutation(len(ctx.world.library))
        self._fpos = 0

    def next(self) -> int:
        while self._pos < len(self._rows):
            row = int(self._rows[self._pos])
            self._pos += 1
            if row not in self._played:
                self._played.add(row)
                return row
        while True:  # ran dry: random tracks
            row = int(self._fallback[self._fpos])
            self._fpos += 1
            if row not in self._played:
                self._played.add(row)
                return row


class Shuffle(_Ordered):
    name = "shuffle"

    def _order(self, seed_row, user, ctx):
        return ctx.rng.permutation(len(ctx.world.library))


class TagOverlap(_Ordered):
    """Jellyfin's instant mix: random tracks sharing a genre (here: a top Last.fm tag) with the seed."""

    name = "tag_overlap"

    def _order(self, seed_row, user, ctx):
        world = ctx.world
        seed_genres = world.genres[world.item_of_row[seed_row]]
        if not seed_genres:
            return ctx.rng.permutation(len(world.library))
        items = [i for i, g in enumerate(world.genres) if g & seed_genres]
        rows = np.concatenate([world.rows_of_item[i] for i in items]) if items else np.zeros(0, np.int64)
        return ctx.rng.permutation(rows)


class Popularity(_Ordered):
    name = "popularity"

    def _order(self, seed_row, user, ctx):
        world = ctx.world
        by_pop = np.argsort(-np.asarray(world.bundle.popularity), kind="stable")[: 4 * ctx.settings.length]
        per = ctx.settings.tracks_per_artist
        # Round robin: each artist's first track, then each artist's second track, ...
        return np.concatenate([[world.rows_of_item[i][t] for i in by_pop] for t in range(per)])


class NearestNeighbours(_Ordered):
    name = "nearest_neighbours"

    def _order(self, seed_row, user, ctx):
        lib = ctx.world.library
        sims = lib.factors @ lib.factors[seed_row]
        top = np.argpartition(-sims, min(len(sims) - 1, 20 * ctx.settings.length))[
            : 20 * ctx.settings.length + 1
        ]
        return top[np.argsort(-sims[top], kind="stable")]


class Encore(Policy):
    """Encore's radio with the user's fold-in taste, learning from every outcome."""

    name = "encore"

    def start(self, seed_row, user, ctx):
        lib = ctx.world.library
        taste = ctx.taste_of(user)
        scores = None
        if ctx.settings.model_scores:
            scores = ctx.scores_of(user, taste)[ctx.world.item_of_row]
        self.station = Station(
            lib,
            int(lib.track_ids[seed_row]),
            ctx.settings.radio,
            rng=ctx.rng,
            now=ctx.now,
            taste=taste,
            taste_scores=scores,
        )
        self.lib = lib

    def next(self) -> int:
        return self.lib.row(self.station.next())

    def observe(self, row: int, outcome: str) -> None:
        self.station.observe(PlayEvent(int(self.lib.track_ids[row]), outcome))


POLICY_CLASSES: dict[str, Callable[[], Policy]] = {
    "encore": Encore,
    "shuffle": Shuffle,
    "tag_overlap": TagOverlap,
    "popularity": Popularity,
    "nearest_neighbours": NearestNeighbours,
}


@dataclass
class _Context:
    world: SimWorld
    settings: SimulationSettings
    rng: np.random.Generator
    now: float = 1.7e9
    feedback: dict[str, dict[int, list[int]]] = field(default_factory=dict)  # user -> item -> [done, skips]
    last_played: dict[str, dict[int, float]] = field(default_factory=dict)
    _scorer: Any = None

    def scores_of(self, user: SimUser, vector: np.ndarray) -> np.ndarray:
        """The shipped model's item scores (WMF fold-in blended with RP3beta) for the user's log."""
        if self._scorer is None:
            from recommender.factors.pretrain import ModelScorer

            self._scorer = ModelScorer(self.world.bundle)
        return self._scorer.score(user.given_items, user.given_counts, user=vector.astype(np.float64))

    def taste_of(self, user: SimUser) -> np.ndarray:
        """Fold-in of the user's log plus what the radio learnt in earlier sessions."""
        bundle = self.world.bundle
        counts = {int(i): float(c) for i, c in zip(user.given_items, user.given_counts, strict=True)}
        skips: dict[int, int] = {}
        for item, (done, skipped) in self.feedback.get(user.user_id, {}).items():
            if done:
                counts[item] = counts.get(item, 0.0) + done
            elif skipped:
                skips[item] = skipped
        items = np.array(list(counts) + list(skips), dtype=np.int64)
        conf = np.concatenate(
            [
                bundle.confidence(np.array(list(counts.values()), dtype=np.float64)),
                1.0 + self.settings.skip_confidence * np.array(list(skips.values()), dtype=np.float64),
            ]
        )
        pref = np.concatenate([np.ones(len(counts)), np.zeros(len(skips))])
        return bundle.foldin.solve(items, conf, pref).astype(np.float32)


def _longest_streak(artists: list[int]) -> int:
    best = run = 0
    prev = None
    for a in artists:
        run = run + 1 if a == prev else 1
        prev = a
        best = max(best, run)
    return best


def simulate(
    world: SimWorld,
    users: list[SimUser],
    settings: SimulationSettings | None = None,
    policies: tuple[str, ...] = POLICIES,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run ``settings.sessions`` sessions per policy; every policy meets the same users and seeds."""
    settings = settings or SimulationSettings()
    if not users:
        raise ValueError("no users with enough known artists to simulate")
    order = np.random.default_rng(settings.seed).permutation(len(users))
    lib = world.library
    results: dict[str, dict[str, Any]] = {}
    total = settings.sessions * len(policies)
    done_sessions = 0
    for name in policies:
        policy = POLICY_CLASSES[name]()
        ctx = _Context(world, settings, np.random.default_rng(settings.seed + 1))
        seed_rng = np.random.default_rng(settings.seed + 2)  # same seeds for every policy
        listener_rng = np.random.default_rng(settings.seed + 3)
        clock: dict[str, float] = {}
        skips = plays = discovered = 0
        distinct: list[int] = []
        longest = 0
        for s in range(settings.sessions):
            user = users[int(order[s % len(users)])]
            liked = user.taste_items
            hidden = set(user.hidden_items.tolist())
            p = user.given_counts / user.given_counts.sum()
            seed_item = int(user.given_items[seed_rng.choice(len(p), p=p)])
            seed_row = int(world.rows_of_item[seed_item][seed_rng.integers(settings.tracks_per_artist)])
            ctx.now = clock.get(user.user_id, 1.7e9)
            recent = ctx.last_played.setdefault(user.user_id, {})
            lib.last_played[:] = np.nan
            for row, t in recent.items():
                lib.last_played[row] = t
            flips = listener_rng.random(settings.length)
            policy.start(seed_row, user, ctx)
            artists: list[int] = [int(world.item_of_row[seed_row])]
            feedback = ctx.feedback.setdefault(user.user_id, {})
            for step in range(settings.length):
                row = policy.next()
                item = int(world.item_of_row[row])
                likes = item in liked
                if flips[step] < settings.noise:
                    likes = not likes
                outcome = "completed" if likes else "skipped"
                policy.observe(row, outcome)
                plays += 1
                skips += outcome == "skipped"
                discovered += item in hidden
                artists.append(item)
                fb = feedback.setdefault(item, [0, 0])
                fb[0 if likes else 1] += 1
                recent[row] = ctx.now
                ctx.now += settings.minutes_per_track * 60.0
            clock[user.user_id] = ctx.now + settings.hours_between_sessions * 3600.0
            played = artists[1:]
            distinct.append(len(set(played)))
            longest = max(longest, _longest_streak(played))
            done_sessions += 1
            if progress is not None:
                progress(done_sessions, total)
        lib.last_played[:] = np.nan
        results[name] = {
            "skip_rate": round(skips / max(1, plays), 4),
            "discovery_rate": round(discovered / max(1, plays), 4),
            "distinct_artists": round(float(np.mean(distinct)), 2),
            "longest_artist_streak": int(longest),
        }
    return {"policies": results}
