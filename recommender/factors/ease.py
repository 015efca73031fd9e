"""The pruned EASE item-item weights shipped beside the factor bundle (``lastfm2k-ease.npz``): the
third part of the shipped model's blend (``recommender.factors.scorer.ModelScorer``).

Why a separate file: the factor bundle is rebuilt on its own (tag placement, the bridge), and a model
that is absent, damaged or built for another catalogue must only cost its gain, never the
recommendations: the scorer then falls back to the WMF + RP3beta blend (one warning on stderr).

Format (read with ``allow_pickle=False``): ``indptr`` int32 [n + 1], ``indices`` int32, ``data``
float16 (CSR of the weights, row = the played artist, column = the scored one), ``meta`` a JSON string
with ``format``, ``n_items``, ``items_sha1`` (SHA-1 of the bundle's ``item_ids``: a file built for
another catalogue is refused), ``weight`` (its weight in the blend) and the fit's settings.

API: ``ease_path_for(bundle_path)``, ``items_fingerprint(item_ids)``, ``save_ease(path, weights,
item_ids, meta)``, ``read_ease(path, item_ids) -> (CsrRows, meta)``, ``EaseError``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from player.files import MIB
from recommender.factors.side_file import read_side_file

FORMAT = 1
MAX_EASE_BYTES = 256 * MIB


class EaseError(ValueError):
    """An EASE file that is damaged, tampered with or built for another catalogue."""

    user_facing = True


def ease_path_for(bundle_path: str | os.PathLike[str]) -> Path:
    """``$ENCORE_EASE`` if set, else the bundle's sibling: ``x-wmf.npz`` -> ``x-ease.npz``."""
    env = os.environ.get("ENCORE_EASE")
    if env:
        return Path(env).expanduser()
    p = Path(bundle_path)
    stem = p.name[: -len(".npz")] if p.name.endswith(".npz") else p.name
    stem = stem[: -len("-wmf")] if stem.endswith("-wmf") else stem
    return p.with_name(f"{stem}-ease.npz")


def items_fingerprint(item_ids: np.ndarray) -> str:
    """SHA-1 of the catalogue's item ids in order (what ties the weights to one bundle)."""
    return hashlib.sha1("\n".join(str(i) for i in np.asarray(item_ids)).encode("utf-8")).hexdigest()


def save_ease(path: str | os.PathLike[str], weights: Any, item_ids: np.ndarray, meta: dict[str, Any]) -> Path:
    """Write the CSR ``weights`` (scipy or ``CsrRows``) as float16 with the catalogue's fingerprint (no
    pickle)."""
    import scipy.sparse as sp

    from recommender.csr import CsrRows

    w = sp.csr_matrix(CsrRows.of(weights).to_scipy(), copy=True)
    w.sort_indices()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    full = {**meta, "format": FORMAT, "n_items": int(w.shape[0]), "items_sha1": items_fingerprint(item_ids)}
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp,
        indptr=w.indptr.astype(np.int32),
        indices=w.indices.astype(np.int32),
        data=w.data.astype(np.float16),
        meta=np.array(json.dumps(full, sort_keys=True)),
    )
    os.replace(tmp, path)
    return path


def read_ease(path: str | os.PathLike[str], item_ids: np.ndarray) -> tuple[Any, dict[str, Any]]:
    """The weights (float32 ``CsrRows`` [n, n]) and meta; ``EaseError`` says what is wrong with a bad file."""
    from recommender.csr import CsrRows

    path = Path(path)
    n = len(item_ids)

    def refuse(why: str) -> None:
        raise EaseError(f"{path}: {why}")

    def check(arrays: dict[str, np.ndarray], meta: Any) -> None:
        indptr, indices, data = arrays["indptr"], arrays["indices"], arrays["data"]
        if not isinstance(meta, dict) or int(meta.get("format", 0)) != FORMAT:
            refuse(f"unknown EASE format {meta.get('format') if isinstance(meta, dict) else meta!r}")
        if int(meta.get("n_items", -1)) != n or meta.get("items_sha1") != items_fingerprint(item_ids):
            refuse("built for another catalogue than the factor bundle's (item ids differ)")
        if indptr.dtype.kind != "i" or indices.dtype.kind != "i" or data.dtype.kind != "f":
            refuse("arrays of the wrong type")
        if indptr.shape != (n + 1,) or indptr[0] != 0 or np.any(np.diff(indptr) < 0):
            refuse("a damaged row index (indptr)")
        if indices.shape != data.shape or int(indptr[-1]) != len(indices):
            refuse("row index and weights disagree in length")
        if len(indices) and (indices.min() < 0 or indices.max() >= n):
            refuse("a column outside the catalogue")
        if not np.all(np.isfinite(data)):
            refuse("non-finite weights")
        weight = meta.get("weight")
        if not isinstance(weight, (int, float)) or not np.isfinite(weight) or weight < 0:
            refuse(f"a bad blend weight {weight!r}")

    arrays, meta = read_side_file(
        path, ("indptr", "indices", "data"), MAX_EASE_BYTES, EaseError, "EASE", check=check
    )
    indptr, indices, data = arrays["indptr"], arrays["indices"], arrays["data"]
    return CsrRows(data.astype(np.float32), indices, indptr, (n, n)), meta
