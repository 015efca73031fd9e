"""The factor bundle's file: one ``.npz`` (read with ``allow_pickle=False``, so loading it can never run
code) holding everything the on-device recommender needs from pretraining, found, read, cached and written.

Arrays: ``item_factors`` float32 [n, k]; ``item_ids``, ``names``, ``keys`` (``match.normalise_artist``
of each item's artist), ``mbids`` (MusicBrainz artist ids or ""), ``popularity`` int32 (training
listeners); ``train_indptr/train_indices/train_counts`` the anonymised training rows (the first
``meta["n_user_rows"]`` are listeners without ids, the rest tag pseudo-listeners) which the RP3beta part
of the model and the evaluation baselines need; optional ``bridge_*``
arrays (the audio-tag -> factor regression, ``recommender.factors.bridge``, and ``bridge_tag_names``: the
Last.fm tag each tag pseudo-listener row is, in row order, so the run time can place an unknown artist by
its files' genre words, ``recommender.factors.genre``); ``meta`` a JSON string with
``format``, ``version``, source, level, hyper-parameters, licence notice and evaluation figures.

Why reading and writing live together, apart from the ``Bundle`` object (``recommender.factors.bundle``)
and its checks (``recommender.factors.bundle_check``): the array names and types above are written by
``save_bundle`` and read back by ``read_bundle``, so a change of the format is made in one file.

API: ``FORMAT``, ``BUNDLE_NAME``, ``MAX_BUNDLE_BYTES``, ``default_bundle_path()``,
``load_bundle(path=None) -> Bundle`` (cached per path, the file is read once), ``read_bundle(path)``
(uncached), ``save_bundle(bundle, path)``.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from player.files import MIB, open_regular
from recommender.factors.bundle import CACHED_BY, Bundle
from recommender.factors.bundle_check import BundleError, validate_bundle
from recommender.factors.notice import warn_once

FORMAT = 1
BUNDLE_NAME = "lastfm2k-wmf.npz"
MAX_BUNDLE_BYTES = 1024 * MIB
"""The largest bundle file opened (the shipped one is 4.6 MB): checked before reading, and only a regular
file is opened at all, so ``ENCORE_FACTORS`` naming ``/dev/zero`` or a FIFO is refused at once."""
_LOCK = threading.Lock()
_CACHE: dict[Path, tuple[int, Bundle]] = {}


def default_bundle_path() -> Path:
    """``$ENCORE_FACTORS`` if set, else ``resources/factors/lastfm2k-wmf.npz`` in the source tree."""
    env = os.environ.get("ENCORE_FACTORS")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[2] / "resources" / "factors" / BUNDLE_NAME


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
    validate_bundle(bundle, path)
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
        cache, key = disk_cache.file_copy(path, os.fstat(fh.fileno()), CACHED_BY, "bundle-{}.copy.arrays")
        cached = disk_cache.load_file(cache, key) if copy.use else None
        if cached is not None:
            copy.used = True
            return _Arrays(cached)
        with np.load(fh, allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
    copy.pending = (cache, key, arrays, cache.with_name(f"bundle-{key[-24:]}.arrays.npz"))  # its old name
    return _Arrays(arrays)


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
