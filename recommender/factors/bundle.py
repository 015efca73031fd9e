"""The pretrained factor bundle: one ``.npz`` file (read with ``allow_pickle=False``, so loading it can
never run code) holding everything the on-device recommender needs from pretraining.

Arrays: ``item_factors`` float32 [n, k]; ``item_ids``, ``names``, ``keys`` (``match.normalise_artist``
of each item's artist), ``mbids`` (MusicBrainz artist ids or ""), ``popularity`` int32 (training
listeners); ``train_indptr/train_indices/train_counts`` the anonymised training rows (the first
``meta["n_user_rows"]`` are listeners without ids, the rest tag pseudo-listeners) which the RP3beta part
of the model and the evaluation baselines need; optional ``tag_names`` (text, one per tag pseudo-listener
row, in row order: the Last.fm tag each row is, so the run time can place an unknown artist by its genre
words, ``recommender.factors.genre``; bundles without it place by sound alone); optional ``bridge_*``
arrays (the audio-tag -> factor regression, ``recommender.factors.bridge``); ``meta`` a JSON string with
``format``, ``version``, source, level, hyper-parameters, licence notice and evaluation figures.

API: ``default_bundle_path()``, ``load_bundle(path=None) -> Bundle`` (cached per path, the file is read
once), ``save_bundle(bundle, path)``, and on ``Bundle``: ``item_factors``, ``names``, ``keys``,
``popularity``, ``meta``, ``k``, ``key_index``, ``mbid_index``, ``foldin`` (a cached ``FoldIn``),
``confidence(counts)``, ``user_vector(items, counts)``, ``similar_items(i, n)``, ``item_similarity``
(sparse item-kNN cosine), ``model`` (the shipped model: scores users, also for evaluation),
``train_matrix`` / ``user_matrix`` / ``tag_matrix``, ``tag_vocabulary`` (genre words -> tag rows).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recommender.ranking import top_k

_CACHED_BY = ("recommender/factors/bundle.py", "recommender/evaluation.py", "recommender/disk_cache.py")
"""The code behind the bundle's caches in the user cache folder (its uncompressed arrays, its item-kNN):
part of their keys, so an edit to any of these files never reads an old cache."""

FORMAT = 1
BUNDLE_NAME = "lastfm2k-wmf.npz"
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
    tag_names: np.ndarray | None = None

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
        out: dict[str, int] = {}
        for i in np.argsort(-self.popularity, kind="stable"):
            key = str(self.keys[i])
            if key and key not in out:
                out[key] = int(i)
        return out

    @functools.cached_property
    def mbid_index(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i in np.argsort(-self.popularity, kind="stable"):
            m = str(self.mbids[i]).strip().lower()
            if m and m not in out:
                out[m] = int(i)
        return out

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
    def train_matrix(self):
        """The anonymised training rows as CSR (listeners, then tag pseudo-listeners), or ``None``."""
        if self.train_indptr is None:
            return None
        import scipy.sparse as sp

        n_users = len(self.train_indptr) - 1
        return sp.csr_matrix(
            (self.train_counts, self.train_indices, self.train_indptr), shape=(n_users, self.n_items)
        )

    @property
    def user_matrix(self):
        """The training listeners' rows only (without tag pseudo-listener rows), or ``None``."""
        train = self.train_matrix
        if train is None:
            return None
        return train[: int(self.meta.get("n_user_rows", train.shape[0]))]

    @property
    def tag_matrix(self):
        """The tag pseudo-listener rows (in ``tag_names`` order), or ``None``."""
        train = self.train_matrix
        if train is None:
            return None
        return train[int(self.meta.get("n_user_rows", train.shape[0])) :]

    @functools.cached_property
    def tag_vocabulary(self):
        """The bundle's tags as a ``recommender.factors.genre.TagVocabulary`` (empty without names)."""
        from recommender.factors.genre import TagVocabulary

        return TagVocabulary(self)

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
                st = Path(self.path).stat()
                ident = f"{Path(self.path).resolve()}|{st.st_size}|{st.st_mtime_ns}|{self.hyper.get('knn_neighbours', 200)}"
                key = f"{disk_cache.source_digest(_CACHED_BY)}-{hashlib.sha256(ident.encode()).hexdigest()[:24]}"
                path = disk_cache.user_cache_dir() / f"bundle-{key[-24:]}.knn.npz"
            except OSError:
                path = key = None
        cached = disk_cache.load_file(path, key)
        if cached is not None and {"indptr", "indices", "data"} <= set(cached):
            return cached["indptr"], cached["indices"], cached["data"]
        train = self.user_matrix
        if train is None:
            return None
        from recommender.evaluation import ItemKNNScorer

        sim = ItemKNNScorer(train, int(self.hyper.get("knn_neighbours", 200))).similarity
        arrays = (sim.indptr, sim.indices, sim.data)
        disk_cache.save_file(path, key, {"indptr": sim.indptr, "indices": sim.indices, "data": sim.data})
        return arrays

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
    if bundle.tag_names is not None:
        arrays["tag_names"] = np.asarray(bundle.tag_names, dtype=str)
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
    import zipfile

    path = Path(path)
    try:
        with _arrays(path) as z:
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
                tag_names=z["tag_names"] if "tag_names" in files else None,
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


def _arrays(path: Path) -> Any:
    """The bundle file's arrays: from an uncompressed copy in the user cache, mapped, when one was made
    for this very file (path, size, modification time), else from the file, writing that copy.

    Why: the shipped bundle is compressed, and inflating its 19 MB (factors, names, match keys) cost
    ~50 ms of every radio and ``similar`` start; the uncompressed copy is read without inflating."""
    from recommender import disk_cache

    try:
        st = path.stat()
    except OSError:
        return np.load(path, allow_pickle=False)  # raises the error read_bundle reports
    ident = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    key = f"{disk_cache.source_digest(_CACHED_BY)}-{hashlib.sha256(ident.encode()).hexdigest()[:24]}"
    cache = disk_cache.user_cache_dir() / f"bundle-{key[-24:]}.arrays.npz"
    cached = disk_cache.load_file(cache, key)
    if cached is not None:
        return _Arrays(cached)
    with np.load(path, allow_pickle=False) as z:
        arrays = {name: z[name] for name in z.files}
    disk_cache.save_file(cache, key, arrays)
    return _Arrays(arrays)


def _validate(bundle: Bundle, path: Path) -> None:
    """Refuse a bundle whose arrays disagree in length, are not numeric, or hold NaN/inf factors."""
    y = bundle.item_factors
    if y.ndim != 2 or y.shape[0] == 0 or y.shape[1] == 0 or not np.issubdtype(y.dtype, np.floating):
        raise BundleError(
            f"{path}: item_factors must be a non-empty 2-D float array, not {y.dtype} {y.shape}"
        )
    if not np.isfinite(y).all():
        raise BundleError(f"{path}: item_factors hold NaN or infinite values")
    n = y.shape[0]
    for name in ("item_ids", "names", "keys", "mbids", "popularity"):
        array = getattr(bundle, name)
        if array.ndim != 1 or len(array) != n:
            raise BundleError(f"{path}: {name} has {array.shape} entries for {n} items")
    if not np.issubdtype(bundle.popularity.dtype, np.number) or not np.isfinite(bundle.popularity).all():
        raise BundleError(f"{path}: popularity must be finite numbers")
    if bundle.train_indices is not None and len(bundle.train_indices):
        if bundle.train_indptr is None or bundle.train_counts is None:
            raise BundleError(f"{path}: training arrays are incomplete")
        if len(bundle.train_counts) != len(bundle.train_indices) or int(bundle.train_indptr[-1]) != len(
            bundle.train_indices
        ):
            raise BundleError(f"{path}: training arrays disagree in length")
        if int(bundle.train_indices.min()) < 0 or int(bundle.train_indices.max()) >= n:
            raise BundleError(f"{path}: training arrays name items the bundle does not have")
    if bundle.tag_names is not None:
        names = bundle.tag_names
        if names.ndim != 1 or names.dtype.kind != "U":
            raise BundleError(f"{path}: tag_names must be a 1-D text array, not {names.dtype} {names.shape}")
        n_rows = len(bundle.train_indptr) - 1 if bundle.train_indptr is not None else None
        try:
            n_tags = (
                n_rows - int(bundle.meta.get("n_user_rows", n_rows))
                if n_rows is not None
                else int(bundle.meta.get("n_tag_rows", 0))
            )
        except (TypeError, ValueError):
            raise BundleError(f"{path}: the meta's row counts are not numbers") from None
        if len(names) != n_tags:
            raise BundleError(f"{path}: tag_names has {len(names)} names for {n_tags} tag rows")
    for name, array in bundle.bridge.items():
        if np.issubdtype(array.dtype, np.number) and not np.isfinite(array).all():
            raise BundleError(f"{path}: bridge_{name} holds NaN or infinite values")


_CACHE: dict[Path, tuple[int, Bundle]] = {}


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
            _warn_once(f"the factor bundle is refused ({exc}); recommending from audio alone")
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


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        print(f"encore: warning: {message}", file=sys.stderr)
