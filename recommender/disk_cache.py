"""Derived arrays kept on disk between runs: one file per purpose, written atomically, read without pickle.

Why a module of its own on the ground floor: the radio's and ``similar``'s start-up caches
(``recommender.radio.cache``) and the factor bundle's uncompressed arrays
(``recommender.factors.bundle_file``) and item-kNN (``recommender.factors.bundle``) keep their arrays the
same way (``recommender.array_file``: raw arrays behind a JSON header). A cache file carries the key it
was computed under; a file under another key, damaged, half-written by a crash or not a regular file is
simply not used (recomputed), and one that cannot be written (read-only folder, full disk) is skipped.
A valid key does not make the arrays trustworthy (anyone who can write the folder can write a file under
the right key): each reader checks shapes, index ranges and finiteness after loading (``Doubt``,
``require``, ``finite``, ``within``) and recomputes, overwriting the file, on any doubt. Only regular
files of at most ``MAX_CACHE_BYTES`` are opened (a FIFO in a cache file's place once hung ``radio``).
``ENCORE_NO_CACHE=1`` turns every cache off (the benchmarks measure both).

A key includes the code that computed the arrays: ``source_digest(paths)`` hashes the source of every
Python file under the given folders (or the given files), so no module of a package involved can be
edited without invalidating the old caches.

API: ``enabled()``, ``user_cache_dir()``, ``file_copy(path, st, code, name)``, ``load_file(path, key, prefixes=None)``, ``save_file(path, key, arrays)``,
``save_behind(path, key, arrays)`` (the same on a writer thread), ``written(path=None)`` (wait for it),
``array_written(path, name, timeout_s=None)`` (wait for one of its arrays),
``source_digest(paths, root)`` (lists of strings are kept by ``recommender.cache_strings``);
checks: ``Doubt``, ``require(condition, what)``, ``finite(array)``, ``within(array, lo, hi)``.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import logging
import os
import stat
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from player.files import MIB, open_regular
from recommender import array_file

log = logging.getLogger(__name__)

MAX_CACHE_BYTES = 4096 * MIB
"""The largest cache file read (a radio cache is about 41 MB at 100k tracks, 430 MB at a million)."""

ROOT = Path(__file__).resolve().parents[1]
"""The checkout (or installed tree) that holds ``player/`` and ``recommender/``."""


def enabled() -> bool:
    return os.environ.get("ENCORE_NO_CACHE", "") in ("", "0")


def user_cache_dir() -> Path:
    """Where caches that belong to no database go (the factor bundle's): ``$ENCORE_CACHE``, else
    ``$XDG_CACHE_HOME/encore``, else ``~/.cache/encore``."""
    env = os.environ.get("ENCORE_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "encore"


def file_copy(
    path: Path, st: os.stat_result, code: Sequence[str], name: str, extra: str = ""
) -> tuple[Path, str]:
    """Where arrays derived from the file at ``path`` (``st``: its stat) are kept in the user cache, and
    their key: the file's identity (path, size, modification time, and ``extra``) and the code that
    derives them (``source_digest(code)``). ``name`` has a ``{}`` for the identity's digest
    ("bundle-{}.copy.arrays"): a file replaced on disk gets a new name, an edit of the code a new key."""
    ident = f"{Path(path).resolve()}|{st.st_size}|{st.st_mtime_ns}{extra}"
    digest = hashlib.sha256(ident.encode()).hexdigest()[:24]
    return user_cache_dir() / name.format(digest), f"{source_digest(code)}-{digest}"


def load_file(
    path: Path | None, key: str | None, prefixes: tuple[str, ...] | None = None, any_key: bool = False
) -> dict[str, np.ndarray] | None:
    """The arrays of the cache file ``path`` if it was saved under ``key`` (or under any, with ``any_key``:
    a stale cache its caller brings up to date), else None; with ``prefixes``, only the arrays whose names
    start with one of them (the others are not read from the file)."""
    if path is None or (key is None and not any_key) or not enabled():
        return None
    if _QUEUED:
        written(path)  # this process's own write of the file first
    try:
        # a regular file only, checked on the open descriptor: a FIFO or /dev/zero in its place is skipped
        with open_regular(path, MAX_CACHE_BYTES) as fh:
            _saved, arrays = array_file.read(fh, None if any_key else key, prefixes)
        return arrays
    except Exception:  # damaged, cut short by a crash, not ours (whatever it trips): computed again
        return None


class Doubt(ValueError):
    """Arrays read from a cache file that do not fit together: the reader recomputes them."""


def require(condition: Any, what: str) -> None:
    """Raise ``Doubt(what)`` unless ``condition`` holds."""
    if not condition:
        raise Doubt(what)


def finite(array: Any) -> bool:
    """A numeric array without NaN or infinity (integers always are)."""
    a = np.asarray(array)
    return a.dtype.kind in "biu" or (a.dtype.kind == "f" and bool(np.isfinite(a).all()))


def within(array: Any, lo: int, hi: int) -> bool:
    """An integer array whose values all lie in ``[lo, hi)`` (empty: True)."""
    a = np.asarray(array)
    return a.dtype.kind in "iu" and (a.size == 0 or (int(a.min()) >= lo and int(a.max()) < hi))


def save_file(
    path: Path | None,
    key: str | None,
    arrays: dict[str, np.ndarray],
    replaces: Path | None = None,
    done: Callable[[str], None] | None = None,
) -> bool:
    """Write ``arrays`` to the cache file ``path`` under ``key``, atomically; False if it failed. Once it
    is written, ``replaces`` (the file it supersedes: the same cache as an ``.npz``, before stop 24) is
    removed, so a library's old cache does not stay behind. ``done``: ``array_file.write``'s."""
    if path is None or key is None or not enabled():
        return False
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            array_file.write(f, key, arrays, done)
        _swap_in(Path(tmp), path, replaces)
        return True
    except (OSError, ValueError):  # read-only folder, full disk, an array no cache holds: computed again
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False


class _Queued:
    """One write on the writer thread: its future and the names of the arrays already in the file."""

    def __init__(self) -> None:
        self.future: Future | None = None
        self.names: set[str] = set()
        self.changed = threading.Condition()

    def wrote(self, name: str) -> None:
        with self.changed:
            self.names.add(name)
            self.changed.notify_all()

    def ended(self, _future: Future | None = None) -> None:
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, name: str, timeout_s: float | None = None) -> bool:
        with self.changed:
            return self.changed.wait_for(
                lambda: name in self.names or self.future is None or self.future.done(), timeout_s
            )


_WRITER: ThreadPoolExecutor | None = None
"""The caches' writer thread (``save_behind``), started at the first write queued."""
_QUEUED: dict[Path, _Queued] = {}  # each path's newest write queued on it
_QUEUE_LOCK = threading.Lock()


def save_behind(
    path: Path | None, key: str | None, arrays: dict[str, np.ndarray], replaces: Path | None = None
) -> None:
    """``save_file`` on the caches' writer thread, while the caller goes on with the arrays it computed.

    Why: the radio's and ``similar``'s caches are 68 MB at 100k tracks; after new files ``similar``
    rewrites both, and writing them was 40-120 ms of its 300 ms aim, spent before the answer (issue 25).
    The answer does not need the file. The arrays must not change until written (``array_written`` says
    when one is); a read of the same file in this process (``load_file``) waits for the write first, and the
    interpreter waits for the writer at exit. One thread: the writes of a path land in order, each array
    in the dict's order."""
    global _WRITER
    if path is None or key is None or not enabled():
        return
    with _QUEUE_LOCK:
        if _WRITER is None:
            _WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="encore-cache-writer")
        queued = _Queued()
        try:
            queued.future = _WRITER.submit(_save_logged, path, key, arrays, replaces, queued.wrote)
            queued.future.add_done_callback(queued.ended)
            _QUEUED[path] = queued
            return
        except RuntimeError:  # the interpreter is shutting down: no more threads, written here
            pass
    _save_logged(path, key, arrays, replaces)


def _save_logged(
    path: Path,
    key: str,
    arrays: dict[str, np.ndarray],
    replaces: Path | None,
    done: Callable[[str], None] | None = None,
) -> None:
    try:
        save_file(path, key, arrays, replaces, done)
    except Exception:  # a cache is an optimisation: the next start computes the arrays again
        log.warning("could not write the cache %s", path, exc_info=True)


def written(path: Path | None = None) -> None:
    """Wait until the writes queued on ``path`` (on every path: None) are done."""
    with _QUEUE_LOCK:
        waits = [(p, q) for p, q in _QUEUED.items() if path is None or p == path]
    for p, q in waits:
        q.future.result()
        with _QUEUE_LOCK:
            if _QUEUED.get(p) is q:
                del _QUEUED[p]


def array_written(path: Path | None, name: str, timeout_s: float | None = None) -> bool:
    """Wait until the array ``name`` of the newest write queued on ``path`` is in the file (or that write
    ended, written or not): from then on its owner may overwrite it. False when ``timeout_s`` ran out
    first (a slow disk): the array is still being read. Why: at a million tracks the radio moves its audio
    rows in place to hide missing files, which would otherwise need a second 256 MB copy while the cache
    is written behind the first track (issue 25)."""
    with _QUEUE_LOCK:
        queued = _QUEUED.get(path) if path is not None else None
    return True if queued is None else queued.wait_for(name, timeout_s)


ASIDE = ".old"
"""The end of a replaced cache file's name while a thread deletes it (``_swap_in``)."""


def _swap_in(new: Path, path: Path, replaces: Path | None) -> None:
    """``new`` renamed to ``path``; the file it replaces (and ``replaces``) deleted on a thread of its own.

    Why not ``os.replace`` alone: renaming over an existing file makes ext4 write the new file's data out
    first (``auto_da_alloc``, its guard for programs that skip fsync), and freeing the old file's blocks
    takes as long again: 35 ms for a 40 MB cache here, twice for ``similar`` after every new album
    (issue 25). So the old file is renamed aside first (0.1 ms for both renames) and deleted after. A
    reader in another process in between finds no file and computes the arrays; none reads a half-written
    one. Files set aside by a process that died before deleting them go with the next replacement. Where
    the old file cannot be renamed aside (a name too long for the suffix, a folder), it is replaced."""
    aside: Path | None = path.with_name(f"{path.name}.{os.getpid()}{ASIDE}")
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):  # a folder in its place stays and fails the replace
            aside = None
        else:
            os.rename(path, aside)
    except OSError:  # none there yet, or no room for the suffix in the name
        aside = None
    os.replace(new, path)  # no file there now (unless another process just put one there): no flush
    leftovers = [aside] if aside is not None else []
    try:
        leftovers += [p for p in path.parent.glob(f"{glob.escape(path.name)}.*{ASIDE}") if p != aside]
    except OSError:
        pass  # the folder cannot be listed: the cache is written all the same
    if replaces is not None:
        leftovers.append(replaces)
    if leftovers:  # not a daemon: the interpreter waits for it at exit, so nothing is left behind
        try:
            threading.Thread(target=_delete, args=(leftovers,), name="encore-cache-delete").start()
        except RuntimeError:  # no new thread to be had (the interpreter is shutting down): here, then
            _delete(leftovers)


def _delete(paths: list[Path]) -> None:
    for p in paths:
        try:
            p.unlink(missing_ok=True)
        except OSError:
            pass  # another process's, gone already, or not ours to delete: the next replacement tries


def source_digest(paths: Sequence[str], root: Path | None = None) -> str:
    """A short hash of the source of every ``.py`` file under ``paths`` (folders, recursively; ``DIR/*.py``,
    the modules of one folder; or files),
    relative to ``root`` (default ``ROOT``); names and contents both count. Cached per process."""
    return _source_digest(tuple(paths), Path(root) if root is not None else ROOT)


@functools.cache
def _source_digest(paths: tuple[str, ...], root: Path) -> str:
    digest = hashlib.sha256()
    for name in paths:
        target = root / name
        if name.endswith("*.py"):  # the modules of one folder, not below it
            files = sorted(target.parent.glob("*.py"))
        else:
            files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
        for path in files:
            digest.update(str(path.relative_to(root)).encode())
            try:
                digest.update(path.read_bytes())
            except OSError:
                digest.update(b"\0missing")
    return digest.hexdigest()[:16]
