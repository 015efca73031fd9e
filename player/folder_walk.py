"""Walking music folders: every audio file below the library's roots, with its size and mtime, and each
folder problem as an error row (missing, unreadable, a name that is not UTF-8, a pipe with an audio name).

Why a module of its own: the scan (``player.library``) compares, reads and writes; what the folders
contain, and which of their problems are errors rather than vanished tracks, is a job apart.

API: ``walk(roots)`` -> ``FolderWalk``; ``walk_files(roots, result)``, the same file by file;
``error_kind(exc, default)``.
"""

from __future__ import annotations

import errno
import os
import stat as stat_module
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from player.tags import FileStat, is_audio_name


@dataclass
class FolderWalk:
    files: list[tuple[FileStat, str]] = field(default_factory=list)  # (stat, root)
    errors: list[tuple[str, str, str]] = field(default_factory=list)
    complete_roots: list[str] = field(default_factory=list)
    # Folders that exist but could not be read: their known tracks are not "vanished".
    unreadable_dirs: list[str] = field(default_factory=list)
    finished: bool = False  # every root walked to its end (``files`` is then all there is)


_BAD_NAME = "the file name is not valid UTF-8; rename it to scan it"


def _printable_path(path: str) -> str:
    """A path with undecodable bytes, as storable text (``\\xff`` for each such byte)."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _decodable(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def walk(roots: Sequence[str]) -> FolderWalk:
    """Every audio file below the roots with its size and mtime; folder problems become errors.

    Symlinked folders are followed (users link music in), but each real folder is visited once,
    which also breaks symlink loops.
    """
    result = FolderWalk()
    for _ in walk_files(roots, result):
        pass
    return result


def walk_files(roots: Sequence[str], result: FolderWalk) -> Iterator[tuple[FileStat, str]]:
    """``walk``, file by file as found: each (file, root) is yielded and added to ``result.files``; its
    errors and roots are in ``result`` once the walk is over (a first scan reads while it walks)."""
    seen_dirs: set[tuple[int, int]] = set()
    for root in roots:
        if not root:
            result.errors.append(("", "missing-folder", "an empty path names no folder"))
            continue
        root = os.path.abspath(root)
        if not _decodable(root):
            result.errors.append((_printable_path(root), "bad-filename", _BAD_NAME))
            continue
        try:
            st = os.stat(root)
        except OSError as exc:
            result.errors.append((root, "missing-folder", f"cannot open folder: {exc.strerror or exc}"))
            # An unmounted drive: its tracks will be flagged missing, never deleted.
            result.complete_roots.append(root)
            continue
        if not stat_module.S_ISDIR(st.st_mode):
            if is_audio_name(root):
                found = (FileStat(root, st.st_size, st.st_mtime), os.path.dirname(root))
                result.files.append(found)
                yield found
            continue
        result.complete_roots.append(root)
        stack = [root]
        while stack:
            folder = stack.pop()
            try:
                fst = os.stat(folder)
            except OSError as exc:
                result.errors.append(
                    (
                        folder,
                        error_kind(exc, "unreadable-folder"),
                        f"cannot open folder: {exc.strerror or exc}",
                    )
                )
                result.unreadable_dirs.append(folder)
                continue
            key = (fst.st_dev, fst.st_ino)
            if key in seen_dirs:
                continue  # already visited through another link: a symlink loop or a duplicate
            seen_dirs.add(key)
            for entry in _scandir(folder, result):
                if not _decodable(entry.path):
                    result.errors.append((_printable_path(entry.path), "bad-filename", _BAD_NAME))
                    continue
                try:
                    if entry.is_dir(follow_symlinks=True):
                        stack.append(entry.path)
                    elif is_audio_name(entry.name) and entry.is_file(follow_symlinks=True):
                        est = entry.stat(follow_symlinks=True)
                        found = (FileStat(entry.path, est.st_size, est.st_mtime), root)
                        result.files.append(found)
                        yield found
                    elif is_audio_name(entry.name) and os.path.exists(entry.path):
                        # A FIFO, socket or device with an audio name: opening it could block forever.
                        result.errors.append(
                            (entry.path, "not-a-file", "this is a named pipe, socket or device, not a file")
                        )
                except OSError as exc:
                    result.errors.append(
                        (entry.path, error_kind(exc, "unreadable"), f"cannot read: {exc.strerror or exc}")
                    )
    result.finished = True


def _scandir(folder: str, result: FolderWalk) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            yield from sorted(it, key=lambda e: e.name)
    except OSError as exc:
        result.errors.append(
            (folder, error_kind(exc, "unreadable-folder"), f"cannot list folder: {exc.strerror or exc}")
        )
        result.unreadable_dirs.append(folder)


def error_kind(exc: OSError, default: str) -> str:
    return "path-too-long" if exc.errno == errno.ENAMETOOLONG else default
