"""Helpers shared by the worker pools of scan (tag reading) and analysis (decoding)."""

from __future__ import annotations

import os
import select
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import Future

# The signals the command line turns into KeyboardInterrupt (``main._stop_on_signals``) or that a
# terminal sends to the whole process group.
_STOPPING = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})


def stop_workers(pool: object) -> None:
    """Kill a ``ProcessPoolExecutor``'s worker processes now: an interrupted run must not wait for a
    worker to finish its file or chunk, and a worker that is still starting may not have reached the
    initializer that lets SIGTERM end it."""
    stop_workers_of(_workers(pool))


def _workers(pool: object) -> list[Any]:
    """A ``ProcessPoolExecutor``'s worker processes now (none once it is shut down)."""
    return list((getattr(pool, "_processes", None) or {}).values())


class PoolStuck(Exception):
    """A pool that will never answer for what it holds (``wait_any``): ``stalled`` when nothing came
    back for the time allowed, else a worker ended without the pool noticing."""

    def __init__(self, stalled: bool) -> None:
        super().__init__("no answer from the worker pool" if stalled else "a worker ended unnoticed")
        self.stalled = stalled


#: How often ``wait_any`` looks at the workers, and how long a worker may lie dead before the pool
#: counts as stuck (the pool's own thread normally notices at once and fails the futures).
TICK_S = 0.5
DEAD_GRACE_S = 2.0
#: How long ``abandon_pool`` writes into a pipe that its pool's thread no longer reads.
FULL_PIPE_S = 1.0


def wait_any(pool: object, pending: Iterable[Future[Any]], stall_s: float | None = None) -> set[Future[Any]]:
    """The futures of ``pending`` that are done, waiting until one is; raises ``PoolStuck`` when the
    pool cannot answer any more.

    ``concurrent.futures`` fails the futures of a pool whose worker died, but only once its own thread
    has read everything sent before: a worker killed half way through sending an answer (the OOM killer,
    a SIGKILL) leaves that thread reading the rest of the message for ever, and the futures pending for
    ever with it. So a worker found ended for ``DEAD_GRACE_S`` breaks the pool here; ``stall_s``: so does
    a pool from which nothing comes back for that long (a worker that never answers)."""
    from concurrent.futures import FIRST_COMPLETED, wait

    pending = set(pending)  # read at every tick: an iterator would be empty from the second on
    started = time.monotonic()
    ended_at: float | None = None
    while True:
        done, _ = wait(pending, timeout=TICK_S, return_when=FIRST_COMPLETED)
        if done:
            return done
        now = time.monotonic()
        if ended_at is None and _a_worker_ended(pool):
            ended_at = now
        if ended_at is not None and now - ended_at >= DEAD_GRACE_S:
            raise PoolStuck(stalled=False)
        if stall_s is not None and now - started >= stall_s:
            raise PoolStuck(stalled=True)


def _a_worker_ended(pool: object) -> bool:
    """Whether one of the pool's worker processes has ended."""
    return _a_worker_ended_of(_workers(pool))


def _a_worker_ended_of(processes: list[Any]) -> bool:
    """Whether one of ``processes`` has ended (its sentinel is ready; nothing is reaped or read, so the
    pool's own thread sees the same)."""
    from multiprocessing.connection import wait

    try:
        sentinels = [p.sentinel for p in processes]
        return bool(sentinels) and bool(wait(sentinels, timeout=0))
    except (OSError, ValueError):  # a process closed meanwhile
        return False


def ended_by_signals(pool: object, timeout_s: float = 2.0) -> set[int]:
    """The signals that ended the pool's dead workers, waiting up to ``timeout_s`` for them to be reaped
    (call it before ``abandon_pool``, which kills the live ones). What broke a pool says whose fault it
    was: SIGKILL comes from outside (the OOM killer), a crash signal from the file being read."""
    ended = set()
    deadline = time.monotonic() + timeout_s
    for process in _workers(pool):
        try:
            if not _a_worker_ended_of([process]):
                continue
            process.join(max(0.0, deadline - time.monotonic()))  # type: ignore[attr-defined]
            # The pool's own thread may be reaping it at the same moment: this thread then finds no child,
            # and the status shows up on the shared process object a moment later.
            while (code := process.exitcode) is None and time.monotonic() < deadline:  # type: ignore[attr-defined]
                time.sleep(0.01)
            if code is not None and code < 0:
                ended.add(-code)
        except (OSError, ValueError, AttributeError):
            continue
    return ended


def abandon_pool(pool: object, timeout_s: float = 10.0) -> None:
    """Let a broken, stuck or interrupted pool go now: its workers are killed, nothing it holds is waited
    for, and its own thread is made to end, so that the process can exit.

    That thread may be reading an answer a killed worker only half sent: no end of file ever comes (this
    process holds the pipe's other end), and the interpreter joins the thread at exit, so a scan whose
    worker was killed mid-answer finished its files and then never exited. Bytes written into that pipe
    complete the message; the thread, failing to read it as an answer, ends as for a broken pool. The
    pipe is written without blocking, as fast as the thread reads it, only while the thread lives, for at
    most ``timeout_s``, and no longer once nothing has been read from it for ``FULL_PIPE_S`` (a thread
    held up elsewhere, say by a worker stuck in a read of a hung disk, which no signal ends).
    """
    thread = getattr(pool, "_executor_manager_thread", None)
    results = getattr(pool, "_result_queue", None)  # both are dropped by shutdown: taken first
    stop_workers(pool)
    pool.shutdown(wait=False, cancel_futures=True)  # type: ignore[attr-defined]
    writer = getattr(results, "_writer", None)
    if thread is None or writer is None:
        return
    thread.join(TICK_S)
    if not thread.is_alive():
        return
    try:
        fd = writer.fileno()
        os.set_blocking(fd, False)
    except (OSError, ValueError):
        return
    filler = bytes(1 << 16)
    room = select.poll()  # not select.select: a busy app's descriptors may be numbered past 1023
    room.register(fd, select.POLLOUT)
    deadline = time.monotonic() + timeout_s
    read_at = time.monotonic()
    while thread.is_alive():
        now = time.monotonic()
        if now >= deadline or now - read_at >= FULL_PIPE_S:
            return
        try:
            if not room.poll(50):
                continue  # full: the thread has not read what was written yet
            if os.write(fd, filler) > 0:
                read_at = time.monotonic()
        except BlockingIOError:
            pass
        except (OSError, ValueError):
            return


def finish_pool(pool: object, timeout_s: float = 10.0) -> None:
    """Shut a pool whose work is all done without waiting for ever on its workers: each is given
    ``timeout_s`` to exit, and one that has not is killed. A scan whose worker was killed finished its
    files in a fresh pool and then hung in ``shutdown(wait=True)`` (1 full test run in 6): a worker forked
    while another thread held a lock can wait on that lock for ever, while its sibling reads every chunk."""
    processes = _workers(pool)
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
