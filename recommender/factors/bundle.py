"""The pretrained factor bundle: one ``.npz`` file (read with ``allow_pickle=False``, so loading it can
never run code) holding everything the on-device recommender needs from pretraining.

Arrays: ``item_factors`` float32 [n, k]; ``item_ids``, ``names``, ``keys`` (``match.normalise_artist``
of each item's artist), ``mbids`` (MusicBrainz artist ids or ""), ``popularity`` int32 (training
listeners); ``train_indptr/train_indices/train_counts`` the anonymised training rows (the first
``meta["n_user_rows"]`` are listeners without ids, the rest tag pseudo-listeners) which the RP3beta part
of the model and the evaluation baselines need; optional ``bridge_*``
arrays (the audio-tag -> factor regression, ``recommender.factors.bridge``, and ``bridge_tag_names``: the
Last.fm tag each tag pseudo-listener row is, in row order, so the run time can place an unknown artist by
its files' genre words, ``recommender.factors.genre``); ``meta`` a JSON string with
``format``, ``version``, source, level, hyper-parameters, licence notice and evaluation figures.

API: ``default_bundle_path()``, ``load_bundle(path=None) -> Bundle`` (cached per path, the file is read
once), ``save_bundle(bundle, path)``, and on ``Bundle``: ``item_factors``, ``names``, ``keys``,
``popularity``, ``meta``, ``k``, ``key_index``, ``mbid_index``, ``foldin`` (a cached ``FoldIn``),
``confidence(counts)``, ``user_vector(items, counts)``, ``similar_items(i, n)``, ``item_similarity``
(sparse item-kNN cosine), ``model`` (the shipped model: scores users, also for evaluation),
``train_matrix`` / ``user_matrix``, ``tag_names`` and ``tag_vocabulary`` (genre words -> tag rows).
"""

from __future__ import annotations

import functools
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from player.files import MIB, open_regular
from recommender.factors.notice import warn_once
from recommender.ranking import top_k

_CACHED_BY = (
    "recommender/factors/bundle.py",
    "recommender/evaluation.py",
    "recommender/disk_cache.py",
    "recommender/array_file.py",
    "player/files.py",
)
"""The code behind the bundle's caches in the user cache folder (its uncompressed arrays, its item-kNN):
part of their keys, so an edit to any of these files never reads an old cache."""

FORMAT = 1
BUNDLE_NAME = "lastfm2k-wmf.npz"
MAX_BUNDLE_BYTES = 1024 * MIB
"""The largest bundle file opened (the shipped one is 4.6 MB): checked before reading, and only a regular
file is opened at all, so ``ENCORE_FACTORS`` naming ``/dev/zero`` or a FIFO is refused at once."""
_LOCK = threading.Lock()


def default_bundle_path() -> Path:
    """``$ENCORE_FACTORS`` if set, else ``resources/factors/lastfm2k-wmf.npz`` in the source tree."""
    env = os.environ.get("ENCORE_FACTORS")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[2] / "resources" / "factors" / BUNDLE_NAME


@dataclass(eq=False)
class Bundle:
    item_factors: np.ndarray
    item_ids: np.ndarray
    names: np.ndarray
    keys: np.ndarray
    mbids: np.ndarray
    popularity: np.ndarray
    meta: dict[str, Any]
    train_indptr: np.ndarray | None = None
    train_indices: np.ndarray | None = None
    train_counts: np.ndarray | None = None
    bridge: dict[str, np.ndarray] = field(default_factory=dict)
    path: Path | None = None
    ease: tuple[Any, dict[str, Any]] | None = None
    """Pruned EASE weights and their meta (``recommender.factors.ease``): set by training, or read from
    the bundle's sibling file when the model is first built."""
    ranker: tuple[Any, dict[str, Any]] | None = None
    """The learned re-ranker's trees and meta (``recommender.factors.ranker``), likewise."""

    # --- shape -------------------------------------------------------------------------------------
    @property
    def n_items(self) -> int:
        return int(self.item_factors.shape[0])

    @property
    def k(self) -> int:
        return int(self.item_factors.shape[1])

    @property
    def hyper(self) -> dict[str, Any]:
        return self.meta.get("hyperparameters", {})

    # --- lookups (built once) ----------------------------------------------------------------------
    @functools.cached_property
    def key_index(self) -> dict[str, int]:
        """Match key -> item; on a key collision the most popular item wins."""
        return _first_of_each([str(k) for k in np.asarray(self.keys).tolist()], self.popularity)

    @functools.cached_property
    def mbid_index(self) -> dict[str, int]:
        return _first_of_each(
            [str(m).strip().lower() for m in np.asarray(self.mbids).tolist()], self.popularity
        )

    @functools.cached_property
    def normalised_factors(self) -> np.ndarray:
        y = self.item_factors.astype(np.float32)
        norms = np.linalg.norm(y, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return y / norms

    # --- model -------------------------------------------------------------------------------------
    @functools.cached_property
    def foldin(self):
        from recommender.factors.foldin import FoldIn

        return FoldIn(self.item_factors, float(self.hyper.get("regularization", 1.0)))

    def confidence(self, counts: np.ndarray) -> np.ndarray:
        """Confidence of play counts under the bundle's weighting (``c = 1 + α·log(1 + r/ε)``)."""
        from recommender.factors.foldin import confidence

        return confidence(counts, float(self.hyper.get("alpha", 1.0)), float(self.hyper.get("eps", 1.0)))

    def user_vector(self, items: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Fold in a user given item indices and their play counts (the ALS user step)."""
        return self.foldin.solve(np.asarray(items), self.confidence(counts))

    @property
    def train_rows(self):
        """The anonymised training rows (listeners, then tag pseudo-listeners) as ``CsrRows``, or ``None``."""
        if self.train_indptr is None:
            return None
        from recommender.csr import CsrRows

        n_users = len(self.train_indptr) - 1
        return CsrRows(self.train_counts, self.train_indices, self.train_indptr, (n_users, self.n_items))

    @property
    def train_matrix(self):
        """``train_rows`` as a scipy CSR matrix, or ``None``."""
        rows = self.train_rows
        return None if rows is None else rows.to_scipy()

    @property
    def user_matrix(self):
        """The training listeners' rows only (without tag pseudo-listener rows), or ``None``."""
        train = self.train_matrix
        if train is None:
            return None
        return train[: int(self.meta.get("n_user_rows", train.shape[0]))]

    @property
    def tag_names(self) -> np.ndarray | None:
        """The Last.fm tag of each tag pseudo-listener row (``bridge_tag_names``), or ``None``."""
        return self.bridge.get("tag_names")

    @functools.cached_property
    def item_similarity(self):
        """Sparse item-kNN cosine (top neighbours per item) from the training listeners, or ``None``."""
        arrays = self.item_similarity_arrays
        if arrays is None:
            return None
        import scipy.sparse as sp

        indptr, indices, data = arrays
        return sp.csr_matrix((data, indices, indptr), shape=(self.n_items, self.n_items))

    @functools.cached_property
    def item_similarity_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``item_similarity`` as CSR arrays (indptr, indices, data), or ``None``.

        Computing it costs about a second (a 15k x 15k sparse product and a top-k per row) and it
        depends on the bundle file alone, so it is kept in the user cache folder under the file's
        identity (``recommender.disk_cache``) and read back in milliseconds, without scipy."""
        if self.train_indptr is None:
            return None
        from recommender import disk_cache

        path = key = None
        if self.path is not None:
            try:
                neighbours = self.hyper.get("knn_neighbours", 200)
                path, key = disk_cache.file_copy(
                    Path(self.path),
                    Path(self.path).stat(),
                    _CACHED_BY,
                    "bundle-{}.knn.arrays",
                    f"|{neighbours}",
                )
            except OSError:
                path = key = None
        cached = disk_cache.load_file(path, key)
        if cached is not None and self._knn_fits(cached):
            return cached["indptr"], cached["indices"], cached["data"]
        train = self.user_matrix
        if train is None:
            return None
        from recommender.evaluation import ItemKNNScorer

        sim = ItemKNNScorer(train, int(self.hyper.get("knn_neighbours", 200))).similarity
        arrays = (sim.indptr, sim.indices, sim.data)
        disk_cache.save_file(
            path,
            key,
            {"indptr": sim.indptr, "indices": sim.indices, "data": sim.data},
            replaces=path.with_suffix(".npz") if path is not None else None,  # its name before stop 24
        )
        return arrays

    def _knn_fits(self, arrays: dict[str, np.ndarray]) -> bool:
        """A cached item-kNN is a CSR over the bundle's items with finite weights; anything else (a
        tampered file under a valid key) is computed again and overwritten."""
        from recommender import disk_cache

        if not {"indptr", "indices", "data"} <= set(arrays):
            return False
        indptr, indices, data = arrays["indptr"], arrays["indices"], arrays["data"]
        n = self.n_items
        return (
            indptr.shape == (n + 1,)
            and indices.ndim == 1
            and data.shape == indices.shape
            and disk_cache.within(indptr, 0, len(indices) + 1)
            and int(indptr[0]) == 0
            and int(indptr[-1]) == len(indices)
            and bool((np.diff(indptr) >= 0).all())
            and disk_cache.within(indices, 0, n)
            and data.dtype.kind == "f"
            and disk_cache.finite(data)
        )

    def item_similarity_row(self, item: int) -> np.ndarray | None:
        """Row ``item`` of ``item_similarity`` as a dense float64 vector [n_items], or ``None``."""
        arrays = self.item_similarity_arrays
        if arrays is None:
            return None
        indptr, indices, data = arrays
        row = np.zeros(self.n_items, dtype=np.float64)
        lo, hi = indptr[item], indptr[item + 1]
        row[indices[lo:hi]] = data[lo:hi]
        return row

    def similar_items(self, item: int, n: int = 10) -> list[tuple[int, float]]:
        """Nearest items to ``item`` by cosine in factor space, best first (the item itself excluded)."""
        y = self.normalised_factors
        sims = y @ y[item]
        return [(int(i), float(sims[i])) for i in top_k(sims, [item], n)]

    @functools.cached_property
    def model(self):
        """The shipped model (``recommender.factors.scorer.ModelScorer``), built once per bundle."""
        from recommender.factors.scorer import ModelScorer

        return ModelScorer(self)


def save_bundle(bundle: Bundle, path: str | os.PathLike[str]) -> Path:
    """Write ``bundle`` as a compressed ``.npz`` (no object arrays, so no pickle)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {
        "item_factors": np.ascontiguousarray(bundle.item_factors, dtype=np.float32),
        "item_ids": np.asarray(bundle.item_ids, dtype=str),
        "names": np.asarray(bundle.names, dtype=str),
        "keys": np.asarray(bundle.keys, dtype=str),
        "mbids": np.asarray(bundle.mbids, dtype=str),
        "popularity": np.asarray(bundle.popularity, dtype=np.int32),
        "meta": np.array(json.dumps(bundle.meta, sort_keys=True, ensure_ascii=False)),
    }
    if bundle.train_indptr is not None:
        arrays["train_indptr"] = np.asarray(bundle.train_indptr, dtype=np.int32)
        arrays["train_indices"] = np.asarray(bundle.train_indices, dtype=np.int32)
        arrays["train_counts"] = np.asarray(bundle.train_counts, dtype=np.float32)
    for name, value in bundle.bridge.items():
        arrays[f"bridge_{name}"] = np.asarray(value)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)
    return path


class BundleError(ValueError):
    """A bundle file that is damaged or tampered with (missing, short, object or non-finite arrays)."""

    user_facing = True  # main() prints the message instead of a traceback


_REQUIRED = ("meta", "item_factors", "item_ids", "names", "keys", "mbids", "popularity")


def read_bundle(path: str | os.PathLike[str]) -> Bundle:
    """Read a bundle file (uncached; prefer ``load_bundle``); a damaged one raises ``BundleError``."""
    path = Path(path)
    copy = _CacheCopy()
    try:
        return _read(path, copy)
    except BundleError:
        if not copy.used:
            raise
    # The arrays came from the user cache's copy, which anyone able to write that folder may have
    # changed under a valid key: never refuse the bundle itself for it. Read the file, overwrite the copy.
    return _read(path, _CacheCopy(use=False))


@dataclass
class _CacheCopy:
    """How ``_arrays`` treats the bundle's uncompressed copy in the user cache (``use``: read it if
    valid), and what it did (``used``: the arrays came from it; ``pending``: written after validation)."""

    use: bool = True
    used: bool = False
    pending: tuple[Path, str, dict[str, np.ndarray], Path] | None = None


def _read(path: Path, copy: _CacheCopy) -> Bundle:
    import zipfile

    try:
        with _arrays(path, copy) as z:
            files = set(z.files)
            missing = [name for name in _REQUIRED if name not in files]
            if missing:
                raise BundleError(f"{path}: the bundle lacks {', '.join(missing)}")
            meta = json.loads(str(z["meta"]))
            if not isinstance(meta, dict):
                raise BundleError(f"{path}: the bundle's meta is not an object")
            if int(meta.get("format", 0)) > FORMAT:
                raise ValueError(
                    f"{path}: bundle format {meta.get('format')} is newer than this Encore ({FORMAT})"
                )
            bundle = Bundle(
                item_factors=z["item_factors"],
                item_ids=z["item_ids"],
                names=z["names"],
                keys=z["keys"],
                mbids=z["mbids"],
                popularity=z["popularity"],
                meta=meta,
                train_indptr=z["train_indptr"] if "train_indptr" in files else None,
                train_indices=z["train_indices"] if "train_indices" in files else None,
                train_counts=z["train_counts"] if "train_counts" in files else None,
                bridge={f[len("bridge_") :]: z[f] for f in sorted(files) if f.startswith("bridge_")},
                path=path,
            )
    except BundleError:
        raise
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        # allow_pickle=False refuses object arrays with a ValueError; a cut file is a BadZipFile/EOF.
        if isinstance(exc, ValueError) and "newer than this Encore" in str(exc):
            raise
        raise BundleError(f"{path}: not a readable factor bundle ({type(exc).__name__}: {exc})") from exc
    _validate(bundle, path)
    if copy.pending is not None:  # only a bundle that passed validation is copied to the user cache
        from recommender import disk_cache

        disk_cache.save_file(*copy.pending)
    return bundle


class _Arrays:
    """A dict of arrays with ``np.load``'s ``NpzFile`` interface (``files``, ``[name]``, a context)."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self._arrays = arrays
        self.files = list(arrays)

    def __getitem__(self, name: str) -> np.ndarray:
        return self._arrays[name]

    def __enter__(self) -> _Arrays:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _arrays(path: Path, copy: _CacheCopy) -> Any:
    """The bundle file's arrays: from an uncompressed copy in the user cache when one was made for this
    very file (path, size, modification time) and ``copy.use``, else from the file, leaving that copy
    to be written (``copy.pending``) once the arrays pass validation.

    Why: the shipped bundle is compressed, and inflating its 19 MB (factors, names, match keys) cost
    ~50 ms of every radio and ``similar`` start; the uncompressed copy is read without inflating."""
    from recommender import disk_cache

    with open_regular(path, MAX_BUNDLE_BYTES) as fh:  # an OSError (a FIFO, /dev/zero) read_bundle reports
        cache, key = disk_cache.file_copy(path, os.fstat(fh.fileno()), _CACHED_BY, "bundle-{}.copy.arrays")
        cached = disk_cache.load_file(cache, key) if copy.use else None
        if cached is not None:
            copy.used = True
            return _Arrays(cached)
        with np.load(fh, allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
    copy.pending = (cache, key, arrays, cache.with_name(f"bundle-{key[-24:]}.arrays.npz"))  # its old name
    return _Arrays(arrays)


MAX_FACTOR = 1e4
"""The largest magnitude a factor may have (the shipped ones stay under 2): far above any trained
model, far below where the fold-in's Gram matrix (a sum of n squared factors, float32) overflows."""


def _validate(bundle: Bundle, path: Path) -> None:
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


_CACHE: dict[Path, tuple[int, Bundle]] = {}


def _first_of_each(names: list[str], popularity: np.ndarray) -> dict[str, int]:
    """Name -> item, the most popular item (the first, among equals) where names collide; empty names left
    out. One dict built from the least popular up, so the most popular is written last."""
    order = np.argsort(-popularity, kind="stable")[::-1].tolist()
    out = {names[i]: i for i in order}
    out.pop("", None)
    return out


def load_bundle(path: str | os.PathLike[str] | None = None, *, or_none: bool = False) -> Bundle | None:
    """The bundle at ``path`` (default: ``default_bundle_path()``), read on first use and then cached.

    The caller chooses what a missing or refused bundle means: by default it raises
    (``FileNotFoundError``, ``BundleError``); with ``or_none`` it is None, and a refused (damaged or
    tampered) bundle is warned about once on stderr: the radio and ``similar`` then go on from audio alone.
    Thread-safe; a file replaced on disk (new mtime) is read again.
    """
    if or_none:
        try:
            return load_bundle(path)
        except FileNotFoundError:
            return None
        except BundleError as exc:
            warn_once(f"the factor bundle is refused ({exc}); recommending from audio alone")
            return None
    p = Path(path) if path is not None else default_bundle_path()
    if not p.exists():
        raise FileNotFoundError(
            f"factor bundle {p} not found; build it with "
            "`python main.py pretrain --source lastfm2k ../shared/data/lastfm-2k --out resources/factors/lastfm2k-wmf.npz`"
        )
    key = p.resolve()
    mtime = key.stat().st_mtime_ns
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        bundle = read_bundle(key)
        _CACHE[key] = (mtime, bundle)
        return bundle
