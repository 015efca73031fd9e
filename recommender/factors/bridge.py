"""Audio-to-factor bridge: predict an artist's WMF factors from the 50 musicnn tag probabilities.

Cold start in the spirit of van den Oord, Dieleman & Schrauwen (2013): most local artists (indie,
game music) are not in the bundle, but the audio model tags their tracks with the same 50 Last.fm tags
that MSD_musicnn was trained on. We learn a regression from an artist's tag profile to its WMF
factor vector on bundle artists, using each artist's Last.fm tag profile (``user_taggedartists.dat``
mapped onto the 50-tag vocabulary) as the stand-in for audio tags, and apply it to the per-artist mean
of the audio tag probabilities of unmatched library artists.

The two inputs live on different scales (tag counts vs. sigmoid probabilities), so both are brought to
the same shape first: divide by the profile's largest entry (top tag = 1), then square-root (counts are
heavy-tailed), then L2-normalise. Features are that vector plus a bias.

The prediction averages two estimators: the ridge regression (smooth, but pulled toward the mean
factor) and a k-nearest-neighbour regression (the popularity-weighted mean factor of the ``knn`` bundle
artists whose tag profiles are most similar, similarity raised to ``knn_power``), which keeps the
sharper directions of real artists; the mix beats either alone on held-out artists.

The regression (``bridge_*`` arrays in the bundle) and its held-out evaluation (``meta["bridge"]``) are
made by ``fit_bridge`` at pretraining time.

API: ``MUSICNN_TAGS``, ``tag_profile_matrix(artist_ids, artist_tags)``, ``fit_bridge(bundle, tags)``,
``predict_artist_factors(tag_probs, bundle=None) -> [n, k]``, ``artist_audio_tags(store, match)``,
``audio_factors_for_unmatched(store, bundle, match)``; for loaders that already hold the analysis:
``rows_by_artist``, ``bridge_unmatched``, ``bridged_factors``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from player.store.core import Store
    from recommender.factors.bundle import Bundle
    from recommender.factors.match import LibraryMatch

# The MSD_musicnn output vocabulary, in output order (checked against resources/musicnn/msd_tags.json).
MUSICNN_TAGS: tuple[str, ...] = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock", "soul",
    "indie rock", "Mellow", "electronica", "80s", "folk", "90s", "chill", "instrumental", "punk", "oldies",
    "blues", "hard rock", "ambient", "acoustic", "experimental", "female vocalist", "guitar", "Hip-Hop",
    "70s", "party", "country", "easy listening", "sexy", "catchy", "funk", "electro", "heavy metal",
    "Progressive rock", "60s", "rnb", "indie pop", "sad", "House", "happy",
)  # fmt: skip

# Free-text Last.fm spellings folded onto a vocabulary entry (after ``_tag_key``).
_ALIASES = {
    "hiphop": "hiphop",
    "rap": None,
    "rb": "rnb",
    "rnb": "rnb",
    "rhythmandblues": "rnb",
    "chillout": "chillout",
    "progrock": "progressiverock",
    "00s": "00s",
    "2000s": "00s",
    "1980s": "80s",
    "1990s": "90s",
    "1970s": "70s",
    "1960s": "60s",
    "housemusic": "house",
    "femalevocals": "femalevocalists",
    "malevocals": "malevocalists",
    "malevocalist": "malevocalists",
}


def _tag_key(tag: str) -> str:
    return re.sub(r"[^0-9a-z]", "", tag.casefold())


_VOCAB_INDEX = {_tag_key(t): j for j, t in enumerate(MUSICNN_TAGS)}


def vocab_index(tag: str) -> int | None:
    """Position of a free-text tag in ``MUSICNN_TAGS`` (case/punctuation-insensitive), or None."""
    key = _tag_key(tag)
    if key in _ALIASES:
        alias = _ALIASES[key]
        if alias is None:
            return None
        key = alias
    return _VOCAB_INDEX.get(key)


def tag_profile_matrix(artist_ids: np.ndarray, artist_tags: dict[str, dict[str, int]]) -> np.ndarray:
    """[n, 50] counts of each artist's Last.fm tag applications that fall in the vocabulary."""
    out = np.zeros((len(artist_ids), len(MUSICNN_TAGS)), dtype=np.float64)
    for row, aid in enumerate(artist_ids):
        for tag, n in artist_tags.get(str(aid), {}).items():
            j = vocab_index(tag)
            if j is not None:
                out[row, j] += n
    return out


def features(profiles: np.ndarray) -> np.ndarray:
    """Scale-free features of tag profiles or tag probabilities: max-normalise, sqrt, L2, + bias."""
    x = np.atleast_2d(np.asarray(profiles, dtype=np.float64)).clip(min=0.0)
    top = x.max(axis=1, keepdims=True)
    top[top == 0] = 1.0
    x = np.sqrt(x / top)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    norm[norm == 0] = 1.0
    return np.hstack([x / norm, np.ones((len(x), 1))])


def _ridge(x: np.ndarray, y: np.ndarray, w: np.ndarray, lam: float) -> np.ndarray:
    xw = x * w[:, None]
    a = x.T @ xw + lam * np.eye(x.shape[1])
    a[-1, -1] -= lam  # leave the bias unpenalised
    return np.linalg.solve(a, xw.T @ y)


def _cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    na = np.linalg.norm(a, axis=1)
    nb = np.linalg.norm(b, axis=1)
    return (a * b).sum(axis=1) / np.maximum(na * nb, 1e-12)


def neighbour_recall(
    bundle_factors: np.ndarray, items: np.ndarray, predicted: np.ndarray, k: int = 20, batch: int = 256
) -> float:
    """Mean |top-k by predicted vector ∩ top-k by true vector| / k (cosine, the item itself excluded)."""
    y = bundle_factors / np.maximum(np.linalg.norm(bundle_factors, axis=1, keepdims=True), 1e-12)
    p = predicted / np.maximum(np.linalg.norm(predicted, axis=1, keepdims=True), 1e-12)
    items = np.asarray(items, dtype=np.int64)
    total = 0.0
    for start in range(0, len(items), batch):
        idx = items[start : start + batch]
        rows = np.arange(len(idx))
        true = y[idx] @ y.T
        pred = p[start : start + batch] @ y.T
        true[rows, idx] = -np.inf
        pred[rows, idx] = -np.inf
        t = np.argpartition(-true, k, axis=1)[:, :k]
        q = np.argpartition(-pred, k, axis=1)[:, :k]
        for a, b in zip(t, q, strict=True):
            total += len(np.intersect1d(a, b)) / k
    return total / len(items)


KNN = 10
KNN_POWER = 4.0


def _knn_predict(
    x: np.ndarray, profiles: np.ndarray, factors: np.ndarray, weights: np.ndarray, k: int, power: float
) -> np.ndarray:
    sims = x[:, :-1] @ profiles.T
    k = min(k, len(profiles))
    idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    sw = np.clip(np.take_along_axis(sims, idx, axis=1), 0.0, None) ** power * weights[idx]
    sw[sw.sum(axis=1) == 0] = 1.0
    return np.einsum("ij,ijk->ik", sw, factors[idx]) / sw.sum(axis=1, keepdims=True)


def _mix(ridge: np.ndarray, knn: np.ndarray) -> np.ndarray:
    """Half each; the ridge part rescaled to the kNN part's norm (ridge shrinks norms toward the mean)."""
    rn = np.maximum(np.linalg.norm(ridge, axis=1, keepdims=True), 1e-12)
    return 0.5 * ridge / rn * np.linalg.norm(knn, axis=1, keepdims=True) + 0.5 * knn


def fit_bridge(
    bundle: Bundle,
    artist_tags: dict[str, dict[str, int]],
    seed: int = 0,
    min_tag_count: int = 3,
    lambdas: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0, 10.0),
    holdout: float = 0.2,
) -> tuple[dict[str, np.ndarray], dict]:
    """Fit the bridge on bundle artists with ≥ ``min_tag_count`` in-vocabulary tag applications.

    λ is chosen on a validation slice of the training artists; figures are measured on ``holdout``
    of the artists never used for fitting or choosing λ; the shipped bridge is refit on all.
    """
    profiles = tag_profile_matrix(bundle.item_ids, artist_tags)
    usable = np.flatnonzero(profiles.sum(axis=1) >= min_tag_count)
    if len(usable) < 50:
        raise ValueError(f"only {len(usable)} bundle artists have tag profiles; cannot fit the bridge")
    x_all = features(profiles[usable])
    y_all = bundle.item_factors[usable].astype(np.float64)
    w_all = np.log1p(bundle.popularity[usable].astype(np.float64))  # well-heard artists: reliable factors
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(usable))
    n_test = int(round(holdout * len(usable)))
    test, rest = order[:n_test], order[n_test:]
    n_val = len(rest) // 5
    val, fit = rest[:n_val], rest[n_val:]
    scores = {}
    for lam in lambdas:
        w = _ridge(x_all[fit], y_all[fit], w_all[fit], lam)
        scores[lam] = float(_cosine_rows(x_all[val] @ w, y_all[val]).mean())
    lam = max(scores, key=scores.get)
    w = _ridge(x_all[rest], y_all[rest], w_all[rest], lam)
    ridge = x_all[test] @ w
    knn = _knn_predict(x_all[test], x_all[rest, :-1], y_all[rest], w_all[rest], KNN, KNN_POWER)
    pred = _mix(ridge, knn)
    items_test = usable[test]
    y_full = bundle.item_factors.astype(np.float64)
    mean_vec = np.tile(y_all[rest].mean(axis=0), (len(test), 1))
    # Random baseline for neighbour recall: k random items hit k/(n-1) of the true top-k on average.
    report = {
        "artists_with_tags": int(len(usable)),
        "trained_on": int(len(rest)),
        "held_out": int(n_test),
        "lambda": lam,
        "knn": KNN,
        "knn_power": KNN_POWER,
        "cosine_mean": round(float(_cosine_rows(pred, y_all[test]).mean()), 4),
        "cosine_mean_ridge_only": round(float(_cosine_rows(ridge, y_all[test]).mean()), 4),
        "cosine_mean_baseline_mean_vector": round(float(_cosine_rows(mean_vec, y_all[test]).mean()), 4),
        "recall@20_neighbours": round(neighbour_recall(y_full, items_test, pred, 20), 4),
        "recall@20_neighbours_ridge_only": round(neighbour_recall(y_full, items_test, ridge, 20), 4),
        "recall@20_neighbours_mean_vector": round(neighbour_recall(y_full, items_test, mean_vec, 20), 4),
        "recall@20_neighbours_random": round(20 / (bundle.n_items - 1), 5),
        "features": "sqrt(profile / max) L2-normalised + bias; ridge weighted by log(1 + listeners), "
        "mixed half and half with a tag-profile kNN regression",
    }
    w_final = _ridge(x_all, y_all, w_all, lam)
    arrays = {
        "weights": w_final.astype(np.float32),
        "vocab": np.array(MUSICNN_TAGS, dtype=str),
        "profiles": x_all[:, :-1].astype(np.float32),
        "items": usable.astype(np.int32),
        "item_weights": w_all.astype(np.float32),
    }
    return arrays, report


def predict_artist_factors(tag_probs: np.ndarray, bundle: Bundle | None = None) -> np.ndarray:
    """Predicted factor vectors [n, k] (float32) for tag-probability rows [n, 50] in MUSICNN_TAGS order."""
    if bundle is None:
        from recommender.factors.bundle import load_bundle

        bundle = load_bundle()
    if "weights" not in bundle.bridge:
        raise ValueError("this factor bundle has no audio bridge (pretrain it from Last.fm data with tags)")
    probs = np.atleast_2d(np.asarray(tag_probs, dtype=np.float64))
    if probs.shape[1] != len(MUSICNN_TAGS):
        raise ValueError(f"expected {len(MUSICNN_TAGS)} tag probabilities per row, got {probs.shape[1]}")
    x = features(probs)
    pred = x @ bundle.bridge["weights"].astype(np.float64)
    if "profiles" in bundle.bridge:
        items = bundle.bridge["items"].astype(np.int64)
        knn = _knn_predict(
            x,
            bundle.bridge["profiles"].astype(np.float64),
            bundle.item_factors[items].astype(np.float64),
            bundle.bridge["item_weights"].astype(np.float64),
            KNN,
            KNN_POWER,
        )
        pred = _mix(pred, knn)
    return pred.astype(np.float32)


def artist_audio_tags(store: Store, match: LibraryMatch) -> dict[str, np.ndarray]:
    """Local artist -> mean audio tag probabilities [50] over its analysed tracks (empty if none)."""
    try:
        from player.store.analysis import load_analysis_matrix
    except ImportError:  # the audio analysis is not part of this build
        return {}
    track_ids, _emb, tags = load_analysis_matrix(store)
    if len(track_ids) == 0 or tags.ndim != 2 or tags.shape[1] != len(MUSICNN_TAGS):
        return {}
    groups: dict[str, list[int]] = {}
    for row, tid in enumerate(track_ids):
        artist = match.track_artist.get(int(tid))
        if artist is not None:
            groups.setdefault(artist, []).append(row)
    return {a: tags[rows].mean(axis=0) for a, rows in groups.items()}


def audio_factors_for_unmatched(store: Store, bundle: Bundle, match: LibraryMatch) -> dict[str, np.ndarray]:
    """Predicted factor vectors for library artists the bundle does not know but the audio model analysed."""
    if "weights" not in bundle.bridge:
        return {}
    tags = artist_audio_tags(store, match)
    names = [a for a in match.unmatched if a in tags]
    if not names:
        return {}
    pred = predict_artist_factors(np.stack([tags[a] for a in names]), bundle)
    return dict(zip(names, pred, strict=True))


def bridged_factors(bundle: Bundle, names: list[str], profiles: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Artist name -> factors predicted from its mean audio tag profile; {} without a bridge."""
    if not names:
        return {}
    try:
        predicted = np.asarray(predict_artist_factors(np.vstack(profiles), bundle), dtype=np.float32)
    except ValueError:  # a bundle without a bridge
        return {}
    return dict(zip(names, predicted, strict=True))


def rows_by_artist(local_in_order: np.ndarray, rows_in_order: np.ndarray, n_locals: int) -> list[np.ndarray]:
    """Rows of each local artist (an index into the match's artists; -1: none), in the given (track id)
    order, the order the match lists its tracks: grouped once, with one sort, for 100k tracks."""
    keep = local_in_order >= 0
    locals_kept = local_in_order[keep]
    rows_kept = rows_in_order[keep]
    by = np.argsort(locals_kept, kind="stable")
    bounds = np.searchsorted(locals_kept[by], np.arange(n_locals + 1))
    ordered = rows_kept[by]
    return [ordered[bounds[j] : bounds[j + 1]] for j in range(n_locals)]


def bridge_unmatched(
    match: LibraryMatch,
    local_id: dict[str, int],
    analysed: list[np.ndarray],
    tag_probs: np.ndarray,
    bundle: Bundle,
) -> dict[str, np.ndarray]:
    """Factors for the match's unmatched artists from the mean audio tags of their analysed rows
    (``analysed``: rows per local artist, as ``rows_by_artist`` groups them)."""
    names, profiles = [], []
    for artist in match.unmatched:
        rows = analysed[local_id[artist]]
        if len(rows):
            names.append(artist)
            profiles.append(tag_probs[rows].mean(axis=0))
    return bridged_factors(bundle, names, profiles)
