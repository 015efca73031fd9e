"""Guards for decode worker processes: they die with their parent, keep the decoder's stderr to
themselves, and give up on a file after a wall-clock budget.

- ``die_with_parent``: ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` (Linux), so a killed ``analyze`` (even
  ``kill -9``) leaves no 176 MB worker and, with the workers gone, no resource tracker behind.
- ``contain_stderr``: libmpg123 writes a line per failed resync (345 MB for one crafted file); a worker's
  fd 2 goes to /dev/null. Errors travel back as results, never as stderr.
- ``decode_budget`` / ``start_budget``: a file whose decode takes longer than its budget (relative to
  its duration, clamped) kills its worker with SIGALRM; the pool then reports it as timed out.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1

#: Wall-clock seconds a decode may take: BUDGET_BASE_S + BUDGET_PER_S x duration, at most BUDGET_MAX_S.
#: Decoding the analysed windows of a track takes well under a second of CPU; the base leaves room for a
#: loaded machine.
BUDGET_BASE_S = 20.0
BUDGET_PER_S = 0.02
BUDGET_MAX_S = 60.0


def decode_budget(duration: float | None) -> float:
    """Seconds a worker may spend on one file of ``duration`` seconds (None: unknown).

    ``$ENCORE_DECODE_BUDGET_S`` replaces it with a fixed number of seconds (tests, slow disks);
    ``$ENCORE_DECODE_BUDGET_MAX_S`` lowers the cap only, so good files keep their generous floor (the
    tests use it to wait less for a file that never finishes)."""
    fixed = os.environ.get("ENCORE_DECODE_BUDGET_S")
    if fixed:
        try:
            return max(float(fixed), 0.1)
        except ValueError:
            pass
    cap = BUDGET_MAX_S
    try:
        cap = max(float(os.environ.get("ENCORE_DECODE_BUDGET_MAX_S", "") or BUDGET_MAX_S), 0.1)
    except ValueError:
        pass
    d = duration if duration and duration > 0 else 0.0
    return min(cap, BUDGET_BASE_S + BUDGET_PER_S * d)


def die_with_parent(parent_pid: int | None) -> None:
    """Have the kernel kill this process when its parent dies (and exit now if it already has)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(0)  # the parent died before the death signal was armed


def contain_stderr() -> None:
    """Send this process's fd 2 (where C decoders write) to /dev/null."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    os.dup2(devnull, 2)
    os.close(devnull)


def start_budget(seconds: float) -> None:
    """Kill this process (SIGALRM, default action) if it is still busy after ``seconds``.

    A signal handler would not run while libsndfile loops in C, so the default action is used: the
    worker dies and the pool reports the file."""
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.01))


def stop_budget() -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)


def tracker_running() -> bool:
    """Whether this process has started multiprocessing's resource tracker (a helper process)."""
    from multiprocessing import resource_tracker

    return getattr(resource_tracker._resource_tracker, "_fd", None) is not None


def stop_tracker(timeout: float = 5.0) -> None:
    """Stop the resource tracker that the worker pools started, and reap it.

    Every spawn-started pool makes multiprocessing launch a tracker process that outlives the pool:
    in the app it stays for the whole session, and at the end of ``encore analyze`` it is still running
    (then a zombie) after the command has exited. Closing its pipe ends it; waiting (bounded, in case
    a killed worker still holds the pipe) reaps it. The next pool starts a fresh one if needed.
    """
    import time
    from multiprocessing import resource_tracker

    tracker = resource_tracker._resource_tracker
    lock = getattr(tracker, "_lock", None)
    if lock is None:
        return
    with lock:
        fd, pid = getattr(tracker, "_fd", None), getattr(tracker, "_pid", None)
        if fd is None or pid is None:
            return
        try:
            os.close(fd)
        except OSError:
            pass
        tracker._fd = tracker._pid = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.01)
