"""Derived arrays kept on disk between runs: one file per purpose, written atomically, read without pickle.

Why a module of its own on the ground floor: the radio's and ``similar``'s start-up caches
(``recommender.radio.cache``) and the factor bundle's uncompressed arrays and item-kNN
(``recommender.factors.bundle``) keep their arrays the same way (``recommender.array_file``: raw arrays
behind a JSON header). A cache file carries the key it was computed under; a file under another key,
damaged, half-written by a crash or not a regular file is simply not used (recomputed), and one that
cannot be written (read-only folder, full disk) is skipped.
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
``strings(values)``, ``unstrings(arrays, prefix)``, ``StoredStrings.of(arrays, prefix)`` (the same, read on demand), ``prefixed(prefix, arrays)``, ``source_digest(paths, root)``;
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
from collections.abc import Iterator, Sequence
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
    path: Path | None, key: str | None, arrays: dict[str, np.ndarray], replaces: Path | None = None
) -> bool:
    """Write ``arrays`` to the cache file ``path`` under ``key``, atomically; False if it failed. Once it
    is written, ``replaces`` (the file it supersedes: the same cache as an ``.npz``, before stop 24) is
    removed, so a library's old cache does not stay behind."""
    if path is None or key is None or not enabled():
        return False
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            array_file.write(f, key, arrays)
        _swap_in(Path(tmp), path, replaces)
        return True
    except (OSError, ValueError):  # read-only folder, full disk, an array no cache holds: computed again
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False


_WRITER: ThreadPoolExecutor | None = None
"""The caches' writer thread (``save_behind``), started at the first write queued."""
_QUEUED: dict[Path, Future] = {}  # each path's newest write queued on it
_QUEUE_LOCK = threading.Lock()


def save_behind(
    path: Path | None, key: str | None, arrays: dict[str, np.ndarray], replaces: Path | None = None
) -> None:
    """``save_file`` on the caches' writer thread, while the caller goes on with the arrays it computed.

    Why: the radio's and ``similar``'s caches are 68 MB at 100k tracks; after new files ``similar``
    rewrites both, and writing them was 40-120 ms of its 300 ms aim, spent before the answer (issue 25).
    The answer does not need the file. The arrays must not change afterwards (the caches' arrays never
    do); a read of the same file in this process (``load_file``) waits for the write first, and the
    interpreter waits for the writer at exit. One thread: the writes of a path land in order."""
    global _WRITER
    if path is None or key is None or not enabled():
        return
    with _QUEUE_LOCK:
        if _WRITER is None:
            _WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="encore-cache-writer")
        try:
            _QUEUED[path] = _WRITER.submit(_save_logged, path, key, arrays, replaces)
            return
        except RuntimeError:  # the interpreter is shutting down: no more threads, written here
            pass
    _save_logged(path, key, arrays, replaces)


def _save_logged(path: Path, key: str, arrays: dict[str, np.ndarray], replaces: Path | None) -> None:
    try:
        save_file(path, key, arrays, replaces)
    except Exception:  # a cache is an optimisation: the next start computes the arrays again
        log.warning("could not write the cache %s", path, exc_info=True)


def written(path: Path | None = None) -> None:
    """Wait until the writes queued on ``path`` (on every path: None) are done."""
    with _QUEUE_LOCK:
        waits = [(p, f) for p, f in _QUEUED.items() if path is None or p == path]
    for p, f in waits:
        f.result()
        with _QUEUE_LOCK:
            if _QUEUED.get(p) is f:
                del _QUEUED[p]


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


def strings(values: list[Any]) -> dict[str, np.ndarray]:
    """A list of str-or-None as arrays: the UTF-8 of all of them joined, and where each ends (in
    characters), exact for any text unlike numpy's string arrays (which drop trailing NULs); no pickle."""
    if isinstance(values, StoredStrings):
        if values.contiguous():  # its text is already what would be written: no item decoded
            text = values._text[: int(values._ends[-1])] if len(values) else ""
            return {
                "bytes": np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8),
                "ends": values._ends.copy(),
                "none": values._none.copy(),
            }
        values = values.tolist()
    joined, texts, none = _texts(values)
    return {
        "bytes": np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8),
        "ends": np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))),
        "none": none,
    }


def _texts(values: Sequence[Any]) -> tuple[str, Sequence[str], np.ndarray]:
    """(the items joined, the items as str, which were None). Why: a library's hundred thousand titles
    are all str but for a few missing ones; the join is tried on them as they are first (one pass in C)."""
    try:
        return "".join(values), values, np.zeros(len(values), dtype=bool)
    except TypeError:  # a None or another type among them
        texts = ["" if v is None else str(v) for v in values]
        return "".join(texts), texts, np.fromiter((v is None for v in values), dtype=bool, count=len(values))


def unstrings(arrays: dict[str, np.ndarray], prefix: str) -> list[str | None]:
    """The list ``strings`` saved under ``prefix`` (keys ``prefix + "bytes"`` etc.), whole (``StoredStrings``
    reads it on demand)."""
    return StoredStrings.of(arrays, prefix).tolist()


class StoredStrings(Sequence):
    """A list ``strings`` saved, read on demand: each item a slice of one decoded text. Why: a million
    titles as a list of str cost half a second at every warm start, and the radio reads a few of them."""

    def __init__(self, text: str, starts: np.ndarray, ends: np.ndarray, none: np.ndarray) -> None:
        self._text, self._starts, self._ends, self._none = text, starts, ends, none
        self._contiguous: bool | None = None

    @classmethod
    def of(cls, arrays: dict[str, np.ndarray], prefix: str) -> StoredStrings:
        text = arrays[prefix + "bytes"].tobytes().decode("utf-8", "surrogatepass")
        ends = np.asarray(arrays[prefix + "ends"], dtype=np.int64)
        starts = np.concatenate([np.zeros(1, np.int64), ends[:-1]]) if len(ends) else ends
        none = np.asarray(arrays[prefix + "none"], dtype=bool)
        if len(none) != len(ends) or (len(ends) and (int(ends[-1]) > len(text) or (np.diff(ends) < 0).any())):
            raise Doubt(f"{prefix} strings")
        return cls(text, starts, ends, none)

    def __len__(self) -> int:
        return len(self._ends)

    def __iter__(self) -> Iterator[str | None]:
        return iter(self.tolist())

    def contiguous(self) -> bool:
        """Whether the items are the text from its start, in order, nothing between (not a ``subset``);
        worked out once."""
        if self._contiguous is None:
            starts, ends = self._starts, self._ends
            self._contiguous = len(self) == 0 or (
                int(starts[0]) == 0 and bool((starts[1:] == ends[:-1]).all())
            )
        return self._contiguous

    def plus(self, values: Sequence[str | None]) -> StoredStrings:
        """These items, then ``values``: one text, without decoding an item (new rows added to a cache)."""
        if not self.contiguous():
            return StoredStrings.of(strings([*self.tolist(), *values]), "")
        end = int(self._ends[-1]) if len(self) else 0
        joined, texts, missing = _texts(values)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        ends = np.concatenate([self._ends, end + np.cumsum(lengths)])
        starts = np.concatenate([np.zeros(1, np.int64), ends[:-1]]) if len(ends) else ends
        none = np.concatenate([self._none, missing])
        return StoredStrings(self._text[:end] + joined, starts, ends, none)

    def replaced(self, rows: np.ndarray, values: Sequence[str | None]) -> StoredStrings:
        """These items with those at ``rows`` (ascending, distinct) replaced by ``values``: one text, the
        items between them kept as slices (a retag of a few tracks re-decodes no million titles)."""
        if not self.contiguous():
            items = self.tolist()
            for r, v in zip(np.asarray(rows).tolist(), values, strict=True):
                items[r] = v
            return StoredStrings.of(strings(items), "")
        rows = np.asarray(rows, dtype=np.int64)
        _joined, texts, missing = _texts(list(values))
        pieces, at = [], 0
        for r, t in zip(rows.tolist(), texts, strict=True):
            pieces += [self._text[at : int(self._starts[r])], t]
            at = int(self._ends[r])
        pieces.append(self._text[at : int(self._ends[-1])] if len(self) else "")
        lengths = self._ends - self._starts
        lengths[rows] = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        ends = np.cumsum(lengths)
        starts = np.concatenate([np.zeros(1, np.int64), ends[:-1]]) if len(ends) else ends
        none = self._none.copy()
        none[rows] = missing
        return StoredStrings("".join(pieces), starts, ends, none)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if self._none[i]:
            return None
        return self._text[int(self._starts[i]) : int(self._ends[i])]

    def tolist(self) -> list[str | None]:
        """Every item: one pass of slices (100k titles in a few ms)."""
        text = self._text
        return [
            None if missing else text[start:end]
            for start, end, missing in zip(
                self._starts.tolist(), self._ends.tolist(), self._none.tolist(), strict=True
            )
        ]

    def index_of(self, value: str) -> int | None:
        """The first item equal to ``value``, or None: a search of the joined text, for a few look-ups in a
        long list (a dict of a million items costs half a second to build)."""
        if not self.contiguous():
            return next((i for i, v in enumerate(self) if v == value), None)
        at = self._text.find(value)
        while at >= 0:  # an item starts there (several may: empty ones) and ends where the value does
            lo, hi = (int(np.searchsorted(self._starts, at, side)) for side in ("left", "right"))
            for i in range(lo, hi):
                if int(self._ends[i]) == at + len(value) and not self._none[i]:
                    return i
            at = self._text.find(value, at + 1)
        return None

    def subset(self, rows: np.ndarray) -> StoredStrings:
        """The items at ``rows`` (indices or a bool mask), sharing the text."""
        return StoredStrings(self._text, self._starts[rows], self._ends[rows], self._none[rows])


def prefixed(prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {prefix + k: v for k, v in arrays.items()}


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
