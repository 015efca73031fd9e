"""What the radio's library arrays are built from besides the store's rows: the shipped factor bundle
(refused bundles warned about once), audio-predicted factors for artists the bundle does not know (the
bridge, ``bridged_factors``), the user's fold-in taste, and each track's distinctive audio tags for reasons.

Kept apart from ``recommender.radio_library`` (the arrays themselves) so that each stays one job;
``recommender.radio_load`` combines them.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np


def bridged_factors(bundle: Any, names: list[str], profiles: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Artist name -> factors predicted from its mean audio tag profile (the bridge); {} without one."""
    if not names:
        return {}
    try:
        from recommender.factors.bridge import predict_artist_factors
    except ImportError:
        return {}
    try:
        predicted = np.asarray(predict_artist_factors(np.vstack(profiles), bundle), dtype=np.float32)
    except ValueError:  # a bundle without a bridge
        return {}
    return dict(zip(names, predicted, strict=True))


def shipped_bundle() -> Any:
    """The default factor bundle, or None when it is not installed (radio then runs on audio alone)."""
    from recommender.factors.bundle import BundleError, load_bundle

    try:
        return load_bundle()
    except FileNotFoundError:
        return None
    except BundleError as exc:  # damaged or tampered with: go on without it, and say so
        _warn_once(f"the factor bundle is refused ({exc}); recommending from audio alone")
        return None


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        print(f"encore: warning: {message}", file=sys.stderr)


def user_taste(
    store: Any,
    bundle: Any,
    match: Any = None,
    now: float | None = None,
    audio_factors: dict[str, np.ndarray] | None = None,
    basis: bool = False,
) -> tuple:
    """The user's fold-in vector (``recommender.taste.Taste``) and how many tracks have plays behind it
    (``match``: the library already matched to ``bundle``, not matched again; ``audio_factors``: the
    audio-predicted factors of unmatched artists, already computed from every analysed track); with
    ``basis`` also the ``recommender.reasons.TasteBasis`` that names the artists behind a taste score."""
    from recommender.taste import Taste

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
