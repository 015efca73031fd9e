"""Helpers shared by the worker pools of scan (tag reading) and analysis (decoding)."""

from __future__ import annotations


def stop_workers(pool: object) -> None:
    """Terminate a ``ProcessPoolExecutor``'s worker processes now (an interrupted run must not wait
    for a worker to finish its file or chunk)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.terminate()
        except (OSError, AttributeError, ValueError):
            pass


def default_signals() -> None:
    """A worker's initializer: SIGTERM and SIGHUP end it, as they end any process.

    A forked worker inherits the command line's handlers, which turn those signals into
    KeyboardInterrupt (``main._stop_on_signals``); inside a worker that would come back to the scan as
    the chunk's result and stop the whole scan, where a worker ended by a signal should only break the
    pool (whose chunks are retried)."""
    import signal

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
