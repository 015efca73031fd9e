"""What a scan has to do, from the walk and the library: which files to read, which tracks came back, moved
or vanished.

Why a module of its own: the scan (``player.library``) reads and writes; comparing the folders with the
library is a job apart. And into an empty library nothing can have moved, come back or vanished, so the
files to read are simply every file the walk finds: they are handed over as the walk finds them
(``ScanPlan.to_read`` is then a stream), and the workers read while the folders are still being walked
(the walk of 10,000 files, 0.06 s, was a tenth of a first scan during which the workers waited).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from player.folder_walk import FolderWalk, walk_files
from player.store import Store
from player.store import tracks as tracks_store
from player.tags import FileStat


@dataclass
class ScanPlan:
    walked: FolderWalk
    #: (file, root) to read: a list, or, into an empty library, a stream that walks as it is read.
    to_read: Iterable[tuple[FileStat, str]]
    seen: set[str] = field(default_factory=set)
    #: Known tracks no longer under the roots: path -> (id, size, mtime, missing).
    vanished: dict[str, tuple[int, int, float, int]] = field(default_factory=dict)
    #: Files read again under the id of the track they moved from (counted as moved only).
    reread_paths: set[str] = field(default_factory=set)
    streaming: bool = False

    def total(self) -> int:
        """Files the scan goes through; 0 while a first scan's walk is still finding them (a count of the
        files found so far read as "45,450 of 47,616 files, 95%" with most of a 120,000-file folder still
        unwalked, a walk saw)."""
        return len(self.walked.files) if self.walked.finished else 0


def plan_scan(
    store: Store,
    roots: Sequence[str],
    known: dict[str, tuple[int, int, float, int]],
    summary: Any,
    settle_s: float = 0.0,
) -> ScanPlan:
    """The plan of a scan of ``roots`` against ``known`` (``tracks.known_files``). Tracks that came back
    are flagged here and moved ones moved; ``summary`` gets its unchanged, returned, moved and settling
    counts (those settling as the stream reaches them)."""
    walked = FolderWalk()
    files = walk_files(roots, walked)
    now = time.time()
    if not known:
        plan = ScanPlan(walked, [], streaming=True)
        plan.to_read = _new_files(files, plan.seen, summary, settle_s, now)
        return plan
    for _ in files:
        pass  # the whole walk first: a new file may be a vanished one moved
    seen: set[str] = set()
    to_read: list[tuple[FileStat, str]] = []
    came_back: list[int] = []
    for fstat, root in walked.files:
        seen.add(fstat.path)
        old = known.get(fstat.path)
        same = old is not None and old[1] == fstat.size and old[2] == fstat.mtime
        if settle_s > 0 and 0 <= now - fstat.mtime < settle_s and not same:
            summary.settling.append(fstat.path)
            continue
        if same:
            if old[3]:
                came_back.append(old[0])
            else:
                summary.unchanged += 1
        else:
            to_read.append((fstat, root))

    if came_back:
        summary.returned = tracks_store.set_missing(store, came_back, missing=False)

    # Files that vanished from under the roots; a new file of the same size and mtime is the same
    # track moved or renamed, and keeps its id (and so its plays and analysis).
    under_roots = under(walked.complete_roots)
    unreadable = under(walked.unreadable_dirs)
    vanished = {
        path: info
        for path, info in known.items()
        if path not in seen
        and (path.startswith(under_roots) or path in roots)
        and not (unreadable and path.startswith(unreadable))
    }
    by_signature: dict[tuple[int, float], list[str]] = {}
    for path, (_, size, mtime, _missing) in vanished.items():
        by_signature.setdefault((size, mtime), []).append(path)
    remaining: list[tuple[FileStat, str]] = []
    moved: dict[int, tuple[FileStat, str]] = {}
    for fstat, root in to_read:
        candidates = by_signature.get((fstat.size, fstat.mtime), [])
        if fstat.path not in known and len(candidates) == 1:
            old_path = candidates.pop()
            track_id = vanished.pop(old_path)[0]
            tracks_store.move_track(store, track_id, fstat.path)
            summary.moved += 1
            moved[track_id] = (fstat, root)
        else:
            remaining.append((fstat, root))
    # A moved file named from its old name (a walk renamed track30.ogg and it stayed "Track 30") is read
    # again, under its id, for the name it has now; counted as moved only.
    reread = [moved[t] for t in tracks_store.named_from_path(store, list(moved))] if moved else []
    return ScanPlan(
        walked,
        remaining + reread,
        seen,
        vanished,
        {fstat.path for fstat, _root in reread},
    )


def under(folders: Iterable[str]) -> tuple[str, ...]:
    """Prefixes that a path below any of ``folders`` starts with."""
    return tuple(folder.rstrip(os.sep) + os.sep for folder in folders)


def _new_files(
    files: Iterator[tuple[FileStat, str]], seen: set[str], summary: Any, settle_s: float, now: float
) -> Iterator[tuple[FileStat, str]]:
    """Every walked file, as the walk finds it (an empty library: each one is new), but those settling."""
    for fstat, root in files:
        seen.add(fstat.path)
        if settle_s > 0 and 0 <= now - fstat.mtime < settle_s:
            summary.settling.append(fstat.path)
            continue
        yield fstat, root
