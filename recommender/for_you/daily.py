"""Daily mixes from the listener's own history: up to six mixes, each one corner of their taste, and a
mix for the time of day.

Why clusters: one "For you" list flattens a listener who plays both death metal and film scores into
an average that suits neither. So the artists the listener finishes (own plays, and imported listens
matched to library tracks) are clustered by where they sit in the factor space and in sound (artist
factors and the centroid of their tracks' audio embeddings, weighted by how much they are played;
spherical k-means), and each cluster becomes a mix named by its two strongest analysis tags and its two
most played artists ("Daily Mix 1: metal · Muldjord, Slayer"). A mix mixes the cluster's favourites
(not heard in the last day) with tracks of library artists never finished that sit nearest the
cluster; the familiar <-> new dial (``RadioSettings.dial``) sets the share of the latter
(``NEW_SHARE``).

The time-of-day mix is built the same way from the plays and listens made at this time of day
(morning, afternoon, evening, night, in local time): what the listener plays in the evening.

Stable for a day: every random choice is seeded by the date (and a refresh count, which the app's
Refresh button raises), so the mixes do not change between two looks on the same day and change the
next day. Nothing banned is offered (the radio's library leaves banned tracks and artists out).

API: ``DailyMix``, ``daily_mixes``, ``time_of_day_mix``, ``refresh_count``, ``NEW_SHARE``, ``DAY_PARTS``.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Share of a mix given to artists the listener never finished, per dial step (familiar .. new).
NEW_SHARE = {-2: 0.0, -1: 0.15, 0: 0.3, 1: 0.5, 2: 0.7}
#: Where the day's refresh count of the daily mixes is kept (JSON: {"day": ISO date, "count": n}).
REFRESH_KEY = "mixes.refresh"
#: Parts of the day (local hours, start inclusive): the time-of-day mix uses the part "now" is in.
DAY_PARTS = (
    ("night", 0, 5),
    ("morning", 5, 12),
    ("afternoon", 12, 17),
    ("evening", 17, 22),
    ("night", 22, 24),
)
MAX_MIXES = 6
MIX_TRACKS = 30
#: A favourite heard within this many hours waits for a later mix.
REST_HOURS = 24.0
#: Fewest finished plays (in that part of the day) behind a time-of-day mix.
MIN_PART_PLAYS = 5


@dataclass
class DailyMix:
    """One mix: its ``name``, the ``tags`` and ``artists`` it is named by, and its tracks with a reason."""

    name: str
    tags: list[str]
    artists: list[str]
    track_ids: list[int] = field(default_factory=list)
    whys: list[str] = field(default_factory=list)

    @property
    def new_share(self) -> float:
        return sum(w.startswith("new") for w in self.whys) / max(1, len(self.whys))


def refresh_count(store: Any, day: dt.date, bump: bool) -> int:
    """The day's refresh count of the daily mixes (0 on a new day; kept in the store, so the app and
    ``encore mix`` show the same mixes); ``bump`` (Refresh) raises it first."""
    try:
        saved = json.loads(store.get_state(REFRESH_KEY) or "{}")
        count = int(saved.get("count", 0)) if saved.get("day") == day.isoformat() else 0
    except (ValueError, TypeError, AttributeError):
        count = 0
    if bump:
        count += 1
        store.set_state(REFRESH_KEY, json.dumps({"day": day.isoformat(), "count": count}))
    return count


def _day_seed(day: dt.date, refresh: int, salt: int = 0) -> np.random.Generator:
    return np.random.default_rng([day.toordinal(), int(refresh), salt])


def _evidence(store: Any, library: Any, hours: tuple[int, int] | None = None) -> np.ndarray:
    """Finished plays per library row (own plays, and imported listens matched to library tracks),
    minus half the skips, plus 2 for a loved track; only those whose local hour is in ``hours``."""
    from player.store.ratings import loved_track_ids

    where = ""
    if hours is not None:
        where = " AND CAST(strftime('%H', {col}, 'unixepoch', 'localtime') AS INTEGER) BETWEEN ? AND ?"
    params = (hours[0], hours[1] - 1) if hours is not None else ()
    row_of = {int(t): i for i, t in enumerate(library.track_ids.tolist())}
    weight = np.zeros(len(library))
    queries = (
        "SELECT track_id, SUM(outcome = 'completed') - 0.5 * SUM(outcome = 'skipped') FROM plays"
        " WHERE outcome IN ('completed', 'skipped')" + where.format(col="started_at") + " GROUP BY track_id",
        "SELECT track_id, SUM(outcome = 'completed') - 0.5 * SUM(outcome = 'skipped') FROM listens"
        " WHERE track_id IS NOT NULL AND outcome IN ('completed', 'skipped')"
        + where.format(col="listened_at")
        + " GROUP BY track_id",
    )
    for sql in queries:
        for track_id, w in store.conn.execute(sql, params):
            r = row_of.get(int(track_id))
            if r is not None:
                weight[r] += float(w or 0.0)
    if hours is None:
        for track_id in loved_track_ids(store):
            r = row_of.get(int(track_id))
            if r is not None:
                weight[r] += 2.0
    return np.maximum(weight, 0.0)


def _artist_features(library: Any, codes: np.ndarray) -> np.ndarray:
    """One row per artist code: its factors and its tracks' mean audio, each normalised, half each."""
    parts = []
    for matrix, mask in ((library.factors, library.has_factors), (library.audio, library.has_audio)):
        if matrix is None:
            continue
        sums = np.zeros((library.n_artist_codes, matrix.shape[1]))
        ok = mask if mask is not None else np.ones(len(library), dtype=bool)
        np.add.at(sums, library.artist[ok], matrix[ok])
        block = sums[codes]
        norm = np.linalg.norm(block, axis=1, keepdims=True)
        parts.append(np.where(norm > 0, block / np.where(norm > 0, norm, 1.0), 0.0) * np.sqrt(0.5))
    if not parts:
        return np.zeros((len(codes), 1))
    return np.hstack(parts)


def _kmeans(x: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator, steps: int = 25) -> np.ndarray:
    """Weighted spherical k-means (k-means++ start): the cluster of each row."""
    n = len(x)
    first = int(rng.choice(n, p=w / w.sum()))
    centres = [x[first]]
    for _ in range(1, k):
        d = np.min([np.sum((x - c) ** 2, axis=1) for c in centres], axis=0) * w
        if d.sum() <= 0:
            break
        centres.append(x[int(rng.choice(n, p=d / d.sum()))])
    c = np.asarray(centres)
    label = np.zeros(n, dtype=np.int64)
    for _ in range(steps):
        label = np.argmax(x @ c.T, axis=1)
        new = np.zeros_like(c)
        np.add.at(new, label, x * w[:, None])
        norm = np.linalg.norm(new, axis=1, keepdims=True)
        new = np.where(norm > 0, new / np.where(norm > 0, norm, 1.0), c)
        if np.allclose(new, c):
            break
        c = new
    return label


def _name(library: Any, rows: np.ndarray, weights: np.ndarray, artists: list[str]) -> tuple[str, list[str]]:
    """The cluster's two strongest analysis tags (its tracks' distinctive tags, weighted by plays)."""
    tags: list[str] = []
    if library.top_tags is not None and library.tag_names is not None and len(rows):
        votes: dict[int, float] = {}
        for r, w in zip(rows.tolist(), weights.tolist(), strict=True):
            for rank, t in enumerate(library.top_tags[r].tolist()):
                if t >= 0:
                    votes[t] = votes.get(t, 0.0) + (w + 0.1) / (1 + rank)
        tags = [
            str(library.tag_names[t]).lower() for t, _ in sorted(votes.items(), key=lambda kv: -kv[1])[:2]
        ]
    label = " · ".join(p for p in (" and ".join(tags), ", ".join(artists)) if p)
    return label, tags


def _fill(
    library: Any,
    favourites: np.ndarray,
    fav_weight: np.ndarray,
    fresh: np.ndarray,
    centre: np.ndarray,
    features_of: Any,
    dial: int,
    rng: np.random.Generator,
    n: int,
) -> tuple[list[int], list[str]]:
    """The mix's tracks: favourites drawn by weight and new finds nearest ``centre``, interleaved so the
    new ones are spread through the mix, no artist twice in a row."""
    share = NEW_SHARE[max(-2, min(2, int(dial)))]
    n_new = int(round(share * n))
    picks_fav: list[int] = []
    if len(favourites):
        p = (fav_weight + 0.5) / (fav_weight + 0.5).sum()
        take = min(len(favourites), n - min(n_new, len(fresh)))
        picks_fav = rng.choice(favourites, size=take, replace=False, p=p).tolist()
    picks_new: list[int] = []
    if n_new and len(fresh):
        score = features_of(library.artist[fresh]) @ centre
        best = fresh[np.argsort(-score, kind="stable")[: max(n_new * 3, 10)]]
        picks_new = rng.choice(best, size=min(n_new, len(best)), replace=False).tolist()
    total = len(picks_fav) + len(picks_new)
    slots = (
        set(np.linspace(0, total - 1, len(picks_new)).round().astype(int).tolist()) if picks_new else set()
    )
    order: list[tuple[int, str]] = []
    fav_iter, new_iter = iter(picks_fav), iter(picks_new)
    for i in range(total):
        use_new = i in slots and len([o for o in order if o[1] == "new"]) < len(picks_new)
        row = next(new_iter if use_new else fav_iter, None)
        if row is None:
            row = next(fav_iter if use_new else new_iter)
            use_new = not use_new
        order.append((int(row), "new" if use_new else "fav"))
    _space_artists(order, library.artist)
    ids = [int(library.track_ids[r]) for r, _ in order]
    whys = [
        f"you play {library.artist_name(r)}"
        if kind == "fav"
        else "new to you: an artist you have not finished, close to this mix"
        for r, kind in order
    ]
    return ids, whys


def _space_artists(order: list[tuple[int, str]], artist: np.ndarray) -> None:
    """No artist twice in a row where the mix allows it: a repeat swaps with the next track of another
    artist, or, with none left after it, moves back to the first gap between two other artists."""
    for i in range(1, len(order)):
        a = artist[order[i][0]]
        if a != artist[order[i - 1][0]]:
            continue
        j = next((j for j in range(i + 1, len(order)) if artist[order[j][0]] != a), None)
        if j is not None:
            order[i], order[j] = order[j], order[i]
            continue
        for p in range(i):
            before = artist[order[p - 1][0]] if p > 0 else None
            if before != a and artist[order[p][0]] != a:
                order.insert(p, order.pop(i))
                break


def _recent(library: Any, now: float) -> np.ndarray:
    last = library.last_played
    return np.isfinite(last) & (last > now - REST_HOURS * 3600.0)


def daily_mixes(
    store: Any,
    *,
    library: Any = None,
    day: dt.date | None = None,
    dial: int = 0,
    refresh: int = 0,
    n_tracks: int = MIX_TRACKS,
    max_mixes: int = MAX_MIXES,
    now: float | None = None,
) -> list[DailyMix]:
    """Up to ``max_mixes`` mixes, one per cluster of the listener's finished artists, most played first;
    [] when nothing was finished yet."""
    if library is None:
        from recommender.radio.load import load_library

        library = load_library(store)
    now = time.time() if now is None else now
    day = day or dt.date.fromtimestamp(now)
    evidence = _evidence(store, library)
    return _mixes(library, evidence, day, dial, refresh, n_tracks, max_mixes, now, "Daily Mix")


def time_of_day_mix(
    store: Any,
    *,
    library: Any = None,
    now: float | None = None,
    dial: int = 0,
    refresh: int = 0,
    n_tracks: int = MIX_TRACKS,
) -> DailyMix | None:
    """The mix for this part of the day (what the listener finishes at this time), or None when fewer
    than ``MIN_PART_PLAYS`` finished plays fall in it."""
    if library is None:
        from recommender.radio.load import load_library

        library = load_library(store)
    now = time.time() if now is None else now
    hour = dt.datetime.fromtimestamp(now).hour
    part, start, end = next(p for p in DAY_PARTS if p[1] <= hour < p[2])
    evidence = _evidence(store, library, (start, end))
    if part == "night":  # the night spans midnight: both halves
        other = DAY_PARTS[0] if start == 22 else DAY_PARTS[-1]
        evidence = evidence + _evidence(store, library, (other[1], other[2]))
    if evidence.sum() < MIN_PART_PLAYS:
        return None
    mixes = _mixes(
        library, evidence, dt.date.fromtimestamp(now), dial, refresh, n_tracks, 1, now, f"Your {part}s"
    )
    return mixes[0] if mixes else None


def _mixes(
    library: Any,
    evidence: np.ndarray,
    day: dt.date,
    dial: int,
    refresh: int,
    n_tracks: int,
    max_mixes: int,
    now: float,
    title: str,
) -> list[DailyMix]:
    per_artist = np.bincount(library.artist, weights=evidence, minlength=library.n_artist_codes)
    codes = np.flatnonzero(per_artist > 0)
    if not len(codes):
        return []
    rng = _day_seed(day, refresh)
    features = _artist_features(library, codes)
    k = max(1, min(max_mixes, len(codes) // 3 or 1))
    label = _kmeans(features, per_artist[codes], k, rng)
    all_codes = np.arange(library.n_artist_codes)
    all_features = _artist_features(library, all_codes)
    finished_ever = (
        np.bincount(library.artist, weights=_evidence_any(library), minlength=library.n_artist_codes) > 0
    )
    recent = _recent(library, now)
    fresh_rows = np.flatnonzero(~finished_ever[library.artist] & (per_artist[library.artist] <= 0) & ~recent)
    mixes = []
    for c in np.unique(label):
        members = codes[label == c]
        members = members[np.argsort(-per_artist[members], kind="stable")]
        rows = np.flatnonzero(np.isin(library.artist, members))
        fav = rows[~recent[rows]]
        if not len(fav):
            continue
        centre = (features[label == c] * per_artist[codes[label == c]][:, None]).sum(axis=0)
        norm = float(np.linalg.norm(centre))
        centre = centre / norm if norm > 0 else centre
        artists = [library.artist_name(int(np.flatnonzero(library.artist == m)[0])) for m in members[:2]]
        named, tags = _name(library, rows, evidence[rows], artists)
        ids, whys = _fill(
            library,
            fav,
            evidence[fav],
            fresh_rows,
            centre,
            lambda a: all_features[a],
            dial,
            _day_seed(day, refresh, int(members[0]) + 1),
            n_tracks,
        )
        mixes.append((float(per_artist[members].sum()), DailyMix(named, tags, artists, ids, whys)))
    mixes.sort(key=lambda m: -m[0])
    out = [m for _w, m in mixes[:max_mixes]]
    for i, m in enumerate(out, 1):
        m.name = f"{title} {i}: {m.name}" if title == "Daily Mix" else f"{title}: {m.name}"
    return out


def _evidence_any(library: Any) -> np.ndarray:
    """Rows the listener finished at any time (the library's own completion counts per artist)."""
    done = library.artist_completions
    if done is None:
        return np.zeros(len(library))
    return (np.asarray(done)[library.artist] > 0).astype(np.float64)
