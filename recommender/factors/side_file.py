"""Reading a model's side file (the EASE weights, the re-ranker's trees): named arrays and a JSON ``meta``
in an ``.npz``, opened as a regular file of bounded size, never unpickled.

Why a module of its own: each side file states what it expects of its arrays (``recommender.factors.ease``,
``recommender.factors.ranker``); how any of them is opened, and how a missing array or an unreadable file
becomes the caller's own clear error, is the same for all and was written twice. A file read once is
kept uncompressed in the user cache (``_copy_of``), as the factor bundle is.

API: ``read_side_file(path, names, max_bytes, error, what, check=None)`` -> (arrays, meta).
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from player.files import open_regular
from recommender import disk_cache


def read_side_file(
    path: Path,
    names: tuple[str, ...],
    max_bytes: int,
    error: type[Exception],
    what: str,
    check: Callable[[dict[str, np.ndarray], Any], None] | None = None,
) -> tuple[dict[str, np.ndarray], Any]:
    """The arrays ``names`` and the decoded ``meta`` of the ``.npz`` at ``path``. A file that is missing
    raises ``FileNotFoundError`` (the caller falls back); one that lacks an array, is not an ``.npz``, is too
    big or holds objects raises ``error`` saying so ("…: the EASE file lacks data"). ``check`` (the
    caller's own checks, raising ``error``) runs on what is read, from the copy or from the file: a copy
    that fails them is read from the file again, and only a file that passes them is copied."""
    try:
        with open_regular(path, max_bytes) as fh:
            copy, key = _copy_of(path, fh)
            cached = disk_cache.load_file(copy, key)
            if cached is not None and set(cached) == {*names, "meta"}:
                try:
                    arrays, meta = {k: cached[k] for k in names}, json.loads(str(cached["meta"]))
                    if check is not None:
                        check(arrays, meta)
                    return arrays, meta
                except Exception:  # a copy that is not what its file holds (whatever it trips): the file
                    pass
            with np.load(fh, allow_pickle=False) as z:
                missing = [k for k in (*names, "meta") if k not in z.files]
                if missing:
                    raise error(f"{path}: the {what} file lacks {', '.join(missing)}")
                arrays = {k: z[k] for k in names}
                meta_text = str(z["meta"])
                meta = json.loads(meta_text)
    except (error, FileNotFoundError):
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise error(f"{path}: not a readable {what} file ({type(exc).__name__}: {exc})") from exc
    if check is not None:
        check(arrays, meta)
    disk_cache.save_file(copy, key, {**arrays, "meta": np.array(meta_text)})
    return arrays, meta


_CACHED_BY = ("recommender/factors/side_file.py", "recommender/disk_cache.py", "recommender/array_file.py")
"""The code behind a side file's uncompressed copy (part of its key)."""


def _copy_of(path: Path, fh: Any) -> tuple[Path, str]:
    """Where the uncompressed copy of the side file open as ``fh`` is kept, and its key: the file's
    identity (path, size, modification time) and the code that reads it.

    Why: the shipped EASE weights are compressed, and inflating their 1.2 million entries cost 50-70 ms
    of every radio start and ``for-you``; the copy is read as it lies. The caller checks what it reads
    either way (``recommender.factors.ease.read_ease``), so a copy can be no worse than its file."""
    return disk_cache.file_copy(path, os.fstat(fh.fileno()), _CACHED_BY, "side-{}.arrays")
