"""The file format of the start-up caches: named arrays laid out raw behind a small JSON header.

Why not ``.npz``: ``np.load`` reads a zip member through ``zipfile``, which computes a CRC-32 over every
byte and copies it twice, and ``np.savez`` copies every array to bytes before writing it. For the radio's
41 MB cache of a 100k-track library that was 66 ms to read and 75 ms to write, at every start and every
update; read raw into arrays allocated for them it is about 10 ms. At a million tracks the cache is
430 MB and the difference is most of a second.

Layout: ``MAGIC``, the header's length (8 bytes, little-endian), the header (UTF-8 JSON: ``{"key": str,
"arrays": [[name, dtype, shape, offset], ...]}``), then each array's bytes in C order at ``offset`` from
the first ``ALIGN``-aligned byte after the header. Nothing is unpickled or evaluated: a dtype is one of
the plain forms ``DTYPE`` matches (numbers, booleans, fixed-width text; never objects or records), and a
header that is not what ``write`` makes (wrong magic, a bad dtype or shape, arrays that overlap, an array
past the end of the file: a file cut short by a crash) raises ``ValueError``, and what a header makes the
reader allocate never exceeds the file's size. The bytes themselves carry no checksum: the
readers check what they load (``recommender.disk_cache.Doubt``), as they must anyway, since anyone who
can write the folder can write a file with the right key.

API: ``write(fh, key, arrays, done=None)``, ``read(fh, key=None, prefixes=None) -> (key, arrays)``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import IO, Any

import numpy as np

MAGIC = b"ENCORE-ARRAYS-1\n"
ALIGN = 64
MAX_HEADER = 1 << 20
"""The longest header read (a cache has a few dozen arrays: a few kB)."""
DTYPE = re.compile(r"[<>|=][biufcSU][0-9]{1,6}")
"""The dtypes written and read: byte order, kind, item size (``np.dtype(...).str``)."""


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def write(
    fh: IO[bytes], key: str, arrays: dict[str, np.ndarray], done: Callable[[str], None] | None = None
) -> None:
    """Write ``arrays`` under ``key`` to the binary file ``fh`` (at its start), in the dict's order; each
    array is written from its own memory, not copied to bytes first. ``done(name)`` is called once an
    array's bytes are handed to the file: its memory is not read again, so its owner may reuse it."""
    entries: list[list[Any]] = []
    blocks: list[np.ndarray] = []
    offset = 0
    for name, value in arrays.items():
        a = np.asarray(value)
        if not a.flags.c_contiguous:  # (np.ascontiguousarray would also make a 0-d array 1-d)
            a = a.copy(order="C")
        if _dtype(a.dtype.str) is None:
            raise ValueError(f"{name}: arrays of dtype {a.dtype} are not written")
        offset = _aligned(offset)
        entries.append([str(name), a.dtype.str, list(a.shape), offset])
        blocks.append(a)
        offset += a.nbytes
    header = json.dumps({"key": key, "arrays": entries}).encode("utf-8")
    start = len(MAGIC) + 8 + len(header)
    fh.write(MAGIC + len(header).to_bytes(8, "little") + header + bytes(_aligned(start) - start))
    written = 0
    for (name, _kind, _shape, at), a in zip(entries, blocks, strict=True):
        fh.write(bytes(at - written))
        if a.nbytes:
            fh.write(a.reshape(-1).view(np.uint8))
        written = at + a.nbytes
        if done is not None:
            done(name)


def read(
    fh: IO[bytes], key: str | None = None, prefixes: tuple[str, ...] | None = None
) -> tuple[str, dict[str, np.ndarray] | None]:
    """The file's key and its arrays (only those whose names start with one of ``prefixes``, if given;
    the others are not read). With ``key``, a file saved under another key gives (its key, None) without
    reading an array. Raises ``ValueError`` for anything ``write`` does not make."""
    head = fh.read(len(MAGIC) + 8)
    if len(head) != len(MAGIC) + 8 or head[: len(MAGIC)] != MAGIC:
        raise ValueError("not an array file")
    n = int.from_bytes(head[len(MAGIC) :], "little")
    if n > MAX_HEADER:
        raise ValueError("array file header too long")
    try:
        header = json.loads(fh.read(n).decode("utf-8"))
        saved, entries = header["key"], header["arrays"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, RecursionError) as exc:
        raise ValueError(f"array file header: {type(exc).__name__}") from exc
    if not isinstance(saved, str) or not isinstance(entries, list):
        raise ValueError("array file header")
    if key is not None and saved != key:
        return saved, None
    base = _aligned(len(MAGIC) + 8 + n)
    size = os.fstat(fh.fileno()).st_size
    out: dict[str, np.ndarray] = {}
    end = 0  # where the entry before ends: the arrays follow each other, never overlap (as ``write`` lays
    # them out), so what is read is never more than the file holds
    for entry in entries:
        name, dt, shape, offset = _entry(entry)
        nbytes = dt.itemsize
        for s in shape:
            nbytes *= s
        if offset < end or base + offset + nbytes > size:  # checked before any memory is asked for
            raise ValueError(f"{name}: overlaps another array or runs past the end of the file")
        end = offset + nbytes
        if prefixes is not None and not name.startswith(prefixes):
            continue
        a = np.empty(shape, dt)
        if a.nbytes:
            fh.seek(base + offset)
            if fh.readinto(a.reshape(-1).view(np.uint8)) != a.nbytes:
                raise ValueError(f"{name}: cut short")
        out[name] = a
    return saved, out


def _dtype(text: str) -> np.dtype | None:
    """The plain dtype ``text`` names (``DTYPE``, one numpy knows, items of at least one byte), or None."""
    if DTYPE.fullmatch(text) is None:
        return None
    try:
        dt = np.dtype(text)
    except TypeError:  # "<i3", "<f5": the pattern's form, but no such type
        return None
    return dt if dt.itemsize > 0 and dt.str[1:] == text[1:] else None


def _entry(entry: Any) -> tuple[str, np.dtype, tuple[int, ...], int]:
    """One header entry, checked: a name, a plain dtype, a shape of at most 8 sizes, an aligned offset."""
    ok = isinstance(entry, list) and len(entry) == 4
    if ok:
        name, dtype, shape, offset = entry
        ok = (
            isinstance(name, str)
            and isinstance(dtype, str)
            and _dtype(dtype) is not None
            and isinstance(shape, list)
            and len(shape) <= 8
            and all(type(s) is int and 0 <= s < 1 << 40 for s in shape)
            and type(offset) is int
            and 0 <= offset < 1 << 48
            and offset % ALIGN == 0
        )
    if not ok:
        raise ValueError(f"array file entry {str(entry)[:80]!r}")
    return name, _dtype(dtype), tuple(shape), offset
