"""The start-up cache of what the radio and ``similar`` derive from the library.

Why: at 100k tracks, reading 100 MB of audio embeddings, projecting them, matching every credit and
predicting factors for unknown artists costs seconds, yet none of it changes between two radio starts
unless the library, its analysis or the factor bundle changed. So the derived arrays are kept in one
file per purpose beside the database (``<db folder>/cache/<db name>.<purpose>.arrays``, written and read
by ``recommender.disk_cache``), named by a fingerprint of everything they were computed from:

- the library's change state (``player.store.changes``: an O(1) change counter, or a scan of the
  tables on a database without it) and the analysis model version;
- the factor bundle file (path, size, modification time) and the extra key the caller gives (none
  for the radio: its bans are a mask applied at load, issue 25 item 1);
- the source of the code that computes them: every module of the packages in ``CODE`` (not a hand
  list of files, which once missed the very loader that computes the arrays), so a change to any of
  them never reads an old cache.

Plays are not in the fingerprint: what depends on them (recency, taste) is recomputed at every load.

A cache whose key no longer matches but whose base does (``base_fingerprint``: the same database, code,
bundle and model; only tracks changed) is read by ``load_stale`` and brought up to date from the
library's change log where it can (``recommender.radio.append``).

API: ``fingerprint(store, name, bundle, extra)``, ``base_fingerprint(...)``, ``load(store, name, key,
prefixes=None)``, ``load_stale(store, name, base)``, ``save(store, name, key, arrays)``,
``array_saved(store, name, array, timeout_s=None)``, ``cache_dir(store)``,
``code_version(root=None)``, ``CODE``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from recommender import disk_cache

FORMAT = 2  # 2: string offsets in characters
CODE = (
    "recommender/*.py",  # the ground floor, whatever modules it grows
    "recommender/radio",
    "recommender/similar",
    "recommender/taste",
    "recommender/factors",
    "recommender/audio",
    "player",
)
"""What computes the cached arrays: these packages and ground-floor modules, whole (a test checks
that every project module the loaders import is among them)."""


def code_version(root: Path | None = None) -> str:
    """The hash of the source in ``CODE`` (under ``root``, default the installed tree) and ``FORMAT``."""
    return f"{FORMAT}-{disk_cache.source_digest(CODE, root)}"


def cache_dir(store: Any) -> Path | None:
    path = getattr(store, "path", None)
    if path is None or str(path) in ("", ":memory:"):
        return None
    return Path(path).resolve().parent / "cache"


def _bundle_identity(bundle: Any) -> Any:
    if bundle is None:
        return None
    path = getattr(bundle, "path", None)
    if path is None:
        return False  # an in-memory bundle (tests, simulations): nothing to name it by
    try:
        st = Path(path).stat()
    except OSError:
        return False
    return [str(Path(path).resolve()), st.st_size, st.st_mtime_ns]


def fingerprint(store: Any, name: str, bundle: Any = None, extra: Any = None) -> str | None:
    """The cache key of ``name`` for the store's current contents, or None when it cannot be cached."""
    state = _state(store, name, bundle, extra)
    if state is None:
        return None
    from player.store.analysis import MODEL_VERSION
    from player.store.changes import change_state, scanned_state

    changes = change_state(store)
    if changes is not None:
        state["changes"] = changes
    else:
        state.update(scanned_state(store, MODEL_VERSION))
    return _digest(state)


def base_fingerprint(store: Any, name: str, bundle: Any = None, extra: Any = None) -> str | None:
    """What a cache of ``name`` depends on except the library's contents: this database (its change
    counter's id), the code, the bundle, the model. A stale cache with the same base can be brought up to
    date from the change log (``recommender.radio.append``); None when it cannot be."""
    state = _state(store, name, bundle, extra)
    if state is None:
        return None
    from player.store.changes import change_state

    changes = change_state(store)
    if changes is None:
        return None
    state["database"] = changes[0]
    return _digest(state)


def _state(store: Any, name: str, bundle: Any, extra: Any) -> dict[str, Any] | None:
    if not disk_cache.enabled() or cache_dir(store) is None:
        return None
    identity = _bundle_identity(bundle)
    if identity is False:
        return None
    from player.store.analysis import MODEL_VERSION

    return {"name": name, "code": code_version(), "bundle": identity, "extra": extra, "model": MODEL_VERSION}


def _digest(state: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _file(store: Any, name: str) -> Path | None:
    folder = cache_dir(store)
    if folder is None:
        return None
    db_name = Path(store.path).name
    return folder / f"{db_name}.{name}.arrays"


def load(
    store: Any, name: str, key: str | None, prefixes: tuple[str, ...] | None = None
) -> dict[str, np.ndarray] | None:
    """The arrays saved under ``key`` (only those named ``prefixes...`` if given), or None (no cache,
    another key, or an unreadable file)."""
    return disk_cache.load_file(_file(store, name) if key else None, key, prefixes)


def load_stale(store: Any, name: str, base: str | None) -> dict[str, np.ndarray] | None:
    """The arrays of ``name``'s cache whatever its key, if it was saved with the base key ``base``
    (``base_fingerprint``, kept as the ``meta_base`` array), else None."""
    if base is None:
        return None
    arrays = disk_cache.load_file(_file(store, name), None, any_key=True)
    if arrays is None or "meta_base" not in arrays or str(arrays["meta_base"]) != base:
        return None
    return arrays


def save(store: Any, name: str, key: str | None, arrays: dict[str, np.ndarray]) -> None:
    """Write the arrays under ``key``, replacing the previous cache of ``name``, on the caches' writer
    thread (``disk_cache.save_behind``: the radio's first track and ``similar``'s answer do not wait for
    the file; ``disk_cache.written()`` does)."""
    path = _file(store, name) if key else None
    legacy = path.with_suffix(".npz") if path is not None else None  # the same cache before stop 24
    disk_cache.save_behind(path, key, arrays, replaces=legacy)


def array_saved(store: Any, name: str, array: str, timeout_s: float | None = None) -> bool:
    """Wait until the array ``array`` of the cache of ``name`` being written (``save``) is in the file, so
    that its memory may be reused (``disk_cache.array_written``); False if ``timeout_s`` ran out first."""
    return disk_cache.array_written(_file(store, name), array, timeout_s)
