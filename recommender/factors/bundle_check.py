"""Refusing a damaged or tampered factor bundle at load: every array checked against the others.

Why a module of its own: what a bundle must satisfy (shapes, index ranges, finite numbers, sane
magnitudes, hyper-parameters in range) is one long list that only grows as the bundle gains arrays, and
it is the same whether the arrays came from the file or from its copy in the user cache
(``recommender.factors.bundle_file`` reads both and asks this module).

API: ``BundleError``, ``MAX_FACTOR``, ``validate_bundle(bundle, path)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from recommender.factors.bundle import Bundle


class BundleError(ValueError):
    """A bundle file that is damaged or tampered with (missing, short, object or non-finite arrays)."""

    user_facing = True  # main() prints the message instead of a traceback


MAX_FACTOR = 1e4
"""The largest magnitude a factor may have (the shipped ones stay under 2): far above any trained
model, far below where the fold-in's Gram matrix (a sum of n squared factors, float32) overflows."""


def validate_bundle(bundle: Bundle, path: Path) -> None:
    """Refuse a bundle whose arrays would fail or mislead later, at load, so that a refused bundle means
    audio-only with one warning instead of an IndexError, a LinAlgError or ``nan`` scores deep in the
    radio, ``similar``, For you or the GUI's panels: every array's shape against the others, every
    index in range, every number finite, factors of a sane magnitude, counts and popularity >= 0."""

    def refuse(message: str) -> None:
        raise BundleError(f"{path}: {message}")

    def numeric(name: str, array: np.ndarray, kind: str = "fiu") -> None:
        if array.dtype.kind not in kind:
            refuse(f"{name} must be numeric ({kind}), not {array.dtype}")
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            refuse(f"{name} holds NaN or infinite values")

    y = bundle.item_factors
    if y.ndim != 2 or y.shape[0] == 0 or y.shape[1] == 0 or not np.issubdtype(y.dtype, np.floating):
        refuse(f"item_factors must be a non-empty 2-D float array, not {y.dtype} {y.shape}")
    if not np.isfinite(y).all():
        refuse("item_factors hold NaN or infinite values")
    if float(np.abs(y).max()) > MAX_FACTOR:
        refuse(f"item_factors reach {float(np.abs(y).max()):.3g}, beyond the sane {MAX_FACTOR:g}")
    n, k = y.shape
    for name in ("item_ids", "names", "keys", "mbids", "popularity"):
        array = getattr(bundle, name)
        if array.ndim != 1 or len(array) != n:
            refuse(f"{name} has {array.shape} entries for {n} items")
    for name in ("item_ids", "names", "keys", "mbids"):
        if getattr(bundle, name).dtype.kind not in "US":
            refuse(f"{name} must be text, not {getattr(bundle, name).dtype}")
    numeric("popularity", bundle.popularity)
    if (bundle.popularity < 0).any():
        refuse("popularity holds negative values")
    _validate_training(bundle, n, refuse, numeric)
    _validate_bridge(bundle, n, k, refuse, numeric)
    _validate_meta(bundle, refuse)


def _validate_training(bundle: Bundle, n: int, refuse: Any, numeric: Any) -> None:
    """The anonymised training rows: all three arrays or none, a well-formed CSR over ``n`` items."""
    parts = (bundle.train_indptr, bundle.train_indices, bundle.train_counts)
    if all(p is None for p in parts):
        return
    if any(p is None for p in parts):
        refuse("training arrays are incomplete")
    indptr, indices, counts = parts
    if indptr.ndim != 1 or indices.ndim != 1 or counts.ndim != 1 or len(indptr) < 1:
        refuse("training arrays must be 1-D")
    numeric("train_indptr", indptr, "iu")
    numeric("train_indices", indices, "iu")
    numeric("train_counts", counts)
    if len(counts) != len(indices) or int(indptr[0]) != 0 or int(indptr[-1]) != len(indices):
        refuse("training arrays disagree in length")
    if (np.diff(indptr.astype(np.int64)) < 0).any():
        refuse("train_indptr is not non-decreasing")
    if len(indices) and (int(indices.min()) < 0 or int(indices.max()) >= n):
        refuse("training arrays name items the bundle does not have")
    if len(counts) and (counts < 0).any():
        refuse("train_counts holds negative values")
    rows = len(indptr) - 1
    n_user_rows = bundle.meta.get("n_user_rows", rows)
    if type(n_user_rows) is not int or not 0 <= n_user_rows <= rows:
        refuse(f"meta n_user_rows {n_user_rows!r} is not a row count in [0, {rows}]")


def _validate_bridge(bundle: Bundle, n: int, k: int, refuse: Any, numeric: Any) -> None:
    """The audio bridge (``recommender.factors.bridge``): ridge weights [51, k]; the kNN part's tag
    profiles [m, 50], their items (indices < n) and weights >= 0, all together or none; the catalogue's
    tag vocabulary (``recommender.factors.genre``): one text name per tag pseudo-listener row."""
    from recommender.audio.weights import MUSICNN_TAGS

    bridge = bundle.bridge
    tags = len(MUSICNN_TAGS)
    if "tag_names" in bridge:
        names = bridge["tag_names"]
        if names.dtype.kind != "U" or names.ndim != 1:
            refuse(f"bridge_tag_names must be a 1-D text array, not {names.dtype} {names.shape}")
        indptr = bundle.train_indptr
        rows = 0 if indptr is None else len(indptr) - 1 - int(bundle.meta.get("n_user_rows", len(indptr) - 1))
        if len(names) != rows:
            refuse(f"bridge_tag_names has {len(names)} names for {rows} tag rows")
    for name, array in bridge.items():
        if name not in ("vocab", "tag_names"):
            numeric(f"bridge_{name}", array)
            if array.dtype.kind == "f" and array.size and float(np.abs(array).max()) > MAX_FACTOR:
                refuse(f"bridge_{name} reaches beyond the sane {MAX_FACTOR:g}")
    if "vocab" in bridge and (bridge["vocab"].dtype.kind not in "US" or bridge["vocab"].shape != (tags,)):
        refuse(f"bridge_vocab must be {tags} tag names, not {bridge['vocab'].dtype} {bridge['vocab'].shape}")
    if "weights" in bridge and bridge["weights"].shape != (tags + 1, k):
        refuse(f"bridge_weights has shape {bridge['weights'].shape}, not {(tags + 1, k)}")
    knn = [name for name in ("profiles", "items", "item_weights") if name in bridge]
    if not knn:
        return
    if len(knn) != 3:
        refuse("bridge_profiles, bridge_items and bridge_item_weights come together")
    profiles, items, weights = bridge["profiles"], bridge["items"], bridge["item_weights"]
    m = len(items)
    if profiles.shape != (m, tags) or items.ndim != 1 or weights.shape != (m,) or m == 0:
        refuse(
            f"the bridge's kNN arrays disagree: profiles {profiles.shape}, items {items.shape}, "
            f"item_weights {weights.shape}"
        )
    if items.dtype.kind not in "iu" or int(items.min()) < 0 or int(items.max()) >= n:
        refuse("bridge_items name items the bundle does not have")
    if (profiles < 0).any() or (weights < 0).any():
        refuse("the bridge's profiles or item weights hold negative values")


def _validate_meta(bundle: Bundle, refuse: Any) -> None:
    """The hyper-parameters the run-time model reads: finite numbers in their ranges."""
    hyper = bundle.meta.get("hyperparameters", {})
    if not isinstance(hyper, dict):
        refuse("meta hyperparameters is not an object")
    ranges = {
        "alpha": (0.0, 1e6),
        "eps": (1e-12, 1e12),
        "regularization": (0.0, 1e12),
        "knn_neighbours": (1, 1e6),
    }
    for name, (lo, hi) in ranges.items():
        if name not in hyper:
            continue
        value = hyper[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            refuse(f"meta hyperparameters {name} = {value!r} is not a number in [{lo:g}, {hi:g}]")
