"""Reading a model's side file (the EASE weights, the re-ranker's trees): named arrays and a JSON ``meta``
in an ``.npz``, opened as a regular file of bounded size, never unpickled.

Why a module of its own: each side file states what it expects of its arrays (``recommender.factors.ease``,
``recommender.factors.ranker``); how any of them is opened, and how a missing array or an unreadable file
becomes the caller's own clear error, is the same for all and was written twice.

API: ``read_side_file(path, names, max_bytes, error, what)`` -> (arrays, meta).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from player.files import open_regular


def read_side_file(
    path: Path, names: tuple[str, ...], max_bytes: int, error: type[Exception], what: str
) -> tuple[dict[str, np.ndarray], Any]:
    """The arrays ``names`` and the decoded ``meta`` of the ``.npz`` at ``path``. A file that is missing
    raises ``FileNotFoundError`` (the caller falls back); one that lacks an array, is not an ``.npz``, is too
    big or holds objects raises ``error`` saying so ("…: the EASE file lacks data")."""
    try:
        with open_regular(path, max_bytes) as fh, np.load(fh, allow_pickle=False) as z:
            missing = [k for k in (*names, "meta") if k not in z.files]
            if missing:
                raise error(f"{path}: the {what} file lacks {', '.join(missing)}")
            arrays = {k: z[k] for k in names}
            meta = json.loads(str(z["meta"]))
    except (error, FileNotFoundError):
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise error(f"{path}: not a readable {what} file ({type(exc).__name__}: {exc})") from exc
    return arrays, meta
