"""``similar``'s index kept on disk between runs (the "similar" file of ``recommender.radio.cache``) as
plain arrays, and read back only after they are checked.

Why apart from ``recommender.similar.index``: answering is one job, keeping the index another; a valid
key does not vouch for the arrays (anyone who can write the folder can write a file under it), and a
tampered file once gave tracebacks or NaN "sounds like" answers, so every array is checked against the
others and the bundle (``disk_cache.Doubt``) before the index is made from them.

API: ``index_arrays(index)``; ``index_parts(bundle, arrays)`` (the index's constructor arguments).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from recommender import cache_strings, disk_cache
from recommender.factors.track_artists import ArtistTracks


def index_arrays(index: Any) -> dict[str, np.ndarray]:
    """A ``SimilarIndex`` as plain arrays (``index_parts`` reads them back)."""
    names = list(index.artist_tracks)
    if isinstance(index.artist_tracks, ArtistTracks):  # the radio cache's match: arrays already
        track_ids, track_ends = index.artist_tracks.grouped()
    else:
        lists = [index.artist_tracks[a] for a in names]
        track_ids = np.array([t for tl in lists for t in tl], dtype=np.int64)
        track_ends = np.cumsum([len(tl) for tl in lists], dtype=np.int64)
    k = index.extra.shape[1] if index.extra.ndim == 2 else 0
    out = {
        **cache_strings.prefixed("artists_", cache_strings.strings(names)),
        "artist_item": np.array([index.artist_to_item.get(a, -1) for a in names], dtype=np.int64),
        "track_ids": track_ids,
        "track_ends": track_ends,
        **cache_strings.prefixed("pred_", cache_strings.strings(index.pred_names)),
        "pred_matrix": np.vstack([index.predicted[a] for a in index.pred_names]).astype(np.float32)
        if index.pred_names
        else np.zeros((0, k), np.float32),
        "audio_ids": index.audio_ids,
    }
    if index.audio is not None:
        out["audio"], out["audio_ok"] = index.audio, index.audio_ok
    return out


def index_parts(bundle: Any, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The ``SimilarIndex`` constructor's arguments (but the bundle) from ``index_arrays``' arrays, checked
    first (``disk_cache.Doubt`` when they do not fit together or the bundle)."""
    _check(bundle, arrays)
    names = cache_strings.unstrings(arrays, "artists_")
    ids = arrays["track_ids"].tolist()
    ends = arrays["track_ends"].tolist()
    artist_tracks: dict[str, list[int]] = {}
    start = 0
    for name, end in zip(names, ends, strict=True):
        artist_tracks[name] = ids[start:end]
        start = end
    artist_to_item = {a: int(i) for a, i in zip(names, arrays["artist_item"].tolist(), strict=True) if i >= 0}
    pred_names = cache_strings.unstrings(arrays, "pred_")
    return {
        "artist_to_item": artist_to_item,
        "artist_tracks": artist_tracks,
        "predicted": dict(zip(pred_names, arrays["pred_matrix"], strict=True)),
        "audio_ids": arrays["audio_ids"],
        "prepared": (arrays["audio"], arrays["audio_ok"]) if "audio" in arrays else None,
    }


def _check(bundle: Any, arrays: dict[str, np.ndarray]) -> None:
    """Raise ``disk_cache.Doubt`` unless the cached index's arrays fit together and the bundle."""
    require, finite, within = disk_cache.require, disk_cache.finite, disk_cache.within
    items = arrays["artist_item"]
    ends, ids = arrays["track_ends"], arrays["track_ids"]
    n_artists = len(arrays["artists_ends"])
    require(items.shape == (n_artists,) and ends.shape == (n_artists,) and ids.ndim == 1, "artist arrays")
    require(within(items, -1, bundle.n_items if bundle is not None else 0), "artist items")
    require(within(ends, 0, len(ids) + 1) and bool((np.diff(ends) >= 0).all()), "track ends")
    require(n_artists == 0 or int(ends[-1]) == len(ids), "track ends")
    k = bundle.k if bundle is not None else 0
    pred = arrays["pred_matrix"]
    require(pred.ndim == 2 and pred.shape == (len(arrays["pred_ends"]), k) and finite(pred), "predicted")
    audio_ids = arrays["audio_ids"]
    require(audio_ids.ndim == 1 and audio_ids.dtype.kind in "iu", "audio ids")
    if "audio" in arrays:
        audio, ok = arrays["audio"], arrays["audio_ok"]
        require(audio.ndim == 2 and len(audio) == len(audio_ids) and finite(audio), "audio")
        require(ok.shape == (len(audio_ids),) and ok.dtype == bool, "audio mask")
