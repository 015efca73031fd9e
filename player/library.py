"""Scanning music folders into the store: walk, compare, read tags in parallel, write in batches.

A scan is incremental (files with the same size and mtime are not read again), never deletes
(vanished files are flagged missing; moved files keep their id), and never stops on a bad file
(each one lands in ``scan_errors``). Work is committed batch by batch, so an interrupted scan
leaves a consistent database and the next scan simply continues.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any

from player.process_pool import PoolStuck, abandon_pool, finish_pool, signals_held, wait_any, worker_signals
from player.scan_plan import plan_scan, under
from player.store import Store, bulk_load, process_owner
from player.store import errors as scan_errors_store
from player.store import tracks as tracks_store
from player.store.changes import trim_log
from player.tags import FileStat, TagReadError, read_many, read_many_timed

Progress = Callable[[int, int], None]  # (done, total); total 0 while a first scan still walks (not known yet)

# Files read per worker task, and tracks written per transaction. A chunk of 128 plain Ogg files is 5 ms of
# reading: 64 spent 3-4 % of a first scan of 10,000 on sending chunks and results (256: no further gain).
_READ_CHUNK = 128
_WRITE_BATCH = 500
# Chunks queued per worker. Two starved the workers while the scan wrote a batch (17 ms for 500 rows, three
# chunks' reading): 10,000 files in 1.04-1.07 s, with eight 0.92 s.
_IN_FLIGHT = 8
# From this many files to read into an empty library, its indexes are built after the rows (store.bulk_load).
_DEFER_INDEXES_FROM = 2000
#: Seconds without any chunk read back after which the workers are taken as stuck (a chunk takes 5 ms from a
#: warm cache; a slow share may take seconds): they are killed and their chunks read again.
STALL_S = 60.0
# Below this many files to read, worker processes cost more than they save.
_PARALLEL_THRESHOLD = 400
#: The app's scans leave a file alone until it has not changed for this long (a copy still running).
SETTLE_S = 2.0


@dataclass
class ScanSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: int = 0
    returned: int = 0
    moved: int = 0
    errors: int = 0
    error_list: list[tuple[str, str, str]] = field(default_factory=list, repr=False)
    #: CPU seconds the tag-reading worker processes spent on their chunks. Forkserver workers are not
    #: children of this process, so its rusage (and /usr/bin/time) never sees them; benchmarks add this.
    worker_cpu_s: float = field(default=0.0, repr=False)
    #: Files still being written (changed within ``settle_s``): left for a later scan, not read half-way.
    settling: list[str] = field(default_factory=list, repr=False)
    #: Files added or updated by this scan (the folder watcher keeps an eye on them for a while: a
    #: copy that pauses changes a file without touching its folder).
    changed_paths: list[str] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, int]:
        hidden = ("error_list", "worker_cpu_s", "settling", "changed_paths")
        return {k: v for k, v in self.__dict__.items() if k not in hidden}

    def __str__(self) -> str:
        text = (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.missing} missing, {self.errors} errors"
        )
        extras = [f"{n} {label}" for n, label in ((self.returned, "back"), (self.moved, "moved")) if n]
        return text + (f" ({', '.join(extras)})" if extras else "")


def _read_all(
    jobs: Iterable[tuple[FileStat, str]], workers: int, summary: ScanSummary | None = None
) -> Iterator[tuple[FileStat, dict[str, Any] | None, tuple[str, str] | None]]:
    """Read ``jobs`` (a list, or a stream of files as the walk finds them) in chunks: in this process
    when they are few, else in worker processes."""
    jobs = iter(jobs)
    head = list(islice(jobs, _PARALLEL_THRESHOLD))
    chunks = _chunks(chain(head, jobs))
    if workers <= 1 or len(head) < _PARALLEL_THRESHOLD:
        for chunk in chunks:
            yield from read_many(chunk)
        return
    yield from _read_parallel(chunks, workers, summary)


def _chunks(jobs: Iterator[tuple[FileStat, str]]) -> Iterator[list[tuple[FileStat, str]]]:
    while chunk := list(islice(jobs, _READ_CHUNK)):
        yield chunk


_KILLED = (
    "read-killed",
    "the tag reader was killed while reading this file (out of memory?); the next scan tries again",
)
_STALLED = (
    "read-stalled",
    f"the tag reader gave no answer for {STALL_S:.0f} s while reading this file (a hung disk or share?); "
    "the next scan tries again",
)


def _read_parallel(
    chunks: Iterator[list[tuple[FileStat, str]]], workers: int, summary: ScanSummary | None
) -> Iterator[tuple[FileStat, dict[str, Any] | None, tuple[str, str] | None]]:
    """Read chunks in worker processes (``_worker_context``), surviving a worker that dies (SIGKILL, the OOM killer).

    ``concurrent.futures`` and not ``multiprocessing.Pool``: a Pool replaces a dead worker but never
    answers for the chunk it held, so the scan waited forever; an executor reports the broken pool.
    The chunks then in flight are retried in a fresh pool: whole once (a kill is usually not the
    file's fault), then file by file; a single file in flight at a second break is recorded as a scan
    error (retried by the next scan), so nothing is lost and the scan always finishes. A pool from which
    nothing comes back for ``STALL_S``, or whose worker ended unnoticed (killed half way through an
    answer), is handled as a broken one (``process_pool.wait_any``, ``abandon_pool``).
    """
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    todo: deque[tuple[list[tuple[FileStat, str]], int]] = deque()

    def top_up() -> None:
        """Chunks to fill the in-flight slots, taken from ``chunks`` as needed (walking on, when it is a
        first scan's stream), after any retried ones."""
        while len(todo) < _IN_FLIGHT * workers and (chunk := next(chunks, None)) is not None:
            todo.append((chunk, 0))

    top_up()
    while todo:
        # Chosen per pool: fork only while no other thread runs (a broken pool's own threads may still be
        # winding down when its retry starts), else forkserver.
        pool = ProcessPoolExecutor(
            workers,
            mp_context=_worker_context(),
            initializer=worker_signals,
            initargs=(process_owner.this_process(),),  # a worker ends with the scan's process (killed)
        )
        pending: dict[Future[Any], tuple[list[tuple[FileStat, str]], int]] = {}
        broken = stalled = False
        try:
            while not broken:
                top_up()
                if not (todo or pending):
                    break
                # A retried chunk (a worker was killed) goes one per worker: at a second break, only what
                # was being read is blamed, not chunks still queued.
                while todo and len(pending) < (_IN_FLIGHT if todo[0][1] == 0 else 1) * workers:
                    chunk, strikes = todo[0]
                    try:
                        with signals_held():  # a submit may start workers (fork: the first one)
                            pending[pool.submit(read_many_timed, chunk)] = (chunk, strikes)
                    except BrokenProcessPool:  # a worker died before a result could say so
                        broken = True
                        break
                    todo.popleft()
                if broken:
                    break
                try:
                    done = wait_any(pool, pending, STALL_S)
                except PoolStuck as stuck:
                    # A worker that never answers (stuck at its start, or in a read: nothing back for
                    # STALL_S) or one killed half way through its answer would keep its chunk, and the
                    # scan would wait for ever. The pool is taken as broken: its workers are killed and
                    # what was in flight is read again.
                    broken, stalled, done = True, stuck.stalled, set()
                for future in done:
                    try:
                        results, cpu_s = future.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    pending.pop(future)
                    if summary is not None:
                        summary.worker_cpu_s += cpu_s
                    yield from results
            if not broken:
                finish_pool(pool)
        except BaseException:
            # Interrupted (Ctrl-C, SIGTERM): do not wait for the workers to finish their chunks.
            abandon_pool(pool)
            raise
        if not broken:
            continue
        # Not waited for: on a Python without the fix of CPython gh-94777, a broken pool's own thread can
        # block for ever.
        abandon_pool(pool)
        retry: list[tuple[list[tuple[FileStat, str]], int]] = []
        for chunk, strikes in pending.values():
            if strikes == 0:
                retry.append((chunk, 1))
            elif len(chunk) > 1:
                retry.extend(([job], 1) for job in chunk)
            else:
                yield chunk[0][0], None, _STALLED if stalled else _KILLED
        todo.extendleft(reversed(retry))
        top_up()


def _worker_context() -> multiprocessing.context.BaseContext:
    """How tag-reading workers start: fork where this process runs no other thread, else forkserver.

    A forked worker starts in milliseconds with mutagen already imported (this module imports it),
    and needs neither the forkserver's fresh interpreter nor multiprocessing's resource tracker:
    0.15-0.3 s of a command-line scan's start-up before the first file, on 2 cores. Forking a process
    that has other threads can leave a lock held forever in the child, so the app (which scans from a
    worker thread, beside Qt's and VLC's threads) keeps forkserver. The workers only read files and
    never touch the parent's database connection.
    """
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["player.tags"])
    return ctx


def _is_fatal(exc: sqlite3.DatabaseError) -> bool:
    """A fault of the database itself (full disk, read-only, corrupt), not of one row's values."""
    return not isinstance(exc, (sqlite3.DataError, sqlite3.IntegrityError, sqlite3.InterfaceError))


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def scan(
    store: Store,
    roots: Sequence[str | os.PathLike[str]],
    progress: Progress | None = None,
    workers: int | None = None,
    settle_s: float = 0.0,
) -> ScanSummary:
    """Scan folders (or single files) into the store and return what changed.

    ``settle_s`` > 0 (the app's scans, which the folder watcher starts while a copy may still be
    running): a new or changed file whose mtime is younger than that is not read yet but listed in
    ``summary.settling``, so that a half-written file never lands with its partial size and tags."""
    roots = [os.fspath(r) for r in roots]
    summary = ScanSummary()
    known = tracks_store.known_files(store)
    plan = plan_scan(store, roots, known, summary, settle_s)
    to_read: Iterable[tuple[FileStat, str]] = plan.to_read
    # A first scan of many files fills the table without its secondary indexes and builds them at the end;
    # its files stream from the walk, so the first few thousand say whether they are many.
    if plan.streaming:
        head = list(islice(to_read, _DEFER_INDEXES_FROM))
        deferred = len(head) >= _DEFER_INDEXES_FROM and bulk_load.defer_track_indexes(store)
        to_read = chain(head, to_read)
    else:
        deferred = False
    done = plan.total() - len(to_read) if isinstance(to_read, list) else 0  # a stream: all still to read
    if progress:
        progress(done, plan.total())
    previous_errors = scan_errors_store.scan_error_paths(store)
    batch: list[dict[str, Any]] = []
    errors: list[tuple[str, str, str]] = []  # the walk's go first, at the end (a stream is still walking)

    def write(rows: list[dict[str, Any]]) -> None:
        with store.transaction():
            added = tracks_store.upsert_tracks(store, rows)
            scan_errors_store.clear_scan_errors(
                store, [row["path"] for row in rows if row["path"] in previous_errors]
            )
        updated = sum(1 for row in rows if row["path"] in known)
        moved_again = sum(1 for row in rows if row["path"] in plan.reread_paths)
        summary.added += added
        summary.updated += updated
        # Neither new now nor known when this scan began: another scan added it meanwhile.
        summary.unchanged += len(rows) - added - updated - moved_again

    def flush() -> None:
        try:
            write(batch)
        except sqlite3.DatabaseError as exc:
            if _is_fatal(exc):
                raise
            # One bad row must not take the batch down: store the others one by one.
            for row in batch:
                try:
                    write([row])
                except sqlite3.DatabaseError as row_exc:
                    if _is_fatal(row_exc):
                        raise
                    errors.append((row["path"], "unstorable", f"the database refused its tags: {row_exc}"))
        batch.clear()

    n_workers = workers if workers is not None else default_workers()
    try:
        for fstat, row, error in _read_all(to_read, n_workers, summary):
            if error is not None:
                errors.append((fstat.path, *error))
            else:
                assert row is not None
                row.update(path=fstat.path, size=fstat.size, mtime=fstat.mtime)
                batch.append(row)
                summary.changed_paths.append(fstat.path)
                if len(batch) >= _WRITE_BATCH:
                    flush()
            done += 1
            if progress and done % 50 == 0:
                progress(done, plan.total())
        if progress:
            progress(plan.total(), plan.total())  # every file read, or settling for a later scan
        if batch:
            flush()
    finally:
        if deferred:
            # A failure here (a full disk) must not replace why the scan stopped: the rows are stored, and
            # the next open builds the indexes.
            with contextlib.suppress(sqlite3.Error):
                store.build_deferred_indexes(mine=True)

    errors[:0] = plan.walked.errors
    summary.missing = tracks_store.set_missing(
        store, [info[0] for info in plan.vanished.values()], missing=True
    )
    # A vanished file's old error is no longer relevant; errors seen this time replace old ones.
    under_roots = under(plan.walked.complete_roots)
    stale = [p for p in previous_errors if p.startswith(under_roots) and p not in plan.seen]
    scan_errors_store.clear_scan_errors(store, stale)
    scan_errors_store.record_scan_errors(store, errors)
    summary.errors = len(errors)
    summary.error_list = errors
    trim_log(store)  # the log of changed tracks keeps its newest rows only (player.store.changes)
    return summary


__all__ = ["SETTLE_S", "ScanSummary", "TagReadError", "scan"]
