"""What the radio's library arrays are built from besides the store's rows and the factor bundle: the
user's fold-in taste, and each track's distinctive audio tags for reasons.

Kept apart from ``recommender.radio.library`` (the arrays themselves) so that each stays one job;
``recommender.radio.load`` combines them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class UserTaste:
    """What the radio takes from the user's fold-in taste (``user_taste``)."""

    vector: np.ndarray | None  # the fold-in user vector; None without evidence
    evidence: int  # tracks with plays behind it
    basis: Any = None  # ``recommender.reasons.TasteBasis``: names the artists behind a taste score
    item_scores: np.ndarray | None = None  # the shipped model's score of every bundle item (z-scored blend)


def user_taste(
    store: Any,
    bundle: Any,
    match: Any = None,
    now: float | None = None,
    audio_factors: dict[str, np.ndarray] | None = None,
) -> UserTaste:
    """The user's fold-in taste (``recommender.taste.profile.Taste``) and how many tracks have plays behind
    it (``match``: the library already matched to ``bundle``, not matched again; ``audio_factors``: the
    audio-predicted factors of unmatched artists, already computed from every analysed track), with the
    artists behind it and the shipped model's scores (what ``recommend`` ranks by)."""
    from recommender.taste.profile import Taste

    taste = Taste.from_store(store, bundle, match=match, now=now, audio_factors=audio_factors)
    vector = np.asarray(taste.user_vector, dtype=np.float32)
    if not np.any(vector):
        return UserTaste(None, len(taste.track_feedback))
    from recommender.reasons import TasteBasis

    scores = np.asarray(taste.item_scores(), dtype=np.float64)
    return UserTaste(vector, len(taste.track_feedback), TasteBasis.from_taste(taste), scores)


def row_taste_scores(library: Any, taste: UserTaste, bundle: Any) -> np.ndarray | None:
    """Per library row, the taste score the station ranks by: the shipped model's score of the row's
    bundle artist; for an artist placed by its sound, its fold-in score on the same scale (z-scored
    over the bundle's artists, as ``recommend`` scores them); NaN where neither is known."""
    if taste.item_scores is None or taste.vector is None or library.item is None:
        return None
    item = np.asarray(library.item, dtype=np.int64)
    out = np.full(len(item), np.nan)
    known = item >= 0
    out[known] = taste.item_scores[item[known]]
    placed = ~known & (library.factor_source == 2) if library.factor_source is not None else None
    if placed is not None and placed.any():
        wmf = np.asarray(bundle.item_factors, dtype=np.float64) @ taste.vector.astype(np.float64)
        mu, sd = float(wmf.mean()), float(wmf.std()) or 1.0
        rows = library.raw_factors  # scored once per vector, then gathered: the placed rows of a million
        # tracks (a quarter by local bands) as float64 rows were 190 MB at the top of a warm start
        per_vector = (rows.vectors.astype(np.float64) @ taste.vector - mu) / sd
        out[placed] = per_vector[rows.index[placed]]
    return out


def library_tag_mean(tag_probs: np.ndarray, has_audio: np.ndarray | None) -> np.ndarray | None:
    """The mean audio tag probabilities of the analysed rows (None when none is): what ``distinctive_tags``
    measures a track against."""
    rows = np.flatnonzero(has_audio) if has_audio is not None else np.arange(len(tag_probs))
    return tag_probs[rows].mean(axis=0) if len(rows) else None


def distinctive_tags(
    tag_probs: np.ndarray, has_audio: np.ndarray | None, mean: np.ndarray | None, n: int = 3
) -> np.ndarray:
    """Per track, the ``n`` audio tags most above ``mean`` (the library's, ``library_tag_mean``; int16
    indices, -1 where none): what a reason can say two tracks share ("both piano and calm") beyond what
    all tracks have. Row by row, so rows added later get what a whole build would give them."""
    out = np.full((len(tag_probs), n), -1, dtype=np.int16)
    rows = np.flatnonzero(has_audio) if has_audio is not None else np.arange(len(tag_probs))
    if len(rows) == 0 or mean is None:
        return out
    lift = tag_probs[rows] - mean
    # The n greatest of each row, ties to the lower tag, as a stable sort of every row would give them,
    # by n passes of argmax (a sort of 100k x 50 values cost 0.19 s of a first start).
    work = np.where(np.isnan(lift), -np.inf, lift)
    k = min(n, lift.shape[1])
    top = np.empty((len(rows), k), dtype=np.int64)
    keep = np.empty((len(rows), k), dtype=bool)
    every = np.arange(len(rows))
    for j in range(k):
        top[:, j] = best = work.argmax(axis=1)
        keep[:, j] = work[every, best] > 0  # once all left are -inf (NaN), argmax repeats: not kept
        work[every, best] = -np.inf
    out[rows, :k] = np.where(keep, top, -1).astype(np.int16)
    return out
