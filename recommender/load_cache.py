"""A disk cache of what the radio and ``similar`` derive from the library at start-up.

Why: at 100k tracks, reading 100 MB of audio embeddings, projecting them, matching every credit and
predicting factors for unknown artists costs seconds, yet none of it changes between two radio starts
unless the library, its analysis, the bans or the factor bundle changed. So the derived arrays are
kept in one ``.npz`` per purpose beside the database (``<db folder>/cache/``), named by a fingerprint
of everything they were computed from:

- the database's change counter (``library_changes``, schema v4: its id and a count that triggers
  raise on every insert, update or delete of a track, an analysis or a rating), read in O(1), plus the
  newest track id, ``added_at`` and analysed id (index look-ups) in case an older copy of the file was
  put back; on a database without the counter (opened read-only before its migration), a scan of the
  tracks (count, id sum, newest ``updated_at`` / ``added_at``, missing count), the current analyses
  (count, id sum, newest ``analyzed_at``) and the ratings (counts, newest ``rated_at``);
- the factor bundle file (path, size, modification time) and the extra key the caller gives (for
  the radio, the banned track ids it leaves out);
- the source of the code that computes them (``SOURCES``), so a change to the loader never reads an
  old cache.

Plays are not in the fingerprint: what depends on them (recency, taste) is recomputed at every load.
A cache is written atomically (temporary file, then rename) and read with ``allow_pickle=False``; a
cache that cannot be written (read-only folder, full disk) or read (damaged) is simply not used.
``ENCORE_NO_CACHE=1`` turns it off (the benchmark measures both).

The factor bundle's item-kNN similarity (the same for every library) is kept the same way in the user
cache folder (``user_cache_dir()``), named by the bundle file's identity.

API: ``fingerprint(store, name, bundle, extra)``, ``load(store, name, key)``, ``save(store, name, key,
arrays)``, ``load_file(path, key)``, ``save_file(path, key, arrays)``, ``user_cache_dir()``, ``enabled()``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 2  # 2: string offsets in characters
SOURCES = (
    "recommender/radio_library.py",
    "recommender/radio_inputs.py",
    "recommender/load_cache.py",
    "recommender/similar.py",
    "recommender/factors/match.py",
    "recommender/factors/bridge.py",
    "recommender/factors/bundle.py",
    "recommender/evaluation.py",
    "recommender/radio_scoring.py",
    "player/store/analysis.py",
    "player/store/tracks.py",
)


def enabled() -> bool:
    return os.environ.get("ENCORE_NO_CACHE", "") in ("", "0")


@functools.cache
def _code_version() -> str:
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(str(FORMAT).encode())
    for name in SOURCES:
        try:
            digest.update((root / name).read_bytes())
        except OSError:
            digest.update(name.encode())
    return digest.hexdigest()[:16]


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
    if not enabled() or cache_dir(store) is None:
        return None
    identity = _bundle_identity(bundle)
    if identity is False:
        return None
    from player.store.analysis import current_model_version

    conn = store.conn
    version = current_model_version()
    state = {
        "name": name,
        "code": _code_version(),
        "bundle": identity,
        "extra": extra,
        "model": version,
    }
    changes = _changes(conn)
    if changes is not None:
        state["changes"] = changes
    else:
        state.update(_scanned_state(conn, version))
    text = json.dumps(state, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _changes(conn: sqlite3.Connection) -> list[Any] | None:
    """The change counter and a few index look-ups (~0.1 ms), or None on a database without it."""
    try:
        row = conn.execute("SELECT uid, n FROM library_changes WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # no such table: a database not migrated to schema v4
        return None
    if row is None:
        return None
    newest = conn.execute("SELECT MAX(id), MAX(added_at) FROM tracks").fetchone()
    analysed = conn.execute("SELECT MAX(track_id) FROM analysis").fetchone()
    return [*row, *newest, *analysed]


def _scanned_state(conn: sqlite3.Connection, version: str) -> dict[str, Any]:
    """What the cache depends on, by scanning the tables (~70 ms at 100k tracks)."""
    return {
        "tracks": list(
            conn.execute(
                "SELECT COUNT(*), TOTAL(id), MAX(updated_at), MAX(added_at), TOTAL(missing) FROM tracks"
            ).fetchone()
        ),
        "analysis": list(
            conn.execute(
                "SELECT COUNT(*), TOTAL(track_id), MAX(analyzed_at) FROM analysis WHERE model_version = ?",
                (version,),
            ).fetchone()
        ),
        "ratings": [
            list(conn.execute(f"SELECT COUNT(*), MAX(rated_at), TOTAL(rating) FROM {t}").fetchone())
            for t in ("track_ratings", "artist_ratings")
        ],
    }


def _file(store: Any, name: str) -> Path | None:
    folder = cache_dir(store)
    if folder is None:
        return None
    db_name = Path(store.path).name
    return folder / f"{db_name}.{name}.npz"


def user_cache_dir() -> Path:
    """Where caches that belong to no database go (the factor bundle's): ``$ENCORE_CACHE``, else
    ``$XDG_CACHE_HOME/encore``, else ``~/.cache/encore``."""
    env = os.environ.get("ENCORE_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "encore"


def code_version() -> str:
    return _code_version()


def load(store: Any, name: str, key: str | None) -> dict[str, np.ndarray] | None:
    """The arrays saved under ``key``, or None (no cache, another key, or an unreadable file)."""
    return load_file(_file(store, name) if key else None, key)


def save(store: Any, name: str, key: str | None, arrays: dict[str, np.ndarray]) -> bool:
    """Write the arrays under ``key`` (replacing the previous cache of ``name``); False if it failed."""
    return save_file(_file(store, name) if key else None, key, arrays)


def load_file(path: Path | None, key: str | None) -> dict[str, np.ndarray] | None:
    """The arrays of the cache file ``path`` if it was saved under ``key``, else None."""
    if path is None or key is None or not enabled() or not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["__key__"]) != key:
                return None
            return {k: data[k] for k in data.files if k != "__key__"}
    except (OSError, ValueError, KeyError, EOFError):  # damaged or half-written by a crash: recompute
        return None
    except Exception:  # zipfile.BadZipFile and friends
        return None


def save_file(path: Path | None, key: str | None, arrays: dict[str, np.ndarray]) -> bool:
    """Write ``arrays`` to the cache file ``path`` under ``key``, atomically; False if it failed."""
    if path is None or key is None or not enabled():
        return False
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, __key__=np.array(key), **arrays)
        os.replace(tmp, path)
        return True
    except OSError:  # read-only folder, full disk: the next start computes again, nothing is lost
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False


def strings(values: list[Any]) -> dict[str, np.ndarray]:
    """A list of str-or-None as arrays: the UTF-8 of all of them joined, and where each ends (in
    characters), exact for any text unlike numpy's string arrays (which drop trailing NULs); no pickle."""
    texts = ["" if v is None else str(v) for v in values]
    return {
        "bytes": np.frombuffer("".join(texts).encode("utf-8", "surrogatepass"), dtype=np.uint8),
        "ends": np.cumsum(np.array([len(t) for t in texts], dtype=np.int64)),
        "none": np.array([v is None for v in values], dtype=bool),
    }


def unstrings(arrays: dict[str, np.ndarray], prefix: str) -> list[str | None]:
    """The list ``strings`` saved under ``prefix`` (keys ``prefix + "bytes"`` etc.): one decode, then
    slices (100k titles in a few ms)."""
    text = arrays[prefix + "bytes"].tobytes().decode("utf-8", "surrogatepass")
    ends = arrays[prefix + "ends"].tolist()
    starts = [0, *ends[:-1]] if ends else []
    return [
        None if missing else text[start:end]
        for start, end, missing in zip(starts, ends, arrays[prefix + "none"].tolist(), strict=True)
    ]


def prefixed(prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {prefix + k: v for k, v in arrays.items()}
