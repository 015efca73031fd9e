"""World model v2: simulated listeners with a local library, a log, a hidden taste and satiety.

Every constant of the world is a field of ``WorldSettings``, documented once there with the reason
for its value. The protocol, in short:

- **Listeners** are real users of a history file (``user_artists.dat`` format) that no model trained on.
- **Library**: a local radio plays only what the user owns. A listener owns their own artists (log and
  hidden part) plus ``distractors_per_artist`` artists per own artist drawn from the rest of the
  catalogue by popularity (training listeners per artist), ``tracks_per_artist`` tracks each.
- **Log and hidden part**: a seeded ``log_fraction`` of the listener's artists, with their play counts,
  is the app's history (what every policy sees); the rest are artists the listener owns and likes but
  has never played in the app.
- **Response**: a track is liked when its artist is in the log or the hidden part. A liked track is
  completed with probability ``(1 - noise) · artist_satiety^load · (reheard_track if heard before)``,
  where ``load`` counts this artist's plays in the session so far plus the earlier sessions' plays
  decayed by ``session_carryover`` per session; a track not liked is completed with probability
  ``noise``. So replaying the same few artists every session stops being free.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from recommender.radio.library import RadioLibrary
from recommender.radio.scoring import artist_similarity


@dataclass
class WorldSettings:
    """The simulated world's constants (defaults used by ``encore evaluate-radio`` and the README)."""

    tracks_per_artist: int = 4
    """Tracks a library holds per artist: a typical artist in a personal collection is an album or a
    few singles; 4 lets three sessions use an artist without replaying a track every time."""
    distractors_per_artist: int = 3
    """Artists the listener owns but does not like, per own artist (drawn by popularity: a collection
    holds what was popular, bought for someone else, or tried once). At 3, a blind shuffle of the
    library plays a liked artist a quarter of the time, so the library does not give the answer away."""
    log_fraction: float = 0.8
    """Share of the listener's artists (seeded draw) in the app's log; the rest is the hidden part."""
    min_artists: int = 5
    """Listeners with fewer artists the catalogue knows are left out (no hidden part to speak of)."""
    noise: float = 0.05
    """Base flip rate: a liked track is skipped (mood, interruption) and a disliked one completed (the
    listener let it run) with this probability. Small, so that outcomes carry the signal."""
    artist_satiety: float = 0.75
    """Each earlier play of the same artist (this session, or carried over) multiplies the completion
    probability by this factor: a second track of an artist within half an hour is welcome less often
    than a fresh one."""
    session_carryover: float = 0.5
    """Share of an artist's load kept from one session to the next (then halved again): yesterday's
    artists are less fresh today, but not worn out."""
    reheard_track: float = 0.5
    """A track heard in an earlier session is completed half as often: hearing the same song again the
    next day is the clearest case of satiety."""
    sessions: int = 3
    """Sessions per listener: at least 3, so that what a policy learns carries over."""
    length: int = 30
    """Tracks per session after the seed (about two hours of listening)."""
    minutes_per_track: float = 4.0
    hours_between_sessions: float = 20.0
    """The simulated clock: tracks last 4 minutes, sessions start 20 hours apart (daily listening), so
    the radio's repeat window (hours) does not block yesterday's tracks."""
    max_listeners: int | None = 160
    """Listeners simulated per run (a seeded sample; None: all). 160 keeps the default run near a minute
    on two cores and the 95% intervals narrow enough to tell the policies apart."""
    seed: int = 0


@dataclass
class Listener:
    """One simulated listener: their parts of the catalogue (bundle item indices) and their library."""

    user_id: str
    log_items: np.ndarray
    log_counts: np.ndarray
    hidden_items: np.ndarray
    library_items: np.ndarray  # sorted bundle items the library holds: own artists and distractors
    library: RadioLibrary
    item_of_row: np.ndarray  # bundle item of each library row
    liked: frozenset[int] = field(default_factory=frozenset)

    @property
    def own_items(self) -> np.ndarray:
        return np.union1d(self.log_items, self.hidden_items)

    def rows_of(self, item: int) -> np.ndarray:
        return np.flatnonzero(self.item_of_row == item)


class Satiety:
    """The listener's state across sessions: artist load and the tracks heard so far."""

    def __init__(self, settings: WorldSettings) -> None:
        self.settings = settings
        self.load: dict[int, float] = {}
        self.heard: dict[int, float] = {}  # track id -> when last heard (simulated epoch seconds)

    def end_session(self) -> None:
        c = self.settings.session_carryover
        self.load = {a: v * c for a, v in self.load.items() if v * c > 1e-3}

    def completion_probability(self, liked: bool, item: int, track_id: int) -> float:
        s = self.settings
        if not liked:
            return s.noise
        p = (1.0 - s.noise) * s.artist_satiety ** self.load.get(item, 0.0)
        if track_id in self.heard:
            p *= s.reheard_track
        return p

    def played(self, item: int, track_id: int, now: float) -> None:
        self.load[item] = self.load.get(item, 0.0) + 1.0
        self.heard[track_id] = now


def track_id_of(item: int, t: int, per: int) -> int:
    """A catalogue-wide track id (the same track keeps its id in every listener's library)."""
    return int(item) * per + t + 1


def build_listener(
    user_id: str,
    items: np.ndarray,
    counts: np.ndarray,
    bundle,
    catalogue: np.ndarray,
    catalogue_p: np.ndarray,
    settings: WorldSettings,
    rng: np.random.Generator,
) -> Listener:
    """Split a user's artists into log and hidden part, draw distractors, build the library."""
    order = rng.permutation(len(items))
    n_log = min(len(items) - 1, max(1, int(round(settings.log_fraction * len(items)))))
    log, hidden = order[:n_log], order[n_log:]
    own = set(items.tolist())
    n_dis = settings.distractors_per_artist * len(items)
    p = catalogue_p.copy()
    p[np.isin(catalogue, items)] = 0.0
    n_dis = min(n_dis, int((p > 0).sum()))
    distractors = rng.choice(catalogue, size=n_dis, replace=False, p=p / p.sum()) if n_dis else []
    lib_items = np.sort(np.concatenate([items, np.asarray(distractors, dtype=np.int64)]))
    per = settings.tracks_per_artist
    item_of_row = np.repeat(lib_items, per)
    t = np.tile(np.arange(per), len(lib_items))
    names = [str(bundle.names[i]) for i in item_of_row]
    library = RadioLibrary.build(
        track_ids=[track_id_of(i, k, per) for i, k in zip(item_of_row, t, strict=True)],
        artists=names,
        albums=[f"{n} album" for n in names],
        factors=np.asarray(bundle.item_factors, dtype=np.float32)[item_of_row],
        duration=np.full(len(item_of_row), 240.0),
    )
    library.last_played = np.full(len(item_of_row), np.nan)
    library.artist_similarity = artist_similarity(library.artist, item_of_row, bundle)
    return Listener(
        user_id=user_id,
        log_items=items[log],
        log_counts=counts[log],
        hidden_items=np.sort(items[hidden]),
        library_items=lib_items,
        library=library,
        item_of_row=item_of_row,
        liked=frozenset(own),
    )


def build_listeners(
    users: np.ndarray,
    artists: np.ndarray,
    counts: np.ndarray,
    bundle,
    settings: WorldSettings | None = None,
) -> list[Listener]:
    """Listeners from parallel arrays (user id, artist id, play count), seeded by ``settings.seed``.

    Only artists of the catalogue count (bundle artists with training listeners: an artist nobody in
    the training data played has no factors); the sample of ``max_listeners`` is drawn after that.
    """
    settings = settings or WorldSettings()
    pop = np.asarray(bundle.popularity, dtype=np.float64)
    catalogue = np.flatnonzero(pop > 0)
    index = {str(bundle.item_ids[i]): int(i) for i in catalogue}
    per_user: dict[str, dict[int, float]] = {}
    for u, a, c in zip(users.tolist(), artists.tolist(), counts.tolist(), strict=True):
        item = index.get(str(a))
        if item is not None:
            d = per_user.setdefault(str(u), {})
            d[item] = d.get(item, 0.0) + float(c)
    ids = sorted(
        (u for u, d in per_user.items() if len(d) >= settings.min_artists), key=lambda x: (len(x), x)
    )
    rng = np.random.default_rng(settings.seed)
    if settings.max_listeners is not None and len(ids) > settings.max_listeners:
        pick = np.sort(rng.choice(len(ids), size=settings.max_listeners, replace=False))
        ids = [ids[i] for i in pick]
    out = []
    for user_id in ids:
        d = per_user[user_id]
        items = np.array(sorted(d), dtype=np.int64)
        c = np.array([d[i] for i in items], dtype=np.float64)
        out.append(build_listener(user_id, items, c, bundle, catalogue, pop[catalogue], settings, rng))
    return out
