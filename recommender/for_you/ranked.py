"""The For-you ranking of the library's under-played tracks, and the albums made of them, at any size.

Why a module of its own: at 100k tracks the first version built a dict per track, a 100k x 500
matrix of every artist's share in every track's score, a reason and an item per track and a dict per
item for the JSON, and then printed ten of them (8 s and 1.6 GB for ``encore for-you``, issue 27).
Here the ranking is arrays (one score, play count, nearest liked track per candidate, computed per
artist where the value is the artist's and in row blocks where it is the track's), and a track's
``ForYouItem`` (its title, its reason, the artists behind its score) is made only when it is read:
``RankedTracks`` is a sequence that builds its items in small blocks on access, so printing ten
items builds one block, the Discover mix a few, and a test that reads them all still can.

API: ``RankedTracks`` (``scores``, ``track_ids``, ``artists``, ``built``), ``rank_library(...)``,
``ranked``, ``one_copy_per_song``, ``rank_albums(...)``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from player.text import count_text
from recommender.ranking import zscore
from recommender.reasons import NEVER_PLAYED, join_reasons, sounds_like_reason, taste_reason

if TYPE_CHECKING:
    from recommender.for_you.items import ForYouItem, ForYouSettings
    from recommender.taste.profile import Taste

BLOCK = 32
"""Items made together on first access: one solve of the taste's contributions serves a block."""

AUDIO_ROWS = 8192
"""Rows of embeddings compared with the liked tracks at a time (a block is ~13 MB in float64)."""


class RankedTracks(Sequence["ForYouItem"]):
    """Ranked tracks whose ``ForYouItem`` is built when first read (``built`` counts them).

    ``scores``, ``track_ids`` and ``artists`` are the whole ranking as arrays, for whoever ranks on
    (the Discover mix) without making an item per track."""

    def __init__(self, positions: np.ndarray, ranking: _Ranking) -> None:
        self._positions = positions  # candidate indices, best first
        self._ranking = ranking
        self._items: dict[int, ForYouItem] = {}
        self.scores = ranking.fit[positions]
        self.track_ids = ranking.ids[positions]
        self.artists = [ranking.artists[j] for j in positions.tolist()]

    @property
    def built(self) -> int:
        return len(self._items)

    def __len__(self) -> int:
        return len(self._positions)

    @overload
    def __getitem__(self, i: int) -> ForYouItem: ...

    @overload
    def __getitem__(self, i: slice) -> list[ForYouItem]: ...

    def __getitem__(self, i: int | slice) -> ForYouItem | list[ForYouItem]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self.item(i)

    def item(self, i: int, block: bool = True) -> ForYouItem:
        """The ``i``-th item, made with the rest of its block unless ``block`` is False (a lone
        look-up, such as an album's best track)."""
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        if i not in self._items:
            start = i - i % BLOCK if block else i
            stop = min(start + BLOCK, n) if block else i + 1
            block_ = [p for p in range(start, stop) if p not in self._items]
            made = self._ranking.items(self._positions[block_])
            self._items.update(zip(block_, made, strict=True))
        return self._items[i]

    def __iter__(self) -> Iterator[ForYouItem]:
        return (self[i] for i in range(len(self)))


@dataclass
class _Ranking:
    """Every candidate track's figures, in candidate order; ``items`` makes the items of some."""

    ids: np.ndarray  # track ids
    fit: np.ndarray
    plays: np.ndarray
    artists: list[str]
    titles: list[str]
    nearest: np.ndarray  # the liked track it sounds closest to, -1 if none
    nearest_sim: np.ndarray
    vector: Callable[[np.ndarray], np.ndarray]  # candidate indices -> factor vectors (the reasons')
    title_of: Callable[[int], str]
    artist_of: Callable[[int], str | None]
    taste: Taste
    settings: ForYouSettings

    def items(self, js: np.ndarray) -> list[ForYouItem]:
        from recommender.for_you.items import ForYouItem, contributors

        s, taste = self.settings, self.taste
        js = np.asarray(js, dtype=np.int64)
        contrib = contributors(taste, self.vector(js), ({self.artists[j]} for j in js.tolist()), s.n_reasons)
        out = []
        for j, who in zip(js.tolist(), contrib, strict=True):
            artist = self.artists[j]
            sound = None
            near = int(self.nearest[j])
            if near >= 0 and self.nearest_sim[j] >= s.sounds_like_min:
                la = self.artist_of(near)
                sound = sounds_like_reason(self.title_of(near), la if la != artist else None)
            plays = int(self.plays[j])
            parts: list[str | None] = [NEVER_PLAYED if plays == 0 else None, sound, taste_reason(who)]
            if not sound and not parts[2]:
                af = taste.artist_feedback[artist]
                if af.completions or af.positive > 0:
                    parts.append(f"more by {artist}, which you play")
                elif af.item is None:
                    parts.append(f"the sound of {artist} fits your taste")
                else:
                    parts.append(f"{artist} fits your taste")
            tid = int(self.ids[j])
            out.append(
                ForYouItem(
                    "track", self.titles[j], artist, float(self.fit[j]), join_reasons(parts), [tid], plays
                )
            )
        return out


def _nearest_liked(
    emb: np.ndarray, rows: np.ndarray, liked_rows: np.ndarray, self_col: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``rows`` of ``emb``: the column of the closest liked row (cosine, after centring on
    the mean of every analysed track) and its cosine, -1 / -inf when there is none; ``self_col[r]``
    (>= 0) is a row's own column among the liked, which does not count. In blocks of ``AUDIO_ROWS``."""
    mean = emb.mean(axis=0, dtype=np.float64)

    def unit(r: np.ndarray) -> np.ndarray:
        e = emb[r].astype(np.float64) - mean
        e /= np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
        return e

    lv_t = unit(liked_rows).T
    best = np.full(len(rows), -1, dtype=np.int64)
    value = np.full(len(rows), -np.inf)
    for start in range(0, len(rows), AUDIO_ROWS):
        stop = min(start + AUDIO_ROWS, len(rows))
        sims = unit(rows[start:stop]) @ lv_t
        own = np.flatnonzero(self_col[start:stop] >= 0)
        sims[own, self_col[start:stop][own]] = -np.inf
        b = np.argmax(sims, axis=1)
        best[start:stop] = b
        value[start:stop] = sims[np.arange(stop - start), b]
    return best, value


def rank_library(
    taste: Taste,
    tracks: dict[int, tuple],
    stats: dict[int, dict[str, Any]],
    scores: np.ndarray,
    analysis: tuple[np.ndarray, np.ndarray, np.ndarray],
    settings: ForYouSettings,
) -> _Ranking:
    """The under-played tracks' fit (see ``recommender.for_you.lists``), as arrays.

    ``tracks``: track id -> (title, path, artist, album_artist, album, duration) of the tracks that may
    be offered (not banned, not missing); ``scores``: the taste's item scores; ``analysis``: the
    ``load_analysis_matrix`` triple."""
    s, match, bundle = settings, taste.match, taste.bundle
    y = bundle.item_factors
    u = np.asarray(taste.user_vector, dtype=np.float64)
    wmf = y.astype(np.float64) @ u
    mu, sd = float(wmf.mean()), float(wmf.std()) or 1.0
    # Per artist: whether its tracks may be offered, and its factor vector and score.
    artist_base: dict[str, float] = {}
    for artist, af in taste.artist_feedback.items():
        if af.preference == 0 and af.negative > 0:
            continue  # a mostly skipped artist is not something to hear next
        if af.item is not None:
            artist_base[artist] = float(scores[af.item])
        elif artist in taste.audio_factors:
            v = np.asarray(taste.audio_factors[artist], dtype=np.float64)
            artist_base[artist] = (float(v @ u) - mu) / sd
    candidates: list[int] = []
    get_artist, get_fb, get_stats = match.track_artist.get, taste.track_feedback.get, stats.get
    for tid, t in tracks.items():
        artist = get_artist(tid)
        if artist is None or artist not in artist_base:
            continue
        if (t[5] or 0.0) < s.min_seconds:
            continue
        fb = get_fb(tid)
        if fb is not None and fb.score < 0:
            continue
        if (get_stats(tid, {}).get("play_count") or 0) > s.max_plays:
            continue
        candidates.append(tid)
    ids = np.array(candidates, dtype=np.int64)
    artists = [match.track_artist[t] for t in candidates]
    base = np.array([artist_base[a] for a in artists], dtype=np.float64)
    a_ids, emb, tag_probs = analysis
    rows = _rows(a_ids, ids)  # analysis row per candidate, -1 if not analysed
    # Unknown artists: the track's own sound, through the bridge, refines its artist's position.
    unknown = np.array(
        [j for j, a in enumerate(artists) if taste.artist_feedback[a].item is None and rows[j] >= 0],
        dtype=np.int64,
    )
    refined: dict[int, np.ndarray] = {}
    if len(unknown) and "weights" in bundle.bridge and tag_probs.ndim == 2 and tag_probs.shape[1] == 50:
        from recommender.factors.bridge import predict_artist_factors

        pred = predict_artist_factors(tag_probs[rows[unknown]], bundle).astype(np.float64)
        m = s.track_artist_mix
        own = (pred @ u - mu) / sd
        base[unknown] = (1 - m) * base[unknown] + m * own
        for j, p in zip(unknown.tolist(), pred, strict=True):
            refined[j] = (1 - m) * np.asarray(taste.audio_factors[artists[j]], dtype=np.float64) + m * p
    # Closeness in sound to the tracks the user completes (the nearest one is named).
    audio_term = np.zeros(len(ids))
    nearest = np.full(len(ids), -1, dtype=np.int64)
    nearest_sim = np.full(len(ids), -np.inf)
    liked_all = [t for t, fb in taste.track_feedback.items() if fb.completions > 0 and fb.score > 0]
    liked_rows_all = _rows(a_ids, np.array(liked_all, dtype=np.int64))
    liked = [t for t, r in zip(liked_all, liked_rows_all.tolist(), strict=True) if r >= 0]
    have = np.flatnonzero(rows >= 0)
    if liked and len(a_ids) and len(have):
        liked = sorted(liked, key=lambda t: -taste.track_feedback[t].score)[:200]
        col_of = {t: c for c, t in enumerate(liked)}
        liked_ids = np.array(liked, dtype=np.int64)
        self_col = np.array([col_of.get(t, -1) for t in ids[have].tolist()], dtype=np.int64)
        best, value = _nearest_liked(emb, rows[have], _rows(a_ids, liked_ids), self_col)
        ok = np.isfinite(value)
        nearest[have[ok]] = liked_ids[best[ok]]
        nearest_sim[have[ok]] = value[ok]
        audio_term[have[ok]] = value[ok]
        audio_term[have] = zscore(audio_term[have])
    plays = np.array([get_stats(t, {}).get("play_count") or 0 for t in candidates], dtype=np.float64)
    fit = zscore(base) + s.audio_weight * audio_term - s.play_penalty * np.log1p(plays)

    def vector(js: np.ndarray) -> np.ndarray:
        out = np.empty((len(js), bundle.k))
        for r, j in enumerate(js.tolist()):
            if j in refined:
                out[r] = refined[j]
            else:
                af = taste.artist_feedback[artists[j]]
                out[r] = y[af.item] if af.item is not None else taste.audio_factors[artists[j]]
        return out

    def title_of(tid: int) -> str:
        t = tracks.get(tid)
        return (t[0] if t is not None else None) or "?"

    titles = [tracks[t][0] or str(tracks[t][1]) for t in candidates]
    return _Ranking(
        ids,
        fit,
        plays,
        artists,
        titles,
        nearest,
        nearest_sim,
        vector,
        title_of,
        match.track_artist.get,
        taste,
        s,
    )


def _rows(sorted_ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Positions of ``wanted`` in the ascending ``sorted_ids``, -1 where absent."""
    if len(sorted_ids) == 0 or len(wanted) == 0:
        return np.full(len(wanted), -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(sorted_ids, wanted), len(sorted_ids) - 1)
    return np.where(sorted_ids[pos] == wanted, pos, -1).astype(np.int64)


def ranked(ranking: _Ranking, resting: Callable[[int], bool]) -> tuple[RankedTracks, RankedTracks]:
    """(the tracks to offer, the resting ones), each best first (ties: lower track id first)."""
    order = np.lexsort((ranking.ids, -ranking.fit))
    rest = np.array([resting(t) for t in ranking.ids[order].tolist()], dtype=bool)
    return RankedTracks(order[~rest], ranking), RankedTracks(order[rest], ranking)


def one_copy_per_song(offered: RankedTracks) -> RankedTracks:
    """The best-placed copy of each song (the same artist and title, case and spacing aside). A library
    holding a song twice (an album and a compilation, a copy in a second folder) offered it twice, and a
    walk's library of copies filled the list with two songs. Tracks without a title are never merged."""
    ranking, keep, seen = offered._ranking, [], set()
    for j in offered._positions.tolist():
        title = " ".join(str(ranking.titles[j] or "").casefold().split())
        key = (str(ranking.artists[j] or "").casefold(), title) if title else j
        if key not in seen:
            seen.add(key)
            keep.append(j)
    return RankedTracks(np.asarray(keep, dtype=np.int64), ranking)


def rank_albums(
    tracks: dict[int, tuple],
    offered: RankedTracks,
    track_artist: dict[int, str],
    resting: Callable[[int], bool],
    resting_ids: Sequence[int],
    settings: ForYouSettings,
    n: int,
) -> list[ForYouItem]:
    """The ``n`` best albums with at least two offered tracks and not mostly resting; an album's score
    is the mean of its best three tracks', its reason its best track's (``lists`` module doc)."""
    from recommender.for_you.items import ForYouItem

    get_artist = track_artist.get
    key_of = {  # track -> (album artist, album), for tracks with an album
        tid: ((t[3] or get_artist(tid) or "").strip(), t[4]) for tid, t in tracks.items() if t[4]
    }
    size = Counter(key_of.values())
    resting_in: Counter[tuple[str, str]] = Counter()
    for tid in resting_ids:
        key = key_of.get(tid)
        if key is not None and resting(tid):
            resting_in[key] += 1
    groups: dict[tuple[str, str], list[int]] = {}  # album -> positions in ``offered``, best first
    for p, tid in enumerate(offered.track_ids.tolist()):
        key = key_of.get(tid)
        if key is not None:
            groups.setdefault(key, []).append(p)
    plays = offered._ranking.plays[offered._positions]
    scores = offered.scores.tolist()
    chosen = []
    for key, ps in groups.items():
        if len(ps) < 2 or resting_in[key] > settings.album_rest_share * size[key]:
            continue
        top = [scores[p] for p in ps[:3]]
        chosen.append((sum(top) / len(top), key, ps))  # the mean, as np.mean sums so few values
    chosen.sort(key=lambda c: -c[0])
    albums = []
    for score, (album_artist, album), ps in chosen[:n]:
        total = int(plays[ps].sum())
        best = (
            offered.item(ps[0], block=False).reason.replace(NEVER_PLAYED + "; ", "").replace(NEVER_PLAYED, "")
        )
        lead = (
            f"new to you: {count_text(len(ps))} never played"
            if total == 0
            else f"{int((plays[ps] == 0).sum())} of {count_text(len(ps))} never played"
        )
        albums.append(
            ForYouItem(
                "album",
                album,
                album_artist or None,
                score,
                join_reasons([lead, best or None]),
                sorted(int(offered.track_ids[p]) for p in ps),
                total,
            )
        )
    return albums
