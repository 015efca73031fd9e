"""Helpers shared by the worker pools of scan (tag reading) and analysis (decoding)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

# The signals the command line turns into KeyboardInterrupt (``main._stop_on_signals``) or that a
# terminal sends to the whole process group.
_STOPPING = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})


def stop_workers(pool: object) -> None:
    """Kill a ``ProcessPoolExecutor``'s worker processes now: an interrupted run must not wait for a
    worker to finish its file or chunk, and a worker that is still starting may not have reached the
    initializer that lets SIGTERM end it."""
    stop_workers_of(list((getattr(pool, "_processes", None) or {}).values()))


def finish_pool(pool: object, timeout_s: float = 10.0) -> None:
    """Shut a pool whose work is all done without waiting for ever on its workers: each is given
    ``timeout_s`` to exit, and one that has not is killed. A scan whose worker was killed finished its
    files in a fresh pool and then hung in ``shutdown(wait=True)`` (1 full test run in 6): a worker forked
    while another thread held a lock can wait on that lock for ever, while its sibling reads every chunk."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False)  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout_s
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    stop_workers_of(processes)


def stop_workers_of(processes: list[object]) -> None:
    """Kill these worker processes (those still running)."""
    for process in processes:
        try:
            process.kill()  # type: ignore[attr-defined]
        except (OSError, AttributeError, ValueError):
            pass


def _dispatch(handler: object, signum: int, frame: object) -> None:
    """Do what ``handler`` (a Python handler or SIG_DFL) does with ``signum``; SIG_IGN does nothing."""
    if callable(handler):
        handler(signum, frame)
    elif handler == signal.SIG_DFL:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP back while a pool may start workers (each ``submit``).

    A KeyboardInterrupt raised between the fork of a worker and the pool's record of it leaves a
    worker nobody stops, and the interpreter's exit then waits for it forever (a scan killed with
    SIGTERM right after one of its workers died hung this way). Inside the block a stopping signal is
    only noted; on leaving it, the handlers are put back and a noted signal is handed to its own
    handler (which raises KeyboardInterrupt on the command line). The handlers, not the signal mask:
    the kernel hands a process's signal to any thread not blocking it (the pool's own threads among
    them), and Python runs the handler in the main thread at once. Off the main thread (the app scans
    in a worker thread) nothing is done: Python never runs a signal handler there.

    A signal may arrive while the handlers are being swapped either way (Python runs a pending handler
    between any two steps, and inside ``signal.signal``): the noting handler then passes what it gets
    to the handler it replaced, so one left behind by an interrupted swap acts as that handler did.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    previous: dict[int, object] = {}
    holding = True

    def note(signum: int, frame: object) -> None:
        if holding:
            noted.append(signum)
        else:
            _dispatch(previous[signum], signum, frame)

    try:
        for sig in _STOPPING:
            handler = signal.getsignal(sig)
            if handler is not None and handler != signal.SIG_IGN:  # None: set outside Python, left alone
                previous[sig] = handler  # before the swap: an interrupted swap still knows what to restore
                signal.signal(sig, note)
        yield
    finally:
        holding = False
        for sig, handler in previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        for sig in dict.fromkeys(noted):
            _dispatch(previous[sig], sig, None)


def worker_signals(owner: str | None = None) -> None:
    """A worker's initializer: SIGTERM and SIGHUP end it, as they end any process, and Ctrl-C is left to
    the main process (which kills its workers). With ``owner`` (``process_owner.this_process()`` of the
    process the pool works for), the worker also ends once that process has (``end_with``).

    A forked worker inherits the command line's handlers, which turn those signals into
    KeyboardInterrupt (``main._stop_on_signals``); inside a worker that would come back to the scan as
    the chunk's result and stop the whole scan, where a worker ended by a signal should only break the
    pool (whose chunks are retried). A worker forked inside ``signals_held`` would keep its noting
    handler."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if owner is not None:
        end_with(owner)


#: How often a worker looks whether the process it works for is still there.
OWNER_CHECK_S = 1.0


def end_with(owner: str) -> None:
    """End this worker process once ``owner`` has ended, checked every ``OWNER_CHECK_S`` on a thread.

    A worker idle on its pool's queue never learns that the process feeding it was killed: nothing more
    comes, and it holds its own end of the queue's pipe. A forkserver worker (the app's) is not even that
    process's child, and it kept the forkserver and multiprocessing's resource tracker running with it: a
    walk found all three alive long after a ``kill -9`` of the app, until killed by hand."""
    from player.store import process_owner

    def watch() -> None:
        while not process_owner.is_gone(owner):
            time.sleep(OWNER_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="encore-owner-watch", daemon=True).start()
