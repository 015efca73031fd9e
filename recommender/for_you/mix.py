"""The Discover mix: 30 under-played tracks from the For-you ranking, stored and refreshable.

Why stored: the mix is something to come back to (play it today, again tomorrow), so it stays the
same until the user asks for a new one; a new mix samples around the ranking and puts the previous
mix's tracks last, so it brings other music. A new mix leaves out what was finished recently (the
resting tracks of ``recommender.for_you.lists``, ``ForYouSettings.rest_days``) unless the mix would
be too short without them (``ForYouSettings.mix_min``); the stored mix keeps its tracks when they are
played, since playing it again is what it is for. Bans count at once, stored mix or not.

API: ``build_mix(result, size, per_artist, rng, avoid, min_size)``,
``discover_mix(store, result, refresh, size, rng)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.for_you.ranked import RankedTracks

if TYPE_CHECKING:
    from player.store.core import Store
    from recommender.for_you.items import ForYouItem
    from recommender.for_you.lists import ForYou


def build_mix(
    result: ForYou,
    size: int = 30,
    per_artist: int = 3,
    rng: np.random.Generator | int | None = None,
    avoid: Iterable[int] = (),
    min_size: int | None = None,
) -> list[ForYouItem]:
    """A Discover mix: ``size`` tracks from the ranked under-played ones, at most ``per_artist`` per
    artist. With ``rng`` the order is sampled (Gumbel noise on the scores), so a refresh differs;
    tracks in ``avoid`` (the previous mix) come only after all others.

    Resting tracks (``result.rested``) are left out; only when that leaves fewer than ``min_size``
    tracks (default ``ForYouSettings.mix_min``) do they top the mix up to ``min_size``, best first and
    after every other track, rather than the mix coming out empty."""
    from recommender.for_you.items import ForYouSettings

    min_size = ForYouSettings().mix_min if min_size is None else min_size
    out = _pick(result.tracks, size, per_artist, rng, avoid)
    if len(out) < min(min_size, size):
        out += _pick(result.rested, min(min_size, size) - len(out), per_artist, None, ())
    return out


def _pick(
    items: Sequence[ForYouItem],
    size: int,
    per_artist: int,
    rng: np.random.Generator | int | None,
    avoid: Iterable[int],
) -> list[ForYouItem]:
    """Up to ``size`` of ``items``, best (or sampled) first, spread over artists where they allow."""
    if not items or size <= 0:
        return []
    avoid = set(avoid)
    # The ranking's arrays where it has them (``RankedTracks``): no item is made for a track not picked.
    if isinstance(items, RankedTracks):
        score, ids, artists = items.scores.astype(np.float64), items.track_ids.tolist(), items.artists
    else:
        score = np.array([it.score for it in items], dtype=np.float64)
        ids, artists = [it.track_ids[0] for it in items], [it.artist for it in items]
    if rng is not None:
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        score = score + gen.gumbel(size=len(score)) * 0.5
    score = score - 1e3 * np.array([t in avoid for t in ids])
    order = np.argsort(-score, kind="stable").tolist()
    picked: list[int] = []
    per: dict[str | None, int] = {}
    for i in order:
        if per.get(artists[i], 0) >= per_artist:
            continue
        per[artists[i]] = per.get(artists[i], 0) + 1
        picked.append(i)
        if len(picked) >= size:
            break
    if len(picked) < size:  # a library of few artists: fill up past the per-artist limit
        chosen = set(picked)
        picked += [i for i in order if i not in chosen][: size - len(picked)]
    return [items[i] for i in picked]


def discover_mix(
    store: Store,
    result: ForYou | None = None,
    refresh: bool = False,
    size: int | None = None,
    rng: np.random.Generator | int | None = None,
) -> list[dict[str, Any]]:
    """The stored Discover mix (``[{"track_id", "reason"}]``), made now if there is none or ``refresh``.

    The first mix is the best-fitting tracks; a refresh samples around the ranking and puts the
    previous mix's tracks last, so it brings other music. An empty list when there is no taste signal.
    """
    from player.store.discover import load_mix, save_mix
    from player.store.ratings import banned_track_ids
    from recommender.for_you.lists import ForYouSettings, for_you

    stored = load_mix(store)
    if stored is not None and stored[1] and not refresh:
        banned = banned_track_ids(store)  # a ban made since the mix was stored still counts
        return [e for e in stored[1] if int(e["track_id"]) not in banned]
    result = result if result is not None else for_you(store)
    s = ForYouSettings()
    avoid = [e["track_id"] for e in stored[1]] if (refresh and stored is not None) else []
    if refresh and rng is None:
        rng = np.random.default_rng()
    mix = build_mix(result, size or s.mix_size, s.mix_per_artist, rng if refresh else None, avoid, s.mix_min)
    entries = [{"track_id": it.track_ids[0], "reason": it.reason} for it in mix]
    if entries:
        save_mix(store, entries)
    return entries
