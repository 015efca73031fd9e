"""Opening files that a setting or a cache folder names: regular files only, their size checked first.

Why: a path from an environment variable (``ENCORE_FACTORS``, ``ENCORE_MUSICNN_ONNX``,
``ENCORE_MUSICNN_WEIGHTS``), a file in a cache folder or a playlist the user imports may name something
that is not a file (a ``.m3u8`` symlink to ``/dev/zero``, a FIFO).
``/dev/zero`` read whole grows until a ``MemoryError`` (3.8 GB resident before it came); a FIFO blocks
``open()`` until some writer appears, so the command hangs forever. Opening without blocking
(``O_NONBLOCK``) and asking the open descriptor (``fstat``, so nothing can be swapped in between the
check and the read) refuses both at once with an ``OSError`` whose ``strerror`` says why; callers turn
that into their own clear message (analysis off, audio alone, recompute the cache).

Kept free of heavy imports: the audio model's path checks use it before numpy or torch are needed. It
lives in ``player/`` (the lowest floor) so that both the player and the recommender use this one helper.

API: ``open_regular(path, max_bytes)``, ``read_regular(path, max_bytes)``.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

MIB = 2**20


def open_regular(path: str | os.PathLike[str], max_bytes: int) -> BinaryIO:
    """``path`` opened for binary reading if it is a regular file (after symlinks) of at most
    ``max_bytes`` bytes; otherwise an ``OSError`` (ENOENT, EACCES..., EINVAL "not a regular file",
    EFBIG "larger than the N MiB allowed")."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
        if st.st_size > max_bytes:
            raise OSError(
                errno.EFBIG,
                f"{st.st_size} bytes, larger than the {max_bytes / MIB:.0f} MiB allowed",
                os.fspath(path),
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The whole content of ``path`` (see ``open_regular``); never more than ``max_bytes`` are read,
    even from a file that grows while it is read."""
    with open_regular(path, max_bytes) as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise OSError(errno.EFBIG, f"larger than the {max_bytes / MIB:.0f} MiB allowed", os.fspath(path))
    return data
