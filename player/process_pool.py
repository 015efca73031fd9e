"""Helpers shared by the worker pools of scan (tag reading) and analysis (decoding)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

# The signals the command line turns into KeyboardInterrupt (``main._stop_on_signals``) or that a
# terminal sends to the whole process group.
_STOPPING = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})


def stop_workers(pool: object) -> None:
    """Kill a ``ProcessPoolExecutor``'s worker processes now: an interrupted run must not wait for a
    worker to finish its file or chunk, and a worker that is still starting may not have reached the
    initializer that lets SIGTERM end it."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.kill()
        except (OSError, AttributeError, ValueError):
            pass


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP back while a pool may start workers (each ``submit``).

    A KeyboardInterrupt raised between the fork of a worker and the pool's record of it leaves a
    worker nobody stops, and the interpreter's exit then waits for it forever (a scan killed with
    SIGTERM right after one of its workers died hung this way). Held signals are delivered as soon as
    the pool is consistent again; a worker forked meanwhile inherits the hold and drops it in its
    initializer (``release_signals``)."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def release_signals() -> None:
    """In a worker's initializer: take back the hold a worker started under ``signals_held`` inherits."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)


def default_signals() -> None:
    """A worker's initializer: SIGTERM and SIGHUP end it, as they end any process.

    A forked worker inherits the command line's handlers, which turn those signals into
    KeyboardInterrupt (``main._stop_on_signals``); inside a worker that would come back to the scan as
    the chunk's result and stop the whole scan, where a worker ended by a signal should only break the
    pool (whose chunks are retried)."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    release_signals()
