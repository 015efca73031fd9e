"""A path between two songs: library tracks that move smoothly in audio-embedding space from A to B.

How: the embeddings are the radio's (``RadioLibrary``: centred, 64 principal axes, unit length). The
straight line from A to B is cut into ``n - 1`` equal steps (spherical interpolation); each inner
position gets the ``candidates`` tracks nearest to its point, and a beam search chooses one candidate per
position minimising the sum of squared step distances (smooth: no single big jump) plus
``line_weight`` × the distance to the point (progress: the path really goes from A to B), under the
radio's rules: no track twice, no artist again within the artist spacing (scaled to the library like the
radio's), sound effects (< 30 s) only when nothing else fits. Distances are cosine distances (1 - cos).

Baselines (``evaluate_paths``): **interpolation** takes, for each point on the line, the nearest unused
track (what a naive "song path" does; it obeys the same no-repeat rule but not the spacing); **shuffle**
takes random tracks between A and B. Smoothness is the mean and the maximum step distance.

API: ``PathSettings``, ``PathStep``, ``PathSpace`` (``from_store``, ``path``, ``interpolation``,
``shuffle``), ``song_path(store, a, b, n)``, ``step_distances``, ``evaluate_paths``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from recommender.reasons import path_step_reason


@dataclass
class PathSettings:
    candidates: int = 40
    """Tracks nearest to each point on the line that the search considers."""
    beam: int = 60
    """Partial paths kept after each position."""
    line_weight: float = 0.5
    """Weight of the distance to the line's point against the squared step distance."""
    back_weight: float = 1.0
    """Weight of a step back toward A (the share of the way from A to B lost): a path that went 75 % of
    the way and then back to 40 % read as lost (a walk, on a small library)."""
    max_tracks: int = 12
    """The longest path chosen by itself (``auto_length``)."""
    artist_spacing: int = 15
    """No artist twice within this many tracks (scaled down for libraries with few artists)."""
    min_duration_s: float = 30.0
    """Shorter tracks (jingles, sound effects) only when no other candidate fits."""
    short_penalty: float = 1.0


@dataclass(frozen=True)
class PathStep:
    track_id: int
    distance: float  # cosine distance from the previous step (0 for A)
    why: str


def _slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    cos = float(np.clip(a @ b, -1.0, 1.0))
    omega = np.arccos(cos)
    if omega < 1e-6:
        v = a
    else:
        v = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def step_distances(vectors: np.ndarray) -> np.ndarray:
    """Cosine distances between consecutive unit rows."""
    v = np.asarray(vectors, dtype=np.float64)
    return 1.0 - np.sum(v[1:] * v[:-1], axis=1)


class PathSpace:
    """Analysed tracks as unit vectors with their artists, ready to plan paths between any two."""

    def __init__(
        self,
        track_ids: Sequence[int],
        vectors: np.ndarray,
        artist_codes: np.ndarray,
        artist_names: Sequence[str],
        duration: np.ndarray | None = None,
        settings: PathSettings | None = None,
    ) -> None:
        self.track_ids = np.asarray(track_ids, dtype=np.int64)
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.artist = np.asarray(artist_codes, dtype=np.int64)
        self.artist_names = list(artist_names)
        n = len(self.track_ids)
        self.duration = np.full(n, np.nan) if duration is None else np.asarray(duration, dtype=np.float64)
        self.settings = settings or PathSettings()
        self.row_of = {int(t): i for i, t in enumerate(self.track_ids.tolist())}
        distinct = len(np.unique(self.artist)) if n else 0
        from recommender.radio.station import RadioSettings

        self.spacing = RadioSettings().effective_spacing(distinct, self.settings.artist_spacing)

    @classmethod
    def from_store(
        cls,
        store: Any,
        settings: PathSettings | None = None,
        keep: Sequence[int] = (),
        exclude: Iterable[int] = (),
    ) -> PathSpace:
        """Every analysed, present, not banned and not ``exclude``d track (``keep``: ids to keep even if
        banned or excluded: A and B)."""
        from player.store.analysis import load_analysis_matrix
        from player.store.ratings import banned_track_ids
        from player.store.tracks import iter_tracks
        from recommender.radio.library import RadioLibrary

        ids, emb, _tags = load_analysis_matrix(store)
        banned = (banned_track_ids(store) | {int(t) for t in exclude}).difference(int(t) for t in keep)
        meta = {int(t["id"]): t for t in iter_tracks(store)}
        rows = [i for i, t in enumerate(ids.tolist()) if t in meta and t not in banned]
        ids = ids[rows]
        lib = RadioLibrary.build(
            track_ids=ids,
            artists=[meta[t].get("artist") or meta[t].get("album_artist") for t in ids.tolist()],
            audio=emb[rows],
            duration=np.array([meta[t].get("duration") or np.nan for t in ids.tolist()], dtype=np.float64),
        )
        names = [lib.artist_name(i) for i in range(len(lib))]
        return cls(lib.track_ids, lib.audio, lib.artist, names, lib.duration, settings)

    def __len__(self) -> int:
        return len(self.track_ids)

    def _row(self, track_id: int) -> int:
        try:
            return self.row_of[int(track_id)]
        except KeyError:
            raise KeyError(f"track {track_id} has no audio analysis (run `encore analyze`)") from None

    def _points(self, a: int, b: int, n: int) -> list[np.ndarray]:
        va, vb = self.vectors[a].astype(np.float64), self.vectors[b].astype(np.float64)
        return [_slerp(va, vb, i / (n - 1)) for i in range(n)]

    def _artist_ok(self, history: Sequence[int], row: int) -> bool:
        if self.spacing <= 0:
            return True
        recent = history[-self.spacing :]
        return self.artist[row] not in {int(self.artist[r]) for r in recent}

    def neighbour_gap(self, sample: int = 256, seed: int = 0) -> float:
        """The median distance from a track to its nearest other track (over a seeded sample of at most
        ``sample`` tracks, in chunks of about 32 MB of similarities whatever the library's size): how
        far apart the library's sounds sit, the shortest step a path can take without marking time."""
        n = len(self)
        if n < 2:
            return 0.0
        rows = np.random.default_rng(seed).choice(n, size=min(sample, n), replace=False)
        step = max(1, min(128, 8_000_000 // n))
        gaps = []
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            sims = self.vectors[chunk] @ self.vectors.T
            sims[np.arange(len(chunk)), chunk] = -np.inf
            gaps.append(1.0 - sims.max(axis=1))
        return float(np.median(np.concatenate(gaps)))

    def auto_length(self, a_id: int, b_id: int) -> int:
        """How many tracks a path from A to B takes when the listener names none: one step for about
        each neighbour gap of the distance, so that a small library or two near songs give a short
        path, between 3 and ``max_tracks``, and never more than the library holds. A walk found 12
        tracks always, stepping back and forth where the library is sparse: on its 82 analysed tracks
        (60 seeded pairs) a path of 12 stepped back toward A by more than a tenth of the way 0.65 times,
        with ``back_weight`` 0.32 times, and at the length chosen here (3 to 7 tracks) never, its
        largest step 0.70 -> 0.66."""
        a, b = self._row(a_id), self._row(b_id)
        distance = 1.0 - float(self.vectors[a].astype(np.float64) @ self.vectors[b].astype(np.float64))
        gap = self.neighbour_gap()
        steps = int(round(distance / gap)) if gap > 1e-6 else self.settings.max_tracks
        return int(min(max(steps + 1, 3), self.settings.max_tracks, len(self)))

    def path(self, a_id: int, b_id: int, n: int | None = None) -> list[PathStep]:
        """``n`` tracks from A to B (A first, B last; None: ``auto_length``), each with its step distance
        and reason."""
        if n is None:
            n = self.auto_length(a_id, b_id)
        if n < 2:
            raise ValueError("a path needs at least 2 tracks (A and B)")
        if n > len(self):  # each track appears once: past this the search has nothing left to choose
            raise ValueError(
                f"the library has {len(self)} analysed tracks, too few for a path of {n} "
                f"(ask for {len(self)} or fewer, or analyse more music)"
            )
        a, b = self._row(a_id), self._row(b_id)
        if a == b:
            raise ValueError("A and B are the same track")
        s = self.settings
        points = self._points(a, b, n)
        vec = self.vectors.astype(np.float64)
        short = np.isfinite(self.duration) & (self.duration < s.min_duration_s)
        to_a, to_b = 1.0 - vec @ vec[a], 1.0 - vec @ vec[b]
        share = to_a / np.maximum(to_a + to_b, 1e-9)  # how far along from A to B each track sits
        beams: list[tuple[float, list[int]]] = [(0.0, [a])]
        for i in range(1, n - 1):
            sims = vec @ points[i]
            k = min(len(sims), s.candidates + n)
            cand = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
            grown: list[tuple[float, list[int]]] = []
            near_b = n - 1 - i <= self.spacing  # B's artist must not come within the spacing before B
            for cost, rows in beams:
                used = set(rows) | {b}
                prev = vec[rows[-1]]
                for c in cand.tolist():
                    if (
                        c in used
                        or not self._artist_ok(rows, c)
                        or (near_b and self.artist[c] == self.artist[b])
                    ):
                        continue
                    step = 1.0 - float(prev @ vec[c])
                    off = 1.0 - float(sims[c])
                    extra = s.short_penalty if short[c] else 0.0
                    extra += s.back_weight * max(0.0, float(share[rows[-1]] - share[c]))
                    grown.append((cost + step * step + s.line_weight * off + extra, [*rows, c]))
            if not grown:  # nothing satisfies the spacing: relax it for this position
                for cost, rows in beams:
                    for c in cand.tolist():
                        if c not in rows and c != b:
                            step = 1.0 - float(vec[rows[-1]] @ vec[c])
                            grown.append(
                                (cost + step * step + s.line_weight * (1.0 - float(sims[c])), [*rows, c])
                            )
            grown.sort(key=lambda x: x[0])
            beams = grown[: s.beam]
        best = min(
            beams,
            key=lambda x: (
                x[0]
                + (1.0 - float(vec[x[1][-1]] @ vec[b])) ** 2
                + (0 if self._artist_ok(x[1][1:], b) else 0.5)
            ),
        )
        return self._steps([*best[1], b])

    def interpolation(self, a_id: int, b_id: int, n: int = 12) -> list[int]:
        """Baseline: the nearest unused track to each point on the line (rows' track ids)."""
        a, b = self._row(a_id), self._row(b_id)
        points = self._points(a, b, n)
        used = {a, b}
        out = [a]
        vec = self.vectors.astype(np.float64)
        for i in range(1, n - 1):
            sims = vec @ points[i]
            sims[list(used)] = -np.inf
            c = int(np.argmax(sims))
            used.add(c)
            out.append(c)
        return [int(self.track_ids[r]) for r in [*out, b]]

    def shuffle(self, a_id: int, b_id: int, n: int = 12, rng: np.random.Generator | None = None) -> list[int]:
        """Baseline: random other tracks between A and B."""
        rng = rng or np.random.default_rng(0)
        a, b = self._row(a_id), self._row(b_id)
        others = np.setdiff1d(np.arange(len(self)), [a, b])
        mid = rng.choice(others, size=min(n - 2, len(others)), replace=False)
        return [int(self.track_ids[r]) for r in [a, *mid.tolist(), b]]

    def distances(self, track_ids: Sequence[int]) -> np.ndarray:
        return step_distances(self.vectors[[self._row(t) for t in track_ids]])

    def _steps(self, rows: list[int]) -> list[PathStep]:
        n = len(rows)
        a, b = rows[0], rows[-1]
        vec = self.vectors.astype(np.float64)
        out = [PathStep(int(self.track_ids[a]), 0.0, "the start")]
        for i in range(1, n):
            r = rows[i]
            d = 1.0 - float(vec[rows[i - 1]] @ vec[r])
            if i == n - 1:
                why = "the destination"
            else:
                to_a, to_b = 1.0 - float(vec[a] @ vec[r]), 1.0 - float(vec[b] @ vec[r])
                share = to_a / max(to_a + to_b, 1e-9)
                why = path_step_reason(i, n - 1, share)
            out.append(PathStep(int(self.track_ids[r]), d, why))
        return out


def song_path(
    store: Any, a_id: int, b_id: int, n: int | None = None, settings: PathSettings | None = None
) -> list[PathStep]:
    """The path from track A to track B through the library (A and B kept even if banned), leaving out
    what rests after the listening session's skips, as a station does
    (``recommender.radio.session.resting_track_ids``); ``n`` tracks, or as many as the distance asks
    (``PathSpace.auto_length``)."""
    from recommender.radio.session import resting_track_ids

    space = PathSpace.from_store(store, settings, keep=[a_id, b_id], exclude=resting_track_ids(store))
    return space.path(a_id, b_id, n)


def evaluate_paths(space: PathSpace, pairs: int = 50, n: int = 12, seed: int = 0) -> dict[str, Any]:
    """Smoothness of Encore's path, the interpolation baseline and shuffle over random (A, B) pairs of
    music tracks (≥ 30 s): mean over pairs of the mean and of the maximum step distance, and how many
    steps break the artist spacing."""
    rng = np.random.default_rng(seed)
    music = np.flatnonzero(~(np.isfinite(space.duration) & (space.duration < space.settings.min_duration_s)))
    if len(music) < n + 2:
        raise ValueError(f"the library has {len(music)} analysed music tracks; a path of {n} needs more")
    results: dict[str, dict[str, list[float]]] = {
        name: {"mean": [], "max": [], "spacing_breaks": []} for name in ("encore", "interpolation", "shuffle")
    }
    random_pairs = []
    for _ in range(pairs):
        a, b = rng.choice(music, size=2, replace=False)
        random_pairs.append((int(space.track_ids[a]), int(space.track_ids[b])))
    for a, b in random_pairs:
        paths = {
            "encore": [s.track_id for s in space.path(a, b, n)],
            "interpolation": space.interpolation(a, b, n),
            "shuffle": space.shuffle(a, b, n, rng),
        }
        for name, ids in paths.items():
            d = space.distances(ids)
            rows = [space.row_of[t] for t in ids]
            breaks = sum(not space._artist_ok(rows[:i], rows[i]) for i in range(1, len(rows)))
            results[name]["mean"].append(float(d.mean()))
            results[name]["max"].append(float(d.max()))
            results[name]["spacing_breaks"].append(float(breaks))
    pair_dist = float(np.mean([space.distances([a, b])[0] for a, b in random_pairs]))
    return {
        "pairs": pairs,
        "n": n,
        "tracks": len(space),
        "artist_spacing": space.spacing,
        "mean_a_to_b_distance": round(pair_dist, 4),
        "policies": {
            name: {
                "mean_step": round(float(np.mean(r["mean"])), 4),
                "max_step": round(float(np.mean(r["max"])), 4),
                "spacing_breaks_per_path": round(float(np.mean(r["spacing_breaks"])), 3),
            }
            for name, r in results.items()
        },
    }
