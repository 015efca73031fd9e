"""What the radio's library arrays are built from besides the store's rows and the factor bundle: the
user's fold-in taste, and each track's distinctive audio tags for reasons.

Kept apart from ``recommender.radio.library`` (the arrays themselves) so that each stays one job;
``recommender.radio.load`` combines them.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def user_taste(
    store: Any,
    bundle: Any,
    match: Any = None,
    now: float | None = None,
    audio_factors: dict[str, np.ndarray] | None = None,
    basis: bool = False,
) -> tuple:
    """The user's fold-in vector (``recommender.taste.profile.Taste``) and how many tracks have plays behind it
    (``match``: the library already matched to ``bundle``, not matched again; ``audio_factors``: the
    audio-predicted factors of unmatched artists, already computed from every analysed track); with
    ``basis`` also the ``recommender.reasons.TasteBasis`` that names the artists behind a taste score."""
    from recommender.taste.profile import Taste

    taste = Taste.from_store(store, bundle, match=match, now=now, audio_factors=audio_factors)
    vector = np.asarray(taste.user_vector, dtype=np.float32)
    out = (vector if np.any(vector) else None), len(taste.track_feedback)
    if not basis:
        return out
    from recommender.reasons import TasteBasis

    return (*out, TasteBasis.from_taste(taste) if out[0] is not None else None)


def distinctive_tags(tag_probs: np.ndarray, has_audio: np.ndarray | None, n: int = 3) -> np.ndarray:
    """Per track, the ``n`` audio tags most above the library's mean (int16 indices, -1 where none):
    what a reason can say two tracks share ("both piano and calm") beyond what all tracks have."""
    out = np.full((len(tag_probs), n), -1, dtype=np.int16)
    rows = np.flatnonzero(has_audio) if has_audio is not None else np.arange(len(tag_probs))
    if len(rows) == 0:
        return out
    lift = tag_probs[rows] - tag_probs[rows].mean(axis=0)
    top = np.argsort(-lift, axis=1, kind="stable")[:, :n]
    keep = np.take_along_axis(lift, top, 1) > 0
    out[rows] = np.where(keep, top, -1).astype(np.int16)
    return out
